"""Marking in-app messages read (each function one transaction: it commits)."""
from engine.adapters import outbox
from engine.adapters.db import UnitOfWork


def open_message(uow: UnitOfWork, username: str, notification_id: int) -> dict:
    """Mark one of `username`'s messages read; where it leads ({"task_id"} or {"proposal_id"})."""
    target = outbox.open_message(uow.session, username, notification_id)
    uow.commit()
    return target


def mark_read(uow: UnitOfWork, username: str, ids: list[int] | None = None) -> int:
    """Mark `username`'s unread messages read (those in `ids`, or all); how many were."""
    marked = outbox.mark_read(uow.session, username, ids)
    uow.commit()
    return marked
