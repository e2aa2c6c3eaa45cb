"""Fixtures for engine tests: settings, database, runtime, directory and a walker.

The runtime (parsed diagrams and forms) is built once per session; each test
gets a fresh database, a copy of a template made once per process (tests/template_db.py). Set CPPCC_TEST_DATABASE_URL to run on
PostgreSQL instead of a temporary SQLite file. The drivers themselves are in
case_drivers.py.
"""
import os

import pytest
from case_drivers import DEPUTIES, UNITS, Walk

# Fixtures that several modules use, registered here for the whole folder (not imported
# into each module, where a test's parameter of the same name would shadow the import).
from test_notify import smtp_server as smtp_server
from test_timers import moving_clock as moving_clock

from engine.adapters.db import Database, UnitOfWork
from engine.model.settings import Settings
from engine.services.directory import add_user, sync_units
from engine.workflow.runtime import Runtime


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Settings of the test instance: CPPCC_TEST_DATABASE_URL or a temporary SQLite file, and
    uploads in a temporary folder (never the instance's own)."""
    url = os.environ.get("CPPCC_TEST_DATABASE_URL")
    folder = tmp_path_factory.mktemp("engine")
    if not url:
        url = f"sqlite:///{folder / 'engine.sqlite3'}"
    return Settings.from_env(database_url=url, upload_dir=folder / "uploads")


@pytest.fixture(scope="session")
def runtime(settings):
    """The parsed region, forms and diagrams, shared by every test."""
    return Runtime(settings)


@pytest.fixture
def database(settings, templates):
    """The test database with the newest schema and no rows, copied from a template for each test."""
    templates.copy(settings.database_url, "schema")
    db = Database(settings.database_url)
    yield db
    db.engine.dispose()


@pytest.fixture
def directory(database, runtime, templates):
    """Units of the region plus one account for every role a case needs (the test database
    is copied again, from a template that has them)."""
    database.engine.dispose()
    templates.copy(database.url, "engine directory", lambda db: _add_directory(db, runtime))
    return database


def _add_directory(database, runtime) -> None:
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


@pytest.fixture
def walk(directory, runtime):
    """A Walk over a database with the directory loaded."""
    return Walk(directory, runtime)


@pytest.fixture(scope="session")
def bundle(runtime):
    """The parsed current process definition."""
    return runtime.current
