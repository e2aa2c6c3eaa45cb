"""A diagram that fails while a case runs: bounded, reported in Chinese with file and
element, and the case is left exactly as it was (the step's transaction rolls back)."""
import re
import threading
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine.adapters.db import UnitOfWork
from engine.model.tables import Case, Event, Notification, OpenTask, Proposal
from engine.services.directory import add_user

PASSWORD = "pw-测试"  # tests/api/conftest.py
REVIEW = {"review_decision": "file", "category": "urban"}
CONDITION = "<bpmn:conditionExpression>review_decision == 'not_file'</bpmn:conditionExpression>"
# Each must end within seconds (time or size budget), never hang the server or exhaust memory.
RUNAWAY = [
    ("sum(1 for i in range(10**5) for j in range(10**5))", "运行时间超出上限（1 秒）"),
    ("f'{0:{10**9}}'", "大小上限"),
    ("'%0*d' % (10**9, 1)", "大小上限"),
    ("'a'.ljust(10**9)", "大小上限"),
    ("[[0]*10**5 for i in range(10**5)]", "大小上限"),
    ("'x'.join(['a'*10**5]*10**5)", "大小上限"),
    (r"int.from_bytes(b'\xff'*100000,'big')", "整数超出范围"),
]


@pytest.fixture
def designer(app):
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        add_user(uow.session, "designer", "流程设计员", PASSWORD, ["designer"])
        uow.commit()
    return "designer"


def deploy_condition(app, api, designer, expression):
    """Deploy proposal.bpmn with `expression` evaluated by the review gateway's first condition."""
    proposal = app.extensions["cppcc"]["runtime"].files_bundle.files["proposal.bpmn"]
    condition = f"<bpmn:conditionExpression>{escape(f'({expression}) is None')}</bpmn:conditionExpression>"
    assert CONDITION in proposal
    response = api.post(designer, "/api/definitions", {"files": {"proposal.bpmn": proposal.replace(CONDITION, condition)},
                                                       "note": "失控的条件"})
    assert response.status_code == 201, response.get_json()


def snapshot(app, proposal_id):
    """Everything a step may change: case state and version, open tasks, events, messages, proposal row."""
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        s = uow.session
        case = s.scalar(select(Case).where(Case.proposal_id == proposal_id))
        proposal = s.get(Proposal, proposal_id)
        return {
            "state": case.state, "version": case.version, "completed_tasks": case.completed_tasks,
            "open": sorted((t.id, t.name) for t in s.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id))),
            "events": s.scalar(select(func.count()).select_from(Event).where(Event.proposal_id == proposal_id)),
            "messages": s.scalar(select(func.count()).select_from(Notification)),
            "proposal": (proposal.status, proposal.updated_at, proposal.number),
        }


@pytest.mark.parametrize("expression,limit", RUNAWAY)
def test_a_runaway_expression_fails_the_step_and_leaves_the_case_as_it_was(app, api, designer, world,
                                                                            expression, limit):
    deploy_condition(app, api, designer, expression)
    proposal_id = api.submit("wy_wu", title="关于规范共享单车停放的建议")
    task_id = api.task_id("tw_li", "review", proposal_id)
    before = snapshot(app, proposal_id)

    response = api.post("tw_li", f"/api/tasks/{task_id}/complete", {"data": REVIEW})
    assert response.status_code == 500
    message = response.get_json()["error"]["message"]
    assert message.startswith("流程 proposal.bpmn 的元素 “审查结论”（gw_review）："), message
    assert limit in message and "请联系流程设计员" in message
    assert "Error" not in message and "Traceback" not in message and expression not in message

    assert snapshot(app, proposal_id) == before  # nothing of the failed step was stored
    assert api.task_id("tw_li", "review", proposal_id) == task_id  # the same task is still there to do
    # another case (on the version it started with) runs on
    api.do("tw_li", "review", world["p3"], REVIEW)
    assert api.task_id("tw_li", "assign", world["p3"])


