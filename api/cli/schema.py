"""`cppcc db-upgrade` and `cppcc db-revision`: the database schema (alembic revisions in
engine/adapters/schema/versions/) from the command line.

    cppcc db-upgrade                 bring the database to the newest schema revision (every
                                     command and the server also do this when they start)
    cppcc db-upgrade --check         only say whether it is up to date (exit 1 if not)
    cppcc db-upgrade --sql [--from REV]
                                     print the SQL instead of running it (for a DBA to review;
                                     from an empty database, or from revision REV)
    cppcc db-revision -m MESSAGE     after changing engine/model/tables.py: write the next revision,
                                     engine/adapters/schema/versions/<number>_<message>.py, with what
                                     autogenerate finds (read it before committing)
    cppcc db-revision -m MESSAGE --empty   a blank revision, for a step autogenerate cannot
                                     see (filling a new column, renaming)
"""
from alembic import command
from sqlalchemy.engine import make_url

from engine.adapters import schema
from engine.adapters.db import Database
from engine.model.settings import PROJECT_ROOT


def register(sub) -> None:
    """Add the db-upgrade and db-revision commands to the `cppcc` parser."""
    p = sub.add_parser("db-upgrade", help="把数据库结构升级到最新修订")
    p.add_argument("--check", action="store_true", help="只检查是否为最新修订（不是则退出码为 1）")
    p.add_argument("--sql", action="store_true", help="只打印升级用的 SQL，不连接数据库")
    p.add_argument("--from", dest="from_revision", help="与 --sql 合用：从这个修订开始（默认：空数据库）")
    p.set_defaults(func=cmd_db_upgrade)
    p = sub.add_parser("db-revision", help="修改 engine/model/tables.py 后，生成下一个数据库结构修订")
    p.add_argument("-m", "--message", required=True, help="修订说明（英文，用作文件名），如 \"add unit code\"")
    p.add_argument("--empty", action="store_true", help="生成空白修订（不比较模型），用于数据迁移等手写步骤")
    p.set_defaults(func=cmd_db_revision)


def cmd_db_upgrade(args, settings):
    """Upgrade the database's schema (or check it, or print the SQL)."""
    if args.from_revision and not args.sql:
        raise ValueError("--from 只能与 --sql 一起使用")
    if args.sql:
        start = f"{args.from_revision}:" if args.from_revision else ""
        command.upgrade(schema.alembic_config(url=settings.database_url), f"{start}heads", sql=True)
        return 0
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    database = Database(settings.database_url)
    try:
        if args.check:
            current, heads = schema.status(database.engine)
            if current == heads:
                print(f"数据库结构是最新修订 {_names(heads)}：{where}")
                return 0
            print(f"数据库结构修订为 {_names(current) or '无'}，最新修订为 {_names(heads)}：需要升级"
                  f"（运行 cppcc db-upgrade）：{where}")
            return 1
        result = database.create_schema()
    finally:
        database.engine.dispose()
    print(_describe(result, where))
    return 0


def cmd_db_revision(args, settings):
    """Write the next revision file from the differences between the models and the migrations."""
    path, found = schema.write_revision(args.message, autogenerate=not args.empty)
    if path is None:
        print("engine/model/tables.py 与现有修订一致，没有需要生成的修订（如需手写步骤，请加 --empty）")
        return 0
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    print(f"已生成修订 {shown}")
    for difference in found:
        print(f"  {schema.describe(difference)}")
    print("请先阅读并修改这个文件（改名会被写成删除加新增；给有数据的表新增非空列需要默认值或数据步骤），"
          "再运行 cppcc db-upgrade 和 tests/unit/test_schema_migrations.py")
    return 0


def _names(revisions) -> str:
    return ", ".join(revisions)


def _describe(result: schema.UpgradeResult, where: str) -> str:
    if not result.changed:
        return f"数据库结构已是最新修订 {_names(result.after)}，未作改动：{where}"
    if result.adopted:
        return (f"数据库是在启用结构迁移之前创建的：已接管其中的 {len(result.adopted)} 张表（数据不变），"
                f"并升级到修订 {_names(result.after)}：{where}")
    if not result.before:
        return f"已创建数据库表，结构修订为 {_names(result.after)}：{where}"
    return f"数据库结构已从修订 {_names(result.before)} 升级到 {_names(result.after)}：{where}"
