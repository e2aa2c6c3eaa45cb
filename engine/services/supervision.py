"""Supervision (督办): random samples of assigned proposals for joint supervision,
and the report of units that missed deadlines (超期情况报告).

A sample is reproducible: the population (ids of the proposals assigned when the
sample was drawn, sorted) and the seed are stored with it, and
`random.Random(seed).sample(population, k)` always gives the same ids, so anyone
can check a draw afterwards (`verify_sample`). The overdue report only reads
`overdue_records`, which the deadline timers write.

Only the committee, the government office and the supervision office may draw
samples or read the reports; everyone else gets Forbidden. Functions take a
session (inside a UnitOfWork) and return plain JSON-ready dicts; nothing here
imports Flask.
"""
import csv
import io
import math
import random
import re
import secrets
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from engine.model import clock
from engine.model import limits
from engine.rules import permissions
from engine.model.errors import EngineError, NotFound
from engine.model.tables import OverdueRecord, Proposal, ProposalUnit, SupervisionSample, Unit, User
from engine.profile import catalogue as code_catalogue
from engine.profile.catalogue import Catalogue
from engine.profile.region import Region

CHINA = clock.CHINA
MAX_REPORT_YEARS = 3
SEED_MAX_LENGTH = 80  # SupervisionSample.seed
LABEL_MAX_LENGTH = 200  # SupervisionSample.label
NO_UNIT = "（未指明单位）"
PARTY_HEADER = "责任单位或责任人"  # a unit, an office (政府办, 督查室) or a leader by name


# Access

# who may: engine/rules/permissions.py (may_supervise)
require_access = permissions.check_supervisor


# Samples

def assigned_population(session) -> list[int]:
    """Ids of the proposals that have been assigned (a lead unit recorded), ascending."""
    ids = session.scalars(select(ProposalUnit.proposal_id).where(ProposalUnit.role == "lead").distinct())
    return sorted(set(ids))


def sample_size(population_size: int, rate_percent: float) -> int:
    """How many to draw: ceil(size × rate / 100) computed exactly (decimal), at least 1 of a
    non-empty population and at most all of it. 210 at 8 % gives 17."""
    if population_size <= 0:
        return 0
    k = math.ceil(Decimal(population_size) * Decimal(str(rate_percent)) / 100)
    return min(max(k, 1), population_size)


def select_ids(population: list[int], rate_percent: float, seed: str) -> list[int]:
    """The ids drawn from `population` (as stored, sorted) at `rate_percent` with `seed`,
    ascending. Deterministic: Python seeds a `random.Random` from a string with its
    SHA-512, independent of the process and of PYTHONHASHSEED."""
    k = sample_size(len(population), rate_percent)
    return sorted(random.Random(seed).sample(list(population), k))


def draw_sample(session, region: Region, user: User, *, rate_percent: float | str | None = None,
                seed: str | None = None, label: str | None = None, now: datetime) -> dict:
    """Draw and store a random sample of the assigned proposals; return it as `sample_detail` does.

    `rate_percent` defaults to the region's `supervision.sample_rate_percent`
    (0 < rate ≤ 100); `seed` (at most 80 characters) defaults to 16 random hex
    digits; `label` defaults to "<date> 随机抽查". `now` is the draw time (aware).
    Raises Forbidden, or EngineError with errors [{field, message}] for bad
    input or when no proposal has been assigned yet.
    """
    require_access(user)
    errors = []
    rate = _rate(region.sample_rate_percent if rate_percent is None or rate_percent == "" else rate_percent,
                 errors)
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        seed = secrets.token_hex(8)
    elif not isinstance(seed, str):
        errors.append({"field": "seed", "message": "随机种子应为文字"})
    elif len(seed.strip()) > SEED_MAX_LENGTH:
        errors.append({"field": "seed", "message": f"随机种子不能超过 {SEED_MAX_LENGTH} 个字符"})
    else:
        seed = seed.strip()
    drawn_at = now
    if label is None or (isinstance(label, str) and not label.strip()):
        label = f"{drawn_at.astimezone(CHINA):%Y-%m-%d} 随机抽查"
    elif not isinstance(label, str):
        errors.append({"field": "label", "message": "名称应为文字"})
    elif len(label.strip()) > LABEL_MAX_LENGTH:
        errors.append({"field": "label", "message": f"名称不能超过 {LABEL_MAX_LENGTH} 个字符"})
    else:
        label = label.strip()
    if errors:
        raise EngineError("抽查参数不正确", errors=errors)
    population = assigned_population(session)
    if not population:
        raise EngineError("目前没有已交办的提案，无法抽查",
                          errors=[{"field": "population", "message": "没有已交办（已确定主办单位）的提案"}])
    row = SupervisionSample(drawn_at=drawn_at, drawn_by=user.username, label=label, rate_percent=rate,
                            seed=seed, population=population, selected=select_ids(population, rate, seed))
    session.add(row)
    session.flush()
    return _sample_dict(session, row, with_selection=True)


