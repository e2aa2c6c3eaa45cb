"""Replay's cases shared out among forked worker processes (engine/replay/parallel.py) give the
report one process gives, in the same order."""
import json
import shutil

from engine import replay
from engine.replay.parallel import MIN_CASES_A_WORKER, usable_workers

DEPUTY = '<outputEntry id="approval_chain_r3_o1"><text>False</text></outputEntry>'


def test_two_worker_processes_give_the_report_one_process_gives(tmp_path, settings, runtime):
    folder = tmp_path / "candidate"
    shutil.copytree(settings.processes_dir, folder, ignore=shutil.ignore_patterns("scenarios"))
    chain = folder / "approval_chain.dmn"
    chain.write_text(chain.read_text(encoding="utf-8").replace(DEPUTY, DEPUTY.replace("False", "True")), encoding="utf-8")
    base, candidate = replay.baseline_side(runtime), replay.candidate_side(settings, processes_dir=folder)
    cases = replay.generate_year(runtime.region, 10, 2026, "parallel")
    done = []
    alone = replay.replay(cases, base, candidate)
    shared = replay.replay(cases, base, candidate, workers=2, progress=lambda n, total: done.append((n, total)))
    assert json.dumps(shared, sort_keys=True, default=str) == json.dumps(alone, sort_keys=True, default=str)
    assert alone["changed"] and not alone["errors"]  # the candidate changes paths: there was work to compare
    assert done == [(n, 10) for n in range(1, 11)]


def test_few_cases_or_one_worker_run_here():
    assert usable_workers(1, 500) == 1
    assert usable_workers(2, MIN_CASES_A_WORKER) == 1  # not worth a second process
    assert usable_workers(2, 2 * MIN_CASES_A_WORKER) == 2
    assert usable_workers(8, 3 * MIN_CASES_A_WORKER) == 3
