"""Replay's cases shared out among forked worker processes (engine/replay/parallel.py) give the
report one process gives, in the same order. Run as `cppcc replay` is, in a process of its own
(forking is for command-line processes: this test's own process has threads of pytest's)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine.replay.parallel import MIN_CASES_A_WORKER, usable_workers

ROOT = Path(__file__).resolve().parents[2]
DEPUTY = '<outputEntry id="approval_chain_r3_o1"><text>False</text></outputEntry>'


def test_two_worker_processes_give_the_report_one_process_gives(tmp_path, settings):
    folder = tmp_path / "candidate"
    shutil.copytree(settings.processes_dir, folder, ignore=shutil.ignore_patterns("scenarios"))
    chain = folder / "approval_chain.dmn"
    chain.write_text(chain.read_text(encoding="utf-8").replace(DEPUTY, DEPUTY.replace("False", "True")), encoding="utf-8")
    reports = {}
    for workers in (1, 2):
        out = tmp_path / f"report-{workers}.json"
        done = subprocess.run([sys.executable, "-m", "api.cli", "replay", "--generate", "10", "--seed", "parallel",
                               "--year", "2026", "--processes", str(folder), "--workers", str(workers), "--json", str(out)],
                              cwd=ROOT, env={**os.environ, "CPPCC_DATABASE_URL": settings.database_url},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        reports[workers] = json.loads(out.read_text(encoding="utf-8"))
    assert reports[2] == reports[1]
    assert reports[1]["changed"] and not reports[1]["errors"]  # the candidate changes paths: there was work to compare
    assert usable_workers(2, 10) == 2  # (so the second run did share the cases out)


def test_few_cases_or_one_worker_run_here():
    assert usable_workers(1, 500) == 1
    assert usable_workers(2, MIN_CASES_A_WORKER) == 1  # not worth a second process
    assert usable_workers(2, 2 * MIN_CASES_A_WORKER) == 2
    assert usable_workers(8, 3 * MIN_CASES_A_WORKER) == 3
