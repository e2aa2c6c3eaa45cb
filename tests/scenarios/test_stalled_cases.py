"""A case left with nothing to move it on is never silent: it is recorded as stalled
(异常案件) with its last step, the committee is told and lists it (page and API), and
`cppcc repair-cases` resumes a case frozen at a multi-instance step and resolves it.

The freeze is made the way it happened before engine/definitions/bundle.py connected
loop tasks to their instances: the last assisting opinion is completed by a Runtime
whose specs lack that connection (as a restarted server's had). (A rating frozen so
would not be left with nothing: the rating window's closing timer still carries the
case on to the committee.)
"""
import re

import pytest
from test_lifecycle import COMMITTEE, file_and_assign, handle, rating, reply, supervise

from api import cli
from engine.definitions import bundle as definitions
from engine.tooling.demo import APPROVE, OPINION
from engine.workflow.runtime import Runtime

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def frozen(api, settings, monkeypatch):
    """A proposal whose only assisting opinion was completed by a server without the fix."""
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "joint", assists=f.assists[:1])
    handle(api, pid, f.lead)
    with monkeypatch.context() as patched:
        patched.setattr(definitions, "connect_loop_children", lambda spec: 0)
        broken = Runtime(settings)
    ext = api.client.application.extensions["cppcc"]
    fixed, ext["runtime"] = ext["runtime"], broken
    api.do(f"{f.assists[0]}_clerk", "assist_opinion", pid, OPINION)
    ext["runtime"] = fixed
    return pid


def page(client, username, path):
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": username, "password": "demo123", "csrf_token": token})
    return client.get(path)


def test_a_stalled_case_is_recorded_listed_and_told(api, frozen):
    p = api.proposal(frozen)
    assert p["open_tasks"] == [] and p["status"] != "closed"  # what the freeze looked like
    listed = api.get(COMMITTEE, "/api/incidents").get_json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["proposal_id"], item["last_step"], item["last_actor"]) == (
        frozen, "提交协办意见", f"{api.facts.assists[0]}_clerk")
    assert item["resolved_at"] is None
    incident = [e for e in p["timeline"] if e["kind"] == "incident"]
    assert len(incident) == 1 and "最后一步：提交协办意见" in incident[0]["title"]
    told = api.get(COMMITTEE, "/api/notifications").get_json()["items"]
    assert any(n["kind"] == "incident" and n["proposal_id"] == frozen for n in told)
    for other in ("wy_chen", f"{api.facts.lead}_clerk", "dcs_zhou"):
        assert api.get(other, "/api/incidents").status_code == 403
    assert api.get(COMMITTEE, "/api/incidents?resolved=maybe").status_code == 400
    html = page(api.client.application.test_client(), COMMITTEE, "/incidents").get_data(as_text=True)
    assert "异常案件" in html and "提交协办意见" in html and p["title"] in html
    assert page(api.client.application.test_client(), "wy_chen", "/incidents").status_code == 403


def test_repair_cases_resumes_the_frozen_case_and_resolves_it(api, frozen, settings, region, capsys):
    args = ["--database-url", settings.database_url, "--region", region]
    assert cli.main([*args, "repair-cases", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "“提交协办意见”1/1 个实例已完成，1 个未汇总" in out and "预演：可修复 1 件" in out
    assert api.proposal(frozen)["open_tasks"] == []  # the dry run changed nothing
    assert api.get(COMMITTEE, "/api/incidents").get_json()["total"] == 1

    assert cli.main([*args, "repair-cases"]) == 0
    out = capsys.readouterr().out
    assert "已修复：汇总“提交协办意见”已完成的 1 项" in out
    p = api.proposal(frozen)
    assert [t["name"] for t in p["open_tasks"]] == ["reply_draft"]  # the handling goes on
    kinds = [e["kind"] for e in p["timeline"]]
    assert "repaired" in kinds and "incident_resolved" in kinds
    assert api.get(COMMITTEE, "/api/incidents").get_json()["total"] == 0
    resolved = api.get(COMMITTEE, "/api/incidents?resolved=1").get_json()["items"]
    assert resolved[0]["resolved_at"] and resolved[0]["resolution"] == "案件停滞已修复：汇总“提交协办意见”已完成的 1 项，继续办理"

    assert cli.main([*args, "repair-cases"]) == 0  # nothing left to do
    assert "没有发现停滞的多实例步骤" in capsys.readouterr().out


def test_cases_on_their_way_are_not_incidents(api):
    f = api.facts
    pid = api.submit("wy_chen", cosigners=["wy_lin"])
    api.do("wy_lin", "cosigner_confirm", pid, {"agree": True})
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain))
    api.do(f"{f.lead}_head", "head_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    for rater in ("wy_lin", "wy_chen"):
        api.do(rater, "rate_reply", pid, rating(f.good))
    assert api.proposal(pid)["status"] == "closed"
    assert api.get(COMMITTEE, "/api/incidents?resolved=1").get_json()["total"] == 0
