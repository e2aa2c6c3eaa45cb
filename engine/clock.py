"""The engine's clock: real time in production, a movable one in tests and demos.

SpiffWorkflow compares timers against `datetime.now()` inside its timer module;
`install` points that module at this clock so that timers, the worker and the
engine all agree on what time it is. Every time is an aware UTC datetime.
"""
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

CHINA = timezone(timedelta(hours=8))


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Now, aware, UTC."""
        return datetime.now(timezone.utc)


class MovableClock:
    """A clock that stands still until moved: `set(at)` or `advance(days=…)`."""

    def __init__(self, at: datetime | None = None):
        self._at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)

    def now(self) -> datetime:
        """The clock's current time."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to `at` (aware)."""
        self._at = at.astimezone(timezone.utc)

    def advance(self, **delta) -> datetime:
        """Move the clock forward by timedelta(**delta); return the new time."""
        self._at += timedelta(**delta)
        return self._at


_current = SystemClock()


def current():
    """The clock in use."""
    return _current


def now() -> datetime:
    """Now according to the clock in use (aware UTC)."""
    return _current.now()


def use(clock) -> None:
    """Make `clock` the clock of the engine and of SpiffWorkflow's timers."""
    global _current
    _current = clock
    spiff_timer.datetime = _ClockDatetime


class _ClockDatetime(datetime):
    """`datetime` whose now() reads the engine's clock (for SpiffWorkflow's timer module)."""

    @classmethod
    def now(cls, tz=None):
        moment = _current.now()
        return moment.astimezone(tz) if tz else moment.astimezone(CHINA).replace(tzinfo=None)

