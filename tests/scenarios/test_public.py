"""办理结果公开 (/public): only replies whose proposer consented, after the committee's
review, are published; a withheld one and a withdrawn one are absent; the page needs no
login and shows none of the internal record (drafts, approvals, comments, phone numbers,
accounts); the security headers of every page apply to it."""
import re

from test_lifecycle import consult, file_and_assign, supervise

from engine.tooling.demo import ACCEPT, RATE_OK, plan, reply

SECRET_COMMENT = "内部审批意见请勿外传"
SECRET_PLAN = "内部办理方案专班名单"


def rated(api, title, consent=True):
    """A proposal replied to and rated by its proposer (consenting or not) with marked internals."""
    f = api.facts
    pid = api.submit("wy_chen", title=title)
    file_and_assign(api, pid)
    api.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    api.do(f"{f.lead}_clerk", "plan_draft", pid, {**plan(), "plan_content": SECRET_PLAN})
    api.do(f"{f.lead}_head", "plan_approve", pid, {"approved": True, "approve_comment": SECRET_COMMENT})
    consult(api, pid, f.lead)
    api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain, f"关于{title}的答复正文。"))
    api.do(f"{f.lead}_head", "head_approve", pid, {"approved": True, "approve_comment": SECRET_COMMENT})
    supervise(api, pid, f.plain)
    api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "satisfaction": f.good, "disclosure_consent": consent,
                                          "rate_comment": "委员的私下意见"})
    return pid


def reply_id(api, pid):
    items = api.get("tawei_li", "/api/publication").get_json()["items"]
    return next(i["reply_event_id"] for i in items if i["proposal_id"] == pid)


def test_the_public_page_shows_only_published_replies_and_nothing_internal(api, services):
    published = rated(services, "关于建设口袋公园的建议")
    withheld = rated(services, "关于调整公交线路的建议")
    withdrawn = rated(services, "关于增设路灯的建议")
    refused = rated(services, "关于整治噪声的建议", consent=False)

    review = api.get("tawei_li", "/api/publication").get_json()["items"]
    assert {i["proposal_id"] for i in review} == {published, withheld, withdrawn}  # the consented ones
    assert refused not in {i["proposal_id"] for i in review}  # no consent: never up for review
    assert all(i["status"] == "pending" and i["publish_by"] >= i["replied_on"] for i in review)
    # only the committee reviews; a unit or a member may not publish
    for user in (f"{api.facts.lead}_clerk", "wy_chen"):
        assert api.post(user, f"/api/publication/{reply_id(api, published)}/publish", json={}).status_code == 403
    assert api.post("tawei_li", f"/api/publication/{reply_id(api, published)}/publish", json={}).status_code == 200
    r = api.post("tawei_li", f"/api/publication/{reply_id(api, withheld)}/withhold", json={})
    assert r.status_code == 400  # a reason is required (the API contract)
    r = api.post("tawei_li", f"/api/publication/{reply_id(api, withheld)}/withhold", json={"reason": "涉及敏感信息"})
    assert r.status_code == 200 and r.get_json()["status"] == "withheld"
    assert api.post("wy_chen", f"/api/proposals/{withdrawn}/disclosure/withdraw", json={}).status_code == 200
    assert api.post("tawei_li", f"/api/publication/{reply_id(api, withdrawn)}/publish", json={}).status_code == 409
    # consent can no longer be withdrawn once published
    assert api.post("wy_chen", f"/api/proposals/{published}/disclosure/withdraw", json={}).status_code == 409

    page = api.client.get("/public")  # no login
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    number = api.proposal(published)["number"]
    assert "关于建设口袋公园的建议" in html and number in html
    for absent in ("关于调整公交线路的建议", "关于增设路灯的建议", "关于整治噪声的建议", "涉及敏感信息"):
        assert absent not in html, absent
    # the published one's own page: the reply letter, none of the internals
    item = api.client.get("/api/public/replies").get_json()["items"][0]
    detail = api.client.get(f"/public/{item['id']}").get_data(as_text=True)
    assert "关于建设口袋公园的建议" in detail
    people = api.proposal(published)["people"]
    for text in (html, detail):
        for secret in (SECRET_COMMENT, SECRET_PLAN, "委员的私下意见", "1390000", "wy_chen", "tawei_li",
                       f"{api.facts.lead}_clerk", f"{api.facts.lead}_head", "起草答复", "审签",
                       *[p["name"] for p in people]):
            assert secret not in text, secret
    if api.runtime.region.disclosure["full_text_after_working_days"]:
        assert item["full_text"] is None and "答复全文将于" in detail  # the summary first
    else:
        assert "关于关于建设口袋公园的建议的答复正文" in detail.replace("\n", "")

    # the proposer is told it was published
    notes = api.get("wy_chen", "/api/notifications").get_json()["items"]
    assert any(n["kind"] == "published" for n in notes)


def test_public_search_and_headers(api, services):
    pid = rated(services, "关于改善停车秩序的建议")
    api.post("tawei_li", f"/api/publication/{reply_id(api, pid)}/publish", json={})
    year = api.proposal(pid)["submitted_at"][:4]
    unit = api.facts.lead
    found = api.client.get("/api/public/replies", query_string={"year": year, "unit": unit, "q": "停车",
                                                                "category": api.facts.category}).get_json()
    assert found["total"] == 1
    assert api.client.get("/api/public/replies", query_string={"year": "1999"}).get_json()["total"] == 0
    assert api.client.get("/api/public/replies", query_string={"year": "20x6"}).status_code == 400
    assert api.client.get("/api/public/replies", query_string={"secret": "1"}).status_code == 400
    page = api.client.get("/public", query_string={"q": "停车"})
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert 'name="viewport"' in page.get_data(as_text=True)  # made for phones too
    assert api.client.get("/public/999").status_code == 404


def test_public_search_by_session(api, services):
    """The public page searches by 届次 as well: the reply's own session (or 平时提案) finds it,
    another session does not, a malformed code is a 400 naming the field."""
    pid = rated(services, "关于完善社区养老服务的建议")
    api.post("tawei_li", f"/api/publication/{reply_id(api, pid)}/publish", json={})
    offered = re.search(r'<select name="session">(.*?)</select>', api.client.get("/public").get_data(as_text=True)).group(1)
    codes = re.findall(r'<option value="([^"]+)"', offered)
    assert len(codes) == 1  # only the sessions that have published replies are offered
    own = codes[0]
    found = api.client.get("/api/public/replies", query_string={"session": own}).get_json()
    assert [i["title"] for i in found["items"]] == ["关于完善社区养老服务的建议"]
    label = found["items"][0]["session"]
    assert label and not label.isascii()  # 六届一次会议 or 平时提案, never the code
    other = "ordinary" if own != "ordinary" else "99-9"
    assert api.client.get("/api/public/replies", query_string={"session": other}).get_json()["total"] == 0
    bad = api.client.get("/api/public/replies", query_string={"session": "第六届"})
    assert bad.status_code == 400 and "session" in bad.get_data(as_text=True)
    page = api.client.get("/public", query_string={"session": own}).get_data(as_text=True)
    assert 'name="session"' in page and f'value="{own}" selected' in page and label in page
    assert "委员的私下意见" not in page and SECRET_COMMENT not in page
