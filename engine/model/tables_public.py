"""Tables of similar proposals (并案 suggestions), of the publication review
(办理结果公开) and of the unit assessment (承办单位考核), on the same declarative base as engine/model/tables.py, which
re-exports them.

May import: `engine.model.base` (Base and the time column type) only.
"""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.model.base import Base, UtcDateTime


class ProposalSimilarity(Base):
    """An earlier proposal found similar to a proposal when it was submitted
    (engine/services/similarity.py): the best matches, with their cosine score (0-1)."""

    __tablename__ = "proposal_similarities"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_proposal_similarities_other", "other_id"),)


class Publication(Base):
    """The committee's publication review of one sent reply (办理结果公开), or a member's
    withdrawal of consent before it: `status` published, withheld (with `reason`) or
    withdrawn. A reply the proposer consented to with no row yet waits for the review
    (engine/services/publication.py); `full_text_at` is when the full reply letter shows on
    the public page after its summary (the region's rule)."""

    __tablename__ = "publications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reply_event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)  # the sent reply
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))  # the lead unit whose reply it is
    status: Mapped[str] = mapped_column(String(20), index=True)  # published | withheld | withdrawn
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    full_text_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AssessmentAdjustment(Base):
    """A manual item of the unit assessment (承办单位考核) the government office enters for a
    unit and a year (e.g. 领导重视, 特色创新): the points given and why."""

    __tablename__ = "assessment_adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(40))  # a code of the scheme's manual items
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(80))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_assessment_adjustments_year", "year", "unit_id", "item", unique=True),)


class AssessmentSnapshot(Base):
    """Frozen unit scores of a year (a published ranking): the whole computed assessment as
    JSON, with who froze it and when; later corrections do not change it."""

    __tablename__ = "assessment_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    data: Mapped[dict] = mapped_column(JSON)
    frozen_by: Mapped[str] = mapped_column(String(80))
    frozen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
