"""One case on one side of a replay: the real engine on a simulated clock.

A `Side` is a definition version with a region profile: its parsed bundle, its
forms bound to the region's lists, its working calendar, and a `Runtime` of its
own (engine/workflow/runtime.py) whose steps run on the side's in-memory
database (engine/replay/memory.py). Nothing of the engine is re-implemented
here: the case is submitted, its tasks completed and its timers fired by the
service layer's own functions on a real `Step`, so deadlines, index columns,
reminders, escalations and their resolution are what production would do.

`CaseRun` starts the case at its submission time and repeats: every open task
that appeared gets an answer from the case (or an invented one, or it waits);
the clock then moves to whichever comes first, the next answer or the case's
next armed timer, and that happens: the answer is fitted to the side's form
(engine/replay/answers.py) and the task completed, or the timers due are fired.
It ends when nothing is left to do (or at the case's horizon). What the report
needs is then read from what the engine wrote: open tasks, overdue records,
reminders, the proposal's reply class and satisfaction.
"""
import copy
import heapq
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from uuid import UUID

from SpiffWorkflow.exceptions import WorkflowException

from engine.definitions.bundle import ProcessBundle
from engine.model import clock
from engine.model.errors import EngineError, InvalidForm
from engine.model.tables import OpenTask
from engine.replay.answers import Answer, ReplayError, TaskView, fit, invent
from engine.replay.memory import MemoryStore, ScratchCase
from engine.replay.recorded import RecordedAnswers, RecordedCase
from engine.replay.year import GeneratedAnswers, GeneratedCase, median_days
from engine.rules.deadlines import Deadlines
from engine.rules.workcal import WorkCalendar
from engine.services.cases import SUBMISSION_FORM
from engine.workflow import faults
from engine.workflow.runtime import Runtime

MAX_STEPS = 800  # user tasks and timer rounds in one case
MAX_YEARS = 5  # a timer further than this after submission is never reached


class _KnownDays(WorkCalendar):
    """The region's working calendar, each day looked up once (a replay asks about the same days often)."""

    def __init__(self, extra_holidays: Iterable | None = None, extra_workdays: Iterable | None = None) -> None:
        super().__init__(extra_holidays, extra_workdays)
        self._known: dict = {}

    def is_workday(self, d: date) -> bool:
        """As WorkCalendar.is_workday, remembered per day."""
        found = self._known.get(d)
        if found is None:
            found = self._known[d] = super().is_workday(d)
        return found


class Side:
    """A definition version with a region profile, as one side of a replay."""

    def __init__(self, label: str, bundle: ProcessBundle, rt: Runtime, description: str = "") -> None:
        """`rt`: a Runtime of the side's region, forms and stages (not shared with an instance:
        the side's in-memory database registers its version in it)."""
        self.label, self.bundle, self.description = label, bundle, description
        self.rt = rt = copy.copy(rt)
        rt.files_bundle = rt.current = bundle
        rt.remember(bundle)
        rt.files_registered = False
        self.forms, self.region = rt.forms, rt.region
        self.stage_labels, self.stages = dict(rt.stage_labels), list(rt.stages)
        region = self.region
        self.calendar = _KnownDays(region.calendar.get("extra_holidays"), region.calendar.get("extra_workdays"))
        rt.calendar, rt.deadlines = self.calendar, Deadlines(region, self.calendar)  # the same days, remembered
        self._store: MemoryStore | None = None

    @property
    def store(self) -> MemoryStore:
        """The side's in-memory database (made on first use)."""
        if self._store is None:
            self._store = MemoryStore(self.rt)
        return self._store

    def describe(self) -> dict:
        """JSON-ready: label, version hash, region."""
        return {"label": self.label, "version": self.bundle.hash, "region": self.region.code,
                "region_name": self.region.name, "description": self.description}


