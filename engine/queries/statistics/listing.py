"""The proposals behind a figure: the search's `indicator` filter (with `lead`, the lead unit)
uses the same flag as the count, so a number and its list always agree (a proposal with
two separate leads is listed once even when both its handlings are counted).
"""
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select, true
from sqlalchemy.orm import Session

from engine.model.errors import EngineError
from engine.model.tables import OverdueRecord
from engine.profile.region import Region
from engine.queries.statistics import flags as f
from engine.queries.statistics.indicators import Indicators, indicators_of

MAX_MISSES = 100  # proposals listed as costing points, per item
Clause = ColumnElement[bool]  # a WHERE clause on the proposal


def _lead_exists(condition: Clause, lead: str | None) -> Clause:
    where = [f.L.proposal_id == f.P.id, f.L.role == "lead", condition]
    if lead:
        where.append(f.L.unit_id == lead)
    return exists(select(f.L.proposal_id).where(*where).correlate(f.P))


def indicator_clause(region: Region, code: str, lead: str | None = None,
                     indicators: Indicators | None = None) -> Clause:
    """A WHERE clause on the proposal: it is counted in `code` (for lead unit `lead`, if given).
    Raises EngineError for a code that names no listable count."""
    ind = indicators or indicators_of(region)
    if not ind.listable(code):
        raise EngineError("筛选条件不正确：没有这项统计指标",
                          errors=[{"field": "indicator", "message": f"没有统计指标“{code}”"}])
    count = ind.counts[code]
    if count.level == "proposal":
        clause = count.expression
        return and_(clause, _lead_exists(true(), lead)) if lead else clause
    if count.level == "assist":
        where = [f.A.proposal_id == f.P.id, f.A.role == "assist", count.expression, f.filed()]
        if lead:
            where.append(f.A.unit_id == lead)
        return exists(select(f.A.proposal_id).where(*where).correlate(f.P))
    if code == "handlings" and not lead:
        return f.filed()
    return and_(f.filed(), _lead_exists(count.expression, lead))


def lead_clause(unit: str) -> Clause:
    """The proposals `unit` leads (主办)."""
    return _lead_exists(true(), unit)


def missing(session: Session, ind: Indicators, ratio_code: str, unit: str,
            where: list[Clause]) -> list[dict[str, Any]]:
    """The proposals of lead `unit` in the ratio's denominator but not its numerator (the ones
    that cost points), as {id, number, title}; `where`: the year's filters."""
    ratio = ind.ratios[ratio_code]
    denominator = ind.counts[ratio.denominator]
    numerator = [ind.counts[c].expression for c in ratio.numerator if ind.counts[c].level == denominator.level]
    if denominator.level == "assist":
        stmt = f.assist_join(select(f.P.id, f.P.number, f.P.title).select_from(f.P)).where(f.A.unit_id == unit)
    elif denominator.level == "handling":
        stmt = f.lead_join(select(f.P.id, f.P.number, f.P.title).select_from(f.P)).where(f.L.unit_id == unit)
    else:
        return []
    stmt = stmt.where(f.filed(), denominator.expression, *where)
    if numerator:
        stmt = stmt.where(not_(or_(*numerator)))
    rows = session.execute(stmt.distinct().order_by(f.P.number).limit(MAX_MISSES))
    return [{"id": r.id, "number": r.number, "title": r.title} for r in rows]


def with_overdue(session: Session, unit: str, kinds: Iterable[str], where: list[Clause]) -> list[dict[str, Any]]:
    """The proposals with overdue records of `kinds` against `unit`."""
    stmt = (select(f.P.id, f.P.number, f.P.title).join(OverdueRecord, OverdueRecord.proposal_id == f.P.id)
            .where(OverdueRecord.unit_id == unit, OverdueRecord.kind.in_(list(kinds)), f.filed(), *where)
            .distinct().order_by(f.P.number).limit(MAX_MISSES))
    return [{"id": r.id, "number": r.number, "title": r.title} for r in session.execute(stmt)]
