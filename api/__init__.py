"""The HTTP API: a thin JSON layer over the engine's service functions.

`create_app` wires settings, database and runtime into a Flask app; each
module registers its routes or handlers through `init_app(app)`.
"""
from dataclasses import replace

from flask import Flask

from engine.model.settings import Settings
from engine.adapters.db import Database, Limits
from engine.workflow.runtime import Runtime
from engine.model import clock
from engine.adapters import secret_key
from engine.definitions import versions
from engine.tooling.demo_clock import DemoClock

from api import web
from api.http import attachments
from api.http import auth
from api.http import definitions
from api.http import diagram_assets
from api.http import errors
from api.http import incidents
from api.http import input_checks
from api.http import notifications
from api.http import openapi
from api.http import proposals
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
    runtime = runtime or Runtime(settings)
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
    for module in (security, input_checks, errors, auth, proposals, tasks, attachments, supervision, statistics, incidents,
                   notifications, definitions, diagram_assets, openapi, web):
        module.init_app(app)
    return app
