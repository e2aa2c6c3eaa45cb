"""Chinese error pages, shared by the pages (api/web) and the app's error handlers
(api/http/errors.py answers a page request with one of these, an API request with JSON)."""
from flask import make_response, render_template

from engine.model.errors import EngineError

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
