"""Supervision pages (督办): random samples of assigned proposals and the overdue report.

For the committee, the government office and the supervision office; other
users get a 403 page (engine/services/supervision.py decides).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.http.common import runtime
from api.http.supervision import report_download
from engine.model import clock
from engine.model.errors import EngineError, Forbidden
from engine.queries import overdue_report as reports
from engine.queries.records import paging
from engine.services import supervision

from .guard import protect
from .session import acting

bp = protect(Blueprint("supervision", __name__))


@bp.route("/supervision/samples", methods=["GET", "POST"])
def samples():
    """The draw form (rate prefilled from the region, optional seed) and the past draws."""
    form = {"rate_percent": _number(runtime().region.sample_rate_percent), "seed": "", "label": ""}
    message, errors = None, {}
    with acting() as (uow, user):
        supervision.require_access(user)
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in form}
            try:
                drawn = supervision.draw_sample(uow, runtime().region, user,
                                                rate_percent=form["rate_percent"] or None,
                                                seed=form["seed"] or None, label=form["label"] or None,
                                                now=clock.now())
            except Forbidden:
                raise
            except EngineError as err:
                message = err.message
                errors = {e["field"]: e["message"] for e in err.details.get("errors", [])}
            else:
                flash(f"已从 {drawn['population_size']} 件已交办提案中抽取 {drawn['selected_count']} 件", "success")
                return redirect(url_for("supervision.sample", sample_id=drawn["id"]))
        result = supervision.list_samples(uow.session, user)
        return render_template("samples.html", form=form, message=message, errors=errors,
                               samples=result["items"], rate_default=_number(runtime().region.sample_rate_percent)), \
            (422 if message else 200)


@bp.get("/supervision/samples/<int:sample_id>")
def sample(sample_id):
    """One draw: its seed, the selected proposals and the result of re-drawing from the seed."""
    with acting() as (uow, user):
        detail = supervision.sample_detail(uow.session, user, sample_id)
        return render_template("sample.html", sample=detail, stage_labels=runtime().stage_labels)


PER_PAGE = 50  # rows of the detail list per page


@bp.get("/reports/overdue")
def overdue_report():
    """The overdue report over a date range (this year by default), by unit, with export links."""
    with acting() as (uow, user):
        supervision.require_access(user)
        start_text, end_text = request.args.get("from", "").strip(), request.args.get("to", "").strip()
        report, message, errors = None, None, {}
        try:
            start, end = reports.report_range(start_text, end_text, reports.china_today())
            start_text, end_text = start.isoformat(), end.isoformat()
            page = paging(request.args.get("page"))[0]
            report = reports.overdue_report(uow.session, user, start, end, runtime().region.catalogue,
                                            page=page, per_page=PER_PAGE)
        except Forbidden:
            raise
        except EngineError as err:
            message = err.message
            errors = {e["field"]: e["message"] for e in err.details.get("errors", [])}
        exports = None
        if report is not None:
            query = {"from": report["from"], "to": report["to"]}
            exports = {"xlsx": url_for("supervision.overdue_xlsx", **query),
                       "csv": url_for("supervision.overdue_csv", **query)}
        return render_template("overdue_report.html", report=report, start=start_text, end=end_text,
                               message=message, errors=errors, exports=exports), (400 if message else 200)


@bp.get("/reports/overdue.xlsx")
def overdue_xlsx():
    """The report as an XLSX download (超期情况报告_<from>_<to>.xlsx)."""
    return _download("xlsx")


@bp.get("/reports/overdue.csv")
def overdue_csv():
    """The by-unit summary as a CSV download (UTF-8 with BOM)."""
    return _download("csv")


def _download(fmt: str):
    with acting() as (uow, user):
        supervision.require_access(user)
        start, end = reports.report_range(request.args.get("from"), request.args.get("to"),
                                              reports.china_today())
        report = reports.overdue_report(uow.session, user, start, end, runtime().region.catalogue, page=None)
    return report_download(report, fmt)


def _number(value) -> str:
    """8.0 -> "8", 7.5 -> "7.5"."""
    return f"{float(value):g}"
