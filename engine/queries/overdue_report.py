"""The overdue report (超期情况报告): the overdue records detected in a period, per
unit (or office, or leader) and kind of deadline, as a page, an Excel workbook or CSV.
Read side: it only reads `overdue_records`, which the deadline timers write. Who may
read it: engine/rules/permissions.py (`check_supervisor`).
"""
import csv
import io
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.model import clock, limits
from engine.model.errors import EngineError
from engine.model.tables import OverdueRecord, Proposal, Unit, User
from engine.profile import catalogue as code_catalogue
from engine.profile.catalogue import Catalogue
from engine.rules.permissions import check_supervisor as require_access

CHINA = clock.CHINA
MAX_REPORT_YEARS = 3
NO_UNIT = "（未指明单位）"
PARTY_HEADER = "责任单位或责任人"  # a unit, an office (政府办, 督查室) or a leader by name


def report_range(start_text: str | None, end_text: str | None, today: date) -> tuple[date, date]:
    """Parse the report's dates (YYYY-MM-DD); a missing start is 1 January of `today`'s
    year, a missing end 31 December. Raises EngineError naming the field "from" or "to"."""
    errors: list[dict] = []
    start = limits.parse_day(start_text, "from", "开始日期", errors) or date(today.year, 1, 1)
    end = limits.parse_day(end_text, "to", "结束日期", errors) or date(today.year, 12, 31)
    if errors:
        raise EngineError("统计区间不正确", errors=errors)
    return start, end


def china_today(now: datetime | None = None) -> date:
    """Today's date in China (UTC+8)."""
    return (now or clock.now()).astimezone(CHINA).date()  # the engine's (demo) clock


def overdue_report(session: Session, user: User, start: date, end: date, words: Catalogue | None = None,
                   page: int | None = 1, per_page: int = 50) -> dict:
    """The overdue records detected from `start` to `end` inclusive (China dates, UTC+8).

    Returns {"from", "to", "kinds": [{code, label}], "units": [{unit_id, holder_role,
    holder, unit_name, counts: {kind: n}, unresolved: {kind: n}, total,
    unresolved_total}] sorted by total descending, "totals": {counts, unresolved,
    total, unresolved_total}, "items": [{proposal_id, proposal_number,
    proposal_title, unit_id, holder_role, holder, unit_name, lead_unit, kind,
    kind_label, due_at, detected_at, resolved_at}] in detection order, "page",
    "per_page"}: the summary is counted in SQL over the whole range, the items are one
    page of `per_page` (page None: all of them, for the downloads). Each row is
    who was late: a unit, or the office (holder_role) or person (holder) holding the
    step, by name in unit_name, in the words of `words` (the region's catalogue; without
    it the catalogue's own). Unknown kinds are counted under their code. "Unresolved" means the late step
    is still not done now. Raises Forbidden, or EngineError when start > end or
    the range is longer than three years.
    """
    require_access(user)
    _check_range(start, end)
    words = words or code_catalogue.base()
    lower = datetime.combine(start, time(), CHINA).astimezone(UTC)
    upper = datetime.combine(end + timedelta(days=1), time(), CHINA).astimezone(UTC)
    within = (OverdueRecord.detected_at >= lower, OverdueRecord.detected_at < upper)
    R = OverdueRecord
    groups = session.execute(
        select(R.unit_id, R.holder_role, R.holder, R.kind, R.resolved_at.is_(None), Unit.name, func.count())
        .outerjoin(Unit, Unit.id == R.unit_id).where(*within)
        .group_by(R.unit_id, R.holder_role, R.holder, R.kind, R.resolved_at.is_(None), Unit.name)).all()
    stmt = (select(R, Proposal.number, Proposal.title, Unit.name).join(Proposal, Proposal.id == R.proposal_id)
            .outerjoin(Unit, Unit.id == R.unit_id).where(*within).order_by(R.detected_at, R.id))
    rows = session.execute(stmt if page is None else stmt.offset((page - 1) * per_page).limit(per_page)).all()
    holders = {g[2] for g in groups if g[2] and not g[0]}
    people = dict(session.execute(select(User.username, User.name).where(User.username.in_(holders))).all()) \
        if holders else {}
    columns = words.codes("deadline_kinds", report=True)
    kinds = columns + sorted({g[3] for g in groups} - set(columns))
    units: dict[tuple, dict] = {}
    for unit_id, holder_role, holder, kind, open_, unit_name, n in groups:
        party = (unit_id, None, None) if unit_id else (None, holder_role, holder)
        unit = units.setdefault(party, {
            "unit_id": unit_id, "holder_role": party[1], "holder": party[2],
            "unit_name": _party_label(OverdueRecord(unit_id=unit_id, holder=holder, holder_role=holder_role),
                                      unit_name, people, words),
            "counts": dict.fromkeys(kinds, 0), "unresolved": dict.fromkeys(kinds, 0), "total": 0,
            "unresolved_total": 0})
        unit["counts"][kind] += n
        unit["total"] += n
        if open_:
            unit["unresolved"][kind] += n
            unit["unresolved_total"] += n
    items = []
    for record, number, title, unit_name in rows:
        party = (record.unit_id, None, None) if record.unit_id else (None, record.holder_role, record.holder)
        items.append({"id": record.id, "proposal_id": record.proposal_id, "proposal_number": number,
                      "proposal_title": title, "unit_id": record.unit_id, "holder_role": party[1],
                      "holder": party[2], "unit_name": _party_label(record, unit_name, people, words),
                      "lead_unit": record.lead_unit,
                      "kind": record.kind, "kind_label": words.label("deadline_kinds", record.kind),
                      "due_at": _iso(record.due_at), "detected_at": _iso(record.detected_at),
                      "resolved_at": _iso(record.resolved_at)})
    ordered = sorted(units.values(), key=lambda u: (-u["total"], -u["unresolved_total"], u["unit_id"] is None,
                                                    u["unit_id"] or "", u["holder_role"] or "", u["holder"] or ""))
    totals = {"counts": {k: sum(u["counts"][k] for u in ordered) for k in kinds},
              "unresolved": {k: sum(u["unresolved"][k] for u in ordered) for k in kinds},
              "total": sum(u["total"] for u in ordered),
              "unresolved_total": sum(u["unresolved_total"] for u in ordered)}
    return {"from": start.isoformat(), "to": end.isoformat(),
            "kinds": [{"code": k, "label": words.label("deadline_kinds", k)} for k in kinds],
            "units": ordered, "totals": totals, "items": items,
            "page": page or 1, "per_page": per_page if page is not None else len(items)}


