"""Read-side service functions: what people see of proposals and tasks.

Each function takes a session (inside a UnitOfWork) and the acting user, and
returns plain JSON-ready dicts. Visibility is decided here, once, so every
entry point (HTTP API, command line) shows the same things to the same people.
"""
import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from sqlalchemy import Row, Select, case as sql_case, func, select
from sqlalchemy.orm import Session

from engine.adapters.db import stored
from engine.model import clock, limits
from engine.model.errors import Conflict, EngineError, NotFound
from engine.model.tables import (
    Attachment,
    Case,
    Event,
    OpenTask,
    Proposal,
    ProposalPerson,
    ProposalUnit,
    Rating,
    Unit,
    User,
)
from engine.profile import form_rules
from engine.profile.catalogue import Catalogue
from engine.queries import search
from engine.queries.task_list import open_task
from engine.rules import permissions
from engine.rules.permissions import may_complete, visible_proposals_clause
from engine.workflow import state
from engine.workflow.runtime import Runtime

MAX_PER_PAGE = 100
PROPOSAL_FILTERS = search.PROPOSAL_FILTERS
Json = dict[str, Any]  # what a page or an API response shows



def paging(page: str | int | None = None, per_page: str | int | None = None) -> tuple[int, int]:
    """Check page numbers given as text or int; return (page, per_page) or raise a 400."""
    errors: list[dict[str, str]] = []
    page_no = limits.parse_positive(page, 1, limits.MAX_PAGE)
    if page_no is None:
        errors.append({"field": "page", "message": f"页码应为 1–{limits.MAX_PAGE} 之间的整数"})
    size = limits.parse_positive(per_page, 20, MAX_PER_PAGE)
    if size is None:
        errors.append({"field": "per_page", "message": f"每页条数应为 1–{MAX_PER_PAGE} 之间的整数"})
    if errors:
        raise EngineError("分页参数不正确：" + "；".join(e["message"] for e in errors), errors=errors)
    assert page_no is not None and size is not None  # both checked above
    return page_no, size


def user_info(session: Session, user: User) -> Json:
    """The user as shown to clients: username, name, unit and roles."""
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    return {"username": user.username, "name": user.name, "unit_id": user.unit_id,
            "unit_name": unit.name if unit else None, "roles": sorted(user.role_set)}


COUNT_CAP = 1000  # a search counts its matches up to this many (list_proposals)


def proposal_summary(session: Session, rt: Runtime, proposal_id: int) -> Json:
    """The summary of one proposal, without checking visibility (callers do)."""
    row = session.execute(_summary_select().where(Proposal.id == proposal_id)).one_or_none()
    if row is None:
        raise NotFound("找不到该提案")
    return _summary(rt, row)


def list_proposals(session: Session, rt: Runtime, user: User, filters: dict[str, object], page: int = 1,
                   per_page: int = 20) -> Json:
    """The proposals `user` may see that match `filters`, newest first, one page.

    Filters: engine/queries/search.py (an unknown one, or one given twice, is a 400 naming it).
    The count stops at COUNT_CAP, or the end of the page asked for if that is further (an exact
    count of a million rows is a full scan): past it `total` is that many and `total_capped`
    is true (the page shows "1,000+").
    """
    cap = max(COUNT_CAP, page * per_page)
    where = [visible_proposals_clause(user), *search.proposal_filters(filters, region=rt.region)]
    found = session.scalar(select(func.count()).select_from(
        select(Proposal.id).where(*where).limit(cap + 1).subquery())) or 0
    order = (Proposal.submitted_at.desc(), Proposal.id.desc())
    if found <= cap:  # a few matches: sorted from all of them, never a walk of the date index
        # hoping to meet them soon (OFFSET 0 plans the subquery on its own: its index, no order)
        matched = select(Proposal.id, Proposal.submitted_at).where(*where).offset(0).subquery()
        ids = select(matched.c.id).order_by(matched.c.submitted_at.desc(), matched.c.id.desc())
    else:  # many: walking the date index newest first meets a page of them soon
        ids = select(Proposal.id).where(*where).order_by(*order)
    ids = ids.offset((page - 1) * per_page).limit(per_page)
    # the page's ids first, then the names of just its rows
    rows = session.execute(_summary_select().where(Proposal.id.in_(ids.scalar_subquery())).order_by(*order))
    return {"items": [_summary(rt, r) for r in rows], "total": min(found, cap),
            "total_capped": found > cap, "page": page, "per_page": per_page}


