"""A small year walked through the service layer gives, on the page, through the API, in
the Excel export and in the Word report, the figures counted by hand (stats_year.py) and
by an independent count over the database (engine/tooling/year_walk.py: plain SQL and Python,
not the engine's query)."""
import io

import docx
import openpyxl
import pytest
from page_client import Browser
from sqlalchemy import text
from stats_year import EXPECTED, EXPECTED_CATEGORIES, EXPECTED_UNITS, _new, make_year, move_to_last_year

from engine.adapters.db import UnitOfWork
from engine.tooling.year_walk import independent_counts


@pytest.fixture
def year(app):
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    ids = make_year(db, rt)
    old = _new(db, rt, "wy_huang", "关于去年的一件提案", "urban")
    move_to_last_year(db, old)
    with UnitOfWork(db) as uow:
        number = uow.session.execute(text("SELECT year FROM proposals WHERE id = :i"), {"i": ids["P1"]}).scalar()
    return {"ids": ids, "year": number, "db": db}


def _token(client, username):
    response = client.post("/api/auth/login", json={"username": username, "password": "demo123"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_figures_agree_on_page_api_excel_and_report(app, year):
    client = app.test_client()
    with UnitOfWork(year["db"]) as uow:
        independent = independent_counts(uow.session, year["year"])
    for code, expected in EXPECTED.items():  # the hand count and the independent count agree …
        assert independent.get(code, 0) == expected, code

    headers = _token(client, "zfb_wang")
    api = client.get(f"/api/statistics?year={year['year']}", headers=headers).get_json()
    for code, expected in EXPECTED.items():  # … and the API gives the same
        assert api["counts"][code] == expected, code
    assert api["ratios"]["reply_rate"] == round(7 / 9 * 100, 1)
    assert api["ratios"]["meeting_rate"] == round(6 / 7 * 100, 1)
    units = {row["unit"]: row["counts"] for row in api["units"]}
    for unit, (handlings, replied, met) in EXPECTED_UNITS.items():
        assert (units[unit]["handlings"], units[unit]["replied"], units[unit]["met"]) == (handlings, replied, met), unit
    assert {row["category"]: row["counts"]["filed"] for row in api["categories"] if row["counts"]["filed"]} \
        == EXPECTED_CATEGORIES
    assert [g["counts"]["handlings"] for g in api["groups"]] == [8, 1]  # individual, joint (P5 is co-signed)
    assert api["assist_units"][0]["unit"] == "wjw" and api["assist_units"][0]["counts"]["assist_on_time"] == 1

    # the Excel export: the 主办单位 sheet's 已答复 column and the 总体情况 sheet
    xlsx = client.get(f"/api/statistics?year={year['year']}&format=xlsx", headers=headers)
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    sheet = book["主办单位"]
    assert sheet["A1"].value.endswith("提案办理统计")  # a title row, then the header
    header = [c.value for c in sheet[2]]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["区科学技术委员会"]["应办件数"] == 2 and rows["区科学技术委员会"]["已答复"] == 1
    headline = {r[0]: r[1] for r in book["总体情况"].iter_rows(min_row=3, values_only=True)}
    assert headline["已答复"] == 7 and headline["办复率（%）"] == round(7 / 9 * 100, 1)

    # the page shows the same numbers, each linking to the list behind it
    page = Browser(client).login("zfb_wang").text(f"/stats?year={year['year']}")
    assert f'data-count="replied"><a class="figure-link" href="/proposals?year={year["year"]}&amp;indicator=replied">7</a>' \
        in page
    listed = client.get(f"/api/proposals?year={year['year']}&indicator=replied&per_page=100", headers=headers).get_json()
    assert listed["total"] == 6  # seven handlings, six proposals (P4 has two separate leads)
    late_year = client.get(f"/api/proposals?year={year['year'] - 1}", headers=headers).get_json()
    assert [p["title"] for p in late_year["items"]] == ["关于去年的一件提案"]

    # the Word report reads the same figures, in the report's wording
    report = client.get(f"/api/reports/annual?year={year['year']}", headers=headers)
    assert report.status_code == 200
    document = docx.Document(io.BytesIO(report.data))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "共收到政协提案10件，立案8件" in body
    assert "立案的8件提案共9件应办件（分别主办的提案按每个主办单位各计一件），已答复委员7件，办复率为78%" in body
    assert "解决或采纳5件，占71%；列入计划拟解决1件，占14%；留作参考1件，占14%" in body
    assert "共办结6件，办结率为67%" in body
    assert "结果为“满意”的6件，占86%；结果为“基本满意”的1件，占14%；无“不满意”评" in body
    assert [h.text for h in document.paragraphs if h.style.name == "Heading 1"][:2] == ["一、基本情况", "二、承办单位办理情况"]
    unit_table = document.tables[0]
    assert [c.text for c in unit_table.rows[0].cells][:3] == ["承办单位", "应办件数", "已答复"]


def test_a_unit_head_sees_only_their_own_unit(app, year):
    client = app.test_client()
    mine = client.get(f"/api/statistics?year={year['year']}", headers=_token(client, "kw_head")).get_json()
    assert [row["unit"] for row in mine["units"]] == ["kw"]
    assert mine["counts"]["handlings"] == 2 and mine["counts"]["replied"] == 1
    other = client.get(f"/api/statistics?year={year['year']}&unit=jtw", headers=_token(client, "kw_head")).get_json()
    assert other["counts"]["handlings"] == 2  # still their own unit
    assert client.get("/api/reports/annual", headers=_token(client, "kw_head")).status_code == 403
    assert client.get("/api/statistics", headers=_token(client, "wy_chen")).status_code == 403
    assert client.get("/api/statistics", headers=_token(client, "kw_clerk")).status_code == 403
