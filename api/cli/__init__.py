"""The `cppcc` command (an entry point, like the HTTP API): create the database, load demo data, check diagrams, serve.

    cppcc init-db [--reset]     create the tables (and the unit directory)
    cppcc load-demo             demo accounts and proposals (empty database only)
    cppcc check                 parse and check every diagram, DMN table and form
    cppcc serve [--demo] [--processes N]  start the HTTP service (waitress; with N > 1,
                                N gunicorn worker processes on one port: api/cli/processes.py);
                                --demo creates the database and loads the demo data if empty;
                                on SQLite one process runs the timer worker inside the server
    cppcc worker [--once] [--demo]  fire due timers and deliver notifications (PostgreSQL:
                                run one or more of these beside the server; SQLite: one)
    cppcc scenarios [FILE ...]  run the designers' scenarios (processes/scenarios/*.yaml)
    cppcc run-timers --at TIME  demo: move the demo's clock forward to TIME (ISO, e.g.
                                2027-03-01T10:00+08:00; stored, so `serve --demo` follows),
                                fire what is due then and say what happened
    cppcc repair-cases [--dry-run]  resume cases stalled at a multi-instance step (engine/services/repair.py)
    cppcc add-user USERNAME NAME --role R [--unit U] (password read from stdin)
    cppcc versions | deploy | migrate   definition versions (see api/cli/versions.py)
    cppcc regions | import-units | export-units   region profiles (api/cli/regions.py)
    cppcc import-proposals FILE.xlsx [--dry-run]  proposals from Excel (api/cli/plenary.py)
    cppcc db-upgrade [--check|--sql] | db-revision -m MSG   schema migrations (alembic; api/cli/schema.py)
    cppcc replay ...            a year of cases against a candidate version or region (api/cli/replay.py)
    cppcc report --year Y OUT.docx | statistics   the annual report and the year's figures (api/cli/statistics.py)
    cppcc sweep-uploads [--dry-run]   remove uploaded files no attachment refers to (api/cli/uploads.py)

The region is CPPCC_REGION (or --region; default: regions/default).

The database is CPPCC_DATABASE_URL (default: SQLite in instance/).

May import: every `engine` package and `api` (to serve). Like the other entry points it
neither commits nor queries: each command calls an `engine.services` command or an
`engine.queries` read.
"""
import errno
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout
from waitress import serve

from api import create_app
from api.cli import (
    plenary as cli_plenary,
    regions as cli_regions,
    replay as cli_replay,
    schema as cli_schema,
    statistics as cli_statistics,
    uploads as cli_uploads,
    versions as cli_versions,
)
from api.cli.parser import COMMAND, CommandParser
from api.cli.processes import serve_processes
from engine.adapters.db import Database, Limits, UnitOfWork, unavailable
from engine.adapters.worker_lock import WorkerBusy
from engine.model import clock
from engine.model.errors import DefinitionError, EngineError
from engine.model.settings import Settings
from engine.queries import people, timeline
from engine.services import directory, repair
from engine.services.timers import Worker, run_once
from engine.tooling.demo import DEMO_PASSWORD, load_demo
from engine.tooling.demo_clock import DemoClock
from engine.tooling.scenarios import run_file, scenario_files
from engine.workflow.runtime import Runtime


def _database(settings):
    database = Database(settings.database_url, limits=Limits.of(settings))
    database.create_schema()
    return database


def cmd_init_db(args, settings):
    """Create (or with --reset recreate) the schema and sync the unit directory."""
    database = Database(settings.database_url, limits=Limits.of(settings))
    if args.reset:
        database.drop_schema()
    database.create_schema()
    runtime = Runtime(settings)
    with UnitOfWork(database) as uow:
        count = directory.load_unit_directory(uow, runtime.region)
    print(f"数据库已就绪：{settings.database_url}（单位 {count} 个）")


def cmd_load_demo(args, settings):
    """Load the demo data into an empty database."""
    database = _database(settings)
    with UnitOfWork(database) as uow:
        if people.has_users(uow.session):
            print("数据库中已有用户，未加载演示数据（可先运行 cppcc init-db --reset）")
            return 0
    ids = load_demo(database, Runtime(settings))
    print(f"已加载演示数据：提案 {len(ids)} 件；所有演示账号的密码均为 {DEMO_PASSWORD}")
    return 0


def cmd_check(args, settings):
    """Parse and check all definitions; print every problem."""
    runtime = Runtime(settings)
    print(f"流程定义检查通过：版本 {runtime.current.hash}，用户任务 {len(runtime.current.user_tasks)} 个，"
          f"表单 {len(runtime.forms.schemas)} 个，地区 {runtime.region.name}")
    return 0


