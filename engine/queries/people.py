"""Who is who, for pages: the unit directory's names, people's names, the people a
form may offer (co-signers, leaders) and whom the committee may give an open task to."""
from collections.abc import Iterable
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.model.tables import OpenTask, Unit, User
from engine.rules import permissions


def unit_names(session: Session) -> dict[str, str]:
    """{unit id: name} of the unit directory."""
    return dict(session.execute(select(Unit.id, Unit.name)).all())


def people_names(session: Session) -> dict[str, str]:
    """{username: name} of every account."""
    return dict(session.execute(select(User.username, User.name)).all())


class FormChoices(TypedDict):
    """What a form may offer: (username, name) of proposers and leaders, {unit id: name}."""

    proposers: list[tuple[str, str]]
    leaders: list[tuple[str, str]]
    unit_names: dict[str, str]


def form_choices(session: Session, user: User | None = None) -> FormChoices:
    """What a form may offer: proposers to invite as co-signers (not `user`), the leaders, the units."""
    proposers = session.scalars(select(User).where(User.roles.like("%proposer%"), User.active.is_(True))
                                .order_by(User.username))
    leaders = session.scalars(select(User).where(User.roles.like("%deputy_head%"), User.active.is_(True))
                              .order_by(User.username))
    return {"proposers": [(u.username, u.name) for u in proposers if user is None or u.id != user.id],
            "leaders": [(u.username, u.name) for u in leaders],
            "unit_names": unit_names(session)}


def candidates(session: Session, row: OpenTask) -> list[User]:
    """The people the committee may give `row` to: active, with its role (and unit)."""
    query = select(User).where(User.active.is_(True), User.roles.contains(row.role)).order_by(User.username)
    if row.unit_id is not None:
        query = query.where(User.unit_id == row.unit_id)
    return [u for u in session.scalars(query) if permissions.may_do(u, row)]


def task_candidates(session: Session, task_id: str) -> list[User]:
    """`candidates` of the open task `task_id` ([] when it is no longer open)."""
    row = session.get(OpenTask, task_id)
    return candidates(session, row) if row is not None else []


def unassigned_candidates(session: Session, task_ids: Iterable[str]) -> dict[str, list[User]]:
    """{task id: candidates} of those open tasks nobody is assigned to (a pool's tasks)."""
    found = {}
    for task_id in task_ids:
        row = session.get(OpenTask, task_id)
        if row is not None and row.assignee is None:
            found[task_id] = candidates(session, row)
    return found


def has_users(session: Session) -> bool:
    """Whether any account exists (the demo data loads into an empty database only)."""
    return bool(session.scalar(select(func.count()).select_from(User)))
