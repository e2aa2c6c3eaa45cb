"""Fixtures for the HTTP API tests: a fresh app and database per test, people for
every role, and a small world of proposals with open tasks of several kinds.

Runs on a temporary SQLite file, or on CPPCC_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) re-created at the start of each
test; either way the database is a copy of a template made once per process
(tests/template_db.py).
"""
import copy
import os
from dataclasses import replace

import pytest
from contract_check import responses_keep_to_the_document  # noqa: F401 (every test: responses checked)
from worlds import FORM_DATA, PASSWORD, PEOPLE, PROPOSAL, Services, api_world, seed_people

from api import create_app
from api.http import attachments
from engine.adapters.db import Database
from engine.model import clock
from engine.model.settings import Settings

__all__ = ["FORM_DATA", "PASSWORD", "PEOPLE", "PROPOSAL", "Api"]  # test modules import them from here


@pytest.fixture
def people():
    """PEOPLE: every account of the test app."""
    return PEOPLE


@pytest.fixture
def form_data():
    """FORM_DATA: valid form data for each task the world leaves open."""
    return FORM_DATA


@pytest.fixture
def settings_overrides():
    """Extra Settings fields for the test's app; parametrize it to change e.g. max_upload_bytes."""
    return {}


@pytest.fixture
def settings(tmp_path, settings_overrides):
    """Settings of the test app (not read from the environment): the test database, uploads
    under tmp_path/uploads, the run's signing key."""
    url = os.environ.get("CPPCC_TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/t.db"
    return Settings(database_url=url, upload_dir=tmp_path / "uploads",
                    secret_key=os.environ.get("CPPCC_SECRET_KEY"), **settings_overrides)


@pytest.fixture
def database(request, settings, runtime, runtimes, templates):
    """The test database, copied from a template: the region's units and PEOPLE, and, for a
    test that uses `world`, the world's proposals (built through the service layer once per
    process and day, on the real clock, with a runtime of its own on the template)."""
    url = settings.database_url
    world_key = _world_key(request, settings)
    if world_key:
        def build(db):
            seed_people(db, runtime)
            return api_world(Services(db, runtimes.get(replace(settings, database_url=db.url))))
        request.node.stash[WORLD] = templates.copy(url, world_key, build)
    else:
        templates.copy(url, "api people", lambda db: seed_people(db, runtime))
    db = Database(url)
    yield db
    db.engine.dispose()


WORLD = pytest.StashKey[dict]()


def _world_key(request, settings):
    """The template key of the world for this test, or None when the world must be built on
    the test's own database (the test does not ask for it by name, or a moved clock is in use)."""
    if "world" not in request.fixturenames or not isinstance(clock.current(), clock.SystemClock):
        return None
    day = clock.now().astimezone(clock.CHINA).date().isoformat()  # deadlines count from the day it was walked
    return ("api world", day, repr(sorted(request.getfixturevalue("settings_overrides").items())))


@pytest.fixture
def app(settings, runtime, database):
    """A fresh app on the test database, with the region's units and PEOPLE; uploads go to tmp_path/uploads."""
    app = create_app(settings, runtime=runtime, database=database)
    attachments.init_app(app)  # until api/__init__.py registers it (a second call is harmless)
    return app


class Api:
    """The test client, acting as one of PEOPLE per call (logged in through the API)."""

    def __init__(self, app):
        self.client = app.test_client()
        self._tokens = {}

    def headers(self, username: str) -> dict:
        """The Authorization header of `username`, logging in on first use."""
        if username not in self._tokens:
            response = self.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self._tokens[username] = response.get_json()["token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def get(self, username: str, path: str, **kwargs):
        """GET `path` as `username`."""
        return self._again(username, lambda: self.client.get(path, headers=self.headers(username), **kwargs))

    def post(self, username: str, path: str, body=None, **kwargs):
        """POST a JSON body to `path` as `username`."""
        return self._again(username, lambda: self.client.post(path, json=body, headers=self.headers(username), **kwargs))

    def _again(self, username: str, send):
        """Send; when a moved clock outlived the token (401), log in again and resend once."""
        response = send()
        if response.status_code == 401 and username in self._tokens:
            del self._tokens[username]
            response = send()
        return response

    def submit(self, username: str, **fields) -> int:
        """Submit a proposal as `username`; return its id."""
        response = self.post(username, "/api/proposals", {**PROPOSAL, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def my_tasks(self, username: str, **query) -> list[dict]:
        """The task list of `username`."""
        response = self.get(username, "/api/tasks", query_string=query)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def task_id(self, username: str, name: str, proposal_id: int) -> str:
        """The id of the open task `name` of a proposal in `username`'s list."""
        items = self.my_tasks(username, name=name, proposal_id=proposal_id)
        assert items, f"{username} has no task {name} on proposal {proposal_id}"
        return items[0]["id"]

    def do(self, username: str, name: str, proposal_id: int, data: dict) -> dict:
        """Complete `username`'s task `name` on a proposal; return the result."""
        task_id = self.task_id(username, name, proposal_id)
        response = self.post(username, f"/api/tasks/{task_id}/complete", {"data": data})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def api(app):
    """An Api over the fresh app."""
    return Api(app)


@pytest.fixture
def world(request, database, runtime):
    """The world of tests/worlds.py `api_world`, built through the service layer: three
    proposals leaving four kinds of open task.

    p1 (陈委员, co-signed by 林委员): filed and assigned to fgw (lead) with jw
       assisting; open: consultation (fgw clerk), assist_opinion (jw clerk).
    p2 (陈委员, co-signer 林委员 invited): open: cosigner_confirm (林委员 only).
    p3 (吴委员): open: review (committee).
    Returns {"p1": id, ..., "tasks": {task name: task id}}: a copy of the template's (see
    `database`), or, under a moved clock, built on the test's database at the clock's now.
    """
    made = request.node.stash.get(WORLD, None)
    return copy.deepcopy(made) if made is not None else api_world(Services(database, runtime))
