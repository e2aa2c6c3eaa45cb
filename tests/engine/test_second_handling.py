"""A second handling (二次办理) has its own deadline: the region's `second_reply` rule
counted from the decision to re-handle, for every step of the second reply, with its own
reminder and escalation; the first reply's deadline no longer applies to it.

Cases start on Friday 26 September 2025 (see test_timers.py); the first reply is due on
26 December 2025, it goes out on 1 December and the proposer is unsatisfied on 5 December.
"""
from test_overdue_holder import REPLY_A, walk_to_signed
from test_timers import at, due, events, overdue, run_worker

from engine.rules.deadlines import Deadlines

REPLIED = at(2025, 12, 1, 10, 0, 0)
DECIDED = at(2025, 12, 5, 10, 0, 0)
FIRST_DUE = at(2025, 12, 26)


def rehandled(walk, moving_clock):
    pid = walk_to_signed(walk)
    walk.do("reply_draft", "fgw_clerk", REPLY_A)
    walk.do("head_approve", "fgw_head", {"approved": True})
    moving_clock.set(REPLIED)
    walk.do("supervise_review", "dcs", {"final_class": "A", "approved": True})
    moving_clock.set(DECIDED)
    walk.do("rate_reply", "wy", {"satisfaction": "unsatisfied", "disclosure_consent": True})
    return pid


def test_the_second_reply_is_due_by_the_regions_rule_from_the_decision(moving_clock, walk, runtime):
    second_due = Deadlines(runtime.region).due("second_reply", DECIDED)
    assert second_due == at(2026, 3, 5) and second_due != FIRST_DUE  # 3 months in 示范区
    pid = rehandled(walk, moving_clock)
    assert due(walk, pid, "second_handling") == second_due
    walk.do("second_handling", "fgw_clerk", {"rehandle_analysis": "措施不够具体", "rehandle_measures": "补充措施"})
    assert due(walk, pid, "reply_draft") == second_due
    walk.do("reply_draft", "fgw_clerk", REPLY_A)
    assert due(walk, pid, "head_approve") == second_due
    walk.do("head_approve", "fgw_head", {"approved": True})
    assert due(walk, pid, "supervise_review") == second_due


def test_the_second_replys_reminder_and_escalation_follow_its_deadline(moving_clock, walk, runtime):
    deadlines = Deadlines(runtime.region)
    second_due = deadlines.due("second_reply", DECIDED)
    pid = rehandled(walk, moving_clock)
    walk.do("second_handling", "fgw_clerk", {"rehandle_analysis": "措施不够具体", "rehandle_measures": "补充措施"})
    moving_clock.set(at(2025, 12, 27, 10, 0, 0))  # past the first reply's deadline: nobody is late
    run_worker(walk)
    assert overdue(walk, pid, "reply") == []
    reminded = [e.title for e in events(walk, pid, "reminder")]
    assert not [t for t in reminded if t.startswith("答复提醒")]
    moving_clock.set(deadlines.remind_at("second_reply", DECIDED))
    moving_clock.advance(seconds=5)
    run_worker(walk)
    assert [e.title for e in events(walk, pid, "reminder")] == ["答复提醒（区发展和改革委员会）"]
    moving_clock.set(second_due)
    moving_clock.advance(seconds=5)
    run_worker(walk)
    [record] = overdue(walk, pid, "reply")
    assert (record.unit_id, record.lead_unit) == ("fgw", "fgw") and record.resolved_at is None
    assert record.due_at == second_due
    walk.do("reply_draft", "fgw_clerk", REPLY_A)
    walk.do("head_approve", "fgw_head", {"approved": True})
    walk.do("supervise_review", "dcs", {"final_class": "A", "approved": True})
    [record] = overdue(walk, pid, "reply")
    assert record.resolved_at is not None
    assert walk.open_tasks() == ["rate_reply"]


def test_a_handling_that_ends_before_the_second_deadline_does_not_wait_for_its_timers(moving_clock, walk):
    pid = rehandled(walk, moving_clock)
    walk.do("second_handling", "fgw_clerk", {"rehandle_analysis": "措施不够具体", "rehandle_measures": "补充措施"})
    walk.do("reply_draft", "fgw_clerk", REPLY_A)
    walk.do("head_approve", "fgw_head", {"approved": True})
    walk.do("supervise_review", "dcs", {"final_class": "A", "approved": True})
    walk.do("rate_reply", "wy", {"satisfaction": "satisfied", "disclosure_consent": True})
    assert walk.proposal(pid).status == "closed" and walk.case(pid).completed
    assert walk.open_tasks() == []
