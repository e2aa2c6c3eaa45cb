"""The supervision pages: drawing samples, a draw's result with its seed, the overdue
report and its downloads, and who may see them."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from engine.adapters.db import UnitOfWork
from engine.model.tables import OverdueRecord, Proposal, ProposalUnit, SupervisionSample

CHINA = timezone(timedelta(hours=8))


def add_assigned(app, count, lead="jtw") -> list[int]:
    """`count` proposals with `lead` as lead unit, written through the ORM; their ids."""
    now = datetime.now(UTC)
    ids = []
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        for i in range(count):
            p = Proposal(number=f"2026-{i + 1:03d}", title=f"关于改善交通出行的建议{i + 1}", body="出行难。",
                         suggestions="增设公交线路", category="urban", proposer="wy_chen", status="handling",
                         lead_unit=lead, submitted_at=now, updated_at=now)
            uow.session.add(p)
            uow.session.flush()
            uow.session.add(ProposalUnit(proposal_id=p.id, unit_id=lead, role="lead"))
            ids.append(p.id)
        uow.commit()
    return ids


def add_overdue(app, proposal_id, unit_id, kind, detected_at, resolved=False):
    detected = detected_at.astimezone(UTC)
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        uow.session.add(OverdueRecord(proposal_id=proposal_id, unit_id=unit_id, kind=kind,
                                      due_at=detected - timedelta(days=3), detected_at=detected,
                                      resolved_at=detected + timedelta(days=1) if resolved else None))
        uow.commit()


def test_draw_a_sample_and_verify_it(app, browser):
    ids = add_assigned(app, 40)
    b = browser().login("tawei_li")
    html = b.text("/supervision/samples")
    assert "督办抽查" in html and "还没有抽查记录" in html
    assert re.search(r'name="rate_percent" value="8"', html)  # the region's rate
    assert 'name="csrf_token"' in html
    response = b.post("/supervision/samples", {"rate_percent": "10", "seed": "网页种子", "label": "2026年联合督查"})
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    sample_id = int(location.rsplit("/", 1)[1])
    page = b.text(location)
    assert "2026年联合督查" in page and "网页种子" in page and "可凭种子复核" in page and "复核一致" in page
    assert "已从 40 件已交办提案中抽取 4 件" in page
    linked = [int(x) for x in re.findall(r'href="/proposals/(\d+)"', page)]
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        stored = uow.session.get(SupervisionSample, sample_id)
        assert linked == stored.selected and len(linked) == 4 and set(linked) <= set(ids)
    assert "区交通委员会" in page
    listing = b.text("/supervision/samples")
    assert "网页种子" in listing and "2026年联合督查" in listing and f"/supervision/samples/{sample_id}" in listing
    again = b.post("/supervision/samples", {"rate_percent": "10", "seed": "网页种子"})
    assert re.findall(r'href="/proposals/(\d+)"', b.text(again.headers["Location"])) == [str(i) for i in linked]


def test_draw_without_a_seed_and_with_errors(app, browser):
    b = browser().login("dcs_zhou")
    b.get("/supervision/samples")
    response = b.post("/supervision/samples", {"rate_percent": "8"})
    assert response.status_code == 422 and "目前没有已交办的提案" in response.get_data(as_text=True)
    add_assigned(app, 5)
    response = b.post("/supervision/samples", {"rate_percent": "200", "seed": "abc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "不超过 100" in html and 'value="abc"' in html
    response = b.post("/supervision/samples", {"rate_percent": "8"})
    assert response.status_code == 302
    assert re.search(r"<code>[0-9a-f]{16}</code>", b.text(response.headers["Location"]))


def test_draw_needs_the_csrf_token(app, browser):
    add_assigned(app, 5)
    b = browser().login("tawei_li")
    response = b.post("/supervision/samples", {"rate_percent": "8"}, token=False)
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_unknown_sample_page(browser):
    assert browser().login("tawei_li").get("/supervision/samples/999").status_code == 404


def test_overdue_report_page_and_downloads(app, browser):
    year = datetime.now(CHINA).year
    p1, p2 = add_assigned(app, 2)
    add_overdue(app, p1, "jtw", "accept", datetime(year, 1, 1, 0, 0, tzinfo=CHINA))
    add_overdue(app, p2, "jtw", "reply", datetime(year, 2, 1, 9, 0, tzinfo=CHINA), resolved=True)
    add_overdue(app, p2, "fgw", "opinion", datetime(year, 3, 1, 9, 0, tzinfo=CHINA))
    add_overdue(app, p1, "fgw", "accept", datetime(year - 1, 12, 31, 23, 59, tzinfo=CHINA))  # last year
    b = browser().login("zfb_wang")
    html = b.text("/reports/overdue")  # this year by default
    assert "超期情况报告" in html
    assert f'name="from" value="{year}-01-01"' in html and f'name="to" value="{year}-12-31"' in html
    assert html.index("区交通委员会") < html.index("区发展和改革委员会")  # by total, descending
    assert "共 3 起，其中尚未纠正 2 起" in html and "签收" in html and "协办意见" in html
    assert f'href="/reports/overdue.xlsx?from={year}-01-01&amp;to={year}-12-31"' in html
    assert f'href="/reports/overdue.csv?from={year}-01-01&amp;to={year}-12-31"' in html

    xlsx = b.client.get(f"/reports/overdue.xlsx?from={year}-01-01&to={year}-12-31")
    assert xlsx.status_code == 200
    assert quote(f"超期情况报告_{year}-01-01_{year}-12-31.xlsx") in xlsx.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.data))
    rows = [list(r) for r in book["按单位汇总"].iter_rows(min_row=2, values_only=True)]
    assert rows[0] == ["责任单位或责任人", "签收", "首次联系", "协办意见", "答复", "评价", "合计", "其中未纠正"]
    assert rows[1] == ["区交通委员会", 1, 0, 0, 1, 0, 2, 1]
    assert rows[2] == ["区发展和改革委员会", 0, 0, 1, 0, 0, 1, 1]
    assert book["明细"].max_row == 4

    csv_response = b.client.get(f"/reports/overdue.csv?from={year - 1}-12-31&to={year - 1}-12-31")
    assert csv_response.status_code == 200 and csv_response.data.startswith(b"\xef\xbb\xbf")
    assert quote(f"超期情况报告_{year - 1}-12-31_{year - 1}-12-31.csv") in csv_response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
    assert rows[1] == ["区发展和改革委员会", "1", "0", "0", "0", "0", "1", "1"]

    empty = b.text("/reports/overdue?from=2020-01-01&to=2020-12-31")
    assert "该期间没有超期记录" in empty


def test_overdue_report_bad_range(browser):
    b = browser().login("dcs_zhou")
    response = b.get("/reports/overdue?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 400 and "结束日期不能早于开始日期" in response.get_data(as_text=True)
    assert b.client.get("/reports/overdue.xlsx?from=2020-01-01&to=2026-01-01").status_code == 400


@pytest.mark.parametrize("username", ["jtw_clerk", "jtw_head", "wy_chen", "deputy_zhao"])
def test_others_get_403(app, browser, username):
    add_assigned(app, 3)
    tawei = browser().login("tawei_li")
    tawei.get("/supervision/samples")
    sample = tawei.post("/supervision/samples", {"rate_percent": "50"}).headers["Location"]
    b = browser().login(username)
    b.get("/tasks")  # a page with a CSRF token
    for path in ("/supervision/samples", sample, "/reports/overdue", "/reports/overdue.xlsx",
                 "/reports/overdue.csv"):
        response = b.client.get(path)
        assert response.status_code == 403, path
        assert "提案委、政府办和督查室" in response.get_data(as_text=True)
    assert b.post("/supervision/samples", {"rate_percent": "8"}).status_code == 403


def test_login_required(browser):
    b = browser()
    for path in ("/supervision/samples", "/reports/overdue", "/reports/overdue.xlsx"):
        response = b.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
