"""Page login: a signed session cookie naming the user, expiring when idle."""
import time

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from engine import accounts
from engine.errors import Unauthorized
from engine.models import User

from .guard import protect
from ..common import unit_of_work

bp = protect(Blueprint("session", __name__))
IDLE_SECONDS = 2 * 3600


def load_user(db_session) -> User | None:
    """The logged-in user of this request loaded in `db_session`, or None (idle sessions end)."""
    uid, seen = session.get("uid"), session.get("seen", 0)
    if uid is None:
        return None
    if time.time() - seen > IDLE_SECONDS:
        session.clear()
        return None
    user = db_session.get(User, uid)
    if user is None or not user.active:
        session.clear()
        return None
    session["seen"] = int(time.time())
    return user


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not target.startswith("/api"):
        return target
    return url_for("pages.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success the session names the user."""
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        with unit_of_work() as uow:
            try:
                user = accounts.authenticate(uow.session, username, request.form.get("password", ""))
            except Unauthorized as err:
                error = err.message
            else:
                session.clear()
                session.permanent = True
                session.update(uid=user.id, seen=int(time.time()))
                return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, username=username), (401 if error else 200)


@bp.post("/logout")
def logout():
    """End the session."""
    session.clear()
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
            abort(redirect(url_for("session.login", next=request.full_path.rstrip("?"))))
        g.user = user
        return self._uow, user

    def __exit__(self, *exc):
        self._uow.__exit__(*exc)
