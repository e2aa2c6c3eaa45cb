"""Reminders before a deadline and escalation after it, called by the diagrams'
timer branches as service tasks (`remind`, `escalate`, `close_cosigning`).

Who is late is read from the engine's own records, not from the timer's copy
of the case data (which is as old as the timer): open tasks, the event log
and the proposal's units. A kind of deadline ("accept", "opinion", "reply",
...) is met by the diagram elements whose `resolves` property names it.
"""
from datetime import datetime, timezone

from sqlalchemy import select

from . import extensions, notify
from .eventlog import log
from .models import Event, OpenTask, OverdueRecord, ProposalUnit, Unit, User

KIND_LABELS = {"accept": "签收", "first_contact": "首次联系提案者", "opinion": "提交协办意见", "reply": "答复",
               "feedback": "评价答复", "cosign": "确认联名"}


def services(step) -> dict:
    """The service-task operations bound to one step."""
    return {
        "remind": lambda kind, unit=None, due=None, leads=False: remind(step, kind, unit, leads),
        "escalate": lambda kind, unit=None, due=None, leads=False: escalate(step, kind, unit, due, leads),
        "close_cosigning": lambda: close_cosigning(step),
    }


def remind(step, kind: str, unit: str | None = None, leads: bool = False) -> int:
    """Remind whoever still has to meet deadline `kind`; returns messages queued.

    `leads`: the deadline belongs to the lead units as a whole (first contact,
    reply), not only to whoever has a matching task open right now."""
    sent = 0
    label = KIND_LABELS.get(kind, kind)
    for unit_id, people in _late(step, kind, unit, leads):
        name = step.session.get(Unit, unit_id).name if unit_id else "提案者"
        log(step.session, step.proposal, "reminder", None, f"{label}提醒（{name}）", unit_id=unit_id,
            data={"kind": kind}, at=step.now)
        sent += notify.enqueue(step.session, step.rt.region, people, "reminder", f"办理提醒：请及时{label}",
                               f"提案：{step.proposal.title}", proposal_id=step.proposal.id, now=step.now)
    return sent


def escalate(step, kind: str, unit: str | None = None, due: str | None = None, leads: bool = False) -> int:
    """Record who missed deadline `kind` (once per unit) and tell them and the committee."""
    base_due = datetime.fromisoformat(due).astimezone(timezone.utc) if due else step.now
    label = KIND_LABELS.get(kind, kind)
    committee = notify.recipients_for(step.session, "committee")
    if step.proposal.is_key and step.proposal.supervising_leader:  # 重点提案: the supervising leader too
        committee += notify.recipients_for(step.session, "deputy_head", assignee=step.proposal.supervising_leader)
    recorded = 0
    for unit_id, people in _late(step, kind, unit, leads):
        due_at = extensions.extended_due(step.session, step.proposal.id, kind, unit_id) if unit_id else None
        due_at = due_at or base_due
        if due_at > step.now:
            continue  # an approved extension moved this unit's deadline
        if _open_record(step, unit_id, kind) is None:
            step.session.add(OverdueRecord(proposal_id=step.proposal.id, unit_id=unit_id, kind=kind,
                                           due_at=due_at, detected_at=step.now))
            recorded += 1
        name = step.session.get(Unit, unit_id).name if unit_id else "提案者"
        log(step.session, step.proposal, "overdue", None, f"{label}超期（{name}）", unit_id=unit_id,
            data={"kind": kind, "due_at": due_at.isoformat()}, at=step.now)
        notify.enqueue(step.session, step.rt.region, people + committee, "overdue", f"超期督办：{name}未按期{label}",
                       f"提案：{step.proposal.title}", proposal_id=step.proposal.id, now=step.now)
    step.session.flush()
    return recorded


def resolve(step, kind: str, unit: str | None) -> None:
    """A late step was finally done: close its overdue record."""
    record = _open_record(step, unit, kind)
    if record is not None:
        record.resolved_at = step.now


def close_cosigning(step) -> dict:
    """The co-signing deadline passed: the answers given so far, from the event log."""
    answers = step.session.scalars(select(Event).where(
        Event.proposal_id == step.proposal.id, Event.kind == "task_completed", Event.task_name.in_(
            [name for name, kind in step.bundle.resolves.items() if kind == "cosign"] or ["cosigner_confirm"])))
    return {e.actor: {"agree": bool((e.data or {}).get("agree"))} for e in answers}


def _late(step, kind, unit, leads=False):
    """[(unit id or None, [users])] who have not met `kind` yet."""
    resolvers = [name for name, k in step.bundle.resolves.items() if k == kind]
    session, proposal_id = step.session, step.proposal.id
    met = set(session.scalars(select(Event.unit_id).where(
        Event.proposal_id == proposal_id, Event.task_name.in_(resolvers), Event.kind.in_(("task_completed", "milestone")))))
    tasks = session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id, OpenTask.name.in_(resolvers)))
    found = {}
    for task in tasks:
        if unit is not None and task.unit_id != unit:
            continue
        if task.unit_id is not None and task.unit_id in met:
            continue
        people = notify.recipients_for(session, task.role, task.unit_id, task.assignee)
        found.setdefault(task.unit_id, []).extend(p for p in people if p not in found.get(task.unit_id, []))
    if found or not leads:
        return list(found.items())
    leads = session.scalars(select(ProposalUnit.unit_id).where(
        ProposalUnit.proposal_id == proposal_id, ProposalUnit.role == "lead"))
    late = []
    for unit_id in leads:
        if (unit is None or unit_id == unit) and unit_id not in met:
            people = list(session.scalars(select(User).where(User.unit_id == unit_id, User.active.is_(True))))
            late.append((unit_id, people))
    return late


def _open_record(step, unit_id, kind):
    return step.session.scalar(select(OverdueRecord).where(
        OverdueRecord.proposal_id == step.proposal.id, OverdueRecord.kind == kind, OverdueRecord.resolved_at.is_(None),
        OverdueRecord.unit_id.is_(None) if unit_id is None else OverdueRecord.unit_id == unit_id))
