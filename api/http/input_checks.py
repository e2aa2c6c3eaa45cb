"""Hostile and out-of-range input, refused in one place for every route, API and pages.

- `<int:...>` in a route only matches ids within the id columns' range (ASCII
  digits, 1..2³¹-1): a bigger id is a 404 like any id that does not exist.
- JSON bodies: at most `MAX_JSON_DEPTH` levels (deeper is a 400 before it can
  exhaust the parser's recursion), no NaN or Infinity.
- Every query parameter, path parameter, form field and JSON string (and key)
  is checked for characters no database can store (NUL, lone surrogates): a 400
  naming the field. The page forms generated from a JSON Schema are left to the
  form validation, which names the field by its title and keeps what was typed.
- An API route's query parameters and JSON body are checked against the OpenAPI document
  in api/http/contract.py (after these checks).
- Request bodies are capped at `MAX_JSON_BYTES`, except on the routes that receive
  whole files (`@takes_files`: attachments, diagram files), which keep the app's
  upload limit.
"""
import json
import math

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter, IntegerConverter

from engine.model import limits
from engine.model.errors import EngineError, NotFound

_FILES = "cppcc_takes_files"
_SCHEMA_FORM = "cppcc_schema_form"


def up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 0..limit (ASCII digits)."""
    text = str(limit)
    parts = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, char in enumerate(text):
        if char != "0":
            rest = len(text) - i - 1
            parts.append(text[:i] + f"[0-{int(char) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """`<int:...>`: ASCII digits naming an id within the range of the id columns. The range
    is in the pattern itself, so a bigger number matches no route: a 404, as for any id
    that does not exist (a converter refusing it would give 405 where the path has
    routes for other methods)."""

    regex = up_to(limits.MAX_ID)

    def __init__(self, map, fixed_digits=0, min=0, max=limits.MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class VersionConverter(BaseConverter):
    """`<version:...>`: a definition version, its content hash or a prefix of 6 or more
    hexadecimal digits (so /api/definitions/validate is never read as a version)."""

    regex = "[0-9a-fA-F]{6,64}"


def _number(text):
    """A JSON number with a fraction part: a float, or an int when it has no fraction (JSON
    Schema counts 3.0 as an integer, so the code does too)."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def _not_a_number(text):
    raise EngineError("请求体不是有效的 JSON：不支持 NaN、Infinity 等非数值常量")


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with request bodies bounded in depth and free of non-numbers."""

    def loads(self, s, **kwargs):
        try:
            data = json.loads(s, parse_constant=_not_a_number, parse_float=_number, **kwargs)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = limits.depth_of(data) > limits.MAX_JSON_DEPTH
        if too_deep:
            raise EngineError(f"请求体的 JSON 嵌套过深（最多 {limits.MAX_JSON_DEPTH} 层）")
        if _has_infinity(data):
            raise EngineError("请求体不是有效的 JSON：数值超出范围")
        return data


def _has_infinity(data) -> bool:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def takes_files(view):
    """Mark a view that receives whole files (attachments, diagram files): it keeps the
    app's larger body limit (the upload limit)."""
    setattr(view, _FILES, True)
    return view


def schema_form(view):
    """Mark a page view whose posted form is validated against a form's JSON Schema
    (which refuses bad characters field by field, keeping what was typed)."""
    setattr(view, _SCHEMA_FORM, True)
    return view


def _refuse(field: str, where: str):
    shown = limits.shown_path(field)
    raise EngineError(f"{where}“{shown}”含有不允许的字符（空字符或无效字符）",
                      errors=[{"field": shown, "message": "含有不允许的字符（空字符或无效字符），请删除后重试"}])


def check_request():
    """The before-request check of every route (see the module's description)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is not None and not getattr(view, _FILES, False):
        request.max_content_length = limits.MAX_JSON_BYTES
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and limits.bad_text(value):
            raise NotFound("找不到请求的地址")
    for key, value in request.args.items(multi=True):
        if limits.bad_text(key) or limits.bad_text(value):
            _refuse(key, "查询参数")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded") \
                and not getattr(view, _SCHEMA_FORM, False):
            for key, value in request.form.items(multi=True):
                if limits.bad_text(key) or limits.bad_text(value):
                    _refuse(key, "表单项")
        if request.is_json and request.get_data(cache=True):
            path = limits.find_bad_text(request.get_json(silent=True))
            if path is not None:
                _refuse(path, "请求内容")


def too_large_message() -> str:
    """What a 413 says: the upload limit on routes that take files, the body limit elsewhere."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is not None and getattr(view, _FILES, False):
        return "上传内容过大"
    return f"请求内容过大（最多 {limits.MAX_JSON_BYTES // (1024 * 1024)} MB）"


def init_app(app: Flask) -> None:
    """Install the id converter (before any route is added), the JSON provider and the check."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["version"] = VersionConverter
    provider = GuardedJSONProvider(app)
    provider.ensure_ascii, provider.sort_keys = app.json.ensure_ascii, app.json.sort_keys
    app.json = provider
    app.before_request(check_request)
