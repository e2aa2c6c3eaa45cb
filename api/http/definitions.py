"""Definition versions over HTTP: list, read, validate, deploy; migration dry run and bulk move.

Process designers (role `designer`) validate, deploy and migrate; the committee
may read the versions. engine/definitions/versions.py and engine/services/case_migration.py decide.
"""
from flask import Blueprint, Flask, jsonify, request, url_for

from api.http.auth import current_user
from api.http.common import json_body, runtime, services, unit_of_work
from api.http.input_checks import takes_files
from engine.definitions import versions
from engine.model.errors import EngineError
from engine.services import case_migration as migration, deployment

bp = Blueprint("definitions_api", __name__, url_prefix="/api")


@bp.get("/definitions")
def list_definitions():
    """Every stored version, newest first, with its deployments and case counts."""
    with unit_of_work() as uow:
        versions.require_designer(current_user(uow.session), read_only=True)
        rows = versions.list_versions(uow.session, runtime())
    return jsonify({"versions": rows})


@bp.get("/definitions/<version:version>")
def get_definition(version: str):
    """One version with its files' text (the hash or a prefix of 6+ characters)."""
    with unit_of_work() as uow:
        versions.require_designer(current_user(uow.session), read_only=True)
        row = versions.find_version(uow.session, version)
        current = versions.current_definition(uow.session, runtime())
        return jsonify({"hash": row.hash, "current": row.id == current.id, "files": row.files})


@bp.post("/definitions/validate")
@takes_files
def validate_definition():
    """Check `files` (replacing or adding to the current version's) and `removed` as a
    deployment would; 200 {valid, hash, changes} or 422 with every problem."""
    with unit_of_work() as uow:
        versions.require_designer(current_user(uow.session))
        files, changes = _candidate(uow.session)
        bundle = versions.validate(runtime(), files)
    return jsonify({"valid": True, "hash": bundle.hash, "changes": changes})


@bp.post("/definitions")
@takes_files
def deploy_definition():
    """Validate and deploy: 201 with the new current version; 200 and nothing deployed when the
    files are the current version's; 409 when `base` is stale; 422 and nothing written."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        versions.require_designer(user)
        files, removed = _changes(body)
        outcome = deployment.deploy_change(uow, runtime(), user, files, removed, base=body.get("base") or None,
                                           note=body.get("note", ""), source="api")
    if not outcome.deployed:
        return jsonify({"hash": outcome.hash, "deployed": False, "changes": {},
                        "message": deployment.NO_CHANGE_MESSAGE})
    response = jsonify({"hash": outcome.hash, "created": outcome.created, "changes": outcome.changes,
                        "deployment_id": outcome.deployment_id})
    response.status_code = 201
    response.headers["Location"] = url_for("definitions_api.get_definition", version=outcome.hash)
    return response


@bp.get("/migrations")
def migration_plan():
    """Dry run: every running case not on ?to= (default: the current version), movable or why not."""
    with unit_of_work() as uow:
        versions.require_designer(current_user(uow.session))
    target, checks = migration.plan(services()["db"], runtime(), request.args.get("to") or None)
    return jsonify({"to": target, "dry_run": True, "cases": [c.as_dict() for c in checks]})


@bp.post("/migrations")
def migrate_cases():
    """Move every running case that can to {to?} (only {case_ids?} if given); each move is logged."""
    body = json_body() if request.get_data() else {}  # the body is optional
    with unit_of_work() as uow:
        user = current_user(uow.session)
        versions.require_designer(user)
        username = user.username
    result = migration.migrate(services()["db"], runtime(), body.get("to") or None, by=username,
                               case_ids=body.get("case_ids"))
    return jsonify({"to": result["to"], **{k: [c.as_dict() for c in result[k]] for k in ("moved", "skipped", "failed")}})


def _changes(body=None):
    body = body if body is not None else json_body()
    files, removed = body.get("files", {}), body.get("removed", [])  # shapes checked by api/http/contract.py
    if not files and not removed:
        raise EngineError("没有要部署的改动：请在 files 中给出修改后的文件", errors=[{"field": "files", "message": "不能为空"}])
    return files, removed


def _candidate(session, body=None):
    files, removed = _changes(body)
    merged = versions.merged_files(session, runtime(), files, removed)
    return merged, versions.changed_files(versions.current_definition(session, runtime()).files, merged)


def init_app(app: Flask) -> None:
    """Register the definition and migration routes."""
    app.register_blueprint(bp)
