"""The handler pages: inbox, task, proposal dossier, search, new proposal."""
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from api.http.attachments import send_attachment
from api.http.common import runtime, services
from api.http.input_checks import schema_form, takes_files
from engine.definitions import versions
from engine.model import clock
from engine.model.errors import Conflict, EngineError, Forbidden, InvalidForm, ProcessFault
from engine.profile.sessions import session_choices
from engine.queries import (
    attachments as attachment_queries,
    diagram_marks as diagram,
    documents,
    people as who,
    records as queries,
    task_list,
)
from engine.queries.statistics.compute import china_year
from engine.queries.statistics.indicators import indicators_of
from engine.rules import permissions
from engine.services import attachments, cases, claims, extensions, paper_ratings, publication

from .formview import build_fields, field_errors, parse_form
from .guard import protect
from .present import Presenter
from .session import acting

bp = protect(Blueprint("pages", __name__))
PER_PAGE = 20


def presenter(session, user=None, proposal_id: int | None = None) -> Presenter:
    """A Presenter with the unit directory, people's names and the proposal's attachments
    `user` may see."""
    units, people = who.unit_names(session), who.people_names(session)
    files = {f["id"]: (f["filename"], f["url"]) for f in _attachments(session, user, proposal_id)} if proposal_id else {}
    return Presenter(runtime(), units, people, files)


def _choices(session, user=None) -> dict:
    return who.form_choices(session, user)


def _page() -> int:
    return queries.paging(request.args.get("page"))[0]  # a bad page number is a 400 page naming it


@bp.get("/")
def home():
    """The inbox is the home page."""
    return redirect(url_for("pages.inbox"))


@bp.get("/tasks")
def inbox():
    """My tasks (my unit and role), most urgent first, with filters and counts by type."""
    with acting() as (uow, user):
        name, stage = request.args.get("name") or None, request.args.get("stage") or None
        result = task_list.list_tasks(uow.session, runtime(), user, name=name, stage=stage,
                                    page=_page(), per_page=PER_PAGE)
        titles = {t["name"]: t["title"] for t in result["items"]}
        titles.update({n: runtime().current.user_tasks[n].title for n in result["counts"]
                       if n in runtime().current.user_tasks})
        stages = sorted({runtime().current.user_tasks[n].stage for n in result["counts"]
                         if n in runtime().current.user_tasks} - {None}, key=runtime().stages.index)
        return render_template("inbox.html", result=result, name=name, stage=stage, titles=titles,
                               stages=[(s, runtime().stage_labels[s]) for s in stages])


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@takes_files
@schema_form
def task(task_id):
    """A task: the proposal, its history, and the form; the form again with messages if refused."""
    errors, data, message, status = {}, None, None, 200
    if request.method == "POST":
        with acting() as (uow, user):
            detail = task_list.open_task(uow.session, runtime(), user, task_id)
        data = parse_form(detail["schema"], request.form)
        version = request.form.get("version", "")
        try:
            data = _with_uploads(detail, data)
            with acting() as (uow, user):
                cases.complete_task(uow, runtime(), user, task_id, data,
                                    expected_version=int(version) if version.isascii() and version.isdigit() else None)
        except InvalidForm as err:
            errors, message = field_errors(err.errors), err.message
        except Conflict as err:
            message = err.message
        except ProcessFault as err:  # a diagram fault: the form stays, with what went wrong
            message, status = err.message, err.status
        else:
            with acting() as (uow, user):
                after = queries.next_steps(uow.session, runtime(), user, detail["proposal_id"])
            flash(_what_next(detail["title"], after), "success")
            return redirect(url_for("pages.proposal", proposal_id=detail["proposal_id"]))
    with acting() as (uow, user):
        detail = queries.task_detail(uow.session, runtime(), user, task_id)
        p = presenter(uow.session, user, detail["proposal_id"])
        record = queries.proposal_detail(uow.session, runtime(), user, detail["proposal_id"])
        fields = build_fields(detail["schema"], data if data is not None else detail["data"], errors,
                              _choices(uow.session, user), detail["context"])
        for f in fields:
            f.notes = [n["text"] for n in detail["notes"] if n["field"] == f.name]
        pool = len(who.task_candidates(uow.session, task_id)) > 1  # several may do it
        printable = documents.printable(uow.session, user, detail["proposal_id"], record)
        return render_template("task.html", task=detail, fields=fields, message=message, errors=errors, pool=pool,
                               documents=printable,
                               proposal=record, context_rows=p.context_rows(detail["context"]),
                               collections=p.collections(detail["context"]), p=p), (422 if errors else status)


