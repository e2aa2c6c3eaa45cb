"""The login page: where it sends you afterwards, how often it lets you guess, what logging
out ends, and when its cookie is Secure."""
import re
from urllib.parse import urljoin, urlsplit

import pytest

from engine.model.settings import Settings

HOME = "/tasks"


def browser_target(location: str) -> str:
    """Where a browser goes for this Location header: the WHATWG URL parser strips tabs
    and newlines and reads a backslash as a slash before resolving against the page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 ").replace("\\", "/")
    return urljoin("http://localhost/login", cleaned)


def login_with_next(b, next_raw: str, password="demo123"):
    b.get("/login")
    return b.post(f"/login?next={next_raw}", {"username": "tawei_li", "password": password})


@pytest.mark.parametrize("next_raw", [
    "/%09/evil.example", "/%09%09/evil.example", "%09//evil.example", "/%0A/evil.example", "/%0D/evil.example",
    "%0A", "%0D", "/%0D%0ASet-Cookie:%20x=1", "//evil.example", "///evil.example", "/\\evil.example",
    "/%5Cevil.example", "%5C%5Cevil.example", "/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example",
    "https://evil.example/", "https:evil.example", "javascript:alert(1)", "%20//evil.example",
    "/%E3%80%80/evil.example", "/api/me", "tasks", "/.%2F/evil.example",
])
def test_next_never_leaves_the_site(browser, next_raw):
    response = login_with_next(browser(), next_raw)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    assert urlsplit(browser_target(location)).netloc == "localhost", location
    assert location == HOME


def test_a_nul_in_next_is_refused_and_goes_nowhere(browser):
    """A NUL in any query parameter is a 400 before anything else (api/http/input_checks.py)."""
    response = login_with_next(browser(), "/%00/evil.example")
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("next_raw, expected", [
    ("/proposals", "/proposals"), ("/proposals%3Fq%3D%25E5%2581%259C%26page%3D2", "/proposals?q=%E5%81%9C&page=2"),
    ("%2Fproposals%3Fstatus%3Dreview", "/proposals?status=review"), ("/tasks/abc-1", "/tasks/abc-1"),
])
def test_next_to_a_page_of_the_site_is_followed(browser, next_raw, expected):
    response = login_with_next(browser(), next_raw)
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_the_login_redirect_round_trip_keeps_the_page(browser):
    b = browser()
    response = b.get("/proposals?q=停车")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    b.get(login_url)
    response = b.post(login_url, {"username": "tawei_li", "password": "demo123"})
    assert response.status_code == 302 and response.headers["Location"] == "/proposals?q=%E5%81%9C%E8%BD%A6"


# failed logins are limited per account and per address, in the database

def wrong(b, username="tawei_li", address="10.0.0.1"):
    b.get("/login")
    return b.post("/login", {"username": username, "password": "wrong"}, environ_base={"REMOTE_ADDR": address})


def test_failed_logins_lock_the_account_for_a_while(browser, app):
    b = browser()
    for _ in range(5):
        assert wrong(b).status_code == 401
    response = b.post("/login", {"username": "tawei_li", "password": "demo123"},
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})  # the right password, from elsewhere
    text = response.get_data(as_text=True)
    assert response.status_code == 429 and "登录失败次数过多，请 15 分钟后再试" in text
    assert response.headers["Retry-After"] == str(15 * 60)
    # another account from another address is not affected
    other = browser()
    other.get("/login")
    assert other.post("/login", {"username": "tawei_xu", "password": "demo123"},
                      environ_base={"REMOTE_ADDR": "10.0.0.3"}).status_code == 302


def test_the_lock_is_shared_by_every_server_process_of_the_database(browser, app, settings, runtimes):
    from api import create_app
    b = browser()
    for _ in range(5):
        wrong(b)
    second = create_app(settings, runtime=runtimes.get(settings))  # another server process on the same database
    client = second.test_client()
    response = client.post("/api/auth/login", json={"username": "tawei_li", "password": "demo123"})
    assert response.status_code == 429 and "登录失败次数过多" in response.get_json()["error"]["message"]
    second.extensions["cppcc"]["db"].engine.dispose()


def test_the_lock_ends_after_the_window(browser, monkeypatch):
    from datetime import timedelta

    from engine.services import logins
    b = browser()
    for _ in range(5):
        wrong(b)
    assert b.post("/login", {"username": "tawei_li", "password": "demo123"}).status_code == 429
    real_now = logins.utcnow
    monkeypatch.setattr(logins, "utcnow", lambda: real_now() + timedelta(minutes=15, seconds=1))
    assert b.post("/login", {"username": "tawei_li", "password": "demo123"}).status_code == 302


def test_failed_logins_from_one_address_are_limited_across_accounts(browser):
    b = browser()
    names = [f"nobody{i}" for i in range(20)]
    for name in names:
        assert wrong(b, name, address="10.9.9.9").status_code == 401
    response = b.post("/login", {"username": "tawei_li", "password": "demo123"},
                      environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 429 and "登录失败次数过多" in response.get_data(as_text=True)
    assert b.post("/login", {"username": "tawei_li", "password": "demo123"},
                  environ_base={"REMOTE_ADDR": "10.9.9.8"}).status_code == 302


def test_a_successful_login_clears_the_accounts_count(browser):
    b = browser()
    for _ in range(4):
        wrong(b)
    b.post("/login", {"username": "tawei_li", "password": "demo123"})
    for _ in range(4):
        assert wrong(browser()).status_code == 401  # four more, not locked yet


def test_the_limits_are_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CPPCC_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("CPPCC_LOGIN_MAX_FAILURES_PER_ADDRESS", "7")
    monkeypatch.setenv("CPPCC_LOGIN_LOCKOUT_MINUTES", "30")
    settings = Settings.from_env()
    assert (settings.login_max_failures, settings.login_max_failures_per_address,
            settings.login_lockout_minutes) == (3, 7, 30)
    monkeypatch.setenv("CPPCC_LOGIN_MAX_FAILURES", "0")
    with pytest.raises(ValueError, match="CPPCC_LOGIN_MAX_FAILURES"):
        Settings.from_env()


# logging out ends the session on the server

def test_a_copied_cookie_stops_working_after_logout(browser, app):
    b = browser().login("tawei_li")
    stolen = b.client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/tasks").status_code == 200
    b.get("/tasks")
    b.post("/logout")
    response = thief.get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logging_out_ends_only_that_session(browser):
    first, second = browser().login("tawei_li"), browser().login("tawei_li")
    first.get("/tasks")
    first.post("/logout")
    assert first.get("/tasks").status_code == 302
    assert second.get("/tasks").status_code == 200


def test_a_deactivated_account_loses_its_open_sessions(browser, app):
    from engine.adapters.db import UnitOfWork
    from engine.model.tables import User
    b = browser().login("tawei_li")
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        uow.session.query(User).filter_by(username="tawei_li").update({"active": False})
        uow.commit()
    assert b.get("/tasks").status_code == 302


# Secure cookies over HTTPS

def _login_cookie_header(client, **kw):
    if kw.get("base_url", "").startswith("https:") or "https" in kw.get("headers", {}).values():
        kw["headers"] = {**kw.get("headers", {}), "Referer": "https://localhost/login"}  # as a browser sends it
    page = client.get("/login", **kw).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "tawei_li", "password": "demo123", "csrf_token": token}, **kw)
    assert response.status_code == 302
    return response.headers["Set-Cookie"]


def test_cookie_is_secure_over_https_only(app):
    cookie = _login_cookie_header(app.test_client(), base_url="https://localhost")
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "; Secure" not in _login_cookie_header(app.test_client())


def test_cookie_is_secure_behind_a_tls_proxy_when_configured(app, settings, runtimes):
    from dataclasses import replace

    from api import create_app
    app = create_app(replace(settings, proxy_hops=1), runtime=runtimes.get(settings))  # on the database the `app` fixture filled
    proxied = {"headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}}
    assert "; Secure" in _login_cookie_header(app.test_client(), **proxied)
    forced = create_app(replace(settings, secure_cookies=True), runtime=runtimes.get(settings))
    assert "; Secure" in _login_cookie_header(forced.test_client())
    for each in (app, forced):
        each.extensions["cppcc"]["db"].engine.dispose()


def test_without_proxy_setting_forwarded_headers_are_not_trusted(app):
    cookie = _login_cookie_header(app.test_client(), headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" not in cookie
