"""The demo's clock: real time moved forward by an offset stored in the database.

`cppcc run-timers --at TIME` moves it; every process of the demo reads it — the
server started with `--demo` (its pages, its API and its timer worker, at each
request and each round) and `cppcc worker --demo` — so pages, API, timers and the
messages they write agree on what time it is. Outgoing e-mail and SMS are
scheduled on the wall clock (`real_now`), never on the demo's: a moved clock never
delays a real message.

The offset is the `counters` row DEMO_CLOCK (seconds). `cppcc load-demo` creates
it, which marks the database as a demo database: only there may the clock move,
and only forward (what happened stays in the past).
"""
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.adapters.db import Database, UnitOfWork
from engine.model.clock import CHINA
from engine.model.errors import EngineError
from engine.model.tables import Counter

DEMO_CLOCK = "demo_clock_offset_seconds"


class DemoClock:
    """Real time plus the stored demo offset (read again by `sync`)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The demo's now, aware UTC."""
        return datetime.now(UTC) + self.offset

    def real_now(self) -> datetime:
        """The wall clock: when outgoing messages are due."""
        return datetime.now(UTC)

    def sync(self) -> None:
        """Read the stored offset again (each request, each worker round)."""
        with UnitOfWork(self.database) as uow:
            seconds = uow.session.scalar(select(Counter.value).where(Counter.name == DEMO_CLOCK))
        self.offset = timedelta(seconds=seconds or 0)

    def move_to(self, at: datetime) -> None:
        """Store `at` as the demo's now. Refuses (EngineError, in Chinese) a database
        without demo data, and a time before the demo's current one."""
        with UnitOfWork(self.database) as uow:
            row = uow.session.scalar(select(Counter).where(Counter.name == DEMO_CLOCK).with_for_update())
            if row is None:
                raise EngineError("这个数据库没有演示数据，不能拨动时间（演示数据由 bin/demo 或 cppcc load-demo 加载；"
                                  "要从头开始演示：.venv/bin/cppcc init-db --reset && bin/demo）")
            real = datetime.now(UTC)
            current = real + timedelta(seconds=row.value)
            if at < current - timedelta(seconds=1):
                raise EngineError(f"演示时间只能向后拨：现在的演示时间是 {_shown(current)}，"
                                  f"不能拨回到 {_shown(at)}（已发生的办理过程不能撤销）")
            row.value = max(row.value, int((at - real).total_seconds()))
            uow.commit()
            self.offset = timedelta(seconds=row.value)


def mark_demo(session: Session) -> None:
    """Mark the database as a demo database, its clock at real time (in the caller's transaction)."""
    if session.get(Counter, DEMO_CLOCK) is None:
        session.add(Counter(name=DEMO_CLOCK, value=0))
        session.flush()


def unmark_demo(session: Session) -> None:
    """Remove the demo mark (tests)."""
    session.execute(delete(Counter).where(Counter.name == DEMO_CLOCK))


def _shown(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
