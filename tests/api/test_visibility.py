"""What each person may see of a proposal's record: a matrix of viewers × steps, through
the API (timeline, open tasks, a task's context, attachments) and the pages (dossier,
which is also the printed record, and the task side panel). Also: a task that is not
yours is not found, and who may upload.

One key proposal (陈委员, co-signed by 林委员) is walked to the rating: fgw leads, jw
assists, the first draft is refused by the unit head, the final one goes through the
government office, the deputy head and the supervision office. Every internal step
carries a marker (e.g. INTERNAL-HEAD) that a member must never be shown.
"""
import io
import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from worlds import Services

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import Event
from engine.services import timers
from engine.services.directory import add_user
from engine.tooling.demo import on_day

PASSWORD = "pw-测试"  # the password tests/api/conftest.py gives every account

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
MEMBERS = {"wy_chen", "wy_lin"}
LEAD = {"fgw_clerk", "fgw_head"}
ASSIST = {"jw_clerk", "jw_head"}
STAFF = {"tw_li", "zfb_wang", "dcs_zhou", "deputy_zhao", "deputy_sun", "designer"}
EVERYONE = MEMBERS | LEAD | ASSIST | STAFF
HANDLING = LEAD | ASSIST | STAFF
LEAD_ONLY = LEAD | STAFF
# step (task name, or event kind) -> who sees it
STEPS = {
    "submitted": EVERYONE, "cosigner_confirm": EVERYONE, "review": EVERYONE, "assign": HANDLING,
    "accept": LEAD_ONLY, "plan_draft": HANDLING, "plan_approve": LEAD_ONLY, "consultation": EVERYONE,
    "assist_opinion": HANDLING, "reply_draft": HANDLING, "cosign_reply": HANDLING, "head_approve": LEAD_ONLY,
    "gov_review": LEAD_ONLY, "deputy_approve": LEAD_ONLY, "supervise_review": LEAD_ONLY,
    "send_reply": EVERYONE, "rate_reply": EVERYONE, "status_changed": EVERYONE,
    "timer": STAFF, "reminder": LEAD_ONLY, "overdue": LEAD_ONLY,
}
# texts only the steps' audiences may read (marker -> the step that carries it)
SECRETS = {"INTERNAL-PLAN": "plan_draft", "INTERNAL-PLAN-OK": "plan_approve", "INTERNAL-DRAFT": "reply_draft",
           "INTERNAL-HEAD": "head_approve", "INTERNAL-GOV": "gov_review", "INTERNAL-DEPUTY": "deputy_approve",
           "INTERNAL-SUPERVISE": "supervise_review", "INTERNAL-OPINION": "assist_opinion",
           "INTERNAL-COSIGN": "cosign_reply"}
FINAL = "正式答复：已建成立体停车库两座。"
# file name -> who sees it
FILES = {"委员调研材料.pdf": EVERYONE, "提案原件扫描件.pdf": EVERYONE, "座谈纪要.pdf": EVERYONE, "答复函.pdf": EVERYONE,
         "答复初稿附件.pdf": HANDLING, "办理方案附件.pdf": HANDLING, "单位内部材料.pdf": HANDLING}


def upload(api, username, proposal_id, filename, task_id=None):
    data = {"file": (io.BytesIO(PDF), filename), **({"task_id": task_id} if task_id else {})}
    return api.client.post(f"/api/proposals/{proposal_id}/attachments", data=data,
                           content_type="multipart/form-data", headers=api.headers(username))


