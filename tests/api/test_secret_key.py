"""No fixed secret: without CPPCC_SECRET_KEY the demo makes and keeps its own random key,
a server on a production database refuses to start, and a token signed with any
published default (the project's old fixed one included) is refused."""
import os
import re
import stat
import subprocess
import sys
import time

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from api import create_app
from engine.adapters.db import UnitOfWork
from engine.model.settings import PROJECT_ROOT, Settings
from engine.services.directory import add_user, sync_units

PASSWORD = "pw-测试"

OLD_FIXED_SECRET = "dev-only-secret-change-me"  # the default this project shipped until it was removed


@pytest.fixture
def bare_settings(tmp_path):
    """Settings on a fresh SQLite file with no secret key configured."""
    return Settings(database_url=f"sqlite:///{tmp_path}/k.db", upload_dir=tmp_path / "uploads",
                    instance_dir=tmp_path / "instance")


def _app_with_people(settings, runtime, **kwargs):
    """An app on `settings` whose database has the unit directory and one proposer."""
    app = create_app(settings, runtime=runtime, **kwargs)
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        sync_units(uow.session, runtime.region)
        add_user(uow.session, "wy_chen", "陈委员", PASSWORD, ["proposer"], None)
        uow.commit()
    return app


def test_no_fixed_secret_in_the_settings():
    assert Settings().secret_key is None
    assert Settings.from_env().secret_key in (None, os.environ.get("CPPCC_SECRET_KEY"))


def test_a_token_signed_with_the_old_fixed_secret_is_refused(bare_settings, runtime):
    app = _app_with_people(bare_settings, runtime)
    client = app.test_client()
    for uid in range(1, 4):
        forged = URLSafeTimedSerializer(OLD_FIXED_SECRET, salt="cppcc-api-token").dumps({"uid": uid})
        response = client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401, response.get_json()


def test_a_page_cookie_signed_with_the_old_fixed_secret_is_refused(bare_settings, runtime):
    forger = Flask("forger")
    forger.secret_key = OLD_FIXED_SECRET
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    app = _app_with_people(bare_settings, runtime)
    client = app.test_client()
    client.set_cookie("session", serializer.dumps({"uid": 1, "seen": int(time.time())}))
    response = client.get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_without_a_key_each_app_gets_its_own_random_one(bare_settings, runtime):
    first = create_app(bare_settings, runtime=runtime).extensions["cppcc"]["settings"].secret_key
    second = create_app(bare_settings, runtime=runtime).extensions["cppcc"]["settings"].secret_key
    assert first != second and len(first) >= 32
    assert not (bare_settings.instance_dir / "secret_key").exists()  # nothing written outside the demo


def test_the_demo_keeps_its_random_key_in_the_instance_folder(bare_settings, runtime):
    key_file = bare_settings.instance_dir / "secret_key"
    app = _app_with_people(bare_settings, runtime, demo=True)
    key = app.extensions["cppcc"]["settings"].secret_key
    assert key_file.read_text().strip() == key and len(key) >= 32 and key != OLD_FIXED_SECRET
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = app.test_client().post("/api/auth/login", json={"username": "wy_chen", "password": PASSWORD}).get_json()
    # a restart of the demo: the same key, so the login stays valid
    again = create_app(bare_settings, runtime=runtime, demo=True)
    assert again.extensions["cppcc"]["settings"].secret_key == key
    response = again.test_client().get("/api/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert response.status_code == 200, response.get_json()


def test_a_configured_key_is_used_as_it_is(bare_settings, runtime):
    from dataclasses import replace
    key = "k" * 40
    app = create_app(replace(bare_settings, secret_key=key), runtime=runtime, demo=True)
    assert app.extensions["cppcc"]["settings"].secret_key == key
    assert not (bare_settings.instance_dir / "secret_key").exists()


def test_a_short_configured_key_is_refused(bare_settings, runtime):
    from dataclasses import replace
    with pytest.raises(ValueError, match="CPPCC_SECRET_KEY.*至少 32"):
        create_app(replace(bare_settings, secret_key="secret"), runtime=runtime)


def test_a_server_on_postgresql_refuses_to_start_without_a_key(tmp_path, runtime):
    # Refused before the database is even contacted (nothing listens on port 1).
    settings = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/none", instance_dir=tmp_path)
    with pytest.raises(ValueError, match="CPPCC_SECRET_KEY") as refused:
        create_app(settings, runtime=runtime)
    assert "未设置" in str(refused.value)


def test_cppcc_serve_on_postgresql_without_a_key_says_so_in_chinese(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CPPCC_SECRET_KEY"}
    result = subprocess.run([sys.executable, "-m", "api.cli", "--database-url",
                             "postgresql+psycopg://postgres@127.0.0.1:1/none", "serve", "--port", "1"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CPPCC_SECRET_KEY" in result.stderr and "未设置" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_fixed_secret_anywhere_in_the_source():
    sources = [p for folder in ("engine", "api", "bin", ".ci") for p in (PROJECT_ROOT / folder).rglob("*")
               if p.is_file() and p.suffix in ("", ".py", ".sh", ".html", ".js")]
    sources += [PROJECT_ROOT / "README.md", PROJECT_ROOT / "CONTRIBUTING.md", *(PROJECT_ROOT / "docs").glob("*.md")]
    assert len(sources) > 20
    for path in sources:
        text = path.read_text(errors="ignore")
        assert OLD_FIXED_SECRET not in text, path
        assert not re.search(r"secret(_key)?\s*(:\s*str\s*)?=\s*['\"]", text, re.IGNORECASE), path
