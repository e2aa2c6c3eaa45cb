"""`cppcc report` and `cppcc statistics`: the committee's year from the command line.

    cppcc report --year 2026 [--session 6-1] [--category urban] 提案办理情况报告.docx
    cppcc statistics --year 2026 [--xlsx 统计.xlsx]

The report is the same document as the 统计分析 page's 生成年度报告 (one computation,
engine/queries/statistics); run on the server's database (CPPCC_DATABASE_URL).
"""
import json
from pathlib import Path

from engine.adapters.db import Database, UnitOfWork
from engine.profile import sessions
from engine.queries.statistics import compute, exports, report
from engine.queries.statistics.indicators import Indicators
from engine.workflow.runtime import Runtime


def register(subparsers) -> None:
    """Add `report` and `statistics` to the `cppcc` command's subparsers."""
    p = subparsers.add_parser("report", help="生成年度提案办理情况报告（Word 文档）")
    _filters(p)
    p.add_argument("output", type=Path, metavar="输出文件", help="输出文件，如 提案办理情况报告.docx")
    p.set_defaults(func=cmd_report)
    p = subparsers.add_parser("statistics", help="打印年度统计（JSON），或导出 Excel")
    _filters(p)
    p.add_argument("--xlsx", type=Path, help="导出全部统计表格到此 Excel 文件")
    p.set_defaults(func=cmd_statistics)


def _filters(p) -> None:
    p.add_argument("--year", help="年度（提交年度；默认今年）")
    p.add_argument("--session", help="届次代码（如 6-1），ordinary 为平时提案")
    p.add_argument("--category", help="类别代码")
    p.add_argument("--unit", help="主办单位")
    p.add_argument("--key-only", action="store_true", help="只统计重点提案")


def _compute(args, settings):
    runtime = Runtime(settings)
    database = Database(settings.database_url)
    given = {"year": args.year, "session": args.session, "category": args.category, "unit": args.unit,
             "key_only": "true" if args.key_only else None}
    return runtime, database, {k: v for k, v in given.items() if v}


def cmd_report(args, settings) -> int:
    """Write the annual report for the filters to `output`."""
    runtime, database, given = _compute(args, settings)
    with UnitOfWork(database) as uow:
        units = [u["id"] for u in runtime.region.units]
        filters = compute.parse_filters(given, runtime.region, units)
        data = report.annual_report(uow.session, runtime.region, filters, runtime.stage_labels)
    args.output.write_bytes(data)
    label = sessions.session_label(runtime.region, filters.session) if filters.session else "全年"
    print(f"已生成 {filters.year} 年度（{label}）提案办理情况报告：{args.output}")
    return 0


def cmd_statistics(args, settings) -> int:
    """Print the figures as JSON, or write every table to an Excel workbook."""
    runtime, database, given = _compute(args, settings)
    with UnitOfWork(database) as uow:
        units = [u["id"] for u in runtime.region.units]
        filters = compute.parse_filters(given, runtime.region, units)
        stats = compute.year_statistics(uow.session, runtime.region, filters, runtime.stage_labels)
    if args.xlsx:
        args.xlsx.write_bytes(exports.workbook(Indicators(runtime.region), stats,
                                               title=f"{runtime.region.name}{filters.year}年度提案办理统计"))
        print(f"已导出：{args.xlsx}")
    else:
        print(json.dumps(stats, ensure_ascii=False, indent=1))
    return 0
