"""Supervision through the API: reproducible random samples of assigned proposals, and the
overdue report by unit and kind (JSON, XLSX, CSV).

Proposals, their units and overdue records are written directly through the ORM:
the samples only need `proposal_units` lead rows and the report only reads
`overdue_records` (written by the deadline timers elsewhere).
"""
import csv
import io
import random
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from engine.adapters.db import UnitOfWork
from engine.model.errors import EngineError, Forbidden
from engine.model.tables import OverdueRecord, Proposal, ProposalUnit, SupervisionSample, User
from engine.queries import overdue_report as reports
from engine.services import supervision

UTC = UTC
CHINA = timezone(timedelta(hours=8))
ALLOWED = ["tw_li", "zfb_wang", "dcs_zhou"]
REFUSED = ["fgw_clerk", "fgw_head", "wy_chen", "deputy_zhao"]


def database(app):
    return app.extensions["cppcc"]["db"]


def add_proposals(app, count, lead="fgw", role="lead", title="关于加强停车管理的建议", first=1) -> list[int]:
    """`count` proposals with one unit row of `role` (None: no unit); return their ids."""
    now = datetime.now(UTC)
    ids = []
    with UnitOfWork(database(app)) as uow:
        for i in range(first, first + count):
            p = Proposal(number=f"2026-{role or 'x'}-{i:03d}", title=f"{title}{i}" if count > 1 else title,
                         body="停车难问题日益突出。", suggestions="建设立体停车库", category="urban",
                         proposer="wy_chen", status="handling", lead_unit=lead if role == "lead" else None,
                         submitted_at=now, updated_at=now)
            uow.session.add(p)
            uow.session.flush()
            if role:
                uow.session.add(ProposalUnit(proposal_id=p.id, unit_id=lead, role=role))
            ids.append(p.id)
        uow.commit()
    return ids


def add_overdue(app, proposal_id, unit_id, kind, detected_at, resolved=False):
    """One overdue record detected at `detected_at` (stored in UTC, as the engine writes)."""
    detected = detected_at.astimezone(UTC)
    with UnitOfWork(database(app)) as uow:
        uow.session.add(OverdueRecord(proposal_id=proposal_id, unit_id=unit_id, kind=kind,
                                      due_at=detected - timedelta(days=1), detected_at=detected,
                                      resolved_at=detected + timedelta(days=2) if resolved else None))
        uow.commit()


def user(app, username) -> User:
    with UnitOfWork(database(app)) as uow:
        return uow.session.query(User).filter_by(username=username).one()


# Samples

def test_same_seed_same_selection_and_stored_seed_verifies(app, api):
    assigned = add_proposals(app, 210)
    add_proposals(app, 3, lead="jw", role="assist", first=300)  # assisting only: not assigned as lead
    add_proposals(app, 2, role=None, first=400)  # not assigned
    first = api.post("tw_li", "/api/supervision/samples", {"rate_percent": 8, "seed": "2026-督办", "label": "上半年"})
    assert first.status_code == 201, first.get_json()
    drawn = first.get_json()
    assert (drawn["population_size"], drawn["selected_count"], drawn["rate_percent"]) == (210, 17, 8)
    assert drawn["seed"] == "2026-督办" and drawn["label"] == "上半年" and drawn["drawn_by"] == "tw_li"
    ids = [x["id"] for x in drawn["selected"]]
    assert ids == sorted(random.Random("2026-督办").sample(sorted(assigned), 17))  # the documented recipe
    assert set(ids) <= set(assigned) and drawn["verified"] is True
    assert first.headers["Location"].endswith(f"/api/supervision/samples/{drawn['id']}")
    one = drawn["selected"][0]
    assert one["number"].startswith("2026-lead-") and one["title"].startswith("关于加强停车管理的建议")
    assert one["lead_units"] == [{"unit_id": "fgw", "unit_name": "区发展和改革委员会"}]
    assert one["lead_unit_name"] == "区发展和改革委员会"

    again = api.post("dcs_zhou", "/api/supervision/samples", {"rate_percent": 8, "seed": "2026-督办"}).get_json()
    assert [x["id"] for x in again["selected"]] == ids and again["id"] != drawn["id"]
    detail = api.get("zfb_wang", f"/api/supervision/samples/{drawn['id']}").get_json()
    assert detail["verified"] is True and [x["id"] for x in detail["selected"]] == ids
    with UnitOfWork(database(app)) as uow:
        assert supervision.verify_sample(uow.session, drawn["id"]) is True
        row = uow.session.get(SupervisionSample, drawn["id"])
        assert row.population == sorted(assigned) and row.seed == "2026-督办" and row.selected == ids


