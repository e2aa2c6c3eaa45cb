"""The year rule, read the same way by the statistics, the search and the scores, and stated by
the API document's pattern: a pattern that allowed a year the code refuses (0000, 1900) let the
fuzzing of the document find requests it calls valid refused with 400."""
import re

from engine.model import limits


def test_the_document_pattern_admits_exactly_the_years_the_code_reads():
    pattern = re.compile(limits.YEAR_PATTERN)
    for n in range(10000):
        text = f"{n:04d}"
        assert bool(pattern.match(text)) == (limits.parse_year(text) is not None), text
    assert limits.parse_year(" 2026 ") == 2026 and limits.parse_year(2026) == 2026


def test_a_year_outside_the_range_or_not_four_digits_is_none():
    for value in ("1948", "3000", "0000", "202", "20260", "２０２６", "", "abc", True, 1948, 3000, None, 2026.0):
        assert limits.parse_year(value) is None, value
    assert limits.parse_year(limits.FIRST_YEAR) == limits.FIRST_YEAR and limits.parse_year("2999") == 2999
