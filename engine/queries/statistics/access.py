"""What a person asks of the committee's year, checked and scoped: the figures, the
assessment and the report for a user and the query parameters they gave. The entry
points (api/http/statistics.py, api/web/statistics_pages.py, `cppcc report`) call these.

Everyone who may look (engine/rules/permissions.py `statistics_scope`) sees every unit,
except a unit head, who sees their own unit's figures and score only.
"""
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import limits
from engine.model.errors import EngineError, Forbidden
from engine.model.tables import Unit, User
from engine.profile import sessions
from engine.profile.region import Region
from engine.queries.statistics import assessment, compute, exports, report
from engine.queries.statistics.indicators import indicators_of
from engine.rules import permissions


def definitions(region: Region) -> dict[str, Any]:
    """Every indicator's label and meaning (口径说明): counts and ratios with numerator and denominator."""
    ind = indicators_of(region)
    return {"counts": {c.code: {"label": c.label, "meaning": c.meaning} for c in ind.counts.values()},
            "ratios": {r.code: {"label": r.label, "meaning": r.meaning, "numerator": list(r.numerator),
                                "denominator": r.denominator, "percent": not r.average} for r in ind.ratios.values()}}


def filters_for(session: Session, region: Region, user: User, args: Mapping[str, object]) -> compute.Filters:
    """The filters of a request, a unit head's forced to their own unit."""
    scope = permissions.statistics_scope(user)
    units = session.scalars(select(Unit.id)).all()
    return compute.parse_filters(args, region, units, forced_unit=scope)


def statistics(session: Session, region: Region, user: User, args: Mapping[str, object],
               stage_labels: Mapping[str, str]) -> dict[str, Any]:
    """The figures for the request, with the indicator definitions and the choices of the filters."""
    filters = filters_for(session, region, user, args)
    result = compute.year_statistics(session, region, filters, stage_labels)
    result["definitions"] = definitions(region)
    result["scope_unit"] = permissions.statistics_scope(user)
    result["list_query"] = filters.query()
    return result


def choices(session: Session, region: Region, user: User) -> dict[str, Any]:
    """What the filters offer: years with proposals (and this one), sessions, categories, units."""
    scope = permissions.statistics_scope(user)
    from engine.model.tables import Proposal

    years = sorted({y for y in session.scalars(select(Proposal.year).distinct()) if y} | {compute.china_year()},
                   reverse=True)
    units = session.execute(select(Unit.id, Unit.name).order_by(Unit.id)).all()
    return {"years": years, "sessions": sessions.session_choices(region, max(years) + 1),
            "categories": region.labels("categories"),
            "units": {u: n for u, n in units if scope is None or u == scope}}


def workbook(session: Session, region: Region, user: User, args: Mapping[str, object],
             stage_labels: Mapping[str, str], tables: Sequence[str] | None = None) -> tuple[bytes, str]:
    """The figures as an XLSX workbook and its download name."""
    stats = statistics(session, region, user, args, stage_labels)
    name = f"{stats['filters']['year']}年度" + (f"（{stats['session_label']}）" if stats["session_label"] else "")
    data = exports.workbook(indicators_of(region), stats, tables, title=f"{region.name}{name}提案办理统计")
    return data, f"提案办理统计_{stats['filters']['year']}" + ("_" + "_".join(tables) if tables else "") + ".xlsx"


def year_of(text: object) -> int:
    """A year parameter (this year when empty); a bad one is an EngineError naming `year`."""
    if text in (None, ""):
        return compute.china_year()
    year = limits.parse_year(text)
    if year is None:
        raise EngineError("年度不正确", errors=[{"field": "year", "message": "年度应为四位年份，如 2026"}])
    return year


def assessment_for(session: Session, region: Region, user: User, year_text: object,
                   live: bool = False) -> dict[str, Any]:
    """The year's unit scores (a frozen snapshot unless `live`), cut to a unit head's own unit."""
    scope = permissions.statistics_scope(user)
    result = assessment.shown(session, region, year_of(year_text), live=live)
    result = assessment.only_unit(result, scope)
    result["may_assess"] = permissions.may_assess(user)
    return result


def annual_report(session: Session, region: Region, user: User, args: Mapping[str, object],
                  stage_labels: Mapping[str, str]) -> tuple[bytes, str]:
    """The annual report .docx for the request and its download name (all units: not for a unit head)."""
    if not permissions.may_make_report(user):
        raise Forbidden("只有提案委、政府办、督查室和领导可以生成年度报告")
    filters = filters_for(session, region, user, args)
    label = sessions.session_label(region, filters.session) if filters.session else None
    return report.annual_report(session, region, filters, stage_labels), report.report_filename(filters, label)
