"""Proposals: submit, search, and one proposal's full record."""
from flask import Blueprint, Flask, jsonify, request

from api.http import plenary
from api.http.auth import current_user
from api.http.common import json_body, runtime, unit_of_work
from engine.model.errors import EngineError
from engine.queries import records as queries
from engine.services import cases, extensions

bp = Blueprint("proposals", __name__, url_prefix="/api/proposals")


@bp.post("")
def submit():
    """Submit a new proposal as the logged-in proposer."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        proposal = cases.submit_proposal(uow, runtime(), user, json_body())
        return jsonify(queries.proposal_summary(uow.session, runtime(), proposal.id)), 201


@bp.get("")
def search():
    """The proposals the user may see, filtered and paged; ?format=xlsx: all of them as Excel."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        filters = {k: v for k, v in request.args.lists() if k not in ("page", "per_page", "format")}
        fmt = request.args.get("format") or "json"
        if fmt not in ("json", "xlsx"):
            raise EngineError("导出格式不正确", errors=[{"field": "format", "message": "格式应为 json 或 xlsx"}])
        if fmt == "xlsx":
            return plenary.export_response(uow.session, user, filters)
        return jsonify(queries.list_proposals(uow.session, runtime(), user, filters, page, per_page))


@bp.get("/<int:proposal_id>")
def detail(proposal_id: int):
    """One proposal with its people, units, timeline and open tasks."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(queries.proposal_detail(uow.session, runtime(), user, proposal_id))


@bp.post("/<int:proposal_id>/extensions")
def request_extension(proposal_id: int):
    """A lead unit asks to extend its reply deadline."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(extensions.request_extension(uow, runtime(), user, proposal_id, json_body())), 201


def init_app(app: Flask) -> None:
    """Register the proposal routes."""
    app.register_blueprint(bp)