def test_other_requests_go_on_while_an_expression_runs_out_of_time(app, api, designer, world):
    deploy_condition(app, api, designer, RUNAWAY[0][0])
    proposal_id = api.submit("wy_wu", title="关于规范共享单车停放的建议")
    task_id = api.task_id("tw_li", "review", proposal_id)
    other = type(api)(app)  # a second client, its own token
    for username in ("tw_li", "wy_lin"):
        other.headers(username)
    results = {}

    def runaway():
        results["runaway"] = api.post("tw_li", f"/api/tasks/{task_id}/complete", {"data": REVIEW}).status_code

    thread = threading.Thread(target=runaway)
    thread.start()
    try:
        # meanwhile: reads and a write on other cases (on SQLite: no "database is locked")
        assert other.get("wy_lin", "/api/tasks").status_code == 200
        other.do("wy_lin", "cosigner_confirm", world["p2"], {"agree": True})
        other.do("tw_li", "review", world["p3"], REVIEW)
    finally:
        thread.join(timeout=60)
    assert not thread.is_alive() and results["runaway"] == 500
    assert other.task_id("tw_li", "review", proposal_id) == task_id


def deploy(app, api, designer, old, new):
    proposal = app.extensions["cppcc"]["runtime"].files_bundle.files["proposal.bpmn"]
    assert old in proposal
    response = api.post(designer, "/api/definitions", {"files": {"proposal.bpmn": proposal.replace(old, new)}})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("value,what", [("{1, 2}", "集合（set）"), ("(i for i in range(3))", "生成器"),
                                        ("range(3)", "range 对象"), ("[lambda: 1]", "函数")])
def test_a_script_leaving_unstorable_data_fails_its_step_naming_the_element(app, api, designer, world, value, what):
    deploy(app, api, designer, "status = 'not_filed'", f"status = 'not_filed'\nmarks = {value}")
    proposal_id = api.submit("wy_wu", title="关于规范共享单车停放的建议")
    task_id = api.task_id("tw_li", "review", proposal_id)
    before = snapshot(app, proposal_id)
    response = api.post("tw_li", f"/api/tasks/{task_id}/complete", {"data": {"review_decision": "not_file",
                                                                           "category": "urban",
                                                                           "review_reason": "不属于政协职能范围"}})
    assert response.status_code == 500, response.get_json()
    assert response.get_json()["error"]["message"].startswith(
        f"流程 proposal.bpmn 的元素 “不予立案”（not_filed）：脚本在任务数据中留下了无法保存的值：变量 marks 是{what}")
    assert snapshot(app, proposal_id) == before


def test_a_due_value_that_is_not_a_date_fails_the_step_naming_the_task(app, api, designer, world):
    deploy(app, api, designer, "value=\"due_date('review', submitted_on)\"", 'value="title"')
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        proposals = uow.session.scalar(select(func.count()).select_from(Proposal))
    response = api.post("wy_wu", "/api/proposals", {"title": "关于规范共享单车停放的建议", "category": "urban",
                                                    "body": "共享单车乱停放问题日益突出，需要综合治理。",
                                                    "suggestions": "划定停放区"})
    assert response.status_code == 500, response.get_json()
    message = response.get_json()["error"]["message"]
    assert message.startswith("流程 proposal.bpmn 的元素 “审查立案”（review）：due 属性的值不是日期"), message
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:  # no half-made proposal
        assert uow.session.scalar(select(func.count()).select_from(Proposal)) == proposals


def test_the_task_page_keeps_the_form_and_says_what_went_wrong(app, api, designer, world):
    deploy_condition(app, api, designer, "'a'.ljust(10**9)")
    proposal_id = api.submit("wy_wu", title="关于规范共享单车停放的建议")
    task_id = api.task_id("tw_li", "review", proposal_id)
    page = app.test_client()
    token = lambda html: re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # noqa: E731
    login = token(page.get("/login").get_data(as_text=True))
    assert page.post("/login", data={"username": "tw_li", "password": PASSWORD, "csrf_token": login}).status_code == 302
    form = token(page.get(f"/tasks/{task_id}").get_data(as_text=True))
    response = page.post(f"/tasks/{task_id}", data={"csrf_token": form, "review_decision": "file", "category": "urban"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "流程 proposal.bpmn 的元素 “审查结论”（gw_review）：表达式构造的数据超出大小上限" in html
    assert 'name="review_decision"' in html  # the form is still there, to try again once the diagram is fixed
    assert api.task_id("tw_li", "review", proposal_id) == task_id