def test_different_seeds_give_different_selections(app, api):
    add_proposals(app, 210)
    picks = {tuple(x["id"] for x in api.post("tw_li", "/api/supervision/samples",
                                             {"rate_percent": 8, "seed": f"seed-{i}"}).get_json()["selected"])
             for i in range(5)}
    assert len(picks) > 1


def test_later_assignments_do_not_change_a_stored_draw(app, api):
    add_proposals(app, 30)
    drawn = api.post("tw_li", "/api/supervision/samples", {"rate_percent": 10, "seed": "s"}).get_json()
    add_proposals(app, 30, first=100)
    detail = api.get("tw_li", f"/api/supervision/samples/{drawn['id']}").get_json()
    assert detail["population_size"] == 30 and detail["verified"] is True
    assert detail["selected"] == drawn["selected"]


def test_a_tampered_sample_fails_verification(app, api):
    add_proposals(app, 50)
    drawn = api.post("tw_li", "/api/supervision/samples", {"seed": "abc"}).get_json()
    with UnitOfWork(database(app)) as uow:
        row = uow.session.get(SupervisionSample, drawn["id"])
        outside = next(i for i in row.population if i not in row.selected)
        row.selected = sorted([*row.selected[1:], outside])
        uow.commit()
    assert api.get("tw_li", f"/api/supervision/samples/{drawn['id']}").get_json()["verified"] is False
    with UnitOfWork(database(app)) as uow:
        assert supervision.verify_sample(uow.session, drawn["id"]) is False


@pytest.mark.parametrize("size, rate, expected", [
    (210, 8, 17), (100, 5, 5), (100, 10, 10), (3, 5, 1), (1, 0.1, 1), (10, 100, 10), (200, 7.5, 15),
    (125, 5.6, 7), (1000, 0.7, 7), (0, 8, 0),
])
def test_rate_rounding(size, rate, expected):
    assert supervision.sample_size(size, rate) == expected


def test_rate_defaults_to_the_region_and_seed_is_generated(app, api, runtime):
    add_proposals(app, 100)
    drawn = api.post("dcs_zhou", "/api/supervision/samples", {}).get_json()
    rate = runtime.region.sample_rate_percent
    assert drawn["rate_percent"] == rate and drawn["selected_count"] == supervision.sample_size(100, rate)
    assert len(drawn["seed"]) == 16 and int(drawn["seed"], 16) >= 0
    assert drawn["label"].endswith("随机抽查") and drawn["verified"] is True
    other = api.post("dcs_zhou", "/api/supervision/samples", {"seed": None, "rate_percent": None}).get_json()
    assert other["seed"] != drawn["seed"]


def test_list_newest_first_without_selection(app, api):
    add_proposals(app, 20)
    a = api.post("tw_li", "/api/supervision/samples", {"seed": "a", "label": "第一次"}).get_json()
    b = api.post("tw_li", "/api/supervision/samples", {"seed": "b", "rate_percent": 50}).get_json()
    items = api.get("dcs_zhou", "/api/supervision/samples").get_json()["items"]
    assert [i["id"] for i in items] == [b["id"], a["id"]]
    assert items[0] == {"id": b["id"], "label": b["label"], "drawn_at": b["drawn_at"], "drawn_by": "tw_li",
                        "drawn_by_name": "提案委李", "rate_percent": 50, "seed": "b", "population_size": 20,
                        "selected_count": 10}


