"""The committee sees a stalled case under 异常案件 in the browser, with its last step;
the message it was sent links to the proposal."""
from engine.definitions import bundle as definitions
from engine.tooling.demo import APPROVE, OPINION, act, consult, plan, submit
from engine.workflow.runtime import Runtime


def test_the_committee_finds_a_stalled_case_under_its_nav(app, settings, monkeypatch, person):
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    pid = submit(db, rt, "wy_chen", "关于改善老旧街区照明的建议", "urban", "老旧街区夜间照明不足，居民出行存在安全隐患。", "一是增设路灯；二是定期检修。")
    for who, task, data in (("tawei_li", "review", {"review_decision": "file", "category": "urban"}),
                            ("tawei_li", "assign", {"assign_mode": "joint", "lead_unit_ids": ["jtw"],
                                                    "assisting_unit_ids": ["ghzy"], "is_key": False}),
                            ("jtw_clerk", "accept", {"accept_decision": "accept"}), ("jtw_clerk", "plan_draft", plan()),
                            ("jtw_head", "plan_approve", APPROVE), ("jtw_clerk", "consultation", consult())):
        act(db, rt, who, task, data, pid)
    with monkeypatch.context() as patched:  # a server parsed without the fix froze the last opinion
        patched.setattr(definitions, "connect_loop_children", lambda spec: 0)
        act(db, Runtime(settings), "ghzy_clerk", "assist_opinion", OPINION, pid)

    committee = person("tawei_li")
    page = committee.page
    page.click("nav >> text=异常案件")
    page.wait_for_selector("table.incidents")
    committee.shot("incidents")
    row = page.locator("table.incidents tbody tr").first
    assert "关于改善老旧街区照明的建议" in row.inner_text() and "提交协办意见" in row.inner_text()
    assert "待处理" in row.inner_text() and "区规划和自然资源局" in row.inner_text()
    page.click("nav >> text=消息")
    page.wait_for_url("**/notifications")  # the messages, not the incidents page the click left
    assert "异常案件" in page.inner_text("main")
    committee.shot("incident-message")
    member = person("wy_chen")
    assert "异常案件" not in member.page.inner_text("nav")
