"""Answers for replayed tasks: region lists by published shares, recorded answers
fitted to another region, and answers invented from a form's JSON Schema.

Region lists (reply classes, satisfaction scale, categories, units) are never
named in code. A case draws a quantile once, and the quantile is mapped onto
the list of the region it is replayed in, by these shares:

- reply classes: the first class 81 %, the last 12 %, the classes between
  share 7 % (seed 004: A 81, B 7, C 12); with two classes 88 / 12;
- satisfaction: the first level 85 %, the last (dissatisfied) 2 %, the levels
  between share 13 %, each half the one before (seed 004: 85 / 13 / 2);
- categories: by label, 经济 17, 城建 42, 教科文卫 15, 综合 26; any other 8;
- units: Zipf weights in directory order (a few units handle half the work).

A recorded value that the replayed region lacks is mapped the same way: the
same code, else the same label, else the middle of its band in the recording
region's list, mapped onto the other list.

The invented-answer policy (a task the case has no answer for, or an answer
that still fails the form after mapping): the form's required fields, plus the
fields a condition of the form then requires, nothing else; a field that is
not yes/no keeps the value the case already holds under the same name when it
is valid (its reply class, its units); otherwise a list of choices gives its
first choice and a list field its first `minItems` choices; yes/no fields take
the schema default, else yes, and the opposite on every second invented answer
to the same task in one case (so that a "continue?" loop ends); a date is the
day of the answer; text is "（回放补充）", repeated up to `minLength`.
"""
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator

from engine.model import clock
from engine.model.errors import InvalidForm
from engine.profile.forms import FormCatalog
from engine.profile.region import Region

LISTS = {"urn:cppcc:region:reply-class": "reply_classes", "urn:cppcc:region:satisfaction": "satisfaction_scale",
         "urn:cppcc:region:category": "categories", "urn:cppcc:region:unit": "units"}
CATEGORY_SHARES = (("经济", 17), ("城", 42), ("教", 15), ("综合", 26))
OTHER_CATEGORY_SHARE = 8
FILLER = "（回放补充）"
MAX_FIT_ROUNDS = 8


class ReplayError(Exception):
    """A case cannot go on in one version; `message` says why (zh-CN)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TaskView:
    """A ready user task as the replay sees it: its metadata evaluated for this case."""

    id: object
    name: str
    title: str
    form: str
    role: str
    stage: str | None
    unit: str | None
    assignee: str | None
    occurrence: int  # the n-th time this task (for this unit or person) was ready in the case
    data: dict  # the task's data: the case's variables
    ready_at: datetime
    due_at: datetime | None
    task: object = field(default=None, repr=False)  # the SpiffWorkflow task
    lead_unit: str | None = None  # whose handling the task is part of

    @property
    def who(self) -> str:
        """The unit, else the person, else the role doing the task."""
        return self.unit or self.assignee or self.role


@dataclass
class Answer:
    """How a case answers one task: its form data (made at the moment of the answer) and when.

    Exactly one of `days` (working days the handler takes, then `minute`
    minutes after 09:00), `duration` (time after the task was ready) or `at`
    (a recorded moment; never before the task is ready) says when.
    """

    build: Callable[[datetime], dict | None]
    days: int | None = None
    minute: int = 0
    duration: timedelta | None = None
    at: datetime | None = None
    actor: str | None = None
    ref: int | None = None  # recorded: the index of the event used
    invented: bool = False  # made by the invented-answer policy


# -- shares and quantiles -------------------------------------------------------------

def class_shares(n: int) -> list[float]:
    """Shares of a region's reply classes, first to last (see the module docstring)."""
    if n <= 2:
        return [1.0] if n == 1 else [0.88, 0.12]
    return [0.81, *[0.07 / (n - 2)] * (n - 2), 0.12]


def satisfaction_shares(n: int) -> list[float]:
    """Shares of a region's satisfaction levels, best to worst."""
    if n <= 2:
        return [1.0] if n == 1 else [0.98, 0.02]
    weights = [0.5 ** i for i in range(n - 2)]
    return [0.85, *[0.13 * w / sum(weights) for w in weights], 0.02]


def category_shares(labels: list[str]) -> list[float]:
    """Shares of a region's categories, by the published figures matched on their labels."""
    weights = [next((w for word, w in CATEGORY_SHARES if word in label), OTHER_CATEGORY_SHARE) for label in labels]
    return [w / sum(weights) for w in weights]


def unit_shares(n: int) -> list[float]:
    """Zipf shares of n units in directory order."""
    weights = [1 / (i + 1) for i in range(n)]
    return [w / sum(weights) for w in weights]


def region_list(region: Region, key: str) -> tuple[list[str], list[str], list[float]]:
    """(codes, labels, shares) of one region list: reply_classes, satisfaction_scale, categories or units."""
    if key == "units":
        codes, labels = [u["id"] for u in region.units], [u["name"] for u in region.units]
        return codes, labels, unit_shares(len(codes))
    codes, names = region.codes(key), region.labels(key)
    labels = [names[c] for c in codes]
    if key == "reply_classes":
        return codes, labels, class_shares(len(codes))
    if key == "satisfaction_scale":
        return codes, labels, satisfaction_shares(len(codes))
    return codes, labels, category_shares(labels)


