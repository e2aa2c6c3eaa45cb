"""`cppcc import-proposals`: proposals from an Excel workbook, from the command line.

    cppcc import-proposals FILE.xlsx [--dry-run] [--by USERNAME]
        check every row (errors named 第 N 行 X 列); if none is wrong, import them all,
        each case starting at 审查立案. --by: the committee account recorded as importing
        (default: the first active committee account by username).
    cppcc import-proposals --template FILE.xlsx
        write the template (sheets 提案 and 填写说明)
"""
import sys
from pathlib import Path

from engine.adapters.db import Database, UnitOfWork
from engine.model.errors import EngineError
from engine.services import accounts, proposal_import
from engine.workflow.runtime import Runtime


def register(sub) -> None:
    """Add the command to the `cppcc` parser."""
    p = sub.add_parser("import-proposals", help="从 Excel 导入提案（任何一行有误时不导入）")
    p.add_argument("file", metavar="文件", help="Excel 文件（.xlsx），按模板填写；与 --template 同用时为要写入的模板")
    p.add_argument("--dry-run", action="store_true", help="只检查，不导入")
    p.add_argument("--by", help="记为导入人的提案委账号（默认：第一个提案委账号）")
    p.add_argument("--template", action="store_true", help="写出导入模板（含填写说明）")
    p.set_defaults(func=cmd_import_proposals)


def cmd_import_proposals(args, settings) -> int:
    """Import (or check) the workbook; print every problem and what was imported."""
    rt = Runtime(settings)
    if args.template:
        Path(args.file).write_bytes(proposal_import.template_workbook(rt))
        print(f"已写出导入模板：{args.file}")
        return 0
    try:
        content = Path(args.file).read_bytes()
    except OSError as err:
        print(f"错误：无法读取文件 {args.file}（{err.strerror}）", file=sys.stderr)
        return 1
    database = Database(settings.database_url)
    database.create_schema()
    try:
        with UnitOfWork(database) as uow:
            clerk = accounts.committee_account(uow.session, args.by)
            result = proposal_import.import_workbook(uow, rt, clerk, content, dry_run=args.dry_run)
    except EngineError as err:
        print(f"错误：{err.message}", file=sys.stderr)
        for e in err.details.get("errors", []):
            print(f"  {e['message']}", file=sys.stderr)
        return 1
    finally:
        database.engine.dispose()
    if result["errors"]:
        print(f"有 {len(result['errors'])} 处错误，没有导入任何提案：", file=sys.stderr)
        for e in result["errors"]:
            print(f"  {e['message']}", file=sys.stderr)
        return 1
    for row in result["rows"]:
        cosigners = f"，联名：{'、'.join(row['cosigners'])}" if row["cosigners"] else ""
        print(f"第 {row['row']} 行：{row['title']}（{row['proposer_name']}{cosigners}）")
    if args.dry_run:
        print(f"检查通过：共 {len(result['rows'])} 件，未导入（去掉 --dry-run 即导入）")
    else:
        print(f"已导入 {result['written']} 件提案（由 {clerk.name} 导入），已进入审查立案")
    return 0
