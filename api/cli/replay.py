"""`cppcc replay`: compare a candidate diagram version or region profile with the
current definition on a generated or recorded year of cases (engine/replay/__init__.py).

    cppcc replay --generate 500 [--year 2026] [--seed 7] --processes DIR
    cppcc replay --recorded --region binhai
    cppcc replay --generate 200 --version 3f2a9c --json report.json

A candidate is any mix of --processes DIR (a folder of .bpmn/.dmn files),
--version HASH (a stored version), and --region CODE or --region-dir DIR (a
region profile, whose decisions/ tables replace those of the same name). The
baseline is the files on disk with the instance's region. Nothing is written
to the database. The cases are shared out among --workers processes (default:
one per core; engine/replay/parallel.py), with the same report as one process.
"""
import json
import os
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from engine import replay
from engine.adapters.db import Database, UnitOfWork
from engine.definitions.versions import find_version
from engine.model import clock
from engine.model.errors import DefinitionError, EngineError
from engine.model.settings import region_settings
from engine.workflow.runtime import Runtime


def register(subparsers) -> None:
    """Add the `replay` command to the `cppcc` command's subparsers."""
    about = "回放：用一年的案件比较候选流程版本或地区配置与当前版本的差异"
    p = subparsers.add_parser("replay", help=about, description=about)
    cases = p.add_mutually_exclusive_group(required=True)
    cases.add_argument("--generate", type=int, metavar="N", help="生成一年的 N 件提案（按公开的统计分布）")
    cases.add_argument("--recorded", action="store_true", help="使用数据库中已有的全部提案及其办理记录")
    p.add_argument("--year", type=int, help="生成案件的年份（默认今年）")
    p.add_argument("--seed", default="1", help="随机种子：同一种子生成同样的案件（默认 1）")
    p.add_argument("--processes", type=Path, metavar="DIR", help="候选：一个存放 .bpmn/.dmn 文件的文件夹")
    p.add_argument("--version", metavar="HASH", help="候选：数据库中已存储的版本（版本号或其前缀）")
    region = p.add_mutually_exclusive_group()
    region.add_argument("--region", dest="candidate_region", metavar="CODE",
                        help="候选：地区代码（regions/CODE）；本实例的地区写在 replay 之前：cppcc --region X replay …")
    region.add_argument("--region-dir", type=Path, metavar="DIR", help="候选：地区配置文件夹")
    p.add_argument("--json", type=Path, metavar="FILE", help="把完整结果（含每件案件）写入 JSON 文件")
    p.add_argument("--limit", type=int, default=20, help="表中最多列出的路径变化案件数（默认 20）")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="同时回放的进程数（默认为本机 CPU 核数；1 为只用本进程）")
    p.set_defaults(func=cmd_replay)


def cmd_replay(args, settings) -> int:
    """Run the replay and print the report; exit code 0, or 1 with a Chinese message on bad input."""
    try:
        return _run(args, settings)
    except DefinitionError as err:
        print(f"候选版本无法使用：{err.message}", file=sys.stderr)
    except EngineError as err:
        print(f"错误：{err.message}", file=sys.stderr)
    except SQLAlchemyError as err:
        print(f"无法读取数据库 {settings.database_url}：{str(err).splitlines()[0]}（请先运行 cppcc init-db）",
              file=sys.stderr)
    except (OSError, ValueError) as err:
        print(f"错误：{err}", file=sys.stderr)
    return 1


def _run(args, settings) -> int:
    if args.generate is not None and not 1 <= args.generate <= 100_000:
        raise ValueError("--generate 应为 1 到 100000 之间的件数")
    if not (args.processes or args.version or args.candidate_region or args.region_dir):
        raise ValueError("请指定候选：--processes 流程文件夹、--version 已存储的版本、--region/--region-dir 地区配置，可以组合")
    if args.workers < 1:
        raise ValueError("--workers 应为至少 1 的进程数")
    if args.processes and args.version:
        raise ValueError("--processes 与 --version 只能选择一个")
    rt = Runtime(settings)
    region_dir = region_settings(args.candidate_region)["region_dir"] if args.candidate_region else args.region_dir
    if region_dir is not None and not (Path(region_dir) / "region.yaml").is_file():
        raise ValueError(f"地区配置文件夹 {region_dir} 中没有 region.yaml")
    database = _database(settings) if (args.recorded or args.version) else None
    version_files, versions, version_label = None, {}, ""
    if args.version:
        with UnitOfWork(database) as uow:
            row = find_version(uow.session, args.version)
            version_files, version_label = dict(row.files), row.hash
    candidate = replay.candidate_side(settings, processes_dir=args.processes, region_dir=region_dir,
                                      version_files=version_files, version_label=version_label)
    baseline = replay.baseline_side(rt)
    if args.recorded:
        with UnitOfWork(database) as uow:
            cases, versions = replay.recorded_cases(uow.session)
        about = {"source": "recorded", "cases_label": f"数据库中的提案 {len(cases)} 件（按办理记录回放）"}
    else:
        year = args.year or clock.now().astimezone(clock.CHINA).year
        cases = replay.generate_year(rt.region, args.generate, year, args.seed)
        about = {"source": "generated", "year": year, "seed": args.seed,
                 "cases_label": f"生成 {len(cases)} 件（{year} 年，随机种子 {args.seed}）"}
    if not cases:
        print("没有可回放的案件")
        return 0
    if database is not None:  # read: the worker processes forked for the replay inherit no connection
        database.engine.dispose()
    report = replay.replay(cases, baseline, candidate, versions, about, progress=None if args.quiet else _progress,
                           workers=args.workers)
    if not args.quiet:
        print(file=sys.stderr)
    print(replay.format_report(report, args.limit))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\n完整结果已写入 {args.json}")
    return 0


def _database(settings) -> Database:
    """The instance's database, read only: a missing SQLite file is an error, not created."""
    url = settings.database_url
    if url.startswith("sqlite") and ":memory:" not in url:
        path = Path(url.split("///", 1)[-1])
        if not path.is_file():
            raise ValueError(f"数据库文件不存在：{path}（请先运行 cppcc init-db 或 cppcc load-demo）")
    return Database(url)


def _progress(done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        print(f"\r回放中：{done}/{total}", end="", file=sys.stderr, flush=True)
