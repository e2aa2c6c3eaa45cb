"""The messages page: the logged-in user's in-app notifications, and marking them read."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.adapters import outbox as notify
from engine.queries import records as queries

from .guard import protect
from .session import acting

bp = protect(Blueprint("notices", __name__))
PER_PAGE = 20
KIND_LABELS = {"task": "新待办", "assigned": "交办", "reminder": "催办提醒", "overdue": "逾期",
               "rate_request": "请评价", "extension": "延期申请", "incident": "异常案件",
               "published": "办理结果公开"}


def _page() -> int:
    return queries.paging(request.args.get("page"))[0]  # a bad page number is a 400 page naming it


@bp.get("/notifications")
def index():
    """My messages, newest first, unread ones highlighted."""
    with acting() as (uow, user):
        result = notify.list_for(uow.session, user.username, page=_page(), per_page=PER_PAGE)
        return render_template("notifications.html", result=result, kinds=KIND_LABELS)


@bp.get("/notifications/<int:notification_id>/open")
def open_one(notification_id):
    """Open a message: it is marked read and leads to its task while that is open, else
    to the proposal (a finished task's message never leads to a page that refuses)."""
    with acting() as (uow, user):
        target = notify.open_message(uow.session, user.username, notification_id)
        uow.commit()
    if target["task_id"] and request.args.get("to") != "proposal":
        return redirect(url_for("pages.task", task_id=target["task_id"]))
    if target["proposal_id"]:
        return redirect(url_for("pages.proposal", proposal_id=target["proposal_id"]))
    return redirect(url_for("notices.index"))


@bp.post("/notifications/read")
def read_all():
    """Mark all my messages read (the form carries the CSRF token)."""
    with acting() as (uow, user):
        marked = notify.mark_read(uow.session, user.username)
        uow.commit()
    flash(f"已将 {marked} 条消息标为已读" if marked else "没有未读消息", "success")
    return redirect(url_for("notices.index"))
