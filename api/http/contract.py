"""One API contract: every /api request is checked against the OpenAPI document
(api/http/openapi.py) before its view runs, with the very schemas the document
publishes; and a response can be checked against it too (the API test suite
checks every response it gets).

A request is matched to its operation by the route's URL rule and method:
`/api/tasks/<task_id>` is the document's `/api/tasks/{task_id}`. Checked here:

- query parameters: only those the operation lists, each given once, each valid for
  its schema (integers and numbers are read from the text first);
- a JSON request body: present when required, a JSON object, valid for its schema.
  Where the body is a form (`"x-form": true` on the request body: a proposal, an
  extension request) only its being an object is checked here; the form's own
  validation (engine/profile/forms.py) answers field by field with 422, in the
  words of the form's titles and the region's lists.

A violation is a 400 whose `errors` name each field in Chinese. Nothing else (domain
rules, permissions) belongs here. A new route needs no code here: describe its
operation in api/http/openapi.py and the route is checked.

May import: jsonschema, Flask, engine.model.
"""
import re
from functools import cached_property

from flask import Flask, current_app, request
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api.http.openapi import document
from engine.model import limits
from engine.model.errors import EngineError

_URI = "urn:cppcc:openapi"
_METHODS = ("get", "post", "put", "patch", "delete")
_TYPE_NAMES = {"string": "文本", "boolean": "true 或 false", "array": "列表", "object": "JSON 对象",
               "integer": "整数", "number": "数字", "null": "空值"}
_FORMATS = {"date": "日期（YYYY-MM-DD）", "date-time": "日期时间（ISO 8601）", "uuid": "UUID"}


def _pointer(*parts: str) -> str:
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def openapi_path(rule: str) -> str:
    """A Flask URL rule as an OpenAPI path: `/api/tasks/<task_id>` → `/api/tasks/{task_id}`."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


class Operation:
    """One operation of the document, with validators for its parameters, body and responses."""

    def __init__(self, contract: "Contract", path: str, method: str, spec: dict):
        self.contract, self.path, self.method, self.spec = contract, path, method, spec
        self.where = ("paths", path, method)
        self.secured = spec.get("security", contract.doc.get("security")) != []
        self.query = {p["name"]: p for p in contract.resolve(spec.get("parameters", [])) if p["in"] == "query"}
        self.query_validators = {name: Draft202012Validator(p.get("schema", {}), format_checker=FormatChecker())
                                 for name, p in self.query.items()}

    @cached_property
    def body(self) -> dict | None:
        """The request body object, if the operation takes one."""
        return self.contract.resolve(self.spec["requestBody"]) if "requestBody" in self.spec else None

    @cached_property
    def json_body_validator(self) -> Draft202012Validator | None:
        """The validator of a JSON body (a form body: only that it is an object)."""
        body = self.body
        if body is None or "application/json" not in body.get("content", {}):
            return None
        if body.get("x-form"):
            return Draft202012Validator({"type": "object"})
        return self.contract.validator(*self.where, "requestBody", "content", "application/json", "schema")

    def response(self, status: int) -> tuple[dict | None, tuple]:
        """The declared response for `status` (or the default one) and where it is in the document."""
        responses = self.spec.get("responses", {})
        key = str(status) if str(status) in responses else "default" if "default" in responses else None
        if key is None:
            return None, ()
        declared = responses[key]
        where = (*self.where, "responses", key)
        if "$ref" in declared:
            name = declared["$ref"].rsplit("/", 1)[-1]
            return self.contract.doc["components"]["responses"][name], ("components", "responses", name)
        return declared, where


class Contract:
    """The document of one app and its operations, keyed by (OpenAPI path, method)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.registry = Registry().with_resource(_URI, Resource(contents=doc, specification=DRAFT202012))
        self.operations = {(path, method): Operation(self, path, method, spec)
                           for path, item in doc["paths"].items()
                           for method, spec in item.items() if method in _METHODS}
        self._validators: dict[str, Draft202012Validator] = {}

    def resolve(self, node):
        """`node` with a top-level `$ref` to the document followed (lists: each item)."""
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        while isinstance(node, dict) and "$ref" in node:
            target = self.doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def validator(self, *where: str) -> Draft202012Validator:
        """A validator for the schema at `where` in the document (its `$ref`s resolve in the document)."""
        ref = f"{_URI}#/{_pointer(*where)}"
        if ref not in self._validators:
            self._validators[ref] = Draft202012Validator({"$ref": ref}, registry=self.registry,
                                                         format_checker=FormatChecker())
        return self._validators[ref]

    def operation_of(self, rule: str, method: str) -> Operation | None:
        return self.operations.get((openapi_path(rule), method.lower()))

    # -- requests ---------------------------------------------------------------------------

    def check_request(self, operation: Operation) -> None:
        """Refuse (400) a request whose query or JSON body the operation does not allow."""
        errors = self._query_errors(operation) + self._body_errors(operation)
        if errors and operation.secured:
            authenticated()  # who may not use the API at all hears 401 first, whatever they sent
        if errors:
            errors = limits.capped(errors)
            shown = [e["message"] if e["field"] == "body" else f"{e['field']}（{e['message']}）" for e in errors[:3]]
            prefix = "" if errors[0]["field"] == "body" else "请求内容有误："
            raise EngineError(prefix + "；".join(shown) + ("等" if len(errors) > 3 else ""), errors=errors)

    def _query_errors(self, operation: Operation) -> list:
        errors = []
        for key, values in request.args.lists():
            shown = limits.shown_path(key)
            param = operation.query.get(key)
            if param is None:
                errors.append({"field": shown, "message": "不支持的查询参数"})
            elif len(values) > 1:
                errors.append({"field": shown, "message": "只能给一个值"})
            else:
                value = _from_text(values[0], param.get("schema", {}))
                found = operation.query_validators[key].iter_errors(value)
                errors += [{"field": shown, "message": _message(err)} for err in found][:1]
        return errors

    def _body_errors(self, operation: Operation) -> list:
        body = operation.body
        if body is None or "application/json" not in body.get("content", {}):
            return []
        if not request.get_data(cache=True):
            if body.get("required"):
                return [{"field": "body", "message": "缺少请求体（应为 JSON 对象）"}]
            return []
        data = request.get_json(silent=True)
        if data is None:
            return [{"field": "body", "message": "请求体不是有效的 JSON"}]
        if _takes_no_body(operation.contract.resolve(body["content"]["application/json"]["schema"])):
            return [] if data == {} else [{"field": "body", "message": "此操作不需要请求体（应为空或 {}）"}]
        validator = operation.json_body_validator
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        return [{"field": _field(err), "message": _message(err)} for err in errors]

    # -- responses --------------------------------------------------------------------------

    def response_problems(self, operation: Operation, status: int, mimetype: str, body) -> list[str]:
        """How a response differs from the document (empty: it conforms). `body` is the parsed
        JSON of a JSON response (None otherwise)."""
        declared, where = operation.response(status)
        name = f"{operation.method.upper()} {operation.path} → {status}"
        if declared is None:
            return [f"{name}: the document declares no such status"]
        content = declared.get("content") or {}
        if not content:
            return [] if status == 204 or body is None else [f"{name}: the document declares no body"]
        media = mimetype if mimetype in content else None
        if media is None:
            return [f"{name}: content type {mimetype!r} is not one of {sorted(content)}"]
        if media != "application/json" or "schema" not in content[media]:
            return []
        validator = self.validator(*where, "content", media, "schema")
        return [f"{name}: /{'/'.join(map(str, err.absolute_path))}: {err.message}"
                for err in validator.iter_errors(body)][:10]


