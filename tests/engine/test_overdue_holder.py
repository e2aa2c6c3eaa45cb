"""The reply-overdue record names whoever holds the reply when its deadline passes: the
government office, the deputy head in charge or the supervision office while the reply
waits there, not the unit that already signed it; an assisting unit while the draft waits
for its co-signature; the lead unit while it is still drafting. The overdue report and
its exports name them.

Same clock and helpers as test_timers.py: cases start on Friday 26 September 2025, the
reply is due on 26 December 2025.
"""
from case_drivers import contact, plan
from sqlalchemy import select
from test_timers import at, overdue, run_worker

from engine.adapters.db import UnitOfWork
from engine.model.tables import OverdueRecord, User
from engine.queries import overdue_report as reports

AFTER_REPLY_DUE = at(2025, 12, 27, 10, 0, 0)
REPLY_A = {"reply_class": "A", "reply_text": "答复", "involves_funds": False}


def walk_to_signed(walk, leads=("fgw",), key=False, mode="single", assisting=()):
    """A proposal filed, assigned and drafted; each lead's head has signed its reply."""
    pid = walk.submit()
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": mode, "lead_unit_ids": list(leads), "assisting_unit_ids": list(assisting),
                             "is_key": key, **({"supervising_leader": "deputy_zhao"} if key else {})})
    for unit in leads:
        walk.do("accept", f"{unit}_clerk", {"accept_decision": "accept"})
        walk.do("plan_draft", f"{unit}_clerk", plan())
        walk.do("plan_approve", f"{unit}_head", {"approved": True})
        walk.do("consultation", f"{unit}_clerk", contact(more_contacts=False))
    for unit in assisting:
        walk.do("assist_opinion", f"{unit}_clerk", {"opinion_text": "同意", "contact_person": "王科长"})
    return pid


def sign(walk, unit, assisting=()):
    walk.do("reply_draft", f"{unit}_clerk", REPLY_A)
    for other in assisting:
        walk.do("cosign_reply", f"{other}_head", {"agree": True})
    walk.do("head_approve", f"{unit}_head", {"approved": True})


def parties(walk, pid) -> list[tuple]:
    return [(r.unit_id, r.holder_role, r.holder, r.lead_unit) for r in overdue(walk, pid, "reply")]


def report_names(walk) -> dict:
    with UnitOfWork(walk.db) as uow:
        tw = uow.session.scalar(select(User).where(User.username == "tw"))
        report = reports.overdue_report(uow.session, tw, AFTER_REPLY_DUE.date(), AFTER_REPLY_DUE.date())
    return {u["unit_name"]: u["counts"]["reply"] for u in report["units"]}, report


def test_a_reply_waiting_at_the_government_office_is_the_offices_delay(moving_clock, walk):
    pid = walk_to_signed(walk, key=True)
    sign(walk, "fgw")
    assert walk.open_tasks() == ["gov_review"]
    moving_clock.set(AFTER_REPLY_DUE)
    run_worker(walk)
    assert parties(walk, pid) == [(None, "gov_office", None, "fgw")]
    names, report = report_names(walk)
    assert names == {"政府办": 1}
    assert report["items"][0]["unit_name"] == "政府办"
    assert b"\xe5\x8c\xba\xe5\x8f\x91\xe5\xb1\x95" not in reports.export_overdue_csv(report).encode()  # 区发展…
    # the office finally reviews, the deputy head and the supervision office pass it: the reply is sent
    walk.do("gov_review", "zfb", {"approved": True})
    walk.do("deputy_approve", "deputy_zhao", {"approved": True})
    walk.do("supervise_review", "dcs", {"final_class": "A", "approved": True})
    assert [r.resolved_at is not None for r in overdue(walk, pid, "reply")] == [True]


def test_a_reply_waiting_for_the_deputy_head_names_the_leader(moving_clock, walk):
    pid = walk_to_signed(walk, key=True)
    sign(walk, "fgw")
    walk.do("gov_review", "zfb", {"approved": True})
    moving_clock.set(AFTER_REPLY_DUE)
    run_worker(walk)
    assert parties(walk, pid) == [(None, "deputy_head", "deputy_zhao", "fgw")]
    with UnitOfWork(walk.db) as uow:
        leader = uow.session.scalar(select(User.name).where(User.username == "deputy_zhao"))
    assert report_names(walk)[0] == {leader: 1}


def test_a_reply_waiting_at_the_supervision_office_names_the_office(moving_clock, walk):
    pid = walk_to_signed(walk)
    sign(walk, "fgw")
    assert walk.open_tasks() == ["supervise_review"]
    moving_clock.set(AFTER_REPLY_DUE)
    run_worker(walk)
    assert parties(walk, pid) == [(None, "supervisor", None, "fgw")]
    assert report_names(walk)[0] == {"督查室": 1}


def test_a_draft_waiting_for_co_signature_names_the_assisting_unit(moving_clock, walk):
    pid = walk_to_signed(walk, mode="joint", assisting=("jw",))
    walk.do("reply_draft", "fgw_clerk", REPLY_A)
    moving_clock.set(AFTER_REPLY_DUE)
    run_worker(walk)
    assert parties(walk, pid) == [("jw", None, None, "fgw")]


def test_separate_leads_each_name_who_holds_their_reply(moving_clock, walk):
    pid = walk_to_signed(walk, leads=("fgw", "jw"), mode="separate")
    sign(walk, "fgw")  # fgw's reply waits at the supervision office; jw is still drafting
    moving_clock.set(AFTER_REPLY_DUE)
    run_worker(walk)
    assert sorted(parties(walk, pid), key=str) == sorted([(None, "supervisor", None, "fgw"),
                                                          ("jw", None, None, "jw")], key=str)


def test_a_lead_unit_that_has_not_drafted_is_still_the_one_late(moving_clock, walk):
    pid = walk_to_signed(walk)
    moving_clock.set(AFTER_REPLY_DUE)
    run_worker(walk)
    assert parties(walk, pid) == [("fgw", None, None, "fgw")]
    with UnitOfWork(walk.db) as uow:
        assert uow.session.scalar(select(OverdueRecord.resolved_at)) is None
