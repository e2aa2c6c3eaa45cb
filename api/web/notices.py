"""The messages page: the logged-in user's in-app notifications, and marking them read."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.http.common import runtime
from engine.queries import notifications as messages, records as queries
from engine.services import notifications as notify

from .guard import protect
from .session import acting

bp = protect(Blueprint("notices", __name__))
PER_PAGE = 20


def _page() -> int:
    return queries.paging(request.args.get("page"))[0]  # a bad page number is a 400 page naming it


@bp.get("/notifications")
def index():
    """My messages, newest first, unread ones highlighted."""
    with acting() as (uow, user):
        result = messages.list_for(uow.session, user.username, page=_page(), per_page=PER_PAGE)
        told = runtime().region.raw["notifications"].get("messages", {})  # what proposers are told (region.yaml)
        return render_template("notifications.html", result=result,
                               kinds={**runtime().region.catalogue.labels("notification_kinds"),
                                      **{k: m["label"] for k, m in told.items()}})


@bp.get("/notifications/<int:notification_id>/open")
def open_one(notification_id):
    """Open a message: it is marked read and leads to its task while that is open, else
    to the proposal (a finished task's message never leads to a page that refuses)."""
    with acting() as (uow, user):
        target = notify.open_message(uow, user.username, notification_id)
    if target["task_id"] and request.args.get("to") != "proposal":
        return redirect(url_for("pages.task", task_id=target["task_id"]))
    if target["proposal_id"]:
        return redirect(url_for("pages.proposal", proposal_id=target["proposal_id"]))
    return redirect(url_for("notices.index"))


@bp.post("/notifications/read")
def read_all():
    """Mark all my messages read (the form carries the CSRF token)."""
    with acting() as (uow, user):
        marked = notify.mark_read(uow, user.username)
    flash(f"已将 {marked} 条消息标为已读" if marked else "没有未读消息", "success")
    return redirect(url_for("notices.index"))