@pytest.fixture
def walked(app, api):
    """The key proposal at the rating (林委员's rating done), and a second one waiting for
    acceptance past its deadline, so that a reminder and an overdue notice are on record.
    Walked through the service layer (tests/worlds.py); what two people see on the way (a
    task's context, the open tasks while at the government office) is read through the API."""
    db = app.extensions["cppcc"]["db"]
    with UnitOfWork(db) as uow:
        add_user(uow.session, "jw_head", "经委负责人", PASSWORD, ["unit_head"], "jw")
        add_user(uow.session, "deputy_sun", "孙副区长", PASSWORD, ["deputy_head"])
        add_user(uow.session, "designer", "流程设计员", PASSWORD, ["designer"])
        uow.commit()
    walk = Services(db, app.extensions["cppcc"]["runtime"])
    pid = walk.submit("wy_chen", cosigners=["wy_lin"])
    walk.upload("wy_chen", pid, "委员调研材料.pdf", PDF)
    walk.do("wy_lin", "cosigner_confirm", pid, {"agree": True})
    walk.upload("tw_li", pid, "提案原件扫描件.pdf", PDF)
    walk.do("tw_li", "review", pid, {"review_decision": "file", "category": "urban"})
    walk.do("tw_li", "assign", pid, {"assign_mode": "joint", "lead_unit_ids": ["fgw"], "assisting_unit_ids": ["jw"],
                                     "is_key": True, "supervising_leader": "deputy_zhao"})
    walk.do("fgw_clerk", "accept", pid, {"accept_decision": "accept"})
    walk.upload("fgw_clerk", pid, "办理方案附件.pdf", PDF, "plan_draft")  # a file of the plan's step
    walk.upload("fgw_clerk", pid, "单位内部材料.pdf", PDF)
    walk.do("fgw_clerk", "plan_draft", pid, {"plan_content": "INTERNAL-PLAN 分步建设", "plan_responsible": "张科长",
                                             "plan_finish_date": on_day(14)})
    walk.do("fgw_head", "plan_approve", pid, {"approved": True, "approve_comment": "INTERNAL-PLAN-OK"})
    minutes = walk.upload("fgw_clerk", pid, "座谈纪要.pdf", PDF, "consultation")
    walk.do("fgw_clerk", "consultation", pid, {"contact_date": "2026-05-01", "contact_way": "meeting",
                                               "contact_people": "陈委员", "contact_content": "面商办理方案",
                                               "proposer_view": "认可", "more_contacts": False,
                                               "attachments": [minutes]})
    walk.do("jw_clerk", "assist_opinion", pid, {"opinion_text": "INTERNAL-OPINION 同意", "contact_person": "王科长"})
    draft_file = walk.upload("fgw_clerk", pid, "答复初稿附件.pdf", PDF, "reply_draft")
    walk.do("fgw_clerk", "reply_draft", pid, {"reply_class": "A", "reply_text": "INTERNAL-DRAFT 初稿",
                                              "involves_funds": True, "attachments": [draft_file]})
    walk.do("jw_head", "cosign_reply", pid, {"agree": True, "cosign_comment": "INTERNAL-COSIGN"})
    walk.do("fgw_head", "head_approve", pid, {"approved": False, "approve_comment": "INTERNAL-HEAD 请重写"})
    final_file = walk.upload("fgw_clerk", pid, "答复函.pdf", PDF, "reply_draft")
    walk.do("fgw_clerk", "reply_draft", pid, {"reply_class": "A", "reply_text": FINAL, "involves_funds": True,
                                              "attachments": [final_file]})
    cosign = api.task_id("jw_head", "cosign_reply", pid)
    cosign_context = api.get("jw_head", f"/api/tasks/{cosign}").get_json()["context"]
    walk.do("jw_head", "cosign_reply", pid, {"agree": True})
    walk.do("fgw_head", "head_approve", pid, {"approved": True})
    while_at_gov = {u: api.get(u, f"/api/proposals/{pid}").get_json()["open_tasks"] for u in EVERYONE}
    walk.do("zfb_wang", "gov_review", pid, {"approved": True, "approve_comment": "INTERNAL-GOV"})
    walk.do("deputy_zhao", "deputy_approve", pid, {"approved": True, "approve_comment": "INTERNAL-DEPUTY"})
    walk.do("dcs_zhou", "supervise_review", pid, {"final_class": "A", "approved": True,
                                                  "approve_comment": "INTERNAL-SUPERVISE"})
    walk.do("wy_lin", "rate_reply", pid, {"satisfaction": "satisfied", "disclosure_consent": True,
                                          "assist_ratings": {"jw": "satisfied"}})
    # a second proposal waits for fgw's acceptance past its deadline: a reminder and an overdue notice
    other = walk.submit("wy_chen", title="关于增设公交站点的建议", cosigners=["wy_lin"])
    walk.do("wy_lin", "cosigner_confirm", other, {"agree": True})
    walk.do("tw_li", "review", other, {"review_decision": "file", "category": "urban"})
    walk.do("tw_li", "assign", other, {"assign_mode": "joint", "lead_unit_ids": ["fgw"], "assisting_unit_ids": ["jw"],
                                       "is_key": False})
    accept_due = datetime.fromisoformat(due_of(api, "fgw_clerk", "accept", other))
    rating_due = datetime.fromisoformat(due_of(api, "wy_chen", "rate_reply", pid))
    assert accept_due < rating_due  # past the acceptance deadline, still within the rating window
    previous = clock.current()
    clock.use(clock.MovableClock(accept_due + timedelta(hours=1)))
    try:
        result = timers.run_once(db, app.extensions["cppcc"]["runtime"])
        assert result["failed"] == 0, result
    finally:
        clock.use(previous)
    with UnitOfWork(db) as uow:
        kinds = set(uow.session.scalars(select(Event.kind).where(Event.proposal_id == other)))
    assert {"timer", "reminder", "overdue"} <= kinds
    return {"pid": pid, "other": other, "cosign_context": cosign_context, "while_at_gov": while_at_gov}


