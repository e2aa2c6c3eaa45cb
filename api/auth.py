"""Login and the current user: `Authorization: Bearer <token>` on every other route."""
from flask import Blueprint, Flask, jsonify, request

from engine import accounts, queries
from engine.errors import EngineError, Unauthorized
from engine.models import User

from .common import json_body, services, unit_of_work

bp = Blueprint("auth", __name__, url_prefix="/api")


def current_user(session) -> User:
    """The user named by the request's bearer token, loaded in `session`; else 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录")
    settings = services()["settings"]
    return accounts.user_from_token(session, settings.secret_key, token.strip(), settings.token_max_age)


@bp.post("/auth/login")
def login():
    """Exchange username and password for a token."""
    body = json_body()
    errors = [{"field": f, "message": "此项为必填项"} for f in ("username", "password")
              if not isinstance(body.get(f), str) or not body[f]]
    if errors:
        raise EngineError("请填写用户名和密码", errors=errors)
    with unit_of_work() as uow:
        user = accounts.authenticate(uow.session, body["username"], body["password"])
        token = accounts.issue_token(services()["settings"].secret_key, user)
        return jsonify({"token": token, "user": queries.user_info(uow.session, user)})


@bp.get("/me")
def me():
    """The logged-in user."""
    with unit_of_work() as uow:
        return jsonify(queries.user_info(uow.session, current_user(uow.session)))


def init_app(app: Flask) -> None:
    """Register the auth routes."""
    app.register_blueprint(bp)
