"""Database connection and the unit of work that owns each transaction."""
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from . import schema
from .models import Base


class Database:
    """An SQLAlchemy engine and session factory for one database URL."""

    def __init__(self, url: str):
        self.url = url
        kwargs = {}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> schema.UpgradeResult:
        """Bring the tables to the newest schema revision (engine/schema/versions): an empty
        database gets them all, one made before migrations is adopted without losing a row,
        an older one is upgraded, an up-to-date one is left alone (one read)."""
        return schema.upgrade(self.engine)

    def drop_schema(self) -> None:
        """Drop every table and the schema revision (tests and `cppcc init-db --reset`)."""
        with self.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            schema.drop_version_table(conn)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class UnitOfWork:
    """One transaction: `with UnitOfWork(db) as uow: ...; uow.commit()`.

    Leaving the block without commit rolls everything back, so a failed step
    leaves no partial proposal, case or event behind.
    """

    def __init__(self, database: Database):
        self.database = database
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self.database.sessions()
        return self

    def __exit__(self, *exc):
        # close() rolls back whatever was not committed and detaches objects
        # without expiring them, so results stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        """Commit the transaction."""
        self.session.commit()
