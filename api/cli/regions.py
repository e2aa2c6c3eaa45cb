"""`cppcc regions`, `cppcc import-units`, `cppcc export-units` and the region options
of `cppcc scenarios`: region profiles from the command line.

    cppcc regions                                 the region folders, and how to run each one's demo
    cppcc export-units FILE.xlsx [--region CODE]  the region's unit directory as a workbook (the template)
    cppcc import-units FILE.xlsx [--region CODE] [--dry-run]
                                                  check every row; if none is wrong, write
                                                  regions/<code>/units.yaml and sync the units table
    cppcc scenarios [FILE ...] [--all-regions]    the region's scenarios (CPPCC_REGION): the shared
                                                  processes/scenarios/*.yaml that apply to it and
                                                  regions/<code>/scenarios/*.yaml; --all-regions: every region's

The region is --region CODE (here or before the command), else CPPCC_REGION, else default.
"""
import sys
from pathlib import Path

from engine.adapters.db import Database
from engine.adapters.units_excel import UnitsImportError, export_units
from engine.model.errors import DefinitionError
from engine.model.settings import Settings
from engine.profile.region import REGIONS_ROOT, load_region, region_codes
from engine.services.units_import import import_units
from engine.tooling.scenarios import region_settings_list, run_all, scenarios_for


def register(sub) -> None:
    """Add the region commands to the `cppcc` parser; call it after the other commands
    (it gives an existing `scenarios` command the region options)."""
    sub.add_parser("regions", help="列出地区配置").set_defaults(func=cmd_regions)
    p = sub.add_parser("export-units", help="把单位名录导出为 Excel（即导入模板）")
    p.add_argument("file", metavar="文件", help="要写入的 .xlsx 文件")
    p.add_argument("--region", dest="unit_region", help="地区（默认：当前地区）")
    p.set_defaults(func=cmd_export_units)
    p = sub.add_parser("import-units", help="从 Excel 导入单位名录（任何一行有误时不写入）")
    p.add_argument("file", metavar="文件", help="Excel 文件（.xlsx），表头：单位编码、单位名称、分管副职")
    p.add_argument("--region", dest="unit_region", help="地区（默认：当前地区）")
    p.add_argument("--dry-run", action="store_true", help="只检查并说明将有哪些变化，不写入")
    p.set_defaults(func=cmd_import_units)
    p = sub.choices.get("scenarios") or sub.add_parser(
        "scenarios", help="运行流程设计人员编写的场景（processes/scenarios 与 regions/<地区>/scenarios）")
    if not any(a.dest == "files" for a in p._actions):
        p.add_argument("files", nargs="*", metavar="场景文件", help="场景文件（默认：当前地区的全部场景）")
    p.add_argument("--all-regions", action="store_true", help="依次在每个地区下运行该地区的全部场景")
    p.set_defaults(func=cmd_scenarios)


def _region_settings(args, settings):
    """Settings of the command's --region, if given after the command."""
    code = getattr(args, "unit_region", None)
    return Settings.from_env(database_url=getattr(args, "database_url", None), region=code) if code else settings


def cmd_regions(args, settings):
    """List the region folders with their main rules."""
    current = Path(settings.region_dir).resolve()
    for code in region_codes():
        try:
            region = load_region(REGIONS_ROOT / code)
        except DefinitionError as err:
            print(f"  {code}  （配置有误）\n{err.message}")
            continue
        mark = "*" if (REGIONS_ROOT / code).resolve() == current else " "
        classes = "/".join(region.codes("reply_classes"))
        scale = "、".join(region.labels("satisfaction_scale").values())
        print(f"{mark} {code:10} {region.name}：单位 {len(region.units)} 个，答复类别 {classes}，满意度 {scale}，"
              f"签收期限 {_rule(region.deadlines.get('accept'))}")
        print(f"             演示：CPPCC_REGION={code} bin/demo")
    return 0


def _rule(rule) -> str:
    if not rule:
        return "—"
    units = {"working_days": "个工作日", "calendar_days": "天", "months": "个月"}
    return f"{rule['count']}{units[rule['unit']]}" if rule["unit"] in units else f"每年 {rule['count']}"


def cmd_export_units(args, settings):
    """Write the region's unit directory to an Excel workbook."""
    settings = _region_settings(args, settings)
    region = load_region(settings.region_dir)
    count = export_units(Path(args.file), region)
    print(f"已导出 {region.name} 的单位名录：{count} 个单位 → {args.file}")
    return 0


def cmd_import_units(args, settings):
    """Check an Excel unit directory row by row; write it (and sync the database) only if all is right."""
    settings = _region_settings(args, settings)
    database = Database(settings.database_url)
    try:
        result = import_units(Path(args.file), settings.region_dir, database, dry_run=args.dry_run)
    except UnitsImportError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1
    finally:
        database.engine.dispose()
    target = Path(settings.region_dir) / "units.yaml"
    if result["problems"]:
        print(f"工作表“{result['sheet']}”有 {len(result['problems'])} 处问题，未写入任何内容：", file=sys.stderr)
        for problem in result["problems"]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    diff = result["file"]
    summary = (f"单位 {len(result['units'])} 个（新增 {len(diff['added'])}，修改 {len(diff['changed'])}，"
               f"移除 {len(diff['removed'])}）")
    db = result["database"]
    if args.dry_run:
        print(f"试运行：工作表“{result['sheet']}”没有问题；将写入 {target}：{summary}（未写入）")
    else:
        print(f"已写入 {target}：{summary}")
    if result["moved_inline"]:
        print(f"region.yaml 中的 units: 一段{'将' if args.dry_run else '已'}移到 units.yaml（其余内容不变）")
    for label, key in (("新增", "added"), ("修改", "changed"), ("移除", "removed")):
        if diff[key]:
            print(f"  {label}：{', '.join(diff[key])}")
    if db is None:
        print("数据库尚未建立单位表：将在 cppcc init-db 或 bin/demo 时按新名录建立")
    else:
        verb = "将同步" if args.dry_run else "已同步"
        print(f"数据库单位表{verb}：新增 {len(db['added'])}，修改 {len(db['changed'])}")
        for unit_id, accounts in db["in_use"].items():
            print(f"  注意：{unit_id} 不在新名录中，但数据库中仍有 {accounts} 个账号属于它（保留，不再出现在可选单位中）")
    return 0


def cmd_scenarios(args, settings):
    """Run the region's scenarios (or --all-regions: each region's); exit 1 if any diverges."""
    runs = region_settings_list(settings) if args.all_regions else [settings]
    if args.files and args.all_regions:
        runs = [(s, [Path(f) for f in args.files]) for s in runs]
    else:
        runs = [(s, [Path(f) for f in args.files] if args.files else None) for s in runs]
    total = failed = 0
    for run_settings, files in runs:
        region = load_region(run_settings.region_dir)
        chosen = files if files is not None else scenarios_for(run_settings)
        if not chosen:
            print(f"地区 {region.code}（{region.name}）：没有场景文件", file=sys.stderr)
            continue
        print(f"== 地区 {region.code}（{region.name}）==")
        for outcome in run_all(run_settings, chosen):
            print(f"{'通过' if outcome.passed else '未通过'}  {outcome.file}  {outcome.name}")
            for problem in outcome.problems:
                print(f"      {problem}")
            total += 1
            failed += not outcome.passed
    if not total:
        print("没有找到场景文件（processes/scenarios/*.yaml、regions/<地区>/scenarios/*.yaml）", file=sys.stderr)
        return 1
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0
