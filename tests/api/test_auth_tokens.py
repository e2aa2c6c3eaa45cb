"""API login: tokens that expire and can be revoked, failed logins limited, and a failure
that takes the same time whether the account exists or not."""
import statistics
import time

import pytest
from werkzeug import security

from engine.adapters.db import UnitOfWork
from engine.services import accounts
from engine.services.directory import add_user

PASSWORD = "pw-测试"  # tests/api/conftest.py


def login(api, username="wy_chen", password=PASSWORD, address="10.1.1.1"):
    return api.client.post("/api/auth/login", json={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": address})


def test_logout_revokes_the_presented_token(api):
    first, second = login(api).get_json()["token"], login(api).get_json()["token"]
    response = api.client.post("/api/auth/logout", headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 204
    response = api.client.get("/api/me", headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "登录已失效，请重新登录"
    # the user's other token (another device) still works
    assert api.client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_logout_without_a_valid_token_is_401(api):
    assert api.client.post("/api/auth/logout").status_code == 401
    assert api.client.post("/api/auth/logout", headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("settings_overrides", [{"token_max_age": 1}])
def test_a_token_expires_after_its_max_age(api):
    token = login(api).get_json()["token"]
    assert api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    time.sleep(2.2)
    response = api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "登录已过期，请重新登录"


def test_the_default_max_age_is_eight_hours(app):
    assert app.extensions["cppcc"]["settings"].token_max_age == 8 * 3600


def test_a_token_of_a_deactivated_account_is_refused(api, app):
    from engine.model.tables import User
    token = login(api).get_json()["token"]
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        uow.session.query(User).filter_by(username="wy_chen").update({"active": False})
        uow.commit()
    assert api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_failed_api_logins_are_limited(api):
    for _ in range(5):
        assert login(api, password="wrong").status_code == 401
    response = login(api, address="10.1.1.2")
    error = response.get_json()["error"]
    assert response.status_code == 429 and error["message"] == "登录失败次数过多，请 15 分钟后再试"
    assert response.headers["Retry-After"] == "900"


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 2, "login_lockout_minutes": 3}])
def test_the_limit_follows_the_settings(api):
    for _ in range(2):
        login(api, password="wrong")
    assert login(api).get_json()["error"]["message"] == "登录失败次数过多，请 3 分钟后再试"


@pytest.mark.parametrize("username", ["x" * 5000, "陈" * 100])
def test_odd_usernames_fail_like_any_wrong_login(api, username):
    response = login(api, username=username)
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "用户名或密码不正确"


def test_a_nul_in_the_username_is_refused_before_any_account_is_looked_at(api):
    """Like a NUL anywhere in a request (api/http/input_checks.py): a 400 naming the field, the
    same whether or not such an account exists."""
    for username in ("wy\x00chen", "nobody\x00"):
        response = login(api, username=username)
        assert response.status_code == 400
        assert [e["field"] for e in response.get_json()["error"]["errors"]] == ["username"]


def test_an_unknown_account_costs_one_password_check(api, monkeypatch):
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    login(api, username="nobody", password="wrong")
    login(api, username="wy_chen", password="wrong")
    assert len(calls) == 2 and calls[0] != calls[1]


def test_a_failure_takes_the_same_time_whether_the_account_exists_or_not(api, app, monkeypatch):
    slow = "pbkdf2:sha256:200000"
    monkeypatch.setenv("CPPCC_PASSWORD_HASH", slow)
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        add_user(uow.session, "slow_user", "慢哈希", PASSWORD, ["proposer"], None,
                 password_hash=security.generate_password_hash(PASSWORD, method=slow))
        uow.commit()

    def seconds(username, address):
        started = time.perf_counter()
        assert login(api, username=username, password="wrong", address=address).status_code == 401
        return time.perf_counter() - started

    known, unknown = [], []
    for i in range(4):  # alternate, each from its own address so that no limit applies
        known.append(seconds("slow_user", f"10.2.0.{i}"))
        unknown.append(seconds(f"ghost{i}", f"10.3.0.{i}"))
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    assert known_median > 0.03, known  # the slow hash is measurable
    assert 0.6 < unknown_median / known_median < 1.6, (known, unknown)


def test_openapi_documents_logout_and_the_limit(api):
    doc = api.client.get("/api/openapi.json").get_json()
    logout = doc["paths"]["/api/auth/logout"]["post"]
    assert "204" in logout["responses"] and "401" in logout["responses"]
    assert "429" in doc["paths"]["/api/auth/login"]["post"]["responses"]
