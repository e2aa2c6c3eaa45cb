"""Service layer for changing cases: submit a proposal, complete a task.

Every function takes a UnitOfWork and commits it only when the whole step
succeeded: the proposal row, the case state, the open-task table and the event
log change together or not at all.
"""
from collections.abc import Sequence
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork, stored
from engine.definitions.bundle import TaskMeta
from engine.model import clock
from engine.model.errors import Conflict, Forbidden, InvalidForm, NotFound
from engine.model.eventlog import log
from engine.model.tables import Case, OpenTask, Proposal, ProposalPerson, User
from engine.profile import form_rules, sessions
from engine.rules import permissions
from engine.rules.permissions import check_completable, task_for
from engine.services import attachments, similarity
from engine.workflow import faults, state, step as steps
from engine.workflow.runtime import Runtime

SUBMISSION_FORM = "submission"


def submit_proposal(uow: UnitOfWork, rt: Runtime, user: User, data: dict, commit: bool = True) -> Proposal:
    """Validate a new proposal, store it and start its case.

    `data` follows forms/submission.json. Co-signers must be existing proposer
    accounts other than the author. Returns the new proposal. `commit=False`
    leaves the transaction open (an Excel import writes every row or none).
    """
    permissions.check_submitter(user)
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
    now = clock.now()
    source = fields.get("source") or "ordinary"
    year = now.astimezone(clock.CHINA).year  # the committee's year; its session by the source (届次/会次)
    session_code = sessions.submission_session(rt.region, year, source)
    proposal = Proposal(title=fields["title"], body=fields["body"], suggestions=fields.get("suggestions") or "",
                        category=fields["category"], source=source, year=year, session=session_code,
                        proposer=user.username, status="submitted", submitted_at=now, updated_at=now)
    session.add(proposal)
    session.flush()
    session.add(ProposalPerson(proposal_id=proposal.id, username=user.username, role="proposer"))
    for name in cosigners:
        session.add(ProposalPerson(proposal_id=proposal.id, username=name, role="cosigner"))
    definition = rt.current_definition(session)
    case = Case(proposal_id=proposal.id, process=steps.PROPOSAL_PROCESS, definition_id=definition.id, state={},
                state_format=state.STATE_FORMAT, completed=False, completed_tasks=0, updated_at=now)
    session.add(case)
    session.flush()
    log(session, proposal, "submitted", user, "提交提案", data=dict(fields), at=now)
    similarity.record_similar(session, rt.region, proposal)
    step = steps.Step(uow, rt, case, proposal, rt.bundle_for(definition), user)
    workflow = step.new_workflow({
        "proposal_id": proposal.id, "title": proposal.title, "category": proposal.category,
        "source": proposal.source, "session": proposal.session, "proposer": user.username, "cosigners": {c: c for c in cosigners},
    })
    step.advance(workflow)
    step.save(workflow)
    if commit:
        uow.commit()
    return proposal


def complete_task(uow: UnitOfWork, rt: Runtime, user: User, task_id: str, data: dict,
                  expected_version: int | None = None, commit: bool = True,
                  then: Sequence[tuple[str, dict]] = ()) -> dict:
    """Complete an open user task with form data, as `user`.

    Refuses with NotFound (no such task), Conflict (already done, or the case
    changed since `expected_version`), Forbidden (not the user's task) or
    InvalidForm (field errors). Returns {"proposal_id", "version", "status"}.
    `commit=False` leaves the transaction open (flushed) for a caller that makes
    several steps one unit of work (engine/services/plenary.py).
    `then` = [(form, data), ...]: the user tasks the case reaches next, completed in the
    same step (`complete_next`): one load, run and store of the case for all of them.
    """
    row = task_for(uow.session, user, task_id)
    check_completable(uow.session, user, row)  # a colleague's claimed task: only the claimer completes it
    return complete_open_task(uow, rt, user, row, data, expected_version, commit=commit, then=then)


