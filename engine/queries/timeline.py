"""What happened on the cases lately, from the event log: for the demo's `run-timers`,
which prints what firing the due timers did."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.model.tables import Event, Proposal


def last_event_id(session: Session) -> int:
    """The id of the newest event (0 when there is none)."""
    return session.scalar(select(func.max(Event.id))) or 0


def timer_events_since(session: Session, last: int) -> list[tuple[str | None, str, str]]:
    """[(proposal number, proposal title, what happened)] of the timer and overdue events after
    event `last`, in order."""
    rows = session.execute(
        select(Proposal.number, Proposal.title, Event.title).join(Proposal, Proposal.id == Event.proposal_id)
        .where(Event.id > last, Event.kind.in_(("timer", "overdue"))).order_by(Event.id))
    return [(number, title, what) for number, title, what in rows]