def verify_sample(session, sample_id: int) -> bool:
    """Re-draw a stored sample from its stored population, rate and seed; True when the
    selection is the one stored. Raises NotFound for an unknown sample."""
    row = session.get(SupervisionSample, sample_id)
    if row is None:
        raise NotFound("找不到该抽查记录")
    return _verify(row)


def list_samples(session, user: User) -> dict:
    """Every sample drawn, newest first, without the selected proposals: {"items": [...]}."""
    require_access(user)
    rows = session.scalars(select(SupervisionSample).order_by(SupervisionSample.drawn_at.desc(),
                                                              SupervisionSample.id.desc()))
    return {"items": [_sample_dict(session, r) for r in rows]}


def sample_detail(session, user: User, sample_id: int) -> dict:
    """One sample with its selected proposals (number, title, status, lead units) and
    `verified`, the result of re-drawing it from its seed."""
    require_access(user)
    row = session.get(SupervisionSample, sample_id)
    if row is None:
        raise NotFound("找不到该抽查记录")
    return _sample_dict(session, row, with_selection=True)


def _sample_dict(session, row: SupervisionSample, with_selection: bool = False) -> dict:
    drawer = session.scalar(select(User.name).where(User.username == row.drawn_by))
    result = {"id": row.id, "label": row.label, "drawn_at": _iso(row.drawn_at), "drawn_by": row.drawn_by,
              "drawn_by_name": drawer, "rate_percent": row.rate_percent, "seed": row.seed,
              "population_size": len(row.population), "selected_count": len(row.selected)}
    if with_selection:
        result["selected"] = _proposal_rows(session, list(row.selected))
        result["verified"] = _verify(row)
    return result


def _verify(row: SupervisionSample) -> bool:
    try:
        return select_ids(list(row.population), row.rate_percent, row.seed) == sorted(row.selected)
    except (TypeError, ValueError):  # a tampered population or rate
        return False


def _proposal_rows(session, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    proposals = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}
    leads: dict[int, list[dict]] = {}
    for proposal_id, unit_id, name in session.execute(
            select(ProposalUnit.proposal_id, ProposalUnit.unit_id, Unit.name)
            .outerjoin(Unit, Unit.id == ProposalUnit.unit_id)
            .where(ProposalUnit.proposal_id.in_(ids), ProposalUnit.role == "lead")
            .order_by(ProposalUnit.unit_id)):
        leads.setdefault(proposal_id, []).append({"unit_id": unit_id, "unit_name": name or unit_id})
    items = []
    for pid in sorted(ids):
        p = proposals.get(pid)
        units = leads.get(pid, [])
        items.append({"id": pid, "number": p.number if p else None, "title": p.title if p else "（提案已不存在）",
                      "status": p.status if p else None, "is_key": bool(p.is_key) if p else False,
                      "lead_units": units, "lead_unit_name": "、".join(u["unit_name"] for u in units) or None})
    return items


def _rate(value, errors: list) -> float | None:
    message = {"field": "rate_percent", "message": "抽查比例应为大于 0、不超过 100 的数（百分比）"}
    if isinstance(value, bool):
        errors.append(message)
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        errors.append(message)
        return None
    if not number.is_finite() or number <= 0 or number > 100:
        errors.append(message)
        return None
    return float(number)


# Overdue report

def report_range(start_text: str | None, end_text: str | None, today: date) -> tuple[date, date]:
    """Parse the report's dates (YYYY-MM-DD); a missing start is 1 January of `today`'s
    year, a missing end 31 December. Raises EngineError naming the field "from" or "to"."""
    errors = []
    start = limits.parse_day(start_text, "from", "开始日期", errors) or date(today.year, 1, 1)
    end = limits.parse_day(end_text, "to", "结束日期", errors) or date(today.year, 12, 31)
    if errors:
        raise EngineError("统计区间不正确", errors=errors)
    return start, end


def china_today(now: datetime | None = None) -> date:
    """Today's date in China (UTC+8)."""
    return (now or clock.now()).astimezone(CHINA).date()  # the engine's (demo) clock


