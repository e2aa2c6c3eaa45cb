"""A proposal walked from submission to closure in a real browser, each step by the
right person through the pages; plus refused forms, forbidden pages, escaped text."""
import re

from engine.tooling.demo import OPINION, consult, plan

TITLE = "关于推进老旧小区加装电梯的建议"


def test_submission_to_closure(accounts):
    person = accounts.person  # everyone in one tab, each opening their page before reading it
    chen = person("wy_chen")
    chen.page.goto(chen.base + "/proposals/new")
    chen.fill({"title": TITLE, "category": "urban", "body": "老旧小区老年人上下楼困难，加装电梯需求迫切。",
               "suggestions": "简化审批流程，给予财政补贴。", "cosigners": ["wy_lin"]}).submit("submit")
    assert "提案已提交" in chen.page.content()
    person("wy_lin").open_task("确认联名", TITLE).fill({"agree": True}).submit("cosign")
    tw = person("tawei_li")
    tw.open_task("审查立案", TITLE).fill({"review_decision": "file", "category": "urban"}).submit("review")
    tw.open_task("交办", TITLE).fill({"assign_mode": "joint", "lead_unit_ids": ["jsgl"],
                                     "assisting_unit_ids": ["ghzy"], "is_key": False}).submit("assign")
    clerk = person("jsgl_clerk")
    clerk.open_task("签收或退回", TITLE).fill({"accept_decision": "accept"}).submit("accept")
    clerk.open_task("拟定办理方案", TITLE).fill(plan()).submit("plan")
    head = person("jsgl_head")
    head.open_task("审批办理方案", TITLE).fill({"approved": True, "approve_comment": "同意"}).submit("plan-approve")
    clerk.open_task("记录沟通协商", TITLE).fill(consult()).submit("consult")
    person("ghzy_clerk").open_task("提交协办意见", TITLE).fill(OPINION).submit("opinion")
    clerk.open_task("起草答复", TITLE).fill({"reply_class": "A", "reply_text": "经研究，已将加装电梯纳入年度实事项目。",
                                         "involves_funds": False}).submit("reply")
    person("ghzy_head").open_task("会签答复", TITLE).fill({"agree": True}).submit("cosign-reply")
    head.open_task("单位负责人审签", TITLE).fill({"approved": True, "approve_comment": "同意"}).submit("head-approve")
    person("dcs_zhou").open_task("督查室审核答复", TITLE).fill({"final_class": "A", "approved": True}).submit("supervise")
    for who in ("wy_chen", "wy_lin"):
        rater = chen if who == "wy_chen" else person(who)
        rater.open_task("评价答复", TITLE).fill({"satisfaction": "satisfied", "assist_ratings.ghzy": "satisfied",
                                               "disclosure_consent": True}).submit("rate")
    tw.page.goto(tw.base + "/proposals")
    tw.page.click(f"text={TITLE}")
    tw.page.wait_for_url(re.compile(r".*/proposals/\d+$"))  # the dossier, not the list the click left
    tw.page.wait_for_load_state()
    tw.shot("dossier")
    html = tw.page.content()
    assert "已办结" in html and "A类（解决或采纳）" in html and "满意" in html
    for step in ("提交提案", "审查立案", "交办", "签收或退回", "起草答复", "会签答复", "督查室审核答复", "评价答复"):
        assert step in html
    assert chen.page.goto(chen.base + "/tasks") and "暂无待办任务" in chen.page.content()


def test_refused_form_anothers_task_and_escaped_text(person):
    evil = "<script>window.__pwned = 1</script>"
    chen = person("wy_chen")
    chen.page.goto(chen.base + "/proposals/new")
    chen.fill({"title": "关于" + evil, "category": "urban", "body": "正文" + evil + "正文内容",
               "suggestions": evil}).submit("evil-submit")
    assert chen.page.evaluate("window.__pwned") is None
    assert evil in chen.page.inner_text("body")  # shown as text
    tw = person("tawei_li")
    tw.open_task("审查立案").fill({"review_decision": "not_file", "category": "urban"}).submit("refused")
    error = tw.page.locator(".field.has-error .error")
    assert error.first.inner_text() == "理由或说明：此项为必填项"
    assert tw.page.locator('input[name="review_decision"][value="not_file"]').is_checked()
    task_url = tw.page.url
    clerk = person("jtw_clerk")
    clerk.page.goto(task_url)  # another's task: not found, as one that does not exist
    clerk.shot("not-yours")
    assert "找不到该任务" in clerk.page.content()
    pid = re.search(r"/proposals/(\d+)", chen.page.url).group(1)
    clerk.page.goto(f"{clerk.base}/proposals/{pid}")
    assert "页面不存在" in clerk.page.content() or "找不到" in clerk.page.content()


def test_phone_layout(person, chromium, live_server, shots):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "tawei_li")
    page.fill("input[name=password]", "demo123")
    page.click("button[type=submit]")
    page.wait_for_url("**/tasks")
    shots.take(page, "phone-inbox.png")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    context.close()
