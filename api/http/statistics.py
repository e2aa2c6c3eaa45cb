"""The committee's year over the API: statistics (统计分析), unit assessment (承办单位考核)
and the annual report (提案办理情况报告). Each table exports as Excel with ?format=xlsx.

Who may see what is engine/rules/permissions.py (`statistics_scope`); the figures are
engine/queries/statistics; manual items and freezing are engine/services/assessment.py.
"""
import io

from flask import Blueprint, Flask, jsonify, request, send_file

from api.http.auth import current_user
from api.http.common import json_body, runtime, unit_of_work
from engine.model.errors import EngineError
from engine.queries.statistics import access, assessment as assessment_scores
from engine.queries.statistics.exports import assessment_workbook
from engine.queries.statistics.report import DOCX_TYPE
from engine.rules import permissions
from engine.services import assessment as assessment_commands

bp = Blueprint("statistics_api", __name__, url_prefix="/api")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = ("year", "session", "category", "unit", "key_only")


def _filters() -> dict:
    return {k: v for k, v in request.args.items() if k in FILTERS}


def _format() -> str:
    fmt = (request.args.get("format") or "json").strip().lower()
    if fmt not in ("json", "xlsx"):
        raise EngineError("导出格式不正确", errors=[{"field": "format", "message": "格式应为 json 或 xlsx"}])
    return fmt


def download(data: bytes, mimetype: str, name: str):
    """A file download with its Chinese name (filename*=UTF-8''…), never cached."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/statistics")
def statistics():
    """The year's figures: headline counts and ratios, tables per unit, category, group, month."""
    fmt = _format()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        if fmt == "xlsx":
            return download(*_xlsx(access.workbook(uow.session, runtime().region, user, _filters(),
                                                   runtime().stage_labels)))
        return jsonify(access.statistics(uow.session, runtime().region, user, _filters(), runtime().stage_labels))


@bp.get("/statistics/units")
def statistics_units():
    """The per-unit tables: lead units (with the units carrying half the load) and assisting units."""
    fmt = _format()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        if fmt == "xlsx":
            return download(*_xlsx(access.workbook(uow.session, runtime().region, user, _filters(),
                                                   runtime().stage_labels, tables=["units", "assist_units"])))
        stats = access.statistics(uow.session, runtime().region, user, _filters(), runtime().stage_labels)
    return jsonify({k: stats[k] for k in ("filters", "units", "assist_units", "definitions")})


def _xlsx(found):
    data, name = found
    return data, XLSX_TYPE, name


@bp.get("/assessment")
def assessment():
    """The year's unit scores with every point explained (the frozen snapshot, unless ?live=true)."""
    fmt = _format()
    live = (request.args.get("live") or "").lower() in ("1", "true")
    with unit_of_work() as uow:
        result = access.assessment_for(uow.session, runtime().region, current_user(uow.session),
                                       request.args.get("year"), live=live)
    if fmt == "xlsx":
        return download(assessment_workbook(result), XLSX_TYPE, f"承办单位考核_{result['year']}.xlsx")
    return jsonify(result)


@bp.put("/assessment/manual")
def assessment_manual():
    """The government office enters a manual item: {year, unit, item, points, reason}."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        result = assessment_commands.set_manual_item(uow, runtime().region, user, access.year_of(body.get("year")),
                                                     str(body.get("unit") or ""), str(body.get("item") or ""),
                                                     body.get("points"), str(body.get("reason") or ""))
    return jsonify(result)


@bp.post("/assessment/freeze")
def assessment_freeze():
    """The government office freezes the year's scores: {year, note?}; 201 with the snapshot."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        permissions.check_may_assess(user)
        scores = assessment_scores.assess(uow.session, runtime().region, access.year_of(body.get("year")))
        result = assessment_commands.freeze(uow, runtime().region, user, access.year_of(body.get("year")), scores,
                                            str(body.get("note") or ""))
    response = jsonify(result)
    response.status_code = 201
    return response


@bp.get("/reports/annual")
def annual_report():
    """The annual report (提案办理情况报告) as a Word document."""
    with unit_of_work() as uow:
        data, name = access.annual_report(uow.session, runtime().region, current_user(uow.session), _filters(),
                                          runtime().stage_labels)
    return download(data, DOCX_TYPE, name)


def init_app(app: Flask) -> None:
    """Register the statistics, assessment and report routes."""
    app.register_blueprint(bp)
