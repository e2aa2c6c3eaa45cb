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

from api import create_app
from api.http import attachments
from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.settings import Settings
from engine.services.directory import add_user, sync_units
from engine.tooling.demo import on_day

PASSWORD = "pw-测试"
# username: (name, roles, unit)
PEOPLE = {
    "wy_chen": ("陈委员", ["proposer"], None),       # author of p1 and p2
    "wy_lin": ("林委员", ["proposer"], None),        # co-signer of p1 and p2
    "wy_wu": ("吴委员", ["proposer"], None),         # author of p3 only
    "tw_li": ("提案委李", ["committee"], None),
    "zfb_wang": ("政府办王", ["gov_office"], None),
    "dcs_zhou": ("督查室周", ["supervisor"], None),
    "deputy_zhao": ("赵副区长", ["deputy_head"], None),
    "fgw_clerk": ("发改委经办人", ["unit_clerk"], "fgw"),  # lead unit of p1
    "fgw_head": ("发改委负责人", ["unit_head"], "fgw"),
    "jw_clerk": ("经委经办人", ["unit_clerk"], "jw"),      # assisting unit of p1
    "jtw_clerk": ("交通委经办人", ["unit_clerk"], "jtw"),  # no part in any proposal
}
PROPOSAL = {"title": "关于加强停车管理的建议", "category": "urban",
            "body": "停车难问题日益突出，需要综合治理。", "suggestions": "建设立体停车库"}
# Valid form data for every task the world leaves open.
FORM_DATA = {
    "cosigner_confirm": {"agree": True},
    "review": {"review_decision": "file", "category": "urban"},
    "consultation": {"contact_date": "2026-11-01", "contact_way": "phone", "contact_people": "张科长",
                     "contact_content": "电话沟通办理思路", "proposer_view": "赞同", "more_contacts": False},
    "assist_opinion": {"opinion_text": "同意主办单位意见", "contact_person": "王科长"},
}


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


def _seed(database, runtime) -> None:
    with UnitOfWork(database) as uow:
        sync_units(uow.session, runtime.region)
        for username, (name, roles, unit) in PEOPLE.items():
            add_user(uow.session, username, name, PASSWORD, roles, unit)
        uow.commit()


@pytest.fixture
def database(request, settings, runtime, runtimes, templates):
    """The test database, copied from a template: the region's units and PEOPLE, and, for a
    test that uses `world`, the world's proposals (walked through the API once per process
    and day, on the real clock, by an app of its own on the template)."""
    url = settings.database_url
    world_key = _world_key(request, settings)
    if world_key:
        def build(db):
            _seed(db, runtime)
            builder = create_app(replace(settings, database_url=db.url), runtime=runtimes.get(settings),
                                 database=db)
            return walk_world(Api(builder))
        request.node.stash[WORLD] = templates.copy(url, world_key, build)
    else:
        templates.copy(url, "api people", lambda db: _seed(db, runtime))
    db = Database(url)
    yield db
    db.engine.dispose()


WORLD = pytest.StashKey[dict]()


def _world_key(request, settings):
    """The template key of the world for this test, or None when the world must be walked on
    the test's own app (the test does not ask for it by name, or a moved clock is in use)."""
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
def world(request, api):
    """Three proposals, walked through the API, leaving four kinds of open task.

    p1 (陈委员, co-signed by 林委员): filed and assigned to fgw (lead) with jw
       assisting; open: consultation (fgw clerk), assist_opinion (jw clerk).
    p2 (陈委员, co-signer 林委员 invited): open: cosigner_confirm (林委员 only).
    p3 (吴委员): open: review (committee).
    Returns {"p1": id, ..., "tasks": {task name: task id}}.
    """
    made = request.node.stash.get(WORLD, None)
    return copy.deepcopy(made) if made is not None else walk_world(api)


def walk_world(api: Api) -> dict:
    """Walk the world of `world` through the API; return its ids."""
    p1 = api.submit("wy_chen", cosigners=["wy_lin"])
    api.do("wy_lin", "cosigner_confirm", p1, {"agree": True})
    api.do("tw_li", "review", p1, FORM_DATA["review"])
    api.do("tw_li", "assign", p1, {"assign_mode": "joint", "lead_unit_ids": ["fgw"],
                                   "assisting_unit_ids": ["jw"], "is_key": False})
    api.do("fgw_clerk", "accept", p1, {"accept_decision": "accept"})
    api.do("fgw_clerk", "plan_draft", p1, {"plan_content": "分步建设立体停车库", "plan_responsible": "张科长",
                                           "plan_finish_date": on_day(14)})
    api.do("fgw_head", "plan_approve", p1, {"approved": True})
    p2 = api.submit("wy_chen", title="关于增设社区养老服务点的建议", cosigners=["wy_lin"])
    p3 = api.submit("wy_wu", title="关于改善菜市场环境的建议")
    tasks = {
        "consultation": api.task_id("fgw_clerk", "consultation", p1),
        "assist_opinion": api.task_id("jw_clerk", "assist_opinion", p1),
        "cosigner_confirm": api.task_id("wy_lin", "cosigner_confirm", p2),
        "review": api.task_id("tw_li", "review", p3),
    }
    return {"p1": p1, "p2": p2, "p3": p3, "tasks": tasks}
