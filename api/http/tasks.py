"""Tasks: the user's own task list, one task's form, completing it, and claiming it."""
from flask import Blueprint, Flask, jsonify, request

from api.http.auth import current_user
from api.http.common import json_body, runtime, unit_of_work
from engine.queries import records as queries, task_list
from engine.services import cases, claims

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


@bp.get("")
def my_tasks():
    """The open tasks the user may do, most urgent first (earliest due date)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        raw_id = request.args.get("proposal_id")  # checked against the document (api/http/contract.py)
        proposal_id = int(raw_id) if raw_id is not None else None
        return jsonify(task_list.list_tasks(
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
        data, version = body["data"], body.get("version")
        result = cases.complete_task(uow, runtime(), user, task_id, data, expected_version=version)
        return jsonify({**result, "next": queries.next_steps(uow.session, runtime(), user, result["proposal_id"])})


@bp.post("/<task_id>/claim")
def claim(task_id: str):
    """Claim a task of the user's pool: colleagues see who has it, only the claimer completes it."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        row = claims.claim(uow, user, task_id)
        return jsonify(task_list.task_item(uow.session, runtime(), row))


@bp.post("/<task_id>/release")
def release(task_id: str):
    """Give a claimed task back to the pool (the claimer)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        row = claims.release(uow, user, task_id)
        return jsonify(task_list.task_item(uow.session, runtime(), row))


@bp.post("/<task_id>/assign")
def assign(task_id: str):
    """The committee gives a task to another person who may do it (of the task's unit and role)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        row = claims.assign(uow, runtime(), user, task_id, json_body()["username"].strip())
        return jsonify(task_list.task_item(uow.session, runtime(), row))


def init_app(app: Flask) -> None:
    """Register the task routes."""
    app.register_blueprint(bp)
