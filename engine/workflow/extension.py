"""The service tasks of the extension process (延期答复, processes/extension.bpmn):
the committee and the government office decided (`apply_extension`,
`refuse_extension`), and an approved extension moves the armed timers of the
proposal's case. The request itself is a command (engine/services/extensions.py).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters import outbox as notify
from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.errors import Conflict
from engine.model.eventlog import log
from engine.model.tables import Case, DeadlineExtension, Proposal, ProposalPerson, User
from engine.rules import extensions
from engine.workflow import faults, step as steps

if TYPE_CHECKING:
    from engine.workflow.runtime import Runtime
    from engine.workflow.step import Step

REQUEST_FORM = "extension_request"
PROCESS = "extension"


def apply_extension(step: Step, extension_id: int) -> str:
    """Service task: the extension was approved."""
    return decide(step, extension_id, approved=True)


def refuse_extension(step: Step, extension_id: int) -> str:
    """Service task: the extension was refused."""
    return decide(step, extension_id, approved=False)


HANDLERS: dict[str, Callable[..., Any]] = {"apply_extension": apply_extension, "refuse_extension": refuse_extension}


def deadlines_of(uow: UnitOfWork, rt: Runtime, proposal: Proposal, unit_id: str | None) -> tuple[datetime, datetime]:
    """(current reply deadline of the unit, the maximum) from the proposal's case data."""
    workflow = proposal_step(uow, rt, proposal).load()
    handle = [t for t in workflow.get_tasks() if "reply_max_rule" in t.data and "assigned_on" in t.data]
    if not handle:
        raise Conflict("该提案尚未交办，没有答复期限")
    data = handle[0].data
    start = datetime.fromisoformat(data["assigned_on"])
    current = extensions.extended_due(uow.session, proposal.id, "reply", unit_id) or rt.deadlines.due(data["reply_rule"], start)
    return current, rt.deadlines.due(data["reply_max_rule"], start)


def decide(step: Step, extension_id: int, approved: bool) -> str:
    """The committee and the government office decided: record it, move the proposal's
    timers when approved, and tell the unit."""
    session = step.session
    extension = session.get_one(DeadlineExtension, extension_id)
    extension.status = "approved" if approved else "refused"
    extension.decided_at = step.now
    title = "延期申请已批准" if approved else "延期申请未获批准"
    log(session, step.proposal, "extension_decided", None, title, unit_id=extension.unit_id,
        data={"approved": approved, "requested_due": day(extension.requested_due)}, at=step.now)
    unit_staff = list(session.scalars(select(User).where(User.unit_id == extension.unit_id, User.active.is_(True))))
    notify.enqueue(session, step.rt.region, unit_staff, "extension", title,
                   f"提案：{step.proposal.title}；答复期限：{day(extension.requested_due)}" if approved else
                   f"提案：{step.proposal.title}；请按原期限答复", proposal_id=step.proposal.id, now=step.now)
    session.flush()
    if approved:
        rearm(step.uow, step.rt, step.proposal)
    return extension.status


def rearm(uow: UnitOfWork, rt: Runtime, proposal: Proposal) -> int:
    """Re-evaluate the armed timers of the proposal's case (SpiffWorkflow fixes a timer's
    due time when it is armed) and the due dates of its open tasks; returns timers moved."""
    step = proposal_step(uow, rt, proposal)
    workflow = step.load()
    moved = 0
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        expression = getattr(definition, "expression", None)
        if expression is None or task.internal_data.get("event_fired"):
            continue
        value = faults.evaluate(task, expression)
        if value != task.internal_data.get("event_value"):
            task.internal_data["event_value"] = value
            moved += 1
    step.save(workflow, refresh_due=True)
    return moved


def proposal_step(uow: UnitOfWork, rt: Runtime, proposal: Proposal) -> steps.Step:
    """A step on the proposal's own case (not the extension's), acting as the engine; the
    case is locked first (engine/workflow/step.py: the proposal's case before anything else)."""
    case = lock_proposal_case(uow.session, proposal.id)
    if case is None:  # a proposal not submitted into a case yet
        raise Conflict("该提案尚未进入办理流程")
    return steps.Step(uow, rt, case, proposal, rt.bundle_of_case(uow.session, case), None)


def lock_proposal_case(session: Session, proposal_id: int) -> Case | None:
    case_id = session.scalar(select(Case.id).where(Case.proposal_id == proposal_id,
                                                   Case.process == steps.PROPOSAL_PROCESS))
    return steps.lock_case(session, case_id) if case_id is not None else None


def people_and_committee(session: Session, proposal: Proposal) -> list[User]:
    """Who is told of a cross-year handling note: the proposal's people and the committee's staff."""
    names = session.scalars(select(ProposalPerson.username).where(ProposalPerson.proposal_id == proposal.id))
    committee = notify.recipients_for(session, "committee")
    return list(session.scalars(select(User).where(User.username.in_(list(names))))) + committee


def day(moment: datetime) -> str:
    return moment.astimezone(clock.CHINA).date().isoformat()
