"""The demo's moved clock (`cppcc run-timers --at`) is one clock for every demo process.

It is stored in the database: the server started with --demo (pages, API, its
worker) reads it, so after `run-timers --at` tasks are overdue on the pages as
the timers say. Outgoing e-mail and SMS are scheduled on the real clock: the
demo never delays a real message. The clock only moves forward, and only on a
database that holds demo data.
"""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api import create_app
from api.cli import main as cppcc
from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.tables import Notification, OpenTask, Proposal
from engine.tooling import demo_clock
from engine.tooling.demo import FILE, act, seed_people, submit
from engine.workflow.runtime import Runtime

ASSIGN = {"assign_mode": "single", "lead_unit_ids": ["jtw"], "assisting_unit_ids": [], "is_key": False}


@pytest.fixture
def demo(settings, monkeypatch):
    """A demo database (demo people, marked as demo) with one proposal waiting for 签收 at jtw;
    the `cppcc` command reads the same database. Yields (database, runtime, proposal id)."""
    monkeypatch.setenv("CPPCC_DATABASE_URL", settings.database_url)
    for name in ("CPPCC_SMTP_HOST", "CPPCC_SMS_URL", "CPPCC_REGION"):
        monkeypatch.delenv(name, raising=False)
    database = Database(settings.database_url)
    database.drop_schema()
    database.create_schema()
    rt = Runtime(settings)
    with UnitOfWork(database) as uow:
        seed_people(uow.session, rt)
        demo_clock.mark_demo(uow.session)
        uow.commit()
    pid = submit(database, rt, "wy_chen", "关于加强停车管理的建议", "urban", "停车难问题日益突出，需要综合治理。", "建设立体停车库")
    act(database, rt, "tawei_li", "review", {**FILE, "category": "urban"}, pid)
    act(database, rt, "tawei_li", "assign", ASSIGN, pid)
    yield database, rt, pid
    clock.use(clock.SystemClock())
    database.engine.dispose()


@pytest.fixture
def app(demo):
    """The server of the demo database, as `cppcc serve --demo` makes it."""
    database, rt, pid = demo
    return create_app(rt.settings, runtime=rt, database=database, demo=True)


def accept_due(database, pid) -> datetime:
    with UnitOfWork(database) as uow:
        row = uow.session.scalar(select(OpenTask).where(OpenTask.proposal_id == pid, OpenTask.name == "accept"))
        return row.due_at


def pending_real_messages(database) -> list[Notification]:
    with UnitOfWork(database) as uow:
        return list(uow.session.scalars(select(Notification).where(Notification.channel != "inapp",
                                                                   Notification.status == "pending")))


def test_run_timers_never_delays_real_messages(demo, capsys):
    database, rt, pid = demo
    before = pending_real_messages(database)
    assert before, "the assignment should have queued e-mails and text messages"
    moved_to = accept_due(database, pid) + timedelta(days=2)
    assert cppcc(["run-timers", "--at", moved_to.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "签收超期" in out
    with UnitOfWork(database) as uow:
        number = uow.session.get(Proposal, pid).number
    assert f"〔{number}〕" in out and f"提案 {pid}" not in out  # the proposal's number, never its row id
    real_now = datetime.now(UTC)
    after = pending_real_messages(database)
    assert len(after) > len(before)  # the reminders and overdue notices the round queued
    for row in after:  # waiting for a channel: looked at again within minutes of real time, not of the demo's
        assert row.next_attempt_at <= real_now + timedelta(minutes=6), (row.kind, row.next_attempt_at)


def test_pages_api_and_timers_read_the_same_moved_clock(demo, app, browser, capsys):
    database, rt, pid = demo
    clerk = browser().login("jtw_clerk")  # the server runs while the demo moves the clock
    due = accept_due(database, pid)
    server_clock = clock.current()
    assert cppcc(["run-timers", "--at", (due + timedelta(days=2)).isoformat()]) == 0  # "another process"
    clock.use(server_clock)  # back in the server's process: its clock reads what the command stored
    assert server_clock.now() < due  # not yet: it reads the database at the next request
    token = app.test_client().post("/api/auth/login", json={"username": "jtw_clerk", "password": "demo123"})
    items = app.test_client().get("/api/tasks", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    [accept] = [t for t in items.get_json()["items"] if t["name"] == "accept"]
    assert accept["overdue"] is True
    page = clerk.text(f"/tasks/{accept['id']}")
    assert "已超期" in page
    assert "已超期" in clerk.text("/tasks")
    # a step taken in the server now happens at the demo's time, after the timers' events
    clerk.post(f"/tasks/{accept['id']}", {"accept_decision": "accept", "version": ""})
    with UnitOfWork(database) as uow:
        plan = uow.session.scalar(select(OpenTask).where(OpenTask.proposal_id == pid, OpenTask.name == "plan_draft"))
        assert plan.created_at > due
        assert uow.session.get(Proposal, pid).updated_at > due


def test_a_new_process_reads_the_stored_clock(demo):
    database, rt, pid = demo
    target = datetime.now(UTC) + timedelta(days=40)
    assert cppcc(["run-timers", "--at", target.isoformat()]) == 0
    other = demo_clock.DemoClock(Database(rt.settings.database_url))  # e.g. `cppcc worker --demo`
    other.sync()
    assert abs(other.now() - target) < timedelta(minutes=1)
    assert abs(other.real_now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_clock_moves_forward_only_and_only_on_a_demo_database(demo, capsys, settings):
    database, rt, pid = demo
    target = datetime.now(UTC) + timedelta(days=40)
    assert cppcc(["run-timers", "--at", target.isoformat()]) == 0
    assert cppcc(["run-timers", "--at", (target - timedelta(days=1)).isoformat()]) == 1
    err = capsys.readouterr().err
    assert "只能向后拨" in err
    with UnitOfWork(database) as uow:
        demo_clock.unmark_demo(uow.session)
        uow.commit()
    assert cppcc(["run-timers", "--at", (target + timedelta(days=1)).isoformat()]) == 1
    assert "演示数据" in capsys.readouterr().err


def test_the_overdue_report_counts_in_the_demo_year(demo, app, browser):
    database, rt, pid = demo
    server_clock = clock.current()
    next_year = datetime(datetime.now(UTC).year + 1, 1, 20, 10, tzinfo=clock.CHINA)
    assert cppcc(["run-timers", "--at", next_year.isoformat()]) == 0
    clock.use(server_clock)
    page = browser().login("tawei_li").text("/reports/overdue")  # no dates given: the demo's year
    assert f"{next_year.year}-01-01" in page and "区交通委员会" in page


def test_logins_last_real_hours_when_the_demo_clock_moves_a_month_ahead(demo, app, browser):
    """The demo's clock moves the story (clock.now), not the world: a person logged in, or an
    API token issued, before the clock moved is still logged in (logins read clock.real_now)."""
    database, rt, pid = demo
    clerk = browser().login("jtw_clerk")
    token = app.test_client().post("/api/auth/login", json={"username": "jtw_clerk", "password": "demo123"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    server_clock = clock.current()
    assert cppcc(["run-timers", "--at", (server_clock.now() + timedelta(days=31)).isoformat()]) == 0
    clock.use(server_clock)
    assert clerk.get("/tasks").status_code == 200
    assert app.test_client().get("/api/me", headers=headers).status_code == 200
    assert clock.now() - clock.real_now() > timedelta(days=30)  # the story is a month ahead
