"""Deadline timers end to end, through engine.services.cases, engine.services.timers and engine.services.extensions.

The engine's clock is a MovableClock, set before each case is created so that
the diagrams' now() (submitted_on, assigned_on, replied_on) and SpiffWorkflow's
timers read it. Cases start on Friday 26 September 2025, just before the 2025
National Day week (1-8 October are holidays; Sunday 28 September and Saturday
11 October are make-up working days, from the chinesecalendar table).

Covered: the due date of every kind of deadline across that holiday; reminders
and escalations fired exactly once by the worker; the interrupting co-signing
deadline; an approved extension re-arming the reply timers (and refused
requests leaving them); two workers racing on PostgreSQL; the indexed
due-case query. Nothing is mocked. The test marked xfail(strict) records a known
limitation (see its reason and docs/guide.md).
"""
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from case_drivers import REPLY_B, contact, plan
from sqlalchemy import func, inspect, select

from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.errors import InvalidForm
from engine.model.tables import Case, DeadlineExtension, Event, Notification, OpenTask, OverdueRecord
from engine.queries import records as queries
from engine.rules.deadlines import Deadlines
from engine.services import cases, extensions, timers
from engine.services.directory import add_user

CHINA = clock.CHINA


def at(year, month, day, hour=23, minute=59, second=59) -> datetime:
    """A moment in China time (by default the end of the day: a deadline)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=CHINA)


START = at(2025, 9, 26, 10, 0, 0)  # Friday before the National Day week
ACCEPT_DUE = at(2025, 10, 16)  # 10 working days: 28/29/30 Sep, 9/10/11/13/14/15/16 Oct
ACCEPT_REMIND = at(2025, 10, 13, 9, 0, 0)  # 3 working days before, 09:00
FIRST_CONTACT_DUE = at(2025, 10, 23)  # 15 working days
OPINION_DUE = at(2025, 10, 26)  # 1 month (a Sunday: calendar months are not moved)
REPLY_DUE = at(2025, 12, 26)  # 3 months
REPLY_MAX = at(2026, 3, 26)  # 6 months
COSIGN_DUE = at(2025, 10, 10)  # 5 working days: 28/29/30 Sep, 9/10 Oct

REPLY_PHASE = {"plan_draft", "plan_approve", "reply_draft", "cosign_reply", "head_approve", "gov_review",
               "deputy_approve", "supervise_review", "second_handling"}
EXTENSION_REASON = "需要跨部门协调资金"


# Fixtures

@pytest.fixture
def moving_clock():
    """The engine's clock, standing at START until moved; the system clock again afterwards."""
    moving = clock.MovableClock(START)
    clock.use(moving)
    yield moving
    clock.use(clock.SystemClock())


@pytest.fixture
def cosigners(directory):
    """Two more proposer accounts who can be invited as co-signers."""
    with UnitOfWork(directory) as uow:
        add_user(uow.session, "wy_lin", "林委员", "pw", ["proposer"])
        add_user(uow.session, "wy_huang", "黄委员", "pw", ["proposer"])
        uow.commit()
    return ["wy_lin", "wy_huang"]


# Helpers

def assigned(walk, mode="single", leads=("fgw",), assisting=()) -> int:
    """Submit a proposal, file it and assign it at the clock's time; return its id."""
    proposal_id = walk.submit()
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": mode, "lead_unit_ids": list(leads),
                             "assisting_unit_ids": list(assisting), "is_key": False})
    return proposal_id


def planned(walk, unit="fgw"):
    """The lead unit accepts, drafts and approves its plan (consultation ∥ opinions follow)."""
    walk.do("accept", f"{unit}_clerk", {"accept_decision": "accept"})
    walk.do("plan_draft", f"{unit}_clerk", plan())
    walk.do("plan_approve", f"{unit}_head", {"approved": True})


def open_tasks(walk, proposal_id, name=None) -> list[OpenTask]:
    """Open tasks of a proposal (of every case of it), optionally of one name."""
    with UnitOfWork(walk.db) as uow:
        query = select(OpenTask).where(OpenTask.proposal_id == proposal_id)
        if name:
            query = query.where(OpenTask.name == name)
        return list(uow.session.scalars(query.order_by(OpenTask.name, OpenTask.unit_id, OpenTask.assignee)))


