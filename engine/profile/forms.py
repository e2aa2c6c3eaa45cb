"""Task forms: one JSON Schema per user task in forms/, checked with `jsonschema`.

Forms refer to region lists (reply classes, satisfaction scale, categories, the
unit directory) through `$ref: urn:cppcc:region:<name>`; those resources are
built from the region profile, so a region changes its lists without editing
any form.
"""
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from engine.model import clock, limits
from engine.model.errors import DefinitionError, InvalidForm
from engine.model.expressions import compile_check
from engine.profile import form_rules
from engine.profile.region import Region
from engine.profile.sessions import session_choices

_MESSAGES = {
    "required": "此项为必填项",
    "type": "类型不正确",
    "enum": "不是可选的值",
    "const": "取值不正确",
    "minLength": "不能为空或过短",
    "maxLength": "内容过长（最多 {limit} 字）",
    "minItems": "至少选择 {limit} 项",
    "maxItems": "最多选择 {limit} 项",
    "uniqueItems": "不能重复选择",
    "format": "格式不正确（日期请用 YYYY-MM-DD）",
    "additionalProperties": "表单中没有这一项",
    "propertyNames": "不是可选的单位",
    "minimum": "不能小于 {limit}",
    "maximum": "不能大于 {limit}",
}
_TYPE_NAMES = {"string": "文字", "boolean": "是/否", "array": "列表", "object": "对象", "integer": "整数", "number": "数字"}


def region_resources(region: Region) -> dict[str, dict]:
    """The schemas behind `urn:cppcc:region:*`, built from the region profile."""

    def coded(key: str) -> dict:
        return {"type": "string", "enum": region.codes(key), "x-labels": region.labels(key)}

    return {
        "urn:cppcc:region:reply-class": coded("reply_classes"),
        # a form offers the scale; a stored 未评价 (closed without the rating) is labelled too
        "urn:cppcc:region:satisfaction": {**coded("satisfaction_scale"), "x-labels": region.satisfaction_labels()},
        "urn:cppcc:region:category": coded("categories"),
        # 平时提案 and the sessions up to next year's (届次/会次, engine/profile/sessions.py)
        "urn:cppcc:region:session": _choices(session_choices(region, clock.now().astimezone(clock.CHINA).year + 1)),
        "urn:cppcc:region:unit": {
            "type": "string",
            "enum": [u["id"] for u in region.units],
            "x-labels": {u["id"]: u["name"] for u in region.units},
        },
    }


def _choices(labels: dict[str, str]) -> dict:
    return {"type": "string", "enum": list(labels), "x-labels": labels}


@functools.lru_cache(maxsize=256)
def _checked_text(text: str) -> None:
    """Check a form file against the JSON Schema meta-schema, once per distinct text (the check is
    the costly part of building a catalog, and every app start builds one per region)."""
    Draft202012Validator.check_schema(json.loads(text))


def _checked_schema(text: str) -> dict:
    """The form's schema (a fresh dict each time), after its text passed the meta-schema check."""
    _checked_text(text)
    return json.loads(text)


