"""Stalled cases (异常案件) for the committee: cases that would never move on by themselves."""
from flask import Blueprint, Flask, jsonify, request

from api.http.auth import current_user
from api.http.common import unit_of_work
from engine.queries import records as queries
from engine.workflow import incidents

bp = Blueprint("incidents_api", __name__, url_prefix="/api")


@bp.get("/incidents")
def listing():
    """The stalled cases not yet resolved (?resolved=1: the resolved ones too), newest first."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        resolved = request.args.get("resolved") in ("1", "true")
        return jsonify(incidents.list_incidents(uow.session, user, resolved=resolved, page=page, per_page=per_page))


def init_app(app: Flask) -> None:
    """Register the route."""
    app.register_blueprint(bp)
