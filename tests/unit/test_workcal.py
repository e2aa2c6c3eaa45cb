"""Working days: the national table (chinesecalendar), 调休 days, region overrides, fallback.

Facts from chinesecalendar 1.11 (checked with get_holiday_detail):
- National Day + Mid-Autumn 2025: 1-8 October off; Sunday 28 September and
  Saturday 11 October 2025 are make-up working days.
- Spring Festival 2026: 15-23 February off; Saturday 14 February and
  Saturday 28 February 2026 are make-up working days.
- The package covers 2004-2026; later years raise NotImplementedError.
"""
import logging
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import yaml

from engine.profile.region import Region, load_region
from engine.rules import workcal
from engine.rules.workcal import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]


def region_with_calendar(tmp_path, **calendar):
    """A copy of the default region with its `calendar:` block changed."""
    raw = yaml.safe_load((ROOT / "regions" / "default" / "region.yaml").read_text(encoding="utf-8"))
    raw["calendar"] = {"extra_holidays": [], "extra_workdays": [], **calendar}
    (tmp_path / "region.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_region(tmp_path)


def days(start, end):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


@pytest.fixture
def cal():
    return WorkCalendar()


def test_package_facts_national_day_2025():
    for d in days(date(2025, 10, 1), date(2025, 10, 8)):
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
        assert on_holiday and name in ("National Day", "Mid-autumn Festival")
    assert chinese_calendar.get_holiday_detail(date(2025, 9, 28)) == (False, "National Day")
    assert chinese_calendar.get_holiday_detail(date(2025, 10, 11)) == (False, "National Day")


def test_package_facts_spring_festival_2026():
    for d in days(date(2026, 2, 15), date(2026, 2, 23)):
        assert chinese_calendar.get_holiday_detail(d) == (True, "Spring Festival")
    assert chinese_calendar.get_holiday_detail(date(2026, 2, 14)) == (False, "Spring Festival")
    assert chinese_calendar.get_holiday_detail(date(2026, 2, 28)) == (False, "Spring Festival")


def test_national_day_2025_holidays_and_make_up_days(cal):
    assert all(not cal.is_workday(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert cal.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert cal.is_workday(date(2025, 10, 11))  # Saturday, 调休
    assert not cal.is_workday(date(2025, 9, 27))  # ordinary Saturday
    assert not cal.is_workday(date(2025, 10, 12))  # ordinary Sunday
    assert cal.is_workday(date(2025, 10, 9))


def test_add_working_days_across_national_day(cal):
    # 28, 29, 30 Sep, 9, 10, 11, 13, 14, 15, 16 Oct
    assert cal.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert cal.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert cal.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)


def test_add_working_days_across_spring_festival_2026(cal):
    # 13 Feb, 14 Feb (Saturday, 调休), then 24, 25, 26 Feb
    assert cal.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert cal.is_workday(date(2026, 2, 28))
    assert not cal.is_workday(date(2026, 2, 23))


def test_zero_days(cal):
    assert cal.add_working_days(date(2025, 9, 26), 0) == date(2025, 9, 26)
    assert cal.add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 9)
    assert cal.subtract_working_days(date(2025, 10, 12), 0) == date(2025, 10, 11)
    assert cal.subtract_working_days(date(2025, 10, 5), 0) == date(2025, 9, 30)


def test_subtract_working_days_across_holiday(cal):
    assert cal.subtract_working_days(date(2025, 10, 9), 1) == date(2025, 9, 30)
    assert cal.subtract_working_days(date(2025, 10, 10), 3) == date(2025, 9, 29)
    assert cal.subtract_working_days(date(2025, 10, 16), 10) == date(2025, 9, 26)
    assert cal.subtract_working_days(date(2026, 2, 25), 2) == date(2026, 2, 14)


def test_add_and_subtract_are_inverse_on_workdays(cal):
    start = date(2025, 9, 1)
    for n in range(0, 60, 7):
        assert cal.subtract_working_days(cal.add_working_days(start, n), n) == start


def test_region_days_override_the_national_table(tmp_path):
    region = region_with_calendar(
        tmp_path, extra_holidays=["2025-10-09", "2025-10-10"], extra_workdays=["2025-10-08", "2025-10-12"]
    )
    cal = WorkCalendar.for_region(region)
    assert not cal.is_workday(date(2025, 10, 9))
    assert not cal.is_workday(date(2025, 10, 10))
    assert cal.is_workday(date(2025, 10, 8))  # national holiday made a working day
    assert cal.is_workday(date(2025, 10, 12))  # Sunday made a working day
    # 28, 29, 30 Sep, 8, 11, 12, 13, 14, 15, 16 Oct
    assert cal.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert cal.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 11)


def test_extra_workday_wins_over_extra_holiday(tmp_path):
    region = region_with_calendar(tmp_path, extra_holidays=["2025-10-15"], extra_workdays=["2025-10-15"])
    assert WorkCalendar.for_region(region).is_workday(date(2025, 10, 15))


def test_default_region_follows_the_national_table():
    cal = WorkCalendar.for_region(load_region(ROOT / "regions" / "default"))
    assert cal.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)


def test_explicit_sets_and_date_objects_from_yaml():
    cal = WorkCalendar(extra_holidays={date(2025, 10, 9)}, extra_workdays={date(2025, 10, 4)})
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 4))
    # a region whose YAML gave date objects instead of strings
    raw = {"calendar": {"extra_holidays": [date(2025, 10, 9)], "extra_workdays": ["2025-10-04"]}}
    cal = WorkCalendar.for_region(Region(code="t", name="t", raw=raw))
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 4))


def test_bad_calendar_day_is_refused():
    with pytest.raises(ValueError, match="2025-13-01"):
        WorkCalendar(extra_holidays=["2025-13-01"])


def test_year_outside_the_package_falls_back_to_weekdays(cal):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 1, 5))
    assert cal.is_workday(date(2099, 1, 1))  # Thursday: no holiday table, so a working day
    assert cal.is_workday(date(2099, 1, 2))  # Friday
    assert not cal.is_workday(date(2099, 1, 3))  # Saturday
    assert not cal.is_workday(date(2099, 1, 4))  # Sunday
    assert cal.add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)
    assert cal.add_working_days(date(2099, 1, 1), 10) == date(2099, 1, 15)


def test_fallback_warns_once_per_year(cal, caplog, monkeypatch):
    monkeypatch.setattr(workcal, "_warned_years", set())  # whatever another test warned of before
    with caplog.at_level(logging.WARNING, logger="engine.rules.workcal"):
        cal.add_working_days(date(2098, 3, 2), 30)
        WorkCalendar().is_workday(date(2098, 7, 1))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "2098" in r.getMessage()]
    assert len(warnings) == 1
    # a region can still set its own days in such a year
    cal = WorkCalendar(extra_holidays=["2098-03-03"])
    assert cal.add_working_days(date(2098, 3, 2), 1) == date(2098, 3, 4)
