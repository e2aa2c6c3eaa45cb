"""The printed documents (PDF from the region's templates, engine/adapters/pdf.py): the
assignment notice of each unit, the reply letter of the approved reply only, the rating form
pre-filled for a member, and the dossier with its attachments listed. Their text, read back
from the PDF, holds the fields a reader expects, in Chinese."""
import io
from pathlib import Path

from pypdf import PdfReader
from test_lifecycle import consult, file_and_assign, supervise

from engine.tooling.demo import ACCEPT, APPROVE, plan, reply

REPLY_TEXT = "经研究，我单位已将立体停车库建设列入明年计划。"
SAMPLES = Path(__file__).resolve().parents[2] / "instance" / "print-samples"  # to look at (pdftoppm)


def text_of(response, sample: str | None = None) -> str:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    if sample:
        SAMPLES.mkdir(parents=True, exist_ok=True)
        (SAMPLES / f"{sample}.pdf").write_bytes(response.data)
    reader = PdfReader(io.BytesIO(response.data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def pdf(api, user, pid, kind, **params):
    return api.get(user, f"/api/proposals/{pid}/documents/{kind}.pdf", query_string=params)


def drafted(api, assists=()):
    """A proposal with the lead unit's reply drafted and waiting for its head's signature."""
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "joint" if assists else "single", (f.lead,), assists)
    api.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    api.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    api.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    consult(api, pid, f.lead)
    for unit in assists:
        api.do(f"{unit}_clerk", "assist_opinion", pid, {"opinion_text": "同意", "contact_person": "刘干事"})
    api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain, REPLY_TEXT))
    for unit in assists:
        api.do(f"{unit}_head", "cosign_reply", pid, {"agree": True})
    return pid


def test_the_four_documents_hold_their_fields(api, services):
    f = api.facts
    pid = drafted(services, assists=(f.assists[0],))
    p = api.proposal(pid)
    lead = next(u for u in p["units"] if u["role"] == "lead")
    assist = next(u for u in p["units"] if u["role"] == "assist")

    # a draft is never printable as a final letter, for anyone
    for user in ("tawei_li", f"{f.lead}_clerk", "wy_chen"):
        r = pdf(api, user, pid, "reply-letter")
        assert r.status_code == 409 and "草稿" in r.get_json()["error"]["message"]

    notice = text_of(pdf(api, "tawei_li", pid, "assignment-notice", unit=assist["unit_id"]), f"{api.runtime.region.code}-assignment")
    for expected in ("交办通知单", p["number"], p["title"], assist["unit_name"], "协办", lead["unit_name"],
                     "陈思远", "答复期限"):
        assert expected in notice, expected
    # a unit prints its own notice, not another unit's
    assert pdf(api, f"{f.lead}_clerk", pid, "assignment-notice", unit=lead["unit_id"]).status_code == 200
    assert pdf(api, f"{f.lead}_clerk", pid, "assignment-notice", unit=assist["unit_id"]).status_code == 403

    api.do(f"{f.lead}_head", "head_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    letter = text_of(pdf(api, "wy_chen", pid, "reply-letter"), f"{api.runtime.region.code}-reply")
    head = api.proposal(pid)["timeline"]
    signer = next(e["actor_name"] for e in head if e["task_name"] == "head_approve")
    drafter = next(e["actor_name"] for e in head if e["task_name"] == "reply_draft")
    for expected in (lead["unit_name"], f"第{p['number']}号提案的答复", REPLY_TEXT.rstrip("。"), "签发人", signer,
                     "联系人", drafter, "联系电话", "1390000"):
        assert expected in letter, expected

    form = text_of(pdf(api, "tawei_li", pid, "rating-form", rater="wy_chen"), f"{api.runtime.region.code}-rating-form")
    scale = list(api.runtime.region.labels("satisfaction_scale").values())
    for expected in ("征询意见表", p["number"], p["title"], "陈思远", lead["unit_name"], assist["unit_name"],
                     "同意公开办理结果", "委员签名", *scale):
        assert expected in form, expected

    upload = api.client.post(f"/api/proposals/{pid}/attachments", headers=api._headers("tawei_li"),
                             data={"file": (io.BytesIO(b"%PDF-1.4 minutes"), "座谈会纪要.pdf")})
    assert upload.status_code == 201, upload.get_json()
    dossier = text_of(pdf(api, "tawei_li", pid, "dossier"), f"{api.runtime.region.code}-dossier")
    for expected in ("一案一册", p["number"], p["title"], "办理经过", "起草答复", "附件目录", "座谈会纪要.pdf",
                     lead["unit_name"], assist["unit_name"]):
        assert expected in dossier, expected


def test_the_dossier_prints_what_its_viewer_may_see(api, services):
    pid = drafted(services)
    member = text_of(pdf(api, "wy_chen", pid, "dossier"))
    staff = text_of(pdf(api, "tawei_li", pid, "dossier"))
    assert "起草答复" in staff and "起草答复" not in member  # a member never sees a draft
    assert REPLY_TEXT.rstrip("。") not in member


def test_who_may_print_the_rating_form(api, services):
    f = api.facts
    pid = drafted(services)
    api.do(f"{f.lead}_head", "head_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    assert pdf(api, "wy_chen", pid, "rating-form").status_code == 200  # the member himself
    for unit_user in (f"{f.lead}_clerk", f"{f.lead}_head"):  # never the unit whose reply is rated
        assert pdf(api, unit_user, pid, "rating-form", rater="wy_chen").status_code == 403
    listed = api.get("tawei_li", f"/api/proposals/{pid}/documents").get_json()["items"]
    assert {i["kind"] for i in listed} == {"dossier", "assignment-notice", "reply-letter", "rating-form"}
    unit_listed = api.get(f"{f.lead}_clerk", f"/api/proposals/{pid}/documents").get_json()["items"]
    assert "rating-form" not in {i["kind"] for i in unit_listed}