class CaseRun:
    """The replay of one case on one side; `run()` returns what happened.

    `on` is where the steps run: by default a fresh case on the side's in-memory
    database (engine/replay/memory.py); a test passes one that runs them on a real
    database through the live services, with the same schedule."""

    def __init__(self, side: Side, case: RecordedCase | GeneratedCase, answers: RecordedAnswers | GeneratedAnswers,
                 horizon: datetime | None = None, on: ScratchCase | None = None) -> None:
        self.side, self.case, self.answers, self.horizon = side, case, answers, horizon
        self.bundle = side.bundle
        self.on = on
        self.open: dict[object, TaskView] = {}
        self.pending: list[tuple] = []
        self.seq = 0
        self.seen: dict[tuple, int] = {}  # (task name, unit or person) -> times ready
        self.invented: dict[str, int] = {}  # task name -> invented answers given
        self.tasks: list[dict] = []
        self.needed = 0  # tasks that needed an invented answer (given, or due after the horizon)
        self.replied_at: datetime | None = None
        self.events: list[tuple] = []  # the event log the case left (for comparing with production)
        self.error: str | None = None

    # -- running ----------------------------------------------------------------------
    def run(self) -> dict:
        """Play the case to its end, its horizon or its first error."""
        clock.moving().set(self.case.submitted_at)
        with (self.on or self.side.store.case()) as on:
            try:
                start, invented = fit(self.side.forms, SUBMISSION_FORM, self.case.submission(self.side.region),
                                      source=self.case.source_region)
                if invented:
                    raise ReplayError(f"提案的提交数据不符合地区“{self.side.region.name}”的提交表单")
                on.submit(on.person(self.case.proposer, "proposer", stored=True), start,
                          cosigners=start.get("cosigners") or [])
                self._stepped(on)
                for _ in range(MAX_STEPS):
                    self._sync(on)
                    if not self._next(on):
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
            return self._result(on)

    def _sync(self, on: ScratchCase) -> None:
        rows = {row.id: row for row in on.open_tasks()}
        for task_id in [i for i in self.open if i not in rows]:
            del self.open[task_id]  # done, or cancelled by an interrupting event
        views = []
        for task_id, row in rows.items():
            if task_id not in self.open:
                views.append(self._view(on, row))
                self.open[task_id] = views[-1]
        for view in views:  # who does which of the tasks just ready (several people's instances of one)
            getattr(self.answers, "expect", lambda view: None)(view)
        for view in views:
            answer = self.answers.take(view)
            if answer is None:
                if self.answers.waits(view):
                    continue
                answer = Answer(build=lambda at: None, days=median_days(view.role, view.stage), invented=True)
                self.needed += 1
            self.seq += 1
            heapq.heappush(self.pending, (self._when(view, answer), self.seq, view.id, answer))

    def _view(self, on: ScratchCase, row: OpenTask) -> TaskView:
        task = on.workflow.get_task_from_id(UUID(row.id))
        key = (row.name, row.unit_id or row.assignee)
        self.seen[key] = self.seen.get(key, 0) + 1
        return TaskView(row.id, row.name, row.title, row.form, row.role, row.stage, row.unit_id, row.assignee,
                        self.seen[key], task.data, clock.now(), row.due_at, task, row.lead_unit)

    def _when(self, view: TaskView, answer: Answer) -> datetime:
        ready = view.ready_at
        if answer.at is not None:
            return max(ready, answer.at)
        if answer.duration is not None:
            return ready + answer.duration
        day = self.side.calendar.add_working_days(ready.astimezone(clock.CHINA).date(), answer.days or 0)
        done = datetime.combine(day, time(9), clock.CHINA) + timedelta(minutes=answer.minute)
        return done if done > ready else ready + timedelta(minutes=10 + answer.minute % 50)

    def _next(self, on: ScratchCase) -> bool:
        while self.pending and self.pending[0][2] not in self.open:
            heapq.heappop(self.pending)
        nxt = self.pending[0] if self.pending else None
        timer = on.next_timer()
        limit = self.horizon or self.case.submitted_at + timedelta(days=366 * MAX_YEARS)
        now = clock.now()
        if timer is not None and timer < limit and (nxt is None or timer < nxt[0]):
            clock.moving().set(max(timer, now) + timedelta(seconds=1))  # Spiff fires once the time has passed
            on.fire()
            self._stepped(on)
            return True
        if nxt is None or (self.horizon is not None and nxt[0] > self.horizon):
            return False
        heapq.heappop(self.pending)
        clock.moving().set(max(nxt[0], now))
        self._complete(on, self.open[nxt[2]], nxt[3])
        return True

    def _complete(self, on: ScratchCase, view: TaskView, answer: Answer) -> None:
        at = clock.now()
        nth = self.invented.get(view.name, 0)
        try:
            fields, invented = fit(self.side.forms, view.form, answer.build(at),
                                   source=self.case.source_region, known=view.data, nth=nth, at=at)
        except ReplayError as err:
            raise ReplayError(f"任务“{view.title}”：{err.message}") from None
        if invented:
            self.invented[view.name] = nth + 1
            self.needed += not answer.invented  # a recorded answer that does not fit this side's form
        who = answer.actor or view.assignee or view.who
        user, meta = on.person(who, view.role, view.unit), self.bundle.user_tasks[view.name]
        try:
            on.complete(view.task, meta, user, fields)
        except InvalidForm as err:  # a rule of the form refused it (a recorded date, moved in time)
            refused = {e["field"].split("/")[0] for e in err.errors}
            kept = {k: v for k, v in fields.items() if k not in refused}
            known = {k: v for k, v in view.data.items() if k not in refused}
            fields, invented = invent(self.side.forms, view.form, known, nth, at, keep=kept), True
            self.invented[view.name] = nth + 1
            self.needed += not answer.invented
            try:
                on.complete(view.task, meta, user, fields)
            except InvalidForm as again:
                raise ReplayError(f"任务“{view.title}”：{again.message}") from None
        del self.open[view.id]
        self.tasks.append({"task": view.name, "title": view.title, "role": view.role, "stage": view.stage,
                           "unit": view.unit, "assignee": view.assignee, "for_unit": view.unit or view.lead_unit,
                           "ready": view.ready_at, "done": at, "due": view.due_at,
                           "late": bool(view.due_at and at > view.due_at), "invented": invented})
        self._stepped(on)

    def _stepped(self, on: ScratchCase) -> None:
        """After a step: when the reply class was first set (the reply's time)."""
        if self.replied_at is None and on.proposal is not None and on.proposal.reply_class is not None:
            self.replied_at = clock.now()

    # -- the result ------------------------------------------------------------------
    def _result(self, on: ScratchCase) -> dict:
        completed = bool(self.error is None and on.completed())
        end = clock.now()
        open_tasks = [{"task": v.name, "title": v.title, "role": v.role, "unit": v.unit, "ready": v.ready_at,
                       "due": v.due_at, "overdue": bool(v.due_at and v.due_at < end)} for v in self.open.values()]
        proposal = on.proposal
        status = None
        if proposal is not None:
            status = proposal.status
        if not completed and self.error:
            stages = [v.stage for v in self.open.values() if v.stage in self.side.stages]
            status = min(stages, key=self.side.stages.index) if stages else None
        events = on.events()
        self.events = [(e.kind, e.task_name, e.unit_id, e.actor, e.title, e.at) for e in events]
        reminders = [{"kind": (e.data or {}).get("kind"), "unit": e.unit_id, "at": e.at}
                     for e in events if e.kind == "reminder"]
        return {"state": "error" if self.error else "completed" if completed else "running", "status": status,
                "error": self.error, "tasks": self.tasks, "open": open_tasks,
                "overdue": on.overdue() if proposal is not None else [], "reminders": reminders,
                "reply_class": getattr(proposal, "reply_class", None),
                "satisfaction": getattr(proposal, "satisfaction", None), "replied_at": self.replied_at,
                "invented": self.needed, "end": end}
