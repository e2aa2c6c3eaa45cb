"""The proposal search: by proposer or co-signer, by submission date (China dates,
inclusive), by overdue; an unknown or repeated filter is refused, never ignored.
Through GET /api/proposals and the 提案查询 page."""
from datetime import UTC, datetime, timedelta

import pytest
from page_client import Browser
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import OpenTask, OverdueRecord, Proposal

PASSWORD = "pw-测试"  # the test people's password (tests/api/conftest.py)


def ids(api, **query):
    response = api.get("tw_li", "/api/proposals", query_string=query)
    assert response.status_code == 200, response.get_json()
    return {p["id"] for p in response.get_json()["items"]}


def refused(api, query) -> list:
    response = api.get("tw_li", "/api/proposals", query_string=query)
    assert response.status_code == 400, response.get_json()
    return [e["field"] for e in response.get_json()["error"]["errors"]]


def china_today():
    return clock.now().astimezone(clock.CHINA).date()


def test_by_proposer_or_cosigner_name_or_username(api, world):
    p1, p2, p3 = world["p1"], world["p2"], world["p3"]
    assert ids(api, person="陈委员") == {p1, p2}  # the name people see
    assert ids(api, person="林委员") == {p1, p2}  # a co-signer
    assert ids(api, person="吴") == {p3}
    assert ids(api, person="wy_wu") == {p3}  # the username
    assert ids(api, person="wy_") == {p1, p2, p3}
    assert ids(api, person="张委员") == set() and ids(api, person="%") == set()
    assert ids(api, person="陈委员", q="养老") == {p2}  # with the other filters


def test_a_member_finds_only_what_he_may_see(api, world):
    response = api.get("wy_wu", "/api/proposals", query_string={"person": "陈委员"})
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_by_submission_date_china_days_inclusive(app, api, world):
    p1, p2, p3 = world["p1"], world["p2"], world["p3"]
    today = china_today()
    assert ids(api, submitted_from=today.isoformat(), submitted_to=today.isoformat()) == {p1, p2, p3}
    assert ids(api, submitted_to=(today - timedelta(days=1)).isoformat()) == set()
    assert ids(api, submitted_from=(today + timedelta(days=1)).isoformat()) == set()
    # 2026-03-01 16:30 UTC is 2026-03-02 00:30 in China: it belongs to 2 March
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        uow.session.get(Proposal, p3).submitted_at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
        uow.commit()
    assert ids(api, submitted_to="2026-03-01") == set()
    assert ids(api, submitted_from="2026-03-02", submitted_to="2026-03-02") == {p3}
    assert ids(api, submitted_from="2026-03-01", submitted_to="2026-03-03") == {p3}


@pytest.mark.parametrize("query, fields", [
    ({"submitted_from": "2026-13-01"}, ["submitted_from"]), ({"submitted_to": "昨天"}, ["submitted_to"]),
    ({"submitted_from": "0001-01-01"}, ["submitted_from"]), ({"submitted_to": "9999-12-31"}, ["submitted_to"]),
    ({"submitted_from": "2026-3-1"}, ["submitted_from"]),
    ({"submitted_from": "2026-05-02", "submitted_to": "2026-05-01"}, ["submitted_to"]),
    ({"overdue": "maybe"}, ["overdue"]), ({"is_key": "maybe"}, ["is_key"])])
def test_bad_filter_values_are_named(api, world, query, fields):
    assert refused(api, query) == fields


def test_by_overdue(app, api, world):
    p1, p2, p3 = world["p1"], world["p2"], world["p3"]
    assert ids(api, overdue="true") == set() and ids(api, overdue="false") == {p1, p2, p3}
    now = clock.now()
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        task = uow.session.scalar(select(OpenTask).where(OpenTask.proposal_id == p3))
        task.due_at = now - timedelta(hours=1)  # an open task past its due date
        uow.session.add(OverdueRecord(proposal_id=p2, unit_id=None, kind="cosign", due_at=now - timedelta(days=2),
                                      detected_at=now - timedelta(days=1)))  # an overdue record still open
        uow.session.add(OverdueRecord(proposal_id=p1, unit_id="fgw", kind="accept", due_at=now - timedelta(days=3),
                                      detected_at=now - timedelta(days=2), resolved_at=now))  # resolved: not overdue
        uow.commit()
    assert ids(api, overdue="true") == {p2, p3}
    assert ids(api, overdue="1") == {p2, p3}
    assert ids(api, overdue="false") == {p1}


def test_unknown_or_repeated_filters_are_refused(api, world):
    assert refused(api, {"proposer": "wy_chen"}) == ["proposer"]
    assert refused(api, {"statu": "review", "q": "停车"}) == ["statu"]
    response = api.get("tw_li", "/api/proposals?status=review&status=closed")
    assert response.status_code == 400 and [e["field"] for e in response.get_json()["error"]["errors"]] == ["status"]
    assert "不支持的" in api.get("tw_li", "/api/proposals", query_string={"x": "1"}).get_json()["error"]["message"]
    # paging is not a filter
    assert api.get("tw_li", "/api/proposals", query_string={"page": 1, "per_page": 5}).status_code == 200


def test_the_search_page(app, world):
    b = Browser(app.test_client()).login("tw_li", PASSWORD)
    html = b.text("/proposals")
    for name in ("person", "submitted_from", "submitted_to", "overdue"):
        assert f'name="{name}"' in html
    html = b.text("/proposals?person=吴委员")
    assert "关于改善菜市场环境的建议" in html and "关于增设社区养老服务点的建议" not in html
    assert 'value="吴委员"' in html  # the form keeps the search
    today = china_today().isoformat()
    assert "关于改善菜市场环境的建议" in b.text(f"/proposals?submitted_from={today}&submitted_to={today}&overdue=false")
    response = b.get("/proposals?colour=red")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "不支持的筛选条件“colour”" in text and 'name="person"' in text
    response = b.get("/proposals?submitted_from=2026-02-30")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "提交日期（起）应为" in text and 'aria-invalid="true"' in text


def test_openapi_documents_the_filters(api):
    operation = api.client.get("/api/openapi.json").get_json()["paths"]["/api/proposals"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"person", "submitted_from", "submitted_to", "overdue"} <= names
    assert "400" in operation["responses"]
