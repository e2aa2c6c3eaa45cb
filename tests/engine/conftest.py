"""Fixtures for engine tests: settings, database, runtime, directory and a walker.

The runtime (parsed diagrams and forms) is built once per session; each test
gets a freshly emptied database. Set CPPCC_TEST_DATABASE_URL to run on
PostgreSQL instead of a temporary SQLite file.
"""
import os

import pytest
from sqlalchemy import func, select

from engine import cases
from engine.config import Settings
from engine.db import Database, UnitOfWork
from engine.directory import add_user, sync_units
from engine.models import Case, Event, OpenTask, Proposal, User
from engine.runtime import Runtime

UNITS = ("fgw", "jw", "kw")
DEPUTIES = ("deputy_zhao", "deputy_qian", "deputy_sun")
PROPOSAL = {"title": "关于加强停车管理的建议", "category": "urban",
            "body": "停车难问题日益突出，需要综合治理。", "suggestions": "建设立体停车库"}


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Settings of the test instance: CPPCC_TEST_DATABASE_URL or a temporary SQLite file."""
    url = os.environ.get("CPPCC_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('engine') / 'engine.sqlite3'}"
    return Settings.from_env(database_url=url)


@pytest.fixture(scope="session")
def runtime(settings):
    """The parsed region, forms and diagrams, shared by every test."""
    return Runtime(settings)


@pytest.fixture
def database(settings):
    """The test database with an empty schema, dropped and re-created for each test."""
    db = Database(settings.database_url)
    db.drop_schema()
    db.create_schema()
    yield db
    db.engine.dispose()


@pytest.fixture
def directory(database, runtime):
    """Units of the region plus one account for every role a case needs."""
    with UnitOfWork(database) as uow:
        session = uow.session
        sync_units(session, runtime.region)
        add_user(session, "wy", "陈委员", "pw", ["proposer"])
        add_user(session, "tw", "提案委", "pw", ["committee"])
        add_user(session, "dcs", "督查室", "pw", ["supervisor"])
        add_user(session, "zfb", "政府办", "pw", ["gov_office"])
        for deputy in DEPUTIES:
            add_user(session, deputy, deputy, "pw", ["deputy_head"])
        for unit in UNITS:
            add_user(session, f"{unit}_clerk", f"{unit}经办人", "pw", ["unit_clerk"], unit)
            add_user(session, f"{unit}_head", f"{unit}负责人", "pw", ["unit_head"], unit)
        uow.commit()
    return database


class Walk:
    """Drives cases through the service layer as the people who own each task."""

    def __init__(self, database: Database, runtime: Runtime):
        self.db, self.rt = database, runtime
        self.user_tasks = 0  # user tasks completed through do()

    def user(self, session, username: str) -> User:
        """The account `username` in `session`."""
        return session.scalar(select(User).where(User.username == username))

    def submit(self, username: str = "wy", **fields) -> int:
        """Submit a proposal as `username`; return its id."""
        with UnitOfWork(self.db) as uow:
            proposal = cases.submit_proposal(uow, self.rt, self.user(uow.session, username), {**PROPOSAL, **fields})
            return proposal.id

    def open_tasks(self) -> list[str]:
        """Names of all open tasks, sorted."""
        with UnitOfWork(self.db) as uow:
            return sorted(uow.session.scalars(select(OpenTask.name)))

    def do(self, task_name: str, username: str, data: dict) -> dict:
        """Complete the open task `task_name` that `username` may do, with form data."""
        with UnitOfWork(self.db) as uow:
            user = self.user(uow.session, username)
            rows = uow.session.scalars(select(OpenTask).where(OpenTask.name == task_name).order_by(OpenTask.id))
            row = next((t for t in rows if cases.may_do(user, t)), None)
            assert row is not None, f"{username} has no open task {task_name}; open: {self.open_tasks()}"
            result = cases.complete_task(uow, self.rt, user, row.id, data)
        self.user_tasks += 1
        return result

    def case(self, proposal_id: int) -> Case:
        """The case row of a proposal (detached, readable)."""
        with UnitOfWork(self.db) as uow:
            return uow.session.scalar(select(Case).where(Case.proposal_id == proposal_id))

    def proposal(self, proposal_id: int) -> Proposal:
        """The proposal row (detached, readable)."""
        with UnitOfWork(self.db) as uow:
            return uow.session.get(Proposal, proposal_id)

    def events(self, proposal_id: int, kind: str) -> int:
        """How many events of `kind` a proposal has."""
        with UnitOfWork(self.db) as uow:
            return uow.session.scalar(select(func.count()).select_from(Event).where(
                Event.proposal_id == proposal_id, Event.kind == kind))


@pytest.fixture
def walk(directory, runtime):
    """A Walk over a database with the directory loaded."""
    return Walk(directory, runtime)
