"""办理结果公开 in the API: the published replies (public, no login), the committee's
publication review, and a proposer's withdrawal of consent."""
from flask import Blueprint, Flask, jsonify, request

from api.http.auth import current_user
from api.http.common import json_body, runtime, unit_of_work
from engine.model.errors import NotFound
from engine.queries import public, records
from engine.services import publication

bp = Blueprint("publication", __name__, url_prefix="/api")


@bp.get("/public/replies")
def published():
    """The published replies (no login), filtered by year, category, unit and title keyword."""
    filters = public.public_filters(request.args)
    page, per_page = records.paging(request.args.get("page"), request.args.get("per_page"))
    with unit_of_work() as uow:
        return jsonify(public.published(uow.session, runtime(), filters, page, per_page))


@bp.get("/public/replies/<int:publication_id>")
def published_one(publication_id: int):
    """One published reply (no login)."""
    with unit_of_work() as uow:
        item = public.published_one(uow.session, runtime(), publication_id)
    if item is None:
        raise NotFound("找不到该公开的办理结果")
    return jsonify(item)


@bp.get("/publication")
def review_list():
    """The committee's review list of consented replies."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify({"items": publication.review_list(uow.session, runtime(), user)})


@bp.post("/publication/<int:reply_event_id>/publish")
def publish(reply_event_id: int):
    """Publish a consented reply."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(publication.publish(uow, runtime(), user, reply_event_id))


@bp.post("/publication/<int:reply_event_id>/withhold")
def withhold(reply_event_id: int):
    """Withhold a consented reply, with a reason ({"reason"})."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(publication.withhold(uow, runtime(), user, reply_event_id, body.get("reason")))


@bp.post("/proposals/<int:proposal_id>/disclosure/withdraw")
def withdraw(proposal_id: int):
    """The proposer withdraws consent to disclosure before publication."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(publication.withdraw_consent(uow, runtime(), user, proposal_id))


def init_app(app: Flask) -> None:
    """Register the routes."""
    app.register_blueprint(bp)