def due_of(api, username, name, proposal_id) -> str:
    """The due time of the user's open task `name` of a proposal."""
    return api.my_tasks(username, name=name, proposal_id=proposal_id)[0]["due_at"]


def login(app, username):
    """A page client logged in as `username` through the login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def step_of(event) -> str:
    return event["task_name"] if event["kind"] in ("task_completed", "milestone") else event["kind"]


def test_the_matrix_covers_every_viewer_and_step():
    assert set().union(*STEPS.values()) == EVERYONE


def test_each_viewer_sees_exactly_the_steps_of_their_audiences_in_the_api(api, walked):
    wrong = []
    for user in sorted(EVERYONE):
        seen = set()
        for key in ("pid", "other"):
            response = api.get(user, f"/api/proposals/{walked[key]}")
            assert response.status_code == 200, (user, response.get_json())
            seen |= {step_of(e) for e in response.get_json()["timeline"]}
        for step, audience in STEPS.items():
            if (step in seen) != (user in audience):
                wrong.append(f"{user} {'sees' if step in seen else 'does not see'} {step}")
        unknown = seen - set(STEPS)
        if unknown:
            wrong.append(f"{user} sees steps the matrix does not list: {sorted(unknown)}")
    assert wrong == []


def test_members_never_get_drafts_approvals_or_funds_through_the_api(api, walked):
    for user in sorted(EVERYONE):
        text = json.dumps(api.get(user, f"/api/proposals/{walked['pid']}").get_json(), ensure_ascii=False)
        for marker, step in SECRETS.items():
            assert (marker in text) == (user in STEPS[step]), (user, marker)
        assert FINAL in text, user  # the reply as sent
        if user in MEMBERS:
            assert "involves_funds" not in text and "final_class" not in text, user


def test_open_tasks_of_internal_steps_are_not_shown_to_members(walked):
    for user, tasks in walked["while_at_gov"].items():
        names = {t["name"] for t in tasks}
        assert names == ({"gov_review"} if user in LEAD_ONLY else set()), user


def test_a_members_task_shows_the_sent_reply_not_the_drafts(api, walked):
    task = api.task_id("wy_chen", "rate_reply", walked["pid"])
    body = api.get("wy_chen", f"/api/tasks/{task}").get_json()
    context = body["context"]
    assert context["reply_text"] == FINAL and context["reply_class"] == "A"
    assert context["assisting_units"] == {"jw": "jw"}  # what the rating form asks about
    for key in ("involves_funds", "approve_comment", "final_class", "plan_content", "opinions", "cosigns",
                "gov_review", "deputy_approval"):
        assert key not in context, key
    text = json.dumps(body, ensure_ascii=False)
    assert not [m for m in SECRETS if m in text]


def test_an_assisting_unit_sees_the_draft_and_opinions_but_not_the_lead_heads_comments(walked):
    context = walked["cosign_context"]
    assert context["reply_text"] == FINAL and "opinions" in context
    assert "INTERNAL-HEAD" not in json.dumps(context, ensure_ascii=False)
    assert "INTERNAL-PLAN-OK" not in json.dumps(context, ensure_ascii=False)


def test_attachments_follow_their_steps(api, walked):
    pid = walked["pid"]
    wrong = []
    for user in sorted(EVERYONE):
        listed = {f["filename"]: f for f in api.get(user, f"/api/proposals/{pid}/attachments").get_json()["items"]}
        for name, audience in FILES.items():
            if (name in listed) != (user in audience):
                wrong.append(f"{user} {'gets' if name in listed else 'does not get'} {name}")
    assert wrong == []
    everything = {f["filename"]: f["id"] for f in api.get("tw_li", f"/api/proposals/{pid}/attachments")
                  .get_json()["items"]}
    for name, audience in FILES.items():
        for user in ("wy_chen", "jw_clerk"):
            status = api.get(user, f"/api/attachments/{everything[name]}").status_code
            assert status == (200 if user in audience else 404), (user, name, status)


def test_the_dossier_page_and_its_print_show_each_viewer_their_steps(app, walked):
    pid = walked["pid"]
    for user in sorted(EVERYONE):
        page = login(app, user).get(f"/proposals/{pid}")
        assert page.status_code == 200, user
        html = page.get_data(as_text=True)
        for marker, step in SECRETS.items():
            assert (marker in html) == (user in STEPS[step]), (user, marker)
        for name, audience in FILES.items():
            assert (name in html) == (user in audience), (user, name)
        assert FINAL in html, user
        if user in MEMBERS:
            record = re.sub(r"<template.*?</template>", "", html, flags=re.S)  # the diagram's own XML aside
            assert "涉及财政资金" not in record and "审批办理方案" not in record, user


def test_the_task_side_panel_shows_a_member_the_sent_reply_only(app, api, walked):
    task = api.task_id("wy_chen", "rate_reply", walked["pid"])
    html = login(app, "wy_chen").get(f"/tasks/{task}").get_data(as_text=True)
    assert FINAL in html and "涉及财政资金" not in html
    assert not [m for m in SECRETS if m in html]


def test_a_task_that_is_not_yours_is_not_found(api, walked):
    pid = walked["pid"]
    rate = api.task_id("wy_chen", "rate_reply", pid)
    missing = api.get("jtw_clerk", "/api/tasks/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    for user in ("jtw_clerk", "fgw_clerk", "wy_lin", "tw_li"):
        for response in (api.get(user, f"/api/tasks/{rate}"),
                         api.post(user, f"/api/tasks/{rate}/complete", {"data": {}})):
            assert response.status_code == 404 and response.get_json() == missing.get_json(), user


def test_a_completed_task_names_who_did_it_only_to_those_who_see_the_proposal(app, api, walked):
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        done = uow.session.scalar(select(Event.task_id).where(Event.proposal_id == walked["pid"],
                                                              Event.task_name == "accept"))
    seen = api.post("fgw_clerk", f"/api/tasks/{done}/complete", {"data": {}})
    assert seen.status_code == 409 and "completed_by" in json.dumps(seen.get_json(), ensure_ascii=False)
    unseen = api.post("jtw_clerk", f"/api/tasks/{done}/complete", {"data": {}})
    missing = api.post("jtw_clerk", "/api/tasks/00000000-0000-0000-0000-000000000000/complete", {"data": {}})
    assert unseen.status_code == 404 and unseen.get_json() == missing.get_json()


UPLOADERS = {"tw_li": 201, "wy_chen": 201, "fgw_clerk": 201, "jw_clerk": 201, "deputy_zhao": 201,
             "wy_lin": 403, "designer": 403, "deputy_sun": 403, "zfb_wang": 403, "dcs_zhou": 403, "jtw_clerk": 404}


def test_only_people_with_a_part_in_a_proposal_upload_to_it(app, api, walked):
    wrong = []
    for user, status in UPLOADERS.items():
        got = upload(api, user, walked["pid"], f"{user}.pdf").status_code
        if got != status:
            wrong.append(f"{user}: {got}, expected {status}")
        if status != 404:
            html = login(app, user).get(f"/proposals/{walked['pid']}").get_data(as_text=True)
            if ('name="file"' in html) != (status == 201):
                wrong.append(f"{user}: the upload button is {'shown' if status != 201 else 'missing'}")
    assert wrong == []


def test_a_members_form_is_never_prefilled_with_another_members_answer(api, walked):
    """林委员 rated; 陈委员's rating form starts from nothing of hers."""
    task = api.task_id("wy_chen", "rate_reply", walked["pid"])
    assert api.get("wy_chen", f"/api/tasks/{task}").get_json()["data"] == {}
