"""Supervision: random samples of assigned proposals, and the overdue report (JSON, XLSX or CSV).

Only the committee, the government office and the supervision office may use
these routes (engine/services/supervision.py decides).
"""
import io

from flask import Blueprint, Flask, jsonify, request, send_file, url_for

from api.http.auth import current_user
from api.http.common import json_body, runtime, unit_of_work
from engine.model import clock
from engine.model.errors import EngineError
from engine.queries import overdue_report as reports
from engine.queries.records import paging
from engine.services import rating_report, supervision

bp = Blueprint("supervision_api", __name__, url_prefix="/api")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.post("/supervision/samples")
def draw():
    """Draw a sample: {rate_percent?, seed?, label?}; 201 with the sample."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        supervision.require_access(user)
        result = supervision.draw_sample(uow, runtime().region, user,
                                         rate_percent=body.get("rate_percent"), seed=body.get("seed"),
                                         label=body.get("label"), now=clock.now())
    response = jsonify(result)
    response.status_code = 201
    response.headers["Location"] = url_for("supervision_api.sample", sample_id=result["id"])
    return response


@bp.get("/supervision/samples")
def samples():
    """Every sample drawn, newest first."""
    with unit_of_work() as uow:
        return jsonify(supervision.list_samples(uow.session, current_user(uow.session)))


@bp.get("/supervision/samples/<int:sample_id>")
def sample(sample_id: int):
    """One sample, its selected proposals and whether it re-draws the same from its seed."""
    with unit_of_work() as uow:
        return jsonify(supervision.sample_detail(uow.session, current_user(uow.session), sample_id))


@bp.get("/reports/overdue")
def overdue():
    """The overdue report for ?from=&to= (China dates), as JSON or ?format=xlsx|csv downloads."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        supervision.require_access(user)
        fmt = request.args.get("format", "json")  # one of the document's formats (api/http/contract.py)
        start, end = reports.report_range(request.args.get("from"), request.args.get("to"),
                                              reports.china_today())
        page, per_page = paging(request.args.get("page"), request.args.get("per_page"))
        report = reports.overdue_report(uow.session, user, start, end, runtime().region.catalogue,
                                        page=page if fmt == "json" else None, per_page=per_page)
    if fmt == "json":
        return jsonify(report)
    return report_download(report, fmt)


@bp.get("/reports/ratings")
def ratings():
    """评价统计 for ?from=&to= (China dates): per unit and each rating, 代录 marked; JSON or ?format=xlsx."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        supervision.require_access(user)
        fmt = (request.args.get("format") or "json").strip().lower()
        if fmt not in ("json", "xlsx"):
            raise EngineError("导出格式不正确", errors=[{"field": "format", "message": "格式应为 json 或 xlsx"}])
        start, end = reports.report_range(request.args.get("from"), request.args.get("to"),
                                          reports.china_today())
        report = rating_report.rating_report(uow.session, runtime(), user, start, end)
    if fmt == "json":
        return jsonify(report)
    response = send_file(io.BytesIO(rating_report.export_ratings(report)), mimetype=XLSX_TYPE, as_attachment=True,
                         download_name=rating_report.filename(report))
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def report_download(report: dict, fmt: str):
    """The report as an XLSX or CSV download named 超期情况报告_<from>_<to>.<fmt>."""
    if fmt == "xlsx":
        data, mimetype = reports.export_overdue(report), XLSX_TYPE
    else:
        data, mimetype = reports.export_overdue_csv(report).encode("utf-8"), "text/csv; charset=utf-8"
    # download_name: Werkzeug sends filename*=UTF-8''... so the Chinese name survives
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=reports.report_filename(report, fmt))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> None:
    """Register the supervision and report routes."""
    app.register_blueprint(bp)
