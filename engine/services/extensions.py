"""Asking to extend a reply deadline (延期答复): a lead unit asks with a reason, the
committee and the government office decide in processes/extension.bpmn (its service
tasks: engine/workflow/extension.py), never past the maximum the region allows
(deadline rule `reply_max_rule` of the case).
"""
from datetime import UTC, datetime, time

from sqlalchemy import select

from engine.adapters import outbox as notify
from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.errors import Conflict, InvalidForm, NotFound
from engine.model.eventlog import log
from engine.model.tables import Case, DeadlineExtension, Proposal, ProposalUnit, User
from engine.rules import permissions
from engine.workflow import extension as extension_tasks, step as steps
from engine.workflow.runtime import Runtime

REQUEST_FORM = extension_tasks.REQUEST_FORM
PROCESS = extension_tasks.PROCESS


def request_extension(uow: UnitOfWork, rt: Runtime, user: User, proposal_id: int, data: dict) -> dict:
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
    extension_tasks.lock_proposal_case(session, proposal_id)  # two requests at once: the second sees the first
    lead = session.get(ProposalUnit, (proposal_id, user.unit_id)) if user.unit_id else None
    lead = permissions.check_extension_requester(user, lead)
    if lead.reply_class is not None:
        raise Conflict("本单位已经答复，无需延期")
    pending = session.scalar(select(DeadlineExtension).where(
        DeadlineExtension.proposal_id == proposal_id, DeadlineExtension.unit_id == user.unit_id,
        DeadlineExtension.status == "pending"))
    if pending is not None:
        raise Conflict("本单位已有待审批的延期申请")
    current, maximum = extension_tasks.deadlines_of(uow, rt, proposal, user.unit_id)
    requested = datetime.combine(datetime.fromisoformat(fields["requested_due"]).date(), time(23, 59, 59),
                                 clock.CHINA)
    if requested <= current:
        raise InvalidForm("申请的期限应晚于当前期限", [{"field": "requested_due",
                                                  "message": f"当前答复期限为 {extension_tasks.day(current)}，申请的日期应晚于它"}])
    if requested > maximum:
        raise InvalidForm("超过最长答复期限", [{"field": "requested_due",
                                          "message": f"延期后不得晚于 {extension_tasks.day(maximum)}（地区规定的最长答复期限）"}])
    now = clock.now()
    extension = DeadlineExtension(proposal_id=proposal_id, unit_id=user.unit_id, kind="reply", reason=fields["reason"],
                                  requested_due=requested.astimezone(UTC), status="pending", requested_by=user.username,
                                  requested_at=now)
    session.add(extension)
    session.flush()
    log(session, proposal, "extension_requested", user, "申请延期答复", unit_id=user.unit_id, data=fields, at=now)
    if fields.get("cross_year_note"):
        log(session, proposal, "cross_year", user, "跨年度办理说明（报提案委员会备案）", unit_id=user.unit_id,
            data={"cross_year_note": fields["cross_year_note"]}, at=now)
        notify.enqueue(session, rt.region, extension_tasks.people_and_committee(session, proposal), "extension", "跨年度办理说明",
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
        "requested_due": extension_tasks.day(requested), "current_due": extension_tasks.day(current), "max_due": extension_tasks.day(maximum)})
    step.advance(workflow)
    step.save(workflow)
    uow.commit()
    return {"extension_id": extension.id, "current_due": current.isoformat(), "max_due": maximum.isoformat()}
