"""The engine's clock: real time in production, a movable one in tests, a moved one in demos.

SpiffWorkflow compares timers against `datetime.now()` inside its timer module;
`use` points that module at this clock so that timers, the worker and the
engine all agree on what time it is. Every time is an aware UTC datetime.

`now()` is the time of the proposals' story (what pages show, when steps happen
and timers fire); `real_now()` is the outside world's, when outgoing e-mail and
SMS are due. They differ only under the demo's clock (engine/tooling/demo_clock.py),
which is real time moved forward; a test's MovableClock moves both. `os_seconds()` is the
operating system's time, for comparing with the times it stamps on files and tasks.
"""
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Protocol

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

CHINA = timezone(timedelta(hours=8))
# the same zone as SQL says it: PostgreSQL's zone name, and SQLite's datetime() modifier
CHINA_SQL_ZONE, CHINA_SQLITE_OFFSET = "Asia/Shanghai", "+8 hours"
ZERO = timedelta(0)


class Clock(Protocol):
    """What the engine asks a clock: the time now, and the outside world's now (both aware)."""

    def now(self) -> datetime: ...

    def real_now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Now, aware, UTC."""
        return datetime.now(UTC)

    real_now = now


class MovableClock:
    """A clock that stands still until moved: `set(at)` or `advance(days=…)`."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = (at or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        """The clock's current time."""
        return self._at

    real_now = now  # a test moves the outside world's time too

    def set(self, at: datetime) -> None:
        """Move the clock to `at` (aware)."""
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by timedelta(**delta); return the new time."""
        self._at += timedelta(**delta)
        return self._at


_current: Clock = SystemClock()


def current() -> Clock:
    """The clock in use."""
    return _current


def now() -> datetime:
    """Now according to the clock in use (aware UTC)."""
    return _current.now()


def real_now() -> datetime:
    """The outside world's now (aware UTC): when outgoing messages are due."""
    return _current.real_now()


def os_seconds() -> float:
    """The operating system's time in seconds since the epoch, whatever clock is in use: what
    the files' modification times and SpiffWorkflow's task stamps (`last_state_change`) are
    measured in, for comparing with those only (never the time of a proposal's story)."""
    return time.time()


def utc_iso(moment: datetime | None) -> str | None:
    """An aware time as ISO 8601 text in UTC (None stays None). Stored times come back aware
    (engine/model/tables.py UtcDateTime); a naive time is refused (ValueError)."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a time must be aware, not {moment!r}")
    return moment.astimezone(UTC).isoformat()


def to_real(moment: datetime) -> datetime:
    """`moment`, read on the engine's clock, as the outside world's time (the same
    but under a demo clock, which runs ahead)."""
    return moment - getattr(_current, "offset", ZERO)


def sync() -> None:
    """Let the clock read what other processes stored (the demo clock's offset; a no-op otherwise)."""
    refresh = getattr(_current, "sync", None)
    if refresh is not None:
        refresh()


def moving() -> "MovableClock":
    """The clock in use, which the caller (a scenario, a replay) installed as a MovableClock."""
    if not isinstance(_current, MovableClock):
        raise RuntimeError(f"the clock in use does not move: {_current!r}")
    return _current


def use(clock: Clock) -> None:
    """Make `clock` the clock of the engine and of SpiffWorkflow's timers."""
    global _current
    _current = clock
    spiff_timer.datetime = _ClockDatetime


class _ClockDatetime(datetime):
    """`datetime` whose now() reads the engine's clock (for SpiffWorkflow's timer module)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = _current.now()
        return moment.astimezone(tz) if tz else moment.astimezone(CHINA).replace(tzinfo=None)

