"""The year's figures: every count of indicators.py computed with SQL aggregates (one
grouped query per table), never by loading workflows.

`year_statistics(session, region, filters)` returns plain JSON-ready data: the headline
counts and ratios, a row per lead unit (with the units that carry half the load marked),
per assisting unit, per category, per proposer group (individual or joint), replies per
month against the deadline, the overdue records by kind, and the key proposals with
their state.
"""
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, exists, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.model import clock
from engine.model.tables import OverdueRecord, ProposalUnit, Unit
from engine.profile import sessions
from engine.profile.region import Region
from engine.queries.statistics import flags as f

# the filters of a figure, in a module of their own; re-exported for the callers of this one
from engine.queries.statistics.filters import (  # noqa: F401
    FILTERS,
    LABELS,
    Filters,
    china_year,
    parse_filters,
    proposal_clauses,
    session_clause,
)
from engine.queries.statistics.indicators import OVERDUE_KINDS, Indicators, indicators_of, ratio_value

GROUPS = {"individual": "个人提案", "joint": "联名提案"}
MAX_LISTED = 500  # key proposals listed
Counts = dict[str, int]  # {count code: n}
GroupKey = tuple[Any, ...]  # the values of a grouped query's dimensions (unit, category, group)
AnySelect = Select[*tuple[Any, ...]]
Dimension = ColumnElement[Any] | InstrumentedAttribute[Any]  # what a grouped query groups by


def _handling_counts(ind: Indicators, filters: Filters, *dims: Dimension) -> tuple[list[str], AnySelect]:
    """One grouped query over the handlings: `dims` then every handling-level count and the sums."""
    codes = [*ind.of_level("handling"), *ind.of_level("sum")]
    columns = [f.count(ind.counts[c].expression) if ind.counts[c].level == "handling"
               else func.coalesce(func.sum(ind.counts[c].expression), 0) for c in codes]
    stmt = f.lead_join(select(*dims, *columns).select_from(f.P)).where(f.filed(), *proposal_clauses(filters))
    if filters.unit:
        stmt = stmt.where(f.L.unit_id == filters.unit)
    if dims:
        stmt = stmt.group_by(*dims)
    return codes, stmt


def _proposal_counts(ind: Indicators, filters: Filters, *dims: Dimension) -> tuple[list[str], AnySelect]:
    codes = list(ind.of_level("proposal"))
    stmt = select(*dims, *(f.count(ind.counts[c].expression) for c in codes)).select_from(f.P).where(
        *proposal_clauses(filters))
    if filters.unit:
        stmt = stmt.where(exists().where(ProposalUnit.proposal_id == f.P.id, ProposalUnit.role == "lead",
                                         ProposalUnit.unit_id == filters.unit))
    if dims:
        stmt = stmt.group_by(*dims)
    return codes, stmt


def _assist_counts(ind: Indicators, filters: Filters, *dims: Dimension) -> tuple[list[str], AnySelect]:
    codes = list(ind.of_level("assist"))
    stmt = f.assist_join(select(*dims, *(f.count(ind.counts[c].expression) for c in codes)).select_from(f.P)).where(
        f.filed(), *proposal_clauses(filters))
    if filters.unit:
        stmt = stmt.where(f.A.unit_id == filters.unit)
    if dims:
        stmt = stmt.group_by(*dims)
    return codes, stmt


def _rows(session: Session, codes: list[str], stmt: AnySelect, dims: int = 0) -> dict[GroupKey, Counts]:
    """{dimension values (a tuple, () when none): {code: int}}."""
    return {tuple(row[:dims]): {c: int(v or 0) for c, v in zip(codes, row[dims:], strict=True)} for row in session.execute(stmt)}


def _with_ratios(ind: Indicators, counts: Counts) -> dict[str, Any]:
    return {"counts": counts, "ratios": {code: ratio_value(r, counts) for code, r in ind.ratios.items()}}


def _empty(ind: Indicators, level: str) -> Counts:
    return {c: 0 for c in ind.of_level(level)}


