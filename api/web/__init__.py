"""The handler pages (Chinese, server-rendered with Jinja).

Safe by default: CSRF tokens on every form (Flask-WTF), Jinja autoescaping,
HttpOnly SameSite session cookies that expire (8 hours, 2 idle), and error
pages in Chinese instead of stack traces.

May import: `engine.services`, `engine.queries` and the layers below, Flask and Jinja,
the JSON API's shared parts (`api.http.common`, `input_checks`, `attachments`) and
`api.error_pages`; never SpiffWorkflow or SQLAlchemy (no queries, no commits here).
"""
from datetime import datetime, timedelta

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError

from api.http.common import unit_of_work
from engine.model import clock
from engine.queries import notifications as messages
from engine.rules import permissions

from . import (
    designer,
    incident_pages,
    migration_pages,
    notices,
    plenary_pages,
    print_pages,
    public_pages,
    session as web_session,
    statistics_pages,
    supervision_pages,
    views,
)
from .guard import csrf, error_page


def is_page_request() -> bool:
    """Whether the current request is for a page (not the JSON API or assets)."""
    return not request.path.startswith(("/api/", "/static/"))


def local_time(value) -> str:
    """An ISO or datetime value as Beijing time, 'YYYY-MM-DD HH:MM'."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")


def unread_notifications() -> int:
    """The logged-in user's (g.user) unread in-app messages, for the nav badge; 0 when nobody
    is logged in. One indexed COUNT in a short transaction of its own, once per request."""
    user = g.get("user")
    if user is None:
        return 0
    if "unread_notifications" not in g:
        with unit_of_work() as uow:
            g.unread_notifications = messages.unread_count(uow.session, user.username)
    return g.unread_notifications


def init_app(app: Flask) -> None:
    """Register the pages, CSRF protection, session settings and template helpers."""
    app.config.update(
        SECRET_KEY=app.extensions["cppcc"]["settings"].secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    for bp in (web_session.bp, views.bp, supervision_pages.bp, incident_pages.bp, notices.bp, migration_pages.bp,
               designer.bp, print_pages.bp, public_pages.bp, statistics_pages.bp):
        app.register_blueprint(bp)
    plenary_pages.init_app(app)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = lambda value: local_time(value)[:10]
    for name in ("may_supervise", "may_see_incidents", "may_design", "may_read_versions", "may_submit", "may_assign",
                 "may_review_publication"):
        app.jinja_env.globals[name] = getattr(permissions, name)  # who sees which link: the permission rules
    app.jinja_env.globals["may_see_statistics"] = statistics_pages.may_see_statistics
    app.jinja_env.globals["current_user"] = lambda: g.get("user")
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    # the code catalogue in the region's words: {{ words.label('unit_parts', code) }}
    app.jinja_env.globals["words"] = app.extensions["cppcc"]["runtime"].region.catalogue

    @app.errorhandler(CSRFError)
    def _csrf(err):
        return error_page(400, "页面已过期或表单来源无效，请刷新页面后重新提交。")
