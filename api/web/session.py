"""Page login: a signed session cookie carrying the secret of a server-side login session
(engine/services/logins.py), ending when idle, at its lifetime, or on logout."""
import re
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import Blueprint, g, redirect, render_template, request, session as cookie, url_for
from werkzeug.urls import iri_to_uri

from api.http.common import services, unit_of_work
from engine.model import clock
from engine.model.errors import Unauthorized
from engine.model.tables import User
from engine.services import logins

from .guard import protect

bp = protect(Blueprint("session", __name__))
IDLE_SECONDS = 2 * 3600
LIFETIME = timedelta(hours=8)
# What may follow the leading "/" of a `next` target: the printable ASCII of a URL's path and
# query, without "\" (browsers read it as "/"), spaces, quotes or angle brackets.
_PATH_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")


def _seconds() -> int:
    """The outside world's now (the engine's clock, engine/model/clock.py) in whole seconds."""
    return int(clock.real_now().timestamp())


def load_user(db_session) -> User | None:
    """The logged-in user of this request loaded in `db_session`, or None (idle sessions end,
    and so do sessions logged out on the server)."""
    secret, seen = cookie.get("sid"), cookie.get("seen", 0)
    if secret is None:
        return None
    if not isinstance(seen, int) or _seconds() - seen > IDLE_SECONDS:
        cookie.clear()
        return None
    user = logins.session_user(db_session, secret, logins.PAGE)
    if user is None:
        cookie.clear()
        return None
    cookie["seen"] = _seconds()
    return user


def safe_next(target: str | None) -> str:
    """`target` if a browser would read it as a page of this site, else the inbox.

    Browsers drop tabs and newlines inside a URL, read "\\" as "/" and "//host" as another
    site, so a target with any control character, space, backslash or non-ASCII
    character is refused, and so is one that starts with "//" before or after decoding
    its escapes (e.g. "/%2F/evil.example"). JSON API paths are no page to return to."""
    fallback = url_for("pages.inbox")
    if not target or len(target) > 2000 or not _PATH_CHARS.fullmatch(target):
        return fallback
    decoded = unquote(target)
    if (not target.startswith("/") or "//" in decoded or "\\" in decoded or not decoded.isprintable()
            or any(c.isspace() for c in decoded)):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path == "/api" or parts.path.startswith(("/api/", "/static/")):
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success the session names a server-side login session."""
    error, status, headers = None, 200, {}
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        settings = services()["settings"]
        with unit_of_work() as uow:
            try:
                _user, secret = logins.log_in(uow, username, request.form.get("password", ""), request.remote_addr,
                                              logins.Policy.of(settings), logins.PAGE, LIFETIME)
            except logins.TooManyFailures as err:
                error, status, headers = err.message, 429, {"Retry-After": str(err.retry_after)}
            except Unauthorized as err:
                error, status = err.message, 401
            else:
                cookie.clear()
                cookie.permanent = True
                cookie.update(sid=secret, seen=_seconds())
                return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error, username=username), status, headers


@bp.post("/logout")
def logout():
    """End the session, on the server too."""
    secret = cookie.get("sid")
    with unit_of_work() as uow:
        logins.log_out(uow, secret)
    cookie.clear()
    return redirect(url_for("session.login"))


def current() -> User:
    """The user loaded for this request by the blueprint's before_request."""
    return g.user


class acting:
    """`with acting() as (uow, user):` a unit of work and the logged-in user, or a
    redirect to the login page when the session has ended."""

    def __enter__(self):
        from flask import abort
        self._uow = unit_of_work().__enter__()
        user = load_user(self._uow.session)
        if user is None:
            self._uow.__exit__(None, None, None)
            abort(redirect(url_for("session.login", next=iri_to_uri(request.full_path.rstrip("?")))))
        g.user = user
        return self._uow, user

    def __exit__(self, *exc):
        self._uow.__exit__(*exc)
