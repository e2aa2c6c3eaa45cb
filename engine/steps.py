"""One step on a case: run the engine, index the proposal, log, notify, store.

A `Step` is made for one request (a completed task, fired timers, an
approved extension) on one case; the service functions in `engine.cases`,
`engine.timers` and `engine.extensions` create it, let it work, and commit.
"""
import json
from datetime import datetime, timezone

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select

from . import clock, escalation, extensions, notify, state
from .eventlog import log
from .errors import ProcessFault
from .models import OpenTask, ProposalUnit, Rating

PROPOSAL_PROCESS = "proposal"
MAX_ENGINE_ROUNDS = 10


class Step:
    """The work of one request on one case."""

    def __init__(self, uow, rt, case, proposal, bundle, user):
        self.uow, self.session, self.rt, self.case, self.proposal, self.bundle, self.user = (
            uow, uow.session, rt, case, proposal, bundle, user)
        self.now = clock.now()
        self.completed = 0
        self._open_stages = []

    # -- building and loading the workflow ------------------------------------------
    def script_engine(self):
        """The confined script engine for this case: region helpers, deadlines with
        approved extensions, and the service tasks bound to this step."""
        return self.rt.script_engine(
            self.session, services={**escalation.services(self), **extensions.services(self)},
            extension_due=lambda kind, unit=None: extensions.extended_due(self.session, self.proposal.id, kind, unit))

    def new_workflow(self, data: dict) -> BpmnWorkflow:
        """A fresh workflow of the case's process with start data."""
        spec, subprocess_specs = self.bundle.specs_for(self.case.process)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine())
        workflow.task_tree.data.update(data)
        return workflow

    def load(self) -> BpmnWorkflow:
        """The case's workflow from its stored state."""
        spec, subprocess_specs = self.bundle.specs_for(self.case.process)
        return state.load(self.case.state, spec, subprocess_specs, self.script_engine())

    # -- what happens ------------------------------------------------------------------
    def task_done(self, task, meta, fields):
        """Record a completed user task: event, index columns, deadlines met."""
        row = self.session.get(OpenTask, str(task.id))
        log(self.session, self.proposal, "task_completed", self.user, meta.title, task=task,
            unit_id=row.unit_id if row else None, data=fields, at=self.now)
        self.completed += 1
        self._after(task)

    def advance(self, workflow):
        """Run engine tasks (scripts, gateways, decisions, fired timers) until people must act."""

        def done(task):
            self.completed += 1
            spec = task.task_spec
            if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
                log(self.session, self.proposal, "timer", None, spec.bpmn_name or spec.bpmn_id, task=task, at=self.now)
            self._after(task)

        try:
            # do_engine_steps ends by refreshing timers: a timer that came due meanwhile is
            # left READY, not run; go round again until only people's tasks and waits remain.
            for _ in range(MAX_ENGINE_ROUNDS):
                workflow.do_engine_steps(did_complete_task=done)
                if not workflow.get_tasks(state=TaskState.READY, manual=False):
                    break
        except WorkflowException as err:
            raise ProcessFault(f"流程执行出错：{_describe(err)}") from err

    def _after(self, task):
        self._index(task)
        bpmn_id = task.task_spec.bpmn_id
        kind, record = self.bundle.resolves.get(bpmn_id), self.bundle.records.get(bpmn_id)
        if not kind and record is None:
            return
        row = self.session.get(OpenTask, str(task.id))
        unit = row.unit_id if row else task.data.get("lead_unit")
        if row is None and self.rt.task_meta(self.bundle, task) is None:  # an engine step (the reply is sent)
            data = {k: task.data[k] for k in record or () if k in task.data} or None
            log(self.session, self.proposal, "milestone", None, task.task_spec.bpmn_name or kind, task=task,
                unit_id=unit, data=_json_ready(data), at=self.now)
        if kind and row is not None:
            escalation.resolve(self, kind, unit=row.unit_id, holder=row.assignee)
        elif kind:  # an engine step met it (the reply is sent): for whoever held it
            escalation.resolve(self, kind, lead_unit=task.data.get("lead_unit"))

    def _index(self, task):
        index = self.bundle.task_index.get(task.task_spec.bpmn_id)
        if not index or isinstance(task.task_spec, LoopTask):  # a multi-instance task: each instance indexes
            return
        engine = task.workflow.script_engine
        for column, expression in index.items():
            value = engine.evaluate(task, expression)
            if column == "units":
                self._set_units(value)
                continue
            if column == "ratings":
                self._add_ratings(task, value)
                continue
            if column == "unit_satisfaction":
                for unit_id, code in (value or {}).items():
                    row = self.session.get(ProposalUnit, (self.proposal.id, unit_id))
                    if row is not None:
                        row.satisfaction = code
                continue
            setattr(self.proposal, column, value)
            lead = task.data.get("lead_unit")
            if column in ("reply_class", "satisfaction") and lead:
                row = self.session.get(ProposalUnit, (self.proposal.id, lead))
                if row is not None:
                    setattr(row, column, value)

    def _add_ratings(self, task, ratings: dict):
        """One row per unit the completing rater rated (the reply's lead unit, each assisting unit)."""
        rater = self.user.username if self.user is not None else task.data.get("rater")
        for unit_id, code in (ratings or {}).items():
            if unit_id and code:
                self.session.add(Rating(proposal_id=self.proposal.id, unit_id=unit_id, rater=rater,
                                        reply_unit=task.data.get("lead_unit"), satisfaction=code,
                                        handling_round=task.data.get("handling_round") or 1, rated_at=self.now,
                                        task_id=str(task.id)))

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

    # -- storing -------------------------------------------------------------------------
    def save(self, workflow, refresh_due: bool = False, refresh_meta: bool = False):
        """Sync open tasks, status and next timer, then store the compacted state.

        `refresh_due` recomputes open tasks' due dates (an extension was approved);
        `refresh_meta` also re-reads their title, form, role, unit and assignee
        (the case moved to another definition version)."""
        self._sync_open_tasks(workflow, refresh_due or refresh_meta, refresh_meta)
        if self.case.process == PROPOSAL_PROCESS:
            old_status = self.proposal.status
            self.proposal.status = self._status(workflow)
            self.proposal.updated_at = self.now
            if self.proposal.status != old_status:
                label = self.rt.stage_labels.get(self.proposal.status, self.proposal.status)
                log(self.session, self.proposal, "status_changed", None, f"进入“{label}”",
                    data={"from": old_status, "to": self.proposal.status}, at=self.now)
        self.case.completed = workflow.is_completed()
        self.case.completed_tasks += self.completed
        self.case.next_timer_at = next_timer(workflow)
        self.case.state = state.dump(workflow)
        self.case.state_format = state.STATE_FORMAT
        self.case.updated_at = self.now
        self.session.flush()

    def _sync_open_tasks(self, workflow, refresh_due, refresh_meta=False):
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        existing = {row.id: row for row in self.session.scalars(select(OpenTask).where(OpenTask.case_id == self.case.id))}
        gone = set(existing) - set(ready)
        if gone:
            self.session.execute(delete(OpenTask).where(OpenTask.id.in_(gone)))
        self._open_stages = []
        for task_id, task in ready.items():
            meta = self.rt.task_meta(self.bundle, task)
            if meta is None:
                continue
            self._open_stages.append(meta.stage)
            if task_id in existing:
                row = existing[task_id]
                if refresh_meta:
                    for column, value in _described(task, meta).items():
                        setattr(row, column, value)
                if refresh_due:
                    row.due_at = self._due(task, meta)
                continue
            row = OpenTask(id=task_id, case_id=self.case.id, proposal_id=self.proposal.id, created_at=self.now,
                           due_at=self._due(task, meta), **_described(task, meta))
            self.session.add(row)
            notify.enqueue(self.session, self.rt.region,
                           notify.recipients_for(self.session, row.role, row.unit_id, row.assignee),
                           meta.notify, f"新的待办：{meta.title}", f"提案：{self.proposal.title}",
                           proposal_id=self.proposal.id, task_id=task_id, now=self.now)

    def _due(self, task, meta):
        if not meta.due:
            return None
        try:
            value = task.workflow.script_engine.evaluate(task, meta.due)
        except Exception:  # a case started before its deadline data existed has no due date
            return None
        return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None

    def _status(self, workflow):
        stages = [s for s in self._open_stages if s in self.rt.stages]
        if stages:
            return min(stages, key=self.rt.stages.index)
        if workflow.is_completed() and workflow.last_task is not None:
            return workflow.last_task.data.get("status", self.proposal.status)
        return self.proposal.status


def _described(task, meta) -> dict:
    """The open-task columns a user task's metadata gives (its unit and assignee evaluated)."""
    engine = task.workflow.script_engine
    return dict(name=meta.name, title=meta.title, form=meta.form, role=meta.role, stage=meta.stage,
                unit_id=engine.evaluate(task, meta.unit) if meta.unit else None,
                assignee=engine.evaluate(task, meta.assignee) if meta.assignee else None,
                lead_unit=task.data.get("lead_unit") if isinstance(task.data.get("lead_unit"), str) else None)


def _json_ready(data):
    """Case data as stored in the event log (JSON values only)."""
    return json.loads(json.dumps(data, default=str, ensure_ascii=False)) if data is not None else None


def next_timer(workflow) -> datetime | None:
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


def _describe(err) -> str:
    notes = getattr(err, "__notes__", None) or []
    return "; ".join([str(err), *notes])
