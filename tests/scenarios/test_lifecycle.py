"""One scenario per branch of the lifecycle, each step done through the HTTP API
by the user whose step it is (runs on SQLite, or PostgreSQL with CPPCC_TEST_DATABASE_URL).

Every test runs under each example region (see conftest.py): `api.facts` gives
the region's units, classes and ratings, and what its decision tables do with them."""
from region_facts import FACTS

from engine.model import clock
from engine.profile.region import region_codes
from engine.tooling.demo import ACCEPT, APPROVE, OPINION, RATE_OK, consult as consult_data, plan, reply

COMMITTEE = "tawei_li"


def rating(code, **more):
    return {**RATE_OK, "satisfaction": code, **more}


def file_and_assign(api, pid, mode="single", leads=None, assists=(), key=False, leader=None):
    api.do(COMMITTEE, "review", pid, {"review_decision": "file", "category": api.facts.category})
    api.do(COMMITTEE, "assign", pid, {"assign_mode": mode, "lead_unit_ids": list(leads or [api.facts.lead]),
                                      "assisting_unit_ids": list(assists), "is_key": key,
                                      **({"supervising_leader": leader} if leader else {})})


def consult(api, pid, unit):
    """Record contacts until the region's minimum is met."""
    for _ in range(max(1, api.min_consultations)):
        api.do(f"{unit}_clerk", "consultation", pid, consult_data())
    assert "consultation" not in api.open(pid)


def handle(api, pid, unit, assists=()):
    api.do(f"{unit}_clerk", "accept", pid, ACCEPT)
    api.do(f"{unit}_clerk", "plan_draft", pid, plan())
    api.do(f"{unit}_head", "plan_approve", pid, APPROVE)
    consult(api, pid, unit)
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


def test_every_region_has_facts():
    assert set(region_codes()) == set(FACTS)


def test_not_filed_with_reason(api):
    pid = api.submit("wy_chen")
    api.do(COMMITTEE, "review", pid, {"review_decision": "not_file", "category": api.facts.category,
                                      "review_reason": "不属于本区职权范围"})
    p = api.proposal(pid, "wy_chen")
    assert p["status"] == "not_filed" and p["number"] is None and p["open_tasks"] == []
    review = next(e for e in p["timeline"] if e["task_name"] == "review")
    assert review["data"]["review_reason"] == "不属于本区职权范围"
    assert review["actor"] == COMMITTEE


def test_not_filed_requires_reason(api):
    pid = api.submit("wy_chen")
    body = api.do(COMMITTEE, "review", pid, {"review_decision": "not_file", "category": api.facts.category}, expect=422)
    assert [e["field"] for e in body["error"]["errors"]] == ["review_reason"]
    assert api.open(pid) == ["review"]


def test_category_and_class_lists_are_the_regions(api):
    f = api.facts
    region = api.runtime.region
    pid = api.submit("wy_chen")
    task = api.tasks(COMMITTEE, pid, "review")[0]
    schema = api.get(COMMITTEE, f"/api/tasks/{task['id']}").get_json()["schema"]
    assert schema["properties"]["category"]["enum"] == region.codes("categories")
    foreign = next(c for c in ("agriculture", "marine") if c not in region.codes("categories"))  # the other region's
    refused = api.do(COMMITTEE, "review", pid, {"review_decision": "file", "category": foreign}, expect=422)
    assert [e["field"] for e in refused["error"]["errors"]] == ["category"]
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    draft_task = api.tasks(f"{f.lead}_clerk", pid, "reply_draft")[0]
    schema = api.get(f"{f.lead}_clerk", f"/api/tasks/{draft_task['id']}").get_json()["schema"]
    assert schema["properties"]["reply_class"]["enum"] == region.codes("reply_classes")
    other_class = "D" if "D" not in region.codes("reply_classes") else "Z"
    refused = api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(other_class), expect=422)
    assert [e["field"] for e in refused["error"]["errors"]] == ["reply_class"]


def test_cosigners_confirm_and_rate(api):
    f = api.facts
    pid = api.submit("wy_chen", cosigners=["wy_lin", "wy_huang"])
    assert api.open(pid) == ["cosigner_confirm", "cosigner_confirm"]
    assert api.tasks("wy_chen", pid) == []  # the author has nothing to confirm
    api.do("wy_lin", "cosigner_confirm", pid, {"agree": True})
    api.do("wy_huang", "cosigner_confirm", pid, {"agree": False, "comment": "不参与联名"})
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.plain)
    supervise(api, pid, f.plain)
    # the author and the confirmed co-signer rate; the one who declined does not
    assert len(api.tasks("wy_chen", pid, "rate_reply")) == 1
    assert len(api.tasks("wy_lin", pid, "rate_reply")) == 1
    assert api.tasks("wy_huang", pid, "rate_reply") == []
    api.do("wy_lin", "rate_reply", pid, rating(f.fair))
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    counted = f.good if api.runtime.region.setting("rating_counts") == "proposer" else f.fair  # or the worst
    assert p["status"] == "closed" and p["satisfaction"] == counted and p["reply_class"] == f.plain