class FormCatalog:
    """All forms of a forms/ folder, bound to one region's lists."""

    def __init__(self, forms_dir: Path, region: Region) -> None:
        self.region = region
        self.resources = region_resources(region)
        registry = Registry().with_resources(
            (uri, DRAFT202012.create_resource({"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}))
            for uri, schema in self.resources.items()
        )
        self.schemas: dict[str, dict] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        problems = []
        for path in sorted(Path(forms_dir).glob("*.json")):
            try:
                schema = _checked_schema(path.read_text(encoding="utf-8"))
            except (ValueError, Exception) as err:  # JSON or schema error
                problems.append({"file": f"forms/{path.name}", "element": None, "message": str(err).splitlines()[0]})
                continue
            problems += [{"file": f"forms/{path.name}", "element": where, "message": f"表达式：{problem}"}
                         for where, source in form_rules.expressions(schema) for problem in compile_check(source)]
            self.schemas[path.stem] = schema
            self._validators[path.stem] = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
        if problems:
            raise DefinitionError(problems)

    def __contains__(self, name: str) -> bool:
        return name in self.schemas

    def attachment_fields(self) -> set[str]:
        """The names of the form fields that hold attachment ids (x-widget "attachments")."""
        return {key for schema in self.schemas.values() for key, prop in schema.get("properties", {}).items()
                if isinstance(prop, dict) and prop.get("x-widget") == "attachments"}

    def resolved(self, name: str) -> dict:
        """The form's schema with region `$ref`s replaced by their lists (for clients)."""

        def walk(node: Any) -> Any:
            if isinstance(node, dict):
                if set(node) >= {"$ref"} and node["$ref"] in self.resources:
                    rest = {k: walk(v) for k, v in node.items() if k != "$ref"}
                    return {**self.resources[node["$ref"]], **rest}
                return {k: walk(v) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v) for v in node]
            return node

        return walk(self.schemas[name])

    def validate(self, name: str, data: object) -> dict:
        """Check `data` against form `name`; return it with absent fields filled.

        Absent optional fields get their schema default or None, so diagram
        conditions can read every field. Raises InvalidForm with one entry per
        failing field: {"field": "a/b", "message": "..."} (at most limits.MAX_FIELD_ERRORS,
        then a line counting the rest); text with a NUL character is refused too.
        """
        if not isinstance(data, dict):
            raise InvalidForm("表单数据必须是一个对象", [{"field": "", "message": "表单数据必须是一个对象"}])
        errors = []
        for err in sorted(self._validators[name].iter_errors(data), key=lambda e: list(e.absolute_path)):
            errors.append({"field": _field_of(err), "message": _message_of(err, self.schemas[name])})
        bad = limits.find_bad_text(data)
        if bad is not None:  # PostgreSQL cannot store NUL; SQLite would, silently
            title = _title_of(self.schemas[name], bad.split("/"))
            text = "含有不允许的字符（空字符或无效字符），请删除后重试"
            errors.append({"field": bad, "message": f"{title}：{text}" if title else text})
        if errors:
            errors = _dedupe(errors)
            raise InvalidForm(f"表单有 {len(errors)} 处需要修改", limits.capped(errors))
        filled = dict(data)
        for key, prop in self.schemas[name].get("properties", {}).items():
            filled.setdefault(key, prop.get("default"))
        return filled


def _field_of(err: ValidationError) -> str:
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required":
        path.append(err.message.split("'")[1])
    if err.validator == "additionalProperties" and "'" in err.message:
        path.append(err.message.split("'")[1])
    return "/".join(path)


def _message_of(err: ValidationError, schema: dict) -> str:
    own = err.schema.get("errorMessage") if isinstance(err.schema, dict) else None
    template = _MESSAGES.get(err.validator, "取值不符合要求")
    limit = err.validator_value if isinstance(err.validator_value, int) else ""
    text = own or template.format(limit=limit)
    if not own and err.validator == "maxItems" and limit == 0:
        text = "此时不能选择"  # e.g. assisting units when one unit handles it alone
    if err.validator == "type" and not own:
        text = f"应为{_TYPE_NAMES.get(err.validator_value, err.validator_value)}"
    title = _title_of(schema, list(err.absolute_path) or [_field_of(err)])
    return f"{title}：{text}" if title else text


def _title_of(schema: dict, path: Iterable) -> str:
    node: Any = schema
    for part in path:
        if not isinstance(node, dict):
            return ""
        node = node.get("properties", {}).get(str(part)) if "properties" in node else None
        if node is None:
            return ""
    return node.get("title", "") if isinstance(node, dict) else ""


def _dedupe(errors: list[dict]) -> list[dict]:
    seen, out = set(), []
    for e in errors:
        key = (e["field"], e["message"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out
