"""Reminders before a deadline and escalation after it, called by the diagrams'
timer branches as service tasks (`remind`, `escalate`, `close_cosigning`, `given_ratings`:
`HANDLERS`, put in the runtime's service-task table by engine/workflow/service_tasks.py),
and `resolve`, the table's hook for a deadline met.

Who is late is read from the engine's own records, not from the timer's copy
of the case data (which is as old as the timer): open tasks, the event log
and the proposal's units. A kind of deadline ("accept", "opinion", "reply",
...) is met by the diagram elements whose `resolves` property names it; while
it is not, whoever holds an open task that meets it or works towards it (a
user task whose `deadline` property names it) is late: a unit, or, for a task
no unit does, the office of its role or the one person it is assigned to (the
government office reviewing a reply, the deputy head approving it). A lead
unit whose handling has no such task open is late itself.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.adapters import outbox as notify
from engine.definitions.bundle import ProcessBundle
from engine.model.eventlog import log
from engine.model.tables import Event, OpenTask, OverdueRecord, ProposalUnit, Rating, Unit, User
from engine.profile.catalogue import Catalogue
from engine.workflow import open_tasks
from engine.workflow.batch_cache import batch_shared

if TYPE_CHECKING:
    from engine.workflow.step import Step


@dataclass
class Party:
    """Who is late: a unit, or an office (`role`) or one person (`holder`) holding a step."""

    unit_id: str | None
    role: str | None = None
    holder: str | None = None
    lead_unit: str | None = None  # whose handling (and reply) it is
    people: list = field(default_factory=list)


def _remind_task(step: Step, kind: str, unit: str | None = None, due: str | None = None, leads: bool = False,
                 since: str | None = None) -> int:
    return remind(step, kind, unit, leads, since)


def _escalate_task(step: Step, kind: str, unit: str | None = None, due: str | None = None, leads: bool = False,
                   since: str | None = None) -> int:
    return escalate(step, kind, unit, due, leads, since)


def _given_ratings_task(step: Step, unit: str | None = None, round: int = 1) -> dict:
    return given_ratings(step, unit, round)


# The service tasks of this module: name in the diagrams -> handler(step, *arguments).
HANDLERS: dict[str, Callable[..., Any]] = {"remind": _remind_task, "escalate": _escalate_task, "close_cosigning": lambda step: close_cosigning(step),
            "given_ratings": _given_ratings_task}


def late_parties(kind: str, bundle: ProcessBundle, open_tasks: Iterable[OpenTask], met: Collection[str | None],
                 lead_units: Collection[str], unit: str | None = None, leads: bool = False) -> list[tuple]:
    """[(unit id, role, holder, lead unit)] who have not met deadline `kind`.

    `open_tasks`: objects with name, unit_id, role, assignee and lead_unit;
    `met`: the units (lead units for a lead's deadline) that have met it;
    `lead_units`: the proposal's lead units; `unit`: only this unit's part;
    `leads`: the deadline belongs to the lead units as a whole (first contact,
    reply), so a lead with no task towards it open is late itself.
    """
    steps = {n for n, k in bundle.resolves.items() if k == kind} | {n for n, k in bundle.holds.items() if k == kind}
    found, covered = [], set()
    for task in open_tasks:
        if task.name not in steps or (unit is not None and unit not in (task.unit_id, task.lead_unit)):
            continue
        if (task.unit_id and task.unit_id in met) or (leads and task.lead_unit and task.lead_unit in met):
            continue
        party = (task.unit_id, None, None, task.lead_unit) if task.unit_id else \
            (None, task.role, task.assignee, task.lead_unit)
        if party not in found:
            found.append(party)
        covered.add(task.lead_unit)
    if leads:
        found += [(u, None, None, u) for u in lead_units
                  if (unit is None or u == unit) and u not in met and u not in covered]
    return found


def remind(step: Step, kind: str, unit: str | None = None, leads: bool = False, since: str | None = None) -> int:
    """Remind whoever still has to meet deadline `kind`; returns messages queued.

    `leads`: the deadline belongs to the lead units as a whole (first contact,
    reply), not only to whoever has a matching task open right now; `since`: only
    what was done from then on meets it (a second handling's reply)."""
    sent, words = 0, step.rt.region.catalogue
    label = words.label("deadline_kinds", kind, "action")
    for party in _late(step, kind, unit, leads, since):
        name = party_name(step.session, words, party.unit_id, party.role, party.holder)
        log(step.session, step.proposal, "reminder", None, f"{label}提醒（{name}）", unit_id=party.unit_id,
            data={"kind": kind}, at=step.now)
        sent += notify.enqueue(step.session, step.rt.region, party.people, "reminder", f"办理提醒：请及时{label}",
                               f"提案：{step.proposal.title}", proposal_id=step.proposal.id, now=step.now)
    return sent


def escalate(step: Step, kind: str, unit: str | None = None, due: str | None = None, leads: bool = False,
             since: str | None = None) -> int:
    """Record who missed deadline `kind` (once per party until met) and tell them and the committee."""
    base_due = datetime.fromisoformat(due).astimezone(UTC) if due else step.now
    words = step.rt.region.catalogue
    label = words.label("deadline_kinds", kind, "action")
    committee = list(open_tasks.recipients(step.session, "committee"))
    if step.proposal.is_key and step.proposal.supervising_leader:  # 重点提案: the supervising leader too
        committee += open_tasks.recipients(step.session, "deputy_head", assignee=step.proposal.supervising_leader)
    recorded = 0
    for party in _late(step, kind, unit, leads, since):
        owner = party.lead_unit or party.unit_id
        due_at = step.extension_due(kind, owner) if owner else None
        due_at = due_at or base_due
        if due_at > step.now:
            continue  # an approved extension moved this unit's deadline
        if _open_record(step, kind, party) is None:
            step.session.add(OverdueRecord(proposal_id=step.proposal.id, unit_id=party.unit_id,
                                           holder_role=party.role, holder=party.holder, lead_unit=party.lead_unit,
                                           kind=kind, due_at=due_at, detected_at=step.now))
            recorded += 1
        name = party_name(step.session, words, party.unit_id, party.role, party.holder)
        log(step.session, step.proposal, "overdue", None, f"{label}超期（{name}）", unit_id=party.unit_id,
            data={"kind": kind, "due_at": due_at.isoformat()}, at=step.now)
        notify.enqueue(step.session, step.rt.region, party.people + committee, "overdue",
                       f"超期督办：{name}未按期{label}", f"提案：{step.proposal.title}",
                       proposal_id=step.proposal.id, now=step.now)
    step.session.flush()
    return recorded


def resolve(step: Step, kind: str, unit: str | None = None, holder: str | None = None, lead_unit: str | None = None) -> None:
    """A late step was finally done: close its open overdue records.

    A user task closes those of its unit (or its one person); an engine step that
    meets the deadline (the reply is sent) closes every record of `lead_unit`'s
    handling, whoever held it."""
    params = {"proposal_id": step.proposal.id, "kind": kind}
    if lead_unit is not None:
        query, params["party"] = _OPEN_RECORDS["lead_unit"], lead_unit
    elif unit is not None:
        query, params["party"] = _OPEN_RECORDS["unit"], unit
    elif holder is not None:
        query, params["party"] = _OPEN_RECORDS["holder"], holder
    else:
        query = _OPEN_RECORDS["office"]
    for record in step.session.scalars(query, params):
        record.resolved_at = step.now


def _open_records(whose: str) -> Any:
    """The unresolved overdue records of a proposal's deadline `kind` held by a party
    (`party`: a lead unit's handling, a unit, a person; "office": nobody in particular)."""
    query = select(OverdueRecord).where(OverdueRecord.proposal_id == bindparam("proposal_id"),
                                        OverdueRecord.kind == bindparam("kind"), OverdueRecord.resolved_at.is_(None))
    party: Any = bindparam("party")
    return query.where({
        "lead_unit": or_(OverdueRecord.lead_unit == party, OverdueRecord.unit_id == party),
        "unit": OverdueRecord.unit_id == party, "holder": OverdueRecord.holder == party,
        "office": and_(OverdueRecord.unit_id.is_(None), OverdueRecord.holder.is_(None))}[whose])


_OPEN_RECORDS = {whose: _open_records(whose) for whose in ("lead_unit", "unit", "holder", "office")}  # built once


def party_name(session: Session, words: Catalogue, unit_id: str | None, role: str | None = None, holder: str | None = None) -> str:
    """Who is late, as people read it: the unit's name, the person's name or the office's
    (`words`: the region's code catalogue)."""
    if unit_id:
        unit = session.get(Unit, unit_id)
        return unit.name if unit else unit_id
    if holder:
        return session.scalar(select(User.name).where(User.username == holder)) or holder
    return words.label("roles", role, default=words.label("roles", "proposer"))  # no role: the member's step


def close_cosigning(step: Step) -> dict:
    """The co-signing deadline passed: the answers given so far, from the event log."""
    answers = step.session.scalars(select(Event).where(
        Event.proposal_id == step.proposal.id, Event.kind == "task_completed", Event.task_name.in_(
            [name for name, kind in step.bundle.resolves.items() if kind == "cosign"] or ["cosigner_confirm"])))
    return {e.actor: {"agree": bool((e.data or {}).get("agree"))} for e in answers}


def given_ratings(step: Step, unit: str | None, round: int = 1) -> dict:
    """The rating window closed: {rater: the rating form's data} of the ratings given so far
    for `unit`'s reply in handling round `round` (the ratings table says which; the event log
    keeps what each rater submitted)."""
    task_ids = select(Rating.task_id).where(Rating.proposal_id == step.proposal.id, Rating.reply_unit == unit,
                                            Rating.unit_id == unit, Rating.handling_round == (round or 1))
    answers = step.session.scalars(select(Event).where(
        Event.proposal_id == step.proposal.id, Event.kind == "task_completed", Event.task_id.in_(task_ids))
        .order_by(Event.id))
    return {e.actor: dict(e.data or {}) for e in answers}


def _late(step: Step, kind: str, unit: str | None, leads: bool = False, since: str | None = None) -> list[Party]:
    """The parties who have not met `kind` yet, with the people to tell."""
    resolvers = [name for name, k in step.bundle.resolves.items() if k == kind]
    session, proposal_id = step.session, step.proposal.id
    params: dict[str, Any] = {"proposal_id": proposal_id, "resolvers": resolvers}
    if since:
        params["since"] = datetime.fromisoformat(since).astimezone(UTC)
    met = set(session.scalars(_MET_SINCE if since else _MET, params))
    tasks = list(session.scalars(_CASE_TASKS, {"proposal_id": proposal_id}))
    lead_units = list(session.scalars(_LEAD_UNITS, {"proposal_id": proposal_id}))
    parties = []
    for unit_id, role, holder, lead_unit in late_parties(kind, step.bundle, tasks, met, lead_units, unit, leads):
        holding = [t for t in tasks if (t.unit_id, t.role if not t.unit_id else None,
                                        t.assignee if not t.unit_id else None) == (unit_id, role, holder)
                   and t.lead_unit == lead_unit]
        if holding:
            people = []
            for t in holding:
                people += [p for p in open_tasks.recipients(session, t.role, t.unit_id, t.assignee) if p not in people]
        else:  # a lead unit with nothing open towards the deadline: all its staff
            people = list(batch_shared(session, ("unit_staff", unit_id), partial(_unit_staff, session, unit_id)))
        parties.append(Party(unit_id, role, holder, lead_unit, people))
    return parties


def _unit_staff(session: Session, unit_id: str | None) -> list[User]:
    if unit_id is None:  # (as `User.unit_id == None` read: the staff of no unit)
        return list(session.scalars(_NO_UNIT_STAFF))
    return list(session.scalars(_UNIT_STAFF, {"unit_id": unit_id}))


# built once (building a statement cost more than running it)
_MET = select(Event.unit_id).where(  # who did a step that meets the deadline
    Event.proposal_id == bindparam("proposal_id"), Event.task_name.in_(bindparam("resolvers", expanding=True)),
    Event.kind.in_(("task_completed", "milestone")))
_MET_SINCE = _MET.where(Event.at >= bindparam("since"))
_CASE_TASKS = select(OpenTask).where(OpenTask.proposal_id == bindparam("proposal_id"))
_LEAD_UNITS = select(ProposalUnit.unit_id).where(ProposalUnit.proposal_id == bindparam("proposal_id"),
                                                 ProposalUnit.role == "lead").order_by(ProposalUnit.unit_id)
_UNIT_STAFF = select(User).where(User.unit_id == bindparam("unit_id"), User.active.is_(True))
_NO_UNIT_STAFF = select(User).where(User.unit_id.is_(None), User.active.is_(True))


def _same(column: InstrumentedAttribute, value: object) -> ColumnElement[bool]:
    """column IS NULL for None, column = value otherwise."""
    return column.is_(None) if value is None else column == value


def _open_record(step: Step, kind: str, party: Party) -> OverdueRecord | None:
    return step.session.scalar(select(OverdueRecord).where(
        OverdueRecord.proposal_id == step.proposal.id, OverdueRecord.kind == kind, OverdueRecord.resolved_at.is_(None),
        _same(OverdueRecord.unit_id, party.unit_id), _same(OverdueRecord.holder_role, party.role),
        _same(OverdueRecord.holder, party.holder)).limit(1))

