"""The region's unit-assessment scheme (承办单位考核) as its profile gives it (`assessment:` in
region.yaml): indicators with weights, targets, deductions, caps, bonus and manual items.

May import: `engine.profile.region`.
"""
from engine.profile.region import Region


def scheme(region: Region) -> dict:
    """The region's scoring scheme (a minimal one when the profile has none)."""
    return region.raw.get("assessment") or {"name": "承办单位考核", "total": 100, "items": [
        {"code": "reply", "label": "办复", "indicator": "reply_rate", "weight": 100}]}