def pick(q: float, codes: list, shares: list[float], exclude: Collection = ()) -> Any:
    """The code whose band holds quantile q (0 <= q < 1), leaving out `exclude` (renormalised)."""
    kept = [(c, s) for c, s in zip(codes, shares, strict=True) if c not in exclude]
    if not kept:
        return None
    total, acc = sum(s for _, s in kept), 0.0
    for code, share in kept:
        acc += share / total
        if q < acc:
            return code
    return kept[-1][0]


def map_code(value: Any, key: str, source: Region, target: Region) -> Any:
    """A code of `source`'s list `key` as the comparable code of `target`'s list."""
    codes, labels, shares = region_list(target, key)
    if value in codes or source is None or source is target:
        return value
    s_codes, s_labels, s_shares = region_list(source, key)
    if value not in s_codes:
        return value
    label = s_labels[s_codes.index(value)]
    if label in labels:
        return codes[labels.index(label)]
    i = s_codes.index(value)
    return pick(sum(s_shares[:i]) + s_shares[i] / 2, codes, shares)


def translate(value: Any, schema: dict, source: Region, target: Region) -> Any:
    """Form data with every region-list value (per the raw schema's `$ref`s) mapped from `source` to `target`."""
    if not isinstance(schema, dict):
        return value
    key = LISTS.get(str(schema.get("$ref", "")))
    if key and isinstance(value, str):
        return map_code(value, key, source, target)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [translate(v, schema["items"], source, target) for v in value]
    if isinstance(value, dict):
        props, names, extra = schema.get("properties", {}), schema.get("propertyNames"), schema.get("additionalProperties")
        return {(translate(k, names, source, target) if names else k):
                translate(v, props.get(k, extra if isinstance(extra, dict) else {}), source, target)
                for k, v in value.items()}
    return value


# -- fitting an answer to a side's form -------------------------------------------------

def fit(forms: FormCatalog, form: str, data: dict | None, source: Region | None = None, known: dict | None = None, nth: int = 0,
        at: datetime | None = None) -> tuple[dict, bool]:
    """Form data valid for `forms` (one side's FormCatalog): (fields as the app stores them, invented?).

    `data` is the case's answer (None for no answer: invent one); values of
    `source`'s region lists are mapped first; what still fails is replaced by
    the invented-answer policy, with `known` (the task's data) for values the
    case already holds and `nth` invented answers to this task before.
    Raises ReplayError when no valid answer can be made.
    """
    if data is not None:
        clean = {k: v for k, v in data.items() if v is not None}  # the log keeps absent fields as None
        try:
            return forms.validate(form, clean), False
        except InvalidForm:
            pass
        if source is not None and source is not forms.region:
            clean = translate(clean, forms.schemas[form], source, forms.region)
            try:
                return forms.validate(form, clean), False
            except InvalidForm:
                pass
    return invent(forms, form, known or {}, nth, at, keep=clean if data is not None else None), True


def invent(forms: FormCatalog, form: str, known: dict, nth: int = 0, at: datetime | None = None, keep: dict | None = None) -> dict:
    """An answer to form `form` made by the invented-answer policy (module docstring); validated fields."""
    schema = forms.resolved(form)
    props = schema.get("properties", {})
    day = (at or clock.now()).astimezone(clock.CHINA).date().isoformat()
    data = dict(keep or {})
    policy = set()
    for name in schema.get("required", []):
        if name not in data and name in props:
            data[name] = _value(name, props[name], known, nth, day)
            policy.add(name)
    for _ in range(MAX_FIT_ROUNDS):
        try:
            return forms.validate(form, data)
        except InvalidForm as err:
            errors = err.errors
        changed = False
        for error in errors:
            name = error["field"].split("/")[0]
            if name not in props:
                if name in data:  # a field this form does not have
                    del data[name]
                    changed = True
            elif name not in policy:
                data[name] = _value(name, props[name], known if name not in data else {}, nth, day)
                policy.add(name)
                changed = True
        if not changed:
            break
    messages = "；".join(e["message"] for e in errors)
    raise ReplayError(f"无法为表单 {form} 补充有效的答案：{messages}")


def _value(name: str, prop: dict, known: dict, nth: int, day: str) -> Any:
    kind = prop.get("type")
    if kind == "boolean":
        base = prop["default"] if isinstance(prop.get("default"), bool) else True
        return base if nth % 2 == 0 else not base
    if name in known and known[name] is not None and Draft202012Validator(prop).is_valid(known[name]):
        return known[name]
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][0]
    if kind == "string":
        if prop.get("format") == "date":
            return day
        text = FILLER
        while len(text) < prop.get("minLength", 0):
            text += FILLER
        return text[:prop["maxLength"]] if "maxLength" in prop else text
    if kind == "array":
        items, count = prop.get("items", {}), prop.get("minItems", 0)
        if items.get("enum"):
            return list(items["enum"][:count])
        return [_value(name, items, {}, nth, day) for _ in range(count)]
    if kind == "object":
        return {}
    if kind in ("integer", "number"):
        return prop.get("minimum", 0)
    return None
