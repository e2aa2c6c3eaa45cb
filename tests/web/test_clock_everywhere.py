"""Every "now" goes through the engine's clock (engine/model/clock.py): logins, idle pages,
API tokens and failed-login lockouts end when the clock says so, not the wall clock; and
stored times come back aware UTC on every database (UtcDateTime)."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import Event, Proposal
from engine.services import logins

HOME = "/tasks"


@pytest.fixture
def moving():
    """The engine's clock standing at the real now until moved; the system clock afterwards."""
    moving = clock.MovableClock(datetime.now(UTC))
    clock.use(moving)
    yield moving
    clock.use(clock.SystemClock())


def test_a_page_login_ends_when_the_clocks_eight_hours_have_passed(browser, moving):
    b = browser().login("tawei_li")
    for _ in range(4):  # busy all day (7 h 20 min): never idle for two hours
        moving.advance(hours=1, minutes=50)
        assert b.get(HOME).status_code == 200
    moving.advance(hours=1)  # 8 h 20 min after logging in
    response = b.get(HOME)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_idle_page_ends_after_two_hours_on_the_clock(browser, moving):
    b = browser().login("tawei_li")
    moving.advance(hours=2, minutes=1)
    response = b.get(HOME)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_api_token_expires_on_the_clock(app, moving):
    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": "tawei_li", "password": "demo123"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    moving.advance(seconds=app.extensions["cppcc"]["settings"].token_max_age + 60)
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "登录已过期，请重新登录"


def test_a_locked_account_opens_again_when_the_clocks_window_has_passed(app, moving):
    client = app.test_client()
    settings = app.extensions["cppcc"]["settings"]
    for _ in range(settings.login_max_failures):
        client.post("/api/auth/login", json={"username": "tawei_li", "password": "wrong"})
    assert client.post("/api/auth/login", json={"username": "tawei_li", "password": "demo123"}).status_code == 429
    moving.advance(minutes=settings.login_lockout_minutes + 1)
    assert client.post("/api/auth/login", json={"username": "tawei_li", "password": "demo123"}).status_code == 200


def test_logins_read_the_outside_worlds_time_not_the_storys(moving):
    """Under the demo's clock the story runs ahead of the world: a login lasts real hours."""
    moving.real_now = lambda: moving.now() - timedelta(days=30)  # the story a month ahead
    assert logins.utcnow() == moving.now() - timedelta(days=30)


def test_stored_times_come_back_aware_utc_and_compare_across_zones(app, browser):
    b = browser().login("wy_chen")
    b.get("/proposals/new")
    assert b.post("/proposals/new", {"title": "关于加强停车管理的建议", "category": "urban",
                                     "body": "停车难问题日益突出。", "suggestions": "建设停车库"}).status_code == 302
    database = app.extensions["cppcc"]["db"]
    with UnitOfWork(database) as uow:
        submitted = uow.session.scalar(select(Proposal.submitted_at))
        assert submitted.utcoffset() == timedelta(0)
        china = submitted.astimezone(clock.CHINA)  # the same instant, written as China time
        found = uow.session.scalars(select(Event.kind).where(Event.at >= china - timedelta(seconds=1),
                                                             Event.at <= china + timedelta(minutes=1))).all()
        assert "submitted" in found
        with pytest.raises(Exception) as err:  # a time without its zone is never stored
            uow.session.add(Event(proposal_id=1, at=datetime(2026, 1, 1, 9, 0), kind="x", title="x"))
            uow.session.flush()
        assert "aware" in str(err.value)
