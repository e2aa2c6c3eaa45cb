"""Claiming a pool task: a unit with two clerks, the committee reassigning.

A clerk claims a task (colleagues still see it, marked with who has it), only the
claimer completes or releases it, and the committee gives it to another person
of the unit. The rule is engine/rules/permissions.py; every role is tried.
"""
import pytest

from engine.adapters.db import UnitOfWork
from engine.services.directory import add_user

PASSWORD = "pw-测试"  # tests/api/conftest.py (not importable by name next to the other conftest files)

NOT_YOURS = (403, 404)  # a task the user may not do: refused without saying more


@pytest.fixture
def two_clerks(app, world):
    """fgw gets a second clerk, 冯经办人 (fgw_clerk2)."""
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        add_user(uow.session, "fgw_clerk2", "冯经办人", PASSWORD, ["unit_clerk"], "fgw")
        uow.commit()
    return world


def item(api, username, task_id):
    [row] = [t for t in api.my_tasks(username) if t["id"] == task_id]
    return row


def test_claim_mark_complete_only_by_the_claimer_and_release(api, two_clerks, form_data):
    task = two_clerks["tasks"]["consultation"]
    claimed = api.post("fgw_clerk", f"/api/tasks/{task}/claim")
    assert claimed.status_code == 200, claimed.get_json()
    assert claimed.get_json()["claimed_by"] == "fgw_clerk"
    seen = item(api, "fgw_clerk2", task)  # the colleague still sees it, with who has it
    assert seen["claimed_by"] == "fgw_clerk" and seen["claimed_by_name"] == "发改委经办人"
    refused = api.post("fgw_clerk2", f"/api/tasks/{task}/complete", {"data": form_data["consultation"]})
    assert refused.status_code == 409 and "已由发改委经办人认领" in refused.get_json()["error"]["message"]
    assert api.post("fgw_clerk2", f"/api/tasks/{task}/claim").status_code == 409
    assert api.post("fgw_clerk2", f"/api/tasks/{task}/release").status_code == 409
    assert api.post("fgw_clerk", f"/api/tasks/{task}/claim").status_code == 200  # again: no change
    released = api.post("fgw_clerk", f"/api/tasks/{task}/release")
    assert released.status_code == 200 and released.get_json()["claimed_by"] is None
    done = api.post("fgw_clerk2", f"/api/tasks/{task}/complete", {"data": form_data["consultation"]})
    assert done.status_code == 200, done.get_json()
    timeline = api.get("tw_li", f"/api/proposals/{two_clerks['p1']}").get_json()["timeline"]
    assert [e["title"] for e in timeline if e["kind"] == "task_claim"] == [
        "认领“记录沟通协商”", "释放“记录沟通协商”"]


def test_the_committee_reassigns_to_another_person_of_the_unit(api, two_clerks, form_data):
    task = two_clerks["tasks"]["consultation"]
    api.post("fgw_clerk", f"/api/tasks/{task}/claim")
    given = api.post("tw_li", f"/api/tasks/{task}/assign", {"username": "fgw_clerk2"})
    assert given.status_code == 200, given.get_json()
    assert given.get_json()["claimed_by"] == "fgw_clerk2"
    assert api.post("fgw_clerk", f"/api/tasks/{task}/complete", {"data": form_data["consultation"]}).status_code == 409
    told = api.get("fgw_clerk2", "/api/notifications").get_json()["items"]
    assert told[0]["title"] == "改派给您的待办：记录沟通协商" and told[0]["task_open"] is True
    other_unit = api.post("tw_li", f"/api/tasks/{task}/assign", {"username": "jw_clerk"})
    assert other_unit.status_code == 422 and other_unit.get_json()["error"]["errors"][0]["field"] == "username"
    nobody = api.post("tw_li", f"/api/tasks/{task}/assign", {"username": "no_such_user"})
    assert nobody.status_code == 422
    for bad in ({}, {"username": 5}, {"username": ["fgw_clerk"]}):
        assert api.post("tw_li", f"/api/tasks/{task}/assign", bad).status_code == 400
    assert api.post("tw_li", "/api/tasks/0f8e6a52-1111-4c3b-9d2a-000000000001/assign",
                    {"username": "fgw_clerk2"}).status_code == 404
    assert api.post("fgw_clerk2", f"/api/tasks/{task}/complete", {"data": form_data["consultation"]}).status_code == 200


WHO = ["wy_chen", "wy_lin", "wy_wu", "tw_li", "zfb_wang", "dcs_zhou", "deputy_zhao", "fgw_clerk", "fgw_head",
       "jw_clerk", "jtw_clerk"]


@pytest.mark.parametrize("user", WHO)
def test_claim_and_assign_matrix(api, world, people, user):
    own = {"wy_lin": {"cosigner_confirm"}, "tw_li": {"review"}, "fgw_clerk": {"consultation"},
           "jw_clerk": {"assist_opinion"}}.get(user, set())
    for name, task in world["tasks"].items():
        claimed = api.post(user, f"/api/tasks/{task}/claim")
        if name in own and name != "cosigner_confirm":
            assert claimed.status_code == 200, (name, claimed.get_json())
            assert api.post(user, f"/api/tasks/{task}/release").status_code == 200
        elif name in own:  # a task naming its one assignee (the co-signer) is not a pool's
            assert claimed.status_code == 409, (name, claimed.get_json())
        else:
            assert claimed.status_code in NOT_YOURS, (name, claimed.get_json())
        target = {"consultation": "fgw_clerk", "assist_opinion": "jw_clerk", "review": "tw_li",
                  "cosigner_confirm": "wy_lin"}[name]
        given = api.post(user, f"/api/tasks/{task}/assign", {"username": target})
        if user != "tw_li":
            assert given.status_code == 404, (name, given.get_json())
        elif name == "cosigner_confirm":
            assert given.status_code == 409
        else:
            assert given.status_code == 200, (name, given.get_json())
            assert api.post(target, f"/api/tasks/{task}/release").status_code == 200
