"""The pages work in Chromium under their Content-Security-Policy: the dossier draws its
diagram, the print button and the inbox filters react, the forms submit, the messages page
keeps its style, and the designer's BPMN and DMN editors open. The `person` fixture fails
the test if the policy blocked anything on any page it opened."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TITLE = "关于规范共享单车停放的建议"


@pytest.fixture
def viewer_installed():
    if not (ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js").is_file():
        pytest.skip("bpmn-js is not installed (run bin/setup with npm)")


def test_pages_work_under_the_policy(person, viewer_installed):
    chen = person("wy_chen")
    response = chen.page.goto(chen.base + "/proposals/new")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    chen.fill({"title": TITLE, "category": "urban", "body": "共享单车乱停乱放，占用盲道和人行道。",
               "suggestions": "划定停放区域，企业承担管理责任。", "cosigners": ["wy_lin"]}).submit("submit")
    assert "提案已提交" in chen.page.content()

    # the dossier's diagram is drawn by bpmn-js, the steps marked
    chen.page.wait_for_selector(".bpmn-canvas svg", timeout=20000)
    assert chen.page.locator(".bpmn-canvas .djs-element.done, .bpmn-canvas .djs-element.current").count() > 0
    chen.shot("dossier-diagram")
    # the print button (its handler comes from static/js/page.js)
    chen.page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    chen.page.click("button[data-print]")
    assert chen.page.evaluate("window.__printed") == 1

    # the co-signer's message keeps its style from app.css; the inbox filter submits itself
    lin = person("wy_lin")
    lin.page.goto(lin.base + "/notifications")
    assert lin.page.locator(".notice").count() > 0
    assert lin.page.eval_on_selector(".notices", "e => getComputedStyle(e).listStyleType") == "none"
    tw = person("tawei_li")
    lin.open_task("确认联名", TITLE).fill({"agree": True}).submit("cosign")
    tw.page.goto(tw.base + "/tasks")
    with tw.page.expect_navigation():
        tw.page.select_option("select[name=name]", "review")
    assert "name=review" in tw.page.url
    tw.open_task("审查立案", TITLE).fill({"review_decision": "file", "category": "urban"}).submit("review")
    assert "已提交" in tw.page.content() or "办理完成" in tw.page.content() or "/proposals/" in tw.page.url


@pytest.mark.parametrize("name, ready", [("handling.bpmn", ".djs-container svg .djs-element"),
                                         ("approval_chain.dmn", ".tjs-table, .dmn-decision-table-container")])
def test_the_designers_editors_open_under_the_policy(person, viewer_installed, name, ready):
    d = person("designer")
    d.page.goto(f"{d.base}/designer")
    d.page.click(f'table.designer-files a:text-is("{name}")')
    d.page.wait_for_function("() => window.cppccDesigner && window.cppccDesigner.ready", timeout=30000)
    assert not d.page.evaluate("window.cppccDesigner.failed"), d.page.inner_text("#designer-status")
    d.page.wait_for_selector(ready, timeout=20000)
    d.shot(name.replace(".", "-"))
