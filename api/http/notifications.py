"""The user's own in-app messages: list them, and mark them read."""
from flask import Blueprint, Flask, jsonify, request

from engine.model import limits
from engine.queries import notifications as messages
from engine.services import notifications as notify
from engine.queries import records as queries
from engine.model.errors import EngineError

from api.http.auth import current_user
from api.http.common import json_body, unit_of_work
from api.http.input_checks import query

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")
_TRUE, _FALSE = {"1", "true"}, {"", "0", "false"}


@bp.get("")
@query("unread", "page", "per_page")
def my_notifications():
    """One page of the user's in-app messages, newest first (`unread=1`: unread only)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        unread = request.args.get("unread", "")
        if unread not in _TRUE | _FALSE:
            raise EngineError("筛选条件不正确", errors=[{"field": "unread", "message": "应为 1 或 0"}])
        return jsonify(messages.list_for(uow.session, user.username, unread_only=unread in _TRUE,
                                       page=page, per_page=per_page))


@bp.post("/read")
def read():
    """Mark the user's messages read: those in `ids`, or all of them without `ids`."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        body = json_body() if request.get_data() else {}
        ids = body.get("ids")
        if "ids" in body and (not isinstance(ids, list) or len(ids) > 1000 or any(
                not isinstance(i, int) or limits.parse_id(i) is None for i in ids)):
            raise EngineError("请求内容不正确", errors=[{"field": "ids", "message": "应为消息 ID（整数）的列表"}])
        marked = notify.mark_read(uow, user.username, ids)
        unread = messages.unread_count(uow.session, user.username)
        return jsonify({"marked": marked, "unread": unread})


def init_app(app: Flask) -> None:
    """Register the notification routes."""
    app.register_blueprint(bp)
