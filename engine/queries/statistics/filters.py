"""Which proposals a figure of the year covers: the filters (year, session, category, lead
unit, key proposals only) parsed from query parameters with an error naming each wrong one,
and the WHERE clauses they give (engine/queries/statistics/compute.py re-exports them).

May import: `engine.model`, `engine.profile`, `engine.queries.filter_args` and the statistics'
own `flags`.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_

from engine.model import clock, limits
from engine.model.errors import EngineError
from engine.profile import sessions
from engine.profile.region import Region
from engine.queries.filter_args import single_values
from engine.queries.statistics import flags as f

FILTERS = ("year", "session", "category", "unit", "key_only")
LABELS = {"year": "年度", "session": "届次", "category": "类别", "unit": "承办单位", "key_only": "只看重点提案"}

@dataclass(frozen=True)
class Filters:
    """Which proposals a figure covers: the year (of submission) and session, a category,
    a lead unit, key proposals only."""

    year: int
    session: str | None = None
    category: str | None = None
    unit: str | None = None
    key_only: bool = False

    def query(self) -> dict[str, str]:
        """The filters as the proposal search's query parameters (the list behind a figure)."""
        found = {"year": str(self.year), "session": self.session, "category": self.category, "lead": self.unit,
                 "is_key": "true" if self.key_only else None}
        return {k: v for k, v in found.items() if v}


def china_year(moment: datetime | None = None) -> int:
    """The year on the China calendar now (or at `moment`)."""
    return (moment or clock.now()).astimezone(clock.CHINA).year


def parse_filters(args: Mapping[str, object], region: Region, unit_ids: Iterable[str],
                  forced_unit: str | None = None) -> Filters:
    """Filters from query parameters ({name: text}); unknown, repeated or wrong ones are an
    EngineError naming each field. `forced_unit`: a unit head sees their own unit only."""
    errors: list[dict[str, str]] = []
    values = {key: value.strip() for key, value in single_values(args, FILTERS, LABELS, errors).items()}
    year = china_year()
    if "year" in values:
        given = limits.parse_year(values["year"])
        if given is None:
            errors.append({"field": "year", "message": "年度应为四位年份，如 2026"})
        else:
            year = given
    choices = sessions.session_choices(region, max(year, china_year()) + 1)
    if "session" in values and values["session"] not in choices:
        errors.append({"field": "session", "message": f"没有届次“{values['session']}”"})
    if "category" in values and values["category"] not in region.codes("categories"):
        errors.append({"field": "category", "message": f"没有类别“{values['category']}”"})
    if "unit" in values and values["unit"] not in set(unit_ids):
        errors.append({"field": "unit", "message": f"没有承办单位“{values['unit']}”"})
    key_only = values.get("key_only", "false")
    if key_only not in ("true", "false", "1", "0"):
        errors.append({"field": "key_only", "message": "只看重点提案应为 true 或 false"})
    if errors:
        raise EngineError("筛选条件不正确：" + "；".join(e["message"] for e in errors), errors=errors)
    unit = forced_unit or values.get("unit")
    return Filters(year=year, session=values.get("session"), category=values.get("category"), unit=unit,
                   key_only=key_only in ("true", "1"))


def session_clause(code: str) -> ColumnElement[bool]:
    """The proposals of a session code (ORDINARY: 平时提案, stored as such or left empty)."""
    if code == sessions.ORDINARY:
        return or_(f.P.session.is_(None), f.P.session == sessions.ORDINARY)
    return f.P.session == code


def proposal_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE clauses on the proposal for the year, session, category and key-only filters."""
    where: list[ColumnElement[bool]] = [f.P.year == filters.year]
    if filters.session:
        where.append(session_clause(filters.session))
    if filters.category:
        where.append(f.P.category == filters.category)
    if filters.key_only:
        where.append(f.key())
    return where
