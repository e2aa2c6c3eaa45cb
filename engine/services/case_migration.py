"""Moving running cases to another definition version.

A case runs on the version it started with (cases.definition_id). When a
new version is deployed, `plan` checks every running case against it — a
dry run that writes nothing — and says case by case whether it can move and
why not; `migrate` then moves those that can, each in its own transaction,
and records the move in the case's event log.

A case can move when every task its stored state still holds (after
compaction: the unfinished tasks and their nearest history) has a matching
task in the new version — SpiffWorkflow's diff matches tasks by id and by
their place in the flow — and when every subprocess it is running still
exists. Tasks waiting for people keep their identity, so their place in the
inbox, their attachments and their history stay; their title, form, role,
unit, assignee and due date are read again from the new version. Armed
timers keep the time they were armed with; the ones armed later follow the
new version.
"""
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.adapters.db import CONFLICT_MESSAGE, Database, UnitOfWork, lost_to_concurrent, stored
from engine.definitions import versions
from engine.definitions.bundle import ProcessBundle
from engine.definitions.versions import current_definition, find_version
from engine.model.errors import EngineError
from engine.model.eventlog import log
from engine.model.tables import Case, ProcessDefinition, Proposal, User
from engine.workflow import state
from engine.workflow.runtime import Runtime
from engine.workflow.step import Step, lock_case

# Tasks only foreseen, not reached: dropped when their definition is gone, and foreseen again later.
_FORESEEN = TaskState.PREDICTED_MASK | TaskState.FUTURE


@dataclass
class CaseCheck:
    """Whether one running case can move to the target version, and why not."""

    case_id: int
    proposal_id: int
    number: str | None
    title: str
    process: str
    from_version: str
    to_version: str
    movable: bool
    reasons: list = field(default_factory=list)  # why it cannot move (Chinese)
    changed: list = field(default_factory=list)  # tasks it holds whose definition changed (bpmn ids)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def target_definition(session: Session, rt: Runtime, version: str | None) -> ProcessDefinition:
    """The version to move to: `version` (hash or prefix), or the current one."""
    return find_version(session, version) if version else current_definition(session, rt)


def plan(database: Database, rt: Runtime, version: str | None = None, case_ids: Iterable[int] | None = None) -> tuple[str, list[CaseCheck]]:
    """Dry run: check every running case not on the target version (or only `case_ids`).

    Returns the target hash and one CaseCheck per case, in case order. Writes nothing.
    """
    with UnitOfWork(database) as uow:
        target = target_definition(uow.session, rt, version)
        checks = []
        for case in _running_cases(uow.session, target, case_ids):
            proposal = uow.session.get_one(Proposal, case.proposal_id)
            step = Step(uow, rt, case, proposal, rt.bundle_of_case(uow.session, case), None)
            checks.append(_check(step, target, rt.bundle_for(target))[0])
        return target.hash, checks


def migrate(database: Database, rt: Runtime, version: str | None = None, by: str | None = None, case_ids: Iterable[int] | None = None) -> dict:
    """Move every running case that can move to the target version, one transaction per case.

    Returns {"to": hash, "moved": [CaseCheck], "skipped": [CaseCheck], "failed": [CaseCheck]}:
    skipped cases cannot move (the reasons say why), failed ones raised while
    moving and were left as they were.
    """
    with UnitOfWork(database) as uow:
        target = target_definition(uow.session, rt, version)
        target_id, target_hash = target.id, target.hash
        ids = [c.id for c in _running_cases(uow.session, target, case_ids)]
    result: dict[str, Any] = {"to": target_hash, "moved": [], "skipped": [], "failed": []}
    for case_id in ids:
        with UnitOfWork(database) as uow:
            case = lock_case(uow.session, case_id)
            if case is None or case.completed or case.definition_id == target_id:
                continue  # finished or moved meanwhile
            target = stored(uow.session, ProcessDefinition, target_id)
            proposal = stored(uow.session, Proposal, case.proposal_id)
            step = Step(uow, rt, case, proposal, rt.bundle_of_case(uow.session, case), None)
            try:
                check, workflow = _check(step, target, rt.bundle_for(target))
                if not check.movable or workflow is None:  # not movable: nothing was loaded
                    result["skipped"].append(check)
                    continue
                _move(step, workflow, target, rt.bundle_for(target), check, by)
                uow.commit()
                result["moved"].append(check)
            except Exception as err:  # one bad case must not stop the others; it stays where it was
                failed = _describe_case(case, proposal, step.bundle.hash, target_hash)
                failed.movable = False
                failed.reasons = [f"迁移时出错，未作改动：{_reason(err)}"]
                result["failed"].append(failed)
    return result


def _reason(err: Exception) -> str:
    """Why moving a case failed, in words for a person (never the database's SQL)."""
    if lost_to_concurrent(err):
        return f"案件{CONFLICT_MESSAGE}"
    if isinstance(err, EngineError):
        return err.message
    if isinstance(err, SQLAlchemyError):
        return "数据库出错，请稍后重试或联系管理员"
    return str(err)


def _running_cases(session: Session, target: ProcessDefinition, case_ids: Iterable[int] | None) -> Sequence[Case]:
    query = select(Case).where(Case.completed.is_(False), Case.definition_id != target.id).order_by(Case.id)
    if case_ids:
        query = query.where(Case.id.in_(list(case_ids)))
    return session.scalars(query).all()


