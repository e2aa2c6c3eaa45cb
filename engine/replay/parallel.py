"""Replay's cases in several processes (`cppcc replay --workers N`, bench/replay.py).

A case's two runs depend on nothing but the case and the two sides: each run is a fresh case
on its side's in-memory database, rolled back at its end, so numbering, ids and counters start
again for every case. The cases can therefore be shared out among worker processes, one per
core, and the results put back in the cases' order: the report is the same as one process
makes (tests/engine/test_replay_parallel.py compares them), in a fraction of the time.

The workers are forked from the calling process (the sides, their parsed diagrams and the
cases are inherited, not sent), so this runs only where `fork` exists (Linux, the BSDs,
macOS with it) and only from a command-line process: forking a multi-threaded server is not
safe, and replay is a command. Each worker makes its sides' in-memory databases on first
use. Elsewhere, or for fewer cases than would pay for the processes, the cases run here.

May import: the rest of `engine.replay` and `engine.model`.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any

from engine.model import clock

MIN_CASES_A_WORKER = 4  # fewer cases than this per worker: run them here (a worker costs its start)
_job: tuple[Callable[[Any], tuple[dict, dict]], list] | None = None  # (run one case, the cases): set before forking


def usable_workers(requested: int, cases: int) -> int:
    """How many worker processes to use for `cases` cases when `requested` are asked for (1: here)."""
    if requested <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(requested, cases // MIN_CASES_A_WORKER))


def run_cases(run_one: Callable[[Any], tuple[dict, dict]], cases: list, workers: int) -> Iterator[tuple[dict, dict]]:
    """(baseline result, candidate result) of each case, in the cases' order, `run_one` applied
    to the cases in `workers` forked processes (see usable_workers)."""
    global _job
    if workers <= 1:
        yield from (run_one(case) for case in cases)
        return
    _job = (run_one, cases)
    try:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(workers, initializer=_in_worker, initargs=(clock.current(),))
        try:
            chunk = max(1, len(cases) // (workers * 8))  # small chunks: cases differ in length
            yield from pool.imap(_run_index, range(len(cases)), chunksize=chunk)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()  # (its CPU then counts as this process's children's)
    finally:
        _job = None


def _in_worker(moved: clock.Clock) -> None:
    clock.use(moved)  # the replay's movable clock, each worker its own copy


def _run_index(index: int) -> tuple[dict, dict]:
    assert _job is not None  # inherited from the parent at the fork
    run_one, cases = _job
    return run_one(cases[index])
