"""Chinese working days: the national holiday table plus a region's own days.

The national table (public holidays and 调休 make-up working days) comes from
the `chinesecalendar` package, which ships one table per year and is updated
yearly once the State Council publishes the next year's arrangement: keep the
package up to date. For a year it does not cover yet, working days fall back to
Monday-Friday and a warning is logged once per year.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import chinese_calendar

from engine.profile.region import Region

log = logging.getLogger(__name__)

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


def _to_date(value: date | datetime | str) -> date:
    """A date from an ISO string ("2025-10-09") or a date (YAML may parse it)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"日历日期格式错误：'{value}'（应为 YYYY-MM-DD）") from None
    raise TypeError(f"日历日期类型错误：{value!r}")


def _to_dates(values: Iterable | None) -> frozenset[date]:
    return frozenset(_to_date(v) for v in (values or ()))


def _warn_uncovered(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    log.warning(
        "节假日表（chinesecalendar %s）还没有 %d 年的安排：该年暂按周一至周五计算工作日。"
        "请更新 chinesecalendar，或在地区配置 region.yaml 的 calendar: 下列出该年的节假日和调休上班日",
        getattr(chinese_calendar, "__version__", "?"),
        year,
    )


class WorkCalendar:
    """Which days are working days, for counting deadlines in working days.

    Order of precedence: the region's `extra_workdays`, then its `extra_holidays`,
    then the national table of the `chinesecalendar` package (updated yearly);
    for a year the package does not cover, Monday-Friday (warned once per year).
    """

    def __init__(self, extra_holidays: Iterable | None = None, extra_workdays: Iterable | None = None) -> None:
        """Days given as dates or ISO strings."""
        self.extra_holidays = _to_dates(extra_holidays)
        self.extra_workdays = _to_dates(extra_workdays)
        self._known: dict[date, bool] = {}  # day -> working day, as looked up (counting deadlines asks often)

    @classmethod
    def for_region(cls, region: Region) -> WorkCalendar:
        """The calendar of a Region: the national table plus its `calendar:` block."""
        cal = region.calendar
        return cls(extra_holidays=cal.get("extra_holidays"), extra_workdays=cal.get("extra_workdays"))

    def is_workday(self, d: date) -> bool:
        """True if people work on `d` (a date, or a datetime whose date is taken)."""
        d = _to_date(d)
        known = self._known.get(d)
        if known is None:
            known = self._known[d] = self._look_up(d)
        return known

    def _look_up(self, d: date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        try:
            return chinese_calendar.is_workday(d)
        except NotImplementedError:
            _warn_uncovered(d.year)
            return d.weekday() < 5

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`; n=0 gives `d` if a working day, else the next one."""
        d = _to_date(d)
        if n < 0:
            return self.subtract_working_days(d, -n)
        if n == 0:
            while not self.is_workday(d):
                d += timedelta(days=1)
            return d
        while n > 0:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def subtract_working_days(self, d: date, n: int) -> date:
        """The n-th working day before `d`; n=0 gives `d` if a working day, else the previous one."""
        d = _to_date(d)
        if n < 0:
            return self.add_working_days(d, -n)
        if n == 0:
            while not self.is_workday(d):
                d -= timedelta(days=1)
            return d
        while n > 0:
            d -= timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(extra_holidays={sorted(self.extra_holidays)}, "
            f"extra_workdays={sorted(self.extra_workdays)})"
        )
