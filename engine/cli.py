"""The `cppcc` command: create the database, load demo data, check diagrams, serve.

    cppcc init-db [--reset]     create the tables (and the unit directory)
    cppcc load-demo             demo accounts and proposals (empty database only)
    cppcc check                 parse and check every diagram, DMN table and form
    cppcc serve [--demo]        start the HTTP service (waitress); --demo creates
                                the database and loads the demo data if empty
    cppcc add-user USERNAME NAME --role R [--unit U] (password read from stdin)

The database is CPPCC_DATABASE_URL (default: SQLite in instance/).
"""
import argparse
import sys

from sqlalchemy import func, select

from .config import Settings
from .db import Database, UnitOfWork
from .errors import DefinitionError


def _database(settings):
    database = Database(settings.database_url)
    database.create_schema()
    return database


def cmd_init_db(args, settings):
    """Create (or with --reset recreate) the schema and sync the unit directory."""
    from .directory import sync_units
    from .runtime import Runtime
    database = Database(settings.database_url)
    if args.reset:
        database.drop_schema()
    database.create_schema()
    runtime = Runtime(settings)
    with UnitOfWork(database) as uow:
        count = sync_units(uow.session, runtime.region)
        uow.commit()
    print(f"数据库已就绪：{settings.database_url}（单位 {count} 个）")


def cmd_load_demo(args, settings):
    """Load the demo data into an empty database."""
    from .demo import DEMO_PASSWORD, load_demo
    from .models import User
    from .runtime import Runtime
    database = _database(settings)
    with UnitOfWork(database) as uow:
        if uow.session.scalar(select(func.count()).select_from(User)):
            print("数据库中已有用户，未加载演示数据（可先运行 cppcc init-db --reset）")
            return 0
    ids = load_demo(database, Runtime(settings))
    print(f"已加载演示数据：提案 {len(ids)} 件；所有演示账号的密码均为 {DEMO_PASSWORD}")
    return 0


def cmd_check(args, settings):
    """Parse and check all definitions; print every problem."""
    from .runtime import Runtime
    runtime = Runtime(settings)
    print(f"流程定义检查通过：版本 {runtime.current.hash}，用户任务 {len(runtime.current.user_tasks)} 个，"
          f"表单 {len(runtime.forms.schemas)} 个，地区 {runtime.region.name}")
    return 0


def cmd_serve(args, settings):
    """Serve the app with waitress; with --demo, set up the database first."""
    from waitress import serve

    from api import create_app
    if args.demo:
        cmd_load_demo(args, settings)
    app = create_app(settings)
    print(f"服务已启动：http://{args.host}:{args.port}/  （API 文档：/api/openapi.json）", flush=True)
    serve(app, host=args.host, port=args.port, threads=8)
    return 0


def cmd_add_user(args, settings):
    """Add one account; the password is read from standard input."""
    from .directory import add_user
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("密码至少 8 位", file=sys.stderr)
        return 2
    database = _database(settings)
    with UnitOfWork(database) as uow:
        add_user(uow.session, args.username, args.name, password, args.role, args.unit)
        uow.commit()
    print(f"已添加用户 {args.username}")
    return 0


def main(argv=None) -> int:
    """Entry point of the `cppcc` console command."""
    parser = argparse.ArgumentParser(prog="cppcc", description="政协提案办理系统")
    parser.add_argument("--database-url", help="数据库地址（默认读取 CPPCC_DATABASE_URL）")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init-db", help="创建数据库表")
    p.add_argument("--reset", action="store_true", help="先删除所有表（数据将丢失）")
    p.set_defaults(func=cmd_init_db)
    sub.add_parser("load-demo", help="加载演示数据").set_defaults(func=cmd_load_demo)
    sub.add_parser("check", help="检查流程定义、决策表和表单").set_defaults(func=cmd_check)
    p = sub.add_parser("serve", help="启动服务")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--demo", action="store_true", help="数据库为空时加载演示数据")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("add-user", help="添加用户（密码从标准输入读取）")
    p.add_argument("username")
    p.add_argument("name")
    p.add_argument("--role", action="append", required=True)
    p.add_argument("--unit")
    p.set_defaults(func=cmd_add_user)
    args = parser.parse_args(argv)
    settings = Settings.from_env(database_url=args.database_url)
    try:
        return args.func(args, settings) or 0
    except DefinitionError as err:
        print(err.message, file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
