"""CSRF protection and Chinese error pages for the page blueprints."""
from flask import Blueprint, make_response, render_template
from flask_wtf.csrf import CSRFProtect

from engine.model.errors import EngineError

csrf = CSRFProtect()
TITLES = {400: "请求无效", 401: "请先登录", 403: "没有权限", 404: "页面不存在", 405: "不支持该操作",
          409: "操作冲突", 413: "上传内容过大", 422: "内容需要修改", 429: "请稍后再试", 500: "服务器内部错误",
          503: "服务暂时不可用"}


def error_page(status: int, message: str | None = None):
    """A Chinese error page with the right status code."""
    return render_template("error.html", status=status, title=TITLES.get(status, "出错了"),
                           message=message), status


def engine_error_page(err: EngineError):
    """The error page of an engine error (with Retry-After when it says when to retry)."""
    response = make_response(error_page(err.status, err.message))
    if getattr(err, "retry_after", None):
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def protect(bp: Blueprint) -> Blueprint:
    """Check CSRF tokens on every unsafe request of `bp`; engine errors become pages."""
    bp.before_request(csrf.protect)
    bp.register_error_handler(EngineError, engine_error_page)
    return bp