def _what_next(done_title: str, after: dict) -> Markup:
    """The message after a completed task: what comes next, who does it, by when, and a
    link straight to the next task when it is the same person's."""
    text = Markup("“{}”已办理完成。").format(done_title)
    steps = []
    for t in after["tasks"][:4]:
        day = datetime.fromisoformat(t["due_at"]).astimezone(clock.CHINA).date() if t["due_at"] else None
        due = Markup("，期限 {}").format(day.isoformat()) if day else ""
        step = Markup("{}（{}{}）").format(t["title"], t["who"], due)
        if t["mine"]:
            step = Markup('{} <a href="{}">立即办理</a>').format(step, url_for("pages.task", task_id=t["id"]))
        steps.append(step)
    if steps:
        return text + Markup("下一步：") + Markup("；").join(steps)
    return text + Markup("提案现为“{}”，暂无待办事项。").format(after["status_label"])


def _with_uploads(detail, data):
    """Save files posted for attachment fields; their ids join the field's list."""
    for name, prop in detail["schema"].get("properties", {}).items():
        if prop.get("x-widget") != "attachments":
            continue
        files = [f for f in request.files.getlist(name) if f and f.filename]
        if not files:
            continue
        with acting() as (uow, user):
            saved = attachments.upload_attachments(uow, services()["settings"], user, detail["proposal_id"],
                                                   [(f.filename, f.stream, f.mimetype) for f in files],
                                                   task_id=detail["id"], field=name, name_field=True)
            data.setdefault(name, []).extend(s["id"] for s in saved)
    return data


@bp.post("/tasks/<task_id>/<any(claim, release):action>")
def claim_task(task_id, action):
    """Claim a task of my pool, or release my claim; back to the task."""
    with acting() as (uow, user):
        try:
            row = (claims.claim if action == "claim" else claims.release)(uow, user, task_id)
        except Conflict as err:
            flash(err.message, "error")
        else:
            flash(f"已认领“{row.title}”，同事可看到由您办理" if action == "claim" else f"已释放“{row.title}”，同事可以认领或办理",
                  "success")
    return redirect(url_for("pages.task", task_id=task_id))


@bp.post("/proposals/<int:proposal_id>/tasks/<task_id>/reassign")
def reassign_task(proposal_id, task_id):
    """The committee gives an open task of this proposal to another person (from the dossier)."""
    with acting() as (uow, user):
        try:
            row = claims.assign(uow, runtime(), user, task_id, request.form.get("username", ""))
        except (Conflict, InvalidForm) as err:
            flash("；".join(e["message"] for e in getattr(err, "errors", [])) or err.message, "error")
        else:
            flash(f"已将“{row.title}”改派", "success")
    return redirect(url_for("pages.proposal", proposal_id=proposal_id))


@bp.get("/proposals")
def proposals():
    """Search the proposals the user may see."""
    with acting() as (uow, user):
        filters = {k: v for k, v in request.args.lists() if k != "page"}
        page, status, errors = _page(), 200, {}
        try:
            result = queries.list_proposals(uow.session, runtime(), user, filters, page=page, per_page=PER_PAGE)
        except EngineError as err:
            flash(err.message, "error")
            status, errors = err.status, {e["field"]: e["message"] for e in err.details.get("errors", [])}
            result = {"items": [], "total": 0, "page": 1, "per_page": PER_PAGE}
        region = runtime().region
        return render_template("proposals.html", result=result, errors=errors,
                               filters={k: v[0] for k, v in filters.items() if v},
                               categories=region.labels("categories"), classes=region.labels("reply_classes"),
                               scale=region.satisfaction_labels(),
                               statuses=runtime().stage_labels,
                               units=_choices(uow.session)["unit_names"],
                               sessions=session_choices(region, china_year() + 1),
                               indicator=_indicator_label(region, filters)), status


