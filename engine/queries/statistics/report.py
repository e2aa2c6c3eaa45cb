"""The annual report (提案办理情况报告) as a Word document: the year's figures (compute.py,
the same computation the page shows) written into the region's text template.

The template is report_template.txt beside this module, or regions/<code>/report_template.txt
when the region has its own: Jinja2 text where "# " lines are the title, "## " and "### "
headings, "[[table:NAME]]" a table, and every other line a paragraph. The document is
made with python-docx, in 宋体/黑体, ready to edit in Word or WPS.
"""
import io
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import ProposalUnit
from engine.profile.region import Region
from engine.queries.statistics import flags as f
from engine.queries.statistics.compute import Filters, proposal_clauses, unit_names, year_statistics
from engine.queries.statistics.exports import cell, columns
from engine.queries.statistics.indicators import Indicators, indicators_of

TEMPLATE = Path(__file__).with_name("report_template.txt")
TEMPLATE_FILE = "report_template.txt"
_TABLE = re.compile(r"^\[\[table:([a-z_]+)\]\]$")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def template_path(region: Region) -> Path:
    """The region's own template when it has one, else the default."""
    own = region.folder / TEMPLATE_FILE if region.folder else None
    return own if own is not None and own.is_file() else TEMPLATE


def short_label(label: str) -> str:
    """'A类（解决或采纳）' → '解决或采纳' (the report's wording); other labels as they are."""
    found = re.search(r"（(.+)）", label)
    return found.group(1) if found else label


def percent(part: float | None, whole: float | None) -> str:
    """Whole percent as the report writes shares ('81%'; '—' of nothing)."""
    return f"{round((part or 0) * 100 / whole)}%" if whole else "—"


def follow_ups(session: Session, filters: Filters, names: Mapping[str, str], region: Region) -> list[dict[str, Any]]:
    """Replied handlings not yet closed: carried into next year (跟踪落实)."""
    stmt = (f.lead_join(select(f.P.number, f.P.title, f.L.unit_id, f.L.reply_class).select_from(f.P))
            .where(f.filed(), f.replied(), ~f.closed(), *proposal_clauses(filters)).order_by(f.P.number))
    if filters.unit:
        stmt = stmt.where(f.L.unit_id == filters.unit)
    classes = region.labels("reply_classes")
    return [{"number": n, "title": t, "leads": [names.get(u, u)], "reply_class": classes.get(k or "", k)}
            for n, t, u, k in session.execute(stmt)]


def context(session: Session, region: Region, filters: Filters, stats: dict[str, Any],
            now: datetime | None = None) -> dict[str, Any]:
    """What the template may use."""
    c = stats["counts"]
    units = stats["units"]
    half = [u for u in units if u["half_load"]]
    day = (now or clock.now()).astimezone(clock.CHINA).date()
    return {
        "region_name": region.name, "year": filters.year, "session_label": stats.get("session_label"),
        "today": f"{day.year}年{day.month}月{day.day}日", "c": c, "r": stats["ratios"], "pct": percent,
        "L": {code: ratio.label for code, ratio in indicators_of(region).ratios.items()},
        "unit_count": session.scalar(select(f.func.count(f.func.distinct(ProposalUnit.unit_id))).where(
            ProposalUnit.proposal_id.in_(select(f.P.id).where(f.filed(), *proposal_clauses(filters))),
            ProposalUnit.role.in_(("lead", "assist")))) or 0,
        "half_units": [u["name"] for u in half],
        "half_share": percent(sum(u["counts"]["handlings"] for u in half), c["assigned"]),
        "categories": [x for x in stats["categories"] if x["counts"]["filed"]],
        "classes": [{"code": k, "name": short_label(v), "count": c.get(f"class:{k}", 0)}
                    for k, v in region.labels("reply_classes").items()],
        "ratings": [{"code": k, "name": v, "count": c.get(f"sat:{k}", 0)}
                    for k, v in region.labels("satisfaction_scale").items()],
        "key_proposals": stats["key_proposals"], "key_closed": sum(1 for k in stats["key_proposals"] if k["closed"]),
        "overdue": stats["overdue"], "overdue_units": stats["overdue_units"],
        "follow_ups": follow_ups(session, filters, unit_names(session), region),
    }


