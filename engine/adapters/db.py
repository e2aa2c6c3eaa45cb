"""Database connection and the unit of work that owns each transaction.

Every connection is bounded in time (`Limits`), so a slow, hung or stopped database gives a
quick error instead of holding a request for as long as it hangs:
- PostgreSQL: connect_timeout; statement_timeout and lock_timeout set for the session (the
  server cancels a slow statement or lock wait); pooled connections are pinged before use;
  a pool that stays full gives up after pool_timeout; and a watchdog ends any call the
  server does not answer at all (a hung server cannot cancel anything itself) a little
  after the statement timeout, by shutting its socket down.
- SQLite: the wait for another writer's lock is the lock timeout.
`unavailable(exc)` says whether an error means the database could not be used just now
(the API answers 503 and the request may be retried), not that the request was wrong.

Concurrent writes end in one answer: a write based on a stale read (the case
version check), a deadlock or a serialization failure — wherever in the
transaction it surfaces, at a flush inside a step or at the commit — leaves the
`with UnitOfWork(...)` block as `Conflict` (409, CONFLICT_MESSAGE), never as the
driver's error with its SQL. A lock that could not be had in time (PostgreSQL's
lock_timeout, SQLite's busy wait) is the database being busy, not a lost race:
`unavailable` (503 with Retry-After).
"""
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.adapters import json_text, schema
from engine.model.errors import Conflict, EngineError
from engine.model.settings import Settings
from engine.model.tables import Base

# PostgreSQL error classes that mean "not now": connection exceptions (08), insufficient
# resources (53, e.g. too many connections), operator intervention (57: shutdown, cannot
# connect now, and 57014 query_canceled by statement_timeout); 55P03 lock_not_available.
_UNAVAILABLE_CLASSES = ("08", "53", "57")
_UNAVAILABLE_STATES = ("55P03",)
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open database file")


@dataclass(frozen=True)
class Limits:
    """Seconds a database may take: to connect, per statement, waiting for a lock, for a
    free pooled connection."""

    connect_timeout: float = 5
    statement_timeout: float = 30
    lock_timeout: float = 15
    pool_timeout: float = 10
    grace: float = 2  # the watchdog ends a call no answer came for after statement_timeout + grace

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        """The limits of engine.model.settings.Settings (CPPCC_DB_*_TIMEOUT)."""
        return cls(settings.db_connect_timeout, settings.db_statement_timeout, settings.db_lock_timeout,
                   settings.db_pool_timeout)

CONFLICT_MESSAGE = "已被他人同时更新，请刷新后重试"
# PostgreSQL SQLSTATEs of a transaction that lost to a concurrent one: serialization_failure,
# deadlock_detected
_PG_LOST = {"40001", "40P01"}


