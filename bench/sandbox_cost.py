"""What the expression budget costs: real workflow steps with and without the guards.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.sandbox_cost [--cases 10] [--evaluations 20000]

Steps: each case is walked from submission to its first progress report (11
user tasks with the scripts, gateways, DMN tables, timers and property
expressions they trigger, as engine.services.cases.complete_task does them, committed,
on a temporary SQLite file). The walk is done alternately with the guards (the
normal engine) and without them: the rewriting that inserts ticks, call and
operator guards and size charges is switched off, and so are the checks that
task data can be stored. Each figure is the median over the cases of one step's
time, per task kind and overall.

Evaluations: typical diagram texts (a condition, a DMN cell, a property
expression, a script) evaluated on their own, with and without the guards.
"""
import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench.step_cost import TO_FOLLOW_UP, EngineCase, prepare_database
from engine.definitions import sandbox
from engine.model.settings import Settings
from engine.workflow import step as steps
from engine.workflow.runtime import Runtime

EXPRESSIONS = [
    ("condition", "eval", "review_decision == 'not_file'", {"review_decision": "file"}),
    ("DMN cell", "eval", 'reply_class in ("A", "B")', {"reply_class": "B"}),
    ("property", "eval", "unit_name(lead_unit) + '：' + title[:20]",
     {"lead_unit": "fgw", "title": "关于加强停车管理的建议", "unit_name": lambda u: u}),
    ("script", "exec", "leads = {u: u for u in lead_unit_ids}\nlead_unit = sorted(leads)[0]\nstatus = 'handling'",
     {"lead_unit_ids": ["fgw", "jw", "jtw"]}),
]


@contextmanager
def guards(enabled: bool):
    """Run with the sandbox's budget guards and data checks, or without them."""
    saved = (sandbox.rewrite, sandbox.unstorable, steps._check_storable)
    if not enabled:
        sandbox.rewrite = lambda tree: tree
        sandbox.unstorable = lambda value, depth=0: None
        steps._check_storable = lambda workflow: None
    sandbox._compile.cache_clear()
    try:
        yield
    finally:
        sandbox.rewrite, sandbox.unstorable, steps._check_storable = saved
        sandbox._compile.cache_clear()


def walk(db, rt) -> dict:
    """{task name: seconds} of one case walked to its first progress report."""
    case = EngineCase(db, rt)
    return {name: case.step(name, username, data) for name, username, data in TO_FOLLOW_UP}


def count_evaluations(db, rt) -> tuple[int, int]:
    """(expressions evaluated, scripts run) in one walk."""
    counts = [0, 0]
    env = sandbox.ConfinedEnvironment
    evaluate, execute = env.evaluate, env.execute

    def counted_evaluate(self, *args, **kwargs):
        counts[0] += 1
        return evaluate(self, *args, **kwargs)

    def counted_execute(self, *args, **kwargs):
        counts[1] += 1
        return execute(self, *args, **kwargs)

    env.evaluate, env.execute = counted_evaluate, counted_execute
    try:
        walk(db, rt)
    finally:
        env.evaluate, env.execute = evaluate, execute
    return counts[0], counts[1]


def steps_table(db, rt, cases: int) -> list[str]:
    times = {True: [], False: []}
    walk(db, rt)  # warm caches (parsed specs, compiled expressions)
    for _ in range(cases):
        for enabled in (True, False):
            with guards(enabled):
                walk(db, rt)  # compile this mode's expressions first
                times[enabled].append(walk(db, rt))
    lines = ["step              | with guards ms | without ms | cost ms | cost %"]
    for name, *_ in [*TO_FOLLOW_UP, ("all 11 steps",)]:
        pick = (lambda run: sum(run.values())) if name == "all 11 steps" else (lambda run, n=name: run[n])
        on = statistics.median(pick(run) for run in times[True]) * 1000
        off = statistics.median(pick(run) for run in times[False]) * 1000
        lines.append(f"{name:17s} | {on:14.2f} | {off:10.2f} | {on - off:7.2f} | {100 * (on - off) / off:5.1f}")
    return lines


def evaluations_table(count: int) -> list[str]:
    lines = ["expression | with guards µs | without µs"]
    for label, mode, source, data in EXPRESSIONS:
        row = []
        for enabled in (True, False):
            with guards(enabled):
                env = sandbox.ConfinedEnvironment(functions={k: v for k, v in data.items() if callable(v)})
                context = {k: v for k, v in data.items() if not callable(v)}
                run = env.evaluate if mode == "eval" else env.execute
                run(source, dict(context))
                start = time.perf_counter()
                for _ in range(count):
                    run(source, dict(context))
                row.append((time.perf_counter() - start) / count * 1e6)
        lines.append(f"{label:10s} | {row[0]:13.1f} | {row[1]:10.1f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10, help="cases walked in each mode (default 10)")
    parser.add_argument("--evaluations", type=int, default=20000, help="evaluations per expression (default 20000)")
    args = parser.parse_args(argv)
    os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        rt = Runtime(Settings.from_env(database_url=url))
        db = prepare_database(url, rt)
        try:
            print(f"Real steps (complete_task, committed, SQLite), median of {args.cases} cases per mode:")
            print("\n".join(steps_table(db, rt, args.cases)))
            evaluated, scripts = count_evaluations(db, rt)
            print(f"one walk of 11 steps evaluates {evaluated} expressions and runs {scripts} scripts")
        finally:
            db.engine.dispose()
    print()
    print(f"One evaluation, mean of {args.evaluations}:")
    print("\n".join(evaluations_table(args.evaluations)))


if __name__ == "__main__":
    main()
