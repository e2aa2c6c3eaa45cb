"""Service layer for changing cases: submit a proposal, complete a task.

Every function takes a UnitOfWork and commits it only when the whole step
succeeded: the proposal row, the case state, the open-task table and the event
log change together or not at all.
"""
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm.exc import StaleDataError

from . import attachments, state
from .db import UnitOfWork
from .errors import Conflict, Forbidden, InvalidForm, ProcessFault
from .models import Case, Event, OpenTask, ProcessDefinition, Proposal, ProposalPerson, ProposalUnit, User
from .permissions import task_for
from .runtime import Runtime

SUBMISSION_FORM = "submission"


def _now():
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def submit_proposal(uow: UnitOfWork, rt: Runtime, user: User, data: dict) -> Proposal:
    """Validate a new proposal, store it and start its case.

    `data` follows forms/submission.json. Co-signers must be existing proposer
    accounts other than the author. Returns the new proposal.
    """
    if "proposer" not in user.role_set:
        raise Forbidden("只有提案者可以提交提案")
    fields = rt.forms.validate(SUBMISSION_FORM, data)
    session = uow.session
    cosigners = list(dict.fromkeys(fields.get("cosigners") or []))
    if user.username in cosigners:
        raise InvalidForm("不能邀请自己作为联名人", [{"field": "cosigners", "message": "联名人不能是提案者本人"}])
    members = {u.username for u in session.scalars(select(User).where(User.username.in_(cosigners)))
               if u.active and "proposer" in u.role_set}
    missing = [c for c in cosigners if c not in members]
    if missing:
        raise InvalidForm("联名人不存在", [{"field": "cosigners", "message": f"找不到委员账号：{', '.join(missing)}"}])
    now = _now()
    proposal = Proposal(title=fields["title"], body=fields["body"], suggestions=fields.get("suggestions") or "",
                        category=fields["category"], proposer=user.username, status="submitted",
                        submitted_at=now, updated_at=now)
    session.add(proposal)
    session.flush()
    session.add(ProposalPerson(proposal_id=proposal.id, username=user.username, role="proposer"))
    for name in cosigners:
        session.add(ProposalPerson(proposal_id=proposal.id, username=name, role="cosigner"))
    definition = rt.current_definition(session)
    bundle = rt.bundle_for(definition)
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=rt.script_engine(session))
    start = workflow.task_tree
    start.data.update({
        "proposal_id": proposal.id, "title": proposal.title, "category": proposal.category,
        "proposer": user.username, "cosigners": {c: c for c in cosigners},
    })
    case = Case(proposal_id=proposal.id, process="proposal", definition_id=definition.id, state={}, state_format=state.STATE_FORMAT,
                completed=False, completed_tasks=0, updated_at=now)
    session.add(case)
    session.flush()
    _log(session, proposal, "submitted", user, "提交提案", data={k: v for k, v in fields.items()})
    step = _Step(uow, rt, case, proposal, bundle, user)
    step.advance(workflow)
    step.save(workflow)
    uow.commit()
    return proposal


def complete_task(uow: UnitOfWork, rt: Runtime, user: User, task_id: str, data: dict,
                  expected_version: int | None = None) -> dict:
    """Complete an open user task with form data, as `user`.

    Refuses with NotFound (no such task), Conflict (already done, or the case
    changed since `expected_version`), Forbidden (not the user's task) or
    InvalidForm (field errors). Returns {"proposal_id", "version", "status"}.
    """
    session = uow.session
    row = task_for(session, user, task_id)
    case = session.get(Case, row.case_id)
    if expected_version is not None and expected_version != case.version:
        raise Conflict("案件已被他人更新，请刷新后重试", current_version=case.version)
    fields = rt.forms.validate(row.form, data)
    _check_attachments(session, rt, row, fields)
    proposal = session.get(Proposal, case.proposal_id)
    bundle = rt.bundle_for(case_definition(session, case))
    workflow = state.load(case.state, bundle.spec, bundle.subprocess_specs, rt.script_engine(session))
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        task = None
    if task is None or task.state != TaskState.READY:
        raise Conflict("该任务当前不可办理，请刷新后重试")
    meta = rt.task_meta(bundle, task)
    if meta.result:
        task.data[meta.result] = fields
    else:
        task.data.update(fields)
    step = _Step(uow, rt, case, proposal, bundle, user)
    try:
        task.run()
    except WorkflowException as err:
        raise ProcessFault(f"流程执行出错：{_describe(err)}") from err
    step.task_done(task, meta, fields)
    step.advance(workflow)
    step.save(workflow)
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("案件已被他人同时更新，请刷新后重试") from None
    return {"proposal_id": proposal.id, "version": case.version, "status": proposal.status}



def _check_attachments(session, rt: Runtime, row: OpenTask, fields: dict) -> None:
    """Attachment fields may only name files uploaded to this proposal."""
    errors = []
    for name, prop in rt.forms.schemas[row.form].get("properties", {}).items():
        if prop.get("x-widget") == "attachments" and fields.get(name):
            errors += [{"field": name, "message": m}
                       for m in attachments.check_attachment_ids(session, row.proposal_id, fields[name])]
    if errors:
        raise InvalidForm("附件有误", errors)


