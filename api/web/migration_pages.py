"""The migration page of the process designers (迁移运行中的案件): a dry run of every
running case against a version, then one button that moves those that can.

engine/services/case_migration.py decides; only process designers may use it.
"""
from flask import Blueprint, render_template, request

from api.http.common import runtime, services
from engine.definitions import versions
from engine.model.errors import EngineError
from engine.services import case_migration as migration

from .guard import protect
from .session import acting

bp = protect(Blueprint("migrations", __name__))


@bp.route("/designer/migrations", methods=["GET", "POST"])
def migrations():
    """GET: the dry run (?to= a version, default the current one). POST: move every case that can."""
    target = (request.values.get("to") or "").strip() or None
    with acting() as (uow, user):
        versions.require_designer(user)
        username = user.username
        known = versions.list_versions(uow.session, runtime())
    result, message = None, None
    try:
        if request.method == "POST":
            result = migration.migrate(services()["db"], runtime(), target, by=username)
        target_hash, checks = migration.plan(services()["db"], runtime(), target)
    except EngineError as err:
        if err.status != 404:
            raise
        message, target_hash, checks = err.message, None, []
    return render_template("migrations.html", versions=known, target=target_hash, checks=checks, result=result,
                           message=message, movable=sum(c.movable for c in checks)), (404 if message else 200)
