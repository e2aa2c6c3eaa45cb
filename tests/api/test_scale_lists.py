"""Lists that stay flat with the data (issue 13): the search counts up to a cap and says so,
a two-character Chinese term is found (by the bigram index on PostgreSQL, LIKE on SQLite),
and the overdue report pages its details while its summary covers the whole range."""
from datetime import UTC, datetime, timedelta

from page_client import Browser
from sqlalchemy import insert, select

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import OverdueRecord, Proposal
from engine.queries.records import COUNT_CAP
from engine.queries.search import text_contains

PASSWORD = "pw-测试"  # the test people's password (tests/api/conftest.py)


def add_proposals(app, titles: list[str], start: int = 1) -> list[int]:
    now = clock.now()
    rows = [{"id": start + k, "number": f"2026-{start + k:05d}", "title": title, "body": "正文", "suggestions": "",
             "category": "urban", "source": "ordinary", "proposer": "wy_chen", "status": "handling",
             "is_key": False, "submitted_at": now - timedelta(minutes=k), "updated_at": now}
            for k, title in enumerate(titles)]
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        uow.session.execute(insert(Proposal), rows)
        uow.commit()
    return [r["id"] for r in rows]


def search(api, **query) -> dict:
    response = api.get("tw_li", "/api/proposals", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_count_stops_at_the_cap_and_says_so(app, api):
    add_proposals(app, [f"关于第{k}件事的建议" for k in range(COUNT_CAP + 5)])

    first = search(api)
    assert (first["total"], first["total_capped"], len(first["items"])) == (COUNT_CAP, True, 20)
    few = search(api, q="第7件")  # 第7件 alone: an exact count
    assert (few["total"], few["total_capped"]) == (1, False)
    last = search(api, page=51, per_page=20)  # past the cap: counted to the end of the page asked for
    assert (last["total"], last["total_capped"], len(last["items"])) == (COUNT_CAP + 5, False, 5)
    html = Browser(app.test_client()).login("tw_li", PASSWORD).text("/proposals")
    assert "1,000+ 条" in html and "第 1 / 50+ 页" in html and "下一页" in html


def test_a_two_character_chinese_term_is_found(app, api):
    parking, elderly, both = add_proposals(app, ["关于缓解停车难的建议", "关于发展养老服务的建议",
                                                 "关于社区停车与养老设施的建议"], start=10)
    found = lambda q: {p["id"] for p in search(api, q=q)["items"]}  # noqa: E731
    assert found("停车") == {parking, both}
    assert found("养老") == {elderly, both}
    assert found("车难") == {parking}
    assert found("停养") == set()  # both characters occur, never side by side
    assert found("缓解停车难") == {parking}
    assert found("停") == {parking, both}  # one character: LIKE alone
    assert found("2026-00011") == {elderly}  # the number too
    assert search(api, q="停车")["total"] == 2
    [rate] = add_proposals(app, ["关于降低100%_费率的建议"], start=20)
    assert found("0%_") == {rate} and found("%") == {rate} and found("_费") == {rate}  # wildcards are text
    assert found("0%费") == set()


def test_a_text_search_statement_is_compiled_once_for_every_term():
    """The search's text clauses carry their term as a parameter: two terms make the same
    cached statement (not compiled afresh per request), with each its own value."""
    statement = lambda q: select(Proposal.id).where(text_contains(q))  # noqa: E731
    first, second = statement("停车")._generate_cache_key(), statement("养老")._generate_cache_key()
    assert first is not None and first == second
    assert "停车" in [b.value for b in first.bindparams] and "养老" in [b.value for b in second.bindparams]


def test_the_overdue_report_pages_its_details(app, api):
    [pid] = add_proposals(app, ["关于公交线路的建议"], start=50)
    detected = datetime.now(UTC) - timedelta(hours=1)
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        uow.session.execute(insert(OverdueRecord), [
            {"proposal_id": pid, "unit_id": "fgw", "kind": "reply", "due_at": detected - timedelta(days=3),
             "detected_at": detected - timedelta(minutes=k), "resolved_at": None if k % 2 else detected}
            for k in range(5)])
        uow.commit()

    def report(**query):
        response = api.get("dcs_zhou", "/api/reports/overdue", query_string=query)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    one, two, three = report(per_page=2), report(per_page=2, page=2), report(per_page=2, page=3)
    assert [len(r["items"]) for r in (one, two, three)] == [2, 2, 1]
    assert (one["page"], one["per_page"], three["page"]) == (1, 2, 3)
    ids = [x["id"] for r in (one, two, three) for x in r["items"]]
    assert len(set(ids)) == 5  # every record once, in detection order
    assert [x["detected_at"] for r in (one, two, three) for x in r["items"]] == sorted(
        x["detected_at"] for r in (one, two, three) for x in r["items"])
    for r in (one, three):  # the summary is the whole range's on every page
        assert r["totals"]["total"] == 5 and r["totals"]["unresolved_total"] == 2
        assert r["units"][0]["unit_id"] == "fgw" and r["units"][0]["counts"]["reply"] == 5
    download = api.get("dcs_zhou", "/api/reports/overdue", query_string={"format": "csv", "per_page": 2})
    assert download.status_code == 200
