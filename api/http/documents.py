"""Printed documents as PDF (交办通知单, 答复函, 征询意见表, 一案一册) and staff-entered paper
ratings (代录). Who may print or enter what: engine/rules/permissions.py."""
import io

from flask import Blueprint, Flask, jsonify, request, send_file

from api.http.auth import current_user
from api.http.common import json_body, runtime, unit_of_work
from api.http.security import OTHER_POLICY
from engine.model.errors import NotFound
from engine.queries import documents, records
from engine.services import paper_ratings

bp = Blueprint("documents", __name__, url_prefix="/api")
KINDS = {slug: kind for kind, slug in documents.SLUGS.items()}


@bp.get("/proposals/<int:proposal_id>/documents")
def index(proposal_id: int):
    """The documents of a proposal the user may print."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        detail = records.proposal_detail(uow.session, runtime(), user, proposal_id)
        items = documents.printable(uow.session, user, proposal_id, detail)
    return jsonify({"items": [{**{k: v for k, v in i.items() if k != "slug"}, "kind": i["slug"]} for i in items]})


@bp.get("/proposals/<int:proposal_id>/documents/<kind>.pdf")
def document(proposal_id: int, kind: str):
    """One document as PDF (`unit`: whose notice or reply; `rater`: whose rating form)."""
    if kind not in KINDS:
        raise NotFound("没有这种文书")
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return pdf_response(uow, user, proposal_id, KINDS[kind], request.args.get("unit"), request.args.get("rater"))


def pdf_response(uow, user, proposal_id: int, kind: str, unit=None, rater=None):
    """The PDF of a document as a download (the API and the pages share it)."""
    data, filename = documents.document_pdf(uow, runtime(), user, proposal_id, kind, unit=unit, rater=rater)
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename)
    response.headers["Content-Security-Policy"] = OTHER_POLICY
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/proposals/<int:proposal_id>/paper-ratings")
def raters(proposal_id: int):
    """The members whose rating the committee may enter from the paper form."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        paper_ratings.check_may_enter(uow.session, user, proposal_id)
        return jsonify({"items": paper_ratings.open_raters(uow.session, proposal_id)})


@bp.post("/proposals/<int:proposal_id>/paper-ratings")
def enter(proposal_id: int):
    """Enter a member's rating from the signed paper form (代录), with its scan."""
    body = json_body()
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify(paper_ratings.record(uow, runtime(), user, proposal_id, body)), 201


def init_app(app: Flask) -> None:
    """Register the routes."""
    app.register_blueprint(bp)
