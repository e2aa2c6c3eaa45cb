"""The HTTP API: a thin JSON layer over the engine's service functions.

`create_app` wires settings, database and runtime into a Flask app; each
module registers its routes or handlers through `init_app(app)`. It composes the
runtime, so it is where the service-task table is chosen (engine/workflow/service_tasks.py).

May import: every `engine` package, Flask. The entry points (`api.http`, `api.web`,
`api.cli`) are thin: no business rules, no SQL, no commits (docs/architecture.md).
"""
from dataclasses import replace

from flask import Flask

from api import web
from api.http import (
    attachments,
    auth,
    contract,
    definitions,
    diagram_assets,
    documents,
    errors,
    incidents,
    input_checks,
    notifications,
    openapi,
    plenary,
    proposals,
    publication,
    security,
    statistics,
    supervision,
    tasks,
)
from engine.adapters import secret_key
from engine.adapters.db import Database, Limits
from engine.definitions import versions
from engine.model import clock
from engine.model.settings import Settings
from engine.tooling.demo_clock import DemoClock
from engine.workflow import service_tasks
from engine.workflow.runtime import Runtime


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               database: Database | None = None, demo: bool = False) -> Flask:
    """Build the app: settings from the environment unless given, the signing key
    resolved (engine/adapters/secret_key.py), schema created.

    `demo` (`cppcc serve --demo`): a random signing key is kept in the instance folder, and
    the process runs on the demo's clock, the one `cppcc run-timers --at` moves, read from
    the database at every request."""
    settings = settings or Settings.from_env()
    settings = replace(settings, secret_key=secret_key.resolve(settings, demo=demo))
    database = database or Database(settings.database_url, limits=Limits.of(settings))
    runtime = runtime or Runtime(settings, service_tasks=service_tasks.standard())  # what the diagrams may call
    database.create_schema()
    versions.ensure_current(database, runtime)
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["cppcc"] = {"settings": settings, "db": database, "runtime": runtime}
    if demo:
        clock.use(DemoClock(database))
        clock.sync()
        app.before_request(clock.sync)
    for module in (security, input_checks, contract, errors, auth, proposals, tasks, attachments, supervision,
                   statistics, incidents, notifications, plenary, definitions, diagram_assets, documents,
                   publication, openapi, web):
        module.init_app(app)
    return app
