"""Years and sessions (届次/会次) of a region's committee, from the `sessions:` block of region.yaml.

Each year has one plenary session (全体会议) of the current term: a term lasts
`term_years` years from its `first_year`, and a later term follows on by itself
(六届 2022–2026, then 七届 2027–2031 …). A session's code is "<term>-<ordinal>"
("6-1" for 六届一次会议); a proposal of no session is one of the year's 平时提案
(code ORDINARY). A region without a `sessions:` block has 平时提案 only.
"""
from dataclasses import dataclass

from engine.profile.region import Region

ORDINARY = "ordinary"
_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Session:
    """One plenary session: code, label shown to people, and its year."""

    code: str
    label: str
    year: int


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 21 → 二十一, 105 → 一百零五, 160 → 一百六十 (the numerals of
    届次 and 会次; any year the statistics accept gives a term number below 10,000)."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    words, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            words += ("零" if zero else "") + _DIGITS[digit] + unit
            zero = False
        elif words:
            zero = True
    return words


def _config(region: Region) -> dict | None:
    return region.raw.get("sessions")


def ordinary_label(region: Region) -> str:
    """The label of the year's ordinary proposals (平时提案)."""
    return (_config(region) or {}).get("ordinary_label", "平时提案")


def session_of_year(region: Region, year: int) -> Session | None:
    """The plenary session held in `year`, or None before the first configured term."""
    config = _config(region)
    if not config:
        return None
    span = config.get("term_years", 5)
    terms = sorted(config["terms"], key=lambda t: t["first_year"])
    current = None
    for term in terms:
        if term["first_year"] <= year:
            current = term
    if current is None:
        return None
    later_terms, ordinal = divmod(year - current["first_year"], span)
    number = current["number"] + later_terms
    label = config.get("label", "{term}届{ordinal}次会议").format(
        term=chinese_number(number), ordinal=chinese_number(ordinal + 1), year=year)
    return Session(code=f"{number}-{ordinal + 1}", label=label, year=year)


def sessions_between(region: Region, first: int, last: int) -> list[Session]:
    """The sessions of the years `first` to `last` (both included), oldest first."""
    found = (session_of_year(region, year) for year in range(first, last + 1))
    return [s for s in found if s is not None]


def first_year(region: Region) -> int | None:
    """The year of the first configured term (None: the region has no sessions)."""
    config = _config(region)
    return min(t["first_year"] for t in config["terms"]) if config else None


def session_choices(region: Region, until_year: int) -> dict[str, str]:
    """Code → label of 平时提案 and every session from the first term to `until_year`."""
    start = first_year(region)
    listed = sessions_between(region, start, until_year) if start else []
    return {ORDINARY: ordinary_label(region), **{s.code: s.label for s in listed}}


def session_label(region: Region, code: str | None) -> str:
    """The label of a stored session code (None or ORDINARY: 平时提案)."""
    if not code or code == ORDINARY:
        return ordinary_label(region)
    try:
        number, ordinal = (int(part) for part in code.split("-"))
    except ValueError:
        return code
    config = _config(region) or {}
    return config.get("label", "{term}届{ordinal}次会议").format(
        term=chinese_number(number), ordinal=chinese_number(ordinal), year="")


def number_label(region: Region, code: str | None) -> str:
    """What `{session}` stands for in a proposal number (engine/profile/numbering.py): the
    `number_label` of the `sessions:` block with {term} and {ordinal} in digits ("{term}-{ordinal}",
    the session's code, unless set), or `ordinary_number_label` (平时) for 平时提案."""
    config = _config(region) or {}
    if not code or code == ORDINARY:
        return config.get("ordinary_number_label", "平时")
    try:
        number, ordinal = (int(part) for part in code.split("-"))
    except ValueError:
        return code
    return config.get("number_label", "{term}-{ordinal}").format(term=number, ordinal=ordinal)


def stored_session(code: str | None) -> str | None:
    """The column value of a chosen session: None for 平时提案."""
    return None if not code or code == ORDINARY else code


def submission_session(region: Region, year: int, source: str) -> str:
    """The session a proposal submitted in `year` from `source` (plenary | ordinary) belongs to."""
    if source == "plenary":
        found = session_of_year(region, year)
        if found is not None:
            return found.code
    return ORDINARY