def cmd_serve(args, settings):
    """Serve the app with waitress; with --demo, set up the database first.

    On SQLite (the embedded default) the timer worker runs in a thread of the
    server process; on PostgreSQL start `cppcc worker` separately.
    Without CPPCC_SECRET_KEY the demo keeps a random key in instance/; another server
    on PostgreSQL refuses to start; one on SQLite signs with a key of this process only.
    """
    if args.demo:
        cmd_load_demo(args, settings)
    app = create_app(settings, demo=args.demo)
    if not settings.secret_key and not args.demo:
        print("提示：未设置 CPPCC_SECRET_KEY，本次启动使用临时随机密钥，服务重启后所有人需重新登录", flush=True)
    ext = app.extensions["cppcc"]
    if args.processes > 1:  # forked gunicorn workers; the timer worker is a `cppcc worker` of its own
        print(f"服务已启动：http://{args.host}:{args.port}/  （{args.processes} 个进程；定时任务请另行运行 cppcc worker）",
              flush=True)
        serve_processes(app, args.host, args.port, args.processes)
        return 0
    embedded = settings.database_url.startswith("sqlite") and not args.no_worker
    if embedded:
        try:
            Worker(ext["db"], ext["runtime"], interval=args.timer_interval, who="cppcc serve").start_thread()
        except WorkerBusy as err:
            print(f"提示：{err.message}", file=sys.stderr, flush=True)
            embedded = False
    print(f"服务已启动：http://{args.host}:{args.port}/  （API 文档：/api/openapi.json）"
          + ("；定时任务在本进程中运行" if embedded else ""), flush=True)
    try:
        serve(app, host=args.host, port=args.port, threads=8)
    except OSError as err:  # the port is taken, or the address is not this machine's
        why = "端口已被其他程序占用" if err.errno == errno.EADDRINUSE else "该地址不可用"
        print(f"错误：无法在 {args.host}:{args.port} 上启动服务：{why}；可用 --host、--port 指定其他地址或端口",
              file=sys.stderr)
        return 1
    return 0


def cmd_worker(args, settings):
    """Fire due timers and deliver notifications, every --interval seconds (or once)."""
    database = _database(settings)
    if args.demo:  # beside `cppcc serve --demo`: the demo's clock, as run-timers moved it
        clock.use(DemoClock(database))
    worker = Worker(database, Runtime(settings), interval=args.interval)
    worker.claim()  # SQLite: one worker per database; a second one stops here (WorkerBusy)
    if args.once:
        print(_describe_round(worker.run_once()))
        return 0
    print(f"定时任务已启动：每 {args.interval:g} 秒检查一次到期的提醒、超期和消息", flush=True)
    worker.run()
    return 0


def cmd_run_timers(args, settings):
    """Demo: move the demo's clock forward to --at (stored: the demo server follows it),
    fire what is due then, and report it."""
    at = datetime.fromisoformat(args.at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=clock.CHINA)
    database = _database(settings)
    demo = DemoClock(database)
    demo.move_to(at)
    clock.use(demo)
    with UnitOfWork(database) as uow:
        last = timeline.last_event_id(uow.session)
    result = run_once(database, Runtime(settings))
    print(f"演示时间拨到 {at.astimezone(clock.CHINA).strftime('%Y-%m-%d %H:%M')}：{_describe_round(result)}")
    with UnitOfWork(database) as uow:
        for number, title, what in timeline.timer_events_since(uow.session, last):
            print(f"  {f'〔{number}〕' if number else ''}{title}：{what}")
    return 0