def complete_open_task(uow: UnitOfWork, rt: Runtime, user: User, row: OpenTask, data: dict,
                       expected_version: int | None = None, on_behalf: tuple | None = None,
                       commit: bool = True, then: Sequence[tuple[str, dict]] = ()) -> dict:
    """Complete the open task `row` as `user`, whose right to do it the caller has checked
    (complete_task; a paper rating entered for a member, `on_behalf` = (member, scan id)),
    then the tasks of `then` (complete_task)."""
    session, task_id = uow.session, row.id
    case = steps.lock_case(session, row.case_id)  # before anything is written: see engine/workflow/step.py
    if case is None:
        raise NotFound("找不到该任务所属的案件")
    if expected_version is not None and expected_version != case.version:
        raise Conflict("案件已被他人更新，请刷新后重试", current_version=case.version)
    fields = rt.forms.validate(row.form, data)
    _check_references(session, rt, row, fields)
    proposal = stored(session, Proposal, case.proposal_id)
    step = steps.Step(uow, rt, case, proposal, rt.bundle_of_case(session, case), user)
    step.on_behalf, step.had_open_task = on_behalf, True
    workflow = step.load()
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        task = None
    if task is None or task.state != TaskState.READY:
        raise Conflict("该任务当前不可办理，请刷新后重试")
    meta = rt.task_meta(step.bundle, task)
    if meta is None:  # an engine task: nobody completes it by hand
        raise Conflict("该任务当前不可办理，请刷新后重试")
    complete_loaded(step, workflow, task, meta, fields, store=not then)
    for n, (form, more) in enumerate(then, 1):
        complete_next(step, workflow, user, form, more, store=n == len(then))
    if commit:
        uow.commit()  # a lost race, here or at a flush above, is a Conflict (engine/adapters/db.py)
    return {"proposal_id": proposal.id, "version": case.version, "status": proposal.status}


def complete_loaded(step: steps.Step, workflow: BpmnWorkflow, task: SpiffTask, meta: TaskMeta, fields: dict,
                    store: bool = True) -> None:
    """Complete the READY user task `task` of the step's loaded workflow with validated form
    data: the form's rules, the task, what follows, the case stored (not committed; `store=False`
    leaves the storing to a task done next in the same step).

    The one way a user task is done: `complete_task` calls it, and so does the replay
    (engine/replay), which keeps the workflow in memory between steps. Raises InvalidForm
    when a rule of the form refuses the data (the caller's transaction then rolls back)."""
    if meta.result:
        task.data[meta.result] = fields
    else:
        task.data.update(fields)
    # the form's checks read the case with the submitted data (a refusal rolls all of this back)
    with faults.diagram_errors(task):
        refused = form_rules.check(step.rt.forms.schemas[meta.form],
                                   lambda expression: workflow.script_engine.evaluate(task, expression, fields))
    if refused:
        raise InvalidForm(f"表单有 {len(refused)} 处需要修改", refused)
    with faults.diagram_errors(task):
        task.run()
    step.task_done(task, meta, fields)
    step.advance(workflow)
    if store:
        step.save(workflow)


def complete_next(step: steps.Step, workflow: BpmnWorkflow, user: User, form: str, data: dict, store: bool = True) -> None:
    """Complete, in the same step, the one ready user task of `form` the case has just reached,
    checked as complete_task checks a task (the user may do it, the form's validation, rules
    and references) and logged as its own event. A refusal names the task (交办：...)."""
    rt = step.rt
    ready = [(t, m) for t in workflow.get_tasks(state=TaskState.READY, manual=True)
             if (m := rt.task_meta(step.bundle, t)) is not None and m.form == form]
    if len(ready) != 1:
        raise Conflict("办理后没有进入下一环节，请刷新后逐件办理")
    task, meta = ready[0]
    row = step.pass_through(workflow, task, meta)
    if not permissions.may_do(user, row):
        raise Forbidden(f"您不能办理“{meta.title}”")
    try:
        fields = rt.forms.validate(form, data)
        _check_references(step.session, rt, row, fields)
        complete_loaded(step, workflow, task, meta, fields, store=store)
    except InvalidForm as err:
        raise InvalidForm(f"{meta.title}：{err.message}", err.errors) from None


def _check_references(session: Session, rt: Runtime, row: OpenTask, fields: dict) -> None:
    """Fields that name things in the database: attachments of this proposal, leaders
    (active deputy-head accounts) for a key proposal's supervision, and other proposals
    (one to merge into: it exists, is not this one and was not itself merged away)."""
    errors = []
    for name, prop in rt.forms.schemas[row.form].get("properties", {}).items():
        value, widget = fields.get(name), prop.get("x-widget")
        if widget == "attachments" and value:
            errors += [{"field": name, "message": m}
                       for m in attachments.check_attachment_ids(session, row.proposal_id, value)]
        if widget == "leaders" and value:
            leader = session.scalar(select(User).where(User.username == value, User.active.is_(True)))
            if leader is None or "deputy_head" not in leader.role_set:
                errors.append({"field": name, "message": f"{prop.get('title', name)}：找不到该领导账号"})
        if widget == "proposal" and value is not None:
            other = session.get(Proposal, value)
            title = prop.get("title", name)
            if other is None:
                errors.append({"field": name, "message": f"{title}：找不到该提案"})
            elif other.id == row.proposal_id:
                errors.append({"field": name, "message": f"{title}：不能选择本提案"})
            elif other.status in ("merged", "not_filed", "converted"):
                label = rt.stage_labels.get(other.status, other.status)
                errors.append({"field": name, "message": f"{title}：所选提案“{label}”，请选择其他提案"})
    if errors:
        raise InvalidForm("表单有误", errors)
