"""Schema migrations (alembic): the revisions in engine/adapters/schema/versions/ make the tables of engine/model/tables.py.

`Database.create_schema()` calls `upgrade()`: an empty database gets every revision, a
database made before migrations existed (tables, no `alembic_version`) is adopted at the
first revision, an older one is upgraded, an up-to-date one is left alone (one read).
After changing engine/model/tables.py, `cppcc db-revision -m "..."` writes the next revision.

Alembic is configured here, in code; env.py (for the `alembic` command and for
`cppcc db-revision`) only calls `run_environment`.

May import: `engine.model` (the tables) and alembic; never `engine.adapters.db`, which
imports this package (`Database.create_schema`).
"""
import functools
import os
import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import MetaData, Table, create_engine, inspect
from sqlalchemy.engine import Connection, Engine

from engine.model.errors import EngineError
from engine.model.tables import Base

SCHEMA_DIR = Path(__file__).resolve().parent
VERSIONS_DIR = SCHEMA_DIR / "versions"
VERSION_TABLE = "alembic_version"
BASELINE = "0001"  # the first revision: the whole schema as it was when migrations began
_PG_LOCK = zlib.crc32(b"cppcc-schema-migrations")  # advisory lock: one process migrates at a time
_IN_PROCESS = threading.RLock()  # alembic's `op` and `context` are module globals: one thread migrates at a time


class SchemaError(EngineError):
    """The database's schema cannot be brought to the newest revision (names what and why)."""

    status = 500


@dataclass(frozen=True)
class UpgradeResult:
    """What `upgrade` did: the revisions before and after, and the tables it adopted."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    adopted: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True if any revision was applied (or the database was adopted)."""
        return self.before != self.after


