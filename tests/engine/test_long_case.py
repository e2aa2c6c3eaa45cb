"""Long-lived cases: stored state stays bounded, and compaction changes no result.

SpiffWorkflow 3.2.0 stops iterating a task tree at depth 1000, so a case that
loops long enough without compaction silently loses its READY task
The engine re-roots the tree after every step
(engine.workflow.state.compact); these tests drive one case through more than 1500
tasks and check that compacted and uncompacted workflows agree step by step.
"""
import json

import pytest
from case_drivers import CONTACT, PLAN, REPLY_B, REPORT, Flow, to_follow_up
from SpiffWorkflow.util.task import TaskState

from engine.model import clock as engine_clock

TARGET_TASKS = 1500


def stored_task_count(stored: dict) -> int:
    """Tasks kept in a stored state: the top workflow's plus every subprocess's."""
    workflow = stored["workflow"]
    return len(workflow["tasks"]) + sum(len(s["tasks"]) for s in workflow["subprocesses"].values())


def stored_data(stored: dict, name: str):
    """The value of variable `name` in any task of a stored state (None if absent)."""
    for task in stored["workflow"]["tasks"].values():
        # the root holds its whole data; other tasks hold what changed from their parent
        for data in (task.get("data") or {}, (task.get("delta") or {}).get("updates") or {}):
            if name in data:
                return data[name]
    return None


@pytest.mark.slow
def test_one_case_through_1500_tasks_stays_small_and_closes(walk):
    proposal_id = walk.to_follow_up()
    reports, early_size = 0, None
    case = walk.case(proposal_id)
    while case.completed_tasks < TARGET_TASKS:
        walk.do("progress_report", "fgw_clerk", REPORT)
        reports += 1
        case = walk.case(proposal_id)
        assert stored_task_count(case.state) < 60, f"after {reports} reports"
        if reports == 50:
            early_size = len(json.dumps(case.state))
    late_size = len(json.dumps(case.state))
    assert reports > 300 and walk.open_tasks() == ["progress_report"]
    assert late_size < 1.5 * early_size, (early_size, late_size)

    walk.do("progress_report", "fgw_clerk", {**REPORT, "report_done": True})
    walk.do("close_confirm", "tw", {"close_approved": True})

    case, proposal = walk.case(proposal_id), walk.proposal(proposal_id)
    assert case.completed is True
    assert case.completed_tasks >= TARGET_TASKS
    assert proposal.status == "closed"
    assert (proposal.reply_class, proposal.satisfaction, proposal.lead_unit) == ("B", "satisfied", "fgw")
    assert walk.open_tasks() == []
    assert walk.events(proposal_id, "task_completed") == walk.user_tasks
    assert stored_data(case.state, "handling_results")["fgw"]["reports"] == reports + 1


def test_without_compaction_the_ready_task_is_lost_near_depth_1000(bundle):
    """The depth-1000 limit, shown on the real diagram: the uncompacted workflow gets stuck."""
    flow = to_follow_up(Flow(bundle))
    reports = 0
    while "progress_report" in flow.ready_names():
        assert reports < 400, "expected SpiffWorkflow to lose the READY task before 400 reports"
        flow.do("progress_report", REPORT)
        reports += 1
    # The task is still there and READY, but iteration (depth limit 1000) no longer reaches it.
    in_tree = [t for sub in flow.workflow.subprocesses.values() for t in sub.tasks.values()
               if t.task_spec.bpmn_id == "progress_report" and t.state == TaskState.READY]
    assert len(in_tree) == 1 and flow.ready() == []
    assert not flow.workflow.is_completed()  # stuck: nothing to do, yet not finished
    assert flow.task_count() > 1000

    compacted = to_follow_up(Flow(bundle))
    for _ in range(reports + 20):
        compacted.do("progress_report", REPORT)
        compacted.roundtrip()
    assert compacted.ready_names() == ["progress_report"]
    assert compacted.task_count() < 60


