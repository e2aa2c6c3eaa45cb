"""Printing from the pages (the same PDFs as the API) and the committee's entry of a
member's paper rating (代录) with the signed scan."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.http.common import runtime, services
from api.http.documents import KINDS, pdf_response
from api.http.input_checks import takes_files
from engine.model.errors import EngineError, InvalidForm, NotFound
from engine.queries import records
from engine.services import attachments, paper_ratings

from .guard import protect
from .session import acting

bp = protect(Blueprint("printing", __name__))


@bp.get("/proposals/<int:proposal_id>/print/<kind>.pdf")
def document(proposal_id: int, kind: str):
    """One document of a proposal as PDF (?unit= whose notice or reply, ?rater= whose form)."""
    if kind not in KINDS:
        raise NotFound("没有这种文书")
    with acting() as (uow, user):
        return pdf_response(uow, user, proposal_id, KINDS[kind], request.args.get("unit") or None,
                            request.args.get("rater") or None)


@bp.route("/proposals/<int:proposal_id>/paper-rating", methods=["GET", "POST"])
@takes_files
def paper_rating(proposal_id: int):
    """The committee enters a member's rating from the signed paper form, with its scan."""
    errors, message, status = {}, None, 200
    form = request.form
    if request.method == "POST":
        try:
            with acting() as (uow, user):
                paper_ratings.check_may_enter(uow.session, user, proposal_id)
                file = request.files.get("scan")
                if file is None or not file.filename:
                    raise InvalidForm("请上传签字扫描件", [{"field": "scan_attachment_id",
                                                            "message": "签字扫描件：代录必须附委员签字的纸质征询意见表扫描件（PDF 或图片）"}])
                saved = attachments.save_attachment(uow.session, services()["settings"], user, proposal_id,
                                                    file.filename, file.stream, file.mimetype)
                rating = {"satisfaction": form.get("satisfaction") or None,
                          "assist_ratings": {k[len("assist_"):]: v for k, v in form.items()
                                             if k.startswith("assist_") and v},
                          "disclosure_consent": {"yes": True, "no": False}.get(form.get("disclosure_consent")),
                          "rate_comment": form.get("rate_comment", "")}
                rating = {k: v for k, v in rating.items() if v is not None}
                paper_ratings.record(uow, runtime(), user, proposal_id,
                                     {"rater": form.get("rater"), "scan_attachment_id": saved["id"], "rating": rating})
        except InvalidForm as err:
            message, status = err.message, 422
            errors = {e["field"]: e["message"] for e in err.errors}
        except EngineError as err:
            if err.status in (403, 404):
                raise
            message, status = err.message, err.status
        else:
            flash("已代录该委员的纸质评价（附签字扫描件），档案中标注为代录", "success")
            return redirect(url_for("pages.proposal", proposal_id=proposal_id))
    with acting() as (uow, user):
        paper_ratings.check_may_enter(uow.session, user, proposal_id)
        proposal = records.proposal_summary(uow.session, runtime(), proposal_id)
        choices = paper_ratings.form_choices(uow.session, runtime(), proposal_id)
    return render_template("paper_rating.html", proposal=proposal, **choices, form=form, errors=errors,
                           message=message), status
