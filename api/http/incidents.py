"""Stalled cases (异常案件) for the committee: cases that would never move on by themselves."""
from flask import Blueprint, Flask, jsonify, request

from engine.workflow import incidents
from engine.queries import records as queries
from engine.model.errors import EngineError

from api.http.auth import current_user
from api.http.common import unit_of_work
from api.http.input_checks import query

bp = Blueprint("incidents_api", __name__, url_prefix="/api")


@bp.get("/incidents")
@query("resolved", "page", "per_page")
def listing():
    """The stalled cases not yet resolved (?resolved=1: the resolved ones too), newest first."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        flag = (request.args.get("resolved") or "").strip().lower()
        if flag not in ("", "0", "1", "true", "false"):
            raise EngineError("筛选条件不正确", errors=[{"field": "resolved", "message": "应为 1 或 0"}])
        resolved = flag in ("1", "true")
        return jsonify(incidents.list_incidents(uow.session, user, resolved=resolved, page=page, per_page=per_page))


def init_app(app: Flask) -> None:
    """Register the route."""
    app.register_blueprint(bp)
