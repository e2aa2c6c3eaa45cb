"""Fixtures for lifecycle scenarios driven through the HTTP API, run once per region.

`api` drives a scenario through HTTP, as people do; `services` walks the same steps through
the service layer (tests/worlds.py), for the state a test starts from when the walk there is
not what it tests (a reply drafted before its documents are printed...). Both offer the same
verbs (`submit`, `do`, `open`), so the walks (test_lifecycle.py's `file_and_assign`...)
run on either.

Every test here runs under each example region (regions/default, regions/binhai):
the `region` fixture of tests/conftest.py is parametrized, and `facts` names the
region's own units, classes and ratings the walks use, with what its decision
tables make of them. The code under test is the same; only the profile differs.
"""
import pytest
from region_facts import FACTS
from sqlalchemy import select

# A fixture that several modules use, registered here for the whole folder.
from test_unrated import moving as moving
from worlds import Services as WorldServices

from engine.adapters.db import UnitOfWork
from engine.model.tables import OpenTask


@pytest.fixture(params=sorted(FACTS))
def region(request):
    """Each example region in turn."""
    return request.param


@pytest.fixture
def facts(region):
    return FACTS[region]


class Api:
    """A client that acts as any demo user, one token per user."""

    def __init__(self, client, runtime, facts):
        self.client = client
        self.tokens = {}
        self.runtime = runtime
        self.facts = facts
        self.deputies = {u["id"]: u.get("deputy") for u in runtime.region.units}
        self.min_consultations = runtime.region.setting("min_consultations")

    def _headers(self, username):
        if username not in self.tokens:
            r = self.client.post("/api/auth/login", json={"username": username, "password": "demo123"})
            assert r.status_code == 200, r.get_json()
            self.tokens[username] = r.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, username, url, **kw):
        return self._again(username, lambda: self.client.get(url, headers=self._headers(username), **kw))

    def post(self, username, url, json=None):
        return self._again(username, lambda: self.client.post(url, headers=self._headers(username), json=json))

    def _again(self, username, send):
        """Send; when the clock was moved past the token's life (a 401), log in again and resend,
        as a person coming back months later does."""
        response = send()
        if response.status_code == 401 and username in self.tokens:
            del self.tokens[username]
            response = send()
        return response

    def submit(self, username, title="关于加强停车管理的建议", category=None, cosigners=(), source=None):
        r = self.post(username, "/api/proposals", json={
            "title": title, "category": category or self.facts.category,
            "body": "停车难问题日益突出，群众反映强烈，需要综合治理。",
            "suggestions": "一是建设立体停车库；二是推行错时共享停车。", "cosigners": list(cosigners),
            **({"source": source} if source else {})})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def tasks(self, username, proposal_id, name=None):
        params = {"proposal_id": proposal_id, **({"name": name} if name else {})}
        r = self.get(username, "/api/tasks", query_string=params)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    def do(self, username, name, proposal_id, data, expect=200):
        """Complete the user's open task `name` of a proposal with form data."""
        found = self.tasks(username, proposal_id, name)
        assert found, f"{username} has no open task {name} on proposal {proposal_id}; open: {self.open(proposal_id)}"
        r = self.post(username, f"/api/tasks/{found[0]['id']}/complete", json={"data": data})
        assert r.status_code == expect, r.get_json()
        undated = [t["name"] for t in self.proposal(proposal_id)["open_tasks"] if not t["due_at"]]
        assert not undated, f"open tasks without a due date: {undated}"
        return r.get_json()

    def proposal(self, proposal_id, username="tawei_li"):
        r = self.get(username, f"/api/proposals/{proposal_id}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def open(self, proposal_id):
        """Names of the open tasks of a proposal, sorted."""
        return sorted(t["name"] for t in self.proposal(proposal_id)["open_tasks"])


@pytest.fixture
def api(app, facts):
    return Api(app.test_client(), app.extensions["cppcc"]["runtime"], facts)


class Services(WorldServices):
    """The verbs of `Api` through the service layer, as the demo people (tests/worlds.py)."""

    BODY = {"title": "关于加强停车管理的建议", "body": "停车难问题日益突出，群众反映强烈，需要综合治理。",
            "suggestions": "一是建设立体停车库；二是推行错时共享停车。"}

    def __init__(self, database, runtime, facts):
        super().__init__(database, runtime, self.BODY)
        self.runtime, self.facts = runtime, facts
        self.deputies = {u["id"]: u.get("deputy") for u in runtime.region.units}
        self.min_consultations = runtime.region.setting("min_consultations")

    def submit(self, username, title="关于加强停车管理的建议", category=None, cosigners=(), source=None):
        return super().submit(username, title=title, category=category or self.facts.category,
                              cosigners=list(cosigners), **({"source": source} if source else {}))

    def do(self, username, name, proposal_id, data):
        """Complete the user's open task `name` of a proposal; as `Api.do`, every task the case
        then has open must have a due date."""
        result = super().do(username, name, proposal_id, data)
        undated = [t.name for t in self._open_rows(proposal_id) if t.due_at is None]
        assert not undated, f"open tasks without a due date: {undated}"
        return result

    def open(self, proposal_id):
        """Names of the open tasks of a proposal, sorted."""
        return sorted(t.name for t in self._open_rows(proposal_id))

    def _open_rows(self, proposal_id):
        with UnitOfWork(self.db) as uow:
            return list(uow.session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id)))


@pytest.fixture
def services(app, facts):
    """Services on the app's database and runtime (the same data the `api` client then sees)."""
    ext = app.extensions["cppcc"]
    return Services(ext["db"], ext["runtime"], facts)
