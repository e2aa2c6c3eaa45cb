"""Replay runs the real engine: the same generated cases played through the live service layer
on a real database (the test database: SQLite, or PostgreSQL with CPPCC_TEST_DATABASE_URL) and
through replay's in-memory database leave the same event log, step for step.

Both runs are driven by the same schedule (engine.replay.run.CaseRun: who answers what, when,
and when timers fire); only where the steps run differs. `LiveCase` runs them as an instance
does: `submit_proposal`, `complete_task` and the timer worker's `fire_case`, each in its own
committed transaction, the case read back from its stored state every time.
"""

import pytest
from sqlalchemy import select

from engine import replay
from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import Case, Event, OpenTask, OverdueRecord, Proposal, User
from engine.replay.run import CaseRun
from engine.services import cases, timers
from engine.services.directory import sync_units
from engine.workflow import step as steps


class LiveCase:
    """Where CaseRun's steps run when they run on a real database through the live services."""

    def __init__(self, database, rt):
        self.db, self.rt = database, rt
        self.proposal_id = self.case_id = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def person(self, username, role, unit=None, stored=True) -> User:
        """The account `username`, made (or given `role`) in the database as needed."""
        with UnitOfWork(self.db) as uow:
            user = uow.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, name=username, password_hash="", roles=role, unit_id=unit, active=True)
                uow.session.add(user)
            elif role not in user.role_set:
                user.roles = f"{user.roles},{role}"
            uow.commit()
            return user

    def submit(self, user, fields, cosigners=()):
        for name in cosigners:
            self.person(name, "proposer")
        with UnitOfWork(self.db) as uow:
            proposal = cases.submit_proposal(uow, self.rt, uow.session.get(User, user.id), fields)
            self.proposal_id = proposal.id
            self.case_id = uow.session.scalar(select(Case.id).where(Case.proposal_id == proposal.id,
                                                                    Case.process == steps.PROPOSAL_PROCESS))

    def complete(self, task, meta, user, fields):
        sent = {k: v for k, v in fields.items() if v is not None}  # what a person sends: no empty fields
        with UnitOfWork(self.db) as uow:
            cases.complete_task(uow, self.rt, uow.session.get(User, user.id), str(task.id), sent)

    def fire(self):
        assert timers.fire_case(self.db, self.rt, self.case_id)

    @property
    def workflow(self):
        """The case's workflow, read from its stored state."""
        with UnitOfWork(self.db) as uow:
            case = uow.session.get(Case, self.case_id)
            step = steps.Step(uow, self.rt, case, uow.session.get(Proposal, self.proposal_id),
                              self.rt.bundle_of_case(uow.session, case), None)
            return step.load()

    @property
    def proposal(self):
        with UnitOfWork(self.db) as uow:
            return uow.session.get(Proposal, self.proposal_id)

    def open_tasks(self):
        with UnitOfWork(self.db) as uow:
            return list(uow.session.scalars(select(OpenTask).where(OpenTask.case_id == self.case_id)))

    def next_timer(self):
        with UnitOfWork(self.db) as uow:
            return uow.session.get(Case, self.case_id).next_timer_at

    def completed(self):
        with UnitOfWork(self.db) as uow:
            return uow.session.get(Case, self.case_id).completed

    def overdue(self):
        with UnitOfWork(self.db) as uow:
            return [{"kind": r.kind, "unit": r.unit_id, "resolved": r.resolved_at} for r in uow.session.scalars(
                select(OverdueRecord).where(OverdueRecord.proposal_id == self.proposal_id).order_by(OverdueRecord.id))]

    def events(self):
        with UnitOfWork(self.db) as uow:
            return list(uow.session.scalars(select(Event).where(Event.proposal_id == self.proposal_id)
                                            .order_by(Event.id)))


@pytest.fixture
def live(database, runtime):
    """The test database with the region's units and its deputy heads' accounts."""
    with UnitOfWork(database) as uow:
        sync_units(uow.session, runtime.region)
        for deputy in sorted({u["deputy"] for u in runtime.region.units if u.get("deputy")}):
            uow.session.add(User(username=deputy, name=deputy, password_hash="", roles="deputy_head", active=True))
        uow.commit()
    return database


def test_generated_cases_leave_the_same_event_log_live_and_in_replay(live, runtime):
    side = replay.baseline_side(runtime)
    known = set(side.bundle.user_tasks)
    year = replay.generate_year(runtime.region, 10, 2026, "live")
    previous = clock.current()
    clock.use(clock.MovableClock())
    compared, kinds = 0, set()
    try:
        for case in year:
            replayed = CaseRun(side, case, case.answers(side.forms, known))
            in_memory = replayed.run()
            production = CaseRun(side, case, case.answers(side.forms, known), on=LiveCase(live, runtime))
            in_service = production.run()
            assert in_memory["error"] is None and in_service["error"] is None, case.id
            compared += len(replayed.events)
            kinds.update(kind for kind, *_ in replayed.events)
            for n, (mine, theirs) in enumerate(zip(replayed.events, production.events, strict=False)):
                assert mine == theirs, f"{case.id}: event {n} differs"
            assert len(replayed.events) == len(production.events), case.id
            for key in ("state", "status", "reply_class", "satisfaction", "tasks"):
                assert in_memory[key] == in_service[key], (case.id, key)
            assert [(o["kind"], o["unit"], o["resolved"]) for o in in_memory["overdue"]] == [
                (o["kind"], o["unit"], o["resolved"]) for o in in_service["overdue"]], case.id
    finally:
        clock.use(previous)
    assert compared > 15 * len(year)
    assert {"submitted", "task_completed", "status_changed", "timer", "reminder", "overdue", "milestone"} <= kinds


def test_a_replay_writes_nothing_to_any_database_and_puts_the_clock_back(database, runtime):
    before = clock.current()
    side = replay.baseline_side(runtime)
    report = replay.replay(replay.generate_year(runtime.region, 3, 2026, "none"), side, side)
    assert report["errors"] == [] and report["sides"]["baseline"]["tasks"] > 0
    assert clock.current() is before
    with UnitOfWork(database) as uow:
        assert uow.session.scalars(select(Proposal)).all() == []
        assert uow.session.scalars(select(Event)).all() == []
    assert side.store.database.url == "sqlite://"  # the side's own in-memory database
    with UnitOfWork(side.store.database) as uow:  # every case rolled back there too
        assert uow.session.scalars(select(Proposal)).all() == []


def test_the_replay_uses_the_engine_s_own_services():
    """Nothing of the step machinery is written again in engine/replay."""
    import inspect

    from engine.replay import memory, run

    source = inspect.getsource(run) + inspect.getsource(memory)
    for name in ("do_engine_steps", "late_parties", "task_index", "resolves", "refresh_timers", "OverdueRecord("):
        assert name not in source, name
    assert "complete_loaded" in source and "fire_due" in source and "submit_proposal" in source


def test_a_replay_side_keeps_its_cases_workflows_in_memory_and_an_instance_in_the_row(runtime):
    """The one difference from production is where the step stores the workflow (Runtime.states)."""
    from engine.replay.memory import MemoryStates
    from engine.workflow import state

    side = replay.baseline_side(runtime)
    assert isinstance(side.store.states, MemoryStates) and side.rt.states is side.store.states
    assert runtime.states is state.IN_ROW  # the instance's runtime is not the side's
    report = replay.replay(replay.generate_year(runtime.region, 2, 2026, "states"), side, side)
    assert report["errors"] == [] and report["sides"]["baseline"]["tasks"] > 0
    assert side.store.states.workflows == {}  # each case's workflow is dropped with the case
