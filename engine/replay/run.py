"""One case on one side of a replay: SpiffWorkflow in memory on a simulated clock.

A `Side` is a definition version with a region profile: its parsed bundle,
its forms bound to the region's lists, its working calendar, and a confined
script engine whose helpers read the region profile (no database) and whose
service operations (`remind`, `escalate`, `close_cosigning`, the proposal
number) are in-memory versions of engine/workflow/escalation.py, recording what
happens instead of writing it.

`CaseRun` starts the case at its submission time and repeats: every user
task that became ready gets its deadline (`due`), unit and assignee from the
task's metadata and an answer from the case (or an invented one, or it waits);
the clock then moves to whichever comes first, the next answer or the next
armed timer, and that happens: the answer is checked against the side's form
(engine/forms, as the app does) and the task completed, or the timers due are
fired. It ends when nothing is left to do (or at the case's horizon).
"""
import heapq
import itertools
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.model import clock
from engine.workflow import faults
from engine.workflow import state
from engine.services.cases import SUBMISSION_FORM
from engine.profile.sessions import submission_session
from engine.model.errors import EngineError
from engine.replay.answers import Answer, ReplayError, TaskView, fit
from engine.replay.year import median_days
from engine.rules.deadlines import Deadlines
from engine.workflow.escalation import late_parties
from engine.workflow.runtime import deadline_functions, rating_functions
from engine.definitions.sandbox import ConfinedScriptEngine
from engine.workflow.step import MAX_ENGINE_ROUNDS, next_timer
from engine.rules.workcal import WorkCalendar

MAX_STEPS = 800  # user tasks and timer rounds in one case
MAX_YEARS = 5  # a timer further than this after submission is never reached


class _KnownDays(WorkCalendar):
    """The region's working calendar, each day looked up once (a replay asks about the same days often)."""

    def __init__(self, extra_holidays=None, extra_workdays=None):
        super().__init__(extra_holidays, extra_workdays)
        self._known = {}

    def is_workday(self, d) -> bool:
        """As WorkCalendar.is_workday, remembered per day."""
        found = self._known.get(d)
        if found is None:
            found = self._known[d] = super().is_workday(d)
        return found


class Side:
    """A definition version with a region profile, as one side of a replay."""

    def __init__(self, label: str, bundle, forms, stages: dict, description: str = ""):
        """`stages`: {stage code: label} in the order of processes/stages.json."""
        self.label, self.bundle, self.forms, self.description = label, bundle, forms, description
        self.stage_labels, self.stages = dict(stages), list(stages)
        self.region = region = forms.region
        self.calendar = _KnownDays(region.calendar.get("extra_holidays"), region.calendar.get("extra_workdays"))
        self.run = None  # the CaseRun being driven: the service operations record into it
        units = {u["id"]: u for u in region.units}
        numbers = itertools.count(1)
        self.engine = ConfinedScriptEngine(
            functions={"setting": region.setting, "unit_deputy": lambda unit: units.get(unit, {}).get("deputy"),
                       "unit_name": lambda unit: units.get(unit, {}).get("name", unit),
                       **rating_functions(region), **deadline_functions(Deadlines(region, self.calendar))},
            services={
                "next_proposal_number": lambda: region.number_format.format(year=clock.now().astimezone(
                    clock.CHINA).year, seq=next(numbers)),
                "remind": lambda kind, unit=None, due=None, leads=False, since=None:
                    self.run.remind(kind, unit, leads, since),
                "escalate": lambda kind, unit=None, due=None, leads=False, since=None:
                    self.run.escalate(kind, unit, due, leads, since),
                "close_cosigning": lambda: self.run.close_cosigning(),
                "given_ratings": lambda unit=None, round=1: self.run.given_ratings(unit, round)})

    def describe(self) -> dict:
        """JSON-ready: label, version hash, region."""
        return {"label": self.label, "version": self.bundle.hash, "region": self.region.code,
                "region_name": self.region.name, "description": self.description}


@dataclass
class _Open:
    """An open task as engine/escalation.late_parties reads it."""

    name: str
    unit_id: str | None
    role: str
    assignee: str | None
    lead_unit: str | None


