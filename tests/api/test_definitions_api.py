"""Definition versions and migration through the HTTP API."""
import pytest

from engine.adapters.db import UnitOfWork
from engine.services.directory import add_user

PASSWORD = "pw-测试"  # tests/api/conftest.py (not importable by name next to the other conftest.py files)


@pytest.fixture
def designer(app):
    """A process designer's account."""
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        add_user(uow.session, "designer", "流程设计员", PASSWORD, ["designer"])
        uow.commit()
    return "designer"


def handling(app) -> str:
    return app.extensions["cppcc"]["runtime"].files_bundle.files["handling.bpmn"]


def test_only_designers_deploy_and_the_committee_may_read(api, designer):
    assert api.get("fgw_clerk", "/api/definitions").status_code == 403
    listed = api.get("tw_li", "/api/definitions")
    assert listed.status_code == 200 and len(listed.get_json()["versions"]) == 1
    refused = api.post("tw_li", "/api/definitions", {"files": {"handling.bpmn": "<x/>"}})
    assert refused.status_code == 403 and "流程设计员" in refused.get_json()["error"]["message"]
    assert api.get("tw_li", "/api/migrations").status_code == 403


def test_a_broken_diagram_is_refused_with_file_and_element_ids(app, api, designer):
    broken = handling(app).replace('<spiffworkflow:property name="form" value="plan_draft"/>',
                                   '<spiffworkflow:property name="form" value="no_such_form"/>')
    for path in ("/api/definitions/validate", "/api/definitions"):
        response = api.post(designer, path, {"files": {"handling.bpmn": broken}, "note": "坏的"})
        assert response.status_code == 422
        problems = response.get_json()["error"]["problems"]
        assert {"file": "processes/handling.bpmn", "element": "plan_draft",
                "message": "表单 forms/no_such_form.json 不存在"} in problems
    assert len(api.get(designer, "/api/definitions").get_json()["versions"]) == 1  # nothing written

    not_xml = api.post(designer, "/api/definitions/validate", {"files": {"handling.bpmn": "<bpmn:definitions"}})
    assert not_xml.status_code == 422
    assert not_xml.get_json()["error"]["problems"][0]["file"] == "processes/handling.bpmn"
    bad_name = api.post(designer, "/api/definitions", {"files": {"../x.bpmn": handling(app)}})
    assert bad_name.status_code == 422 and "文件名" in bad_name.get_json()["error"]["problems"][0]["message"]
    missing_call = api.post(designer, "/api/definitions", {"removed": ["handling.bpmn"]})
    assert missing_call.status_code == 422
    assert any(p["element"] == "handle" and "handling" in p["message"]
               for p in missing_call.get_json()["error"]["problems"])
    assert api.post(designer, "/api/definitions", {"files": []}).status_code == 400


def test_deploy_then_dry_run_and_migrate(app, api, designer, world):
    before = api.get(designer, "/api/definitions").get_json()["versions"][0]
    assert before["cases"] == {"running": 3, "completed": 0}
    edited = handling(app).replace('name="提交协办意见"', 'name="提交协办书面意见"')
    assert edited != handling(app)
    check = api.post(designer, "/api/definitions/validate", {"files": {"handling.bpmn": edited}})
    assert check.status_code == 200 and check.get_json()["changes"] == {"handling.bpmn": "changed"}

    deployed = api.post(designer, "/api/definitions", {"files": {"handling.bpmn": edited}, "note": "改任务名"})
    assert deployed.status_code == 201, deployed.get_json()
    new_hash = deployed.get_json()["hash"]
    assert deployed.get_json()["created"] and deployed.headers["Location"].endswith(new_hash)
    assert api.get(designer, f"/api/definitions/{new_hash[:8]}").get_json()["files"]["handling.bpmn"] == edited
    versions = api.get(designer, "/api/definitions").get_json()["versions"]
    assert [v["current"] for v in versions] == [True, False]
    assert versions[0]["deployments"][0]["by"] == designer and versions[0]["deployments"][0]["source"] == "api"

    plan = api.get(designer, "/api/migrations").get_json()
    assert plan["to"] == new_hash and len(plan["cases"]) == 3 and all(c["movable"] for c in plan["cases"])
    assert api.get(designer, "/api/definitions").get_json()["versions"][1]["cases"]["running"] == 3  # dry run

    moved = api.post(designer, "/api/migrations", {})
    assert moved.status_code == 200 and len(moved.get_json()["moved"]) == 3
    assert api.my_tasks("jw_clerk")[0]["title"] == "提交协办书面意见"  # the open task read the new title
    timeline = api.get("tw_li", f"/api/proposals/{world['p1']}").get_json()["timeline"]
    [moved_event] = [e for e in timeline if e["kind"] == "migrated"]
    assert moved_event["data"]["to"] == new_hash and "迁移到第 2 版" in moved_event["title"]  # named, not hashed
    assert new_hash not in moved_event["title"]
    assert api.get(designer, "/api/migrations?to=zzzzzzzz").status_code == 404


@pytest.mark.parametrize("old,new,element,message", [
    ('calledElement="handling"', 'calledElement="proposal"', "handle", "调用活动调用了流程自身"),
    ("<bpmn:timeDate>due_date('cosign', submitted_on)</bpmn:timeDate>", '<bpmn:timeDuration>"P1Z"</bpmn:timeDuration>',
     None, "不是 ISO 8601 时长"),
    ("value=\"due_date('review', submitted_on)\"", "value=\"'tomorrow'\"", "review", "不是日期"),
    ('targetRef="gw_review"', 'targetRef="nowhere"', "f_review_gw", "“nowhere” 在流程 proposal 中不存在"),
])
def test_definitions_that_would_break_at_run_time_are_refused(app, api, designer, old, new, element, message):
    proposal = app.extensions["cppcc"]["runtime"].files_bundle.files["proposal.bpmn"]
    assert old in proposal
    for path in ("/api/definitions/validate", "/api/definitions"):
        response = api.post(designer, path, {"files": {"proposal.bpmn": proposal.replace(old, new, 1)}})
        assert response.status_code == 422
        problems = response.get_json()["error"]["problems"]
        assert any(message in p["message"] and p["file"] == "processes/proposal.bpmn"
                   and (element is None or p["element"] == element) for p in problems), problems
    assert len(api.get(designer, "/api/definitions").get_json()["versions"]) == 1  # nothing written