def due(walk, proposal_id, name, unit=None) -> datetime:
    """The due time of the one open task `name` (of `unit`), aware."""
    rows = [t for t in open_tasks(walk, proposal_id, name) if unit is None or t.unit_id == unit]
    assert len(rows) == 1, f"expected one open {name} ({unit}), found {[(t.name, t.unit_id) for t in rows]}"
    return rows[0].due_at


def next_timer(walk, proposal_id) -> datetime | None:
    """When the proposal's case has its next timer due."""
    return walk.case(proposal_id).next_timer_at


def overdue(walk, proposal_id, kind=None) -> list[OverdueRecord]:
    """Overdue records of a proposal (of one kind)."""
    with UnitOfWork(walk.db) as uow:
        query = select(OverdueRecord).where(OverdueRecord.proposal_id == proposal_id)
        if kind:
            query = query.where(OverdueRecord.kind == kind)
        return list(uow.session.scalars(query.order_by(OverdueRecord.id)))


def events(walk, proposal_id, kind) -> list[Event]:
    """Events of one kind in a proposal's log, oldest first."""
    with UnitOfWork(walk.db) as uow:
        return list(uow.session.scalars(select(Event).where(Event.proposal_id == proposal_id, Event.kind == kind)
                                        .order_by(Event.id)))


def notifications(walk, proposal_id, kind) -> Counter:
    """Messages of `kind` about a proposal, counted by (recipient, channel)."""
    with UnitOfWork(walk.db) as uow:
        rows = uow.session.execute(select(Notification.recipient, Notification.channel).where(
            Notification.proposal_id == proposal_id, Notification.kind == kind))
        return Counter(tuple(row) for row in rows)


def run_worker(walk) -> dict:
    """One round of the timer worker at the clock's time."""
    result = timers.run_once(walk.db, walk.rt)
    assert result["failed"] == 0, result
    return result


def request_extension(walk, proposal_id, requested_due, username="fgw_clerk") -> dict:
    """A lead unit's clerk asks to extend the reply deadline to `requested_due` (YYYY-MM-DD)."""
    with UnitOfWork(walk.db) as uow:
        user = walk.user(uow.session, username)
        return extensions.request_extension(uow, walk.rt, user, proposal_id,
                                            {"requested_due": requested_due, "reason": EXTENSION_REASON})


def extension(walk, proposal_id) -> DeadlineExtension:
    """The one extension request of a proposal."""
    with UnitOfWork(walk.db) as uow:
        return uow.session.scalar(select(DeadlineExtension).where(DeadlineExtension.proposal_id == proposal_id))


def reply_phase_dues(walk, proposal_id) -> dict:
    """{task name: due} of the open reply-phase tasks of a proposal."""
    return {t.name: t.due_at for t in open_tasks(walk, proposal_id) if t.name in REPLY_PHASE}


# 1. Each kind of deadline across the National Day holiday

def test_every_deadline_counts_across_the_national_day_holiday(moving_clock, walk, runtime):
    deadlines = Deadlines(runtime.region)  # computed apart from the engine's own instance
    pid = assigned(walk, "joint", leads=["fgw"], assisting=["jw"])

    assert due(walk, pid, "accept", "fgw") == ACCEPT_DUE == at(2025, 10, 16)
    assert deadlines.due("accept", START) == ACCEPT_DUE
    assert next_timer(walk, pid) == ACCEPT_REMIND == deadlines.remind_at("accept", START)

    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    assert due(walk, pid, "plan_draft") == REPLY_DUE == deadlines.due("reply", START)
    walk.do("plan_draft", "fgw_clerk", plan())
    assert due(walk, pid, "plan_approve") == REPLY_DUE
    walk.do("plan_approve", "fgw_head", {"approved": True})

    # consultation (the first contact with the proposer) runs in parallel with the assisting opinions
    assert due(walk, pid, "consultation", "fgw") == deadlines.due("first_contact", START) == FIRST_CONTACT_DUE
    assert due(walk, pid, "assist_opinion", "jw") == OPINION_DUE == deadlines.due("opinion", START)
    walk.do("consultation", "fgw_clerk", contact(more_contacts=False))
    walk.do("assist_opinion", "jw_clerk", {"opinion_text": "同意主办单位意见", "contact_person": "王科长"})

    for name, username, data in [("reply_draft", "fgw_clerk", REPLY_B),
                                 ("cosign_reply", "jw_head", {"agree": True}),
                                 ("head_approve", "fgw_head", {"approved": True})]:
        assert due(walk, pid, name) == REPLY_DUE, name
        walk.do(name, username, data)
    assert due(walk, pid, "supervise_review") == REPLY_DUE

    # The reply goes out on Tuesday 30 September; 15 working days later is 28 October
    replied = at(2025, 9, 30, 10, 0, 0)
    moving_clock.set(replied)
    walk.do("supervise_review", "dcs", {"final_class": "B", "approved": True})
    assert due(walk, pid, "rate_reply") == deadlines.due("feedback", replied) == at(2025, 10, 28)


