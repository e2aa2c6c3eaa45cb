"""Database connection and the unit of work that owns each transaction.

Concurrent writes end in one answer: a write based on a stale read (the case
version check), a deadlock, a serialization failure, a lock that could not be
had in time (PostgreSQL), or a database locked by another writer (SQLite) —
wherever in the transaction it surfaces, at a flush inside a step or at the
commit — leaves the `with UnitOfWork(...)` block as `Conflict` (409,
CONFLICT_MESSAGE), never as the driver's error with its SQL.
"""
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from . import schema
from .errors import Conflict, EngineError
from .models import Base

CONFLICT_MESSAGE = "已被他人同时更新，请刷新后重试"
# PostgreSQL SQLSTATEs of a transaction that lost to a concurrent one: serialization_failure,
# deadlock_detected, lock_not_available (lock_timeout, NOWAIT)
_PG_LOST = {"40001", "40P01", "55P03"}
_SQLITE_LOST = ("database is locked", "database table is locked")


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

    def __exit__(self, exc_type, exc, tb):
        # close() rolls back whatever was not committed and detaches objects
        # without expiring them, so results stay readable after the block.
        self.session.close()
        if exc is not None and not isinstance(exc, EngineError) and lost_to_concurrent(exc):
            raise Conflict(CONFLICT_MESSAGE) from exc

    def commit(self) -> None:
        """Commit the transaction."""
        self.session.commit()


def lost_to_concurrent(err: BaseException) -> bool:
    """Whether `err`, or an error it was raised from, means that a concurrent transaction
    got there first (see the module's description)."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, StaleDataError):
            return True
        if isinstance(err, DBAPIError):
            orig = err.orig
            if getattr(orig, "sqlstate", None) in _PG_LOST:
                return True
            if any(text in str(orig).lower() for text in _SQLITE_LOST):
                return True
        err = err.__cause__ or err.__context__
    return False
