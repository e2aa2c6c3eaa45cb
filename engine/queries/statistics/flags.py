"""What each count of the statistics counts, as SQL over one handling (办理件).

A handling is one filed proposal with one of its lead units: a row of `proposal_units`
with role "lead" (a proposal with several separate leads, 分别主办, has one handling per
lead; a returned-and-reassigned one only that of its present lead; a filed proposal not
yet assigned has one handling with no unit). Every flag below is an SQL expression over
the proposal `P` and its lead row `L` (an outer join, so `L` may be empty), usable both
to count (`SUM(CASE …)`) and to list the proposals behind a figure (the search's
`indicator` filter): one definition for the number and for the list.

Where the facts come from (written by the engine's steps, never by loading workflows):
- replied: the lead row's reply class, set when the reply is sent (`send_reply`), and the
  time of the first 正式答复 milestone of that unit in `events`;
- late: an `overdue_records` row of kind "reply" for that lead (the deadline as extended);
- contacts: the completed 记录沟通协商 tasks of that unit (`events`, with the way of contact);
- ratings: the lead row's counted rating (after any second handling) and the `ratings`
  rows of the first round; second handling: a completed 二次办理 task of that unit;
- closed: the proposal's status 已办结.
"""
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.orm import aliased

from engine.model.tables import Event, OverdueRecord, Proposal, ProposalPerson, ProposalUnit, Rating

P = Proposal
L = aliased(ProposalUnit, name="lead_part")
A = aliased(ProposalUnit, name="assist_part")
FILED_STATUSES_OUT = ("not_filed", "merged", "converted")
Flag = ColumnElement[bool]  # a condition over P and L (or A)
Row = TypeVarTuple("Row")  # the columns of a select being joined


def filed() -> Flag:
    """Filed (立案): the proposal got a number at review."""
    return P.number.is_not(None)


def replied() -> Flag:
    """The lead has sent its reply (正式答复)."""
    return L.reply_class.is_not(None)


def reply_at() -> ScalarSelect[datetime]:
    """When the lead first sent its reply (a scalar subquery; NULL before)."""
    return (select(func.min(Event.at)).where(Event.proposal_id == P.id, Event.kind == "milestone",
                                             Event.task_name == "send_reply", Event.unit_id == L.unit_id)
            .correlate(P, L).scalar_subquery())


def late_reply() -> Flag:
    """An overdue record of the reply for this lead (its deadline passed, extensions counted)."""
    return exists().where(OverdueRecord.proposal_id == P.id, OverdueRecord.kind == "reply",
                          OverdueRecord.lead_unit == L.unit_id).correlate(P, L)


def on_time() -> Flag:
    """Replied, and the reply deadline (as extended) never passed before it."""
    return and_(replied(), not_(late_reply()))


def closed() -> Flag:
    """The proposal is closed (已办结)."""
    return P.status == "closed"


def _contacts(ways: Iterable[str] | None = None, before_reply: bool = False) -> list[Flag]:
    where = [Event.proposal_id == P.id, Event.kind == "task_completed", Event.task_name == "consultation",
             Event.unit_id == L.unit_id]
    if ways is not None:
        where.append(Event.data["contact_way"].as_string().in_(list(ways) or [""]))
    if before_reply:
        where.append(Event.at <= func.coalesce(reply_at(), Event.at))
    return where


def contacts() -> ScalarSelect[int]:
    """How many contacts with the proposer the lead recorded (scalar subquery)."""
    return select(func.count(Event.id)).where(*_contacts()).correlate(P, L).scalar_subquery()


def met(face_to_face: Iterable[str]) -> Flag:
    """Replied, with at least one face-to-face contact (a way in `face_to_face`) recorded before the reply."""
    return and_(replied(), exists().where(*_contacts(face_to_face, before_reply=True)).correlate(P, L))


def reply_class(code: str) -> Flag:
    """The lead's (final) reply class is `code`."""
    return L.reply_class == code


