"""Suggested lead and assisting units for proposals awaiting assignment, with why.

Two sources, both shown as reasons; the committee always decides:
- the unit directory: a unit's remit keywords (`remit:` of a unit in the region's
  units.yaml or region.yaml) found in the title (counting double) or the text;
- the units that handled similar earlier proposals (stored similarities,
  engine/services/similarity.py): a lead unit counts the similarity score, an
  assisting unit half of it.
The best unit is suggested to lead; the next ones scoring at least half of it
(at most ASSISTING) to assist.
"""
from collections import defaultdict
from typing import TypedDict

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from engine.model.tables import Proposal, ProposalSimilarity, ProposalUnit
from engine.workflow.runtime import Runtime

ASSISTING = 2
KEYWORD_TITLE, KEYWORD_TEXT, KEYWORDS_COUNTED = 1.0, 0.4, 3
SIMILAR_LEAD, SIMILAR_ASSIST = 1.5, 0.75


class RankedUnit(TypedDict):
    """A unit suggested for a proposal, with its score and why (Chinese texts)."""

    unit_id: str
    unit_name: str
    score: float
    reasons: list[str]


class Suggestion(TypedDict):
    """The units suggested for one proposal: one to lead, some to assist, the best ranked."""

    lead: list[RankedUnit]
    assisting: list[RankedUnit]
    ranked: list[RankedUnit]


# (unit id, role, the similar proposal, similarity score)
# (unit id, role, the similar proposal's id/number/title row, similarity)
Handling = tuple[str, str, Row[int, str | None, str], float]


def suggest_units(session: Session, rt: Runtime, proposals: list[Proposal]) -> dict[int, Suggestion]:
    """{proposal id: {"lead": [unit], "assisting": [unit], "ranked": [unit]}} where a unit is
    {"unit_id", "unit_name", "score", "reasons": [Chinese text]}."""
    units = {u["id"]: u for u in rt.region.units}
    handled = _similar_handling(session, [p.id for p in proposals])
    out: dict[int, Suggestion] = {}
    for proposal in proposals:
        scores: defaultdict[str, float] = defaultdict(float)
        reasons: defaultdict[str, list[str]] = defaultdict(list)
        text = f"{proposal.body or ''} {proposal.suggestions or ''}"
        for unit_id, unit in units.items():
            in_title = [k for k in unit.get("remit", []) if k in proposal.title]
            in_text = [k for k in unit.get("remit", []) if k in text and k not in in_title]
            if in_title or in_text:
                scores[unit_id] += (KEYWORD_TITLE * len(in_title[:KEYWORDS_COUNTED])
                                    + KEYWORD_TEXT * len(in_text[:KEYWORDS_COUNTED]))
                reasons[unit_id].append("职责关键词：" + "、".join((in_title + in_text)[:5]))
        for unit_id, role, other, score in handled.get(proposal.id, []):
            if unit_id not in units:
                continue
            scores[unit_id] += score * (SIMILAR_LEAD if role == "lead" else SIMILAR_ASSIST)
            label = "主办" if role == "lead" else "协办"
            reasons[unit_id].append(f"曾{label}相似提案{other.number or ''}《{other.title}》（相似度 {score:.2f}）")
        ranked: list[RankedUnit] = [{"unit_id": u, "unit_name": units[u]["name"], "score": round(s, 2), "reasons": reasons[u]}
                  for u, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
        lead = ranked[:1]
        assisting = [u for u in ranked[1:1 + ASSISTING] if lead and u["score"] >= lead[0]["score"] / 2]
        out[proposal.id] = {"lead": lead, "assisting": assisting, "ranked": ranked[:6]}
    return out


def _similar_handling(session: Session, proposal_ids: list[int]) -> dict[int, list[Handling]]:
    """{proposal id: [(unit id, role, the similar proposal, score)]} for the similar proposals
    that have units (assigned ones), best first."""
    if not proposal_ids:
        return {}
    wanted = set(proposal_ids)
    # plain rows, not ORM objects: a page of 200 has thousands of stored similarities
    pairs = session.execute(select(ProposalSimilarity.proposal_id, ProposalSimilarity.other_id, ProposalSimilarity.score)
                            .where(or_(ProposalSimilarity.proposal_id.in_(proposal_ids),
                                       ProposalSimilarity.other_id.in_(proposal_ids))))
    links: defaultdict[int, dict[int, float]] = defaultdict(dict)
    for first, second, score in pairs:
        for own, other in ((first, second), (second, first)):
            if own in wanted and other != own:
                links[own][other] = max(links[own].get(other, 0), score)
    others = {o for found in links.values() for o in found}
    if not others:
        return {}
    roles: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
    for proposal_id, unit_id, role in session.execute(
            select(ProposalUnit.proposal_id, ProposalUnit.unit_id, ProposalUnit.role).where(
                ProposalUnit.proposal_id.in_(others), ProposalUnit.role.in_(("lead", "assist")))):
        roles[proposal_id].append((unit_id, role))
    if not roles:
        return {}
    rows = {r.id: r for r in session.execute(select(Proposal.id, Proposal.number, Proposal.title)
                                             .where(Proposal.id.in_(list(roles))))}
    out: defaultdict[int, list[Handling]] = defaultdict(list)
    for own, found in links.items():
        for other, score in sorted(found.items(), key=lambda kv: -kv[1]):
            for unit_id, role in roles.get(other, []):
                out[own].append((unit_id, role, rows[other], score))
    return out
