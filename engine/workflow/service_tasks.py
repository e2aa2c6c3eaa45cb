"""Extending a reply deadline (延期答复): a lead unit asks with a reason, the
committee and the government office decide in processes/extension.bpmn, and an
approved extension moves the armed timers of the proposal's case, never past
the maximum the region allows (deadline rule `reply_max_rule` of the case).
"""
from datetime import datetime, time, timezone

from sqlalchemy import func, select

from engine.model import clock
from engine.workflow import faults
from engine.rules import permissions
from engine.adapters import outbox as notify
from engine.workflow import step as steps
from engine.model.errors import Conflict, InvalidForm, NotFound
from engine.model.eventlog import log
from engine.model.tables import Case, DeadlineExtension, Proposal, ProposalPerson, ProposalUnit, User

REQUEST_FORM = "extension_request"
PROCESS = "extension"


def services(step) -> dict:
    """Service-task operations of the extension process, bound to one step."""
    return {
        "apply_extension": lambda extension_id: decide(step, extension_id, approved=True),
        "refuse_extension": lambda extension_id: decide(step, extension_id, approved=False),
    }


def extended_due(session, proposal_id: int, kind: str, unit: str | None = None) -> datetime | None:
    """The approved extended deadline of `kind` for a unit (any unit: the latest), or None."""
    query = select(func.max(DeadlineExtension.requested_due)).where(
        DeadlineExtension.proposal_id == proposal_id, DeadlineExtension.kind == kind,
        DeadlineExtension.status == "approved")
    if unit is not None:
        query = query.where(DeadlineExtension.unit_id == unit)
    return session.scalar(query)


def request_extension(uow, rt, user: User, proposal_id: int, data: dict) -> dict:
    """A lead unit's request to extend its reply deadline; starts the approval process.

    `data` follows forms/extension_request.json. Refused when the user is not
    staff of a lead unit still to reply, when a request of the unit is pending,
    or when the date is not later than the current deadline or later than the
    maximum. Returns {"extension_id", "current_due", "max_due"}.
    """
    session = uow.session
    fields = rt.forms.validate(REQUEST_FORM, data)
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("找不到该提案")
    _lock_proposal_case(session, proposal_id)  # two requests at once: the second sees the first
    lead = session.get(ProposalUnit, (proposal_id, user.unit_id)) if user.unit_id else None
    permissions.check_extension_requester(user, lead)
    if lead.reply_class is not None:
        raise Conflict("本单位已经答复，无需延期")
    pending = session.scalar(select(DeadlineExtension).where(
        DeadlineExtension.proposal_id == proposal_id, DeadlineExtension.unit_id == user.unit_id,
        DeadlineExtension.status == "pending"))
    if pending is not None:
        raise Conflict("本单位已有待审批的延期申请")
    current, maximum = deadlines_of(uow, rt, proposal, user.unit_id)
    requested = datetime.combine(datetime.fromisoformat(fields["requested_due"]).date(), time(23, 59, 59),
                                 clock.CHINA)
    if requested <= current:
        raise InvalidForm("申请的期限应晚于当前期限", [{"field": "requested_due",
                                                  "message": f"当前答复期限为 {_day(current)}，申请的日期应晚于它"}])
    if requested > maximum:
        raise InvalidForm("超过最长答复期限", [{"field": "requested_due",
                                          "message": f"延期后不得晚于 {_day(maximum)}（地区规定的最长答复期限）"}])
    now = clock.now()
    extension = DeadlineExtension(proposal_id=proposal_id, unit_id=user.unit_id, kind="reply", reason=fields["reason"],
                                  requested_due=requested.astimezone(timezone.utc), status="pending", requested_by=user.username,
                                  requested_at=now)
    session.add(extension)
    session.flush()
    log(session, proposal, "extension_requested", user, "申请延期答复", unit_id=user.unit_id, data=fields, at=now)
    if fields.get("cross_year_note"):
        log(session, proposal, "cross_year", user, "跨年度办理说明（报提案委员会备案）", unit_id=user.unit_id,
            data={"cross_year_note": fields["cross_year_note"]}, at=now)
        notify.enqueue(session, rt.region, _people(session, proposal), "extension", "跨年度办理说明",
                       fields["cross_year_note"], proposal_id=proposal_id, now=now)
    definition = rt.current_definition(session)
    bundle = rt.bundle_for(definition)
    case = Case(proposal_id=proposal_id, process=PROCESS, definition_id=definition.id, state={},
                state_format=0, completed=False, completed_tasks=0, updated_at=now)
    session.add(case)
    session.flush()
    step = steps.Step(uow, rt, case, proposal, bundle, user)
    workflow = step.new_workflow({
        "extension_id": extension.id, "proposal_id": proposal_id, "unit": user.unit_id, "reason": fields["reason"],
        "requested_on": now.isoformat(),
        "requested_due": _day(requested), "current_due": _day(current), "max_due": _day(maximum)})
    step.advance(workflow)
    step.save(workflow)
    uow.commit()
    return {"extension_id": extension.id, "current_due": current.isoformat(), "max_due": maximum.isoformat()}


