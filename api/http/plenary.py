"""The plenary rush in the API: batch review and assignment (批量审查交办), the
similar-proposal lookup, and proposals in and out of Excel."""
import io

from flask import Blueprint, Flask, jsonify, request, send_file

from api.http.auth import current_user
from api.http.common import json_body, runtime, services, unit_of_work
from api.http.input_checks import takes_files
from engine.model.errors import EngineError, InvalidForm
from engine.queries import plenary as plenary_rows, proposal_export, similar
from engine.services import plenary, proposal_import

bp = Blueprint("plenary", __name__, url_prefix="/api")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def number(name: str, default: int) -> int:
    """A positive integer query parameter, or a 400 naming it."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise EngineError(f"参数“{name}”应为正整数", errors=[{"field": name, "message": "应为正整数"}])
    return int(raw)


@bp.get("/plenary")
def batch_rows():
    """The proposals waiting for review or assignment, with likely duplicates and suggested units."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        plenary.require_batch(user)
        return jsonify(plenary_rows.list_page(uow.session, runtime(), user, request.args.get("category") or None,
                                              request.args.get("step") or None, number("page", 1),
                                              number("per_page", 50)))


@bp.post("/plenary")
def batch_apply():
    """Apply a page of decisions: each row its own case step, all or nothing; refused rows say why."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
    return jsonify(plenary.apply_page(services()["db"], runtime(), user, body.get("rows")))


@bp.get("/proposals/similar")
def similar_lookup():
    """Earlier proposals that look like the title (and body) being written."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(similar.lookup(uow.session, runtime(), user, request.args.get("title") or "",
                                      request.args.get("body") or "", number("limit", 0) or None))


@bp.get("/proposals/<int:proposal_id>/related")
def related(proposal_id: int):
    """The merge links (并案) and the similar proposals of one proposal."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(similar.related(uow.session, runtime(), user, proposal_id))


@bp.get("/proposals/import-template")
def import_template():
    """The Excel template for importing proposals (sheets 提案 and 填写说明)."""
    with unit_of_work() as uow:
        plenary.require_batch(current_user(uow.session))
    return xlsx_download(proposal_import.template_workbook(runtime()), "提案导入模板.xlsx")


@bp.post("/proposals/import")
@takes_files
def import_proposals():
    """Import proposals from an uploaded .xlsx (multipart field `file`); ?dry_run=1 only checks."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidForm("请选择要导入的 Excel 文件", [{"field": "file", "message": "请选择文件"}])
    dry_run = (request.args.get("dry_run") or "").lower() in ("1", "true")
    with unit_of_work() as uow:
        result = proposal_import.import_workbook(uow, runtime(), current_user(uow.session), upload.read(), dry_run)
    return jsonify(result), (422 if result["errors"] else 201 if result["written"] else 200)


def export_response(session, user, filters: dict):
    """The proposal search as an .xlsx download (GET /api/proposals?format=xlsx, the search page)."""
    data = proposal_export.export_workbook(session, runtime(), user, filters)
    return xlsx_download(data, "提案查询结果.xlsx")


def xlsx_download(data: bytes, name: str):
    """An .xlsx attachment with a Chinese file name (filename*=UTF-8''...), not cached."""
    response = send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> None:
    """Register the routes."""
    app.register_blueprint(bp)
