"""Every API error as JSON: {"error": {"status", "message", "errors"?, ...details}};
the same errors on a page request as a Chinese error page."""
from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

from .input_checks import too_large_message
from .web.guard import error_page

_HTTP_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "没有权限",
    404: "找不到请求的地址",
    405: "不支持该请求方法",
    415: "请求体格式不受支持",
}
INTERNAL_MESSAGE = "服务器内部错误，请稍后重试或联系管理员"


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
        return error_page(err.status, err.message)
    return error_response(err.status, err.message, **err.details)


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


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