def _describe_case(case: Case, proposal: Proposal, from_hash: str, to_hash: str) -> CaseCheck:
    return CaseCheck(case_id=case.id, proposal_id=proposal.id, number=proposal.number, title=proposal.title,
                     process=case.process, from_version=from_hash, to_version=to_hash, movable=True)


def _check(step: Step, target: ProcessDefinition, new_bundle: ProcessBundle) -> tuple[CaseCheck, tuple | None]:
    """(CaseCheck, the loaded workflow and its diffs) for one case."""
    case, proposal = step.case, step.proposal
    check = _describe_case(case, proposal, step.bundle.hash, target.hash)
    try:
        new_spec, new_subprocess_specs = new_bundle.specs_for(case.process)
    except KeyError:
        check.movable = False
        check.reasons.append(f"新版本中没有流程“{step.rt.region.catalogue.label('processes', case.process)}”（{case.process}）")
        return check, None
    workflow = step.load()
    registry = state.registry()
    top_diff, sub_diffs = diff_workflow(registry, workflow, new_spec, new_subprocess_specs)
    diffs = [(workflow, top_diff, new_spec)]
    for sub_id, sub in workflow.subprocesses.items():
        diff = sub_diffs.get(sub_id)
        if diff is None:
            check.reasons.append(f"正在运行的子流程“{sub.spec.name}”在新版本中不存在")
            continue
        diffs.append((sub, diff, new_subprocess_specs[sub.spec.name]))
    for _wf, diff, _spec in diffs:
        for task in diff.removed:
            if _foreseen(task):
                continue
            spec = task.task_spec
            check.reasons.append(f"任务“{spec.bpmn_name or spec.name}”（{spec.bpmn_id or spec.name}，"
                                 f"{_state_label(task)}）在新版本中不存在")
        check.changed += sorted({t.task_spec.bpmn_id or t.task_spec.name for t in diff.changed})
    check.changed = sorted(set(check.changed))
    check.movable = not check.reasons
    return check, (workflow, diffs, new_subprocess_specs)


def _move(step: Step, loaded: tuple, target: ProcessDefinition, new_bundle: ProcessBundle, check: CaseCheck,
          by: str | None) -> None:
    workflow, diffs, new_subprocess_specs = loaded
    for wf, diff, spec in diffs:
        _swap_specs(wf, diff, spec)
    workflow.subprocess_specs = new_subprocess_specs
    step.bundle = new_bundle
    step.case.definition_id = target.id
    step.advance(workflow)  # a step the new version adds after finished ones runs now
    labels = [versions.version_label(step.session, d) for d in (
        step.session.scalars(select(ProcessDefinition).where(ProcessDefinition.hash == check.from_version)).one(), target)]
    who = step.session.scalar(select(User.name).where(User.username == by)) if by else None
    log(step.session, step.proposal, "migrated", None,
        f"流程版本由{labels[0]}迁移到{labels[1]}" + (f"（操作：{who or by}）" if by else ""),
        data={"from": check.from_version, "to": check.to_version, "changed": check.changed, "by": by},
        at=step.now)
    step.save(workflow, refresh_due=True, refresh_meta=True)


def _foreseen(task: SpiffTask) -> bool:
    """A task not reached yet, whose parent is not finished (it is foreseen again when the parent ends)."""
    return task.has_state(_FORESEEN) and task.parent is not None and not task.parent.has_state(TaskState.FINISHED_MASK)


def _swap_specs(wf: BpmnWorkflow, diff: WorkflowDiff, spec: BpmnProcessSpec) -> None:
    """Point the workflow and each task at the new version's definitions, keeping every task's
    identity and state (SpiffWorkflow's migrate_workflow would reset waiting tasks, re-arming
    timers and re-creating people's tasks); foreseen tasks whose definition is gone are dropped."""
    wf.spec = spec
    for task in diff.removed:
        if task.id in wf.tasks:
            wf._remove_task(task.id)
    for task in wf.tasks.values():
        new = diff.alignment.get(task)
        if new is not None:
            task.task_spec = new
    if wf.last_task is not None and wf.last_task.id not in wf.tasks:
        wf.last_task = None
    _foresee_again(wf)


def _foresee_again(wf: BpmnWorkflow) -> None:
    """Re-predict what follows each task that is ready or waiting and has not produced
    anything yet: its foreseen successors still follow the old version's flows."""
    for task in list(wf.tasks.values()):
        if task.id not in wf.tasks or not task.has_state(TaskState.READY | TaskState.WAITING):
            continue
        if any(child.has_state(TaskState.FINISHED_MASK | TaskState.READY | TaskState.STARTED) for child in task.children):
            continue
        for child in list(task.children):
            wf._remove_task(child.id)
        task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)


def _state_label(task: SpiffTask) -> str:
    labels = {TaskState.READY: "待办", TaskState.WAITING: "等待中", TaskState.COMPLETED: "已完成",
              TaskState.STARTED: "进行中", TaskState.FUTURE: "未开始", TaskState.LIKELY: "未开始",
              TaskState.MAYBE: "未开始", TaskState.ERROR: "出错", TaskState.CANCELLED: "已取消"}
    return labels.get(task.state, TaskState.get_name(task.state))
