"""Who sees which step of a proposal (its timeline, the attachments of its steps, the case data
a task page shows): the audiences of engine/rules/permissions.py's docstring, as code. Part of
the access rules, which permissions.py re-exports, so access is still decided in one place.

May import: `engine.model`, `engine.profile` (the catalogue's audiences) and
`engine.rules.roles`.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model.tables import Event, OpenTask, ProposalUnit, User
from engine.profile import catalogue
from engine.rules.roles import SEE_ALL_ROLES, UNIT_ROLES

# Who sees a step, by its audience (the diagrams' `audience` property names one; the words
# for each are the catalogue's `audiences`). Staff are the roles in SEE_ALL_ROLES; they see every step.
AUDIENCES = tuple(catalogue.base().codes("audiences"))
TASK = None  # in EVENT_AUDIENCE: the audience of the event's task
# The audience of each kind of event; an unknown kind is seen by staff only.
EVENT_AUDIENCE = {
    "submitted": "public", "status_changed": "public", "cross_year": "public",
    "task_completed": TASK, "milestone": TASK,
    "reminder": "unit", "overdue": "unit", "extension_requested": "unit", "extension_decided": "unit",
    "timer": "staff", "migrated": "staff", "incident": "staff",
    "task_claim": "unit",  # a task claimed, released or given to another person: the unit's business
    # 办理结果公开: published and a withdrawn consent are the member's business, a withholding the committee's
    "published": "public", "consent_withdrawn": "public", "publication_withheld": "staff",
}
TASK_AUDIENCE = "unit"  # a step whose diagram gives no audience: staff and the unit that did it
# a file put on the dossier (not for a step): public when a member or the committee put it there
# (the member's materials, the committee's copy of the proposal), otherwise (a unit's working
# file) seen by the handling
UPLOAD_AUDIENCE = {True: "public", False: "handling"}


@dataclass(frozen=True)
class Viewer:
    """A user as the viewer of one proposal: staff, or the part their unit and they have in it."""

    username: str
    staff: bool
    unit_id: str | None
    unit_role: str | None  # the role of the user's unit in the proposal: lead, assist, returned

    def sees(self, audience: str | None, unit_id: str | None = None, actor: str | None = None) -> bool:
        """Whether this viewer sees a step with `audience`, done by `actor` for `unit_id`."""
        if actor is not None and actor == self.username:
            return True
        if audience == "public" or self.staff:
            return True
        if audience == "handling":
            return self.unit_role in ("lead", "assist")
        if audience == "lead":
            return self.unit_role == "lead"
        if audience == "unit":
            return unit_id is not None and unit_id == self.unit_id and self.unit_role is not None
        return False


def viewer(session: Session, user: User, proposal_id: int) -> Viewer:
    """`user` as a viewer of a proposal (the caller has checked that they may see it)."""
    role = None
    if user.role_set & UNIT_ROLES and user.unit_id:
        role = session.scalar(select(ProposalUnit.role).where(ProposalUnit.proposal_id == proposal_id,
                                                              ProposalUnit.unit_id == user.unit_id))
    return Viewer(user.username, bool(user.role_set & SEE_ALL_ROLES), user.unit_id, role)


def event_audience(kind: str, task_name: str | None, audiences: dict) -> str:
    """The audience of an event: of its kind, or of its task (`audiences`: task name -> audience)."""
    if kind not in EVENT_AUDIENCE:
        return "staff"
    audience = EVENT_AUDIENCE[kind]
    return audiences.get(task_name, TASK_AUDIENCE) if audience is TASK else audience


def sees_event(view: Viewer, event: Event, audiences: dict) -> bool:
    """Whether the viewer sees an event of the proposal's log."""
    return view.sees(event_audience(event.kind, event.task_name, audiences), event.unit_id, event.actor)


def visible_attachment_ids(view: Viewer, files: list[dict], events: list[Event], open_tasks: list[OpenTask],
                           audiences: dict, attachment_fields: set, public_uploaders: set) -> set[int]:
    """The ids of a proposal's attachments (dicts with id, task_id, uploaded_by) the viewer sees.

    A file of a step is seen by whoever sees the step (its completion, or the task
    while open); a file a visible step refers to (the reply's attachments, once the
    reply is sent) is seen with it; a file put on the dossier is public when one of
    `public_uploaders` (its members, the committee) put it there, otherwise seen by
    the handling (UPLOAD_AUDIENCE); whoever uploaded a file sees it."""
    step_of = {e.task_id: e for e in events if e.kind == "task_completed" and e.task_id}
    open_of = {t.id: t for t in open_tasks}
    seen_events = [e for e in events if sees_event(view, e, audiences)]
    referred = {i for e in seen_events if isinstance(e.data, dict)
                for key in attachment_fields for i in _ids(e.data.get(key))}
    visible = set()
    for f in files:
        if f["uploaded_by"] == view.username or f["id"] in referred:
            visible.add(f["id"])
        elif f["task_id"] in step_of:
            if sees_event(view, step_of[f["task_id"]], audiences):
                visible.add(f["id"])
        elif f["task_id"] in open_of:
            task = open_of[f["task_id"]]
            if view.sees(audiences.get(task.name, TASK_AUDIENCE), task.unit_id):
                visible.add(f["id"])
        elif f["task_id"] is None and view.sees(UPLOAD_AUDIENCE[f["uploaded_by"] in public_uploaders]):
            visible.add(f["id"])
    return visible


def visible_context(view: Viewer, data: dict, events: list[Event], audiences: dict, own_keys: set,
                    collections: dict) -> dict:
    """The case data a task page shows the viewer. Staff: all of it. A handling unit:
    all but the values only steps it may not see carry (a lead head's comments, for an
    assisting unit). Anyone else (a member): only the values steps they see carry (the
    reply once it is sent, not a draft), what the task's own form uses (`own_keys`), and
    the per-unit or per-person results (`collections`: variable -> the multi-instance
    task giving it) of steps they see."""
    if view.staff:
        return dict(data)
    shown, hidden = set(own_keys), set[str]()
    for e in events:
        if isinstance(e.data, dict):
            (shown if sees_event(view, e, audiences) else hidden).update(e.data)
    for name, task in collections.items():
        (shown if view.sees(audiences.get(task, TASK_AUDIENCE)) else hidden).add(name)
    if view.unit_role in ("lead", "assist"):
        return {k: v for k, v in data.items() if k in shown or k not in hidden}
    return {k: v for k, v in data.items() if k in shown}


def _ids(value: object) -> list[int]:
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []

