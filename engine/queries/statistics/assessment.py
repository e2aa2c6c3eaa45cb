"""Unit assessment (承办单位考核): each lead unit's score for a year under the region's
scheme (`assessment:` in region.yaml), with every point explained.

An item scores on one indicator of indicators.py (the unit's own figures):
- proportional (the default): weight × min(rate ÷ target, 1), target 100 %;
- deduction: weight less `per_point` for each percentage point below `target`, at most
  `cap` (the weight when not given).
An indicator with nothing to count for the unit (e.g. it assisted no one) scores full.
A deduction item takes `per_record` points for each overdue record of its `overdue_kinds`
against the unit, at most `cap`. Manual items (领导重视, 特色创新 …) are what the government
office entered, with its reason, between the item's `min` and `max`; they add at most
`bonus_cap`. Every item lists the proposals that cost it points.

A published ranking is frozen (engine/services/assessment.py): the page then shows the
snapshot, with who froze it and when, and later corrections do not change it.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model.tables import AssessmentAdjustment, AssessmentSnapshot, User
from engine.profile.assessment_scheme import scheme  # noqa: F401 (the profile's scheme, read here)
from engine.profile.region import Region
from engine.queries.statistics import compute, listing
from engine.queries.statistics.indicators import OVERDUE_KINDS, indicators_of


def _round(value: float) -> float:
    return round(value + 1e-9, 2)


def score_item(item: dict, rate: float | None) -> tuple[float, str]:
    """Points of one indicator item at `rate` (a percentage, None: nothing to count) and why."""
    weight = float(item["weight"])
    target = float(item.get("target", 100))
    if rate is None:
        return weight, "本单位不涉及，计满分"
    if item.get("mode") == "deduction":
        below = max(0.0, target - rate)
        lost = min(float(item.get("cap", weight)), below * float(item.get("per_point", 1)), weight)
        why = (f"{rate}% 达到目标 {target:g}%" if not below else
               f"{rate}% 低于目标 {target:g}% {below:.1f} 个百分点，每个百分点扣 {item.get('per_point', 1)} 分，扣 {_round(lost)} 分")
        return _round(weight - lost), why
    share = min(rate / target, 1.0) if target else 1.0
    return _round(weight * share), f"{weight:g} 分 × {rate}% ÷ {target:g}%" if share < 1 else f"{rate}% 达到目标，得满分"


def _adjustments(session: Session, year: int) -> dict:
    rows = session.scalars(select(AssessmentAdjustment).where(AssessmentAdjustment.year == year))
    found: dict = {}
    for row in rows:
        found.setdefault(row.unit_id, {})[row.item] = row
    return found


def assess(session: Session, region: Region, year: int) -> dict:
    """Every lead unit's score, rank and breakdown for `year` (live, not a snapshot)."""
    plan, ind = scheme(region), indicators_of(region)
    filters = compute.Filters(year=year)
    names = compute.unit_names(session)
    rows = compute.by_unit(session, ind, filters, names)
    overdue = {u["unit"]: u["kinds"] for u in compute.overdue_units(session, filters, names)}
    entered = _adjustments(session, year)
    people = dict(session.execute(select(User.username, User.name)).all())
    where = compute.proposal_clauses(filters)
    units = []
    for row in rows:
        items, total = [], 0.0
        for item in plan["items"]:
            ratio = ind.ratios[item["indicator"]]
            rate = row["ratios"].get(item["indicator"])
            points, why = score_item(item, rate)
            lost = _round(float(item["weight"]) - points)
            items.append({"code": item["code"], "group": item.get("group", ""), "label": item["label"],
                          "indicator": item["indicator"], "indicator_label": ratio.label, "rate": rate,
                          "numerator": sum(row["counts"].get(c, 0) for c in ratio.numerator),
                          "denominator": row["counts"].get(ratio.denominator, 0), "weight": item["weight"],
                          "points": points, "lost": lost, "why": why,
                          "proposals": listing.missing(session, ind, item["indicator"], row["unit"], where)
                          if lost > 0 else []})
            total += points
        deductions = []
        for item in plan.get("deductions") or []:
            kinds = item.get("overdue_kinds") or []
            n = sum(overdue.get(row["unit"], {}).get(k, 0) for k in kinds)
            lost = _round(min(float(item.get("cap", 1e9)), n * float(item.get("per_record", 1))))
            deductions.append({"code": item["code"], "label": item["label"], "records": n, "lost": lost,
                               "why": f"{'、'.join(OVERDUE_KINDS[k] for k in kinds)}共 {n} 次，每次扣 "
                                      f"{item.get('per_record', 1)} 分" + (f"，最多扣 {item['cap']} 分" if "cap" in item else ""),
                               "proposals": listing.with_overdue(session, row["unit"], kinds, where) if n else []})
            total -= lost
        manual, bonus = [], 0.0
        for item in plan.get("manual") or []:
            given = entered.get(row["unit"], {}).get(item["code"])
            points = min(max(given.points, float(item.get("min", 0))), float(item.get("max", 1e9))) if given else 0.0
            manual.append({"code": item["code"], "label": item["label"], "points": _round(points),
                           "min": item.get("min", 0), "max": item.get("max"),
                           "reason": given.reason if given else "", "by": people.get(given.entered_by, given.entered_by)
                           if given else None})
            bonus += points
        if "bonus_cap" in plan:
            bonus = min(bonus, float(plan["bonus_cap"]))
        units.append({"unit": row["unit"], "name": row["name"], "handlings": row["counts"]["handlings"],
                      "score": _round(max(0.0, total) + bonus), "items": items, "deductions": deductions,
                      "manual": manual, "bonus": _round(bonus)})
    units.sort(key=lambda u: (-u["score"], u["name"]))
    for n, unit in enumerate(units):
        unit["rank"] = units[n - 1]["rank"] if n and unit["score"] == units[n - 1]["score"] else n + 1
    return {"year": year, "scheme": {"name": plan["name"], "total": plan["total"], "bonus_cap": plan.get("bonus_cap"),
                                     "items": plan["items"], "manual": plan.get("manual") or []},
            "units": units, "frozen": None}


def latest_snapshot(session: Session, year: int) -> AssessmentSnapshot | None:
    """The latest frozen assessment of `year`, if any."""
    return session.scalars(select(AssessmentSnapshot).where(AssessmentSnapshot.year == year)
                           .order_by(AssessmentSnapshot.id.desc()).limit(1)).first()


def shown(session: Session, region: Region, year: int, live: bool = False) -> dict:
    """The assessment to show: the latest snapshot of the year (with who froze it and when),
    unless there is none or `live` asks for the scores as the data stand now."""
    snapshot = None if live else latest_snapshot(session, year)
    if snapshot is None:
        return assess(session, region, year)
    user = session.scalar(select(User).where(User.username == snapshot.frozen_by))
    return {**snapshot.data, "frozen": {"id": snapshot.id, "by": user.name if user else snapshot.frozen_by,
                                        "at": snapshot.frozen_at.isoformat(),
                                        "note": snapshot.note}}


def only_unit(result: dict, unit: str | None) -> dict:
    """The assessment cut to one unit (a unit head sees their own unit only)."""
    if unit is None:
        return result
    return {**result, "units": [u for u in result["units"] if u["unit"] == unit]}