def proposal_detail(session: Session, rt: Runtime, user: User, proposal_id: int) -> Json:
    """Everything about one proposal `user` may see: text, people, units, and of its
    timeline and open tasks the steps `user` may see (engine/rules/permissions.py).

    Raises NotFound both when it does not exist and when the user may not see it.
    """
    record = proposal_record(session, rt, user, proposal_id)
    proposal = stored(session, Proposal, proposal_id)  # proposal_record found it
    people = session.execute(
        select(ProposalPerson.username, User.name, ProposalPerson.role)
        .outerjoin(User, User.username == ProposalPerson.username)
        .where(ProposalPerson.proposal_id == proposal_id)
        .order_by(ProposalPerson.role.desc(), ProposalPerson.username))  # proposer before cosigner
    units = session.execute(
        select(ProposalUnit, Unit.name).outerjoin(Unit, Unit.id == ProposalUnit.unit_id)
        .where(ProposalUnit.proposal_id == proposal_id)
        .order_by(sql_case({"lead": 0, "assist": 1}, value=ProposalUnit.role, else_=2), ProposalUnit.unit_id))
    events = record.events
    ratings = list(session.execute(select(Rating, User.name).outerjoin(User, User.username == Rating.rater)
                                   .where(Rating.proposal_id == proposal_id)
                                   .order_by(Rating.handling_round, Rating.id)))
    unit_names = _unit_names(session, {e.unit_id for e in events} | {r.unit_id for r, _ in ratings})
    enterers: dict[str | None, str] = dict(session.execute(select(User.username, User.name).where(
        User.username.in_({r.entered_by for r, _ in ratings if r.entered_by}))).all()) if ratings else {}
    return {
        **proposal_summary(session, rt, proposal_id),
        "body": proposal.body,
        "suggestions": proposal.suggestions,
        "people": [{"username": u, "name": n, "role": r} for u, n, r in people],
        "units": [{"unit_id": pu.unit_id, "unit_name": name, "role": pu.role, "reply_class": pu.reply_class,
                   "satisfaction": pu.satisfaction} for pu, name in units],
        "timeline": [{"at": _iso(e.at), "kind": e.kind, "title": e.title, "actor": e.actor,
                      "actor_name": e.actor_name, "unit_id": e.unit_id, "unit_name": unit_names.get(e.unit_id),
                      "task_id": e.task_id, "task_name": e.task_name, "data": e.data} for e in events],
        "open_tasks": open_task_rows(session, rt.region.catalogue, record.open_tasks),
        # every rater's rating of each unit (rating the reply and the assisting units is public)
        "ratings": [{"unit_id": r.unit_id, "unit_name": unit_names.get(r.unit_id), "reply_unit": r.reply_unit,
                     "rater": r.rater, "rater_name": name, "satisfaction": r.satisfaction,
                     "round": r.handling_round, "rated_at": _iso(r.rated_at),
                     # 代录: entered by committee staff from the signed paper form (its scan)
                     "entered_by": r.entered_by, "entered_by_name": enterers.get(r.entered_by),
                     "evidence_id": r.evidence_id} for r, name in ratings],
        "may_upload": permissions.may_upload(session, user, proposal),
    }


