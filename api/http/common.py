"""Helpers every route module uses: the app's services and request parsing."""
from flask import current_app, request

from engine.adapters.db import Database, UnitOfWork
from engine.model.errors import EngineError
from engine.workflow.runtime import Runtime


def services() -> dict:
    """{"settings", "db", "runtime"} of the current app."""
    return current_app.extensions["cppcc"]


def runtime() -> Runtime:
    """The current app's runtime (parsed region, forms and diagrams)."""
    return services()["runtime"]


def unit_of_work() -> UnitOfWork:
    """A new unit of work on the current app's database."""
    database: Database = services()["db"]
    return UnitOfWork(database)


def json_body() -> dict:
    """The request body as a JSON object, or a 400 with a message for a person."""
    data = request.get_json(silent=True)
    if data is None:
        raise EngineError("请求体不是有效的 JSON")
    if not isinstance(data, dict):
        raise EngineError("请求体应为 JSON 对象")
    return data