def overdue_report(session, user: User, start: date, end: date, words: Catalogue | None = None) -> dict:
    """The overdue records detected from `start` to `end` inclusive (China dates, UTC+8).

    Returns {"from", "to", "kinds": [{code, label}], "units": [{unit_id, holder_role,
    holder, unit_name, counts: {kind: n}, unresolved: {kind: n}, total,
    unresolved_total}] sorted by total descending, "totals": {counts, unresolved,
    total, unresolved_total}, "items": [{proposal_id, proposal_number,
    proposal_title, unit_id, holder_role, holder, unit_name, lead_unit, kind,
    kind_label, due_at, detected_at, resolved_at}] in detection order}. Each row is
    who was late: a unit, or the office (holder_role) or person (holder) holding the
    step, by name in unit_name, in the words of `words` (the region's catalogue; without
    it the catalogue's own). Unknown kinds are counted under their code. "Unresolved" means the late step
    is still not done now. Raises Forbidden, or EngineError when start > end or
    the range is longer than three years.
    """
    require_access(user)
    _check_range(start, end)
    words = words or code_catalogue.base()
    lower = datetime.combine(start, time(), CHINA).astimezone(timezone.utc)
    upper = datetime.combine(end + timedelta(days=1), time(), CHINA).astimezone(timezone.utc)
    rows = session.execute(
        select(OverdueRecord, Proposal.number, Proposal.title, Unit.name)
        .join(Proposal, Proposal.id == OverdueRecord.proposal_id)
        .outerjoin(Unit, Unit.id == OverdueRecord.unit_id)
        .where(OverdueRecord.detected_at >= lower, OverdueRecord.detected_at < upper)
        .order_by(OverdueRecord.detected_at, OverdueRecord.id)).all()
    holders = {r[0].holder for r in rows if r[0].holder and not r[0].unit_id}
    people = dict(session.execute(select(User.username, User.name).where(User.username.in_(holders))).all()) \
        if holders else {}
    columns = words.codes("deadline_kinds", report=True)
    kinds = columns + sorted({r[0].kind for r in rows} - set(columns))
    units: dict[tuple, dict] = {}
    items = []
    for record, number, title, unit_name in rows:
        name = _party_label(record, unit_name, people, words)
        party = (record.unit_id, None, None) if record.unit_id else (None, record.holder_role, record.holder)
        unit = units.setdefault(party, {
            "unit_id": record.unit_id, "holder_role": party[1], "holder": party[2], "unit_name": name,
            "counts": dict.fromkeys(kinds, 0), "unresolved": dict.fromkeys(kinds, 0), "total": 0,
            "unresolved_total": 0})
        unit["counts"][record.kind] += 1
        unit["total"] += 1
        if record.resolved_at is None:
            unit["unresolved"][record.kind] += 1
            unit["unresolved_total"] += 1
        items.append({"id": record.id, "proposal_id": record.proposal_id, "proposal_number": number,
                      "proposal_title": title, "unit_id": record.unit_id, "holder_role": party[1],
                      "holder": party[2], "unit_name": name, "lead_unit": record.lead_unit,
                      "kind": record.kind, "kind_label": words.label("deadline_kinds", record.kind),
                      "due_at": _iso(record.due_at), "detected_at": _iso(record.detected_at),
                      "resolved_at": _iso(record.resolved_at)})
    ordered = sorted(units.values(), key=lambda u: (-u["total"], -u["unresolved_total"], u["unit_id"] is None,
                                                    u["unit_id"] or "", u["holder_role"] or "", u["holder"] or ""))
    totals = {"counts": {k: sum(u["counts"][k] for u in ordered) for k in kinds},
              "unresolved": {k: sum(u["unresolved"][k] for u in ordered) for k in kinds},
              "total": len(items), "unresolved_total": sum(u["unresolved_total"] for u in ordered)}
    return {"from": start.isoformat(), "to": end.isoformat(),
            "kinds": [{"code": k, "label": words.label("deadline_kinds", k)} for k in kinds],
            "units": ordered, "totals": totals, "items": items}


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


def _widths(sheet, widths, letter) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[letter(index)].width = width


def _force_text(book) -> None:
    """Store every string as text: a proposal title starting with "=" must not become a formula."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value) -> str:
    return _ILLEGAL.sub("", "" if value is None else str(value))


def _csv_text(value) -> str:
    text = _text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _excel_time(value: str | None):
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
