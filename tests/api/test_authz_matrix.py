"""Who may do what: every role × every action, against the `world` fixture.

The world (see conftest) has p1 in handling with fgw leading and jw assisting,
p2 waiting for 林委员's co-signature, and p3 (吴委员's) waiting for review.
"""
import pytest

ALL = {"p1", "p2", "p3"}
# username: (open tasks the user may do, proposals the user may see)
MATRIX = {
    "wy_chen": (set(), {"p1", "p2"}),
    "wy_lin": ({"cosigner_confirm"}, {"p1", "p2"}),
    "wy_wu": (set(), {"p3"}),
    "tw_li": ({"review"}, ALL),
    "zfb_wang": (set(), ALL),
    "dcs_zhou": (set(), ALL),
    "deputy_zhao": (set(), ALL),
    "fgw_clerk": ({"consultation"}, {"p1"}),
    "fgw_head": (set(), {"p1"}),
    "jw_clerk": ({"assist_opinion"}, {"p1"}),
    "jtw_clerk": (set(), set()),
}
USERS = sorted(MATRIX)


def test_matrix_covers_every_person(people):
    assert set(MATRIX) == set(people)


@pytest.mark.parametrize("user", USERS)
def test_list_my_tasks_shows_only_own(api, world, user):
    own, _ = MATRIX[user]
    response = api.get(user, "/api/tasks")
    body = response.get_json()
    assert response.status_code == 200
    assert {t["id"] for t in body["items"]} == {world["tasks"][name] for name in own}
    assert body["total"] == len(own)
    assert body["counts"] == {name: 1 for name in own}


@pytest.mark.parametrize("user", USERS)
def test_get_task(api, world, user):
    own, _ = MATRIX[user]
    for name, task_id in world["tasks"].items():
        response = api.get(user, f"/api/tasks/{task_id}")
        expected = 200 if name in own else 404  # another's task answers as one that does not exist
        assert response.status_code == expected, (name, response.get_json())
        if expected == 200:
            body = response.get_json()
            assert body["name"] == name and body["schema"]["type"] == "object"
            assert isinstance(body["case_version"], int) and body["proposal"]["id"] == body["proposal_id"]


@pytest.mark.parametrize("user", USERS)
def test_complete_task(api, world, form_data, user):
    own, _ = MATRIX[user]
    for name, task_id in world["tasks"].items():
        response = api.post(user, f"/api/tasks/{task_id}/complete", {"data": form_data[name]})
        expected = 200 if name in own else 404
        assert response.status_code == expected, (name, response.get_json())
    # refused attempts changed nothing: every task but the user's own is still open
    still_open = {t["name"] for owner in USERS for t in api.my_tasks(owner) if t["id"] in world["tasks"].values()}
    assert still_open == set(world["tasks"]) - own


@pytest.mark.parametrize("user", USERS)
def test_view_proposal(api, world, user):
    _, visible = MATRIX[user]
    for key in sorted(ALL):
        response = api.get(user, f"/api/proposals/{world[key]}")
        expected = 200 if key in visible else 404
        assert response.status_code == expected, (key, response.get_json())
        if expected == 404:  # the same answer as for a proposal that does not exist
            assert response.get_json() == api.get(user, "/api/proposals/999999").get_json()


@pytest.mark.parametrize("user", USERS)
def test_search_proposals_shows_only_visible(api, world, user):
    _, visible = MATRIX[user]
    body = api.get(user, "/api/proposals").get_json()
    assert {p["id"] for p in body["items"]} == {world[key] for key in visible}
    assert body["total"] == len(visible)
    # filters narrow the visible set, never widen it
    body = api.get(user, "/api/proposals", query_string={"q": "停车"}).get_json()
    assert {p["id"] for p in body["items"]} == {world["p1"]} & {world[key] for key in visible}
    body = api.get(user, "/api/proposals", query_string={"unit": "fgw"}).get_json()
    assert {p["id"] for p in body["items"]} == {world["p1"]} & {world[key] for key in visible}


# username: what the user may do beyond tasks (engine/rules/permissions.py decides each)
CAPABILITIES = {
    "wy_chen": {"submit"}, "wy_lin": {"submit"}, "wy_wu": {"submit"},
    "tw_li": {"supervise", "incidents", "read_versions"},
    "zfb_wang": {"supervise"}, "dcs_zhou": {"supervise"},
    "deputy_zhao": set(), "fgw_clerk": set(), "fgw_head": set(), "jw_clerk": set(), "jtw_clerk": set(),
}


def test_capabilities_cover_every_person(people):
    assert set(CAPABILITIES) == set(people)


@pytest.mark.parametrize("user", USERS)
def test_who_may_supervise_see_incidents_read_versions_and_submit(api, user):
    may = CAPABILITIES[user]
    checks = {"supervise": api.get(user, "/api/reports/overdue"), "incidents": api.get(user, "/api/incidents"),
              "read_versions": api.get(user, "/api/definitions")}
    for what, response in checks.items():
        assert response.status_code == (200 if what in may else 403), (what, response.get_json())
        if what not in may:
            assert "只有" in response.get_json()["error"]["message"]
    response = api.post(user, "/api/proposals", {"title": "关于加强停车管理的建议", "category": "urban",
                                                 "body": "停车难问题日益突出。", "suggestions": "建设停车库"})
    assert response.status_code == (201 if "submit" in may else 403), response.get_json()
