"""Replay speed: how many cases of a generated year a replay runs per second.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.replay [--cases 500] [--year 2026] [--seed 1]
                                                  [--processes DIR] [--region CODE] [--repeat 3]

The baseline is the files on disk with the instance's region. The candidate
is --processes / --region, or by default a temporary copy of processes/
whose approval_chain.dmn sends every reply to the deputy head too, so that
paths differ and the comparison has work to do. Each case runs on both
sides (the real engine on each side's in-memory SQLite database, simulated
clock; engine/replay/memory.py). Printed per repetition: the time to generate
the year, the time of the replay (and the CPU time this process used, which
a busy machine changes less), cases per second (a case = both sides), user
tasks completed per second, and the time of one case on one side; then the
best repetition.
"""
import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from engine import replay
from engine.model.settings import Settings, region_settings
from engine.workflow.runtime import Runtime

RULE = '<outputEntry id="approval_chain_r3_o1"><text>False</text></outputEntry>'


def deputy_everywhere(processes_dir: Path, into: Path) -> Path:
    """A copy of the diagrams whose approval chain also asks the deputy head for every other reply."""
    folder = into / "processes"
    shutil.copytree(processes_dir, folder, ignore=shutil.ignore_patterns("scenarios"))
    path = folder / "approval_chain.dmn"
    path.write_text(path.read_text(encoding="utf-8").replace(RULE, RULE.replace("False", "True")), encoding="utf-8")
    return folder


def measure(cases: int, year: int, seed: str, baseline, candidate, region, workers: int = 1) -> dict:
    """One timed replay: generation and replay seconds, rates, and the report's task counts; the
    CPU time is this process's and its worker processes' (`workers` > 1)."""
    start = time.perf_counter()
    year_cases = replay.generate_year(region, cases, year, seed)
    generated = time.perf_counter() - start
    start, cpu = time.perf_counter(), _cpu()
    report = replay.replay(year_cases, baseline, candidate, workers=workers)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    tasks = report["sides"]["baseline"]["tasks"] + report["sides"]["candidate"]["tasks"]
    return {"generate_s": generated, "replay_s": elapsed, "cpu_s": cpu, "cases_per_s": cases / elapsed, "tasks": tasks,
            "tasks_per_s": tasks / elapsed, "ms_per_case_side": elapsed * 1000 / (2 * cases),
            "changed": len(report["changed"]), "errors": len(report["errors"])}


def _cpu() -> float:
    """CPU seconds of this process and of its finished child processes (replay's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv=None):
    """Run the benchmark and print one line per repetition."""
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="generated cases (default 500)")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--processes", type=Path, help="candidate diagrams (default: deputy approval for every reply)")
    parser.add_argument("--region", help="candidate region code")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions (default 1)")
    parser.add_argument("--workers", default="1",
                        help="worker processes, or several to compare in one run: 1,2 (default 1)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    rt = Runtime(settings)
    region_dir = region_settings(args.region)["region_dir"] if args.region else None
    with tempfile.TemporaryDirectory() as tmp:
        processes = args.processes or (None if args.region else deputy_everywhere(settings.processes_dir, Path(tmp)))
        candidate = replay.candidate_side(settings, processes_dir=processes, region_dir=region_dir)
        baseline = replay.baseline_side(rt)
        print(f"baseline {baseline.bundle.hash} ({rt.region.code}), candidate {candidate.bundle.hash} "
              f"({candidate.region.code}); {args.cases} generated cases, each run on both sides")
        counts = [int(w) for w in str(args.workers).split(",")]
        rows: dict[int, list] = {w: [] for w in counts}
        for n in range(args.repeat):
            for workers in counts:  # the worker counts take turns: compared under the same load
                row = measure(args.cases, args.year, args.seed, baseline, candidate, rt.region, workers)
                rows[workers].append(row)
                print(f"run {n + 1}, {workers} worker process(es): generate {row['generate_s']:.2f} s, "
                      f"replay {row['replay_s']:.1f} s (CPU {row['cpu_s']:.1f} s), "
                      f"{row['cases_per_s']:.1f} cases/s, {row['tasks_per_s']:.0f} user tasks/s "
                      f"({row['tasks']} tasks), {row['ms_per_case_side']:.1f} ms per case per side; "
                      f"{row['changed']} paths changed, {row['errors']} errors; load {os.getloadavg()[0]:.1f}")
    for workers, done in rows.items():
        best = max(done, key=lambda r: r["cases_per_s"])
        print(f"best with {workers} worker process(es): {best['cases_per_s']:.1f} cases/s "
              f"({best['replay_s']:.1f} s for {args.cases} cases, {args.cases / best['cpu_s']:.1f} cases per CPU second)")

if __name__ == "__main__":
    main()
