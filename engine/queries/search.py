"""The filters of the proposal search (GET /api/proposals and the 提案查询 page).

Every filter is optional; an empty value means "any". A filter that is not
known, or given twice, is refused (a 400 naming it), never silently ignored.

  q                 title or number contains
  status, category, reply_class, satisfaction   equal to the code
  unit              a unit with a part in it (lead, assisting or returned)
  is_key            key proposal: true/false
  leader            supervising leader (username)
  person            the proposer or a co-signer: the name people see (e.g. 陈委员), or the username; contains
  submitted_from, submitted_to   submission date range, China dates (YYYY-MM-DD), inclusive
  overdue           true: an overdue record still open, or an open task past its due date; false: neither
  year              the committee's year (of submission), e.g. 2026
  session           a session code of the region (届次/会次, e.g. 6-1), or "ordinary" (平时提案)
  lead              a lead unit (主办)
  indicator         counted in a statistics indicator (engine/queries/statistics/indicators.py), e.g.
                    replied, on_time, met, class:A, sat:satisfied; with `lead`, for that unit's handling
"""
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, and_, exists, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from engine.model import clock, limits
from engine.model.errors import EngineError
from engine.model.tables import OpenTask, OverdueRecord, Proposal, ProposalPerson, ProposalUnit, User
from engine.profile.region import Region
from engine.queries.filter_args import single_values
from engine.queries.statistics import compute, listing

PROPOSAL_FILTERS = ("q", "status", "category", "unit", "reply_class", "satisfaction", "is_key", "leader",
                    "person", "submitted_from", "submitted_to", "overdue", "year", "session", "lead", "indicator")
LABELS = {"q": "关键词", "status": "状态", "category": "类别", "unit": "承办单位", "reply_class": "答复类别",
          "satisfaction": "满意度", "is_key": "重点提案", "leader": "督办领导", "person": "提案者或联名人",
          "submitted_from": "提交日期（起）", "submitted_to": "提交日期（止）", "overdue": "超期",
          "year": "年度", "session": "届次", "lead": "主办单位", "indicator": "统计指标"}
_TRUE, _FALSE = {"1", "true"}, {"0", "false"}
Clause = ColumnElement[bool]  # a WHERE clause on Proposal


def proposal_filters(filters: Mapping[str, object], now: datetime | None = None,
                     region: Region | None = None) -> list[Clause]:
    """WHERE clauses on `Proposal` for `filters` ({name: text, or a list of texts as a
    query string gives them}); `region` is needed for `indicator`. Raises EngineError
    listing every field that is wrong."""
    errors: list[dict[str, str]] = []
    values = {key: value.strip() if key in ("q", "person") else value  # empty: any
              for key, value in single_values(filters, PROPOSAL_FILTERS, LABELS, errors).items()}
    where: list[Clause] = []
    if "q" in values:
        where.append(text_contains(values["q"]))
    for key in ("status", "category", "reply_class", "satisfaction"):
        if key in values:
            where.append(getattr(Proposal, key) == values[key])
    if "leader" in values:
        where.append(Proposal.supervising_leader == values["leader"])
    if "unit" in values:
        where.append(exists().where(ProposalUnit.proposal_id == Proposal.id, ProposalUnit.unit_id == values["unit"]))
    if "person" in values:
        where.append(_person(values["person"]))
    for key in ("is_key", "overdue"):
        flag = _flag(values.get(key), key, errors)
        if flag is not None:
            where.append(Proposal.is_key.is_(flag) if key == "is_key" else _overdue(flag, _utc(now or clock.now())))
    where += _year_filters(values, region, errors)
    start = limits.parse_day(values.get("submitted_from"), "submitted_from", LABELS["submitted_from"], errors)
    end = limits.parse_day(values.get("submitted_to"), "submitted_to", LABELS["submitted_to"], errors)
    if start and end and end < start:
        errors.append({"field": "submitted_to", "message": "提交日期（止）不能早于提交日期（起）"})
    if start:
        where.append(Proposal.submitted_at >= _utc(datetime.combine(start, time(), clock.CHINA)))
    if end:
        where.append(Proposal.submitted_at < _utc(datetime.combine(end + timedelta(days=1), time(), clock.CHINA)))
    if errors:
        raise EngineError("筛选条件不正确：" + "；".join(e["message"] for e in errors), errors=errors)
    return where