def test_cosigner_confirmation_is_due_after_five_working_days(moving_clock, walk, cosigners, runtime):
    pid = walk.submit(cosigners=cosigners)

    rows = open_tasks(walk, pid, "cosigner_confirm")
    assert sorted(t.assignee for t in rows) == sorted(cosigners)
    assert {t.due_at for t in rows} == {COSIGN_DUE} == {Deadlines(runtime.region).due("cosign", START)}
    assert next_timer(walk, pid) == COSIGN_DUE


# 2. Reminders and escalations fire exactly once

def test_acceptance_reminder_and_escalation_fire_exactly_once(moving_clock, walk, runtime):
    pid = assigned(walk)
    timer_times = [next_timer(walk, pid)]
    assert timer_times == [ACCEPT_REMIND]
    reminder_channels = runtime.region.channels("reminder")

    moving_clock.set(ACCEPT_REMIND)
    moving_clock.advance(seconds=1)  # SpiffWorkflow fires a timer once its time has passed (see the xfail below)
    assert [run_worker(walk)["fired"] for _ in range(2)] == [1, 0]
    assert notifications(walk, pid, "reminder") == {("fgw_clerk", c): 1 for c in reminder_channels}
    assert not overdue(walk, pid)
    timer_times.append(next_timer(walk, pid))
    assert timer_times[-1] == ACCEPT_DUE > moving_clock.now()

    late = at(2025, 10, 17, 9, 0, 0)  # the morning after the deadline
    moving_clock.set(late)
    assert [run_worker(walk)["fired"] for _ in range(2)] == [1, 0]
    records = overdue(walk, pid)
    assert [(r.kind, r.unit_id, r.due_at, r.detected_at, r.resolved_at) for r in records] == [
        ("accept", "fgw", ACCEPT_DUE, late, None)]
    assert [e.unit_id for e in events(walk, pid, "overdue")] == ["fgw"]
    assert notifications(walk, pid, "reminder") == {("fgw_clerk", c): 1 for c in reminder_channels}
    assert set(notifications(walk, pid, "overdue").values()) == {1}  # the unit and the committee, once each
    timer_times.append(next_timer(walk, pid))
    assert timer_times[-1] is None or timer_times[-1] > late
    assert timer_times == sorted(timer_times)  # always forward

    accepted = moving_clock.advance(hours=2)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    assert overdue(walk, pid, "accept")[0].resolved_at == accepted
    assert len(overdue(walk, pid)) == 1

    with UnitOfWork(walk.db) as uow:
        timeline = queries.proposal_detail(uow.session, runtime, walk.user(uow.session, "tw"), pid)["timeline"]
    assert [e["title"] for e in timeline if e["kind"] == "timer"] == ["签收提醒", "签收超期"]
    assert [e["title"] for e in timeline if e["kind"] == "overdue"] == ["签收超期（区发展和改革委员会）"]


# 3. The co-signing deadline

