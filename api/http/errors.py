"""Every API error as JSON: {"error": {"status", "message", "errors"?, ...details}};
the same errors on a page request as a Chinese error page."""
from flask import Flask, current_app, g, jsonify, make_response, request
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from api.error_pages import engine_error_page, error_page
from api.http.input_checks import too_large_message
from engine.adapters.db import unavailable
from engine.model.errors import EngineError

_HTTP_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "没有权限",
    404: "找不到请求的地址",
    405: "不支持该请求方法",
    415: "请求体格式不受支持",
}
INTERNAL_MESSAGE = "服务器内部错误，请稍后重试或联系管理员"
UNAVAILABLE_MESSAGE = "数据库暂时无法访问，请稍后重试"
RETRY_AFTER = 5  # seconds


def error_response(status: int, message: str, **details):
    """A JSON error response with `status`, a message for a person and any details."""
    response = jsonify({"error": {"status": status, "message": message, **details}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _wants_page() -> bool:
    return not request.path.startswith(("/api/", "/static/"))


def _engine_error(err: EngineError):
    if _wants_page():
        return engine_error_page(err)
    response = error_response(err.status, err.message, **err.details)
    if getattr(err, "retry_after", None):  # 429 too many failed logins
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def _http_error(err: HTTPException):
    message = too_large_message() if err.code == 413 else _HTTP_MESSAGES.get(err.code, err.name)
    if _wants_page():
        return error_page(err.code, message)
    response = error_response(err.code, message)
    if err.code == 405 and getattr(err, "valid_methods", None):
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response


def _unexpected(err: Exception):
    current_app.logger.exception("unexpected error: %s", err)
    if _wants_page():
        return error_page(500, INTERNAL_MESSAGE)
    return error_response(500, INTERNAL_MESSAGE)


def _database_error(err: Exception):
    """503 with Retry-After while the database is down, refusing, hung or locked; any other
    database error is unexpected (500). Neither shows SQL or driver text."""
    if not unavailable(err):
        return _unexpected(err)
    current_app.logger.warning("database unavailable (%s): %s", type(err).__name__, err)
    g.pop("user", None)  # the error page's navigation would ask the database again
    if _wants_page():
        response = make_response(error_page(503, UNAVAILABLE_MESSAGE))
    else:
        response = error_response(503, UNAVAILABLE_MESSAGE)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeout, _database_error)
    app.register_error_handler(Exception, _unexpected)
