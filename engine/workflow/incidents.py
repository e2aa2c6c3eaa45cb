"""Stalled cases (异常案件): a case that is not completed, yet has no open task and no
armed timer that goes on with it, would never move on by itself. Every step checks its case when it
stores it (`after_step`, called by engine.workflow.step.Step.save): a stalled case is
recorded once (the `incidents` table, with the step that left it so), written in
its event log and told to the committee; a later step that moves it on (for
example `cppcc repair-cases`) resolves the record. The committee lists them
(`list_incidents`, the 异常案件 page and GET /api/incidents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.adapters import outbox as notify
from engine.model import clock
from engine.model.errors import Forbidden
from engine.model.eventlog import log
from engine.model.tables import Case, Event, Incident, Proposal, User
from engine.rules.permissions import may_see_incidents

if TYPE_CHECKING:
    from engine.workflow.step import Step

NEVER = "9999-12-31T00:00:00+08:00"  # runtime.NEVER: a timer that must not fire

LAST_STEP_KINDS = ("task_completed", "timer", "milestone", "migrated", "repaired")


def stalled(case: Case, workflow: BpmnWorkflow, open_tasks: int) -> bool:
    """Whether a case is stuck: not completed, no open task, and no timer whose firing goes
    on with the case. A non-interrupting boundary timer (a reminder, an overdue notice)
    only sends messages: waiting for it alone, the case would still never move on; nor
    does a timer set to never fire (runtime.NEVER)."""
    if case.completed or open_tasks:
        return False
    return not any(_moves_on(task) for task in workflow.event_manager.tasks.values())


def _moves_on(task: SpiffTask) -> bool:
    spec = task.task_spec
    if not isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
        return True  # a message or signal the case waits for: not ours to judge
    if isinstance(spec, BoundaryEvent) and not spec.cancel_activity:
        return False
    value = task.internal_data.get("event_value")
    return not (isinstance(value, str) and value.startswith(NEVER[:4]))


def after_step(step: Step, workflow: BpmnWorkflow, open_tasks: int) -> None:
    """Record the step's case as stalled (once), or resolve its open record if it moved on."""
    session, case = step.session, step.case
    if step.had_open_task and not stalled(case, workflow, open_tasks):
        return  # the case was stored with an open task, so it has no open record, and it is not stalled now
    current = session.scalar(_OPEN_INCIDENT, {"case_id": case.id})
    if stalled(case, workflow, open_tasks):
        if current is None:
            _record(step)
    elif current is not None:
        current.resolved_at = step.now
        current.resolution = step.resolution or "案件已恢复办理"
        log(session, step.proposal, "incident_resolved", step.user, f"异常已解除：{current.resolution}"[:200],
            data={"incident_id": current.id}, at=step.now)


_OPEN_INCIDENT = select(Incident).where(Incident.case_id == bindparam("case_id"),
                                        Incident.resolved_at.is_(None))  # built once


def _record(step: Step) -> None:
    session, proposal = step.session, step.proposal
    title, actor = step.last_step or _last_event(session, proposal.id)
    incident = Incident(case_id=step.case.id, proposal_id=proposal.id, last_step=(title or "（无记录）")[:200],
                        last_actor=actor, detected_at=step.now)
    session.add(incident)
    session.flush()
    message = f"案件停滞：没有待办任务，也没有待触发的计时，但尚未办结（最后一步：{incident.last_step}）"
    log(session, proposal, "incident", None, message[:200], data={"incident_id": incident.id,
                                                                   "last_step": incident.last_step}, at=step.now)
    name = f"提案 {proposal.number}" if proposal.number else f"提案“{proposal.title}”"
    notify.enqueue(session, step.rt.region, notify.recipients_for(session, "committee"), "incident",
                   f"异常案件：{name}停滞，需要处理",
                   f"{message}。请在“异常案件”页面查看，并请系统管理员修复。",
                   proposal_id=proposal.id, now=step.now)


def _last_event(session: Session, proposal_id: int) -> tuple[str | None, str | None]:
    event = session.scalar(select(Event).where(Event.proposal_id == proposal_id, Event.kind.in_(LAST_STEP_KINDS))
                           .order_by(Event.id.desc()).limit(1))
    return (event.title, event.actor) if event is not None else (None, None)


def list_incidents(session: Session, user: User, resolved: bool = False, page: int = 1, per_page: int = 20) -> dict:
    """The stalled cases (open ones, or with `resolved` the resolved ones too), newest first."""
    if not may_see_incidents(user):
        raise Forbidden("只有提案委员会可以查看异常案件")
    query = select(Incident, Proposal).join(Proposal, Proposal.id == Incident.proposal_id)
    if not resolved:
        query = query.where(Incident.resolved_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Incident.detected_at.desc(), Incident.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [_item(incident, proposal) for incident, proposal in rows], "total": total,
            "page": page, "per_page": per_page}


def open_count(session: Session) -> int:
    """How many stalled cases are not resolved yet."""
    return session.scalar(select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))) or 0


def _item(incident: Incident, proposal: Proposal) -> dict:
    return {"id": incident.id, "proposal_id": proposal.id, "number": proposal.number, "title": proposal.title,
            "status": proposal.status, "last_step": incident.last_step, "last_actor": incident.last_actor,
            "detected_at": _iso(incident.detected_at), "resolved_at": _iso(incident.resolved_at),
            "resolution": incident.resolution}


_iso = clock.utc_iso
