"""bench/seed_year.py plans seed 004's year with the seed's distributions (the walk itself
runs in .ci/run: it takes minutes)."""
import random
from collections import Counter

from bench.seed_year import SEED, UNITS, plan


def test_the_plan_has_the_seeds_distributions():
    units = [f"u{n}" for n in range(UNITS)]
    fates = plan(units, random.Random(4))
    assert len(fates) == SEED["submitted"]
    assert Counter(f["category"] for f in fates) == {"economy": 37, "urban": 88, "culture": 31, "general": 54}
    assert Counter(f["class"] for f in fates) == {"A": 170, "C": 15, "D": 25}
    assert Counter(f["rating"] for f in fates if f["rating"]) == {"satisfied": 166, "basically_satisfied": 26,
                                                                   "understood": 3}
    assert sum(1 for f in fates if f["rating"] is None and f["class"] == "A") == 15
    loads = Counter(f["lead"] for f in fates)
    assert len(loads) == 53 and sum(n for _, n in loads.most_common(4)) == 104  # four carry about half (50 %)
    assert sum(1 for f in fates if f["class"] == "C" and f["done"]) == 6
