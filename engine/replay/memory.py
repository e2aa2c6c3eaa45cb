"""Where a replayed case runs: the real engine over an in-memory database.

Each side of a replay has one SQLite `:memory:` database (`MemoryStore`), made
once with the full schema (the alembic revisions, as any database: run once per
process into a template that each side's database is copied from), the side's
unit directory and its definition version deployed the way an instance deploys
its files at start-up (engine/definitions/versions.py). A case runs in one
`ScratchUnitOfWork`: the services' `commit()` only flushes, so every step sees
what the steps before it wrote, and leaving the case rolls all of it back — the
next case starts from the same directory. Only the proposal-number counters are
carried from one case to the next (numbers go on through the year, as in an
instance). Nothing here touches a database on disk.

`ScratchCase` is one case on such a store, driven by engine/replay/run.py
through the service layer's own step functions: `submit_proposal`
(engine/services/cases.py), `complete_loaded` (the core of `complete_task`) and
`fire_due` (the core of the timer worker's `fire_case`), each on a real
`engine.workflow.step.Step` with the real service tasks (reminders,
escalations, co-signing, ratings). The one difference from production is where
a case's workflow is kept between steps: the side's runtime keeps it in memory
(`MemoryStates`, the replay's engine.workflow.state.StateStore) instead of
serializing it into the case's row and reading it back; the step loads and
stores through it as production's step does through the row.
"""
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.adapters.db import Database, UnitOfWork
from engine.definitions import versions
from engine.definitions.bundle import TaskMeta
from engine.model.errors import InvalidForm
from engine.model.tables import Case, Counter, Event, OpenTask, OverdueRecord, ProcessDefinition, Proposal, Unit, User
from engine.services import cases, timers
from engine.services.directory import sync_units
from engine.workflow import batch_cache, state, step as steps
from engine.workflow.runtime import Runtime

MEMORY_URL = "sqlite://"
_template: Database | None = None  # the empty schema, migrated once per process


def _empty_schema(database: Database) -> None:
    """Give the in-memory `database` the full schema: the alembic revisions run once per process
    into a template, copied into each new database (SQLite's backup)."""
    global _template
    if _template is None:
        template = Database(MEMORY_URL)
        template.create_schema()
        _template = template
    with _template.engine.connect() as source, database.engine.connect() as target:
        # a `:memory:` engine keeps one connection per thread: the copy stays for the thread's sessions
        source.connection.dbapi_connection.backup(target.connection.dbapi_connection)  # type: ignore[union-attr]


class ScratchUnitOfWork(UnitOfWork):
    """A unit of work whose `commit()` flushes: the case's steps build on each other, and
    closing it rolls the whole case back."""

    def commit(self) -> None:
        """Write the step's changes into the open transaction (never committed)."""
        self.session.flush()


class MemoryStates:
    """The replay's state store: each case's live workflow, kept between its steps.

    A step stores its workflow compacted (as production compacts it before dumping it
    into the row) and the next step loads the same object, bound to its own script
    engine; nothing is serialized. A case not kept here (none is, before its first
    step stores it) is read from its row."""

    def __init__(self) -> None:
        self.workflows: dict[int, BpmnWorkflow] = {}

    def load(self, case: Case, spec: Any, subprocess_specs: dict, script_engine: Any) -> BpmnWorkflow:
        """The case's kept workflow with the step's script engine (its helpers and service tasks)."""
        workflow = self.workflows.get(case.id)
        if workflow is None:
            return state.IN_ROW.load(case, spec, subprocess_specs, script_engine)
        workflow.script_engine = script_engine
        return workflow

    def store(self, case: Case, workflow: BpmnWorkflow) -> None:
        """Keep the compacted workflow for the case's next step."""
        state.compact(workflow)
        self.workflows[case.id] = workflow

    def forget(self) -> None:
        """Drop every kept workflow (a case was rolled back)."""
        self.workflows.clear()