class _Bigrams(ColumnElement[bool]):
    """True when the title and number hold every two-character piece of `text`: on PostgreSQL
    the GIN index ix_proposals_bigrams (revision 0009_scale) answers it; elsewhere it is TRUE
    and the LIKE that goes with it does the work."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [("text", InternalTraversal.dp_clauseelement)]  # cached per statement shape

    def __init__(self, text: str) -> None:
        self.text = literal(text, String)


@compiles(_Bigrams)
def _bigrams_default(element: _Bigrams, compiler: SQLCompiler, **kw: Any) -> str:
    return "(1 = 1)"


@compiles(_Bigrams, "postgresql")
def _bigrams_postgresql(element: _Bigrams, compiler: SQLCompiler, **kw: Any) -> str:
    columns = f"{compiler.process(Proposal.__table__.c.title, **kw)}, {compiler.process(Proposal.__table__.c.number, **kw)}"
    return f"cppcc_bigrams({columns}) @> cppcc_bigrams({compiler.process(element.text, **kw)}, NULL)"


class _Contains(ColumnElement[bool]):
    """`column` contains `text`, case-insensitive. On PostgreSQL strpos(lower(column), lower(text))
    > 0: the same answer as ILIKE '%text%', two to three times cheaper per row on Chinese titles
    (docs/operations.md), and, with no statistics to estimate it by, it leaves the bigram index's
    estimate standing: a frequent term (停车) may then be found by walking the submission-date
    index newest first until the page is full (records.list_proposals never lets a term with
    few matches walk it). Elsewhere LIKE."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("text", InternalTraversal.dp_clauseelement),
                           ("pattern", InternalTraversal.dp_clauseelement)]  # cached per statement shape

    def __init__(self, column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], text: str) -> None:
        escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
        # Any: the compiler takes a mapped attribute, though its hints ask for a Visitable
        self.column: Any = column
        self.text, self.pattern = literal(text, String), literal(f"%{escaped}%", String)


@compiles(_Contains)
def _contains_default(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = compiler.process(element.column, **kw), compiler.process(element.pattern, **kw)
    return f"(lower({column}) LIKE lower({pattern}) ESCAPE '/')"


@compiles(_Contains, "postgresql")
def _contains_postgresql(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, text = compiler.process(element.column, **kw), compiler.process(element.text, **kw)
    return f"(strpos(lower({column}), lower({text})) > 0)"


def text_contains(text: str) -> Clause:
    """Title or number contains `text` (case-insensitive): by the bigram index where there
    is one (two characters or more), the contains-test checking what it found."""
    like = or_(_Contains(Proposal.title, text), _Contains(Proposal.number, text))
    return and_(_Bigrams(text), like) if len(text) >= 2 else like


def _utc(moment: datetime) -> datetime:
    """A moment as UTC: the stored times are UTC (SQLite compares them as written)."""
    return moment.astimezone(UTC)


def _person(text: str) -> Clause:
    """The proposer or a co-signer, by the name shown to people or by the username.

    Proposers and co-signers are accounts (submission and import check it), so the text is
    matched in the accounts, a small table, and their proposals are then found by the
    username index: a contains-match over every proposal's people would scan them all.
    """
    people = select(User.username).where(or_(User.username.icontains(text, autoescape=True),
                                             User.name.icontains(text, autoescape=True)))
    return Proposal.id.in_(select(ProposalPerson.proposal_id).where(ProposalPerson.username.in_(people)))


def _overdue(flag: bool, now: datetime) -> Clause:
    """Late: an overdue record still open (the partial index ix_overdue_records_open holds just
    those) or an open task past its due date. Asked as one set of ids, a few thousand at most
    whatever the years stored: an EXISTS per proposal made the capped count read proposals
    until a thousand late ones turned up, half the table when they are all of this year."""
    late = union_all(select(OverdueRecord.proposal_id).where(OverdueRecord.resolved_at.is_(None)),
                     select(OpenTask.proposal_id).where(OpenTask.due_at.is_not(None), OpenTask.due_at < now))
    return Proposal.id.in_(late) if flag else Proposal.id.not_in(late)


def _flag(text: str | None, key: str, errors: list[dict[str, str]]) -> bool | None:
    if text is None:
        return None
    if text not in _TRUE | _FALSE:
        errors.append({"field": key, "message": f"{LABELS[key]}应为 true 或 false"})
        return None
    return text in _TRUE


def _year_filters(values: Mapping[str, str], region: Region | None, errors: list[dict[str, str]]) -> list[Clause]:
    """year, session, lead and indicator: the same clauses the statistics count with."""
    where: list[Clause] = []
    if "year" in values:
        year = limits.parse_year(values["year"])
        if year is not None:
            where.append(Proposal.year == year)
        else:
            errors.append({"field": "year", "message": "年度应为四位年份，如 2026"})
    if "session" in values:
        where.append(compute.session_clause(values["session"]))
    if "lead" in values and "indicator" not in values:
        where.append(listing.lead_clause(values["lead"]))
    if "indicator" in values:
        if region is None:
            errors.append({"field": "indicator", "message": "统计指标筛选需要地区配置"})
        else:
            try:
                where.append(listing.indicator_clause(region, values["indicator"], values.get("lead")))
            except EngineError as err:
                errors.extend(err.details.get("errors", []))
    return where