def _tables(ind: Indicators, ctx: dict[str, Any], stats: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    units = columns(ind, "units")
    keep = {"承办单位", ind.counts["handlings"].label, ind.counts["replied"].label, ind.ratios["on_time_rate"].label,
            ind.ratios["meeting_rate"].label, ind.ratios["acceptable_rate"].label, "承担一半办理量"}
    units = [col for col in units if col[0] in keep]
    kinds = [(o["kind"], o["name"]) for o in stats["overdue"]]
    return {
        "units": ([label for label, _, _ in units],
                  [[_text(cell(row, kind, code), kind) for _, kind, code in units] for row in stats["units"]]),
        "key_proposals": (["案号", "案由", "主办单位", "状态", "答复类别"],
                          [[k["number"], k["title"], "、".join(k["leads"]), k["status"], k["reply_class"] or ""]
                           for k in ctx["key_proposals"]]),
        "overdue_units": (["单位", *(name for _, name in kinds), "合计"],
                          [[u["name"], *(str(u["kinds"].get(k, 0)) for k, _ in kinds), str(u["records"])]
                           for u in ctx["overdue_units"]]),
        "follow_ups": (["案号", "案由", "主办单位", "答复类别"],
                       [[x["number"], x["title"], "、".join(x["leads"]), x["reply_class"] or ""] for x in ctx["follow_ups"]]),
    }


def _text(value: object, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value:g}%" if isinstance(value, (int, float)) else str(value)
    return str(value)


def _fonts(document: Any) -> None:  # a python-docx Document (the library ships no types)
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name, font, size in (("Normal", "宋体", 12), ("Title", "黑体", 18), ("Heading 1", "黑体", 15),
                             ("Heading 2", "楷体", 13)):
        style = document.styles[name]
        style.font.name = font
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), font)


def annual_report(session: Session, region: Region, filters: Filters, stage_labels: Mapping[str, str] | None = None,
                  now: datetime | None = None) -> bytes:
    """The report for `filters` as .docx bytes."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    stats = year_statistics(session, region, filters, stage_labels)
    ind = indicators_of(region)
    ctx = context(session, region, filters, stats, now)
    env = Environment(undefined=StrictUndefined, autoescape=False)
    text = env.from_string(template_path(region).read_text(encoding="utf-8")).render(**ctx)
    tables = _tables(ind, ctx, stats)
    document = Document()
    _fonts(document)
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        table = _TABLE.match(line)
        if table:
            header, rows = tables.get(table.group(1), ([], []))
            if rows:
                grid = document.add_table(rows=1, cols=len(header))
                grid.style = "Table Grid"
                for cell_, label in zip(grid.rows[0].cells, header, strict=True):
                    cell_.text = label
                    for run in cell_.paragraphs[0].runs:
                        run.bold = True
                for row in rows:
                    for cell_, value in zip(grid.add_row().cells, row, strict=False):
                        cell_.text = str(value)
            continue
        if line.startswith("# "):
            heading = document.add_heading(line[2:], level=0)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif line.startswith("### "):
            document.add_heading(line[4:], level=2)
        elif line.startswith("## "):
            document.add_heading(line[3:], level=1)
        else:
            document.add_paragraph(line).paragraph_format.first_line_indent = document.styles["Normal"].font.size * 2
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report_filename(filters: Filters, session_label: str | None = None) -> str:
    """提案办理情况报告_<year>[_<session>].docx"""
    return f"提案办理情况报告_{filters.year}" + (f"_{session_label}" if session_label else "") + ".docx"
