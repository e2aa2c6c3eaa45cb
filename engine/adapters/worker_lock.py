"""One timer worker per SQLite database, and one round at a time.

SQLite has no SELECT ... FOR UPDATE SKIP LOCKED: two processes firing timers and
delivering messages on one SQLite file both take the same due case and the same
pending message (measured: every e-mail and SMS sent twice). So on SQLite

- a long-running worker (`cppcc worker`, or the one inside `cppcc serve`) holds an
  exclusive lock on `<database file>.worker.lock` for as long as it runs; a second
  one is refused with a message naming the holder;
- every round of firing timers and delivering messages (a worker's, or the one of
  `cppcc run-timers`) holds `<database file>.round.lock` while it works, so a
  demo's `run-timers` beside the server waits for the server's round instead of
  racing it.

The locks are `flock` locks: the operating system drops them when the process
ends, however it ends, so a killed worker never leaves a stale lock behind. On
PostgreSQL nothing is locked here: workers claim rows with SKIP LOCKED and may
run side by side.
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from engine.model import clock
from engine.model.clock import CHINA
from engine.model.errors import Conflict

if TYPE_CHECKING:
    from engine.adapters.db import Database


class WorkerBusy(Conflict):
    """Another process already runs the timer worker of this SQLite database."""


class Held:
    """A lock taken on a file; released by `release()` or when the process ends."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd: int | None = fd
        self.path = path

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def sqlite_file(database: Database) -> Path | None:
    """The SQLite database file of `database`, or None (PostgreSQL, in-memory)."""
    url = database.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def hold_worker(database: Database, who: str) -> Held | None:
    """Take the worker lock of `database` for the life of this worker (None on PostgreSQL).

    Raises WorkerBusy, naming the process that has it, if another worker runs on
    the same SQLite file. `who` describes this worker to a later one (e.g. "cppcc worker").
    """
    path = sqlite_file(database)
    if path is None:
        return None
    lock_path = path.with_name(path.name + ".worker.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "另一个进程"
        os.close(fd)
        raise WorkerBusy(f"已有定时任务进程在处理这个数据库（{holder}）。同一个 SQLite 数据库只能运行一个定时任务进程，"
                         f"否则同一条提醒会发出两次；本进程不再运行定时任务") from None
    started = clock.real_now().astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"进程 {os.getpid()}：{who}，{started} 起".encode(), 0)
    return Held(fd, lock_path)


@contextmanager
def one_round(database: Database, wait: float = 300.0) -> Iterator[None]:
    """Hold the round lock of `database` (SQLite) while the block runs; waits up to
    `wait` seconds for a round of another process to end, then raises WorkerBusy."""
    path = sqlite_file(database)
    if path is None:
        yield
        return
    fd = os.open(path.with_name(path.name + ".round.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WorkerBusy(f"另一个定时任务进程正在处理到期事项，等待 {wait:g} 秒后仍未结束，请稍后再试") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock
