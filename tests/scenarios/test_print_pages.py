"""The pages of printing, 代录 and 办理结果公开, through Flask's client as a browser uses them."""
import io

from page_client import Browser
from test_paper_ratings import to_rating
from test_printing import drafted


def browser(api, username):
    return Browser(api.client.application.test_client()).login(username)


def test_the_dossier_offers_its_documents_and_the_committee_enters_a_paper_rating(api, services):
    f = api.facts
    pid = drafted(services)
    to_rating(services, pid)
    staff = browser(api, "tawei_li")
    page = staff.text(f"/proposals/{pid}")
    assert "打印文书（PDF）" in page and "答复函" in page and "征询意见表" in page and "代录纸质评价" in page
    pdf = staff.client.get(f"/proposals/{pid}/print/reply-letter.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    form = staff.text(f"/proposals/{pid}/paper-rating")
    assert "签字扫描件" in form and "选择文件" in form
    good = next(iter(api.runtime.region.labels("satisfaction_scale")))
    fields = {"rater": "wy_chen", "satisfaction": good, "disclosure_consent": "yes", "rate_comment": "纸质表意见"}
    refused = staff.post(f"/proposals/{pid}/paper-rating", fields)  # no scan: refused, what was typed kept
    assert refused.status_code == 422
    assert "代录必须附委员签字的纸质征询意见表扫描件" in refused.get_data(as_text=True)
    assert "纸质表意见" in refused.get_data(as_text=True)
    done = staff.post(f"/proposals/{pid}/paper-rating",
                      {**fields, "scan": (io.BytesIO(b"%PDF-1.4 signed"), "签字件.pdf")},
                      content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)
    dossier = staff.text(f"/proposals/{pid}")
    assert 'class="badge proxy">代录' in dossier and "签字扫描件" in dossier
    # a unit may neither open the paper form page nor print the rating form
    unit = browser(api, f"{f.lead}_clerk")
    assert unit.get(f"/proposals/{pid}/paper-rating").status_code == 403
    assert "征询意见表" not in unit.text(f"/proposals/{pid}")


def test_review_publish_and_withdraw_on_the_pages(api, services):
    f = api.facts
    first, second = drafted(services), drafted(services)
    for pid in (first, second):
        to_rating(services, pid)
        api.do("wy_chen", "rate_reply", pid, {"satisfaction": f.good, "disclosure_consent": True,
                                              "assist_ratings": {}, "rate_comment": ""})
    member = browser(api, "wy_chen")
    assert "撤回公开同意" in member.text(f"/proposals/{second}")
    assert member.post(f"/proposals/{second}/disclosure/withdraw").status_code == 302
    assert "已撤回公开同意" in member.text(f"/proposals/{second}")
    staff = browser(api, "tawei_li")
    review = staff.text("/publication")
    assert "办理结果公开审核" in review and "委员已撤回同意" in review
    event = next(i["reply_event_id"] for i in api.get("tawei_li", "/api/publication").get_json()["items"]
                 if i["proposal_id"] == first)
    assert staff.post(f"/publication/{event}/withhold", {"reason": ""}).status_code == 302
    assert "请填写不予公开的理由" in staff.text("/publication")
    assert staff.post(f"/publication/{event}/publish").status_code == 302
    assert "已公开" in staff.text("/publication")
    assert browser(api, "wy_chen").get("/publication").status_code == 403
    assert api.proposal(first)["title"] in api.client.get("/public").get_data(as_text=True)
    assert "已在" in member.text(f"/proposals/{first}")
