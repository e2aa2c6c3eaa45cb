"""The append-only event log of proposals: every step, who, when, what."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import Event, Proposal, User


def log(session: Session, proposal: Proposal, kind: str, user: User | None, title: str, task: Any = None,
        unit_id: str | None = None, data: dict | None = None, at: datetime | None = None) -> None:
    """Append one event to the proposal's log.

    The row is inserted at once, with a plain INSERT on the session's connection: no ORM object
    is made, so the step's next query has nothing to flush for it (a flush of the pending event
    was a fifth of a task completion's CPU time, bench/completions.py). Nothing reads an event
    back as an object in the step that writes it; the proposal (`proposal.id`) is already stored.
    """
    session.connection().execute(_INSERT, {
        "proposal_id": proposal.id, "at": at or clock.now(), "kind": kind,
        "actor": user.username if user else None, "actor_name": user.name if user else None,
        "unit_id": unit_id, "task_id": str(task.id) if task is not None else None,
        "task_name": task.task_spec.bpmn_id if task is not None else None, "title": title, "data": data})


_INSERT = cast(Table, Event.__table__).insert()