def test_returned_and_reassigned(api):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, leads=(f.wrong_unit,))
    api.do(f"{f.wrong_unit}_clerk", "accept", pid, {"accept_decision": "return", "return_reason": "停车管理不属于本单位职责"})
    assert api.open(pid) == ["reassign"]
    api.do(COMMITTEE, "reassign", pid, {"new_lead_unit": f.lead, "reassign_note": "改由交通部门办理"})
    assert api.tasks(f"{f.wrong_unit}_clerk", pid) == []
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.plain)
    supervise(api, pid, f.plain)
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["lead_unit"] == f.lead
    roles = {u["unit_id"]: u["role"] for u in p["units"]}
    assert roles == {f.wrong_unit: "returned", f.lead: "lead"}


def test_lead_with_two_assisting_units(api):
    f = api.facts
    first, second = f.assists
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "joint", (f.lead,), f.assists)
    api.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    api.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    api.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    assert api.open(pid) == ["assist_opinion", "assist_opinion", "consultation"]
    # each assisting unit sees only its own opinion task
    assert len(api.tasks(f"{first}_clerk", pid)) == 1 and len(api.tasks(f"{second}_clerk", pid)) == 1
    api.do(f"{first}_clerk", "assist_opinion", pid, OPINION)
    contacts = max(2, api.min_consultations)
    for n in range(contacts):
        api.do(f"{f.lead}_clerk", "consultation", pid, consult_data(more_contacts=n == 0))
    assert api.open(pid) == ["assist_opinion"]  # the reply waits for every opinion
    api.do(f"{second}_clerk", "assist_opinion", pid, OPINION)
    api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain))
    api.do(f"{first}_head", "cosign_reply", pid, {"agree": True})
    api.do(f"{second}_head", "cosign_reply", pid, {"agree": False, "cosign_comment": "第二条措施需补充本单位职责"})
    assert api.open(pid) == ["reply_draft"]  # an objection sends the draft back
    ctx = api.get(f"{f.lead}_clerk", f"/api/tasks/{api.tasks(f'{f.lead}_clerk', pid)[0]['id']}").get_json()
    assert ctx["context"]["consultation_count"] == contacts
    assert set(ctx["context"]["opinions"]) == {first, second}
    draft_and_head(api, pid, f.lead, f.plain, assists=f.assists)
    supervise(api, pid, f.plain)
    api.do("wy_chen", "rate_reply", pid, rating(f.good, assist_ratings={first: f.good, second: f.fair}))
    p = api.proposal(pid)
    assert p["status"] == "closed"
    assert {u["unit_id"]: u["role"] for u in p["units"]} == {f.lead: "lead", first: "assist", second: "assist"}
    cosigns = [e for e in p["timeline"] if e["task_name"] == "cosign_reply"]
    assert len(cosigns) == 4 and {e["unit_id"] for e in cosigns} == {first, second}


def test_separate_leads_reply_on_their_own(api):
    f = api.facts
    done, followed = f.separate
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "separate", f.separate)
    assert api.open(pid) == ["accept", "accept"]
    for unit, klass in ((done, f.plain), (followed, f.follow)):
        handle(api, pid, unit)
        draft_and_head(api, pid, unit, klass)
        supervise(api, pid, klass)
        api.do("wy_chen", "rate_reply", pid, rating(f.good))
    assert api.open(pid) == ["followup_plan"]  # the plain class is done, the other is followed up
    assert api.proposal(pid)["status"] == "follow_up"
    api.do(f"{followed}_clerk", "followup_plan", pid, {"followup_plan": "分两期实施", "followup_responsible": "赵科长",
                                                       "followup_deadline": "2027-06-30"})
    api.do(f"{followed}_clerk", "progress_report", pid, {"report_date": "2027-06-01", "report_progress": "已完工",
                                                         "report_done": True})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": True})
    p = api.proposal(pid)
    assert p["status"] == "closed"
    assert {u["unit_id"]: u["reply_class"] for u in p["units"]} == {done: f.plain, followed: f.follow}