def _party_label(record: OverdueRecord, unit_name: str | None, people: dict, words: Catalogue) -> str:
    """The name of who was late: the unit, the person holding the step, or the office of its role."""
    if record.unit_id:
        return unit_name or record.unit_id
    if record.holder:
        return people.get(record.holder, record.holder)
    return words.label("roles", record.holder_role, default=NO_UNIT)


def report_filename(report: dict, extension: str) -> str:
    """The download name of a report: 超期情况报告_<from>_<to>.<extension>."""
    return f"超期情况报告_{report['from']}_{report['to']}.{extension}"


def export_overdue(report: dict) -> bytes:
    """The report as an XLSX workbook: sheet "按单位汇总" (one row per unit, a count per
    kind, total and unresolved, a 合计 row) and sheet "明细" (one row per record,
    times in China time)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F2F5")
    book = Workbook()
    summary = book.active
    summary.title = "按单位汇总"
    header = _summary_header(report)
    summary.append([f"超期情况报告（{report['from']} 至 {report['to']}）"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    summary.append(header)
    for row in _summary_rows(report):
        summary.append([_text(row[0]), *row[1:]])
    for cell in summary[2]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center")
    for cell in summary[summary.max_row]:
        cell.font = bold
    summary.freeze_panes = "B3"
    _widths(summary, [30] + [12] * (len(header) - 1), get_column_letter)

    detail = book.create_sheet("明细")
    detail.append(["案号", "案由", PARTY_HEADER, "超期事项", "办理时限", "发现超期时间", "纠正时间", "状态"])
    for cell in detail[1]:
        cell.font, cell.fill = bold, fill
    for item in report["items"]:
        detail.append([_text(item["proposal_number"] or ""), _text(item["proposal_title"]),
                       _text(item["unit_name"]), _text(item["kind_label"]), _excel_time(item["due_at"]),
                       _excel_time(item["detected_at"]), _excel_time(item["resolved_at"]),
                       "已纠正" if item["resolved_at"] else "未纠正"])
    for column in (5, 6, 7):
        for (cell,) in detail.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "yyyy-mm-dd hh:mm"
    detail.freeze_panes = "A2"
    detail.auto_filter.ref = detail.dimensions
    _widths(detail, [14, 48, 30, 12, 18, 18, 18, 10], get_column_letter)
    _force_text(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_overdue_csv(report: dict) -> str:
    """The by-unit summary as CSV text starting with a UTF-8 byte order mark (so Excel
    reads the Chinese), CRLF line ends, a header row, one row per unit and a 合计 row.
    Encode it as UTF-8 to send it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_summary_header(report))
    for row in _summary_rows(report):
        writer.writerow([_csv_text(row[0]), *row[1:]])
    return "\ufeff" + out.getvalue()


def _summary_header(report: dict) -> list[str]:
    return [PARTY_HEADER, *(k["label"] for k in report["kinds"]), "合计", "其中未纠正"]


def _summary_rows(report: dict) -> list[list]:
    codes = [k["code"] for k in report["kinds"]]
    rows = [[u["unit_name"], *(u["counts"][c] for c in codes), u["total"], u["unresolved_total"]]
            for u in report["units"]]
    totals = report["totals"]
    rows.append(["合计", *(totals["counts"][c] for c in codes), totals["total"], totals["unresolved_total"]])
    return rows


# openpyxl ships no type information: its sheets and workbooks are Any to mypy.
def _widths(sheet: Any, widths: Sequence[int], letter: Callable[[int], str]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[letter(index)].width = width


def _force_text(book: Any) -> None:
    """Store every string as text: a proposal title starting with "=" must not become a formula."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value: object) -> str:
    return _ILLEGAL.sub("", "" if value is None else str(value))


def _csv_text(value: object) -> str:
    text = _text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _excel_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(CHINA).replace(tzinfo=None, microsecond=0)


def _check_range(start: date, end: date) -> None:
    if start > end:
        raise EngineError("统计区间不正确", errors=[{"field": "to", "message": "结束日期不能早于开始日期"}])
    if end >= _add_years(start, MAX_REPORT_YEARS):
        raise EngineError("统计区间不正确",
                          errors=[{"field": "to", "message": f"统计区间不能超过 {MAX_REPORT_YEARS} 年"}])


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_iso = clock.utc_iso
