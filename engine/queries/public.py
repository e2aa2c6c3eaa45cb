"""办理结果公开: the replies that may be published, and what the public page shows of them.

A candidate is a reply as sent (the engine's 正式答复 step, after every approval) whose
proposer consented to disclosure in the rating of that reply (forms/rate.json
`disclosure_consent`, given online or entered by the committee from the paper form). The
committee reviews each candidate (engine/services/publication.py): published, withheld with
a reason, or the proposer withdrew consent first. The region's rule (`disclosure:` in
region.yaml) says within how many working days of the reply it is to be published (its
summary), and how many working days later the full reply letter follows.

The public page shows only published replies, and of them only the proposal's title,
number, year, category, units, the reply class and the reply letter's text: never a draft,
an approval, a comment, a person's account, name or phone number.
"""
import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.errors import EngineError
from engine.model.tables import Event, Proposal, ProposalUnit, Publication, Unit
from engine.profile import sessions as committee_sessions
from engine.rules.disclosure import REPLY_STEP, STATUS_LABELS, candidates  # noqa: F401 (shared with the review)
from engine.workflow.runtime import Runtime

SUMMARY_LENGTH = 160
PUBLIC_FILTERS = ("year", "session", "category", "unit", "q")
SESSION_CODE = re.compile(r"^[0-9]{1,3}-[0-9]{1,2}$")


def public_filters(args: Mapping[str, str | None]) -> dict[str, str | int]:
    """The public page's filters from query parameters (year, session, category, unit, q); a 400 naming a bad one."""
    out: dict[str, str | int] = {}
    for key in PUBLIC_FILTERS:
        value = (args.get(key) or "").strip()
        if not value:
            continue
        if len(value) > 100:
            raise EngineError("查询条件过长", errors=[{"field": key, "message": "不超过 100 个字符"}])
        if key == "year" and not (value.isascii() and value.isdigit() and 1990 <= int(value) <= 2999):
            raise EngineError("年度不正确", errors=[{"field": "year", "message": "年度应为四位数字，如 2026"}])
        if key == "session" and not (value == committee_sessions.ORDINARY or SESSION_CODE.match(value)):
            raise EngineError("届次不正确", errors=[{"field": "session",
                                                 "message": "请从届次列表中选择（如六届一次会议，或平时提案）"}])
        out[key] = int(value) if key == "year" else value
    return out


def published(session: Session, rt: Runtime, filters: Mapping[str, Any], page: int = 1,
              per_page: int = 20) -> dict[str, Any]:
    """One page of the published replies matching `filters`, newest first: only public fields."""
    now = clock.now()
    where = [Publication.status == "published"]
    if "session" in filters:  # the proposal's session (届次), or the year's 平时提案
        code = filters["session"]
        where.append(or_(Proposal.session.is_(None), Proposal.session == code) if code == committee_sessions.ORDINARY
                     else Proposal.session == code)
    if "category" in filters:
        where.append(Proposal.category == filters["category"])
    if "unit" in filters:
        where.append(Publication.unit_id == filters["unit"])
    if "q" in filters:
        where.append(Proposal.title.contains(filters["q"], autoescape=True))
    if "year" in filters:  # the proposal's year, China time
        start = datetime.combine(datetime(filters["year"], 1, 1).date(), time(), tzinfo=clock.CHINA)
        where += [Proposal.submitted_at >= start, Proposal.submitted_at < start.replace(year=filters["year"] + 1)]
    base = select(Publication, Proposal, Event).join(Proposal, Proposal.id == Publication.proposal_id) \
        .join(Event, Event.id == Publication.reply_event_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(Publication.decided_at.desc(), Publication.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return {"items": [_public_item(session, rt, pub, proposal, event, now) for pub, proposal, event in rows],
            "total": total, "page": page, "per_page": per_page}


def published_one(session: Session, rt: Runtime, publication_id: int) -> dict[str, Any] | None:
    """One published reply (public fields), or None."""
    row = session.execute(select(Publication, Proposal, Event).join(Proposal, Proposal.id == Publication.proposal_id)
                          .join(Event, Event.id == Publication.reply_event_id)
                          .where(Publication.id == publication_id, Publication.status == "published")).one_or_none()
    if row is None:
        return None
    publication, proposal, reply = row
    return _public_item(session, rt, publication, proposal, reply, clock.now())


def _public_item(session: Session, rt: Runtime, pub: Publication, proposal: Proposal, reply: Event,
                 now: datetime) -> dict[str, Any]:
    data = reply.data if isinstance(reply.data, dict) else {}
    units = session.execute(select(ProposalUnit.role, Unit.name).join(Unit, Unit.id == ProposalUnit.unit_id)
                            .where(ProposalUnit.proposal_id == proposal.id, ProposalUnit.role.in_(("lead", "assist")))
                            .order_by(ProposalUnit.role.desc(), ProposalUnit.unit_id)).all()
    full_at = pub.full_text_at if pub.full_text_at else None
    full = full_at is None or full_at <= now
    text = data.get("reply_text") or ""
    summary = data.get("adopted_points") or text
    letter = {"text": text, "adopted": data.get("adopted_points") or "",
              "not_adopted": data.get("not_adopted_reasons") or ""} if full else None
    return {"id": pub.id, "number": proposal.number, "title": proposal.title,
            "year": proposal.submitted_at.astimezone(clock.CHINA).year,
            "session": committee_sessions.session_label(rt.region, proposal.session),
            "category": rt.region.labels("categories").get(proposal.category or "", ""),
            "lead_units": [n for r, n in units if r == "lead"], "assisting_units": [n for r, n in units if r == "assist"],
            "reply_unit": session.scalar(select(Unit.name).where(Unit.id == pub.unit_id)) or "",
            "reply_class": rt.region.labels("reply_classes").get(data.get("reply_class") or "", ""),
            "replied_on": reply.at.astimezone(clock.CHINA).date().isoformat(),
            "published_on": pub.decided_at.astimezone(clock.CHINA).date().isoformat(),
            "summary": summary[:SUMMARY_LENGTH] + ("……" if len(summary) > SUMMARY_LENGTH else ""),
            "full_text": letter,
            "full_text_on": full_at.astimezone(clock.CHINA).date().isoformat() if full_at and not full else None}


def public_choices(session: Session, rt: Runtime) -> dict[str, Any]:
    """What the public page's filters offer: the years and sessions with published replies,
    the region's categories, and the units whose replies are published."""
    rows = session.execute(select(Proposal.submitted_at, Publication.unit_id, Proposal.session).join(
        Proposal, Proposal.id == Publication.proposal_id).where(Publication.status == "published")).all()
    years = sorted({at.astimezone(clock.CHINA).year for at, _, _ in rows}, reverse=True)
    names = {u["id"]: u["name"] for u in rt.region.units}
    codes = sorted({code or committee_sessions.ORDINARY for _, _, code in rows},
                   key=lambda c: (c == committee_sessions.ORDINARY, [-int(p) for p in c.split("-") if p.isdigit()]))
    return {"years": years, "categories": rt.region.labels("categories"),
            "sessions": {c: committee_sessions.session_label(rt.region, c) for c in codes},
            "units": {u: names[u] for u in sorted({u for _, u, _ in rows}) if u in names}}
