"""办理结果公开 pages: the public page (/public, no login) and, for the committee, the
publication review; a proposer's withdrawal of consent. Decisions: engine/services/publication.py."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from api.http.common import runtime, unit_of_work
from engine.model.errors import EngineError
from engine.queries import public, records
from engine.services import publication

from .guard import protect
from .session import acting

bp = protect(Blueprint("public", __name__))
PER_PAGE = 20


@bp.get("/public")
def index():
    """The published replies, searchable by year, category, unit and title (no login)."""
    status, errors = 200, {}
    with unit_of_work() as uow:
        try:
            filters = public.public_filters(request.args)
            page = records.paging(request.args.get("page"))[0]
        except EngineError as err:
            status, filters, page = err.status, {}, 1
            errors = {e["field"]: e["message"] for e in err.details.get("errors", [])}
        result = public.published(uow.session, runtime(), filters, page, PER_PAGE)
        choices = public.public_choices(uow.session, runtime())
    return render_template("public/index.html", result=result, choices=choices, errors=errors,
                           filters={k: request.args.get(k, "") for k in public.PUBLIC_FILTERS},
                           region_name=runtime().region.name), status


@bp.get("/public/<int:publication_id>")
def reply(publication_id: int):
    """One published reply: the proposal's title, number, units, class and the reply letter."""
    with unit_of_work() as uow:
        item = public.published_one(uow.session, runtime(), publication_id)
    if item is None:
        abort(404)
    return render_template("public/reply.html", item=item, region_name=runtime().region.name)


@bp.get("/publication")
def review():
    """The committee's publication review: every consented reply, its status and date due."""
    with acting() as (uow, user):
        items = publication.review_list(uow.session, runtime(), user)
    return render_template("publication_review.html", items=items, rule=runtime().region.disclosure)


@bp.post("/publication/<int:reply_event_id>/<any(publish, withhold):action>")
def decide(reply_event_id: int, action: str):
    """Publish or withhold (with a reason) one reply."""
    try:
        with acting() as (uow, user):
            if action == "publish":
                publication.publish(uow, runtime(), user, reply_event_id)
            else:
                publication.withhold(uow, runtime(), user, reply_event_id, request.form.get("reason", ""))
    except EngineError as err:
        if err.status == 403:
            raise
        flash(err.message, "error")
    else:
        flash("已公开，提案者和联名人已收到通知" if action == "publish" else "已决定不予公开", "success")
    return redirect(url_for("public.review"))


@bp.post("/proposals/<int:proposal_id>/disclosure/withdraw")
def withdraw(proposal_id: int):
    """The proposer withdraws consent to disclosure before publication."""
    try:
        with acting() as (uow, user):
            publication.withdraw_consent(uow, runtime(), user, proposal_id)
    except EngineError as err:
        if err.status in (403, 404):
            raise
        flash(err.message, "error")
    else:
        flash("已撤回公开同意：该提案的办理结果不会公开", "success")
    return redirect(url_for("pages.proposal", proposal_id=proposal_id))