class CaseRun:
    """The replay of one case on one side; `run()` returns what happened."""

    def __init__(self, side: Side, case, answers, horizon: datetime | None = None):
        self.side, self.case, self.answers, self.horizon = side, case, answers, horizon
        self.bundle = side.bundle
        self.open, self.pending, self.seq = {}, [], 0
        self.seen = {}  # (task name, unit or person) -> times ready
        self.invented = {}  # task name -> invented answers given
        self.log = []  # [(kind, task name, unit, actor, fields, at)]: completed tasks and milestones
        self.rated = []  # [(lead unit, handling round, rater, fields)]: the ratings given
        self.tasks, self.overdue, self.reminders, self.fields, self.units = [], [], [], {}, {}
        self.needed = 0  # tasks that needed an invented answer (given, or due after the horizon)
        self.error = None

    # -- running ----------------------------------------------------------------------
    def run(self) -> dict:
        """Play the case to its end, its horizon or its first error."""
        self.side.run = self
        clock.current().set(self.case.submitted_at)
        workflow = None
        try:
            start, invented = fit(self.side.forms, SUBMISSION_FORM, self.case.submission(self.side.region),
                                  source=self.case.source_region)
            if invented:
                raise ReplayError(f"提案的提交数据不符合地区“{self.side.region.name}”的提交表单")
            workflow = BpmnWorkflow(self.bundle.spec, self.bundle.subprocess_specs, script_engine=self.side.engine)
            workflow.task_tree.data.update({
                "proposal_id": self.case.proposal_id, "title": start["title"], "category": start["category"],
                "source": start["source"], "proposer": self.case.proposer,
                "session": submission_session(self.side.region, self.case.submitted_at.astimezone(clock.CHINA).year,
                                              start["source"]),
                "cosigners": {c: c for c in start.get("cosigners") or []}})
            self._advance(workflow)
            for _ in range(MAX_STEPS):
                self._sync(workflow)
                if not self._next(workflow):
                    break
            else:
                raise ReplayError(f"超过 {MAX_STEPS} 步仍未结束（可能陷入循环）")
        except ReplayError as err:
            self.error = err.message
        except EngineError as err:
            self.error = err.message
        except WorkflowException as err:
            spec = getattr(getattr(err, "task", None), "task_spec", None) or getattr(err, "task_spec", None)
            self.error = f"{faults.element_of(getattr(err, 'task', None), spec)}：{faults.reason(err, spec)}"
        except Exception as err:  # noqa: BLE001 — one case's failure is reported, the replay goes on
            self.error = f"回放出错：{faults.reason(err)}"
        finally:
            self.side.run = None
        return self._result(workflow)

    def _sync(self, workflow):
        ready = {t.id: t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        for task_id in [i for i in self.open if i not in ready]:
            del self.open[task_id]  # done, or cancelled by an interrupting event
        views = []
        for task_id, task in ready.items():
            meta = self.bundle.user_tasks.get(task.task_spec.bpmn_id)
            if task_id in self.open or meta is None:
                continue
            views.append(self._view(task, meta))
            self.open[task_id] = views[-1]
        for view in views:  # who does which of the tasks just ready (several people's instances of one)
            getattr(self.answers, "expect", lambda view: None)(view)
        for view in views:
            task_id = view.id
            answer = self.answers.take(view)
            if answer is None:
                if self.answers.waits(view):
                    continue
                answer = Answer(build=lambda at: None, days=median_days(view.role, view.stage), invented=True)
                self.needed += 1
            self.seq += 1
            heapq.heappush(self.pending, (self._when(view, answer), self.seq, task_id, answer))

    def _view(self, task, meta) -> TaskView:
        engine = self.side.engine
        unit = engine.evaluate(task, meta.unit) if meta.unit else None
        assignee = engine.evaluate(task, meta.assignee) if meta.assignee else None
        due = None
        if meta.due:
            try:
                due = datetime.fromisoformat(engine.evaluate(task, meta.due))
            except (WorkflowException, TypeError, ValueError):
                due = None  # as the app: a task whose deadline cannot be read has none
        key = (meta.name, unit or assignee)
        self.seen[key] = self.seen.get(key, 0) + 1
        return TaskView(task.id, meta.name, meta.title, meta.form, meta.role, meta.stage, unit, assignee,
                        self.seen[key], task.data, clock.now(), due, task)

    def _when(self, view: TaskView, answer: Answer) -> datetime:
        ready = view.ready_at
        if answer.at is not None:
            return max(ready, answer.at)
        if answer.duration is not None:
            return ready + answer.duration
        day = self.side.calendar.add_working_days(ready.astimezone(clock.CHINA).date(), answer.days or 0)
        done = datetime.combine(day, time(9), clock.CHINA) + timedelta(minutes=answer.minute)
        return done if done > ready else ready + timedelta(minutes=10 + answer.minute % 50)

    def _next(self, workflow) -> bool:
        while self.pending and self.pending[0][2] not in self.open:
            heapq.heappop(self.pending)
        nxt = self.pending[0] if self.pending else None
        timer = next_timer(workflow)
        limit = self.horizon or self.case.submitted_at + timedelta(days=366 * MAX_YEARS)
        now = clock.now()
        if timer is not None and timer < limit and (nxt is None or timer < nxt[0]):
            clock.current().set(max(timer, now) + timedelta(seconds=1))  # Spiff fires once the time has passed
            workflow.refresh_timers()
            self._advance(workflow)
            return True
        if nxt is None or (self.horizon is not None and nxt[0] > self.horizon):
            return False
        heapq.heappop(self.pending)
        clock.current().set(max(nxt[0], now))
        self._complete(workflow, self.open[nxt[2]], nxt[3])
        return True

    def _complete(self, workflow, view: TaskView, answer: Answer):
        task, at = view.task, clock.now()
        nth = self.invented.get(view.name, 0)
        try:
            fields, invented = fit(self.side.forms, view.form, answer.build(at),
                                   source=self.case.source_region, known=view.data, nth=nth, at=at)
        except ReplayError as err:
            raise ReplayError(f"任务“{view.title}”：{err.message}") from None
        if invented:
            self.invented[view.name] = nth + 1
            self.needed += not answer.invented  # a recorded answer that does not fit this side's form
        meta = self.bundle.user_tasks[view.name]
        if meta.result:
            task.data[meta.result] = fields
        else:
            task.data.update(fields)
        task.run()
        del self.open[view.id]
        self.tasks.append({"task": view.name, "title": view.title, "role": view.role, "stage": view.stage,
                           "unit": view.unit, "assignee": view.assignee, "for_unit": view.unit or task.data.get("lead_unit"),
                           "ready": view.ready_at, "done": at, "due": view.due_at,
                           "late": bool(view.due_at and at > view.due_at), "invented": invented})
        self.log.append(("task_completed", view.name, view.unit, answer.actor or view.assignee, fields, at))
        if "ratings" in self.bundle.task_index.get(view.name, {}):  # a rating: kept per reply and round
            self.rated.append((task.data.get("lead_unit"), task.data.get("handling_round") or 1,
                               answer.actor or view.assignee, fields))
        self._after(task, view.unit, view.assignee)
        self._advance(workflow)

    def _advance(self, workflow):
        def done(task):
            if task.task_spec.bpmn_id not in self.bundle.user_tasks:
                self._after(task, None)

        for _ in range(MAX_ENGINE_ROUNDS):
            workflow.do_engine_steps(did_complete_task=done)
            if not workflow.get_tasks(state=TaskState.READY, manual=False):
                break
        state.compact(workflow)  # finished history dropped, as the app stores it: a flat cost per step

    def _after(self, task, unit, holder=None):
        """Index columns set by the task, and the deadline it meets (as engine/workflow/step.py does)."""
        engine, bpmn_id = self.side.engine, task.task_spec.bpmn_id
        index = {} if isinstance(task.task_spec, LoopTask) else self.bundle.task_index.get(bpmn_id, {})
        for column, expression in index.items():  # a multi-instance task: each instance indexes
            value = engine.evaluate(task, expression)
            if column == "units":
                self.units.update(value)
            else:
                self.fields.setdefault(f"{column}_at", clock.now())
                self.fields[column] = value
        kind = self.bundle.resolves.get(bpmn_id)
        if kind:
            lead = None
            if bpmn_id not in self.bundle.user_tasks:  # an engine step met it, for whoever held it
                lead = unit = task.data.get("lead_unit")
                self.log.append(("milestone", bpmn_id, unit, None, {}, clock.now()))
            for record in self.overdue:
                if record["kind"] != kind or record["resolved"] is not None:
                    continue
                if (lead is not None and lead in (record["lead_unit"], record["unit"])) or (
                        lead is None and ((unit and record["unit"] == unit) or (not unit and record["holder"] == holder))):
                    record["resolved"] = clock.now()

    # -- the service operations, in memory ------------------------------------------
    def remind(self, kind, unit=None, leads=False, since=None) -> int:
        """Record a reminder to whoever still has to meet deadline `kind`."""
        late = self._late(kind, unit, leads, since)
        self.reminders += [{"kind": kind, "unit": u, "holder": h or r, "at": clock.now()} for u, r, h, _ in late]
        return len(late)

    def escalate(self, kind, unit=None, due=None, leads=False, since=None) -> int:
        """Record who missed deadline `kind` (once per party until met)."""
        now = clock.now()
        due_at = datetime.fromisoformat(due) if due else now
        recorded = 0
        for u, role, holder, lead in self._late(kind, unit, leads, since):
            if due_at > now:
                continue
            who = holder or role
            if not any(r["kind"] == kind and r["unit"] == u and r["holder"] == who and r["resolved"] is None
                       for r in self.overdue):
                self.overdue.append({"kind": kind, "unit": u, "holder": who, "lead_unit": lead, "due": due_at,
                                     "at": now, "resolved": None})
                recorded += 1
        return recorded

    def close_cosigning(self) -> dict:
        """The co-signers' answers given so far."""
        names = {n for n, k in self.bundle.resolves.items() if k == "cosign"} or {"cosigner_confirm"}
        return {actor: {"agree": bool(fields.get("agree"))}
                for kind, name, _, actor, fields, _ in self.log if kind == "task_completed" and name in names}

    def given_ratings(self, unit, round=1) -> dict:
        """The ratings given so far of `unit`'s reply in handling round `round`."""
        return {actor: fields for lead, n, actor, fields in self.rated if lead == unit and n == (round or 1)}

    def _late(self, kind, unit, leads, since=None) -> list[tuple]:
        """Who has not met `kind`: the same parties as engine/workflow/escalation.py names."""
        resolvers = {n for n, k in self.bundle.resolves.items() if k == kind}
        start = datetime.fromisoformat(since) if since else None
        met = {u for _, name, u, _, _, at in self.log if name in resolvers and (start is None or at >= start)}
        tasks = [_Open(v.name, v.unit, v.role, v.assignee, v.data.get("lead_unit") if isinstance(
            v.data.get("lead_unit"), str) else None) for v in self.open.values()]
        leads_now = sorted(u for u, role in self.units.items() if role == "lead")
        return late_parties(kind, self.bundle, tasks, met, leads_now, unit, leads)

    # -- the result ------------------------------------------------------------------
    def _result(self, workflow) -> dict:
        completed = bool(workflow is not None and self.error is None and workflow.is_completed())
        end = clock.now()
        open_tasks = [{"task": v.name, "title": v.title, "role": v.role, "unit": v.unit, "ready": v.ready_at,
                       "due": v.due_at, "overdue": bool(v.due_at and v.due_at < end)} for v in self.open.values()]
        if completed:
            status = workflow.last_task.data.get("status") if workflow.last_task is not None else None
        else:
            stages = [v.stage for v in self.open.values() if v.stage in self.side.stages]
            status = min(stages, key=self.side.stages.index) if stages else None
        return {"state": "error" if self.error else "completed" if completed else "running", "status": status,
                "error": self.error, "tasks": self.tasks, "open": open_tasks, "overdue": self.overdue,
                "reminders": self.reminders, "reply_class": self.fields.get("reply_class"),
                "satisfaction": self.fields.get("satisfaction"), "replied_at": self.fields.get("reply_class_at"),
                "invented": self.needed, "end": end}
