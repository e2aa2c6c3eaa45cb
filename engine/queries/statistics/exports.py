"""The statistics' tables, column by column, for the page, the Excel exports and the report
(one list of columns per table, so all three show the same figures), and the workbooks.

A column is (label, kind, code): kind "count" (an integer of the row's counts), "ratio" (a
percentage or mean of the row's ratios), or "text" (a field of the row).
"""
import io
import re
from collections.abc import Sequence
from typing import Any

from engine.queries.statistics.indicators import Indicators

TABLES = {"headline": "总体情况", "units": "主办单位", "assist_units": "协办单位", "categories": "类别",
          "groups": "提案者类型", "monthly": "逐月答复", "overdue": "超期情况", "key_proposals": "重点提案"}


def columns(ind: Indicators, table: str) -> list[tuple[str, str, str]]:
    """The columns of `table` (a key of TABLES but headline) for the region's indicators."""
    c, r = ind.counts, ind.ratios
    classes = [(c[f"class:{k}"].label, "count", f"class:{k}") for k in ind.region.codes("reply_classes")]
    handled = [(c["handlings"].label, "count", "handlings"), (c["replied"].label, "count", "replied"),
               (r["reply_rate"].label, "ratio", "reply_rate"), (r["on_time_rate"].label, "ratio", "on_time_rate"),
               (r["close_rate"].label, "ratio", "close_rate"), (r["meeting_rate"].label, "ratio", "meeting_rate"),
               (r["contacts_avg"].label, "ratio", "contacts_avg"), *classes,
               (c["rated"].label, "count", "rated"), (r["satisfied_rate"].label, "ratio", "satisfied_rate"),
               (r["acceptable_rate"].label, "ratio", "acceptable_rate"), (c["second"].label, "count", "second"),
               (c["replied_late"].label, "count", "replied_late")]
    if table == "units":
        return [("承办单位", "text", "name"), *handled, (c["assist_parts"].label, "count", "assist_parts"),
                (r["assist_on_time_rate"].label, "ratio", "assist_on_time_rate"),
                ("承担一半办理量", "text", "half_load")]
    if table == "assist_units":
        return [("协办单位", "text", "name"), (c["assist_parts"].label, "count", "assist_parts"),
                (c["assist_opinions"].label, "count", "assist_opinions"),
                (c["assist_on_time"].label, "count", "assist_on_time"),
                (r["assist_on_time_rate"].label, "ratio", "assist_on_time_rate"),
                (c["assist_rated"].label, "count", "assist_rated"),
                (r["assist_acceptable_rate"].label, "ratio", "assist_acceptable_rate")]
    if table == "categories":
        return [("类别", "text", "name"), (c["submitted"].label, "count", "submitted"),
                (c["filed"].label, "count", "filed"), *handled]
    if table == "groups":
        return [("提案者类型", "text", "name"), *handled]
    if table == "monthly":
        return [("月份", "text", "month"), ("已答复", "text", "replied"), ("按时答复", "text", "on_time"),
                ("超期答复", "text", "late")]
    if table == "overdue":
        return [("超期事项", "text", "name"), ("次数", "text", "records"), ("涉及单位数", "text", "units")]
    if table == "key_proposals":
        return [("案号", "text", "number"), ("案由", "text", "title"), ("主办单位", "text", "leads"),
                ("状态", "text", "status"), ("答复类别", "text", "reply_class"), ("满意度", "text", "satisfaction")]
    raise KeyError(table)


def cell(row: dict[str, Any], kind: str, code: str) -> Any:
    """The value of one column in one row (None when a ratio has no denominator)."""
    if kind == "count":
        return row["counts"].get(code, 0)
    if kind == "ratio":
        return row["ratios"].get(code)
    value = row.get(code)
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, list):
        return "、".join(value)
    return value


def headline_rows(ind: Indicators, stats: dict[str, Any]) -> list[list[Any]]:
    """The headline as rows: indicator, value, numerator, denominator, meaning."""
    rows: list[list[Any]] = []
    for code, count in ind.counts.items():
        rows.append([count.label, stats["counts"].get(code, 0), None, None, count.meaning])
    for code, ratio in ind.ratios.items():
        numerator = sum(stats["counts"].get(n, 0) for n in ratio.numerator)
        rows.append([ratio.label + ("" if ratio.average else "（%）"), stats["ratios"].get(code), numerator,
                     stats["counts"].get(ratio.denominator, 0), ratio.meaning])
    return rows


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _plain(value: object) -> object:
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def workbook(ind: Indicators, stats: dict[str, Any], tables: Sequence[str] | None = None, title: str = "") -> bytes:
    """An XLSX workbook with one sheet per table of `tables` (all by default); strings stay text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables or TABLES:
        sheet = book.create_sheet(TABLES[table])
        if title:
            sheet.append([title])
            sheet["A1"].font = Font(bold=True, size=13)
        if table == "headline":
            sheet.append(["指标", "数值", "分子", "分母", "口径"])
            rows = headline_rows(ind, stats)
        else:
            spec = columns(ind, table)
            sheet.append([label for label, _, _ in spec])
            rows = [[cell(row, kind, code) for _, kind, code in spec] for row in stats[table]]
        for cell_ in sheet[sheet.max_row]:
            cell_.font = Font(bold=True)
        for row in rows:
            sheet.append([_plain(v) for v in row])
        for row in sheet.iter_rows():
            for item in row:
                if item.data_type == "f":  # a title starting with "=" stays text
                    item.data_type = "s"
        sheet.column_dimensions["A"].width = 32
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def assessment_workbook(result: dict[str, Any]) -> bytes:
    """The unit assessment: sheet 得分排名 (rank, unit, score, each item's points) and 扣分明细."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ranking = book.active
    ranking.title = "得分排名"
    items = result["scheme"]["items"]
    ranking.append(["名次", "承办单位", "得分", *(i["label"] for i in items), "扣分", "加分"])
    for unit in result["units"]:
        ranking.append([unit["rank"], _plain(unit["name"]), unit["score"], *(i["points"] for i in unit["items"]),
                        sum(d["lost"] for d in unit["deductions"]), unit["bonus"]])
    detail = book.create_sheet("扣分明细")
    detail.append(["承办单位", "考核项", "指标", "数值", "分子", "分母", "得分", "失分", "说明", "涉及提案"])
    for unit in result["units"]:
        for i in unit["items"]:
            detail.append([_plain(unit["name"]), i["label"], i["indicator_label"], i["rate"], i["numerator"],
                           i["denominator"], i["points"], i["lost"], i["why"],
                           _plain("；".join(f"{p['number']} {p['title']}" for p in i["proposals"]))])
        for d in unit["deductions"]:
            detail.append([_plain(unit["name"]), d["label"], "", d["records"], None, None, -d["lost"], d["lost"],
                           d["why"], _plain("；".join(f"{p['number']} {p['title']}" for p in d["proposals"]))])
        for m in unit["manual"]:
            if m["points"] or m["reason"]:
                detail.append([_plain(unit["name"]), m["label"], "", None, None, None, m["points"], None,
                               _plain(m["reason"]), ""])
    for sheet in (ranking, detail):
        for c in sheet[1]:
            c.font = Font(bold=True)
        for row in sheet.iter_rows():
            for item in row:
                if item.data_type == "f":
                    item.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