def test_key_proposal_goes_to_its_supervising_leader(api):
    f = api.facts
    leader = next(x["username"] for x in api.runtime.region.leaders if x["username"] != api.deputies[f.lead])
    pid = api.submit("wy_chen")
    api.do(COMMITTEE, "review", pid, {"review_decision": "file", "category": f.category})
    refused = api.do(COMMITTEE, "assign", pid, {"assign_mode": "single", "lead_unit_ids": [f.lead], "is_key": True},
                     expect=422)
    assert [e["field"] for e in refused["error"]["errors"]] == ["supervising_leader"]
    api.do(COMMITTEE, "assign", pid, {"assign_mode": "single", "lead_unit_ids": [f.lead], "is_key": True,
                                      "supervising_leader": leader})
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.plain)
    assert api.open(pid) == [f.key_chain[0]]
    if "gov_review" in f.key_chain:  # the government office reviews key replies, and may send them back
        api.do("zfb_wang", "gov_review", pid, {"approved": False, "approve_comment": "请补充资金安排"})
        assert api.open(pid) == ["reply_draft"]
        draft_and_head(api, pid, f.lead, f.plain)
        api.do("zfb_wang", "gov_review", pid, APPROVE)
    # the unit's own deputy head does not approve: the supervising leader does
    assert api.tasks(api.deputies[f.lead], pid) == []
    api.do(leader, "deputy_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["is_key"] is True and p["supervising_leader"] == leader
    approvals = [e["task_name"] for e in p["timeline"] if e["task_name"] in ("gov_review", "deputy_approve")]
    assert approvals[-len(f.key_chain):] == list(f.key_chain)


def test_deputy_class_needs_deputy_approval_and_supervisor_may_change_class(api):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, leads=(f.wrong_unit,))
    handle(api, pid, f.wrong_unit)
    draft_and_head(api, pid, f.wrong_unit, f.deputy_class)
    assert api.open(pid) == ["deputy_approve"]
    assert api.tasks(api.deputies[f.wrong_unit], pid, "deputy_approve")  # the unit's own deputy head
    api.do(api.deputies[f.wrong_unit], "deputy_approve", pid, APPROVE)
    supervise(api, pid, f.raised)  # the supervision office changes the class
    assert api.proposal(pid)["reply_class"] == f.raised
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    assert api.open(pid) == ["followup_plan"]


def test_plain_class_skips_leaders(api):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.plain)
    assert api.open(pid) == ["supervise_review"]


def test_every_accepted_rating_closes_and_the_worst_reopens(api):
    f = api.facts
    scale = api.runtime.region.codes("satisfaction_scale")
    for code in scale:
        pid = api.submit("wy_chen")
        file_and_assign(api, pid)
        handle(api, pid, f.lead)
        draft_and_head(api, pid, f.lead, f.plain)
        supervise(api, pid, f.plain)
        api.do("wy_chen", "rate_reply", pid, rating(code))
        assert api.open(pid) == (["second_handling"] if code == f.bad else []), code


def test_unsatisfied_second_handling_then_satisfied(api):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.plain)
    supervise(api, pid, f.plain)
    api.do("wy_chen", "rate_reply", pid, rating(f.bad, rate_comment="未解决实际问题"))
    assert api.open(pid) == ["second_handling"]
    assert api.proposal(pid)["status"] == "rehandling"
    api.do(f"{f.lead}_clerk", "second_handling", pid, {"rehandle_analysis": "答复过于笼统", "rehandle_measures": "实地调研后细化措施"})
    draft_and_head(api, pid, f.lead, f.plain)
    supervise(api, pid, f.plain)
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["satisfaction"] == f.good
    rates = [e["data"]["satisfaction"] for e in p["timeline"] if e["task_name"] == "rate_reply"]
    assert rates == [f.bad, f.good]


def test_unsatisfied_again_and_again_is_mediated(api):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    rounds = 0
    while True:
        draft_and_head(api, pid, f.lead, f.plain)
        supervise(api, pid, f.plain)
        api.do("wy_chen", "rate_reply", pid, rating(f.bad))
        if api.open(pid) != ["second_handling"]:
            break
        rounds += 1
        assert rounds <= 5
        api.do(f"{f.lead}_clerk", "second_handling", pid, {"rehandle_analysis": "x", "rehandle_measures": "y"})
    assert rounds == f.rehandles  # the region's feedback table decides how many second handlings come first
    assert api.open(pid) == ["mediate"]
    api.do(COMMITTEE, "mediate", pid, {"mediation_result": "经协调，提案者理解有关困难"})
    assert api.proposal(pid)["status"] == "closed"


def test_followed_up_class_until_closed(api):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.follow)
    supervise(api, pid, f.follow)
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    api.do(f"{f.lead}_clerk", "followup_plan", pid, {"followup_plan": "年内建成两处立体停车库",
                                                     "followup_responsible": "规划科 钱科长",
                                                     "followup_deadline": "2027-12-31"})
    for quarter, done in (("2027-03-31", False), ("2027-06-30", False), ("2027-09-30", True)):
        api.do(f"{f.lead}_clerk", "progress_report", pid, {"report_date": quarter,
                                                           "report_progress": f"截至{quarter}的进展",
                                                           "report_done": done})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": False, "close_comment": "第二处尚未投用"})
    assert api.open(pid) == ["progress_report"]
    api.do(f"{f.lead}_clerk", "progress_report", pid, {"report_date": "2027-12-20", "report_progress": "两处均已投用",
                                                       "report_done": True})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": True})
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["reply_class"] == f.follow and p["open_tasks"] == []
    assert sum(e["task_name"] == "progress_report" for e in p["timeline"]) == 4
    assert kinds(p)[0] == "submitted" and "status_changed" in kinds(p)


def test_filed_numbers_follow_the_regions_format(api):
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    year = clock.now().astimezone(clock.CHINA).year
    assert api.proposal(pid)["number"] == api.runtime.region.number_format.format(year=year, seq=1)