class ProposalRecord:
    """What one viewer may see of a proposal's record: its events, open tasks and attachment ids."""

    def __init__(self, session: Session, rt: Runtime, user: User, proposal_id: int) -> None:
        self.session, self.rt, self.user, self.proposal_id = session, rt, user, proposal_id
        self.view = permissions.viewer(session, user, proposal_id)
        self.audiences = audiences_of(session, rt, proposal_id)
        self.all_events = list(session.scalars(select(Event).where(Event.proposal_id == proposal_id)
                                               .order_by(Event.id)))
        self.events = [e for e in self.all_events if permissions.sees_event(self.view, e, self.audiences)]
        self.all_open = list(session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id)
                                             .order_by(OpenTask.created_at, OpenTask.id)))
        self.open_tasks = [t for t in self.all_open
                           if permissions.sees_open_task(self.view, user, t, self.audiences)]

    def attachment_ids(self) -> set[int]:
        """The ids of the proposal's attachments the viewer may see."""
        files = [{"id": a.id, "task_id": a.task_id, "uploaded_by": a.uploaded_by} for a in self.session.scalars(
            select(Attachment).where(Attachment.proposal_id == self.proposal_id))]
        public = set(self.session.scalars(select(ProposalPerson.username).where(
            ProposalPerson.proposal_id == self.proposal_id)))
        uploaders = {f["uploaded_by"] for f in files} - public
        public |= {u.username for u in self.session.scalars(select(User).where(User.username.in_(uploaders)))
                   if "committee" in u.role_set}
        return permissions.visible_attachment_ids(self.view, files, self.all_events, self.all_open, self.audiences,
                                                  self.rt.forms.attachment_fields(), public)

    def context(self, data: dict[str, Any], form: str) -> dict[str, Any]:
        """The case data of a task of this proposal the viewer may see (see permissions.visible_context)."""
        schema = self.rt.forms.schemas.get(form, {})
        own = set(schema.get("properties", {})) | {p["x-keys"] for p in schema.get("properties", {}).values()
                                                  if isinstance(p, dict) and "x-keys" in p}
        bundle = self.rt.current
        return permissions.visible_context(self.view, data, self.all_events, self.audiences, own, bundle.collections)


def proposal_record(session: Session, rt: Runtime, user: User, proposal_id: int) -> ProposalRecord:
    """The record of a proposal as `user` may see it; NotFound when they may not see the proposal."""
    if not permissions.may_see_proposal(session, user, proposal_id):
        raise NotFound("找不到该提案")
    return ProposalRecord(session, rt, user, proposal_id)


def audiences_of(session: Session, rt: Runtime, proposal_id: int) -> dict[str, Any]:
    """Who sees each step of a proposal: the `audience` of each task in the definition its case
    runs on, overridden by the current definition's (a step's audience is the current rule)."""
    case = session.scalar(select(Case).where(Case.proposal_id == proposal_id, Case.process == "proposal"))
    own = rt.bundle_of_case(session, case).audiences if case is not None else {}
    return {**own, **rt.current.audiences}


def open_task_rows(session: Session, words: Catalogue, tasks: list[OpenTask], user: User | None = None,
                   units: dict[str | None, str] | None = None) -> list[Json]:
    """Open tasks as people read them: what, who does it (the person, or the unit and
    role, or the office, in the words of `words`, the region's catalogue), by when;
    `mine` when `user` may do it. `units`: their units' names if the caller read them."""
    people = {t.assignee for t in tasks if t.assignee} | {t.claimed_by for t in tasks if t.claimed_by}
    names: dict[str | None, str] = dict(session.execute(select(User.username, User.name).where(
        User.username.in_(people))).all()) if people else {}
    units = _unit_names(session, {t.unit_id for t in tasks}) if units is None else units
    rows: list[Json] = []
    short = words.labels("roles", "short")
    for t in tasks:
        if t.assignee:
            who = names.get(t.assignee, short.get(t.role, ""))
        elif t.unit_id:
            who = f"{units.get(t.unit_id, '')}{short.get(t.role, '')}"
        else:
            who = short.get(t.role, "")
        rows.append({"id": t.id, "name": t.name, "title": t.title, "unit_id": t.unit_id,
                     "unit_name": units.get(t.unit_id), "role": t.role, "assignee": t.assignee, "who": who,
                     "claimed_by": t.claimed_by, "claimed_by_name": names.get(t.claimed_by, t.claimed_by),
                     "due_at": _iso(t.due_at), "overdue": t.due_at is not None and t.due_at < clock.now(),
                     "mine": user is not None and may_complete(user, t)})
    return rows


def next_steps(session: Session, rt: Runtime, user: User, proposal_id: int) -> Json:
    """What happens next on a proposal (after `user` completed a step): its status and
    its open tasks with who does each and by when, `mine` marking those `user` may do."""
    proposal = stored(session, Proposal, proposal_id)
    found = session.execute(select(OpenTask, Unit.name).outerjoin(Unit, Unit.id == OpenTask.unit_id)
                            .where(OpenTask.proposal_id == proposal_id)
                            .order_by(OpenTask.created_at, OpenTask.id)).all()  # the units' names with them
    tasks = [task for task, _ in found]
    units: dict[str | None, str] = {task.unit_id: name for task, name in found if task.unit_id and name is not None}
    return {"status": proposal.status, "status_label": rt.stage_labels.get(proposal.status, proposal.status),
            "tasks": open_task_rows(session, rt.region.catalogue, tasks, user, units)}


