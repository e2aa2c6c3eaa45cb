"""Repairing cases whose multi-instance step finished but never went on (`cppcc repair-cases`).

Before engine/definitions/bundle.py connected every loop task to its instances when
the specs are built, an instance completed in a process that had not created
the instances itself (after a restart, or on another server) was never merged
into its parent: the parent stayed STARTED and, when that was the last
instance, the case was left with no open task. `plan`
finds such parents in every running case; `repair` merges the finished
instances as SpiffWorkflow would have (`merge_child`, in completion order),
runs the engine on and stores the case: one transaction per case, with a line
in the case's event log, and the case's stalled-case record resolved.
"""
from dataclasses import asdict, dataclass, field

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.model.eventlog import log
from engine.model.tables import Case, Incident, Proposal
from engine.workflow import step as steps
from engine.workflow.runtime import Runtime


@dataclass
class CaseRepair:
    """One running case with multi-instance steps left unmerged, or a stalled case that has none."""

    case_id: int
    proposal_id: int
    number: str | None
    title: str
    steps: list = field(default_factory=list)  # [{"step": title, "finished": n, "unmerged": n}]
    repairable: bool = True
    result: str = ""  # what was done, or why not (Chinese)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def plan(database: Database, rt: Runtime) -> list[CaseRepair]:
    """Dry run: every running case with unmerged finished instances, and every stalled case
    (an open incident) that has none and so cannot be repaired here. Writes nothing."""
    found = []
    with UnitOfWork(database) as uow:
        session = uow.session
        stalled = set(session.scalars(select(Incident.case_id).where(Incident.resolved_at.is_(None))))
        for case in session.scalars(select(Case).where(Case.completed.is_(False)).order_by(Case.id)):
            step = _step(uow, rt, case)
            unmerged = _unmerged(step.load())
            if unmerged:
                found.append(_describe(step, unmerged))
            elif case.id in stalled:
                item = _describe(step, [])
                item.repairable = False
                item.result = "案件停滞，但不是多实例步骤未汇总所致，需人工处理"
                found.append(item)
    return found


def repair(database: Database, rt: Runtime, dry_run: bool = False) -> list[CaseRepair]:
    """Merge the unmerged instances of every case `plan` finds and run each case on,
    one transaction per case; returns what was found, with the outcome of each."""
    found = plan(database, rt)
    if dry_run:
        for item in found:
            if item.repairable:
                item.result = "将汇总已完成的实例并继续流程（预演，未作改动）"
        return found
    for item in found:
        if not item.repairable:
            continue
        with UnitOfWork(database) as uow:
            case = steps.lock_case(uow.session, item.case_id)
            if case is None:  # removed meanwhile
                item.result = "案件已不存在，无需处理"
                continue
            step = _step(uow, rt, case)
            workflow = step.load()
            unmerged = _unmerged(workflow)
            if not unmerged:
                item.result = "已由其他操作恢复，无需处理"
                continue
            merged = _merge(unmerged)
            described = "；".join(f"汇总“{s['step']}”已完成的 {s['unmerged']} 项" for s in merged)
            step.resolution = f"案件停滞已修复：{described}，继续办理"
            log(uow.session, step.proposal, "repaired", None, step.resolution[:200],
                data={"steps": merged}, at=step.now)
            step.last_step = (step.resolution[:200], None)
            step.advance(workflow)
            step.save(workflow)
            uow.commit()
            item.result = f"已修复：{described}；当前阶段：{rt.stage_labels.get(step.proposal.status, step.proposal.status)}"
    return found


def _step(uow: UnitOfWork, rt: Runtime, case: Case) -> steps.Step:
    proposal = uow.session.get_one(Proposal, case.proposal_id)
    return steps.Step(uow, rt, case, proposal, rt.bundle_of_case(uow.session, case), None)


def _unmerged(workflow: BpmnWorkflow) -> list:
    """[(parent task, [finished instances not merged, in completion order])] of STARTED loop tasks."""
    found = []
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            spec = task.task_spec
            if not isinstance(spec, LoopTask) or task.state != TaskState.STARTED:
                continue
            merged = set(task.internal_data.get("merged", []))
            waiting = [c for c in spec._instances(task) if c.state == TaskState.COMPLETED and str(c.id) not in merged]
            if waiting:
                found.append((task, sorted(waiting, key=lambda c: c.last_state_change)))
    return found


def _describe(step: steps.Step, unmerged: list) -> CaseRepair:
    proposal = step.proposal
    return CaseRepair(case_id=step.case.id, proposal_id=proposal.id, number=proposal.number, title=proposal.title,
                      steps=[_counts(parent, waiting) for parent, waiting in unmerged])


def _counts(parent: SpiffTask, waiting: list[SpiffTask]) -> dict:
    spec = parent.task_spec
    instances = list(spec._instances(parent))
    child = parent.workflow.spec.task_specs.get(spec.task_spec)
    return {"step": spec.bpmn_name or getattr(child, "bpmn_name", None) or spec.bpmn_id,
            "finished": sum(c.state == TaskState.COMPLETED for c in instances), "unmerged": len(waiting),
            "instances": len(instances)}


def _merge(unmerged: list[tuple[SpiffTask, list[SpiffTask]]]) -> list[dict]:
    """Merge each finished instance into its parent, as SpiffWorkflow's completed_event would have."""
    done = []
    for parent, waiting in unmerged:
        counts = _counts(parent, waiting)
        for child in waiting:
            parent.task_spec.merge_child(child.workflow, child)
        done.append(counts)
    return done
