"""The HTTP API: a thin JSON layer over the engine's service functions.

`create_app` wires settings, database and runtime into a Flask app; each
module registers its routes or handlers through `init_app(app)`. It composes the
runtime, so it is where the service-task table is chosen (engine/workflow/service_tasks.py).

May import: every `engine` package, Flask. The entry points (`api.http`, `api.web`,
`api.cli`) are thin: no business rules, no SQL, no commits (docs/architecture.md).
"""
from dataclasses import replace

from flask import Flask

from engine.model.settings import Settings
from engine.adapters.db import Database, Limits
from engine.workflow import service_tasks
from engine.workflow.runtime import Runtime
from engine.model import clock
from engine.adapters import secret_key
from engine.definitions import versions
from engine.tooling.demo_clock import DemoClock

from api import web
from api.http import attachments
from api.http import contract
from api.http import auth
from api.http import definitions
from api.http import diagram_assets
from api.http import documents
from api.http import errors
from api.http import incidents
from api.http import input_checks
from api.http import notifications
from api.http import openapi
from api.http import plenary
from api.http import proposals
from api.http import publication
from api.http import security
from api.http import statistics
from api.http import supervision
from api.http import tasks


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
