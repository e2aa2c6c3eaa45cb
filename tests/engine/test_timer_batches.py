"""The timer worker fires due cases in batches: one claim and one transaction per batch.

engine.services.timers claims up to BATCH due cases at once (FOR UPDATE SKIP LOCKED on
PostgreSQL) and fires them in one transaction; a case that fails rolls the batch back
and its cases are then fired one by one, so one broken case never holds back the
others and nothing is fired twice. The diagrams' acceptance reminder (13 October 2025,
09:00 for a case assigned on 26 September) is the timer fired here.
"""
import threading

import pytest
from test_timers import assigned, at, events, next_timer, notifications

from engine.adapters.db import Database
from engine.model.errors import ProcessFault
from engine.services import timers

AFTER_REMIND = at(2025, 10, 13, 10, 0, 0)  # past the acceptance reminder, before the deadline (16 October)


def reminded_once(walk, pid) -> bool:
    """The case fired its acceptance reminder exactly once and waits for its next timer."""
    return ([e.title for e in events(walk, pid, "timer")] == ["签收提醒"]
            and set(notifications(walk, pid, "reminder").values()) == {1}
            and next_timer(walk, pid) > AFTER_REMIND)


def test_a_round_fires_every_due_case_once_across_batches(moving_clock, walk, monkeypatch):
    monkeypatch.setattr(timers, "BATCH", 3)
    monkeypatch.setattr(timers, "SQLITE_BATCH", 3)
    proposals = [assigned(walk) for _ in range(7)]
    moving_clock.set(AFTER_REMIND)
    result = timers.run_once(walk.db, walk.rt)
    assert (result["cases"], result["fired"], result["failed"]) == (7, 7, 0), result
    assert all(reminded_once(walk, pid) for pid in proposals)
    assert timers.run_once(walk.db, walk.rt)["fired"] == 0
    assert all(reminded_once(walk, pid) for pid in proposals)


def test_the_round_limit_leaves_the_rest_for_the_next_round(moving_clock, walk, monkeypatch):
    monkeypatch.setattr(timers, "BATCH", 2)
    monkeypatch.setattr(timers, "SQLITE_BATCH", 2)
    proposals = [assigned(walk) for _ in range(5)]
    moving_clock.set(AFTER_REMIND)
    assert timers.run_once(walk.db, walk.rt, limit=3)["fired"] == 3
    assert sum(reminded_once(walk, pid) for pid in proposals) == 3
    assert timers.run_once(walk.db, walk.rt, limit=3)["fired"] == 2
    assert all(reminded_once(walk, pid) for pid in proposals)


def test_a_failing_case_rolls_back_only_itself(moving_clock, walk, monkeypatch):
    monkeypatch.setattr(timers, "BATCH", 4)
    monkeypatch.setattr(timers, "SQLITE_BATCH", 4)
    proposals = [assigned(walk) for _ in range(4)]
    broken = walk.case(proposals[1]).id
    fire_due = timers.fire_due

    def failing(step, workflow):  # a diagram error on one case, as a broken script raises it
        if step.case.id == broken:
            raise ProcessFault("测试：流程脚本出错")
        fire_due(step, workflow)

    monkeypatch.setattr(timers, "fire_due", failing)
    moving_clock.set(AFTER_REMIND)
    result = timers.run_once(walk.db, walk.rt)
    assert (result["fired"], result["failed"]) == (3, 1), result
    assert [reminded_once(walk, pid) for pid in proposals] == [True, False, True, True]
    assert events(walk, proposals[1], "timer") == [] and next_timer(walk, proposals[1]) < AFTER_REMIND

    monkeypatch.setattr(timers, "fire_due", fire_due)  # repaired: the next round fires it, and only it
    result = timers.run_once(walk.db, walk.rt)
    assert (result["fired"], result["failed"]) == (1, 0), result
    assert all(reminded_once(walk, pid) for pid in proposals)


def test_two_workers_with_small_batches_fire_each_case_once(moving_clock, walk, settings, monkeypatch):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (CPPCC_TEST_DATABASE_URL): SQLite runs one worker")
    monkeypatch.setattr(timers, "BATCH", 2)
    monkeypatch.setattr(timers, "SQLITE_BATCH", 2)
    proposals = [assigned(walk) for _ in range(12)]
    moving_clock.set(AFTER_REMIND)
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        database = Database(settings.database_url)
        try:
            barrier.wait()
            while True:
                result = timers.run_once(database, walk.rt)
                results.append(result)
                if not result["cases"]:
                    break
        except BaseException as err:  # noqa: BLE001 — reported by the assertions below
            errors.append(err)
        finally:
            database.engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert sum(r["fired"] for r in results) == len(proposals) and not any(r["failed"] for r in results)
    assert all(reminded_once(walk, pid) for pid in proposals)
