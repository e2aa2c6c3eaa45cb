"""Shared test settings: which database the suite runs on, and cheap password hashing.

Set CPPCC_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)
to run every database test on PostgreSQL instead of a temporary SQLite file; with
parallel workers (bin/test runs pytest-xdist) each worker uses a database of its own.
"""
import os
import secrets

import pytest

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
# The suite's servers sign with one random key of this run (commands it starts inherit it);
# tests of what happens without a key remove it.
os.environ.setdefault("CPPCC_SECRET_KEY", secrets.token_urlsafe(48))



def _own_database_per_worker() -> None:
    """Under pytest-xdist every worker drops and re-creates the schema of its test database,
    so on PostgreSQL each worker gets a database of its own (<name>_gw0, <name>_gw1, ...),
    made on the same server if missing. Set before any test reads the URL; the servers and
    commands the tests start inherit it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("CPPCC_TEST_DATABASE_URL", "")
    if not worker or not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["CPPCC_TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


_own_database_per_worker()

import compiled_once  # noqa: E402
from template_db import Runtimes, Templates, people_database  # noqa: E402

from api import create_app  # noqa: E402  (after the hash setting above)
from engine.model.settings import Settings  # noqa: E402

compiled_once.install()  # URL rules and templates compiled once per process, not per app (tests/compiled_once.py)

# The fixture chain: settings -> runtime -> database -> app -> client. A folder's conftest
# replaces a link (tests/api: settings and accounts of its own; tests/engine: no app).

@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """This process's template databases (tests/template_db.py)."""
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.close()


@pytest.fixture(scope="session")
def runtimes():
    """Runtimes parsed once per process, per region (tests/template_db.py)."""
    return Runtimes()


@pytest.fixture
def region():
    """The region code the app runs (None: CPPCC_REGION, else default); a folder's
    conftest may parametrize it (tests/scenarios runs every region)."""
    return None


@pytest.fixture
def settings(tmp_path, region):
    """Settings on the test database, uploads under tmp_path."""
    url = os.environ.get("CPPCC_TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/scenario.db"
    return Settings.from_env(database_url=url, upload_dir=tmp_path / "uploads", region=region)


@pytest.fixture
def runtime(settings, runtimes):
    """The region, forms and diagrams of `settings` (parsed once per process)."""
    return runtimes.get(settings)


@pytest.fixture
def database(settings, runtime, templates):
    """The test database: the newest schema with the region's units and the demo people
    (no proposals), copied from a template."""
    db = people_database(templates, settings, runtime)
    yield db
    db.engine.dispose()


@pytest.fixture
def app(settings, runtime, database):
    """The app on the test database."""
    return create_app(settings, runtime=runtime, database=database)


@pytest.fixture
def client(app):
    """A test client of the app (no one logged in)."""
    return app.test_client()


@pytest.fixture(autouse=True)
def task_lookup_checked(monkeypatch):
    """Every test that runs a case checks CaseWorkflow's table lookup against SpiffWorkflow's own
    walk of the tree, call by call (engine/workflow/case_workflow.py): the same tasks in the
    same order, or the test fails where they part."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from engine.workflow.case_workflow import CaseWorkflow
    fast = CaseWorkflow.get_tasks

    def checked(self, first_task=None, **kwargs):
        found = fast(self, first_task, **kwargs)
        walked = BpmnWorkflow.get_tasks(self, first_task, **kwargs)
        assert [t.id for t in found] == [t.id for t in walked], f"CaseWorkflow.get_tasks{kwargs} differs from the walk"
        return found

    monkeypatch.setattr(CaseWorkflow, "get_tasks", checked)