class Database:
    """An SQLAlchemy engine and session factory for one database URL."""

    def __init__(self, url: str, limits: Limits | None = None) -> None:
        self.url = url
        self.limits = limits = limits or Limits()
        kwargs: dict[str, Any] = {}
        self.connect_args: dict[str, Any]
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.connect_args = {"check_same_thread": False, "timeout": limits.lock_timeout}
        else:
            self.connect_args = {"connect_timeout": max(1, round(limits.connect_timeout))}
            if url.startswith("postgresql"):
                self.connect_args["options"] = (f"-c statement_timeout={round(limits.statement_timeout * 1000)} "
                                                f"-c lock_timeout={round(limits.lock_timeout * 1000)}")
            kwargs.update(pool_pre_ping=True, pool_timeout=limits.pool_timeout)
        self.engine = create_engine(url, connect_args=self.connect_args, json_serializer=json_text.dumps,
                                    json_deserializer=json_text.loads, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            _watch(self.engine, limits.statement_timeout + limits.grace)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> schema.UpgradeResult:
        """Bring the tables to the newest schema revision (engine/adapters/schema/versions): an empty
        database gets them all, one made before migrations is adopted without losing a row,
        an older one is upgraded, an up-to-date one is left alone (one read)."""
        return schema.upgrade(self.engine)

    def drop_schema(self) -> None:
        """Drop every table and the schema revision (tests and `cppcc init-db --reset`)."""
        with self.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            schema.drop_version_table(conn)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be used just now (down, refusing, not
    answering in time, locked), rather than a fault of the request or of the code."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    if state:
        return state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES
    if type(exc.orig).__module__.startswith("psycopg"):
        return True  # no SQLSTATE: the connection itself failed (refused, timed out, closed)
    return any(text in str(exc.orig) for text in _SQLITE_UNAVAILABLE)


class Watchdog:
    """Ends database calls that get no answer in time: one thread (for every database of the
    process) shuts down the socket of such a call, so the driver raises at once and the
    connection is discarded."""

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, int]] = {}  # id(connection) -> (deadline, socket fd)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start_afresh(self) -> None:
        """Nothing watched and no thread yet (a forked child inherits neither the thread nor
        the parent's connections)."""
        self._armed, self._lock, self._wake, self._thread = {}, threading.Lock(), threading.Event(), None

    def arm(self, dbapi_connection: Any, limit: float) -> None:
        """Watch `dbapi_connection` for `limit` seconds from now."""
        try:
            fd = dbapi_connection.fileno()
        except Exception:  # already closed: nothing can hang on it
            return
        with self._lock:
            self._armed[id(dbapi_connection)] = (time.monotonic() + limit, fd)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cppcc-db-watchdog", daemon=True)
                self._thread.start()
        self._wake.set()

    def disarm(self, dbapi_connection: Any) -> None:
        """The call on `dbapi_connection` has ended."""
        with self._lock:
            self._armed.pop(id(dbapi_connection), None)

    def guard(self, call: Callable[..., Any], connection_of: Callable[..., Any], limit: float) -> Callable[..., Any]:
        """`call` wrapped so that the connection `connection_of(*args)` is watched while it runs."""
        def guarded(*args: Any, **kwargs: Any) -> Any:
            connection = connection_of(*args)
            self.arm(connection, limit)
            try:
                return call(*args, **kwargs)
            finally:
                self.disarm(connection)
        return guarded

    def _run(self) -> None:
        while True:
            self._wake.wait()  # sleeps while nothing is watched
            time.sleep(0.1)
            now = time.monotonic()
            with self._lock:  # under the lock: a connection still armed is still in its call
                for key, (deadline, fd) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[key]
                        _shut_down(fd)
                if not self._armed:
                    self._wake.clear()


WATCHDOG = Watchdog()


def _watchdog_after_fork() -> None:
    """A forked child (a gunicorn worker) has no watchdog thread: start afresh, one of its own."""
    WATCHDOG.start_afresh()


os.register_at_fork(after_in_child=_watchdog_after_fork)


def _shut_down(fd: int) -> None:
    try:
        with socket.socket(fileno=socket.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watch(engine: Engine, limit: float) -> None:
    """Put every blocking call of the engine's dialect (statements, pings, commits,
    rollbacks) under the watchdog, `limit` seconds each."""
    dialect = engine.dialect
    by_cursor = lambda cursor, *rest: cursor.connection  # noqa: E731
    by_connection = lambda connection, *rest: connection  # noqa: E731
    for name, connection_of in (("do_execute", by_cursor), ("do_executemany", by_cursor),
                                ("do_execute_no_params", by_cursor), ("do_ping", by_connection),
                                ("do_commit", by_connection), ("do_rollback", by_connection)):
        setattr(dialect, name, WATCHDOG.guard(getattr(dialect, name), connection_of, limit))


T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs the log at checkpoints, not at every commit: the database stays
    # consistent after any crash, and a commit survives the process crashing; only an operating
    # system crash or a power cut may undo the last commits (SQLite's advice for WAL; a commit then
    # costs no fsync, which was a third of a task completion). docs/deployment.md
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def stored(session: Session, model: type[T], key: Any) -> T:
    """The row of `model` with primary key `key` that the schema says exists (a foreign key
    the caller holds); its absence is a broken invariant, not a user's mistake."""
    row = session.get(model, key)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} is missing")
    return row


class UnitOfWork:
    """One transaction: `with UnitOfWork(db) as uow: ...; uow.commit()`.

    Leaving the block without commit rolls everything back, so a failed step
    leaves no partial proposal, case or event behind.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The transaction's session (only inside the `with` block)."""
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its with block")
        return self._session

    def __enter__(self) -> "UnitOfWork":
        self._session = self.database.sessions()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
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
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        err = cause
        seen.add(id(err))
        if isinstance(err, StaleDataError):
            return True
        if isinstance(err, DBAPIError):
            orig = err.orig
            if getattr(orig, "sqlstate", None) in _PG_LOST:
                return True
        cause = err.__cause__ or err.__context__
    return False
