"""What a form says and checks about its case, written in the form (forms/*.json).

Each is a confined expression over the task's data (the region's helpers
included: `setting`, `due_date`, `period`, `today`…), so a region's rules are
stated where they apply without Python:

- `"x-notes": [{"text": "本次为第 {consultation_count + 1} 次，共需 {min_consultations} 次",
  "when": "min_consultations > 1", "field": "more_contacts"}]` — shown with the
  form (above it, or under `field`); `{…}` in the text is an expression.
- a property's `"x-prefill": "category"` — the field's initial value, from what
  the case already knows.
- `"x-prefill-previous": true` — a task done again (a draft sent back) starts
  from its last submitted answer; other forms start empty (a new record).
- `"x-checks": [{"field": "contact_date", "when": "contact_date > today()",
  "message": "联系日期不能晚于今天"}]` — checked with the submitted data on
  top of the case's: when `when` is true, the field gets `message`.

`evaluate(expression)` is given by the caller (the case's script engine).
An expression that cannot be evaluated for a case (a variable it lacks) leaves
its note, value or check out; the expressions are compile-checked at start-up.
"""
import logging
from collections.abc import Callable
from string import Formatter
from typing import Any

log = logging.getLogger(__name__)


def expressions(schema: dict) -> list[tuple[str, str]]:
    """(where, expression) for every expression in the form, for checking at start-up."""
    found = []
    for i, note in enumerate(schema.get("x-notes", [])):
        found += [(f"x-notes[{i}].when", note["when"])] if note.get("when") else []
        found += [(f"x-notes[{i}].text", e) for e in _placeholders(note.get("text", ""))]
    for i, check in enumerate(schema.get("x-checks", [])):
        found.append((f"x-checks[{i}].when", check.get("when", "")))
        found += [(f"x-checks[{i}].message", e) for e in _placeholders(check.get("message", ""))]
    for name, prop in schema.get("properties", {}).items():
        if "x-prefill" in prop:
            found.append((f"properties.{name}.x-prefill", prop["x-prefill"]))
    return found


Evaluate = Callable[[str], Any]  # evaluates an expression against the case's data


def notes(schema: dict, evaluate: Evaluate) -> list[dict]:
    """The form's notes for this case: [{"field": name or None, "text"}]."""
    out = []
    for note in schema.get("x-notes", []):
        if _holds(note.get("when"), evaluate):
            text = _fill(note.get("text", ""), evaluate)
            if text is not None:
                out.append({"field": note.get("field"), "text": text})
    return out


def prefill(schema: dict, evaluate: Evaluate) -> dict:
    """Initial values of the fields whose `x-prefill` the case can answer."""
    values = {}
    for name, prop in schema.get("properties", {}).items():
        if "x-prefill" in prop:
            value = _value(prop["x-prefill"], evaluate)
            if value not in (None, ""):
                values[name] = value
    return values


def check(schema: dict, evaluate: Evaluate) -> list[dict]:
    """Field errors [{"field", "message"}] of the form's checks that fail for this data."""
    errors = []
    for rule in schema.get("x-checks", []):
        if rule.get("field") and rule.get("when") and _holds(rule["when"], evaluate):
            message = _fill(rule.get("message", ""), evaluate)
            errors.append({"field": rule["field"], "message": message or rule.get("message", "")})
    return errors


def _placeholders(text: str) -> list[str]:
    return [field for _, field, _, _ in Formatter().parse(text) if field]


def _fill(text: str, evaluate: Evaluate) -> str | None:
    parts = []
    for literal, field, _, _ in Formatter().parse(text):
        parts.append(literal)
        if field:
            value = _value(field, evaluate)
            if value is None:
                return None
            parts.append(str(value))
    return "".join(parts)


def _holds(expression: str, evaluate: Evaluate) -> bool:
    """True without a condition; False when it cannot be evaluated."""
    return True if not expression else bool(_value(expression, evaluate))


def _value(expression: str, evaluate: Evaluate) -> Any:
    try:
        return evaluate(expression)
    except Exception as err:  # noqa: BLE001 — a case without the data the rule reads: the rule does not apply
        log.debug("form rule %r not evaluated: %s", expression, err)
        return None