def test_empty_population(app, api):
    add_proposals(app, 2, role=None)
    response = api.post("tw_li", "/api/supervision/samples", {"seed": "x"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "没有已交办的提案" in error["message"] and error["errors"][0]["field"] == "population"
    assert api.get("tw_li", "/api/supervision/samples").get_json() == {"items": []}


@pytest.mark.parametrize("body, field", [
    ({"rate_percent": 0}, "rate_percent"), ({"rate_percent": 100.5}, "rate_percent"),
    ({"rate_percent": "八"}, "rate_percent"), ({"rate_percent": True}, "rate_percent"),
    ({"rate_percent": "NaN"}, "rate_percent"), ({"seed": "x" * 81}, "seed"), ({"seed": 42}, "seed"),
    ({"label": "名" * 201}, "label"),
])
def test_bad_draw_parameters(app, api, body, field):
    add_proposals(app, 5)
    response = api.post("tw_li", "/api/supervision/samples", body)
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["error"]["errors"]] == [field]


def test_unknown_sample(api):
    assert api.get("tw_li", "/api/supervision/samples/999").status_code == 404


@pytest.mark.parametrize("username", REFUSED)
def test_only_committee_government_office_and_supervisors(app, api, username):
    add_proposals(app, 10)
    drawn = api.post("tw_li", "/api/supervision/samples", {"seed": "s"}).get_json()
    for response in (api.post(username, "/api/supervision/samples", {"seed": "s"}),
                     api.get(username, "/api/supervision/samples"),
                     api.get(username, f"/api/supervision/samples/{drawn['id']}"),
                     api.get(username, "/api/reports/overdue"),
                     api.get(username, "/api/reports/overdue", query_string={"format": "xlsx"}),
                     api.get(username, "/api/reports/overdue", query_string={"format": "csv"})):
        assert response.status_code == 403, response.get_json()
        assert "提案委、政府办和督查室" in response.get_json()["error"]["message"]
    with UnitOfWork(database(app)) as uow:
        assert uow.session.query(SupervisionSample).count() == 1
    with pytest.raises(Forbidden):
        with UnitOfWork(database(app)) as uow:
            reports.overdue_report(uow.session, user(app, username), date(2026, 1, 1), date(2026, 2, 1))


def test_without_login(api):
    assert api.client.get("/api/supervision/samples").status_code == 401
    assert api.client.post("/api/supervision/samples", json={}).status_code == 401
    assert api.client.get("/api/reports/overdue").status_code == 401


# Overdue report

def china(*args):
    return datetime(*args, tzinfo=CHINA)


@pytest.fixture
def overdue(app):
    """Records around March 2026 (China time), by unit and kind; returns the proposal ids."""
    p1, p2, p3 = add_proposals(app, 3)
    formula = add_proposals(app, 1, title="=1+2 看似公式的案由", first=50)[0]
    rows = [
        (p1, "fgw", "accept", china(2026, 3, 1, 0, 0, 0), True),         # first instant: in
        (p2, "fgw", "accept", china(2026, 3, 10, 9, 0), False),
        (p1, "fgw", "reply", china(2026, 3, 31, 23, 59, 59), False),     # last instant: in
        (p3, "fgw", "first_contact", china(2026, 3, 15, 12, 0), True),
        (p1, "jtw", "first_contact", china(2026, 3, 20, 8, 0), True),
        (p2, "jtw", "plan", china(2026, 3, 21, 8, 0), False),            # a kind with no label
        (p3, "jw", "opinion", china(2026, 3, 5, 10, 0), False),
        (formula, None, "feedback", china(2026, 3, 6, 10, 0), True),     # the proposer's rating: no unit
        (p1, "fgw", "accept", china(2026, 2, 28, 23, 59, 59), False),    # a second before: out
        (p1, "fgw", "reply", china(2026, 4, 1, 0, 0, 0), False),         # first instant after: out
        (p2, "wjw", "reply", china(2025, 12, 31, 12, 0), False),         # out
    ]
    for row in rows:
        add_overdue(app, *row)
    return {"p1": p1, "p2": p2, "p3": p3, "formula": formula}


MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def test_overdue_report_by_unit_and_kind(api, overdue):
    response = api.get("dcs_zhou", "/api/reports/overdue", query_string=MARCH)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["from"], report["to"]) == ("2026-03-01", "2026-03-31")
    assert [k["code"] for k in report["kinds"]] == ["accept", "first_contact", "opinion", "reply", "feedback", "plan"]
    assert [k["label"] for k in report["kinds"]] == ["签收", "首次联系", "协办意见", "答复", "评价", "plan"]
    units = {u["unit_id"]: u for u in report["units"]}
    assert [u["unit_id"] for u in report["units"]] == ["fgw", "jtw", "jw", None]  # by total, then unresolved
    assert units["fgw"]["unit_name"] == "区发展和改革委员会"
    assert units["fgw"]["counts"] == {"accept": 2, "first_contact": 1, "opinion": 0, "reply": 1, "feedback": 0,
                                      "plan": 0}
    assert units["fgw"]["unresolved"] == {"accept": 1, "first_contact": 0, "opinion": 0, "reply": 1,
                                          "feedback": 0, "plan": 0}
    assert (units["fgw"]["total"], units["fgw"]["unresolved_total"]) == (4, 2)
    assert units["jtw"]["counts"]["plan"] == 1 and units["jtw"]["counts"]["first_contact"] == 1
    assert (units["jtw"]["total"], units["jtw"]["unresolved_total"]) == (2, 1)
    assert (units["jw"]["total"], units["jw"]["unresolved_total"]) == (1, 1)
    assert units[None]["unit_name"] == reports.NO_UNIT and units[None]["counts"]["feedback"] == 1
    assert report["totals"]["total"] == 8 and report["totals"]["unresolved_total"] == 4
    assert report["totals"]["counts"]["accept"] == 2 and report["totals"]["unresolved"]["reply"] == 1
    items = report["items"]
    assert len(items) == 8
    first, last = items[0], items[-1]
    assert (first["kind"], first["kind_label"], first["unit_name"]) == ("accept", "签收", "区发展和改革委员会")
    assert datetime.fromisoformat(first["detected_at"]) == china(2026, 3, 1)
    assert first["resolved_at"] is not None and first["proposal_id"] == overdue["p1"]
    assert first["proposal_number"].startswith("2026-lead-") and first["proposal_title"].startswith("关于")
    assert datetime.fromisoformat(last["detected_at"]) == china(2026, 3, 31, 23, 59, 59)
    assert last["kind_label"] == "答复" and last["resolved_at"] is None
    assert datetime.fromisoformat(last["due_at"]) == china(2026, 3, 30, 23, 59, 59)


