"""办理结果公开 in Chromium: the committee publishes a consented reply on its review page,
and anyone, on a phone (390 px wide), reads it on /public without logging in; nothing is
blocked by the Content-Security-Policy and nothing runs off the screen's width."""
from conftest import csp_violations

from engine.tooling.demo import ACCEPT, APPROVE, RATE_OK, act, consult, plan, reply, submit

TITLE = "关于建设社区口袋公园的建议"


def replied_with_consent(app) -> int:
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    pid = submit(db, rt, "wy_chen", TITLE, "urban", "老旧小区缺少休闲空间，群众呼声较高。", "利用边角地建设口袋公园。")
    act(db, rt, "tawei_li", "review", {"review_decision": "file", "category": "urban"}, pid)
    act(db, rt, "tawei_li", "assign", {"assign_mode": "single", "lead_unit_ids": ["jtw"], "assisting_unit_ids": [],
                                       "is_key": False}, pid)
    act(db, rt, "jtw_clerk", "accept", ACCEPT, pid)
    act(db, rt, "jtw_clerk", "plan_draft", plan(), pid)
    act(db, rt, "jtw_head", "plan_approve", APPROVE, pid)
    for _ in range(max(1, rt.region.setting("min_consultations"))):
        act(db, rt, "jtw_clerk", "consultation", consult(), pid)
    act(db, rt, "jtw_clerk", "reply_draft", reply("A", "经研究，今年将在三处边角地建设口袋公园。"), pid)
    act(db, rt, "jtw_head", "head_approve", APPROVE, pid)
    act(db, rt, "dcs_zhou", "supervise_review", {"final_class": "A", "approved": True}, pid)
    act(db, rt, "wy_chen", "rate_reply", {**RATE_OK, "disclosure_consent": True}, pid)
    return pid


def test_publish_on_the_review_page_and_read_it_on_a_phone(app, person, chromium, live_server, shots):
    replied_with_consent(app)
    clerk = person("tawei_li")
    clerk.page.goto(clerk.base + "/publication")
    assert TITLE in clerk.page.content()
    clerk.shot("publication-review")
    clerk.page.click("form[action$='/publish'] button")
    assert "已公开" in clerk.page.content()

    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    blocked = csp_violations(context)
    page = context.new_page()
    page.goto(live_server + "/public")
    assert TITLE in page.content() and "登录" not in page.title()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots.take(page, "public-phone.png")
    page.click(f"text={TITLE}")
    page.wait_for_selector(".public-letter")
    assert "经研究，今年将在三处边角地建设口袋公园。" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots.take(page, "public-reply-phone.png")
    context.close()
    assert not blocked, blocked
