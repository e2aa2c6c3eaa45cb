"""The timer worker sweeps the upload directory of unreferenced files once a day
(engine/services/timers.py `Worker`, engine/services/upload_sweep.py), on the real database."""
import copy
import os
import time
from dataclasses import replace

from engine.adapters import worker_lock
from engine.services.timers import SWEEP_AFTER, Worker


def test_the_worker_sweeps_an_old_unreferenced_file_when_its_sweep_is_due_and_then_waits_a_day(database, runtime,
                                                                                                tmp_path):
    runtime = copy.copy(runtime)  # (this folder's runtime keeps the instance's upload folder: never sweep that)
    runtime.settings = replace(runtime.settings, upload_dir=tmp_path / "uploads")
    left = tmp_path / "uploads" / "ab" / ("ab" + "0" * 62)
    left.parent.mkdir(parents=True)
    left.write_bytes(b"placed by an upload that never committed")
    os.utime(left, (0, 0))
    worker = Worker(database, runtime, interval=0.05, who="test")
    assert worker._next_sweep - time.monotonic() > SWEEP_AFTER.total_seconds() - 60  # not at start
    worker._next_sweep = 0.0  # the hour has passed
    thread = worker.start_thread()
    try:
        deadline = time.monotonic() + 10
        while left.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert not left.exists()
    assert worker._next_sweep - time.monotonic() > 23 * 3600  # the next one a day later
    if worker_lock.sqlite_file(database) is not None:  # SQLite: a stopped worker gave the database's lock up
        worker_lock.hold_worker(database, "next").release()  # (WorkerBusy if it had not)
