"""Proposal numbers (立案号) from a region's `proposal_number_format`.

The format is a Python format string with these placeholders:
- `{seq}` (required): the sequence number, counted per year, or per year and session
  when the format uses `{session}` (`{seq:04d}` pads it);
- `{year}` (required: the sequence starts again each year, numbers must not repeat): the year of filing;
- `{session}`: the session's short label for numbers (engine/profile/sessions.py
  `number_label`: "6-1" for 六届一次会议, or the region's own; 平时提案 have theirs).

Pure functions of the format text: region_checks.py uses them before any region exists.
May import: nothing of the engine.
"""
import string

PLACEHOLDERS = {"seq": "序号", "year": "年份", "session": "届次"}
REQUIRED = "seq"


def placeholders(number_format: str) -> list[str]:
    """The field names the format uses, in order (ValueError if the braces are malformed)."""
    names = []
    for _, field, _, _ in string.Formatter().parse(number_format):
        if field is not None:
            names.append(field.split(".")[0].split("[")[0])
    return names


def uses_session(number_format: str) -> bool:
    """Whether numbers are counted per session (the format has `{session}`)."""
    try:
        return "session" in placeholders(number_format)
    except ValueError:
        return False


def format_number(number_format: str, year: int, seq: int, session: str = "") -> str:
    """The number of the `seq`-th proposal of `year` (and of `session`, its short label)."""
    return number_format.format(year=year, seq=seq, session=session)


def counter_name(number_format: str, year: int, session_code: str) -> str:
    """The name of the counter the next number is drawn from: one per year, or per year and
    session code when the format uses `{session}`."""
    if uses_session(number_format):
        return f"proposal_number:{year}:{session_code}"
    return f"proposal_number:{year}"


def format_problem(number_format: str) -> str | None:
    """What is wrong with a format, in Chinese, or None when it is usable."""
    known = "、".join(f"{{{name}}}（{label}）" for name, label in PLACEHOLDERS.items())
    try:
        names = placeholders(number_format)
    except ValueError:
        return f"提案编号格式的花括号不成对，可用的占位符是 {known}，现在是“{number_format}”"
    unknown = [name for name in names if name not in PLACEHOLDERS]
    if unknown:
        return (f"提案编号格式中的占位符“{{{unknown[0]}}}”无法识别，可用的占位符是 {known}，"
                f"现在是“{number_format}”")
    try:
        first = format_number(number_format, 2026, 1, "6-1")
        same = first == format_number(number_format, 2026, 2, "6-1")
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        same = True
    if REQUIRED not in names or same:
        return ("提案编号格式应包含 {seq}（序号，可写成 {seq:03d}）和 {year}（年份），可包含 {session}（届次），"
                f"现在是“{number_format}”")
    if "year" not in names:
        return ("提案编号格式应包含 {year}（年份）：序号每年从 1 开始，没有年份，下一年的编号会与今年的重复，"
                f"现在是“{number_format}”")
    return None


def label_problem(number_label: str) -> str | None:
    """What is wrong with a session's `number_label` ({term}, {ordinal}: digits), or None."""
    try:
        names = placeholders(number_label)
        number_label.format(term=6, ordinal=1)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        names = None
    if names is None or any(name not in ("term", "ordinal") for name in names):
        return f"届次在提案编号中的写法只能包含 {{term}}（届）和 {{ordinal}}（次），现在是“{number_label}”"
    return None