def alembic_config(url: str | None = None, connection: Connection | None = None,
                   extra_versions: Path | None = None, **attributes: Any) -> Config:
    """An alembic Config for this project, without an .ini file.

    `connection` (run on it, inside its transaction) or `url` (offline SQL, or the
    `alembic` command) says where; `extra_versions` adds a second folder of revisions
    (tests); other keyword arguments go to `config.attributes` (e.g. `adopt`, `metadata`).
    """
    config = Config()
    config.set_main_option("script_location", str(SCHEMA_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "40")
    if extra_versions is not None:
        config.set_main_option("version_locations", f"{VERSIONS_DIR}{os.pathsep}{extra_versions}")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes.update(attributes)
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """The project's revisions (read once per process)."""
    return ScriptDirectory.from_config(alembic_config())


def head_revisions(script: ScriptDirectory | None = None) -> tuple[str, ...]:
    """The newest revision(s) of the migrations (one, unless branches were not merged)."""
    return tuple(sorted((script or script_directory()).get_heads()))


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revision(s) recorded in the database's alembic_version table (empty: none)."""
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def upgrade(engine: Engine, target: str = "heads", script: ScriptDirectory | None = None) -> UpgradeResult:
    """Bring the database to `target` (default: the newest revision).

    Up to date: one read, nothing written. Otherwise, under a lock (PostgreSQL: an
    advisory lock; SQLite: BEGIN IMMEDIATE, foreign keys off while tables are rebuilt),
    in one transaction: a database without alembic_version but with tables is adopted
    (the first revision creates only the tables it lacks), then the revisions run.
    """
    script = script or script_directory()
    wanted = head_revisions(script) if target == "heads" else (target,)
    with engine.connect() as conn:
        before = current_revisions(conn)
    if before == wanted:
        return UpgradeResult(before, before)
    with _IN_PROCESS, migration_connection(engine) as conn:
        before = current_revisions(conn)
        if before == wanted:
            return UpgradeResult(before, before)
        _check_known(script, before)
        existing = () if before else _existing_tables(conn)
        if existing:  # made before migrations: keep its tables (only ours: a shared database may hold others)
            existing = tuple(t for t in existing if t in _baseline_columns(script))
            _check_adoptable(existing, conn, script)
        config = alembic_config(connection=conn, adopt=frozenset(existing))
        with EnvironmentContext(config, script, fn=lambda rev, _ctx: script._upgrade_revs(target, rev),
                                destination_rev=target) as context:
            run_environment(context)
        after = current_revisions(conn)
    return UpgradeResult(before, after, tuple(sorted(existing)))


def status(engine: Engine) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the database's revisions, the newest revisions)."""
    with engine.connect() as conn:
        return current_revisions(conn), head_revisions()


def drop_version_table(connection: Connection) -> None:
    """Drop alembic_version if it exists (with the tables: the database is empty again)."""
    Table(VERSION_TABLE, MetaData()).drop(connection, checkfirst=True)


def adopted_tables() -> frozenset:
    """In a revision being run: the tables a database made before migrations already had
    (the first revision skips them); empty otherwise."""
    from alembic import context
    return context.config.attributes.get("adopt", frozenset())


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction that only this process may migrate under; commits
    at the end, rolls back on error. SQLite: foreign keys are off while it runs (tables
    rebuilt by batch operations would break references) and checked before the commit."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only outside a transaction
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            # a migration may wait for another process's and take its time: no request timeouts
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        try:
            yield conn
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise SchemaError(f"数据库升级后有 {len(broken)} 行引用了不存在的记录（如表 {broken[0][0]} 第 {broken[0][1]} 行引用表 {broken[0][2]}），已撤销升级"
                                      )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def run_environment(context: Any) -> None:
    """What env.py does with `alembic.context` (the module that stands for the running
    EnvironmentContext): configure alembic for this project and run what the command asked
    (online on the given connection or the configured URL, or offline as SQL)."""
    config = context.config
    options = dict(target_metadata=config.attributes.get("metadata", Base.metadata),
                   render_as_batch=True, compare_type=True,
                   process_revision_directives=_skip_empty_autogenerate)
    if context.is_offline_mode():
        context.configure(url=_url(config), literal_binds=True, dialect_opts={"paramstyle": "named"}, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    # the `alembic` command on a URL: a plain engine (migration_connection lifts the timeouts and
    # sets SQLite's foreign keys itself), so that this module needs nothing of engine/adapters/db.py
    engine = create_engine(_url(config))
    try:
        with migration_connection(engine) as conn:
            context.configure(connection=conn, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def differences(connection: Connection, metadata: MetaData | None = None) -> list:
    """What autogenerate would change to make the database match the models (empty: they agree)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _modelled})
    return compare_metadata(context, metadata if metadata is not None else Base.metadata)


# indexes a revision makes on PostgreSQL only, outside the models (0009_scale: the bigram search index)
DIALECT_ONLY_INDEXES = frozenset({"ix_proposals_bigrams"})


def _modelled(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in DIALECT_ONLY_INDEXES)


def describe(difference: Any) -> str:
    """One autogenerate difference (from `differences`) in words, e.g. "新增列 units.code"."""
    if isinstance(difference, list):  # column changes come as a list of modify_* tuples
        return "；".join(describe(d) for d in difference)
    kind = difference[0]
    if kind in ("add_table", "remove_table"):
        return f"{'新增' if kind == 'add_table' else '删除'}表 {difference[1].name}"
    if kind in ("add_column", "remove_column"):
        return f"{'新增' if kind == 'add_column' else '删除'}列 {difference[2]}.{difference[3].name}"
    if kind in ("add_index", "remove_index"):
        index = difference[1]
        return f"{'新增' if kind == 'add_index' else '删除'}索引 {index.name}（表 {index.table.name}）"
    if kind.startswith("modify_"):
        what = {"modify_type": "类型", "modify_nullable": "是否可空", "modify_default": "默认值",
                "modify_comment": "注释"}.get(kind, kind)
        return f"修改列 {difference[2]}.{difference[3]} 的{what}：{difference[5]} → {difference[6]}"
    target = difference[1]
    table = getattr(getattr(target, "table", None), "name", "")
    return f"{kind} {getattr(target, 'name', None) or ''}（表 {table}）".replace(" （", "（")


def next_revision_id(script: ScriptDirectory | None = None) -> str:
    """The next number in the sequence 0001, 0002, ... of revision ids (an id may carry a
    suffix after its number, e.g. 0002_auth, as revisions written on a branch do)."""
    numbers = [int(found.group(1)) for rev in (script or script_directory()).walk_revisions()
               if (found := re.fullmatch(r"(\d+)(?:_\w+)?", rev.revision))]
    return f"{max(numbers, default=0) + 1:04d}"


def write_revision(message: str, autogenerate: bool = True, metadata: MetaData | None = None,
                   extra_versions: Path | None = None) -> tuple[Path | None, list]:
    """Write the next revision file: with `autogenerate`, the changes between the models
    (`metadata`, default engine.model.tables) and a scratch SQLite database at the newest revision.

    Returns (path of the new file or None if the models need no change, the differences).
    New files go to engine/adapters/schema/versions/ (or `extra_versions`, tests)."""
    script = ScriptDirectory.from_config(alembic_config(extra_versions=extra_versions))
    rev_id = next_revision_id(script)
    version_path = str(extra_versions) if extra_versions is not None else None
    if not autogenerate:
        written = command.revision(alembic_config(extra_versions=extra_versions), message, rev_id=rev_id,
                                   version_path=version_path)
        return _written_path(written), []
    scratch = create_engine("sqlite://")
    try:
        upgrade(scratch, script=script)
        with scratch.connect() as conn:
            found = differences(conn, metadata)
            if not found:
                return None, []
            config = alembic_config(connection=conn, metadata=metadata or Base.metadata, extra_versions=extra_versions)
            written = command.revision(config, message, autogenerate=True, rev_id=rev_id, version_path=version_path)
        return _written_path(written), found
    finally:
        scratch.dispose()


def _written_path(written: Any) -> Path:
    """The file of the one revision alembic's `revision` command wrote."""
    if not isinstance(written, Script):
        raise RuntimeError(f"alembic wrote no single revision: {written!r}")
    return Path(written.path)


def _skip_empty_autogenerate(context: MigrationContext, revision: Any, directives: list) -> None:
    """Autogenerate that finds no change writes no file (instead of an empty revision)."""
    # cmd_opts is None when called from Python (then only autogenerate runs env.py)
    options = context.config.cmd_opts if context.config is not None else None
    if options is not None and not getattr(options, "autogenerate", False):
        return
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def _url(config: Config) -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from engine.model.settings import Settings
        url = Settings.from_env().database_url
    return url


def _existing_tables(conn: Connection) -> tuple[str, ...]:
    return tuple(sorted(set(inspect(conn).get_table_names()) - {VERSION_TABLE}))


def _check_known(script: ScriptDirectory, revisions: tuple[str, ...]) -> None:
    """A revision the code does not know: the database was upgraded by a newer program."""
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in revisions if rev not in known]
    if unknown:
        raise SchemaError(f"数据库的结构修订 {', '.join(unknown)} 不在本程序的迁移（engine/adapters/schema/versions）中："
                          f"数据库可能已由更新版本的程序升级，请使用该版本的程序")


def _check_adoptable(existing: tuple[str, ...], conn: Connection, script: ScriptDirectory) -> None:
    """A database made before migrations must have every column the first revision
    makes in the tables it has; otherwise adopting it would hide the difference."""
    expected = _baseline_columns(script)
    db = inspect(conn)
    missing = []
    for table in existing:
        if table in expected:
            have = {c["name"] for c in db.get_columns(table)}
            lacking = [c for c in expected[table] if c not in have]
            if lacking:
                missing.append(f"表 {table} 缺少列 {', '.join(lacking)}")
    if missing:
        raise SchemaError("数据库是在启用结构迁移之前创建的，但与第一版结构不符（" + "；".join(missing)
                          + "），无法自动升级：请备份后用 cppcc init-db --reset 重建，或手工补齐这些列后重试")


@functools.cache
def _baseline_columns(script: ScriptDirectory) -> dict:
    """Each table of the first revision and its columns (built once, in a scratch database)."""
    scratch = create_engine("sqlite://")
    try:
        upgrade(scratch, target=BASELINE, script=script)
        db = inspect(scratch)
        return {t: [c["name"] for c in db.get_columns(t)] for t in db.get_table_names() if t != VERSION_TABLE}
    finally:
        scratch.dispose()
