"""Deadlines from a region's rules (`deadlines:` in region.yaml), in China time.

A deadline is the end of its day in China time (23:59:59+08:00). Counting starts
from the start's date in China time. Units:

- working_days: the count-th working day after the start date (WorkCalendar);
- calendar_days: the start date plus count days;
- months: the same day count calendar months later, or the month's last day
  when it has no such day (30 Nov + 3 months = 28/29 Feb);
- fixed_date: count is "MM-DD", the next such day on or after the start date.

calendar_days and months deadlines are not moved off non-working days: the
published rules count calendar days and months.
"""
from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, time, timedelta

from engine.model.clock import CHINA
from engine.profile.region import Region
from engine.rules.workcal import WorkCalendar

CHINA_TZ = CHINA  # the one China time zone, engine/model/clock.py
END_OF_DAY = time(23, 59, 59)
REMIND_AT = time(9, 0)


def _china(dt: datetime, what: str = "时间") -> datetime:
    """`dt` converted to China time; naive datetimes are refused."""
    if not isinstance(dt, datetime):
        raise TypeError(f"{what}必须是 datetime：{dt!r}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{what}必须带时区：{dt.isoformat()}")
    return dt.astimezone(CHINA_TZ)


def iso(dt: datetime) -> str:
    """ISO 8601 text of an aware datetime in China time, e.g. 2025-10-16T23:59:59+08:00."""
    return _china(dt).isoformat()


def add_months(d: date, months: int) -> date:
    """`d` plus calendar months, clamped to the last day of the target month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def next_fixed_date(start: date, month_day: str) -> date:
    """The next "MM-DD" on or after `start` (02-29 and the like clamp to the month's last day)."""
    try:
        month, day = (int(part) for part in str(month_day).split("-"))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            raise ValueError
    except ValueError:
        raise ValueError(f"固定日期格式错误：'{month_day}'（应为 MM-DD）") from None
    candidate = _month_day(start.year, month, day)
    if candidate < start:
        candidate = _month_day(start.year + 1, month, day)
    return candidate


class Deadlines:
    """Due times and reminder times for a region's deadline rules."""

    iso = staticmethod(iso)

    def __init__(self, region: Region, calendar: WorkCalendar | None = None) -> None:
        """`calendar` defaults to the region's WorkCalendar."""
        self.region = region
        self.calendar = calendar if calendar is not None else WorkCalendar.for_region(region)
        self._due_dates: dict[tuple[str, date], date] = {}  # (rule, first day) -> due day: steps ask often

    def rule(self, rule: str) -> dict:
        """The rule {unit, count, remind_before?}; KeyError (Chinese message) if the region has none."""
        try:
            return self.region.deadlines[rule]
        except KeyError:
            raise KeyError(f"地区配置 {self.region.code} 没有期限规则 '{rule}'") from None

    def due_date(self, rule: str, start: datetime) -> date:
        """The day (China time) on which the deadline of `rule` falls."""
        begin = _china(start, "起算时间").date()
        known = self._due_dates.get((rule, begin))
        if known is None:
            known = self._due_dates[(rule, begin)] = self._count(rule, begin)
        return known

    def _count(self, rule: str, begin: date) -> date:
        spec = self.rule(rule)
        unit, count = spec["unit"], spec["count"]
        if unit == "working_days":
            return self.calendar.add_working_days(begin, int(count))
        if unit == "calendar_days":
            return begin + timedelta(days=int(count))
        if unit == "months":
            return add_months(begin, int(count))
        if unit == "fixed_date":
            return next_fixed_date(begin, count)
        raise ValueError(f"期限规则 '{rule}' 的单位未知：'{unit}'")

    def describe(self, rule: str) -> str:
        """The length of `rule` as people say it: 10 个工作日, 30 天, 3 个月, 每年 03-31 前."""
        spec = self.rule(rule)
        unit, count = spec["unit"], spec["count"]
        return {"working_days": f"{count} 个工作日", "calendar_days": f"{count} 天", "months": f"{count} 个月",
                "fixed_date": f"每年 {count} 前"}.get(unit, str(count))

    def due(self, rule: str, start: datetime) -> datetime:
        """The deadline of `rule` counted from `start` (aware): 23:59:59+08:00 on the due day."""
        return datetime.combine(self.due_date(rule, start), END_OF_DAY, tzinfo=CHINA_TZ)

    def remind_at(self, rule: str, start: datetime) -> datetime | None:
        """09:00+08:00 `remind_before` working days before the due day.

        None if the rule has no remind_before or the reminder would fall before `start`.
        """
        before = self.rule(rule).get("remind_before")
        if before is None:
            return None
        day = self.calendar.subtract_working_days(self.due_date(rule, start), int(before))
        at = datetime.combine(day, REMIND_AT, tzinfo=CHINA_TZ)
        return None if at < _china(start, "起算时间") else at

    def capped(self, rule: str, start: datetime, requested_due: datetime, max_rule: str) -> datetime:
        """An extended deadline of `rule` that never passes `max_rule`: min(requested, due(max_rule))."""
        self.rule(rule)
        requested = _china(requested_due, "申请的期限")
        return min(requested, self.due(max_rule, start))
