"""The committee's 异常案件 page: cases found stalled (engine/workflow/incidents.py decides who may see it)."""
from flask import Blueprint, render_template, request

from api.http.common import runtime
from engine.queries.people import people_names
from engine.workflow import incidents

from .guard import protect
from .session import acting

bp = protect(Blueprint("incidents", __name__))
PER_PAGE = 20


@bp.get("/incidents")
def index():
    """The stalled cases not yet resolved (?resolved=1: with the resolved ones), newest first."""
    resolved = request.args.get("resolved") == "1"
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) < 10**6 else 1
    with acting() as (uow, user):
        result = incidents.list_incidents(uow.session, user, resolved=resolved, page=page, per_page=PER_PAGE)
        names = people_names(uow.session)
        return render_template("incidents.html", result=result, resolved=resolved, names=names,
                               stage_labels=runtime().stage_labels)