def _indicator_label(region, filters) -> str | None:
    """What the statistics figure a list was opened from counts (shown above the list)."""
    code = (filters.get("indicator") or [None])[0]
    count = indicators_of(region).counts.get(code) if code else None
    return count.label if count else None


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id):
    """The dossier (一案一册) of one proposal: everything that happened, printable."""
    with acting() as (uow, user):
        record = queries.proposal_detail(uow.session, runtime(), user, proposal_id)
        drawing = diagram.case_diagram(uow.session, runtime(), proposal_id,
                                       queries.proposal_record(uow.session, runtime(), user, proposal_id))
        files = _attachments(uow.session, user, proposal_id)
        reassign = {}
        if permissions.may_assign(user):  # the committee gives a pool task to another of its people
            reassign = who.unassigned_candidates(uow.session, [t["id"] for t in record["open_tasks"]])
        extras = {"documents": documents.printable(uow.session, user, proposal_id, record),
                  "consent": publication.consent_state(uow.session, runtime(), user, proposal_id),
                  "paper_raters": paper_ratings.open_raters(uow.session, proposal_id)
                  if permissions.may_enter_paper_rating(user, permissions.viewer(uow.session, user, proposal_id)) else []}
        return render_template("proposal.html", proposal=record, p=presenter(uow.session, user, proposal_id), **extras,
                               reassign=reassign, diagram=drawing, files=files, version=versions.case_version(uow.session, proposal_id),
                               max_upload_mb=services()["settings"].max_upload_bytes // (1024 * 1024))


def _attachments(session, user, proposal_id):
    return [{**f, "url": url_for("pages.attachment", attachment_id=f["id"])}
            for f in attachment_queries.visible_attachments(session, runtime(), user, proposal_id)]


@bp.route("/proposals/new", methods=["GET", "POST"])
@schema_form
def new_proposal():
    """A proposer writes a proposal and invites co-signers."""
    errors, message, data = {}, None, {}
    with acting() as (uow, user):
        if not permissions.may_submit(user):
            abort(403)
        schema = runtime().forms.resolved(cases.SUBMISSION_FORM)
        if request.method == "POST":
            data = parse_form(schema, request.form)
            try:
                created = cases.submit_proposal(uow, runtime(), user, data)
            except InvalidForm as err:
                errors, message = field_errors(err.errors), err.message
            else:
                flash("提案已提交", "success")
                return redirect(url_for("pages.proposal", proposal_id=created.id))
        fields = build_fields(schema, data, errors, _choices(uow.session, user), {})
        return render_template("new_proposal.html", schema=schema, fields=fields, message=message), \
            (422 if errors else 200)


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id):
    """Download an attachment of a proposal the user may see (404 otherwise)."""
    with acting() as (uow, user):
        meta, path = attachment_queries.open_attachment(uow.session, services()["settings"], runtime(), user,
                                                  attachment_id)
    return send_attachment(meta, path)


@bp.post("/proposals/<int:proposal_id>/attachments")
@takes_files
def upload(proposal_id):
    """Attach files to a proposal from its dossier page."""
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        flash("请选择要上传的文件", "error")
        return redirect(url_for("pages.proposal", proposal_id=proposal_id))
    with acting() as (uow, user):
        try:
            attachments.upload_attachments(uow, services()["settings"], user, proposal_id,
                                           [(f.filename, f.stream, f.mimetype) for f in files])
        except InvalidForm as err:
            flash("；".join(e["message"] for e in err.errors) or err.message, "error")
        except Forbidden as err:
            flash(err.message, "error")
        else:
            flash(f"已上传 {len(files)} 个附件", "success")
    return redirect(url_for("pages.proposal", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/extension", methods=["GET", "POST"])
@schema_form
def extension(proposal_id):
    """A lead unit asks to extend its reply deadline (延期答复)."""
    errors, message, data = {}, None, {}
    schema = runtime().forms.resolved(extensions.REQUEST_FORM)
    with acting() as (uow, user):
        record = queries.proposal_detail(uow.session, runtime(), user, proposal_id)
        if request.method == "POST":
            data = parse_form(schema, request.form)
            try:
                result = extensions.request_extension(uow, runtime(), user, proposal_id, data)
            except InvalidForm as err:
                errors, message = field_errors(err.errors), err.message
            else:
                flash(f"延期申请已提交（现期限 {result['current_due'][:10]}，最长可延至 {result['max_due'][:10]}），"
                      "待提案委员会和政府办审批", "success")
                return redirect(url_for("pages.proposal", proposal_id=proposal_id))
        fields = build_fields(schema, data, errors, {}, {})
        return render_template("extension.html", schema=schema, fields=fields, message=message,
                               proposal=record), (422 if errors else 200)
