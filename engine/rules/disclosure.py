"""Which sent replies are candidates for 办理结果公开 and where each stands: a reply as
sent (the 正式答复 step) whose proposer consented in the rating of that reply, with the
committee's review status and the date the region's rule says it is to be published by.
Read by the public page (engine/queries/public.py) and the committee's review
(engine/services/publication.py).

May import: `engine.model`, `engine.rules.workcal`.
"""
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import Event, Proposal, Publication, Rating, Unit
from engine.rules.workcal import WorkCalendar

REPLY_STEP = "send_reply"
STATUS_LABELS = {"pending": "待审核", "published": "已公开", "withheld": "不予公开", "withdrawn": "委员已撤回同意"}


def candidates(session: Session, rt: Any, proposal_id: int | None = None) -> list[dict]:  # rt: the Runtime (a layer above)
    """Every sent reply whose proposer consented (or whose consent was withdrawn), newest
    first, with its review status and the date it is to be published by."""
    where = [Event.kind == "milestone", Event.task_name == REPLY_STEP]
    if proposal_id is not None:
        where.append(Event.proposal_id == proposal_id)
    replies = list(session.execute(select(Event, Proposal).join(Proposal, Proposal.id == Event.proposal_id)
                                   .where(*where).order_by(Event.id.desc())))
    latest: dict = {}
    for event, proposal in replies:  # a second handling's reply replaces the first of that unit
        latest.setdefault((proposal.id, event.unit_id), (event, proposal))
    rows = {p.reply_event_id: p for p in session.scalars(select(Publication).where(
        Publication.reply_event_id.in_([e.id for e, _ in latest.values()])))} if latest else {}
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    calendar, rule = WorkCalendar.for_region(rt.region), rt.region.disclosure
    out = []
    for event, proposal in latest.values():
        row = rows.get(event.id)
        if row is None and not _consented(session, proposal, event):
            continue
        replied = event.at.astimezone(clock.CHINA)
        due = calendar.add_working_days(replied.date(), rule["publish_within_working_days"])
        status = row.status if row else "pending"
        out.append({"reply_event_id": event.id, "proposal_id": proposal.id, "number": proposal.number,
                    "title": proposal.title, "unit_id": event.unit_id, "unit_name": units.get(event.unit_id),
                    "replied_on": replied.date().isoformat(), "publish_by": due.isoformat(),
                    "overdue": status == "pending" and clock.now().astimezone(clock.CHINA).date() > due,
                    "status": status, "status_label": STATUS_LABELS[status], "reason": row.reason if row else "",
                    "decided_at": row.decided_at.isoformat() if row else None})
    return out


def _consented(session: Session, proposal: Proposal, reply: Event) -> bool:
    """Whether the proposer's latest rating of this reply consents to its disclosure."""
    task_ids = select(Rating.task_id).where(Rating.proposal_id == proposal.id, Rating.rater == proposal.proposer,
                                            Rating.reply_unit == reply.unit_id)
    rating = session.scalar(select(Event).where(Event.proposal_id == proposal.id, Event.kind == "task_completed",
                                                Event.id > reply.id, Event.task_id.in_(task_ids))
                            .order_by(Event.id.desc()).limit(1))
    return bool(rating is not None and isinstance(rating.data, dict) and rating.data.get("disclosure_consent"))
