"""The append-only event log of proposals: every step, who, when, what."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import Event, Proposal, User


def log(session: Session, proposal: Proposal, kind: str, user: User | None, title: str, task: Any = None,
        unit_id: str | None = None, data: dict | None = None, at: datetime | None = None) -> None:
    """Append one event to the proposal's log."""
    session.add(Event(proposal_id=proposal.id, at=at or clock.now(), kind=kind,
                      actor=user.username if user else None, actor_name=user.name if user else None,
                      unit_id=unit_id, task_id=str(task.id) if task is not None else None,
                      task_name=task.task_spec.bpmn_id if task is not None else None, title=title, data=data))