def case_definition(session, case: Case):
    """The stored definition a case runs on."""
    return session.get(ProcessDefinition, case.definition_id)


def _log(session, proposal, kind, user, title, task=None, unit_id=None, data=None):
    session.add(Event(proposal_id=proposal.id, at=_now(), kind=kind,
                      actor=user.username if user else None, actor_name=user.name if user else None,
                      unit_id=unit_id, task_id=str(task.id) if task is not None else None,
                      task_name=task.task_spec.bpmn_id if task is not None else None, title=title, data=data))


class _Step:
    """One request's work on a case: run engine tasks, index, log and save."""

    def __init__(self, uow, rt, case, proposal, bundle, user):
        self.session, self.rt, self.case, self.proposal, self.bundle, self.user = (
            uow.session, rt, case, proposal, bundle, user)
        self.completed = 0

    def task_done(self, task, meta, fields):
        """Record a completed user task: event, index columns."""
        unit = self.session.get(OpenTask, str(task.id))
        _log(self.session, self.proposal, "task_completed", self.user, meta.title, task=task,
             unit_id=unit.unit_id if unit else None, data=fields)
        self.completed += 1
        self._index(task)

    def advance(self, workflow):
        """Run engine tasks (scripts, gateways, decisions) until people must act."""

        def done(task):
            self.completed += 1
            self._index(task)

        try:
            workflow.do_engine_steps(did_complete_task=done)
        except WorkflowException as err:
            raise ProcessFault(f"流程执行出错：{_describe(err)}") from err

    def _index(self, task):
        index = self.bundle.task_index.get(task.task_spec.bpmn_id)
        if not index:
            return
        engine = task.workflow.script_engine
        for column, expression in index.items():
            value = engine.evaluate(task, expression)
            if column == "units":
                self._set_units(value)
                continue
            setattr(self.proposal, column, value)
            lead = task.data.get("lead_unit")
            if column in ("reply_class", "satisfaction") and lead:
                row = self.session.get(ProposalUnit, (self.proposal.id, lead))
                if row is not None:
                    setattr(row, column, value)

    def _set_units(self, units: dict):
        for unit_id, role in units.items():
            row = self.session.get(ProposalUnit, (self.proposal.id, unit_id))
            if row is None:
                self.session.add(ProposalUnit(proposal_id=self.proposal.id, unit_id=unit_id, role=role))
            else:
                row.role = role
        self.session.flush()
        leads = self.session.scalars(select(ProposalUnit.unit_id).where(
            ProposalUnit.proposal_id == self.proposal.id, ProposalUnit.role == "lead").order_by(ProposalUnit.unit_id))
        self.proposal.lead_unit = next(iter(leads), None)

    def save(self, workflow):
        """Sync open tasks and status, then store the compacted state."""
        self._sync_open_tasks(workflow)
        old_status = self.proposal.status
        self.proposal.status = self._status(workflow)
        self.proposal.updated_at = _now()
        if self.proposal.status != old_status:
            label = self.rt.stage_labels.get(self.proposal.status, self.proposal.status)
            _log(self.session, self.proposal, "status_changed", None, f"进入“{label}”",
                 data={"from": old_status, "to": self.proposal.status})
        self.case.completed = workflow.is_completed()
        self.case.completed_tasks += self.completed
        self.case.state = state.dump(workflow)
        self.case.state_format = state.STATE_FORMAT
        self.case.updated_at = _now()
        self.session.flush()

    def _sync_open_tasks(self, workflow):
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        existing = set(self.session.scalars(select(OpenTask.id).where(OpenTask.case_id == self.case.id)))
        gone = existing - set(ready)
        if gone:
            self.session.execute(delete(OpenTask).where(OpenTask.id.in_(gone)))
        for task_id in set(ready) - existing:
            task = ready[task_id]
            meta = self.rt.task_meta(self.bundle, task)
            if meta is None:
                continue
            engine = task.workflow.script_engine
            unit = engine.evaluate(task, meta.unit) if meta.unit else None
            assignee = engine.evaluate(task, meta.assignee) if meta.assignee else None
            self.session.add(OpenTask(id=task_id, case_id=self.case.id, proposal_id=self.proposal.id,
                                      name=meta.name, title=meta.title, form=meta.form, role=meta.role,
                                      unit_id=unit, assignee=assignee, stage=meta.stage, created_at=_now()))
        metas = (self.rt.task_meta(self.bundle, t) for t in ready.values())
        self._open_stages = [meta.stage for meta in metas if meta is not None]

    def _status(self, workflow):
        stages = [s for s in self._open_stages if s in self.rt.stages]
        if stages:
            return min(stages, key=self.rt.stages.index)
        if workflow.is_completed() and workflow.last_task is not None:
            return workflow.last_task.data.get("status", self.proposal.status)
        return self.proposal.status


def _describe(err) -> str:
    notes = getattr(err, "__notes__", None) or []
    return "; ".join([str(err), *notes])
