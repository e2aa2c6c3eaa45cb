"""Deadlines from region rules: each unit across a holiday, China time, reminders, caps."""
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from engine.profile.region import load_region
from engine.rules.deadlines import CHINA_TZ, Deadlines, add_months, iso
from engine.rules.workcal import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]
UTC = UTC


def cn(y, m, d, hh=10, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=CHINA_TZ)


def end_of(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=CHINA_TZ)


def make_region(tmp_path, deadlines=None, calendar=None):
    """A copy of the default region with extra deadline rules / calendar days."""
    raw = yaml.safe_load((ROOT / "regions" / "default" / "region.yaml").read_text(encoding="utf-8"))
    raw["deadlines"].update(deadlines or {})
    if calendar is not None:
        raw["calendar"] = {"extra_holidays": [], "extra_workdays": [], **calendar}
    (tmp_path / "region.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_region(tmp_path)


@pytest.fixture
def dl(tmp_path):
    return Deadlines(
        make_region(
            tmp_path,
            deadlines={
                "ten_days": {"unit": "calendar_days", "count": 10, "remind_before": 2},
                "plenary_by_date": {"unit": "fixed_date", "count": "06-30", "remind_before": 5},
                "one_month": {"unit": "months", "count": 1},
                "next_day": {"unit": "working_days", "count": 1, "remind_before": 3},
                "leap": {"unit": "fixed_date", "count": "02-29"},
            },
        )
    )


def test_working_days_skip_national_day_and_count_make_up_days(dl):
    # accept: 10 working days -> 28, 29, 30 Sep, 9, 10, 11, 13, 14, 15, 16 Oct 2025
    due = dl.due("accept", cn(2025, 9, 26, 15, 30))
    assert due == end_of(2025, 10, 16)
    assert due.utcoffset() == timedelta(hours=8)
    assert iso(due) == "2025-10-16T23:59:59+08:00"


def test_working_days_across_spring_festival_2026(dl):
    # first_contact: 15 working days from Thu 5 Feb 2026: 6, 9-13, 14 (Sat, 调休),
    # then 24, 25, 26, 27, 28 (Sat, 调休), 2, 3, 4 Mar
    assert dl.due("first_contact", cn(2026, 2, 5)) == end_of(2026, 3, 4)


def test_calendar_days_simply_add_days(dl):
    assert dl.due("ten_days", cn(2025, 9, 26)) == end_of(2025, 10, 6)  # inside the holiday, not moved


def test_months_clamp_to_the_end_of_month(dl):
    assert dl.due("reply", cn(2025, 11, 30)) == end_of(2026, 2, 28)
    assert dl.due("one_month", cn(2025, 1, 31)) == end_of(2025, 2, 28)
    assert dl.due("one_month", cn(2024, 1, 31)) == end_of(2024, 2, 29)
    assert dl.due("reply_max", cn(2025, 8, 31)) == end_of(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)


def test_months_due_on_a_holiday_is_not_moved(dl):
    assert dl.due("reply", cn(2025, 7, 4)) == end_of(2025, 10, 4)  # Saturday within National Day
    assert dl.due("one_month", cn(2026, 1, 17)) == end_of(2026, 2, 17)  # Spring Festival


def test_fixed_date(dl):
    assert dl.due("plenary_by_date", cn(2026, 7, 1)) == end_of(2027, 6, 30)
    assert dl.due("plenary_by_date", cn(2026, 6, 30, 23, 0)) == end_of(2026, 6, 30)
    assert dl.due("plenary_by_date", cn(2026, 1, 20)) == end_of(2026, 6, 30)
    assert dl.due("leap", cn(2027, 3, 1)) == end_of(2028, 2, 29)
    assert dl.due("leap", cn(2025, 1, 1)) == end_of(2025, 2, 28)


def test_start_is_counted_from_its_date_in_china(dl):
    start = datetime(2025, 9, 30, 20, 0, tzinfo=UTC)  # 2025-10-01 04:00 in China
    assert dl.due("reply", start) == end_of(2026, 1, 1)
    assert dl.due("ten_days", start) == end_of(2025, 10, 11)
    # 2025-09-28T18:00Z is Monday 29 Sep in China: 30 Sep, 9, 10, 11, 13-17, 20 Oct
    assert dl.due("accept", datetime(2025, 9, 28, 18, 0, tzinfo=UTC)) == end_of(2025, 10, 20)
    assert dl.due("plenary_by_date", datetime(2026, 6, 30, 16, 30, tzinfo=UTC)) == end_of(2027, 6, 30)


def test_naive_start_is_refused(dl):
    with pytest.raises(ValueError, match="时区"):
        dl.due("accept", datetime(2025, 9, 26, 10, 0))


def test_unknown_rule_names_rule_and_region(dl):
    with pytest.raises(KeyError) as caught:
        dl.due("no_such_rule", cn(2025, 9, 26))
    assert "no_such_rule" in str(caught.value) and "default" in str(caught.value)
    assert "没有期限规则" in str(caught.value)


def test_region_days_override_the_national_table(tmp_path):
    region = make_region(tmp_path, calendar={"extra_holidays": ["2025-10-09", "2025-10-10"]})
    # 28, 29, 30 Sep, 11, 13, 14, 15, 16, 17, 20 Oct
    assert Deadlines(region).due("accept", cn(2025, 9, 26)) == end_of(2025, 10, 20)

    region = make_region(tmp_path, calendar={"extra_workdays": ["2025-10-08"]})
    # 28, 29, 30 Sep, 8, 9, 10, 11, 13, 14, 15 Oct
    assert Deadlines(region).due("accept", cn(2025, 9, 26)) == end_of(2025, 10, 15)


def test_explicit_calendar_is_used(tmp_path):
    region = make_region(tmp_path)
    cal = WorkCalendar(extra_holidays={date(2025, 10, 9)})
    # 28, 29, 30 Sep, 10, 11, 13, 14, 15, 16, 17 Oct
    assert Deadlines(region, cal).due("accept", cn(2025, 9, 26)) == end_of(2025, 10, 17)


def test_remind_at_counts_working_days_back(dl):
    # accept due 16 Oct 2025; 3 working days before: 15, 14, 13 Oct
    assert dl.remind_at("accept", cn(2025, 9, 26)) == cn(2025, 10, 13, 9)


def test_remind_at_skips_the_holiday(dl):
    # accept from 19 Sep 2025 is due 10 Oct; 3 working days before: 9 Oct, 30 Sep, 29 Sep
    assert dl.due("accept", cn(2025, 9, 19)) == end_of(2025, 10, 10)
    assert dl.remind_at("accept", cn(2025, 9, 19)) == cn(2025, 9, 29, 9)
    # reply from 8 Jul is due 8 Oct (a holiday); 10 working days before: 30, 29, 28, 26, 25, 24, 23, 22, 19, 18 Sep
    assert dl.remind_at("reply", cn(2025, 7, 8)) == cn(2025, 9, 18, 9)
    # Spring Festival: first_contact from 5 Feb 2026 due 4 Mar; 3 back: 3, 2 Mar, 28 Feb (Saturday, 调休)
    assert dl.remind_at("first_contact", cn(2026, 2, 5)) == cn(2026, 2, 28, 9)


def test_remind_at_none(dl):
    assert dl.remind_at("reply_max", cn(2025, 9, 26)) is None  # no remind_before
    assert dl.remind_at("one_month", cn(2025, 9, 26)) is None
    # next_day: due 28 Sep, reminder 3 working days earlier would be before the start
    assert dl.due("next_day", cn(2025, 9, 26)) == end_of(2025, 9, 28)
    assert dl.remind_at("next_day", cn(2025, 9, 26)) is None


def test_remind_at_on_the_start_day_is_kept(dl):
    # ten_days from Mon 22 Sep 2025 is due 2 Oct (holiday); 2 working days before: 30, 29 Sep
    assert dl.remind_at("ten_days", cn(2025, 9, 22)) == cn(2025, 9, 29, 9)
    assert dl.remind_at("ten_days", cn(2025, 9, 29, 8, 59)) is not None
    # from 29 Sep the due day is 9 Oct and the reminder 29 Sep 09:00: before a 10:00 start
    assert dl.remind_at("ten_days", cn(2025, 9, 29, 10)) is None


def test_capped_never_passes_the_maximum(dl):
    start = cn(2025, 11, 30)
    maximum = dl.due("reply_max", start)
    assert maximum == end_of(2026, 5, 30)
    assert dl.capped("reply", start, end_of(2026, 9, 1), "reply_max") == maximum
    assert dl.capped("reply", start, end_of(2026, 4, 30), "reply_max") == end_of(2026, 4, 30)
    # a request in UTC comes back in China time
    capped = dl.capped("reply", start, datetime(2026, 4, 30, 15, 59, 59, tzinfo=UTC), "reply_max")
    assert capped == end_of(2026, 4, 30) and capped.utcoffset() == timedelta(hours=8)
    for months in range(0, 12):
        requested = dl.due("reply", start) + timedelta(days=30 * months)
        assert dl.capped("reply", start, requested, "reply_max") <= maximum


def test_capped_unknown_rule(dl):
    with pytest.raises(KeyError):
        dl.capped("reply", cn(2025, 11, 30), end_of(2026, 9, 1), "nope")


def test_iso_is_in_china_time():
    assert iso(datetime(2025, 9, 30, 20, 0, tzinfo=UTC)) == "2025-10-01T04:00:00+08:00"
    assert Deadlines.iso(end_of(2026, 2, 28)) == "2026-02-28T23:59:59+08:00"


def test_far_future_falls_back_to_weekdays(dl):
    # 2099 is outside the package's table: Mon-Fri; 1 Jan 2099 is a Thursday
    assert dl.due("accept", cn(2099, 1, 1)) == end_of(2099, 1, 15)
    assert dl.remind_at("accept", cn(2099, 1, 1)) == cn(2099, 1, 12, 9)
