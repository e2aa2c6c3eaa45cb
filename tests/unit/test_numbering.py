"""Proposal numbers from a region's format (engine/profile/numbering.py) and the session's
short label for them (engine/profile/sessions.py)."""
from engine.profile import numbering, sessions
from engine.profile.region import REGIONS_ROOT, load_region


def test_the_placeholders_are_filled():
    assert numbering.format_number("{year}-{seq:03d}", 2026, 7) == "2026-007"
    assert numbering.format_number("滨{year}{session}-{seq:04d}", 2026, 12, "14-4") == "滨202614-4-0012"
    assert numbering.format_number("{session}第{seq}号", 2026, 3, "平时") == "平时第3号"


def test_counters_are_per_session_only_when_the_format_uses_it():
    assert numbering.counter_name("{year}-{seq:03d}", 2026, "6-5") == "proposal_number:2026"
    assert numbering.counter_name("{session}-{seq:03d}", 2026, "6-5") == "proposal_number:2026:6-5"
    assert numbering.counter_name("{session}-{seq:03d}", 2026, "ordinary") == "proposal_number:2026:ordinary"


def test_the_session_label_for_numbers_comes_from_the_profile():
    region = load_region(REGIONS_ROOT / "default")
    assert sessions.number_label(region, "6-5") == "6-5"
    assert sessions.number_label(region, sessions.ORDINARY) == "平时"
    assert sessions.number_label(region, None) == "平时"
    region.raw["sessions"] = {**region.raw["sessions"], "number_label": "{term}{ordinal:02d}",
                              "ordinary_number_label": "P"}
    assert sessions.number_label(region, "6-5") == "605"
    assert sessions.number_label(region, sessions.ORDINARY) == "P"


def test_a_format_is_refused_with_what_is_wrong():
    assert numbering.format_problem("{year}-{session}-{seq:03d}") is None
    assert numbering.format_problem("{year}-{seq}") is None
    assert "“{sesion}”无法识别" in numbering.format_problem("{year}-{sesion}-{seq}")
    assert numbering.format_problem("{year}").startswith("提案编号格式应包含 {seq}")
    assert "花括号不成对" in numbering.format_problem("{year-{seq}")
    # the sequence starts again each year: without the year, next year's numbers repeat this year's
    assert numbering.format_problem("{session}-{seq:03d}").startswith("提案编号格式应包含 {year}")


def test_a_session_number_label_is_refused_with_what_is_wrong():
    assert numbering.label_problem("{term}-{ordinal}") is None
    assert numbering.label_problem("{term}{ordinal:02d}") is None
    assert numbering.label_problem("{term}-{year}").startswith("届次在提案编号中的写法只能包含 {term}")
