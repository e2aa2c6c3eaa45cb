"""One timer worker per SQLite database, and each message recognisable when sent again.

- A second worker on one SQLite file is refused, in Chinese, naming the first
  (in-process and with two `cppcc worker` processes); on PostgreSQL several run.
- Two rounds at once on one SQLite file (a worker and `run-timers`) never send a
  message twice nor fire a timer twice: rounds take turns.
- A worker killed after a message went out but before its outcome was committed
  sends it again with the same idempotency key: the SMTP Message-ID and the SMS
  gateway's key are derived from the outbox row.
"""
import dataclasses
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from test_notify import NOW, Gateway, enqueue, set_contact, with_sms
from test_timers import assigned, at, events

from engine.adapters import channels, outbox as notify, worker_lock
from engine.adapters.db import Database, UnitOfWork
from engine.model.tables import Notification
from engine.services import timers

ROOT = Path(__file__).resolve().parents[2]


def sqlite_only(settings):
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the worker lock is SQLite's; PostgreSQL workers share the work with SKIP LOCKED")


def test_a_second_worker_on_one_sqlite_database_is_refused(database, settings):
    sqlite_only(settings)
    first = worker_lock.hold_worker(database, "cppcc worker")
    try:
        with pytest.raises(worker_lock.WorkerBusy) as refused:
            worker_lock.hold_worker(Database(settings.database_url), "cppcc serve")
        message = refused.value.message
        assert "已有定时任务进程" in message and f"进程 {os.getpid()}" in message and "cppcc worker" in message
        assert not any(c.isascii() and c.isalpha() for c in message.replace("cppcc worker", "").replace("SQLite", ""))
    finally:
        first.release()
    worker_lock.hold_worker(database, "cppcc worker").release()  # free again once the first has gone


def test_postgresql_workers_are_not_locked_out(database, settings):
    if settings.database_url.startswith("sqlite"):
        pytest.skip("needs PostgreSQL (CPPCC_TEST_DATABASE_URL)")
    assert worker_lock.hold_worker(database, "a") is None and worker_lock.hold_worker(database, "b") is None


def test_two_worker_processes_the_second_is_refused(database, settings, tmp_path):
    sqlite_only(settings)
    env = {**os.environ, "CPPCC_DATABASE_URL": settings.database_url, "PYTHONUNBUFFERED": "1"}
    cppcc = [sys.executable, "-m", "api.cli"]
    first = subprocess.Popen([*cppcc, "worker", "--interval", "3600"], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        started = first.stdout.readline()
        assert "定时任务已启动" in started, started + first.stderr.read() if first.poll() is not None else started
        second = subprocess.run([*cppcc, "worker", "--once"], cwd=ROOT, env=env, text=True, capture_output=True,
                                timeout=120)
        assert second.returncode == 1
        assert "已有定时任务进程" in second.stderr and f"进程 {first.pid}" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr and "Error" not in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=30)
    again = subprocess.run([*cppcc, "worker", "--once"], cwd=ROOT, env=env, text=True, capture_output=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr  # the lock went with the process


def test_two_rounds_at_once_on_sqlite_fire_and_send_everything_once(moving_clock, walk, settings, monkeypatch):
    sqlite_only(settings)
    gateway = Gateway(delay=0.05)
    try:
        proposals = [assigned(walk) for _ in range(4)]
        for name in ("fgw_clerk", "fgw_head"):
            set_contact(walk.db, name, phone="13900000000")
        moving_clock.set(at(2025, 10, 17, 9, 0, 0))  # acceptance reminders and overdue timers all due
        monkeypatch.setattr(walk.rt, "settings", with_sms(walk.rt.settings, gateway.url))
        barrier, errors, results = threading.Barrier(2), [], []

        def worker():
            database = Database(settings.database_url)
            try:
                barrier.wait()
                results.append(timers.run_once(database, walk.rt))
            except BaseException as err:  # noqa: BLE001 — reported below
                errors.append(err)
            finally:
                database.engine.dispose()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        assert sum(r["fired"] for r in results) == len(proposals)
        for pid in proposals:
            assert [e.title for e in events(walk, pid, "timer")] == ["签收提醒", "签收超期"], pid
        keys = [r["headers"]["Idempotency-Key"] for r in gateway.requests]
        assert keys and len(keys) == len(set(keys)), "a text message went out twice"
    finally:
        gateway.close()


class Killed(BaseException):
    """The worker process dies (kill -9) right after a send returned, before the commit."""


def test_a_kill_between_send_and_commit_resends_with_the_same_key(directory, runtime, settings, smtp_server):
    port, inbox = smtp_server
    gateway = Gateway()
    try:
        set_contact(directory, "fgw_clerk", email="clerk@fgw.example", phone="13900000001")
        enqueue(directory, runtime.region, ["fgw_clerk"], kind="assigned")  # in-app, e-mail, SMS
        configured = with_sms(dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port), gateway.url)
        adapters = notify.channels_from_settings(configured)

        killed = set()

        class DiesAfterTheFirstSend:
            def __init__(self, adapter):
                self.adapter = adapter

            def send(self, row, user):
                self.adapter.send(row, user)
                if row.id not in killed:
                    killed.add(row.id)
                    raise Killed()

        dying = {channel: DiesAfterTheFirstSend(adapter) for channel, adapter in adapters.items()}
        for _ in range(2):  # the e-mail, then the text message: each worker dies right after sending
            with pytest.raises(Killed):
                notify.deliver_due(directory, configured, NOW, channels=dying)
        rows = {r.channel: r for r in notify_rows(directory)}
        assert rows["email"].status == "sent" and rows["sms"].status == "pending"  # nothing of the 2nd committed
        assert notify.deliver_due(directory, configured, NOW, channels=dying)["sent"] == 1
        assert [r.status for r in notify_rows(directory)] == ["sent", "sent"] and len(killed) == 2

        email_key = channels.delivery_key(rows["email"])
        ids = [m["Message-ID"] for m in inbox.messages()]
        assert len(ids) == 2 and ids[0] == ids[1] and email_key in ids[0]
        sms_key = channels.delivery_key(rows["sms"])
        sent = [(r["headers"]["Idempotency-Key"], r["json"]["message_id"]) for r in gateway.requests]
        assert sent == [(sms_key, sms_key)] * 2
        assert email_key != sms_key
    finally:
        gateway.close()


def notify_rows(database):
    with UnitOfWork(database) as uow:
        return list(uow.session.scalars(select(Notification).where(Notification.channel != "inapp")
                                        .order_by(Notification.id)))
