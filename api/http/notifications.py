"""The user's own in-app messages: list them, and mark them read."""
from flask import Blueprint, Flask, jsonify, request

from api.http.auth import current_user
from api.http.common import json_body, unit_of_work
from engine.queries import notifications as messages, records as queries
from engine.services import notifications as notify

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")
_TRUE = {"1", "true"}


@bp.get("")
def my_notifications():
    """One page of the user's in-app messages, newest first (`unread=1`: unread only)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        page, per_page = queries.paging(request.args.get("page"), request.args.get("per_page"))
        unread = request.args.get("unread", "") in _TRUE
        return jsonify(messages.list_for(uow.session, user.username, unread_only=unread,
                                       page=page, per_page=per_page))


@bp.post("/read")
def read():
    """Mark the user's messages read: those in `ids`, or all of them without `ids`."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        ids = (json_body() if request.get_data() else {}).get("ids")  # the body is optional
        marked = notify.mark_read(uow, user.username, ids)
        unread = messages.unread_count(uow.session, user.username)
        return jsonify({"marked": marked, "unread": unread})


def init_app(app: Flask) -> None:
    """Register the notification routes."""
    app.register_blueprint(bp)
