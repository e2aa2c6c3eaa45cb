"""Paper ratings, honestly: committee staff enter a member's rating from the signed paper
form, with its scan as required evidence, and it is marked 代录 with who entered it; a
handling unit's account never rates, nor sees the rating form of, its own proposals."""
import io

from pypdf import PdfReader
from sqlalchemy import select
from test_lifecycle import consult, file_and_assign, supervise
from test_printing import drafted

from engine.adapters.db import UnitOfWork
from engine.model.tables import Rating
from engine.services.directory import add_user
from engine.tooling.demo import ACCEPT, APPROVE, RATE_OK, plan, reply


def to_rating(api, pid):
    f = api.facts
    api.do(f"{f.lead}_head", "head_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    assert set(api.open(pid)) == {"rate_reply"}


def scan(api, pid, user="tawei_li", name="征询意见表签字件.pdf"):
    r = api.client.post(f"/api/proposals/{pid}/attachments", headers=api._headers(user),
                        data={"file": (io.BytesIO(b"%PDF-1.4 signed form"), name)})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_committee_enters_a_paper_rating_with_its_scan_marked_as_entered(api, services):
    f = api.facts
    pid = drafted(services)
    to_rating(services, pid)
    url = f"/api/proposals/{pid}/paper-ratings"
    assert [m["username"] for m in api.get("tawei_li", url).get_json()["items"]] == ["wy_chen"]
    rating = {**RATE_OK, "satisfaction": f.good}
    # the signed scan is required evidence
    r = api.post("tawei_li", url, json={"rater": "wy_chen", "rating": rating})
    assert r.status_code == 400  # the request misses a required field (the API contract)
    assert [e["field"] for e in r.get_json()["error"]["errors"]] == ["scan_attachment_id"]
    # never a handling unit, not even its head
    file_id = scan(api, pid)
    r = api.post(f"{f.lead}_head", url, json={"rater": "wy_chen", "scan_attachment_id": file_id, "rating": rating})
    assert r.status_code == 403
    r = api.post("tawei_li", url, json={"rater": "wy_chen", "scan_attachment_id": file_id, "rating": rating})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["entered_by"] == "tawei_li"

    p = api.proposal(pid, "wy_chen")
    assert p["status"] == "closed" and p["satisfaction"] == f.good
    mine = [x for x in p["ratings"] if x["rater"] == "wy_chen"]
    assert mine and all(x["entered_by"] == "tawei_li" and x["evidence_id"] == file_id for x in mine)
    step = next(e for e in p["timeline"] if e["task_name"] == "rate_reply")
    assert "代录" in step["title"] and step["actor"] == "tawei_li"  # who did it, honestly
    with UnitOfWork(api.client.application.extensions["cppcc"]["db"]) as uow:
        rows = list(uow.session.scalars(select(Rating).where(Rating.proposal_id == pid)))
        assert {(r.rater, r.entered_by) for r in rows} == {("wy_chen", "tawei_li")}

    page = api.client.get(f"/api/proposals/{pid}/documents/dossier.pdf", headers=api._headers("tawei_li"))
    text = "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(page.data)).pages).replace(" ", "")
    assert "代录" in text and "附签字扫描件" in text


def test_a_members_own_rating_is_not_marked(api, services):
    f = api.facts
    pid = drafted(services)
    to_rating(services, pid)
    api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "satisfaction": f.good})
    ratings = api.proposal(pid)["ratings"]
    assert ratings and all(r["entered_by"] is None for r in ratings)


def test_a_unit_account_never_rates_nor_sees_the_rating_form_of_its_own_proposal(api, app, services):
    f = api.facts
    ext = app.extensions["cppcc"]
    with UnitOfWork(ext["db"]) as uow:  # a member who works at the lead unit, and co-signs
        add_user(uow.session, "wy_unit", "单位委员", "demo123", ["proposer", "unit_clerk"], f.lead)
        uow.commit()
    pid = services.submit("wy_chen", cosigners=["wy_unit"])
    services.do("wy_unit", "cosigner_confirm", pid, {"agree": True})
    file_and_assign(services, pid)
    services.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    services.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    services.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    consult(services, pid, f.lead)
    services.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain))
    to_rating(services, pid)
    staff_view = api.proposal(pid)["open_tasks"]
    theirs = next(t for t in staff_view if t["assignee"] == "wy_unit")
    assert api.tasks("wy_unit", pid) == []  # not in their task list
    assert api.get("wy_unit", f"/api/tasks/{theirs['id']}").status_code == 404  # the form: as if none
    r = api.post("wy_unit", f"/api/tasks/{theirs['id']}/complete", json={"data": {**RATE_OK, "satisfaction": f.good}})
    assert r.status_code == 404
    for user in ("wy_unit", f"{f.lead}_clerk"):
        assert api.get(user, f"/api/proposals/{pid}/documents/rating-form.pdf",
                       query_string={"rater": "wy_chen"}).status_code == 403
    # the proposer, who has no unit, rates as usual
    api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "satisfaction": f.good})


def test_the_rating_statistics_and_their_export_mark_staff_entered_ratings(api, services):
    from openpyxl import load_workbook
    f = api.facts
    pid = drafted(services)
    to_rating(services, pid)
    api.post("tawei_li", f"/api/proposals/{pid}/paper-ratings",
             json={"rater": "wy_chen", "scan_attachment_id": scan(api, pid), "rating": {**RATE_OK, "satisfaction": f.good}})
    report = api.get("tawei_li", "/api/reports/ratings").get_json()
    lead = next(u for u in report["units"] if u["unit_id"] == f.lead)
    assert lead["total"] == 1 and lead["entered"] == 1 and lead["counts"][f.good] == 1
    item = report["items"][0]
    assert item["entered_by"] == "tawei_li" and item["entry"].startswith("代录（") and "录入" in item["entry"]
    assert api.get(f"{f.lead}_clerk", "/api/reports/ratings").status_code == 403
    xlsx = api.get("tawei_li", "/api/reports/ratings", query_string={"format": "xlsx"})
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book["按单位汇总"]["A1"].value == "单位" and "其中代录" in [c.value for c in book["按单位汇总"][1]]
    assert book["明细"].cell(row=2, column=9).value == item["entry"]
