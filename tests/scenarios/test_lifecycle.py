"""One scenario per branch of the lifecycle, each step done through the HTTP API
by the user whose step it is (runs on SQLite, or PostgreSQL with CPPCC_TEST_DATABASE_URL)."""
from engine.demo import ACCEPT, APPROVE, CONSULT, OPINION, PLAN, RATE_OK, reply

COMMITTEE = "tawei_li"


def file_and_assign(api, pid, mode="single", leads=("jtw",), assists=(), key=False, leader=None):
    api.do(COMMITTEE, "review", pid, {"review_decision": "file", "category": "urban"})
    api.do(COMMITTEE, "assign", pid, {"assign_mode": mode, "lead_unit_ids": list(leads),
                                      "assisting_unit_ids": list(assists), "is_key": key,
                                      **({"supervising_leader": leader} if leader else {})})


def handle(api, pid, unit, assists=()):
    api.do(f"{unit}_clerk", "accept", pid, ACCEPT)
    api.do(f"{unit}_clerk", "plan_draft", pid, PLAN)
    api.do(f"{unit}_head", "plan_approve", pid, APPROVE)
    api.do(f"{unit}_clerk", "consultation", pid, CONSULT)
    for other in assists:
        api.do(f"{other}_clerk", "assist_opinion", pid, OPINION)


def draft_and_head(api, pid, unit, klass, assists=()):
    api.do(f"{unit}_clerk", "reply_draft", pid, reply(klass))
    for other in assists:
        api.do(f"{other}_head", "cosign_reply", pid, {"agree": True})
    api.do(f"{unit}_head", "head_approve", pid, APPROVE)


def supervise(api, pid, klass):
    api.do("dcs_zhou", "supervise_review", pid, {"final_class": klass, "approved": True})


def kinds(proposal):
    return [e["kind"] for e in proposal["timeline"]]


def test_not_filed_with_reason(api):
    pid = api.submit("wy_chen")
    api.do(COMMITTEE, "review", pid, {"review_decision": "not_file", "category": "urban",
                                      "review_reason": "不属于本区职权范围"})
    p = api.proposal(pid, "wy_chen")
    assert p["status"] == "not_filed" and p["number"] is None and p["open_tasks"] == []
    review = next(e for e in p["timeline"] if e["task_name"] == "review")
    assert review["data"]["review_reason"] == "不属于本区职权范围"
    assert review["actor"] == COMMITTEE


def test_not_filed_requires_reason(api):
    pid = api.submit("wy_chen")
    body = api.do(COMMITTEE, "review", pid, {"review_decision": "not_file", "category": "urban"}, expect=422)
    assert [e["field"] for e in body["error"]["errors"]] == ["review_reason"]
    assert api.open(pid) == ["review"]


def test_merged_and_converted(api):
    merged, converted = api.submit("wy_chen"), api.submit("wy_lin", title="关于改善菜市场环境的建议")
    api.do(COMMITTEE, "review", merged, {"review_decision": "merge", "category": "urban",
                                         "merge_into": "关于加强停车管理的建议（第 1 号）"})
    api.do(COMMITTEE, "review", converted, {"review_decision": "opinion", "category": "urban",
                                            "review_reason": "内容较单一，转为社情民意信息处理"})
    assert api.proposal(merged)["status"] == "merged"
    assert api.proposal(converted)["status"] == "converted"


def test_cosigners_confirm_and_rate(api):
    pid = api.submit("wy_chen", cosigners=["wy_lin", "wy_huang"])
    assert api.open(pid) == ["cosigner_confirm", "cosigner_confirm"]
    assert api.tasks("wy_chen", pid) == []  # the author has nothing to confirm
    api.do("wy_lin", "cosigner_confirm", pid, {"agree": True})
    api.do("wy_huang", "cosigner_confirm", pid, {"agree": False, "comment": "不参与联名"})
    file_and_assign(api, pid)
    handle(api, pid, "jtw")
    draft_and_head(api, pid, "jtw", "A")
    supervise(api, pid, "A")
    # the author and the confirmed co-signer rate; the one who declined does not
    assert len(api.tasks("wy_chen", pid, "rate_reply")) == 1
    assert len(api.tasks("wy_lin", pid, "rate_reply")) == 1
    assert api.tasks("wy_huang", pid, "rate_reply") == []
    api.do("wy_lin", "rate_reply", pid, {**RATE_OK, "satisfaction": "basically_satisfied"})
    api.do("wy_chen", "rate_reply", pid, RATE_OK)
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["satisfaction"] == "satisfied" and p["reply_class"] == "A"


