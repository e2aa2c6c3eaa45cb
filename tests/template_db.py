"""Test databases copied from templates made once per test process, and runtimes parsed once.

Running the alembic migrations and seeding the accounts for every test was most of the
suite's time (about a second each on SQLite, two on PostgreSQL); parsing the region, forms
and diagrams for every app as much again. Here each process (each pytest-xdist worker)
makes a template once per kind of content (the newest schema, then what a builder adds:
the accounts of a folder's fixtures, a world of proposals) and every test gets a copy:

- SQLite: the template is a file; the test's file is overwritten with SQLite's backup API
  (a proper write transaction, so a connection the previous test left open sees the copy).
- PostgreSQL: the template is a database of its own on the same server
  (<test database>_tpl<n>); the test's database is dropped (WITH (FORCE): connections a
  test left open are ended) and re-created from it with CREATE DATABASE ... TEMPLATE,
  which measured about twice as fast as dropping and migrating the schema.

A copy is the same bytes the builder wrote, so a test sees exactly what a freshly built
database would hold.
"""
import copy
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.adapters.db import Database, Limits, UnitOfWork
from engine.model import clock
from engine.tooling.demo import seed_people
from engine.workflow import service_tasks
from engine.workflow.runtime import Runtime


class Templates:
    """The templates of this process: made on first use, copied for every test."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._made: dict = {}  # key -> (template URL, what the builder returned)
        self._admin = {}  # PostgreSQL server URL -> an AUTOCOMMIT engine on its `postgres` database

    def copy(self, url: str, key, build=None):
        """Make the database at `url` a copy of template `key` (the newest schema, then what
        `build(database)` adds, made once); return what `build` returned."""
        if key not in self._made:
            self._made[key] = self._make(url, key, build)
        template, value = self._made[key]
        if url.startswith("sqlite"):
            _sqlite_copy(_sqlite_path(template), _sqlite_path(url))
        else:
            self._pg_recreate(url, template)
        return value

    def database(self, url: str, key, build=None) -> Database:
        """A Database on `url` holding a copy of template `key` (see `copy`)."""
        self.copy(url, key, build)
        return Database(url)

    def _make(self, url: str, key, build):
        n = len(self._made)
        if url.startswith("sqlite"):
            template = f"sqlite:///{self.folder / f'template{n}.db'}"
        else:
            base = make_url(url)
            template = base.set(database=f"{base.database}_tpl{n}").render_as_string(hide_password=False)
            self._pg_recreate(template, None)
        database = Database(template)
        try:
            database.create_schema()
            value = build(database) if build else None
        finally:
            database.engine.dispose()
        return template, value

    def _pg_recreate(self, url: str, template: str | None) -> None:
        """Drop the database of `url` and create it again, empty or from `template`."""
        target = make_url(url)
        server = target.set(database="postgres").render_as_string(hide_password=False)
        admin = self._admin.get(server)
        if admin is None:
            admin = self._admin[server] = create_engine(server, isolation_level="AUTOCOMMIT")
        source = f' TEMPLATE "{make_url(template).database}"' if template else ""
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"{source}'))

    def close(self) -> None:
        for admin in self._admin.values():
            admin.dispose()


def people_database(templates: "Templates", settings, runtime: Runtime) -> Database:
    """The test database of `settings`: the newest schema with the region's units and the demo
    people (no proposals), copied from a template made once per region folder."""
    def seed(db):
        with UnitOfWork(db) as uow:
            seed_people(uow.session, runtime)
            uow.commit()

    templates.copy(settings.database_url, ("demo people", str(settings.region_dir)), seed)
    return Database(settings.database_url, limits=Limits.of(settings))


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[-1]


def _sqlite_copy(source: str, target: str) -> None:
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target, timeout=15)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


class Runtimes:
    """Runtimes parsed once per process for each region, forms and diagrams folder."""

    def __init__(self):
        self._parsed: dict = {}

    def get(self, settings) -> Runtime:
        """A runtime for `settings`, as `Runtime(settings)` would make it: a copy of the one
        parsed for the same folders and expression limits (everything a Runtime reads from its
        settings when it is made), carrying `settings` itself and no stored version yet."""
        key = (str(settings.processes_dir), str(settings.forms_dir), str(settings.region_dir),
               settings.expression_seconds, settings.expression_max_size)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parsed[key] = Runtime(settings, service_tasks=service_tasks.standard())
        rt = copy.copy(parsed)
        rt.settings = settings
        rt.files_registered = False
        rt.current = rt.files_bundle
        rt._bundles = {rt.files_bundle.hash: rt.files_bundle}
        clock.use(clock.current())  # as Runtime() does: SpiffWorkflow's timers read the engine's clock
        return rt