def short_plans(session: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of this transaction. The figures are
    grouped queries with a correlated lookup per count; with years of data stored their
    estimated cost passes `jit_above_cost`, and compiling them took longer (≈0.45 s) than
    running them (≈0.1 s, EXPLAIN ANALYZE in docs/statistics.md). Read-only, so harmless."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.get_transaction() is None or session.info.get("short_plans") is not session.get_transaction():
        session.execute(text("SET LOCAL jit = off"))
        session.info["short_plans"] = session.get_transaction()  # once per transaction (SET LOCAL ends with it)


class Grouped:
    """The three grouped queries everything else adds up: handlings by (lead unit, category,
    proposer group), proposals by category, assisting parts by unit."""

    def __init__(self, session: Session, ind: Indicators, filters: Filters) -> None:
        short_plans(session)
        group = case((f.joint(), "joint"), else_="individual")
        codes, stmt = _handling_counts(ind, filters, f.L.unit_id, f.P.category, group)
        self.handlings = _rows(session, codes, stmt, 3)
        codes, stmt = _proposal_counts(ind, filters, f.P.category)
        self.proposals = _rows(session, codes, stmt, 1)
        codes, stmt = _assist_counts(ind, filters, f.A.unit_id)
        self.assists = _rows(session, codes, stmt, 1)
        self.ind = ind

    def handling_sum(self, keep: Callable[[GroupKey], bool] = lambda key: True) -> Counts:
        """The handling counts added up over the groups `keep` accepts ((unit, category, group) keys)."""
        total = {**_empty(self.ind, "handling"), **_empty(self.ind, "sum")}
        for key, counts in self.handlings.items():
            if keep(key):
                for code, n in counts.items():
                    total[code] += n
        return total


def _at(index: int, value: str) -> Callable[[GroupKey], bool]:
    """Whether a group's key has `value` at `index` (0 unit, 1 category, 2 proposer group)."""
    return lambda key: key[index] == value


def _sum(rows: Iterable[Counts], level_empty: Counts) -> Counts:
    total = dict(level_empty)
    for counts in rows:
        for code, n in counts.items():
            total[code] += n
    return total


def headline(session: Session, ind: Indicators, filters: Filters, grouped: Grouped | None = None) -> dict[str, Any]:
    """The counts of all levels and the ratios over the filtered year."""
    grouped = grouped or Grouped(session, ind, filters)
    counts = {**_sum(grouped.proposals.values(), _empty(ind, "proposal")), **grouped.handling_sum(),
              **_sum(grouped.assists.values(), _empty(ind, "assist"))}
    return _with_ratios(ind, counts)


def by_unit(session: Session, ind: Indicators, filters: Filters, names: Mapping[str, str],
            grouped: Grouped | None = None) -> list[dict[str, Any]]:
    """A row per lead unit, most handlings first; `half_load` marks the units that together
    carry (at least) half of all handlings, as the report names them."""
    grouped = grouped or Grouped(session, ind, filters)
    leads = sorted({unit for unit, _, _ in grouped.handlings if unit})
    rows = [(unit, grouped.handling_sum(_at(0, unit))) for unit in leads]
    rows.sort(key=lambda r: (-r[1]["handlings"], names.get(r[0], r[0])))
    total, running, result = sum(c["handlings"] for _, c in rows), 0, list[dict[str, Any]]()
    for unit, counts in rows:
        counts = {**counts, **grouped.assists.get((unit,), _empty(ind, "assist"))}
        half = total > 0 and running * 2 < total
        running += counts["handlings"]
        result.append({"unit": unit, "name": names.get(unit, unit), "half_load": half, **_with_ratios(ind, counts)})
    return result


def by_assist_unit(session: Session, ind: Indicators, filters: Filters, names: Mapping[str, str],
                   grouped: Grouped | None = None) -> list[dict[str, Any]]:
    """A row per assisting unit, most parts first."""
    grouped = grouped or Grouped(session, ind, filters)
    rows = sorted(grouped.assists.items(), key=lambda r: (-r[1]["assist_parts"], r[0]))
    return [{"unit": unit, "name": names.get(unit, unit), **_with_ratios(ind, counts)} for (unit,), counts in rows]


def by_category(session: Session, ind: Indicators, filters: Filters,
                grouped: Grouped | None = None) -> list[dict[str, Any]]:
    """A row per category of the region (in its order), with the proposal and handling counts."""
    grouped = grouped or Grouped(session, ind, filters)
    result: list[dict[str, Any]] = []
    for code, label in ind.region.labels("categories").items():
        counts = {**grouped.handling_sum(_at(1, code)), **_empty(ind, "proposal"),
                  **grouped.proposals.get((code,), {})}
        result.append({"category": code, "name": label, **_with_ratios(ind, counts)})
    return result


def by_group(session: Session, ind: Indicators, filters: Filters, grouped: Grouped | None = None) -> list[dict[str, Any]]:
    """Individual (个人提案) and joint proposals (联名提案, with co-signers)."""
    grouped = grouped or Grouped(session, ind, filters)
    return [{"group": code, "name": label,
             **_with_ratios(ind, grouped.handling_sum(_at(2, code)))}
            for code, label in GROUPS.items()]


def _month(session: Session, moment: ColumnElement[datetime]) -> ColumnElement[str]:
    """'YYYY-MM' of a stored UTC time on the China calendar, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(clock.CHINA_SQL_ZONE, moment), "YYYY-MM")
    return func.strftime("%Y-%m", func.datetime(moment, clock.CHINA_SQLITE_OFFSET))


def monthly(session: Session, ind: Indicators, filters: Filters) -> list[dict[str, Any]]:
    """Replies per month (China calendar): how many, how many on time, how many late."""
    short_plans(session)
    facts = f.lead_join(select(f.reply_at().label("at"), case((f.late_reply(), 1), else_=0).label("late"))
                        .select_from(f.P)).where(f.filed(), f.replied(), *proposal_clauses(filters))
    if filters.unit:
        facts = facts.where(f.L.unit_id == filters.unit)
    replies = facts.subquery()
    month = _month(session, replies.c.at)
    stmt = (select(month, func.count(), func.coalesce(func.sum(replies.c.late), 0))
            .where(replies.c.at.is_not(None)).group_by(month).order_by(month))
    return [{"month": m, "replied": int(n), "late": int(late), "on_time": int(n) - int(late)}
            for m, n, late in session.execute(stmt)]


def overdue_by_kind(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """Overdue records of the filtered proposals, per kind: how many and how many units."""
    stmt = (select(OverdueRecord.kind, func.count(), func.count(distinct(OverdueRecord.unit_id)))
            .join(f.P, f.P.id == OverdueRecord.proposal_id).where(f.filed(), *proposal_clauses(filters))
            .group_by(OverdueRecord.kind))
    if filters.unit:
        stmt = stmt.where(or_(OverdueRecord.unit_id == filters.unit, OverdueRecord.lead_unit == filters.unit))
    found = {kind: (int(n), int(units)) for kind, n, units in session.execute(stmt)}
    return [{"kind": kind, "name": label, "records": found.get(kind, (0, 0))[0], "units": found.get(kind, (0, 0))[1]}
            for kind, label in OVERDUE_KINDS.items()]


def overdue_units(session: Session, filters: Filters, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The units with overdue records (the report names them), most records first."""
    stmt = (select(OverdueRecord.unit_id, OverdueRecord.kind, func.count())
            .join(f.P, f.P.id == OverdueRecord.proposal_id)
            .where(f.filed(), OverdueRecord.unit_id.is_not(None), *proposal_clauses(filters))
            .group_by(OverdueRecord.unit_id, OverdueRecord.kind))
    if filters.unit:
        stmt = stmt.where(OverdueRecord.unit_id == filters.unit)
    units: dict[str, Counts] = {}
    for unit, kind, n in session.execute(stmt):
        units.setdefault(unit or "", {})[kind] = int(n)  # never None: the query leaves those out
    rows = [{"unit": u, "name": names.get(u, u), "kinds": kinds, "records": sum(kinds.values())}
            for u, kinds in units.items()]
    return sorted(rows, key=lambda r: (-r["records"], r["name"]))


def key_proposals(session: Session, region: Region, filters: Filters, names: Mapping[str, str],
                  stage_labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The key proposals (重点提案) with their lead units, state, reply class and rating."""
    stmt = (select(f.P.id, f.P.number, f.P.title, f.P.status, f.P.reply_class, f.P.satisfaction)
            .where(f.filed(), f.key(), *proposal_clauses(filters)).order_by(f.P.number).limit(MAX_LISTED))
    if filters.unit:
        stmt = stmt.where(exists().where(ProposalUnit.proposal_id == f.P.id, ProposalUnit.role == "lead",
                                         ProposalUnit.unit_id == filters.unit))
    rows = session.execute(stmt).all()
    leads: dict[int, list[str]] = {}
    if rows:
        for pid, unit in session.execute(select(ProposalUnit.proposal_id, ProposalUnit.unit_id).where(
                ProposalUnit.proposal_id.in_([r.id for r in rows]), ProposalUnit.role == "lead")
                .order_by(ProposalUnit.unit_id)):
            leads.setdefault(pid, []).append(names.get(unit, unit))
    classes, ratings = region.labels("reply_classes"), region.satisfaction_labels()
    return [{"id": r.id, "number": r.number, "title": r.title, "leads": leads.get(r.id, []),
             "status": stage_labels.get(r.status, r.status), "closed": r.status == "closed",
             "reply_class": classes.get(r.reply_class), "satisfaction": ratings.get(r.satisfaction)} for r in rows]


def unit_names(session: Session) -> dict[str, str]:
    """Unit id → name, from the directory."""
    return dict(session.execute(select(Unit.id, Unit.name)).all())


def year_statistics(session: Session, region: Region, filters: Filters,
                    stage_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the 统计分析 page, the API and the report show for `filters`."""
    ind = indicators_of(region)
    names = unit_names(session)
    choice = sessions.session_label(region, filters.session) if filters.session else None
    grouped = Grouped(session, ind, filters)
    return {
        "filters": asdict(filters), "session_label": choice,
        **headline(session, ind, filters, grouped),
        "units": by_unit(session, ind, filters, names, grouped),
        "assist_units": by_assist_unit(session, ind, filters, names, grouped),
        "categories": by_category(session, ind, filters, grouped),
        "groups": by_group(session, ind, filters, grouped),
        "monthly": monthly(session, ind, filters),
        "overdue": overdue_by_kind(session, filters),
        "overdue_units": overdue_units(session, filters, names),
        "key_proposals": key_proposals(session, region, filters, names, stage_labels or {}),
    }
