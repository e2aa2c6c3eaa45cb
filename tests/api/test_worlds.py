"""The world the API tests start from is built through the service layer (tests/worlds.py);
here, once, it is built both ways — through the HTTP API, as people do, and through the
commands the API calls — and the two databases must hold the same world.

Both are built at one standing clock, so every time the engine writes is the same; the
random ids of workflow tasks are replaced by the order they first appear in. Not compared:
what only logging in writes (login sessions), the salted password hashes, and the cases'
serialized workflow state (it holds the tasks' random ids; what it decides — open tasks,
events, versions — is compared row by row).
"""
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from conftest import Api
from sqlalchemy import select
from worlds import Services, api_world, seed_people

from api import create_app
from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.tables import Base

SKIPPED_TABLES = {"login_sessions", "login_failures"}  # written by logging in, which the service world skips
SKIPPED_COLUMNS = {"users": {"password_hash"}, "cases": {"state"}}  # salted; task ids inside
ORDER = {"open_tasks": ("proposal_id", "name", "unit_id", "role", "created_at")}  # uuid keys: a stable order
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def standing():
    """The engine's clock standing at one moment (a China working morning) for both builds."""
    before = clock.current()
    clock.use(clock.MovableClock(datetime(2026, 11, 3, 2, 0, tzinfo=UTC)))
    yield
    clock.use(before)


def contents(database: Database) -> tuple[dict, dict]:
    """Every compared table's rows in a stable order, task ids renamed by first appearance;
    and the renaming (task id: name)."""
    names: dict[str, str] = {}

    def rename(value):
        if isinstance(value, str):
            return UUID.sub(lambda m: names.setdefault(m.group(0), f"task-{len(names)}"), value)
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    found = {}
    with UnitOfWork(database) as uow:
        for table in Base.metadata.sorted_tables:
            if table.name in SKIPPED_TABLES:
                continue
            columns = [c for c in table.columns if c.name not in SKIPPED_COLUMNS.get(table.name, ())]
            order = [table.c[name] for name in ORDER.get(table.name, ())] or list(table.primary_key.columns)
            rows = uow.session.execute(select(*columns).order_by(*order)).all()
            found[table.name] = [{c.name: rename(value) for c, value in zip(columns, row, strict=True)}
                                 for row in rows]
    return found, names


def test_the_service_world_is_the_world_walked_through_http(settings, runtimes, templates, standing, tmp_path):
    if settings.database_url.startswith("sqlite"):
        urls = [f"sqlite:///{tmp_path}/http.db", f"sqlite:///{tmp_path}/services.db"]
    else:
        urls = [f"{settings.database_url}_http", f"{settings.database_url}_services"]
    built, worlds = [], []
    for url, way in zip(urls, ("http", "services"), strict=True):
        templates.copy(url, "schema")
        database = Database(url)
        try:
            runtime = runtimes.get(replace(settings, database_url=url))
            seed_people(database, runtime)
            if way == "http":
                driver = Api(create_app(replace(settings, database_url=url), runtime=runtime, database=database))
            else:
                driver = Services(database, runtime)
            worlds.append(api_world(driver))
            built.append(contents(database))
        finally:
            database.engine.dispose()
    (http, http_names), (services, service_names) = built
    assert http["proposals"] and http["open_tasks"] and http["events"]  # a world, not two empty databases
    assert sorted(r["name"] for r in http["open_tasks"]) == [
        "assist_opinion", "consultation", "cosigner_confirm", "review"]
    for table in http:
        assert services[table] == http[table], f"{table} differs"
    # the same proposals, and each task of the world names the same open task in its own database
    by_way = [{k: v for k, v in w.items() if k != "tasks"} for w in worlds]
    assert by_way[0] == by_way[1]
    assert {k: http_names.get(v) for k, v in worlds[0]["tasks"].items()} == \
        {k: service_names.get(v) for k, v in worlds[1]["tasks"].items()}