def deadlines_of(uow, rt, proposal, unit_id) -> tuple[datetime, datetime]:
    """(current reply deadline of the unit, the maximum) from the proposal's case data."""
    workflow = _proposal_step(uow, rt, proposal).load()
    handle = [t for t in workflow.get_tasks() if "reply_max_rule" in t.data and "assigned_on" in t.data]
    if not handle:
        raise Conflict("该提案尚未交办，没有答复期限")
    data = handle[0].data
    start = datetime.fromisoformat(data["assigned_on"])
    current = extended_due(uow.session, proposal.id, "reply", unit_id) or rt.deadlines.due(data["reply_rule"], start)
    return current, rt.deadlines.due(data["reply_max_rule"], start)


def decide(step, extension_id: int, approved: bool) -> str:
    """The committee and the government office decided: record it, move the proposal's
    timers when approved, and tell the unit."""
    session = step.session
    extension = session.get(DeadlineExtension, extension_id)
    extension.status = "approved" if approved else "refused"
    extension.decided_at = step.now
    title = "延期申请已批准" if approved else "延期申请未获批准"
    log(session, step.proposal, "extension_decided", None, title, unit_id=extension.unit_id,
        data={"approved": approved, "requested_due": _day(extension.requested_due)}, at=step.now)
    unit_staff = list(session.scalars(select(User).where(User.unit_id == extension.unit_id, User.active.is_(True))))
    notify.enqueue(session, step.rt.region, unit_staff, "extension", title,
                   f"提案：{step.proposal.title}；答复期限：{_day(extension.requested_due)}" if approved else
                   f"提案：{step.proposal.title}；请按原期限答复", proposal_id=step.proposal.id, now=step.now)
    session.flush()
    if approved:
        rearm(step.uow, step.rt, step.proposal)
    return extension.status


def rearm(uow, rt, proposal) -> int:
    """Re-evaluate the armed timers of the proposal's case (SpiffWorkflow fixes a timer's
    due time when it is armed) and the due dates of its open tasks; returns timers moved."""
    step = _proposal_step(uow, rt, proposal)
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


def _proposal_step(uow, rt, proposal):
    """A step on the proposal's own case (not the extension's), acting as the engine; the
    case is locked first (engine/workflow/step.py: the proposal's case before anything else)."""
    case = _lock_proposal_case(uow.session, proposal.id)
    return steps.Step(uow, rt, case, proposal, rt.bundle_of_case(uow.session, case), None)


def _lock_proposal_case(session, proposal_id):
    case_id = session.scalar(select(Case.id).where(Case.proposal_id == proposal_id,
                                                   Case.process == steps.PROPOSAL_PROCESS))
    return steps.lock_case(session, case_id) if case_id is not None else None


def _people(session, proposal):
    names = session.scalars(select(ProposalPerson.username).where(ProposalPerson.proposal_id == proposal.id))
    committee = notify.recipients_for(session, "committee")
    return list(session.scalars(select(User).where(User.username.in_(list(names))))) + committee


def _day(moment: datetime) -> str:
    return moment.astimezone(clock.CHINA).date().isoformat()