def test_returned_and_reassigned(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, leads=("jyj",))
    api.do("jyj_clerk", "accept", pid, {"accept_decision": "return", "return_reason": "停车管理不属于教育局职责"})
    assert api.open(pid) == ["reassign"]
    api.do(COMMITTEE, "reassign", pid, {"new_lead_unit": "jtw", "reassign_note": "改由交通委办理"})
    assert api.tasks("jyj_clerk", pid) == []
    handle(api, pid, "jtw")
    draft_and_head(api, pid, "jtw", "A")
    supervise(api, pid, "A")
    api.do("wy_chen", "rate_reply", pid, RATE_OK)
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["lead_unit"] == "jtw"
    roles = {u["unit_id"]: u["role"] for u in p["units"]}
    assert roles == {"jyj": "returned", "jtw": "lead"}


def test_lead_with_two_assisting_units(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "joint", ("jtw",), ("ghzy", "jsgl"))
    api.do("jtw_clerk", "accept", pid, ACCEPT)
    api.do("jtw_clerk", "plan_draft", pid, PLAN)
    api.do("jtw_head", "plan_approve", pid, APPROVE)
    assert api.open(pid) == ["assist_opinion", "assist_opinion", "consultation"]
    # each assisting unit sees only its own opinion task
    assert len(api.tasks("ghzy_clerk", pid)) == 1 and len(api.tasks("jsgl_clerk", pid)) == 1
    api.do("ghzy_clerk", "assist_opinion", pid, OPINION)
    api.do("jtw_clerk", "consultation", pid, {**CONSULT, "more_contacts": True})
    api.do("jtw_clerk", "consultation", pid, CONSULT)
    assert api.open(pid) == ["assist_opinion"]  # the reply waits for every opinion
    api.do("jsgl_clerk", "assist_opinion", pid, OPINION)
    api.do("jtw_clerk", "reply_draft", pid, reply("A"))
    api.do("ghzy_head", "cosign_reply", pid, {"agree": True})
    api.do("jsgl_head", "cosign_reply", pid, {"agree": False, "cosign_comment": "第二条措施需补充本单位职责"})
    assert api.open(pid) == ["reply_draft"]  # an objection sends the draft back
    ctx = api.get("jtw_clerk", f"/api/tasks/{api.tasks('jtw_clerk', pid)[0]['id']}").get_json()
    assert ctx["context"]["consultation_count"] == 2
    assert set(ctx["context"]["opinions"]) == {"ghzy", "jsgl"}
    draft_and_head(api, pid, "jtw", "A", assists=("ghzy", "jsgl"))
    supervise(api, pid, "A")
    api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "assist_ratings": {"ghzy": "satisfied", "jsgl": "basically_satisfied"}})
    p = api.proposal(pid)
    assert p["status"] == "closed"
    assert {u["unit_id"]: u["role"] for u in p["units"]} == {"jtw": "lead", "ghzy": "assist", "jsgl": "assist"}
    cosigns = [e for e in p["timeline"] if e["task_name"] == "cosign_reply"]
    assert len(cosigns) == 4 and {e["unit_id"] for e in cosigns} == {"ghzy", "jsgl"}


def test_separate_leads_reply_on_their_own(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "separate", ("sthj", "jsgl"))
    assert api.open(pid) == ["accept", "accept"]
    for unit, klass in (("sthj", "A"), ("jsgl", "B")):
        handle(api, pid, unit)
        draft_and_head(api, pid, unit, klass)
        supervise(api, pid, klass)
        api.do("wy_chen", "rate_reply", pid, RATE_OK)
    assert api.open(pid) == ["followup_plan"]  # sthj's A is done, jsgl's B is followed up
    assert api.proposal(pid)["status"] == "follow_up"
    api.do("jsgl_clerk", "followup_plan", pid, {"followup_plan": "分两期实施", "followup_responsible": "赵科长",
                                                "followup_deadline": "2027-06-30"})
    api.do("jsgl_clerk", "progress_report", pid, {"report_date": "2027-06-01", "report_progress": "已完工",
                                                  "report_done": True})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": True})
    p = api.proposal(pid)
    assert p["status"] == "closed"
    assert {u["unit_id"]: u["reply_class"] for u in p["units"]} == {"sthj": "A", "jsgl": "B"}


