"""Login, logout and the current user: `Authorization: Bearer <token>` on every other route."""
from datetime import timedelta

from flask import Blueprint, Flask, jsonify, request

from api.http.common import json_body, services, unit_of_work
from engine.model.errors import Unauthorized
from engine.model.tables import User
from engine.queries import records as queries
from engine.services import logins

bp = Blueprint("auth", __name__, url_prefix="/api")


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录")
    return token.strip()


def current_user(session) -> User:
    """The user named by the request's bearer token, loaded in `session`; else 401."""
    settings = services()["settings"]
    return logins.user_from_token(session, settings.secret_key, _bearer(), settings.token_max_age)


@bp.post("/auth/login")
def login():
    """Exchange username and password for a token (429 after too many failures)."""
    body = json_body()
    settings = services()["settings"]
    with unit_of_work() as uow:
        user, secret = logins.log_in(uow, body["username"], body["password"], request.remote_addr,
                                     logins.Policy.of(settings), logins.API, timedelta(seconds=settings.token_max_age))
        token = logins.issue_token(settings.secret_key, user, secret)
        return jsonify({"token": token, "user": queries.user_info(uow.session, user)})


@bp.post("/auth/logout")
def logout():
    """Revoke the presented token: from now on it is refused (the user's other tokens stay)."""
    settings = services()["settings"]
    with unit_of_work() as uow:
        current_user(uow.session)
        logins.log_out(uow, logins.token_secret(settings.secret_key, _bearer(), settings.token_max_age))
    return "", 204


@bp.get("/me")
def me():
    """The logged-in user."""
    with unit_of_work() as uow:
        return jsonify(queries.user_info(uow.session, current_user(uow.session)))


def init_app(app: Flask) -> None:
    """Register the auth routes."""
    app.register_blueprint(bp)
