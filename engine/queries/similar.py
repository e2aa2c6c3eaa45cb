"""Similar proposals as people see them: the lookup while a title is typed, the
likely duplicates flagged for 并案, and the merge links of a dossier.

Only a proposal's number, title, year and stage are shown of proposals the
user may not open (enough to recognise a duplicate, nothing of its content).
"""
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.adapters import similar_text
from engine.adapters.similar_text import settings
from engine.model import clock
from engine.model.errors import NotFound
from engine.model.tables import Proposal, ProposalSimilarity, User
from engine.rules.permissions import may_see_proposal, visible_proposals_clause
from engine.workflow.runtime import Runtime

MAX_QUERY = 20000


def _year(moment: datetime) -> int:
    return moment.astimezone(clock.CHINA).year


def _brief(rt: Runtime, row: Proposal, score: float | None = None, visible: set[int] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": row.id, "number": row.number, "title": row.title, "year": _year(row.submitted_at),
            "status": row.status, "status_label": rt.stage_labels.get(row.status, row.status)}
    if score is not None:
        item["score"] = round(score, 3)
    if visible is not None:
        item["visible"] = row.id in visible
    return item


def _visible(session: Session, user: User, ids: Collection[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Proposal.id).where(Proposal.id.in_(ids), visible_proposals_clause(user))))


def lookup(session: Session, rt: Runtime, user: User, title: str, body: str = "",
           limit: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Up to the region's `shown` earlier proposals (this year and past years) that look like
    the `title` (and `body`) being written, best first: {"items": [...]}; each item has its
    score and whether the user may open it."""
    conf = settings(rt.region)
    limit = min(limit or conf["shown"], 20)
    text = (title or "").strip()[:MAX_QUERY]
    if len(text) < 2:
        return {"items": []}
    index = similar_text.index_for(session)
    with index.lock:
        index.refresh(session)
        if body:
            found = index.similar(similar_text.full_text(text, body[:MAX_QUERY], ""), limit, conf["keep_score"])
        else:
            found = index.similar(text, limit, conf["keep_score"], title_only=True)
    rows = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_([i for i, _ in found])))}
    visible = _visible(session, user, list(rows))
    return {"items": [_brief(rt, rows[i], s, visible) for i, s in found if i in rows]}


def flags(session: Session, rt: Runtime, proposal_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """{proposal id: [likely duplicates of the same year, best first]}: stored similarities
    (either way round) scoring at least the region's `flag_score`."""
    if not proposal_ids:
        return {}
    threshold = settings(rt.region)["flag_score"]
    pairs = session.execute(select(ProposalSimilarity).where(
        ProposalSimilarity.score >= threshold,
        or_(ProposalSimilarity.proposal_id.in_(proposal_ids), ProposalSimilarity.other_id.in_(proposal_ids)))).scalars()
    wanted, links = set(proposal_ids), []
    for pair in pairs:
        if pair.proposal_id in wanted:
            links.append((pair.proposal_id, pair.other_id, pair.score))
        if pair.other_id in wanted:
            links.append((pair.other_id, pair.proposal_id, pair.score))
    ids = {i for link in links for i in link[:2]}
    rows = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    out: dict[int, list[dict[str, Any]]] = {pid: [] for pid in proposal_ids}
    for own, other, score in sorted(links, key=lambda link: -link[2]):
        if own in rows and other in rows and _year(rows[own].submitted_at) == _year(rows[other].submitted_at):
            out[own].append(_brief(rt, rows[other], score))
    return out


def similar_to(session: Session, rt: Runtime, user: User, proposal_id: int) -> list[dict[str, Any]]:
    """Every stored similar proposal of one proposal (earlier and later ones), best first."""
    pairs = session.execute(select(ProposalSimilarity).where(or_(
        ProposalSimilarity.proposal_id == proposal_id, ProposalSimilarity.other_id == proposal_id))).scalars()
    scores: dict[int, float] = {}
    for pair in pairs:
        other = pair.other_id if pair.proposal_id == proposal_id else pair.proposal_id
        scores[other] = max(scores.get(other, 0), pair.score)
    rows = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(list(scores))))} if scores else {}
    visible = _visible(session, user, list(rows))
    return [_brief(rt, rows[i], s, visible) for i, s in sorted(scores.items(), key=lambda kv: -kv[1]) if i in rows]


def merge_links(session: Session, rt: Runtime, user: User, proposal: Proposal) -> dict[str, Any]:
    """{"merged_into": the proposal this one was merged into or None,
    "merged_here": the proposals merged into this one}."""
    target = session.get(Proposal, proposal.merged_into_id) if proposal.merged_into_id else None
    here = list(session.scalars(select(Proposal).where(Proposal.merged_into_id == proposal.id).order_by(Proposal.id)))
    visible = _visible(session, user, [p.id for p in here] + ([target.id] if target else []))
    return {"merged_into": _brief(rt, target, visible=visible) if target else None,
            "merged_here": [_brief(rt, p, visible=visible) for p in here]}


def related(session: Session, rt: Runtime, user: User, proposal_id: int) -> dict[str, Any]:
    """A dossier's links: {"merged_into", "merged_here", "similar"}; NotFound for a proposal
    the user may not see."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not may_see_proposal(session, user, proposal_id):
        raise NotFound("找不到该提案")
    return {**merge_links(session, rt, user, proposal), "similar": similar_to(session, rt, user, proposal_id)}