# One proposal with a co-signer, two assisting units (joint handling), a rejected
# plan, the consultation loop running in parallel with the assisting opinions,
# a refused co-signature, a second handling and a refused closure.
PARALLEL_PATH = [
    ("cosigner_confirm", {"agree": True}, {"confirming_cosigner": "wy2"}),
    ("review", {"review_decision": "file", "category": "urban"}, {}),
    ("assign", {"assign_mode": "joint", "lead_unit_ids": ["fgw"], "assisting_unit_ids": ["jw", "kw"],
                "is_key": False}, {}),
    ("accept", {"accept_decision": "accept"}, {}),
    ("plan_draft", PLAN, {}),
    ("plan_approve", {"approved": False}, {}),
    ("plan_draft", PLAN, {}),
    ("plan_approve", {"approved": True}, {}),
    ("consultation", {**CONTACT, "more_contacts": True}, {}),
    ("assist_opinion", {"opinion_text": "经委意见", "contact_person": "王"}, {"assist_unit": "jw"}),
    ("consultation", {**CONTACT, "more_contacts": True}, {}),
    ("consultation", {**CONTACT, "more_contacts": False}, {}),
    ("assist_opinion", {"opinion_text": "科委意见", "contact_person": "李"}, {"assist_unit": "kw"}),
    ("reply_draft", REPLY_B, {}),
    ("cosign_reply", {"agree": False, "cosign_comment": "需补充"}, {"cosign_unit": "jw"}),
    ("cosign_reply", {"agree": True}, {"cosign_unit": "kw"}),
    ("reply_draft", {**REPLY_B, "reply_text": "答复（修改）"}, {}),
    ("cosign_reply", {"agree": True}, {"cosign_unit": "kw"}),
    ("cosign_reply", {"agree": True}, {"cosign_unit": "jw"}),
    ("head_approve", {"approved": True}, {}),
    ("supervise_review", {"final_class": "B", "approved": True}, {}),
    ("rate_reply", {"satisfaction": "unsatisfied", "disclosure_consent": True}, {"rater": "wy"}),
    ("rate_reply", {"satisfaction": "satisfied", "disclosure_consent": True}, {"rater": "wy2"}),
    ("second_handling", {"rehandle_analysis": "分析", "rehandle_measures": "措施"}, {}),
    ("reply_draft", {**REPLY_B, "reply_text": "二次答复"}, {}),
    ("cosign_reply", {"agree": True}, {"cosign_unit": "jw"}),
    ("cosign_reply", {"agree": True}, {"cosign_unit": "kw"}),
    ("head_approve", {"approved": True}, {}),
    ("supervise_review", {"final_class": "B", "approved": True}, {}),
    ("rate_reply", {"satisfaction": "basically_satisfied", "disclosure_consent": True}, {"rater": "wy"}),
    ("rate_reply", {"satisfaction": "satisfied", "disclosure_consent": False}, {"rater": "wy2"}),
    ("followup_plan", {"followup_plan": "计划", "followup_responsible": "张科长", "followup_deadline": "2027-01-01"}, {}),
    ("progress_report", REPORT, {}),
    ("progress_report", {**REPORT, "report_done": True}, {}),
    ("close_confirm", {"close_approved": False}, {}),
    ("progress_report", {**REPORT, "report_done": True}, {}),
    ("close_confirm", {"close_approved": True}, {}),
]


def ready_view(flow: Flow) -> list:
    """What people could do next: each READY user task's name and data, in a stable order."""
    return sorted((t.task_spec.bpmn_id, json.dumps(t.data, sort_keys=True, default=str)) for t in flow.ready())


@pytest.fixture
def still_clock():
    """A clock that does not move, so both runs stamp the same times (submitted_on, ...)."""
    engine_clock.use(engine_clock.MovableClock())
    yield
    engine_clock.use(engine_clock.SystemClock())


def test_compaction_keeps_every_step_identical_on_a_parallel_path(bundle, still_clock):
    plain = Flow(bundle, cosigners=["wy2"])
    compacted = Flow(bundle, cosigners=["wy2"])
    compacted.roundtrip()
    dropped = 0
    for n, (name, data, match) in enumerate(PARALLEL_PATH):
        plain.do(name, data, **match)
        compacted.do(name, data, **match)
        before = compacted.task_count()
        compacted.roundtrip()
        dropped += before - compacted.task_count()
        assert ready_view(compacted) == ready_view(plain), f"step {n}: {name} {match}"
    # compaction did happen along the way (in the second handling a deadline watch waits beside
    # the work, holding the tree's root at its fork until its timers fire or the handling ends)
    assert dropped > 80
    assert plain.workflow.is_completed() and compacted.workflow.is_completed()
    results = plain.workflow.last_task.data["handling_results"]
    assert compacted.workflow.last_task.data["handling_results"] == results
    assert results == {"fgw": {"unit": "fgw", "reply_class": "B", "satisfaction": "basically_satisfied",
                               "rounds": 2, "consultations": 3, "reports": 3}}
    assert compacted.workflow.last_task.data["status"] == plain.workflow.last_task.data["status"] == "closed"
