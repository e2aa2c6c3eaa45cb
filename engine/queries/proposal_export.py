"""A proposal search as an Excel workbook (.xlsx, openpyxl): the columns a clerk needs.

Same filters and visibility as the search (engine/queries/search.py): a user
exports what they could page through, at most MAX_ROWS proposals, newest first.
届次 is filled when proposals carry a session (a column other parts may add).
"""
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import Event, Proposal, ProposalPerson, ProposalUnit, Unit, User
from engine.queries import search
from engine.rules.permissions import visible_proposals_clause
from engine.workflow.runtime import Runtime

MAX_ROWS = 20000
COLUMNS = [("number", "案号", 12), ("title", "案由", 40), ("proposer", "提案者", 12), ("cosigners", "联名人", 20),
           ("category", "类别", 12), ("session", "届次", 14), ("leads", "主办单位", 24), ("assists", "协办单位", 24),
           ("status", "状态", 12), ("reply_class", "答复类别", 10), ("satisfaction", "满意度", 10),
           ("submitted", "提交日期", 12), ("filed", "立案日期", 12), ("assigned", "交办日期", 12),
           ("replied", "答复日期", 12)]
_DATED = {"review": "filed", "assign": "assigned", "send_reply": "replied"}


def export_rows(session: Session, rt: Runtime, user: User, filters: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of the export: one dict per proposal with the COLUMNS' keys (text values)."""
    where = [visible_proposals_clause(user), *search.proposal_filters(filters)]
    proposals = list(session.scalars(select(Proposal).where(*where)
                                     .order_by(Proposal.submitted_at.desc(), Proposal.id.desc()).limit(MAX_ROWS)))
    ids = [p.id for p in proposals]
    names = dict(session.execute(select(User.username, User.name)).all())
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    people: defaultdict[int, list[str]] = defaultdict(list)
    parts: defaultdict[int, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    dates: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for chunk in _chunks(ids):
        for pid, username, role in session.execute(select(ProposalPerson.proposal_id, ProposalPerson.username,
                                                          ProposalPerson.role).where(ProposalPerson.proposal_id.in_(chunk))):
            if role == "cosigner":
                people[pid].append(names.get(username, username))
        for pid, unit_id, role in session.execute(select(ProposalUnit.proposal_id, ProposalUnit.unit_id,
                                                         ProposalUnit.role).where(ProposalUnit.proposal_id.in_(chunk))):
            parts[pid][role].append(units.get(unit_id, unit_id))
        for pid, name, at in session.execute(select(Event.proposal_id, Event.task_name, Event.at).where(
                Event.proposal_id.in_(chunk), Event.task_name.in_(list(_DATED))).order_by(Event.id)):
            dates[pid].setdefault(_DATED[name or ""], _day(at))  # the first time (a second reply keeps the first date)
    categories, classes = rt.region.labels("categories"), rt.region.labels("reply_classes")
    scale = rt.region.satisfaction_labels()
    return [{
        "number": p.number or "", "title": p.title, "proposer": names.get(p.proposer, p.proposer),
        "cosigners": "、".join(sorted(people[p.id])), "category": categories.get(p.category or "", p.category or ""),
        "session": str(getattr(p, "session", None) or ""), "leads": "、".join(parts[p.id]["lead"]),
        "assists": "、".join(parts[p.id]["assist"]), "status": rt.stage_labels.get(p.status, p.status),
        "reply_class": classes.get(p.reply_class or "", p.reply_class or ""),
        "satisfaction": scale.get(p.satisfaction or "", p.satisfaction or ""), "submitted": _day(p.submitted_at),
        **{k: dates[p.id].get(k, "") for k in ("filed", "assigned", "replied")},
    } for p in proposals]


def export_workbook(session: Session, rt: Runtime, user: User, filters: Mapping[str, Any]) -> bytes:
    """The search as .xlsx bytes: sheet 提案 with a header row, frozen, one row per proposal."""
    rows = export_rows(session, rt, user, filters)
    book = Workbook()
    sheet = book.active
    sheet.title = "提案"
    sheet.append([title for _, title, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        sheet.append([row[key] for key, _, _ in COLUMNS])
    for n, (_, _, width) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[sheet.cell(1, n).column_letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _day(moment: datetime | None) -> str:
    return moment.astimezone(clock.CHINA).date().isoformat() if moment else ""
