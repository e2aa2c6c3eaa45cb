"""`cppcc versions`, `cppcc deploy` and `cppcc migrate`: definition versions from the command line.

    cppcc versions                       the stored versions, which is current, cases on each
    cppcc deploy [FILE ...] [--note N]   validate and deploy: the given .bpmn/.dmn files over the
                                         current version, or (no files) processes/ with the
                                         region's decisions/ as they are on disk
    cppcc migrate --dry-run [--to HASH]  say, case by case, whether running cases can move
    cppcc migrate [--to HASH] [--case ID ...]   move every running case that can
    cppcc export-version [--version HASH] DIR    write a version's files to DIR (e.g. to put a
                                         version deployed from the browser back into processes/)
"""
import getpass
import json
import sys
from pathlib import Path

from engine.adapters.db import Database, UnitOfWork
from engine.definitions import versions
from engine.definitions.bundle import read_files
from engine.services import case_migration as migration, deployment
from engine.workflow.runtime import Runtime


def register(sub) -> None:
    """Add the versions, deploy and migrate commands to the `cppcc` parser."""
    sub.add_parser("versions", help="列出流程定义版本").set_defaults(func=cmd_versions)
    p = sub.add_parser("deploy", help="校验并部署流程定义的新版本")
    p.add_argument("files", nargs="*", metavar="文件", help="要替换或新增的 .bpmn/.dmn 文件（默认：磁盘上的全部流程文件）")
    p.add_argument("--note", default="", help="版本说明")
    p.add_argument("--check-only", action="store_true", help="只校验，不部署")
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("migrate", help="把运行中的案件迁移到新版本")
    p.add_argument("--to", help="目标版本（默认：当前版本）")
    p.add_argument("--dry-run", action="store_true", help="只检查，不迁移")
    p.add_argument("--case", type=int, action="append", help="只处理这些案件编号")
    p.add_argument("--json", help="把结果另存为 JSON 文件")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("export-version", help="把一个版本的文件写到文件夹（默认当前版本）")
    p.add_argument("directory", metavar="文件夹", help="目标文件夹（已有同名文件会被覆盖）")
    p.add_argument("--version", help="版本号或其前缀（默认当前版本）")
    p.set_defaults(func=cmd_export)


def _setup(settings):
    database = Database(settings.database_url)
    database.create_schema()
    rt = Runtime(settings)
    versions.ensure_current(database, rt)  # the files' version stored (its own transaction)
    return database, rt


def cmd_versions(args, settings):
    """Print the stored versions, newest first."""
    database, rt = _setup(settings)
    with UnitOfWork(database) as uow:
        rows = versions.list_versions(uow.session, rt)
    for row in rows:
        last = row["deployments"][-1] if row["deployments"] else None
        deployed = (f"{last['at'][:16]} 由 {last['by'] or '系统'} 经{rt.region.catalogue.label('deploy_sources', last['source'])}部署"
                    if last else "未部署")
        print(f"{'*' if row['current'] else ' '} {row['hash']}  {deployed}  运行中 {row['cases']['running']} 件，"
              f"已办结 {row['cases']['completed']} 件" + (f"  {last['note']}" if last and last['note'] else ""))
    print("（* 为当前版本：新提案按此版本办理）")
    return 0


def cmd_deploy(args, settings):
    """Validate and deploy a new version; print every problem and exit 1 if refused."""
    database, rt = _setup(settings)
    with UnitOfWork(database) as uow:
        if args.files:
            changed = {}
            for name in args.files:
                path = Path(name)
                if not path.is_file():
                    print(f"错误：找不到文件 {name}", file=sys.stderr)
                    return 1
                changed[path.name] = path.read_text(encoding="utf-8")
            files = versions.merged_files(uow.session, rt, changed)
        else:
            files = read_files(settings.processes_dir, settings.region_dir)
        current = versions.current_definition(uow.session, rt)
        changes = versions.changed_files(current.files, files)
        if args.check_only:
            bundle = versions.validate(rt, files)
            print(f"校验通过：版本 {bundle.hash}（{_describe_changes(changes)}）")
            return 0
        outcome = deployment.deploy_files(uow, rt, files, by=_operator(), source="cli", note=args.note)
        definition_hash, created = outcome.hash, outcome.created
    print(f"已部署版本 {definition_hash}（{_describe_changes(changes)}）" + ("" if created else "：与已存版本相同，重新设为当前"))
    print("运行中的案件仍按原版本办理；可运行 cppcc migrate --dry-run 检查能否迁移")
    return 0


def cmd_migrate(args, settings):
    """Dry run or move running cases; print one line per case."""
    database, rt = _setup(settings)
    if args.dry_run:
        target, checks = migration.plan(database, rt, args.to, args.case)
        print(f"迁移检查（目标版本 {target}）：")
        for check in checks:
            print(_line(check, "可以迁移" if check.movable else "不能迁移"))
        movable = sum(c.movable for c in checks)
        print(f"共 {len(checks)} 件：可以迁移 {movable} 件，不能迁移 {len(checks) - movable} 件（未作任何改动）")
        _save(args.json, {"to": target, "dry_run": True, "cases": [c.as_dict() for c in checks]})
        return 0
    result = migration.migrate(database, rt, args.to, by=_operator(), case_ids=args.case)
    print(f"迁移到版本 {result['to']}：")
    for label, key in (("已迁移", "moved"), ("未迁移", "skipped"), ("出错", "failed")):
        for check in result[key]:
            print(_line(check, label))
    print(f"已迁移 {len(result['moved'])} 件，不能迁移 {len(result['skipped'])} 件，出错 {len(result['failed'])} 件")
    _save(args.json, {"to": result["to"], "dry_run": False,
                      **{k: [c.as_dict() for c in result[k]] for k in ("moved", "skipped", "failed")}})
    return 1 if result["failed"] else 0


def _operator() -> str:
    """Who runs the command (the system account), recorded with the deployment or migration."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "命令行"


def cmd_export(args, settings):
    """Write a stored version's files into a folder."""
    database, rt = _setup(settings)
    with UnitOfWork(database) as uow:
        row = versions.find_version(uow.session, args.version) if args.version else \
            versions.current_definition(uow.session, rt)
        files, version = dict(row.files), row.hash
    folder = Path(args.directory)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    print(f"版本 {version} 的 {len(files)} 个文件已写入 {folder}")
    if settings.region_dir and (Path(settings.region_dir) / "decisions").is_dir():
        print(f"注意：地区的决策表在 {Path(settings.region_dir) / 'decisions'}，同名文件请放回那里")
    return 0


def _line(check, label) -> str:
    who = f"提案 {check.number or check.proposal_id}" + ("（延期申请）" if check.process != "proposal" else "")
    text = f"  案件 {check.case_id}  {who}  {check.from_version} → {check.to_version}  {label}"
    return text + "".join(f"\n      {reason}" for reason in check.reasons)


def _describe_changes(changes: dict) -> str:
    labels = {"added": "新增", "removed": "删除", "changed": "修改"}
    return "，".join(f"{labels[kind]} {name}" for name, kind in changes.items()) or "无改动"


def _save(path, data):
    if path:
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