class MemoryStore:
    """A side's in-memory database: schema, unit directory and definition, made once."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.states = rt.states = MemoryStates()  # the side's steps keep their workflows here
        self.database = Database(MEMORY_URL)
        _empty_schema(self.database)
        with UnitOfWork(self.database) as uow:
            sync_units(uow.session, rt.region)
            uow.commit()
        versions.ensure_current(self.database, rt)  # the side's version, deployed as the files at start-up

    def case(self) -> "ScratchCase":
        """A fresh case on this store (use as a context manager: leaving it rolls it back)."""
        return ScratchCase(self)

    def close(self) -> None:
        """Drop the database."""
        self.database.engine.dispose()


class ScratchCase:
    """One replayed case: its steps on the side's store, in one transaction rolled back at the end."""

    def __init__(self, store: MemoryStore) -> None:
        self.store, self.rt = store, store.rt
        self.uow = ScratchUnitOfWork(store.database)
        self.row: Case | None = None
        self.proposal: Proposal | None = None
        self.workflow: Any = None  # the case's BpmnWorkflow, once submitted
        self.people: dict[str, User] = {}  # username -> User (those the case acted as)
        self.rows: list[OpenTask] = []  # the open-task rows last read

    def __enter__(self) -> "ScratchCase":
        self.uow.__enter__()
        # held for the case: the session's identity map keeps only what someone holds, and every
        # step reads the case's definition (its files are large) and the units' names
        self.held = list(self.session.scalars(select(Unit))) + list(self.session.scalars(select(ProcessDefinition)))
        # the case's steps are one transaction whose accounts change only where `person` changes
        # them: the people a task is told to are read once, as for a batch (engine/workflow/batch_cache.py)
        batch_cache.start(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        session = self.uow.session
        counters = {c.name: c.value for c in session.scalars(select(Counter))} if exc is None else {}
        self.uow.__exit__(exc_type, exc, tb)  # rolls the case back
        self.store.states.forget()
        if counters:
            with UnitOfWork(self.store.database) as uow:
                for name, value in counters.items():
                    uow.session.merge(Counter(name=name, value=value))
                uow.commit()

    @property
    def session(self) -> Session:
        """The case's session."""
        return self.uow.session

    def person(self, username: str, role: str, unit: str | None = None, stored: bool = False) -> User:
        """The account the case acts as for a task of `role` (made on first use; `stored`: also
        in the database, as co-signers must be)."""
        user = self.people.get(username)
        changed = False  # a stored account made or given a role: the people a task is told to are read again
        if user is None:
            user = self.people[username] = User(username=username, name=username, password_hash="", roles=role,
                                                unit_id=unit, active=True)
        elif role not in user.role_set:
            user.roles = f"{user.roles},{role}"
            changed = user in self.session
        if stored and user not in self.session:
            self.session.add(user)
            self.session.flush()
            changed = True
        if changed:
            batch_cache.start(self.session)
        return user

    # -- the steps --------------------------------------------------------------------
    def submit(self, user: User, fields: dict, cosigners: Iterable[str] = ()) -> None:
        """Submit the proposal (engine/services/cases.submit_proposal) and load its workflow."""
        for name in cosigners:
            self.person(name, "proposer", stored=True)
        self.proposal = proposal = cases.submit_proposal(self.uow, self.rt, user, fields)
        self.row = self.session.scalar(select(Case).where(Case.proposal_id == proposal.id,
                                                          Case.process == steps.PROPOSAL_PROCESS))
        self.workflow = self._step(None)[1]

    def complete(self, task: SpiffTask, meta: TaskMeta, user: User, fields: dict) -> None:
        """Complete a ready user task as `user` with validated form data."""
        step, workflow = self._step(user)
        step.had_open_task = True  # as complete_open_task: the case was stored with this open task
        before = dict(task.data)
        try:
            cases.complete_loaded(step, workflow, task, meta, fields)
        except InvalidForm:
            task.data.clear()  # refused before anything happened: as a rolled-back request left it
            task.data.update(before)
            raise
        self.uow.commit()

    def fire(self) -> None:
        """Fire the timers that are due (as the timer worker does)."""
        step, workflow = self._step(None)
        timers.fire_due(step, workflow)
        self.uow.commit()

    def _submitted(self) -> tuple[Case, Proposal]:
        """The case's row and its proposal (the case was submitted)."""
        if self.row is None or self.proposal is None:
            raise RuntimeError("the replayed case was not submitted")
        return self.row, self.proposal

    def _step(self, user: User | None) -> tuple[steps.Step, BpmnWorkflow]:
        """A step on the case as production makes one, and the case's workflow it loaded."""
        row, proposal = self._submitted()
        step = steps.Step(self.uow, self.rt, row, proposal, self.rt.bundle_of_case(self.session, row), user)
        self.workflow = step.load()
        return step, self.workflow

    # -- what the case holds -------------------------------------------------------------
    def open_tasks(self) -> list:
        """The case's open-task rows (held until the next call: a step that completes one of them
        finds it in the session, as production's step finds the row the request was checked on)."""
        self.rows = list(self.session.scalars(_OPEN_TASKS, {"case_id": self._submitted()[0].id}))
        return self.rows

    def next_timer(self) -> datetime | None:
        """When the case's next armed timer is due (aware), or None."""
        return self._submitted()[0].next_timer_at

    def completed(self) -> bool:
        """Whether the case has ended."""
        return bool(self.row is not None and self.row.completed)

    def overdue(self) -> list[dict]:
        """The overdue records of the proposal, in the replay report's form."""
        rows = self.session.scalars(select(OverdueRecord).where(OverdueRecord.proposal_id == self._submitted()[1].id)
                                    .order_by(OverdueRecord.id))
        return [{"kind": r.kind, "unit": r.unit_id, "holder": r.holder or r.holder_role, "lead_unit": r.lead_unit,
                 "due": r.due_at, "at": r.detected_at, "resolved": r.resolved_at} for r in rows]

    def events(self) -> list:
        """The proposal's event log, in order."""
        if self.proposal is None:
            return []
        return list(self.session.scalars(select(Event).where(Event.proposal_id == self.proposal.id)
                                         .order_by(Event.id)))


_OPEN_TASKS = select(OpenTask).where(OpenTask.case_id == bindparam("case_id"))  # built once