def _takes_no_body(schema: dict) -> bool:
    return schema.get("maxProperties") == 0


def _from_text(text: str, schema: dict):
    """A query parameter's text as the value its schema describes (a number from digits)."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types and re.fullmatch(r"[+-]?[0-9]{1,20}", text.strip()):
        return int(text)
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _field(err) -> str:
    path = [str(p) for p in err.absolute_path]
    if err.validator in ("required", "additionalProperties") and "'" in err.message:
        path.append(err.message.split("'")[1])
    return limits.shown_path("/".join(path)) or "body"


def _message(err) -> str:
    """A jsonschema error in Chinese, without the field (named beside it)."""
    value, kind = err.validator_value, err.validator
    if kind == "required":
        return "此项为必填项"
    if kind == "additionalProperties":
        return "不支持的字段"
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return "应为" + "或".join(_TYPE_NAMES.get(k, k) for k in kinds)
    if kind == "enum":
        return "应为以下之一：" + "、".join(str(v) for v in value if v != "") + ("（或留空）" if "" in value else "")
    if kind == "format":
        return f"格式不正确，应为{_FORMATS.get(value, value)}"
    formats = [s["format"] for s in value if isinstance(s, dict) and "format" in s] if kind == "anyOf" else []
    if formats:  # a date, or empty
        return f"格式不正确，应为{_FORMATS.get(formats[0], formats[0])}或留空"
    return {
        "minLength": "不能为空" if value == 1 else f"至少 {value} 个字",
        "maxLength": f"最多 {value} 个字",
        "minItems": f"至少 {value} 项",
        "maxItems": f"最多 {value} 项",
        "uniqueItems": "不能有重复项",
        "minimum": f"不能小于 {value}",
        "maximum": f"不能大于 {value}",
        "exclusiveMinimum": f"应大于 {value}",
        "exclusiveMaximum": f"应小于 {value}",
        "pattern": "不能为空" if value == r"\S" else "格式不正确",
        "minProperties": f"至少 {value} 项",
        "maxProperties": f"最多 {value} 项",
    }.get(kind, "取值不符合要求")


def authenticated() -> None:
    """Raise 401 unless the request carries a valid token (api/http/auth.py decides)."""
    from api.http.auth import current_user  # auth's routes are checked here too
    from api.http.common import unit_of_work

    with unit_of_work() as uow:
        current_user(uow.session)


def contract_of(app: Flask) -> Contract:
    """The app's contract (built once from the document)."""
    if "cppcc_contract" not in app.extensions:
        app.extensions["cppcc_contract"] = Contract(document())
    return app.extensions["cppcc_contract"]


def current_operation() -> Operation | None:
    """The document's operation for the current request (None: not an API route the document has)."""
    if request.url_rule is None or not request.path.startswith("/api/"):
        return None
    return contract_of(current_app).operation_of(request.url_rule.rule, request.method)


def check_request() -> None:
    """The before-request check of every API route (see the module's description)."""
    operation = current_operation()
    if operation is not None:
        contract_of(current_app).check_request(operation)


def response_problems(response) -> list[str]:
    """How the current request's response differs from the document (empty: it conforms, or the
    route is not one the document describes). The API test suite runs this on every response."""
    operation = current_operation()
    if operation is None:
        return []
    body = response.get_json(silent=True) if response.is_json and not response.direct_passthrough else None
    return contract_of(current_app).response_problems(operation, response.status_code, response.mimetype, body)


def init_app(app: Flask) -> None:
    """Check every API request against the document (after api/http/input_checks.py's checks)."""
    contract_of(app)
    app.before_request(check_request)