def test_cosigning_deadline_goes_on_with_those_who_agreed(moving_clock, walk, cosigners):
    pid = walk.submit(cosigners=cosigners)
    walk.do("cosigner_confirm", "wy_lin", {"agree": True})
    assert [t.assignee for t in open_tasks(walk, pid, "cosigner_confirm")] == ["wy_huang"]
    assert walk.proposal(pid).status == "cosigning"

    moving_clock.set(at(2025, 10, 11, 9, 0, 0))  # the day after the fifth working day
    assert run_worker(walk)["fired"] == 1

    assert not open_tasks(walk, pid, "cosigner_confirm")
    assert [t.name for t in open_tasks(walk, pid)] == ["review"]
    assert walk.proposal(pid).status == "review"
    assert [e.title for e in events(walk, pid, "timer")] == ["联名截止"]

    # cosigners_confirmed holds only wy_lin: the raters are the proposer and wy_lin
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "is_key": False})
    planned(walk)
    walk.do("consultation", "fgw_clerk", contact(more_contacts=False))
    walk.do("reply_draft", "fgw_clerk", REPLY_B)
    walk.do("head_approve", "fgw_head", {"approved": True})
    walk.do("supervise_review", "dcs", {"final_class": "B", "approved": True})
    assert sorted(t.assignee for t in open_tasks(walk, pid, "rate_reply")) == ["wy", "wy_lin"]


# 4. Extensions re-arm the reply timers

