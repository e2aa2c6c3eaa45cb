"""Reading one's in-app messages (站内消息): how many are unread, one page of them.
Writing and delivering them is engine/adapters/outbox.py; marking them read is the
command in engine/services/notifications.py."""
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.adapters.outbox import _iso as iso, mine
from engine.model.tables import Notification, OpenTask


class Message(TypedDict):
    """One in-app message as a page shows it."""

    id: int
    kind: str
    title: str
    body: str
    proposal_id: int | None
    task_id: str | None
    task_open: bool
    created_at: str | None
    read_at: str | None
    read: bool


class MessagePage(TypedDict):
    """One page of someone's in-app messages (`list_for`)."""

    items: list[Message]
    total: int
    unread: int
    page: int
    per_page: int


def unread_count(session: Session, username: str) -> int:
    """How many in-app messages of `username` are unread (one indexed COUNT)."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(*mine(username), Notification.read_at.is_(None))) or 0


def list_for(session: Session, username: str, unread_only: bool = False, page: int = 1,
             per_page: int = 20) -> MessagePage:
    """One page of `username`'s in-app messages, newest first:
    {"items", "total", "unread", "page", "per_page"}; an item's `task_open` says
    whether the task it is about is still waiting (links go to open tasks only)."""
    where = list(mine(username))
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = list(session.scalars(select(Notification).where(*where)
                                .order_by(Notification.created_at.desc(), Notification.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    tasks = {n.task_id for n in rows if n.task_id}
    still_open = set(session.scalars(select(OpenTask.id).where(OpenTask.id.in_(tasks)))) if tasks else set()
    items: list[Message] = [{"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "proposal_id": n.proposal_id,
              "task_id": n.task_id, "task_open": n.task_id in still_open, "created_at": iso(n.created_at),
              "read_at": iso(n.read_at), "read": n.read_at is not None} for n in rows]
    unread = total if unread_only else unread_count(session, username)
    return {"items": items, "total": total, "unread": unread, "page": page, "per_page": per_page}