def task_detail(session: Session, rt: Runtime, user: User, task_id: str) -> Json:
    """One open task `user` may do, with its form schema, prefill data and context.

    Raises NotFound (no such task), Conflict (already completed) or Forbidden
    (not the user's task). Loads the case's workflow to read the task's data.
    """
    item = open_task(session, rt, user, task_id)
    row = stored(session, OpenTask, task_id)  # open_task found it
    case = stored(session, Case, row.case_id)
    spec, subprocess_specs = rt.bundle_of_case(session, case).specs_for(case.process)
    workflow = state.load(case.state, spec, subprocess_specs, rt.script_engine(session))
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:  # the open-task index and the stored state disagree
        raise Conflict("该任务当前不可办理，请刷新后重试") from None
    context = ProposalRecord(session, rt, user, row.proposal_id).context(task.data, row.form)
    schema = rt.forms.schemas[row.form]
    evaluate = lambda expression: workflow.script_engine.evaluate(task, expression)  # noqa: E731 — form rules
    return {
        **item,
        "data": {**form_rules.prefill(schema, evaluate), **_previous_answer(session, rt, row)},
        "notes": form_rules.notes(schema, evaluate),
        "context": _json_safe(context),
        "proposal": proposal_summary(session, rt, row.proposal_id),
        "case_version": case.version,
    }


def _previous_answer(session: Session, rt: Runtime, row: OpenTask) -> dict[str, Any]:
    """For a form marked x-prefill-previous (a draft sent back for changes): what was
    last submitted for the same task of the same proposal and unit — by the same person,
    for a task of one person — without yes/no decisions, which are made afresh each time.
    Other forms start anew."""
    if not rt.forms.schemas[row.form].get("x-prefill-previous"):
        return {}
    last = session.scalar(select(Event).where(
        Event.proposal_id == row.proposal_id, Event.kind == "task_completed", Event.task_name == row.name,
        Event.unit_id.is_(None) if row.unit_id is None else Event.unit_id == row.unit_id,
        *([Event.actor == row.assignee] if row.assignee else []),
    ).order_by(Event.id.desc()).limit(1))
    if last is None or not isinstance(last.data, dict):
        return {}
    fields = rt.forms.schemas[row.form].get("properties", {})
    return {k: v for k, v in last.data.items() if k in fields and fields[k].get("type") != "boolean"}


SUMMARY_COLUMNS = ("id", "number", "title", "category", "proposer", "status", "is_key", "supervising_leader",
                   "lead_unit", "reply_class", "satisfaction", "submitted_at", "updated_at")


def _summary_select() -> Select[*tuple[Any, ...]]:
    """The columns a summary shows (plain rows: no ORM object, no body text, per row listed)."""
    lead = Unit.__table__.alias("lead")
    return (select(*(getattr(Proposal, c) for c in SUMMARY_COLUMNS), User.name.label("proposer_name"),
                   lead.c.name.label("lead_unit_name"))
            .outerjoin(User, User.username == Proposal.proposer)
            .outerjoin(lead, lead.c.id == Proposal.lead_unit))


def _summary(rt: Runtime, p: Row[*tuple[Any, ...]]) -> Json:
    return {
        "id": p.id, "number": p.number, "title": p.title,
        "category": p.category, "category_label": rt.region.labels("categories").get(p.category or ""),
        "proposer": p.proposer, "proposer_name": p.proposer_name,
        "status": p.status, "status_label": rt.stage_labels.get(p.status, p.status),
        "is_key": bool(p.is_key), "supervising_leader": p.supervising_leader, "lead_unit": p.lead_unit, "lead_unit_name": p.lead_unit_name,
        "reply_class": p.reply_class, "satisfaction": p.satisfaction,
        "submitted_at": _iso(p.submitted_at), "updated_at": _iso(p.updated_at),
    }


def _unit_names(session: Session, ids: Iterable[str | None]) -> dict[str | None, str]:
    wanted = {i for i in ids if i}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all()) if wanted else {}


_iso = clock.utc_iso


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))
