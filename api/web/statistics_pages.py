"""The committee's year in pages: 统计分析 (/stats), 承办单位考核 (/assessment), their Excel
exports and the annual report (生成年度报告).

The figures, the scope (a unit head sees their own unit) and the scores come from
engine/queries/statistics; manual items and freezing are engine/services/assessment.py.
"""
import json
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.http.common import runtime
from api.http.statistics import FILTERS, XLSX_TYPE, download
from engine.model.errors import EngineError, Forbidden
from engine.queries.statistics import access, assessment as assessment_scores
from engine.queries.statistics.exports import TABLES, assessment_workbook, cell, columns
from engine.queries.statistics.indicators import Indicators, indicators_of
from engine.queries.statistics.report import DOCX_TYPE
from engine.rules import permissions
from engine.services import assessment as assessment_commands

from .guard import protect
from .session import acting

bp = protect(Blueprint("statistics", __name__))


def may_see_statistics(user) -> bool:
    """Whether the nav shows 统计分析 and 承办单位考核 to `user`."""
    try:
        permissions.statistics_scope(user)
    except Forbidden:
        return False
    return True


def _filters() -> dict:
    return {k: v for k, v in request.args.items() if k in FILTERS and v}


def _chart_data(stats: dict, ind: Indicators, list_url) -> dict:
    """What stats.js draws: each series with the proposal list behind each figure."""
    region = ind.region
    counts = stats["counts"]
    return {
        "classes": [{"name": label.split("（")[0], "full": label, "value": counts.get(f"class:{code}", 0), "url": list_url(indicator=f"class:{code}")}
                    for code, label in region.labels("reply_classes").items()],
        "ratings": [{"name": label, "value": counts.get(f"sat:{code}", 0), "url": list_url(indicator=f"sat:{code}")}
                    for code, label in region.labels("satisfaction_scale").items()],
        "categories": [{"name": row["name"], "value": row["counts"]["filed"],
                        "url": list_url(category=row["category"], indicator="filed")} for row in stats["categories"]],
        "monthly": stats["monthly"],
        "units": [{"name": row["name"], "value": row["counts"]["handlings"],
                   "url": list_url(lead=row["unit"], indicator="handlings")} for row in stats["units"][:20]],
    }


@bp.get("/stats")
def stats_page():
    """统计分析: filters, headline rates, charts, tables per unit and category, with links and exports."""
    with acting() as (uow, user):
        region = runtime().region
        options = access.choices(uow.session, region, user)
        args, status, message = _filters(), 200, None
        try:
            stats = access.statistics(uow.session, region, user, args, runtime().stage_labels)
        except Forbidden:
            raise
        except EngineError as err:
            message, status = err.message, err.status
            args = {}
            stats = access.statistics(uow.session, region, user, {}, runtime().stage_labels)
        ind = indicators_of(region)
        query = stats["list_query"]

        proposals_url = url_for("pages.proposals")  # built once: the page links every figure (hundreds)

        def list_url(**more):
            return f"{proposals_url}?{urlencode({k: v for k, v in {**query, **more}.items() if v is not None})}"

        tables = {name: columns(ind, name) for name in ("units", "assist_units", "categories", "groups")}
        return render_template(
            "stats.html", stats=stats, ind=ind, options=options, args=args, message=message, tables=tables,
            cell=cell, list_url=list_url, chart_json=json.dumps(_chart_data(stats, ind, list_url), ensure_ascii=False),
            may_report=permissions.may_make_report(user)), status


@bp.get("/stats/export.xlsx")
def stats_export():
    """One table (?table=units …) or all of them as an Excel workbook."""
    table = request.args.get("table")
    tables = [table] if table in TABLES else None
    with acting() as (uow, user):
        data, name = access.workbook(uow.session, runtime().region, user, _filters(), runtime().stage_labels, tables)
    return download(data, XLSX_TYPE, name)


@bp.get("/stats/report.docx")
def annual_report():
    """生成年度报告: the Word document for the filters shown."""
    with acting() as (uow, user):
        data, name = access.annual_report(uow.session, runtime().region, user, _filters(), runtime().stage_labels)
    return download(data, DOCX_TYPE, name)


@bp.get("/assessment")
def assessment_page():
    """承办单位考核: each unit's score and rank, and per unit every point explained."""
    live = request.args.get("live") in ("1", "true")
    with acting() as (uow, user):
        region = runtime().region
        options = access.choices(uow.session, region, user)
        result = access.assessment_for(uow.session, region, user, request.args.get("year"), live=live)
        return render_template("assessment.html", result=result, options=options, live=live,
                               scope=permissions.statistics_scope(user))


@bp.get("/assessment/export.xlsx")
def assessment_export():
    """The assessment as an Excel workbook."""
    live = request.args.get("live") in ("1", "true")
    with acting() as (uow, user):
        result = access.assessment_for(uow.session, runtime().region, user, request.args.get("year"), live=live)
    return download(assessment_workbook(result), XLSX_TYPE, f"承办单位考核_{result['year']}.xlsx")


@bp.post("/assessment/manual")
def assessment_manual():
    """The government office enters a manual item for a unit, with its reason."""
    form = request.form
    year = form.get("year", "")
    with acting() as (uow, user):
        try:
            assessment_commands.set_manual_item(uow, runtime().region, user, access.year_of(year), form.get("unit", ""),
                                                form.get("item", ""), form.get("points"), form.get("reason", ""))
        except Forbidden:
            raise
        except EngineError as err:
            flash(err.message, "error")
        else:
            flash("已保存考核手工项", "success")
    return redirect(url_for("statistics.assessment_page", year=year, live="true"))


@bp.post("/assessment/freeze")
def assessment_freeze():
    """The government office freezes the year's scores."""
    year = request.form.get("year", "")
    with acting() as (uow, user):
        permissions.check_may_assess(user)
        scores = assessment_scores.assess(uow.session, runtime().region, access.year_of(year))
        done = assessment_commands.freeze(uow, runtime().region, user, access.year_of(year), scores,
                                          request.form.get("note", ""))
    flash(f"已锁定 {done['year']} 年度考核结果（{done['units']} 家单位）", "success")
    return redirect(url_for("statistics.assessment_page", year=year))
