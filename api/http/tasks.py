"""Tasks: the user's own task list, one task's form, completing it, and claiming it."""
from flask import Blueprint, Flask, jsonify, request

from engine.services import cases
from engine.services import claims
from engine.model import limits
from engine.queries import records as queries
from engine.model.errors import EngineError

from api.http.auth import current_user
from api.http.common import json_body, no_body, runtime, unit_of_work
from api.http.input_checks import query

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


@bp.get("")
@query("name", "stage", "proposal_id", "page", "per_page")
def my_tasks():
    """The open tasks the user may do, most urgent first (earliest due date)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        raw_id = request.args.get("proposal_id")
        proposal_id = limits.parse_id(raw_id) if raw_id is not None else None
        if raw_id is not None and proposal_id is None:
            raise EngineError("筛选条件不正确", errors=[{"field": "proposal_id", "message": "提案 ID 应为正整数"}])
        return jsonify(queries.list_tasks(
            uow.session, runtime(), user, name=request.args.get("name"), stage=request.args.get("stage"),
            proposal_id=proposal_id, page=page, per_page=per_page))


@bp.get("/<task_id>")
def detail(task_id: str):
    """One task with its form schema, prefill data and context."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(queries.task_detail(uow.session, runtime(), user, task_id))


@bp.post("/<task_id>/complete")
def complete(task_id: str):
    """Complete a task with form data; `version` guards against stale pages."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        body = json_body()
        data, version = body.get("data"), body.get("version")
        errors = []
        if not isinstance(data, dict):
            errors.append({"field": "data", "message": "应为表单数据对象"})
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            errors.append({"field": "version", "message": "应为整数"})
        if errors:
            raise EngineError("请求内容不完整", errors=errors)
        result = cases.complete_task(uow, runtime(), user, task_id, data, expected_version=version)
        return jsonify({**result, "next": queries.next_steps(uow.session, runtime(), user, result["proposal_id"])})


@bp.post("/<task_id>/claim")
def claim(task_id: str):
    """Claim a task of the user's pool: colleagues see who has it, only the claimer completes it."""
    no_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        row = claims.claim(uow, user, task_id)
        return jsonify(queries.task_item(uow.session, runtime(), row))


@bp.post("/<task_id>/release")
def release(task_id: str):
    """Give a claimed task back to the pool (the claimer)."""
    no_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        row = claims.release(uow, user, task_id)
        return jsonify(queries.task_item(uow.session, runtime(), row))


@bp.post("/<task_id>/assign")
def assign(task_id: str):
    """The committee gives a task to another person who may do it (of the task's unit and role)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        username = json_body().get("username")
        if not isinstance(username, str) or not username.strip():
            raise EngineError("请求内容不完整", errors=[{"field": "username", "message": "应为改派对象的用户名"}])
        row = claims.assign(uow, runtime(), user, task_id, username.strip())
        return jsonify(queries.task_item(uow.session, runtime(), row))


def init_app(app: Flask) -> None:
    """Register the task routes."""
    app.register_blueprint(bp)
