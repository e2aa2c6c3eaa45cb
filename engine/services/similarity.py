"""Similar proposals, found when a proposal is submitted and kept in the database.

`record_similar` runs in the submission's transaction: it compares the new
proposal with every earlier one (engine/adapters/similar_text.py) and stores
the best matches scoring at least the region's `similarity.keep_score` in
`proposal_similarities`. The pages and the API read them from there: the
review and batch pages flag those of the same year scoring at least
`similarity.flag_score` as likely duplicates (并案).
"""
from sqlalchemy.orm import Session

from engine.adapters import similar_text
from engine.model.tables import Proposal, ProposalSimilarity
from engine.profile.region import Region

KEPT = 10
settings = similar_text.settings


def record_similar(session: Session, region: Region, proposal: Proposal) -> list[tuple[int, float]]:
    """Find and store the earlier proposals similar to `proposal` (flushed, not committed);
    returns [(other id, score)], best first."""
    index = similar_text.index_for(session)
    with index.lock:
        index.refresh(session, below=proposal.id)
        found = index.similar(similar_text.full_text(proposal.title, proposal.body, proposal.suggestions),
                              KEPT, settings(region)["keep_score"], exclude=proposal.id, before=proposal.id)
    for other_id, score in found:
        session.add(ProposalSimilarity(proposal_id=proposal.id, other_id=other_id, score=score))
    return found
