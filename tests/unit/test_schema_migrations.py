"""Schema migrations (engine/schema): the revisions make exactly the models' tables, a database
made before migrations is adopted without losing a row, an up-to-date one is left alone.

Runs on a temporary SQLite file, or on CPPCC_TEST_DATABASE_URL (PostgreSQL) when it is set.
`test_migrations_make_exactly_the_models_schema` is the one that fails when a column is added
to engine/model/tables.py without a revision (`cppcc db-revision -m ...` writes it).
"""
import argparse
import importlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from api.cli import schema as cli_schema
from engine.adapters import schema
from engine.adapters.db import Database
from engine.model.clock import CHINA
from engine.model.settings import Settings
from engine.model.tables import Base, Case, ProcessDefinition, Proposal, Unit, User

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
# What create_schema made before alembic: the tables of the baseline revision (later
# revisions add tables such a database never had).
BASELINE_TABLES = tuple(importlib.import_module("engine.adapters.schema.versions.0001_baseline").TABLES)


@pytest.fixture
def url(tmp_path):
    return os.environ.get("CPPCC_TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/schema.db"


@pytest.fixture
def database(url):
    """The test database, empty: no table of the models and no alembic_version."""
    db = Database(url)
    db.drop_schema()
    yield db
    db.drop_schema()
    db.engine.dispose()


def tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def revision_rows(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


def made_before_migrations(db: Database, without=()) -> set[str]:
    """Make the tables as create_schema did before alembic: the baseline revision's schema
    (what the models were then), without alembic_version and the tables `without`; returns
    the tables made."""
    schema.upgrade(db.engine, target=schema.BASELINE)
    with db.engine.begin() as conn:
        schema.drop_version_table(conn)
        for name in without:
            conn.exec_driver_sql(f"DROP TABLE {name}")
    return tables(db)


def add_proposal(session: Session, title="关于加强停车管理的建议") -> int:
    """A proposal row with the baseline's columns only (a database made before migrations has
    no others); returns its id."""
    return session.execute(insert(Proposal.__table__).values(
        title=title, body="停车难问题日益突出。", suggestions="", proposer="wy_chen", status="submitted",
        source="ordinary", is_key=False, submitted_at=NOW, updated_at=NOW).returning(Proposal.__table__.c.id)).scalar_one()


def add_baseline_proposal(session: Session, title="关于加强停车管理的建议") -> None:
    """A proposal row with the baseline's columns only (a database made before migrations
    lacks the columns later revisions add)."""
    table = Proposal.__table__
    session.execute(table.insert().values(
        title=title, body="停车难问题日益突出。", suggestions="", proposer="wy_chen", status="submitted",
        source="ordinary", is_key=False, submitted_at=NOW, updated_at=NOW))
    session.flush()


def test_migrations_make_exactly_the_models_schema(database):
    result = database.create_schema()

    assert result.before == () and result.after == schema.head_revisions()
    assert set(Base.metadata.tables) | {schema.VERSION_TABLE} <= tables(database)
    with database.engine.connect() as conn:
        found = schema.differences(conn)
    assert found == [], ("engine/model/tables.py 与迁移不一致，请运行 cppcc db-revision -m \"...\" 生成修订：\n"
                         + "\n".join(schema.describe(d) for d in found))


def test_every_index_of_the_models_is_made(database):
    database.create_schema()
    db = inspect(database.engine)
    made = {(t, i["name"]) for t in Base.metadata.tables for i in db.get_indexes(t)}
    wanted = {(t.name, i.name) for t in Base.metadata.tables.values() for i in t.indexes}
    assert len(wanted) == 50
    assert wanted <= made


def test_the_revisions_are_one_numbered_line_from_the_baseline():
    script = schema.script_directory()
    revisions = list(script.walk_revisions())  # newest first
    assert schema.head_revisions() == (revisions[0].revision,)
    assert revisions[-1].revision == schema.BASELINE and revisions[-1].down_revision is None
    # ids are numbered 0001, 0002, ... (a number may carry a name after it, e.g. 0002_auth)
    assert [r.revision[:4] for r in reversed(revisions)] == [f"{n:04d}" for n in range(1, len(revisions) + 1)]
    assert schema.next_revision_id() == f"{len(revisions) + 1:04d}"


def test_the_alembic_command_upgrades_and_downgrades_through_env_py(database, url):
    command.upgrade(schema.alembic_config(url=url), "heads")

    assert revision_rows(database) == list(schema.head_revisions())
    with database.engine.connect() as conn:
        assert schema.differences(conn) == []

    command.downgrade(schema.alembic_config(url=url), "base")

    assert not tables(database) & set(Base.metadata.tables)
    assert revision_rows(database) == []


def test_a_database_made_before_migrations_is_adopted_without_losing_rows(database):
    made_before_migrations(database)  # what create_schema did before alembic
    with Session(database.engine) as session:
        session.add(Unit(id="jtw", name="区交通委员会"))
        add_baseline_proposal(session)
        session.commit()
    assert schema.VERSION_TABLE not in tables(database)

    result = database.create_schema()

    assert result.before == () and result.after == schema.head_revisions()
    assert set(result.adopted) == set(BASELINE_TABLES)
    assert revision_rows(database) == list(schema.head_revisions())
    with Session(database.engine) as session:
        assert session.get(Unit, "jtw").name == "区交通委员会"
        assert session.scalars(select(Proposal.title)).all() == ["关于加强停车管理的建议"]
        # revision 0008_sessions: the year of submission (China time), no session (平时提案)
        assert session.execute(select(Proposal.year, Proposal.session)).all() == [(NOW.astimezone(CHINA).year, None)]
    with database.engine.connect() as conn:
        assert schema.differences(conn) == []


def test_a_database_made_before_the_deployments_table_gets_it(database):
    made_before_migrations(database, without=["deployments"])
    with Session(database.engine) as session:
        session.add(Unit(id="jtw", name="区交通委员会"))
        session.commit()

    result = database.create_schema()

    assert "deployments" not in result.adopted and "units" in result.adopted
    assert "deployments" in tables(database)
    with Session(database.engine) as session:
        assert session.get(Unit, "jtw").name == "区交通委员会"
    with database.engine.connect() as conn:
        assert schema.differences(conn) == []


def test_a_database_made_before_migrations_that_lacks_a_column_is_refused_and_left_as_it_was(database):
    made_before_migrations(database, without=["users"])
    Table("users", MetaData(), Column("id", Integer, primary_key=True), Column("username", String(80)),
          Column("name", String(80)), Column("password_hash", String(255)), Column("unit_id", String(40)),
          Column("roles", String(200)), Column("active", Integer)).create(database.engine)
    before = tables(database)

    with pytest.raises(schema.SchemaError) as refused:
        database.create_schema()

    assert "users" in refused.value.message and "email, phone" in refused.value.message
    assert "cppcc init-db --reset" in refused.value.message
    assert tables(database) == before  # no alembic_version, nothing created


def test_an_up_to_date_database_is_left_alone(database):
    database.create_schema()
    with Session(database.engine) as session:
        session.add(Unit(id="jtw", name="区交通委员会"))
        session.commit()
    statements = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    result = database.create_schema()

    assert not result.changed and result.before == result.after == schema.head_revisions()
    assert statements and all(s.lstrip().upper().startswith(("SELECT", "PRAGMA")) for s in statements), statements
    assert revision_rows(database) == list(schema.head_revisions())
    with Session(database.engine) as session:
        assert session.get(Unit, "jtw") is not None


STARTING = """
import sys, time
from pathlib import Path
from engine.adapters.db import Database
db = Database(sys.argv[1])
folder = Path(sys.argv[2])
(folder / f"ready-{sys.argv[3]}").touch()
while not (folder / "go").exists():
    time.sleep(0.002)
print(db.create_schema().changed)
"""


def test_two_processes_starting_together_migrate_once(database, url, tmp_path):
    """The server and a worker start at once on an empty database: one creates the tables,
    the other waits for the lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: advisory lock) and
    then finds them there."""
    starting = [subprocess.Popen([sys.executable, "-c", STARTING, url, str(tmp_path), str(n)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(2)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outcomes = [p.communicate(timeout=60) for p in starting]

    assert [p.returncode for p in starting] == [0, 0], [err for _out, err in outcomes]
    assert sorted(out.strip() for out, _err in outcomes) == ["False", "True"]
    assert revision_rows(database) == list(schema.head_revisions())


def test_a_revision_this_program_does_not_know_is_refused(database):
    database.create_schema()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(schema.SchemaError) as refused:
        database.create_schema()

    assert "9999" in refused.value.message and "更新版本" in refused.value.message
    assert revision_rows(database) == ["9999"]


def test_drop_schema_leaves_no_table_and_no_revision(database):
    database.create_schema()

    database.drop_schema()

    assert not tables(database) & (set(Base.metadata.tables) | {schema.VERSION_TABLE})
    assert database.create_schema().before == ()


def test_a_later_revision_rebuilding_a_referenced_table_keeps_every_row(database, tmp_path):
    """A batch operation rebuilds `proposals` on SQLite (copy, drop, rename) while cases,
    open tasks and events refer to it: foreign keys are off during the upgrade, then checked."""
    database.create_schema()
    with Session(database.engine) as session:
        proposal_id = add_proposal(session)
        definition = ProcessDefinition(hash="a" * 64, files={"proposal.bpmn": "<xml/>"}, created_at=NOW)
        session.add(definition)
        session.flush()
        session.add(Case(proposal_id=proposal_id, process="proposal", definition_id=definition.id, state={},
                         state_format=1, version=1, completed=False, completed_tasks=0, updated_at=NOW))
        session.commit()
    head = schema.head_revisions()[0]
    script = next_revision(tmp_path, """
    with op.batch_alter_table("proposals") as batch:
        batch.alter_column("title", existing_type=sa.String(300), type_=sa.String(500), existing_nullable=False)
        batch.add_column(sa.Column("short_title", sa.String(40), nullable=True))""")

    result = schema.upgrade(database.engine, script=script)

    assert result.before == (head,) and result.after == (f"{int(head[:4]) + 1:04d}",)
    columns = {c["name"]: c for c in inspect(database.engine).get_columns("proposals")}
    assert "short_title" in columns and columns["title"]["type"].length == 500
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT title FROM proposals")).scalars().all() == ["关于加强停车管理的建议"]
        assert conn.execute(text("SELECT count(*) FROM cases JOIN proposals ON proposals.id = cases.proposal_id")
                            ).scalar() == 1
        if database.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on for the application


@pytest.mark.parametrize("step, error", [
    ("op.execute(\"INSERT INTO no_such_table VALUES (1)\")", "no_such_table"),
    ("op.execute(\"DELETE FROM proposals\")", "引用了不存在的记录"),  # a case would refer to nothing
], ids=["bad-sql", "orphaned-rows"])
def test_a_revision_that_fails_leaves_the_database_as_it_was(database, tmp_path, step, error):
    database.create_schema()
    with Session(database.engine) as session:
        proposal_id = add_proposal(session)
        definition = ProcessDefinition(hash="b" * 64, files={}, created_at=NOW)
        session.add(definition)
        session.flush()
        session.add(Case(proposal_id=proposal_id, process="proposal", definition_id=definition.id, state={},
                         state_format=1, version=1, completed=False, completed_tasks=0, updated_at=NOW))
        session.commit()
    head = schema.head_revisions()[0]
    script = next_revision(tmp_path, f"""
    op.add_column("units", sa.Column("code", sa.String(20), nullable=True))
    {step}""")

    with pytest.raises((DBAPIError, schema.SchemaError)) as failed:
        schema.upgrade(database.engine, script=script)

    if database.engine.dialect.name == "sqlite" or error == "no_such_table":
        assert error in str(failed.value)
    assert revision_rows(database) == [head]
    assert "code" not in {c["name"] for c in inspect(database.engine).get_columns("units")}
    with Session(database.engine) as session:
        assert session.scalars(select(Proposal.title)).all() == ["关于加强停车管理的建议"]


def next_revision(folder, upgrade_body: str) -> ScriptDirectory:
    """The project's revisions plus one more, after the head, in `folder` (a test's own)."""
    head = schema.head_revisions()[0]
    number = f"{int(head[:4]) + 1:04d}"
    (folder / f"{number}_test_step.py").write_text(f'''"""A step of a test."""
import sqlalchemy as sa
from alembic import op

revision = "{number}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:{upgrade_body}


def downgrade() -> None:
    pass
''', encoding="utf-8")
    return ScriptDirectory.from_config(schema.alembic_config(extra_versions=folder))


def changed_models() -> MetaData:
    """The models with one more table and one more column, as a developer might change them."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    metadata.tables["units"].append_column(Column("code", String(20), nullable=True))
    Table("reading_marks", metadata, Column("id", Integer, primary_key=True), Column("username", String(80)))
    return metadata


def test_db_revision_writes_the_next_revision_for_changed_models(tmp_path):
    metadata = changed_models()

    path, found = schema.write_revision("add unit code", metadata=metadata, extra_versions=tmp_path)

    assert path.parent == tmp_path and path.name == f"{schema.next_revision_id()}_add_unit_code.py"
    written = path.read_text(encoding="utf-8")
    assert f"down_revision = '{schema.head_revisions()[0]}'" in written
    assert "reading_marks" in written and "add_column(sa.Column('code'" in written
    assert sorted(schema.describe(d) for d in found) == ["新增列 units.code", "新增表 reading_marks"]
    # the new revision brings a database exactly to the changed models
    scratch = create_engine("sqlite://")
    schema.upgrade(scratch, script=ScriptDirectory.from_config(schema.alembic_config(extra_versions=tmp_path)))
    with scratch.connect() as conn:
        assert schema.differences(conn, metadata) == []
    scratch.dispose()


def test_db_revision_with_unchanged_models_writes_nothing(tmp_path):
    assert schema.write_revision("nothing changed", extra_versions=tmp_path) == (None, [])
    assert list(tmp_path.iterdir()) == []


def cli(url, *argv) -> int:
    parser = argparse.ArgumentParser()
    cli_schema.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args, Settings(database_url=url))


def test_cppcc_db_upgrade_creates_then_finds_nothing_to_do(database, url, capsys):
    assert cli(url, "db-upgrade", "--check") == 1
    assert "需要升级" in capsys.readouterr().out

    assert cli(url, "db-upgrade") == 0
    assert f"已创建数据库表，结构修订为 {schema.head_revisions()[0]}" in capsys.readouterr().out

    assert cli(url, "db-upgrade") == 0
    assert "已是最新修订" in capsys.readouterr().out
    assert cli(url, "db-upgrade", "--check") == 0


def test_cppcc_db_upgrade_adopts_a_database_made_before_migrations(database, url, capsys):
    made_before_migrations(database)
    with Session(database.engine) as session:
        session.add(User(username="wy_chen", name="陈委员", password_hash="x", roles="member", active=True))
        session.commit()

    assert cli(url, "db-upgrade") == 0

    assert f"已接管其中的 {len(BASELINE_TABLES)} 张表" in capsys.readouterr().out
    with Session(database.engine) as session:
        assert session.scalars(select(User.name)).all() == ["陈委员"]


def test_cppcc_db_upgrade_sql_prints_the_ddl_without_touching_the_database(database, url, capsys):
    assert cli(url, "db-upgrade", "--sql") == 0

    out = capsys.readouterr().out
    assert "CREATE TABLE proposals" in out and "CREATE INDEX ix_open_tasks_role_unit" in out
    assert not tables(database) & set(Base.metadata.tables)
    with pytest.raises(ValueError, match="--from"):
        cli(url, "db-upgrade", "--from", "0001")


def test_cppcc_db_revision_says_when_there_is_nothing_to_write(capsys):
    scratch = create_engine("sqlite://")
    schema.upgrade(scratch)
    with scratch.connect() as conn:
        assert schema.differences(conn) == []  # otherwise the command would write into engine/adapters/schema/versions
    scratch.dispose()

    assert cli("sqlite://", "db-revision", "-m", "nothing") == 0

    assert "没有需要生成的修订" in capsys.readouterr().out
