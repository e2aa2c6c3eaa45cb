"""The plenary rush in the pages: 批量审查交办, the similar-proposal lookup behind the
submission form, the Excel export of a search and the Excel import of proposals."""
import re

from flask import Blueprint, Flask, abort, flash, jsonify, render_template, request
from markupsafe import Markup

from api.http.common import runtime, services
from api.http.input_checks import takes_files
from api.http.plenary import export_response, xlsx_download
from engine.model.errors import EngineError, InvalidForm
from engine.queries import plenary as plenary_rows, similar
from engine.rules.permissions import may_review_in_batch
from engine.services import plenary, proposal_import

from .guard import protect
from .session import acting

bp = protect(Blueprint("plenary_pages", __name__))
PAGE_SIZES = (20, 50, 100, 200)
_ROW_KEY = re.compile(r"rows-(\d{1,4})-task_id")
DECISIONS = {"file": "立案", "not_file": "不立案", "merge": "并案", "opinion": "转为意见", "": "暂不处理"}


def _committee(user):
    if not may_review_in_batch(user):
        abort(403)


def _listing(uow, user, args) -> dict:
    per_page = args.get("per_page", "50")
    per_page = int(per_page) if per_page.isascii() and per_page.isdigit() and int(per_page) in PAGE_SIZES else 50
    page = args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100000 else 1
    return plenary_rows.list_page(uow.session, runtime(), user, args.get("category") or None,
                                  args.get("step") or None, page, per_page)


def posted_rows(form) -> list[dict]:
    """The page's rows as the batch service takes them (rows-<n>-<field> inputs)."""
    rows = []
    numbers = sorted(int(m.group(1)) for m in (_ROW_KEY.fullmatch(k) for k in form.keys()) if m)
    for n in numbers:
        def get(key, n=n):
            return (form.get(f"rows-{n}-{key}") or "").strip()

        version, merge = get("version"), get("merge_into_id")
        lead, extra = get("lead"), [u for u in form.getlist(f"rows-{n}-more_leads") if u]
        row = {"task_id": get("task_id"), "decision": get("decision"), "category": get("category") or None,
               "reason": get("reason") or None, "lead_unit_ids": ([lead] if lead else []) + [u for u in extra if u != lead],
               "assisting_unit_ids": [u for u in form.getlist(f"rows-{n}-assist") if u and u != lead],
               "is_key": get("is_key") == "1", "supervising_leader": get("leader") or None}
        if version.isdigit():
            row["version"] = int(version)
        if merge.isdigit():
            row["merge_into_id"] = int(merge)
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


@bp.route("/plenary", methods=["GET", "POST"])
def batch():
    """批量审查交办: the waiting proposals in one table; one submit applies the page."""
    results, posted = None, {}
    if request.method == "POST":
        with acting() as (uow, user):
            _committee(user)
        rows = posted_rows(request.form)
        try:
            results = plenary.apply_page(services()["db"], runtime(), user, rows)
        except InvalidForm as err:
            flash(err.message, "error")
        else:
            posted = {r["task_id"]: (row, r) for row, r in zip(rows, results["rows"], strict=True) if not r["ok"]}
            text = Markup("已办理 {} 件").format(results["applied"])
            if results["refused"]:
                text += Markup("，{} 件未通过（见下方标红的行，其余已生效）").format(results["refused"])
            flash(text, "success" if not results["refused"] else "error")
    with acting() as (uow, user):
        _committee(user)
        listing = _listing(uow, user, request.args)
        region = runtime().region
        leaders = [(leader["username"], f"{leader['name']}（{leader['title']}）") for leader in region.leaders]
        deputies = {u["id"]: u.get("deputy") for u in region.units}
        return render_template("plenary.html", listing=listing, results=results, posted=posted,
                               categories=region.labels("categories"), units=[(u["id"], u["name"]) for u in region.units],
                               leaders=leaders, deputies=deputies, decisions=DECISIONS, sizes=PAGE_SIZES,
                               filters={k: request.args.get(k, "") for k in ("category", "step", "per_page")})


@bp.get("/proposals/similar")
def similar_lookup():
    """JSON for the submission form: earlier proposals like the title being typed."""
    with acting() as (uow, user):
        try:
            return jsonify(similar.lookup(uow.session, runtime(), user, request.args.get("title", "")[:300],
                                          request.args.get("body", "")[:20000]))
        except EngineError as err:
            return jsonify({"items": [], "error": err.message}), err.status


@bp.get("/proposals/export.xlsx")
def export():
    """The current search (the 提案查询 page's filters) as an Excel file."""
    with acting() as (uow, user):
        filters = {k: v for k, v in request.args.lists() if k != "page"}
        return export_response(uow.session, user, filters)


@bp.route("/proposals/import", methods=["GET", "POST"])
@takes_files
def import_page():
    """Import paper proposals from Excel: check (dry run) or import; every error by row and column."""
    result = None
    with acting() as (uow, user):
        _committee(user)
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash("请选择要导入的 Excel 文件", "error")
            else:
                dry_run = request.form.get("dry_run") == "1"
                try:
                    result = proposal_import.import_workbook(uow, runtime(), user, upload.read(), dry_run)
                except InvalidForm as err:
                    flash(err.message, "error")
                else:
                    if result["errors"]:
                        flash(f"发现 {len(result['errors'])} 处错误，没有导入任何提案；请改正后重新上传", "error")
                    elif dry_run:
                        flash(f"检查通过：共 {len(result['rows'])} 件，可以导入", "success")
                    else:
                        flash(f"已导入 {result['written']} 件提案，已进入审查立案", "success")
        return render_template("proposal_import.html", result=result), (422 if result and result["errors"] else 200)


@bp.get("/proposals/import/template.xlsx")
def import_template():
    """The import template (sheets 提案 and 填写说明)."""
    with acting() as (uow, user):
        _committee(user)
    return xlsx_download(proposal_import.template_workbook(runtime()), "提案导入模板.xlsx")


def related(proposal_id: int) -> dict:
    """For the dossier: the merge links and the similar proposals of one proposal."""
    with acting() as (uow, user):
        return similar.related(uow.session, runtime(), user, proposal_id)


def init_app(app: Flask) -> None:
    """Register the pages and the dossier's helper."""
    app.register_blueprint(bp)
    app.jinja_env.globals["proposal_related"] = related
    app.jinja_env.globals["may_review_in_batch"] = may_review_in_batch