def test_one_day_range_in_china_time(api, overdue):
    first_day = api.get("tw_li", "/api/reports/overdue", query_string={"from": "2026-03-01", "to": "2026-03-01"})
    assert first_day.get_json()["totals"]["total"] == 1
    day_before = api.get("tw_li", "/api/reports/overdue", query_string={"from": "2026-02-28", "to": "2026-02-28"})
    assert day_before.get_json()["totals"]["total"] == 1
    april = api.get("tw_li", "/api/reports/overdue", query_string={"from": "2026-04-01", "to": "2026-04-30"})
    assert april.get_json()["totals"]["total"] == 1
    empty = api.get("tw_li", "/api/reports/overdue", query_string={"from": "2024-01-01", "to": "2024-12-31"})
    assert empty.get_json()["units"] == [] and empty.get_json()["totals"]["total"] == 0


def test_default_range_is_this_year(api):
    report = api.get("zfb_wang", "/api/reports/overdue").get_json()
    year = datetime.now(CHINA).year
    assert (report["from"], report["to"]) == (f"{year}-01-01", f"{year}-12-31")


@pytest.mark.parametrize("query, field, text", [
    ({"from": "2026-03-31", "to": "2026-03-01"}, "to", "不能早于"),
    ({"from": "2023-01-01", "to": "2026-01-01"}, "to", "不能超过 3 年"),
    ({"from": "2026-13-01", "to": "2026-12-31"}, "from", "YYYY-MM-DD"),
    ({"from": "2026/01/01", "to": "2026-12-31"}, "from", "YYYY-MM-DD"),
    ({"from": "2026-01-01", "to": "明天"}, "to", "YYYY-MM-DD"),
    ({"format": "pdf"}, "format", "xlsx"),
])
def test_bad_report_parameters(api, query, field, text):
    response = api.get("tw_li", "/api/reports/overdue", query_string=query)
    assert response.status_code == 400
    errors = response.get_json()["error"]["errors"]
    assert errors[0]["field"] == field and text in errors[0]["message"]


