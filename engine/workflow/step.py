"""One step on a case: run the engine, index the proposal, log, notify, store.

A `Step` is made for one request (a completed task, fired timers, an
approved extension) on one case; the service functions in `engine.services.cases`,
`engine.services.timers`, `engine.services.extensions` and the extension process's service tasks
(engine/workflow/extension.py) create it, let it work, and commit.

Locks are taken in one order: a step first locks the row of the case it
changes (`lock_case`, before it writes anything), and a step on a side process
(an extension request) locks its proposal's own case before its own; counters,
proposals, open tasks, events and messages come after. Two steps on one case
therefore wait for each other instead of deadlocking, and the second one reads
what the first committed.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.adapters.db import UnitOfWork
from engine.definitions.bundle import ProcessBundle, TaskMeta
from engine.definitions.sandbox import ConfinedScriptEngine
from engine.model import clock
from engine.model.base import NO_AUTOFLUSH
from engine.model.eventlog import log
from engine.model.storable import unstorable
from engine.model.tables import Case, OpenTask, Proposal, ProposalUnit, Rating, User
from engine.rules.extensions import approved_extensions, extended_due_of
from engine.workflow import faults, incidents, inform, open_tasks
from engine.workflow.case_lock import PROPOSAL_PROCESS, lock_case  # noqa: F401  (the step's callers lock with it)
from engine.workflow.case_workflow import CaseWorkflow

if TYPE_CHECKING:
    from engine.workflow.runtime import Runtime

MAX_ENGINE_ROUNDS = 10
# statements of every step, built once (a statement made afresh costs more than running it)
_UNITS = select(ProposalUnit).where(ProposalUnit.proposal_id == bindparam("proposal_id"))
_CASES = cast(Table, Case.__table__)
_CASE_STEP_COLUMNS = ("next_timer_at", "state", "state_format", "completed", "completed_tasks", "updated_at")
_CASE_UPDATE = _CASES.update().where(_CASES.c.id == bindparam("case_id"), _CASES.c.version == bindparam("seen")).values(
    {column: bindparam(column) for column in (*_CASE_STEP_COLUMNS, "version")})


class Step:
    """The work of one request on one case."""

    def __init__(self, uow: UnitOfWork, rt: Runtime, case: Case, proposal: Proposal, bundle: ProcessBundle,
                 user: User | None) -> None:
        self.uow, self.session, self.rt, self.case, self.proposal, self.bundle, self.user = (
            uow, uow.session, rt, case, proposal, bundle, user)
        self.now = clock.now()
        # SpiffWorkflow stamps a task's state changes with the operating system's time; a task
        # stamped before this step began has data a former step already checked (`_check_storable`)
        self.began = clock.os_seconds()
        self.completed = 0
        self._open_stages: list = []
        self.last_step: tuple[str, str | None] | None = None  # (title, username or None) of the last thing done in this step
        self.resolution: str | None = None  # what a repair did, if this step is one (closes a stalled-case record)
        # 代录: (the member, the signed scan's attachment id) when committee staff (`user`) enter a
        # member's rating from the paper form (engine/services/paper_ratings.py)
        self.on_behalf: tuple | None = None
        self.passed_rows: dict[str, OpenTask] = {}  # tasks done as soon as ready (`pass_through`)
        self.memo: dict = {}  # what one step reads once for all its tasks (engine/workflow/inform.py)
        # whether the case was stored with an open task (one of its open_tasks rows is being done):
        # then it has no open stalled-case record (engine/workflow/incidents.py) to look for
        self.had_open_task = False

    # -- building and loading the workflow ------------------------------------------
    def script_engine(self) -> ConfinedScriptEngine:
        """The confined script engine for this case: region helpers, deadlines with
        approved extensions, and the service tasks bound to this step."""
        return self.rt.script_engine(self.session, services=self.rt.service_tasks.bound(self),
                                     extension_due=self.extension_due, proposal=self.proposal)

    def extension_due(self, kind: str, unit: str | None = None) -> datetime | None:
        """The approved extended deadline of `kind` (for `unit`), or None; the proposal's approved
        extensions are read once per step (an approval re-arms the timers in a step of its own:
        workflow/extension.py)."""
        if "extensions" not in self.memo:
            self.memo["extensions"] = approved_extensions(self.session, self.proposal.id)
        return extended_due_of(self.memo["extensions"], kind, unit)

    def new_workflow(self, data: dict) -> BpmnWorkflow:
        """A fresh workflow of the case's process with start data."""
        spec, subprocess_specs = self.bundle.specs_for(self.case.process)
        workflow = CaseWorkflow(spec, subprocess_specs, script_engine=self.script_engine())
        workflow.task_tree.data.update(data)
        return workflow

    def load(self) -> BpmnWorkflow:
        """The case's workflow from its stored state (where the runtime keeps it: `Runtime.states`)."""
        spec, subprocess_specs = self.bundle.specs_for(self.case.process)
        return self.rt.states.load(self.case, spec, subprocess_specs, self.script_engine())

    # -- what happens ------------------------------------------------------------------
    def task_done(self, task: SpiffTask, meta: TaskMeta, fields: dict) -> None:
        """Record a completed user task: event, index columns, deadlines met."""
        row = self._open_row(task)
        title, data = meta.title, fields
        if self.on_behalf is not None:  # who entered it, for whom, with which signed scan
            member, scan = self.on_behalf
            title, data = f"{meta.title}（代录：{member.name}的纸质评价）", {**fields, "paper_scan": [scan]}
        log(self.session, self.proposal, "task_completed", self.user, title, task=task,
            unit_id=row.unit_id if row else None, data=data, at=self.now)
        self.last_step = (meta.title, self.user.username if self.user else None)
        self.completed += 1
        self._after(task)

    def advance(self, workflow: BpmnWorkflow) -> None:
        """Run engine tasks (scripts, gateways, decisions, fired timers) until people must act."""

        def done(task: SpiffTask) -> None:
            self.completed += 1
            spec = task.task_spec
            if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
                log(self.session, self.proposal, "timer", None, spec.bpmn_name or spec.bpmn_id, task=task, at=self.now)
                self.last_step = (spec.bpmn_name or spec.bpmn_id, None)
            self._after(task)

        with faults.diagram_errors():
            # do_engine_steps ends by refreshing timers: a timer that came due meanwhile is
            # left READY, not run; go round again until only people's tasks and waits remain.
            for _ in range(MAX_ENGINE_ROUNDS):
                workflow.do_engine_steps(did_complete_task=done)
                if not workflow.get_tasks(state=TaskState.READY, manual=False):
                    break

    def _after(self, task: SpiffTask) -> None:
        self._index(task)
        bpmn_id = task.task_spec.bpmn_id
        if bpmn_id in self.bundle.informs and self.case.process == PROPOSAL_PROCESS:
            inform.inform(self, task, self.bundle.informs[bpmn_id])  # the proposer and co-signers are told
        kind, record = self.bundle.resolves.get(bpmn_id), self.bundle.records.get(bpmn_id)
        if not kind and record is None:
            return
        row = self._open_row(task)
        unit = row.unit_id if row else task.data.get("lead_unit")
        if row is None and self.rt.task_meta(self.bundle, task) is None:  # an engine step (the reply is sent)
            data = {k: task.data[k] for k in record or () if k in task.data} or None
            log(self.session, self.proposal, "milestone", None, task.task_spec.bpmn_name or kind or "", task=task,
                unit_id=unit, data=_json_ready(data), at=self.now)
        met = self.rt.service_tasks.deadline_met
        if kind and met and row is not None:
            met(self, kind, unit=row.unit_id, holder=row.assignee)
        elif kind and met:  # an engine step met it (the reply is sent): for whoever held it
            met(self, kind, lead_unit=task.data.get("lead_unit"))

    def _open_row(self, task: SpiffTask) -> OpenTask | None:
        return self.passed_rows.get(str(task.id)) or self.session.get(OpenTask, str(task.id))

    def pass_through(self, workflow: BpmnWorkflow, task: SpiffTask, meta: TaskMeta) -> OpenTask:
        """The ready user task `task` is done in this same step (cases.complete_next): the status
        passed through is logged as `save` would; its open-task row is made, never stored or told."""
        self._open_stages = [m.stage for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                             if (m := self.rt.task_meta(self.bundle, t)) is not None]
        self._record_status(workflow)
        row = OpenTask(id=str(task.id), case_id=self.case.id, proposal_id=self.proposal.id, created_at=self.now,
                       due_at=None, **open_tasks.described(task, meta))
        self.passed_rows[row.id] = row
        return row

    def _index(self, task: SpiffTask) -> None:
        index = self.bundle.task_index.get(task.task_spec.bpmn_id)
        if not index or isinstance(task.task_spec, LoopTask):  # a multi-instance task: each instance indexes
            return
        for column, expression in index.items():
            value = faults.evaluate(task, expression)
            if column == "units":
                self._set_units(value)
                continue
            if column == "ratings":
                self._add_ratings(task, value)
                continue
            if column == "unit_satisfaction":
                for unit_id, code in (value or {}).items():
                    row = self._units().get(unit_id)
                    if row is not None:
                        row.satisfaction = code
                continue
            if column == "session" and not value:  # a review that leaves the session unsaid keeps it
                continue
            setattr(self.proposal, column, value)
            lead = task.data.get("lead_unit")
            if column in ("reply_class", "satisfaction") and lead:
                row = self._units().get(lead)
                if row is not None:
                    setattr(row, column, value)

    def _add_ratings(self, task: SpiffTask, ratings: dict) -> None:
        """One row per unit the completing rater rated (the reply's lead unit, each assisting unit)."""
        rater = self.user.username if self.user is not None else task.data.get("rater")
        entered_by = evidence = None
        if self.on_behalf is not None:  # 代录: the member's rating, entered by the staff member
            rater, entered_by, evidence = self.on_behalf[0].username, rater, self.on_behalf[1]
        for unit_id, code in (ratings or {}).items():
            if unit_id and code:
                self.session.add(Rating(proposal_id=self.proposal.id, unit_id=unit_id, rater=rater,
                                        reply_unit=task.data.get("lead_unit"), satisfaction=code,
                                        handling_round=task.data.get("handling_round") or 1, rated_at=self.now,
                                        task_id=str(task.id), entered_by=entered_by, evidence_id=evidence))

    def _units(self) -> dict[str, ProposalUnit]:
        """The proposal's unit rows by unit id, read once per step (without flushing what the step
        has pending) and kept with the rows the step adds."""
        if "units" not in self.memo:
            self.memo["units"] = {r.unit_id: r for r in self.session.scalars(
                _UNITS, {"proposal_id": self.proposal.id}, execution_options=NO_AUTOFLUSH)}
        rows: dict[str, ProposalUnit] = self.memo["units"]
        return rows

    def _set_units(self, units: dict) -> None:  # the lead unit: the first lead by id
        rows = self._units()
        for unit_id, role in units.items():
            if unit_id in rows:
                rows[unit_id].role = role
            else:
                self.session.add(rows.setdefault(unit_id, ProposalUnit(proposal_id=self.proposal.id, unit_id=unit_id, role=role)))
        self.proposal.lead_unit = min((u for u, row in rows.items() if row.role == "lead"), default=None)

    # -- storing -------------------------------------------------------------------------
    def save(self, workflow: BpmnWorkflow, refresh_due: bool = False, refresh_meta: bool = False) -> None:
        """Sync open tasks, status and next timer, then store the compacted state.

        `refresh_due` recomputes open tasks' due dates (an extension was approved);
        `refresh_meta` also re-reads their title, form, role, unit and assignee
        (the case moved to another definition version). A case left with nothing
        to move it on is recorded as stalled (engine/workflow/incidents.py)."""
        self._open_stages = open_tasks.sync(self.session, self.rt.region, partial(self.rt.task_meta, self.bundle), self.case,
                                            self.proposal, self.now, workflow, refresh_due or refresh_meta, refresh_meta)
        self._record_status(workflow)
        self.case.completed = workflow.is_completed()
        self.case.completed_tasks += self.completed
        self.case.next_timer_at = next_timer(workflow)
        _check_storable(workflow, since=self.began)
        self.rt.states.store(self.case, workflow)
        self.case.updated_at = self.now
        self._write_case()
        self.session.flush()
        incidents.after_step(self, workflow, len(self._open_stages))

    def _write_case(self) -> None:
        """The case row's step columns in one UPDATE on the connection, guarded by the row's
        version as the ORM's own would be (a concurrent step got there first: StaleDataError), and
        then known to the session as stored: its flush has nothing left to compare or write for
        them (comparing the stored state with the new one was most of the flush)."""
        case = self.case
        values = {column: getattr(case, column) for column in _CASE_STEP_COLUMNS}
        values["version"] = case.version + 1
        written = self.session.connection().execute(_CASE_UPDATE, {**values, "case_id": case.id, "seen": case.version})
        if written.rowcount != 1:
            raise StaleDataError(f"UPDATE statement on table 'cases' expected to update 1 row(s); {written.rowcount} were matched.")
        for column, value in values.items():
            set_committed_value(case, column, value)

    def _record_status(self, workflow: BpmnWorkflow) -> None:
        """The proposal's status from the open stages, logged when it changed."""
        if self.case.process != PROPOSAL_PROCESS:
            return
        old_status = self.proposal.status
        self.proposal.status = self._status(workflow)
        self.proposal.updated_at = self.now
        if self.proposal.status != old_status:
            label = self.rt.stage_labels.get(self.proposal.status, self.proposal.status)
            log(self.session, self.proposal, "status_changed", None, f"进入“{label}”",
                data={"from": old_status, "to": self.proposal.status}, at=self.now)

    def _status(self, workflow: BpmnWorkflow) -> str:
        stages = [s for s in self._open_stages if s in self.rt.stages]
        if stages:
            return min(stages, key=self.rt.stages.index)
        if workflow.is_completed() and workflow.last_task is not None:
            return workflow.last_task.data.get("status", self.proposal.status)
        return self.proposal.status


def _check_storable(workflow: BpmnWorkflow, since: float = 0.0) -> None:
    """Refuse, naming the task, data that cannot be stored (a DMN result or a script left a set...).

    Only the tasks whose state changed at `since` or later (SpiffWorkflow's `last_state_change`,
    the operating system's seconds) are looked at: a task's data changes only with its state
    (it runs, or takes its parents' data as it becomes ready or waits), so the others'
    data is what an earlier step checked and stored (on a big case it was most of the walk)."""
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task.last_state_change < since:
                continue
            why = unstorable(task.data)
            if why:
                raise faults.diagram_fault(ValueError(f"任务数据中有无法保存的值：{why}"), task)


def _json_ready(data: Any) -> Any:
    """Case data as stored in the event log (JSON values only)."""
    return json.loads(json.dumps(data, default=str, ensure_ascii=False)) if data is not None else None


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest time an armed timer of the workflow (subprocesses included) is due."""
    times = []
    for event in workflow.waiting_events():
        value = event.value
        if isinstance(value, dict):  # a cycle timer: its next occurrence
            value = value.get("next")
        if isinstance(value, str):
            try:
                times.append(TimerEventDefinition.get_datetime(value))
            except ValueError:
                continue
    return min(times) if times else None
