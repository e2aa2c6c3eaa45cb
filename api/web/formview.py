"""Turn a task's JSON Schema into form fields for a page, and a posted form back
into JSON data for the engine. The engine validates; this only converts.

Widgets by schema shape:
  string + enum (≤ 4 options) -> radio; string + enum -> select; format date -> date;
  x-widget textarea -> textarea; string -> text; boolean -> yes/no radio;
  integer/number -> number; array of enum -> checkboxes (e.g. units);
  array with x-widget "proposers" -> checkboxes of proposer accounts;
  array of objects -> repeated group; array with x-widget "attachments" -> file upload;
  object with additionalProperties enum and x-keys -> one select per key
  (e.g. a rating per assisting unit, keys from the case data named by x-keys).
"""
from dataclasses import dataclass, field as dc_field


@dataclass
class Field:
    """One form field as the template draws it."""

    name: str
    title: str
    widget: str
    required: bool = False
    value: object = None
    options: list = dc_field(default_factory=list)  # [(code, label)]
    error: str | None = None
    description: str | None = None
    rows: list = dc_field(default_factory=list)  # repeated group: [[Field]]
    template: list = dc_field(default_factory=list)  # repeated group: an empty row
    keys: list = dc_field(default_factory=list)  # keyed selects: [(key, label)]
    notes: list = dc_field(default_factory=list)  # the form's notes on this field (the region's rules)


def widget_of(prop: dict) -> str:
    """The widget name for one property schema."""
    kind, xw = prop.get("type"), prop.get("x-widget")
    if xw in ("textarea", "proposers", "attachments", "leaders"):
        return xw
    if kind == "boolean":
        return "yesno"
    if kind in ("integer", "number"):
        return "number"
    if kind == "array":
        items = prop.get("items", {})
        if items.get("type") == "object":
            return "group"
        return "checkboxes" if "enum" in items else "text"
    if kind == "object":
        return "keyed" if "x-keys" in prop else "text"
    if "enum" in prop:
        return "radio" if len(prop["enum"]) <= 4 else "select"
    if prop.get("format") == "date":
        return "date"
    return "text"


def _options(prop: dict) -> list:
    labels = prop.get("x-labels", {})
    return [(code, labels.get(code, code)) for code in prop.get("enum", [])]


def build_fields(schema: dict, data: dict, errors: dict, choices: dict, context: dict,
                 prefix: str = "") -> list[Field]:
    """Fields of `schema` filled with `data`, each with its error message if any.

    `choices` gives options for widgets that list accounts ({"proposers": [...]}),
    `context` the case data that x-keys refer to.
    """
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        full = f"{prefix}{name}"
        w = widget_of(prop)
        f = Field(name=full, title=prop.get("title", name), widget=w, required=name in required,
                  value=(data or {}).get(name, prop.get("default")), error=errors.get(full),
                  description=prop.get("description"))
        if w in ("radio", "select"):
            f.options = _options(prop)
        elif w == "checkboxes":
            f.options = _options(prop["items"])
        elif w == "proposers":
            f.options = choices.get("proposers", [])
        elif w == "leaders":
            f.options = choices.get("leaders", [])
        elif w == "keyed":
            keys = context.get(prop["x-keys"]) or {}
            labels = choices.get("unit_names", {})
            f.keys = [(k, labels.get(k, k)) for k in keys]
            f.options = _options(prop.get("additionalProperties", {}))
        elif w == "group":
            item = prop["items"]
            rows = f.value if isinstance(f.value, list) else []
            f.rows = [build_fields(item, row, errors, choices, context, f"{full}-{i}-") for i, row in enumerate(rows)]
            f.template = build_fields(item, {}, {}, choices, context, f"{full}-__i__-")
        out.append(f)
    return out


def parse_form(schema: dict, form, prefix: str = "") -> dict:
    """The posted `form` (a MultiDict) as JSON data shaped by `schema`.

    Empty inputs are left out so the schema's `required` reports them; values
    that do not convert are passed as text so the schema reports their type.
    """
    data = {}
    for name, prop in schema.get("properties", {}).items():
        full, w = f"{prefix}{name}", widget_of(prop)
        if w in ("checkboxes", "proposers"):
            data[name] = [v for v in form.getlist(full) if v]
        elif w == "attachments":
            data[name] = [int(v) if v.isascii() and v.isdigit() else v for v in form.getlist(full) if v]
        elif w == "keyed":
            marker = f"{full}."
            data[name] = {k[len(marker):]: v for k, v in form.items(multi=True) if k.startswith(marker) and v}
        elif w == "group":
            rows, i = [], 0
            while any(k.startswith(f"{full}-{i}-") for k in form.keys()):
                row = parse_form(prop["items"], form, f"{full}-{i}-")
                if any(v not in (None, "", [], {}) for v in row.values()):
                    rows.append(row)
                i += 1
            data[name] = rows
        else:
            raw = form.get(full, "")
            raw = raw.strip() if w != "textarea" else raw.strip("\r\n ")
            if raw == "":
                continue
            data[name] = _convert(w, raw)
    return data


def _convert(widget, raw):
    if widget == "yesno":
        return {"true": True, "false": False}.get(raw, raw)
    if widget == "number":
        try:
            return int(raw) if raw.lstrip("-").isascii() and raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            return raw
    return raw


def field_errors(errors: list) -> dict:
    """Engine field errors [{"field": "a/0/b", "message"}] keyed by form field name
    ("a-0-b"); the top-level field ("a") also gets the first message of its parts."""
    out = {}
    for e in errors or []:
        parts = [p for p in e["field"].split("/") if p]
        if not parts:
            out.setdefault("__all__", e["message"])
            continue
        out.setdefault("-".join(parts), e["message"])
        out.setdefault(parts[0], e["message"])
    return out