def cmd_scenarios(args, settings):
    """Run the designers' scenario files; exit 1 if any diverges."""
    files = [Path(f) for f in args.files] or scenario_files(settings.processes_dir / "scenarios")
    if not files:
        print("没有找到场景文件（processes/scenarios/*.yaml）", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        outcome = run_file(path, settings)
        print(f"{'通过' if outcome.passed else '未通过'}  {outcome.file}  {outcome.name}")
        for problem in outcome.problems:
            print(f"      {problem}")
        failed += not outcome.passed
    print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _describe_round(result: dict) -> str:
    delivery = result.get("delivery") or {}
    return (f"到期案件 {result['cases']} 件，已处理 {result['fired']} 件，出错 {result['failed']} 件；"
            f"消息发出 {delivery.get('sent', 0)} 条，失败 {delivery.get('failed', 0)} 条，待重试 {delivery.get('retried', 0)} 条")


def cmd_repair_cases(args, settings):
    """Find cases whose multi-instance step finished without going on, and resume them."""
    found = repair.repair(_database(settings), Runtime(settings), dry_run=args.dry_run)
    if not found:
        print("没有发现停滞的多实例步骤，也没有未处理的异常案件")
        return 0
    for item in found:
        name = item.number or f"“{item.title}”"
        steps = "；".join(f"“{s['step']}”{s['finished']}/{s['instances']} 个实例已完成，{s['unmerged']} 个未汇总"
                         for s in item.steps)
        print(f"提案 {name}（案件 {item.case_id}）：{steps or '无多实例步骤问题'}")
        print(f"    {item.result}")
    repaired = sum(item.repairable for item in found)
    print(("预演：" if args.dry_run else "") + f"可修复 {repaired} 件，需人工处理 {len(found) - repaired} 件")
    return 0


def cmd_add_user(args, settings):
    """Add one account; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("密码至少 8 位", file=sys.stderr)
        return 2
    database = _database(settings)
    with UnitOfWork(database) as uow:
        directory.create_user(uow, args.username, args.name, password, args.role, args.unit)
    print(f"已添加用户 {args.username}")
    return 0


def main(argv=None) -> int:
    """Entry point of the `cppcc` console command."""
    parser = CommandParser(prog="cppcc", description="政协提案办理系统")
    parser.add_argument("--database-url", help="数据库地址（默认读取 CPPCC_DATABASE_URL）")
    parser.add_argument("--region", help="地区（regions/ 下的文件夹名；默认读取 CPPCC_REGION）")
    sub = parser.add_subparsers(dest="command", required=True, metavar=COMMAND, help="要运行的命令（cppcc 命令 -h：该命令的用法）")
    p = sub.add_parser("init-db", help="创建数据库表")
    p.add_argument("--reset", action="store_true", help="先删除所有表（数据将丢失）")
    p.set_defaults(func=cmd_init_db)
    sub.add_parser("load-demo", help="加载演示数据").set_defaults(func=cmd_load_demo)
    sub.add_parser("check", help="检查流程定义、决策表和表单").set_defaults(func=cmd_check)
    p = sub.add_parser("serve", help="启动服务")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    p.add_argument("--port", type=int, default=5000, help="端口（默认 5000）")
    p.add_argument("--demo", action="store_true", help="数据库为空时加载演示数据")
    p.add_argument("--no-worker", action="store_true", help="不在本进程中运行定时任务")
    p.add_argument("--processes", type=int, default=1,
                   help="服务进程数（大于 1 时由 gunicorn 启动多个进程共用一个端口，定时任务需另行运行 cppcc worker）")
    p.add_argument("--timer-interval", type=float, default=30.0, help="定时任务检查间隔（秒）")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("worker", help="运行定时任务：提醒、超期督办、消息发送")
    p.add_argument("--interval", type=float, default=30.0, help="检查间隔（秒）")
    p.add_argument("--once", action="store_true", help="只运行一轮")
    p.add_argument("--demo", action="store_true", help="演示：按演示时间（cppcc run-timers --at 拨动的时间）运行")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("scenarios", help="运行流程设计人员编写的场景（processes/scenarios/*.yaml）")
    p.add_argument("files", nargs="*", metavar="场景文件", help="场景文件（默认全部）")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("run-timers", help="演示：把时间拨到指定时刻，触发届时到期的提醒和超期")
    p.add_argument("--at", required=True, help="ISO 时间，如 2027-03-01T10:00+08:00")
    p.set_defaults(func=cmd_run_timers)
    p = sub.add_parser("repair-cases", help="修复停滞在多实例步骤（联名确认、协办意见、会签、评价等）的案件")
    p.add_argument("--dry-run", action="store_true", help="只列出，不作改动")
    p.set_defaults(func=cmd_repair_cases)
    p = sub.add_parser("add-user", help="添加用户（密码从标准输入读取）")
    p.add_argument("username", metavar="登录名", help="登录名")
    p.add_argument("name", metavar="姓名", help="姓名")
    p.add_argument("--role", action="append", required=True, help="角色代码，可多次给出（如 --role proposer）")
    p.add_argument("--unit", help="所属单位代码（承办单位人员必填）")
    p.set_defaults(func=cmd_add_user)
    cli_versions.register(sub)
    cli_replay.register(sub)
    cli_regions.register(sub)
    cli_schema.register(sub)
    cli_plenary.register(sub)
    cli_statistics.register(sub)
    cli_uploads.register(sub)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(database_url=args.database_url, region=args.region)
        return args.func(args, settings) or 0
    except DefinitionError as err:
        print(err.message, file=sys.stderr)
        return 1
    except EngineError as err:
        print(f"错误：{err.message}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1
    except (DBAPIError, PoolTimeout) as err:
        if not unavailable(err):
            raise
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        print(f"错误：数据库暂时无法访问（{where}），请确认数据库已启动、地址和端口正确后重试", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