def test_approved_extension_moves_reply_deadline_and_timers(moving_clock, walk):
    pid = assigned(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    assert reply_phase_dues(walk, pid) == {"plan_draft": REPLY_DUE}

    answer = request_extension(walk, pid, "2026-02-10")
    assert (answer["current_due"], answer["max_due"]) == (REPLY_DUE.isoformat(), REPLY_MAX.isoformat())
    assert extension(walk, pid).status == "pending"
    assert reply_phase_dues(walk, pid) == {"plan_draft": REPLY_DUE}  # nothing moves before the decisions
    walk.do("committee_decide", "tw", {"approved": True})
    walk.do("gov_decide", "zfb", {"approved": True})

    new_due = at(2026, 2, 10)
    decided = extension(walk, pid)
    assert decided.status == "approved" and decided.requested_due == new_due
    assert not [t for t in open_tasks(walk, pid) if t.name in ("committee_decide", "gov_decide")]
    assert reply_phase_dues(walk, pid) == {"plan_draft": new_due}
    walk.do("plan_draft", "fgw_clerk", plan())
    assert reply_phase_dues(walk, pid) == {"plan_approve": new_due}  # tasks created later too

    moving_clock.set(at(2025, 12, 27, 10, 0, 0))  # past the original reply deadline
    run_worker(walk)
    assert not overdue(walk, pid, "reply")
    # next: the reply reminder, 10 working days before the extended deadline
    assert next_timer(walk, pid) == at(2026, 1, 27, 9, 0, 0)

    moving_clock.set(at(2026, 2, 11, 10, 0, 0))  # past the extended one
    run_worker(walk)
    run_worker(walk)
    assert [(r.unit_id, r.due_at) for r in overdue(walk, pid, "reply")] == [("fgw", new_due)]
    assert [e.title for e in events(walk, pid, "overdue") if e.data["kind"] == "reply"] == ["答复超期（区发展和改革委员会）"]


def test_extension_past_the_maximum_or_not_later_is_refused(moving_clock, walk):
    pid = assigned(walk)
    for requested in ("2026-03-27", "2026-09-30"):  # the maximum is 26 March 2026 (6 months)
        with pytest.raises(InvalidForm) as refused:
            request_extension(walk, pid, requested)
        assert [e["field"] for e in refused.value.errors] == ["requested_due"]
        assert "2026-03-26" in refused.value.errors[0]["message"]
    for requested in ("2025-12-26", "2025-12-01"):  # not later than the current deadline
        with pytest.raises(InvalidForm) as refused:
            request_extension(walk, pid, requested)
        assert [e["field"] for e in refused.value.errors] == ["requested_due"]
        assert "2025-12-26" in refused.value.errors[0]["message"]
    assert extension(walk, pid) is None
    with UnitOfWork(walk.db) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 1  # no extension case started

    request_extension(walk, pid, "2026-03-26")  # the maximum itself may be asked for
    assert extension(walk, pid).status == "pending"


def test_refused_extension_leaves_due_dates_and_timers(moving_clock, walk):
    pid = assigned(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    timer_before = next_timer(walk, pid)

    request_extension(walk, pid, "2026-02-10")
    walk.do("committee_decide", "tw", {"approved": False, "decision_comment": "理由不充分，请按期答复"})

    assert extension(walk, pid).status == "refused"
    assert not [t for t in open_tasks(walk, pid) if t.name == "gov_decide"]
    assert reply_phase_dues(walk, pid) == {"plan_draft": REPLY_DUE}
    assert next_timer(walk, pid) == timer_before
    walk.do("plan_draft", "fgw_clerk", plan())
    assert reply_phase_dues(walk, pid) == {"plan_approve": REPLY_DUE}

    moving_clock.set(at(2025, 12, 27, 10, 0, 0))
    run_worker(walk)
    assert [(r.unit_id, r.due_at) for r in overdue(walk, pid, "reply")] == [("fgw", REPLY_DUE)]


# 5. Two workers racing on PostgreSQL

def test_two_workers_racing_fire_each_timer_once(moving_clock, walk, settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (CPPCC_TEST_DATABASE_URL): SQLite has no FOR UPDATE SKIP LOCKED "
                    "and runs one worker")
    proposals = [assigned(walk) for _ in range(20)]
    moving_clock.set(at(2025, 10, 17, 9, 0, 0))  # acceptance reminders and overdue timers all due

    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        database = Database(settings.database_url)
        try:
            barrier.wait()
            results.append(timers.run_once(database, walk.rt))
        except BaseException as err:  # noqa: BLE001 — reported by the assertions below
            errors.append(err)
        finally:
            database.engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors
    assert len(results) == 2 and all(r["failed"] == 0 and r["lock"] for r in results), results
    assert sum(r["fired"] for r in results) == len(proposals)
    for pid in proposals:
        assert [(r.kind, r.unit_id) for r in overdue(walk, pid)] == [("accept", "fgw")], pid
        assert len(events(walk, pid, "overdue")) == 1, pid
        assert [e.title for e in events(walk, pid, "timer")] == ["签收提醒", "签收超期"], pid
        assert set(notifications(walk, pid, "reminder").values()) == {1}, pid
        assert next_timer(walk, pid) > moving_clock.now()


# 6. Due cases are found through the indexed next_timer_at

def test_due_cases_loads_only_due_cases_through_an_index(moving_clock, walk):
    indexed = [ix["column_names"] for ix in inspect(walk.db.engine).get_indexes("cases")]
    assert ["next_timer_at"] in indexed

    due_now = assigned(walk)  # acceptance reminder 13 October 09:00
    moving_clock.set(at(2025, 10, 10, 10, 0, 0))
    later = assigned(walk)  # assigned two weeks later: its reminder is later too
    waiting = walk.submit()  # at review: no timer armed
    assert next_timer(walk, waiting) is None
    assert next_timer(walk, later) > at(2025, 10, 13, 10, 0, 0)

    moving_clock.set(at(2025, 10, 13, 10, 0, 0))
    with UnitOfWork(walk.db) as uow:  # times in UTC, as clock.now() gives them (SQLite compares them as text)
        assert timers.due_cases(uow.session, moving_clock.now()) == [walk.case(due_now).id]
        assert timers.due_cases(uow.session, at(2025, 10, 13, 8, 59, 59).astimezone(UTC)) == []


# Engine behaviours found while writing these tests; the one still marked xfail is a known
# limitation (one reply timer for all lead units, see README), strict so it shows once fixed

def test_a_timer_fires_once_its_time_has_passed_not_at_that_very_moment(moving_clock, walk):
    """SpiffWorkflow fires a timer only after its time (engine/services/timers.py due_cases
    asks the same): at 09:00:00 exactly the reminder waits, one second later it fires."""
    pid = assigned(walk)
    moving_clock.set(ACCEPT_REMIND)
    version = walk.case(pid).version
    result = run_worker(walk)
    assert (result["cases"], result["fired"]) == (0, 0), result
    assert not notifications(walk, pid, "reminder")
    assert walk.case(pid).version == version and next_timer(walk, pid) == ACCEPT_REMIND

    moving_clock.set(ACCEPT_REMIND + timedelta(seconds=1))
    result = run_worker(walk)
    assert (result["cases"], result["fired"]) == (1, 1), result
    assert set(notifications(walk, pid, "reminder").values()) == {1}
    assert [e.title for e in events(walk, pid, "timer")] == ["签收提醒"]
    assert walk.case(pid).version > version and next_timer(walk, pid) > ACCEPT_REMIND


def test_timer_due_when_a_user_completes_a_task_still_fires(moving_clock, walk):
    pid = assigned(walk, "joint", leads=["fgw"], assisting=["jw"])
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    walk.do("plan_draft", "fgw_clerk", plan())
    moving_clock.set(at(2025, 10, 20, 9, 0, 30))  # first-contact reminder due at 09:00; the worker is behind
    walk.do("plan_approve", "fgw_head", {"approved": True})
    run_worker(walk)
    assert "首次联系提醒" in [e.title for e in events(walk, pid, "timer")]


def test_no_opinion_deadline_without_assisting_units(moving_clock, walk):
    pid = assigned(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    walk.do("plan_draft", "fgw_clerk", plan())
    moving_clock.set(at(2025, 10, 27, 10, 0, 0))  # opinions were due 26 October
    run_worker(walk)
    walk.do("plan_approve", "fgw_head", {"approved": True})
    run_worker(walk)
    assert not overdue(walk, pid, "opinion")


@pytest.mark.xfail(strict=True, reason=(
    "processes/proposal.bpmn reply_overdue: one timer on the multi-instance `handle` call activity, "
    "due_date(reply_rule, assigned_on, 'reply') with no unit takes the latest extension of ANY unit, so in "
    "separate mode one lead unit's extension delays the other lead's reply overdue record until the new date"))
def test_one_units_extension_does_not_delay_another_units_reply_overdue(moving_clock, walk):
    pid = assigned(walk, "separate", leads=["fgw", "jw"])
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    walk.do("accept", "jw_clerk", {"accept_decision": "accept"})
    request_extension(walk, pid, "2026-02-10")
    walk.do("committee_decide", "tw", {"approved": True})
    walk.do("gov_decide", "zfb", {"approved": True})
    moving_clock.set(at(2025, 12, 27, 10, 0, 0))
    run_worker(walk)
    assert [r.unit_id for r in overdue(walk, pid, "reply")] == ["jw"]


def test_reply_reminder_follows_an_approved_extension(moving_clock, walk):
    pid = assigned(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    request_extension(walk, pid, "2026-02-10")
    walk.do("committee_decide", "tw", {"approved": True})
    walk.do("gov_decide", "zfb", {"approved": True})
    moving_clock.set(at(2025, 12, 13, 10, 0, 0))  # 10 working days before the original deadline
    run_worker(walk)
    assert "答复提醒" not in [e.title for e in events(walk, pid, "timer")]


def test_a_timer_firing_while_a_person_completes_a_task_of_the_case(moving_clock, walk):
    """The worker and a person on one case at the same moment: they take the case in turn,
    so both get through (the reminder fires before the acceptance, or is no longer due
    after it), never a stale write or a raw database error."""
    proposals = [assigned(walk) for _ in range(8)]
    moving_clock.set(at(2025, 10, 13, 10, 0, 0))  # every acceptance reminder is due
    for pid in proposals:
        with UnitOfWork(walk.db) as uow:
            task_id = uow.session.scalar(select(OpenTask.id).where(OpenTask.proposal_id == pid,
                                                                   OpenTask.name == "accept"))
            case_id = walk.case(pid).id
        barrier, outcome = threading.Barrier(2), {}

        def person(barrier=barrier, outcome=outcome, task_id=task_id):
            barrier.wait()
            with UnitOfWork(walk.db) as uow:
                outcome["person"] = cases.complete_task(uow, walk.rt, walk.user(uow.session, "fgw_clerk"), task_id,
                                                        {"accept_decision": "accept"})

        def worker(barrier=barrier, outcome=outcome, case_id=case_id):
            barrier.wait()
            outcome["worker"] = timers.fire_case(walk.db, walk.rt, case_id)

        threads = [threading.Thread(target=run) for run in (person, worker)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert set(outcome) == {"person", "worker"}, outcome  # a thread that raised has no outcome
        assert outcome["person"]["status"] == "handling"
        with UnitOfWork(walk.db) as uow:
            assert list(uow.session.scalars(select(OpenTask.name).where(OpenTask.proposal_id == pid))) == ["plan_draft"]
        assert len(events(walk, pid, "timer")) == (1 if outcome["worker"] else 0)