def test_key_proposal_goes_to_government_office_and_its_supervising_leader(api):
    pid = api.submit("wy_chen")
    api.do(COMMITTEE, "review", pid, {"review_decision": "file", "category": "urban"})
    refused = api.do(COMMITTEE, "assign", pid, {"assign_mode": "single", "lead_unit_ids": ["jtw"], "is_key": True},
                     expect=422)
    assert [e["field"] for e in refused["error"]["errors"]] == ["supervising_leader"]
    api.do(COMMITTEE, "assign", pid, {"assign_mode": "single", "lead_unit_ids": ["jtw"], "is_key": True,
                                      "supervising_leader": "deputy_sun"})
    handle(api, pid, "jtw")
    draft_and_head(api, pid, "jtw", "A")
    assert api.open(pid) == ["gov_review"]
    api.do("zfb_wang", "gov_review", pid, {"approved": False, "approve_comment": "请补充资金安排"})
    assert api.open(pid) == ["reply_draft"]
    draft_and_head(api, pid, "jtw", "A")
    api.do("zfb_wang", "gov_review", pid, APPROVE)
    assert api.tasks("deputy_qian", pid) == []  # jtw's own deputy head: the supervising leader approves instead
    api.do("deputy_sun", "deputy_approve", pid, APPROVE)
    supervise(api, pid, "A")
    api.do("wy_chen", "rate_reply", pid, RATE_OK)
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["is_key"] is True and p["supervising_leader"] == "deputy_sun"


def test_class_c_needs_deputy_approval_and_supervisor_may_change_class(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, leads=("jyj",))  # jyj's deputy head is deputy_sun
    handle(api, pid, "jyj")
    draft_and_head(api, pid, "jyj", "C")
    assert api.open(pid) == ["deputy_approve"]
    api.do("deputy_sun", "deputy_approve", pid, APPROVE)
    supervise(api, pid, "B")  # the supervision office raises C to B
    assert api.proposal(pid)["reply_class"] == "B"
    api.do("wy_chen", "rate_reply", pid, RATE_OK)
    assert api.open(pid) == ["followup_plan"]


def test_plain_class_a_skips_leaders(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, "jtw")
    draft_and_head(api, pid, "jtw", "A")
    assert api.open(pid) == ["supervise_review"]


def test_unsatisfied_second_handling_then_satisfied(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, "jtw")
    draft_and_head(api, pid, "jtw", "A")
    supervise(api, pid, "A")
    api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "satisfaction": "unsatisfied", "rate_comment": "未解决实际问题"})
    assert api.open(pid) == ["second_handling"]
    assert api.proposal(pid)["status"] == "rehandling"
    api.do("jtw_clerk", "second_handling", pid, {"rehandle_analysis": "答复过于笼统", "rehandle_measures": "实地调研后细化措施"})
    draft_and_head(api, pid, "jtw", "A")
    supervise(api, pid, "A")
    api.do("wy_chen", "rate_reply", pid, RATE_OK)
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["satisfaction"] == "satisfied"
    rates = [e["data"]["satisfaction"] for e in p["timeline"] if e["task_name"] == "rate_reply"]
    assert rates == ["unsatisfied", "satisfied"]


def test_unsatisfied_twice_is_mediated(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, "jtw")
    for _ in range(2):
        draft_and_head(api, pid, "jtw", "A")
        supervise(api, pid, "A")
        api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "satisfaction": "unsatisfied"})
        if api.open(pid) == ["second_handling"]:
            api.do("jtw_clerk", "second_handling", pid, {"rehandle_analysis": "x", "rehandle_measures": "y"})
    assert api.open(pid) == ["mediate"]
    api.do(COMMITTEE, "mediate", pid, {"mediation_result": "经协调，提案者理解有关困难"})
    assert api.proposal(pid)["status"] == "closed"


def test_class_b_follow_up_until_closed(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, "jtw")
    draft_and_head(api, pid, "jtw", "B")
    supervise(api, pid, "B")
    api.do("wy_chen", "rate_reply", pid, RATE_OK)
    api.do("jtw_clerk", "followup_plan", pid, {"followup_plan": "年内建成两处立体停车库", "followup_responsible": "规划科 钱科长",
                                               "followup_deadline": "2027-12-31"})
    for quarter, done in (("2027-03-31", False), ("2027-06-30", False), ("2027-09-30", True)):
        api.do("jtw_clerk", "progress_report", pid, {"report_date": quarter, "report_progress": f"截至{quarter}的进展",
                                                     "report_done": done})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": False, "close_comment": "第二处尚未投用"})
    assert api.open(pid) == ["progress_report"]
    api.do("jtw_clerk", "progress_report", pid, {"report_date": "2027-12-20", "report_progress": "两处均已投用",
                                                 "report_done": True})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": True})
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["reply_class"] == "B" and p["open_tasks"] == []
    assert sum(e["task_name"] == "progress_report" for e in p["timeline"]) == 4
    assert kinds(p)[0] == "submitted" and "status_changed" in kinds(p)