def rated(unrated_code: str) -> Flag:
    """The lead's reply has a counted rating (not 未评价)."""
    return and_(L.satisfaction.is_not(None), L.satisfaction != unrated_code)


def satisfaction(codes: Iterable[str]) -> Flag:
    """The lead's counted rating (after second handling, if any) is one of `codes`."""
    return L.satisfaction.in_(list(codes))


def first_rank(scale: Sequence[str], worst_counts: bool) -> ScalarSelect[int | None]:
    """The first round's counted rating of the lead's reply, as its position on the region's
    scale (0 best): the proposer's, or the worst of all raters' (`worst_counts`)."""
    rank = case(*[(Rating.satisfaction == code, n) for n, code in enumerate(scale)], else_=None)
    where = [Rating.proposal_id == P.id, Rating.unit_id == L.unit_id, Rating.reply_unit == L.unit_id,
             Rating.handling_round == 1]
    if not worst_counts:
        where.append(Rating.rater == P.proposer)
    return select(func.max(rank)).where(*where).correlate(P, L).scalar_subquery()


def first_satisfaction(scale: Sequence[str], codes: Collection[str], worst_counts: bool) -> Flag:
    """The first round's rating of the lead's reply is one of `codes`."""
    ranks = [n for n, code in enumerate(scale) if code in codes]
    return first_rank(scale, worst_counts).in_(ranks or [-1])


def first_rated(scale: Sequence[str], worst_counts: bool) -> Flag:
    """The lead's reply was rated in the first round."""
    return first_rank(scale, worst_counts).is_not(None)


def second_handled() -> Flag:
    """The lead handled it a second time (二次办理)."""
    return exists().where(Event.proposal_id == P.id, Event.kind == "task_completed",
                          Event.task_name == "second_handling", Event.unit_id == L.unit_id).correlate(P, L)


def key() -> Flag:
    """A key proposal (重点提案)."""
    return P.is_key.is_(True)


def joint() -> Flag:
    """Proposed jointly: at least one co-signer (联名提案); otherwise an individual proposal."""
    return exists().where(ProposalPerson.proposal_id == P.id, ProposalPerson.role == "cosigner").correlate(P)


def overdue(kind: str) -> Flag:
    """An overdue record of `kind` (accept, first_contact, opinion, reply, feedback) for this lead's handling."""
    return exists().where(OverdueRecord.proposal_id == P.id, OverdueRecord.kind == kind,
                          or_(OverdueRecord.unit_id == L.unit_id, OverdueRecord.lead_unit == L.unit_id)).correlate(P, L)


# -- assisting units (协办): over the assisting row `A` --------------------------------------------

def opinion_given() -> Flag:
    """The assisting unit sent its opinion (提交协办意见)."""
    return exists().where(Event.proposal_id == P.id, Event.kind == "task_completed",
                          Event.task_name == "assist_opinion", Event.unit_id == A.unit_id).correlate(P, A)


def opinion_late() -> Flag:
    """An overdue record of the assisting opinion for this unit."""
    return exists().where(OverdueRecord.proposal_id == P.id, OverdueRecord.kind == "opinion",
                          OverdueRecord.unit_id == A.unit_id).correlate(P, A)


def assist_rated(unrated_code: str) -> Flag:
    """The proposer rated this assisting unit."""
    return and_(A.satisfaction.is_not(None), A.satisfaction != unrated_code)


def count(condition: Flag) -> ColumnElement[int]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def lead_join(select_from: Select[*Row]) -> Select[*Row]:
    """`select_from` (a select on P) with the lead rows outer-joined: one row per handling."""
    return select_from.outerjoin(L, and_(L.proposal_id == P.id, L.role == "lead"))


def assist_join(select_from: Select[*Row]) -> Select[*Row]:
    """`select_from` (a select on P) joined to its assisting rows: one row per assisting part."""
    return select_from.join(A, and_(A.proposal_id == P.id, A.role == "assist"))


NOTHING: Flag = literal(False)
