"""Bounds on what a request may ask for, decided once: ids within the range of
the id columns, page numbers, JSON depth, the number of field errors listed,
and text free of characters the databases cannot store.

PostgreSQL refuses a NUL character in text and an id beyond its 32-bit
`integer` columns; SQLite refuses integers beyond 64 bits. Values outside
these bounds are refused here with a clear message, never sent to a database.
"""
import re
from datetime import date

MAX_ID = 2**31 - 1  # every id column is a 32-bit integer
MAX_PAGE = 100_000  # (page - 1) * per_page stays far inside any OFFSET
MAX_JSON_DEPTH = 32  # forms are a few levels deep; deeper JSON is refused before it is walked
MAX_JSON_BYTES = 2 * 1024 * 1024  # a JSON or form request body (uploads have their own limit)
MAX_FIELD_ERRORS = 50  # field errors listed in one answer; the rest are counted
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # dates people may ask about (the clock computes
# with a day either side: nothing overflows)
# the years a committee's lists, statistics and scores may be asked for: four digits, 1949-2999
# (the API document's pattern, YEAR_PATTERN, says the same; tests/unit/test_limits.py checks both)
FIRST_YEAR, LAST_YEAR = 1949, 2999
YEAR_PATTERN = "^(19(49|[5-9][0-9])|2[0-9]{3})$"
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL, and lone surrogates (not encodable as UTF-8)


def parse_id(value: object) -> int | None:
    """An id given as an int or as ASCII digits, within 1..MAX_ID; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
            return None
        value = int(text)
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    return None


def parse_year(value: object) -> int | None:
    """A year given as four ASCII digits (surrounding spaces ignored) or an int, within
    FIRST_YEAR..LAST_YEAR; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) == 4):
            return None
        value = int(text)
    return value if isinstance(value, int) and FIRST_YEAR <= value <= LAST_YEAR else None


def parse_positive(value: object, default: int, maximum: int) -> int | None:
    """A whole number given as ASCII digits (nothing else, not even spaces) or an int within
    1..maximum; `default` when absent (None); None when it is anything else."""
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit() and len(value) <= len(str(maximum))):
            return None
        value = int(value)
    if isinstance(value, int) and 1 <= value <= maximum:
        return value
    return None


def bad_text(value: str) -> bool:
    """Whether text holds a character no database can store (NUL, a lone surrogate)."""
    return isinstance(value, str) and bool(_BAD_TEXT.search(value))


def find_bad_text(data: object, prefix: str = "") -> str | None:
    """The path ("a/0/b") of the first string, or key, in JSON-like `data` that holds
    a character no database can store; None when there is none. Iterative, so any
    depth is safe."""
    stack = [(prefix, data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if bad_text(node):
                return path
        elif isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}/{key}" if path else str(key)
                if isinstance(key, str) and bad_text(key):
                    return shown_path(child)
                stack.append((child, value))
        elif isinstance(node, list):
            stack.extend((f"{path}/{n}" if path else str(n), value) for n, value in enumerate(node))
    return None


def shown_path(path: str) -> str:
    """A field path with the characters that may not be stored shown as \\uXXXX."""
    return _BAD_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", path)


def depth_of(data: object) -> int:
    """How deeply JSON-like `data` nests objects and arrays (a scalar is 0). Iterative."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def capped(errors: list, limit: int = MAX_FIELD_ERRORS) -> list:
    """At most `limit` field errors, then one line saying how many more there are."""
    if len(errors) <= limit:
        return errors
    return [*errors[:limit], {"field": "", "message": f"还有 {len(errors) - limit} 处错误未列出，请先修改以上各项"}]


def parse_day(text: object, field: str, label: str, errors: list) -> date | None:
    """A date given as YYYY-MM-DD (ASCII) between FIRST_DAY and LAST_DAY; None when absent
    (None or empty) or wrong, and then a message naming `field` is added to `errors`."""
    if text is None or text == "":
        return None
    day = None
    if isinstance(text, str) and len(text) == 10 and text.isascii():
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        errors.append({"field": field, "message": f"{label}应为 {FIRST_DAY} 至 {LAST_DAY} 之间的有效日期，格式为 YYYY-MM-DD"})
        return None
    return day
