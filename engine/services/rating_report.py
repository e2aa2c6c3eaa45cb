"""评价统计: the ratings given over a date range, per unit and in detail, with the ratings
committee staff entered from signed paper forms counted and marked 代录 (who entered it);
as JSON or an Excel workbook. For the committee, the government office and the
supervision office (engine/services/supervision.py decides), beside the overdue report."""
import io
from datetime import UTC, date, datetime, time, timedelta

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.errors import EngineError
from engine.model.tables import Proposal, Rating, Unit, User
from engine.services import supervision
from engine.services.paper_ratings import entered_mark
from engine.workflow.runtime import Runtime

ONLINE = "本人评价"


def rating_report(session: Session, rt: Runtime, user: User, start: date, end: date) -> dict:
    """{"from", "to", "scale": [{code, label}], "units": [{unit_id, unit_name, counts, total, entered}],
    "items": [{proposal_number, proposal_title, unit_name, role, rater_name, satisfaction_label,
    round, rated_at, entered_by, entered_by_name, entry}]} for ratings given from `start` to `end`."""
    supervision.require_access(user)
    if start > end or (end - start).days > 3 * 366:
        raise EngineError("统计区间不正确", errors=[{"field": "to", "message": "结束日期应不早于开始日期，区间不超过 3 年"}])
    lower = datetime.combine(start, time(), clock.CHINA).astimezone(UTC)
    upper = datetime.combine(end + timedelta(days=1), time(), clock.CHINA).astimezone(UTC)
    rows = session.execute(select(Rating, Proposal.number, Proposal.title, Unit.name)
                           .join(Proposal, Proposal.id == Rating.proposal_id)
                           .outerjoin(Unit, Unit.id == Rating.unit_id)
                           .where(Rating.rated_at >= lower, Rating.rated_at < upper)
                           .order_by(Rating.rated_at, Rating.id)).all()
    names = dict(session.execute(select(User.username, User.name).where(User.username.in_(
        {r.rater for r, *_ in rows} | {r.entered_by for r, *_ in rows if r.entered_by}))).all()) if rows else {}
    labels = rt.region.satisfaction_labels()
    scale = list(labels)
    units: dict = {}
    items: list = []
    for rating, number, title, unit_name in rows:
        unit = units.setdefault(rating.unit_id, {"unit_id": rating.unit_id, "unit_name": unit_name or rating.unit_id,
                                                 "counts": dict.fromkeys(scale, 0), "total": 0, "entered": 0})
        unit["counts"][rating.satisfaction] = unit["counts"].get(rating.satisfaction, 0) + 1
        unit["total"] += 1
        unit["entered"] += 1 if rating.entered_by else 0
        items.append({"proposal_id": rating.proposal_id, "proposal_number": number, "proposal_title": title,
                      "unit_name": unit_name or rating.unit_id,
                      "role": "答复" if rating.unit_id == rating.reply_unit else "协办",
                      "rater_name": names.get(rating.rater, rating.rater),
                      "satisfaction": rating.satisfaction,
                      "satisfaction_label": labels.get(rating.satisfaction, rating.satisfaction),
                      "round": rating.handling_round, "rated_at": rating.rated_at.isoformat(),
                      "entered_by": rating.entered_by, "entered_by_name": names.get(rating.entered_by) if rating.entered_by else None,
                      "entry": entered_mark(rating, names) or ONLINE})
    return {"from": start.isoformat(), "to": end.isoformat(),
            "scale": [{"code": c, "label": labels[c]} for c in scale],
            "units": sorted(units.values(), key=lambda u: (-u["total"], u["unit_id"])), "items": items}


def export_ratings(report: dict) -> bytes:
    """The report as XLSX: "按单位汇总" (counts per rating, of which 代录) and "明细" (each rating,
    its 录入方式: 本人评价 or 代录（X录入）)."""
    book = Workbook()
    summary = book.active
    summary.title = "按单位汇总"
    codes = [s["code"] for s in report["scale"]]
    summary.append(["单位", *(s["label"] for s in report["scale"]), "合计", "其中代录"])
    for u in report["units"]:
        summary.append([u["unit_name"], *(u["counts"].get(c, 0) for c in codes), u["total"], u["entered"]])
    detail = book.create_sheet("明细")
    detail.append(["提案号", "案由", "单位", "评价对象", "评价人", "评价", "轮次", "评价时间", "录入方式"])
    for i in report["items"]:
        detail.append([i["proposal_number"] or "", i["proposal_title"], i["unit_name"], i["role"], i["rater_name"],
                       i["satisfaction_label"], i["round"],
                       datetime.fromisoformat(i["rated_at"]).astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M"),
                       i["entry"]])
    for sheet, widths in ((summary, [24] + [10] * (len(codes) + 2)), (detail, [12, 40, 22, 10, 14, 12, 6, 18, 22])):
        for n, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = width
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # a title starting with "=" stays text
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(report: dict) -> str:
    """评价统计_<from>_<to>.xlsx"""
    return f"评价统计_{report['from']}_{report['to']}.xlsx"