def test_three_years_is_the_longest_range(api):
    ok = api.get("tw_li", "/api/reports/overdue", query_string={"from": "2024-01-01", "to": "2026-12-31"})
    assert ok.status_code == 200
    leap = api.get("tw_li", "/api/reports/overdue", query_string={"from": "2024-02-29", "to": "2027-02-27"})
    assert leap.status_code == 200
    assert api.get("tw_li", "/api/reports/overdue",
                   query_string={"from": "2024-02-29", "to": "2027-02-28"}).status_code == 400


def test_engine_validates_the_range(app):
    with UnitOfWork(database(app)) as uow:
        with pytest.raises(EngineError) as err:
            reports.overdue_report(uow.session, user(app, "tw_li"), date(2026, 5, 1), date(2026, 4, 1))
    assert err.value.details["errors"] == [{"field": "to", "message": "结束日期不能早于开始日期"}]


def test_export_xlsx(api, overdue):
    response = api.get("tw_li", "/api/reports/overdue", query_string={**MARCH, "format": "xlsx"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and quote("超期情况报告_2026-03-01_2026-03-31.xlsx") in disposition
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按单位汇总", "明细"]
    summary = book["按单位汇总"]
    rows = [list(r) for r in summary.iter_rows(min_row=2, values_only=True)]
    assert rows[0] == ["责任单位或责任人", "签收", "首次联系", "协办意见", "答复", "评价", "plan", "合计", "其中未纠正"]
    assert rows[1] == ["区发展和改革委员会", 2, 1, 0, 1, 0, 0, 4, 2]
    assert rows[2] == ["区交通委员会", 0, 1, 0, 0, 0, 1, 2, 1]
    assert rows[3] == ["区经济委员会", 0, 0, 1, 0, 0, 0, 1, 1]
    assert rows[4] == [reports.NO_UNIT, 0, 0, 0, 0, 1, 0, 1, 0]
    assert rows[5] == ["合计", 2, 2, 1, 1, 1, 1, 8, 4]
    assert "2026-03-01" in summary["A1"].value and summary.column_dimensions["A"].width == 30
    detail = book["明细"]
    lines = list(detail.iter_rows(values_only=True))
    assert lines[0] == ("案号", "案由", "责任单位或责任人", "超期事项", "办理时限", "发现超期时间", "纠正时间", "状态")
    assert len(lines) == 9
    assert lines[1][2:4] == ("区发展和改革委员会", "签收") and lines[1][5] == datetime(2026, 3, 1, 0, 0)
    assert lines[1][7] == "已纠正" and lines[-1][5] == datetime(2026, 3, 31, 23, 59, 59)
    assert lines[-1][6] is None and lines[-1][7] == "未纠正"
    formula = next(c for c in detail["B"] if str(c.value).startswith("=1+2"))
    assert formula.data_type == "s" and formula.value == "=1+2 看似公式的案由"  # text, not a formula
    assert detail.column_dimensions["B"].width == 48


def test_export_csv_with_bom(api, overdue):
    response = api.get("tw_li", "/api/reports/overdue", query_string={**MARCH, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert quote("超期情况报告_2026-03-01_2026-03-31.csv") in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["责任单位或责任人", "签收", "首次联系", "协办意见", "答复", "评价", "plan", "合计", "其中未纠正"]
    assert rows[1] == ["区发展和改革委员会", "2", "1", "0", "1", "0", "0", "4", "2"]
    assert rows[-1] == ["合计", "2", "2", "1", "1", "1", "1", "8", "4"]


def test_exports_of_an_empty_report(app):
    with UnitOfWork(database(app)) as uow:
        report = reports.overdue_report(uow.session, user(app, "tw_li"), date(2026, 1, 1), date(2026, 1, 31))
    book = load_workbook(io.BytesIO(reports.export_overdue(report)))
    assert [list(r) for r in book["按单位汇总"].iter_rows(min_row=3, values_only=True)] == \
        [["合计", 0, 0, 0, 0, 0, 0, 0]]
    assert book["明细"].max_row == 1
    text = reports.export_overdue_csv(report)
    assert text.startswith("\ufeff责任单位或责任人,签收") and text.endswith("合计,0,0,0,0,0,0,0\r\n")
