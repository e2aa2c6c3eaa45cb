"""What the lifecycle walks of tests/scenarios need to know of each example region:
its own units, classes and ratings, and what its decision tables make of them."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Facts:
    """What a lifecycle walk needs to know of a region's profile and tables."""

    lead: str                 # a unit that handles the usual proposal
    wrong_unit: str           # a unit that returns it
    assists: tuple            # two assisting units
    separate: tuple           # two separate lead units
    category: str
    plain: str                # a class that needs no leader and no follow-up
    follow: str               # a class that is followed up
    deputy_class: str         # a class the deputy head in charge approves
    raised: str               # what the supervision office turns deputy_class into (a followed-up class)
    good: str                 # the best rating
    fair: str                 # another accepted rating
    bad: str                  # the rating that leads to second handling
    key_chain: tuple          # the approvals of a key proposal after the unit head
    rehandles: int            # second handlings before mediation


FACTS = {
    "default": Facts(lead="jtw", wrong_unit="jyj", assists=("ghzy", "jsgl"), separate=("sthj", "jsgl"),
                     category="urban", plain="A", follow="B", deputy_class="C", raised="B", good="satisfied",
                     fair="basically_satisfied", bad="unsatisfied", key_chain=("gov_review", "deputy_approve"),
                     rehandles=1),
    "binhai": Facts(lead="sjtj", wrong_unit="sjyj", assists=("szgj", "szjj"), separate=("shyj", "szjj"),
                    category="urban", plain="A", follow="B", deputy_class="D", raised="C", good="satisfied",
                    fair="understood", bad="unsatisfied", key_chain=("deputy_approve",), rehandles=2),
}
