"""Unit assessment commands (承办单位考核): the government office's manual items and freezing
a year's scores. Each command takes a unit of work and commits.

The scores themselves are read-side arithmetic (engine/queries/statistics/assessment.py);
a snapshot stores the computed result whole, so a published ranking never changes when
the data are corrected later.
"""
from typing import Any

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.errors import EngineError, NotFound
from engine.model.tables import AssessmentAdjustment, AssessmentSnapshot, Unit, User
from engine.profile.assessment_scheme import scheme
from engine.profile.region import Region
from engine.rules import permissions

MAX_REASON = 2000


def set_manual_item(uow: UnitOfWork, region: Region, user: User, year: int, unit_id: str, item: str, points: Any, reason: str) -> dict:
    """Enter (or replace) a manual item's points for a unit and year, with the reason."""
    permissions.check_may_assess(user)
    plan = {i["code"]: i for i in scheme(region).get("manual") or []}
    errors = []
    if item not in plan:
        errors.append({"field": "item", "message": f"考核方案中没有手工项“{item}”"})
    if uow.session.get(Unit, unit_id) is None:
        raise NotFound("没有这个承办单位")
    try:
        value = float(points)
    except (TypeError, ValueError):
        value = None
        errors.append({"field": "points", "message": "分值应为数字"})
    if value is not None and item in plan:
        low, high = float(plan[item].get("min", 0)), float(plan[item].get("max", 1e9))
        if not low <= value <= high:
            errors.append({"field": "points", "message": f"{plan[item]['label']}的分值应在 {low:g} 至 {high:g} 之间"})
    reason = (reason or "").strip()
    if not reason:
        errors.append({"field": "reason", "message": "请写明加分或扣分的理由"})
    elif len(reason) > MAX_REASON:
        errors.append({"field": "reason", "message": f"理由不能超过 {MAX_REASON} 字"})
    if errors or value is None:  # value is None only with an error listed
        raise EngineError("考核手工项填写不正确：" + "；".join(e["message"] for e in errors), errors=errors)
    row = uow.session.query(AssessmentAdjustment).filter_by(year=year, unit_id=unit_id, item=item).one_or_none()
    if row is None:
        row = AssessmentAdjustment(year=year, unit_id=unit_id, item=item, points=value, reason=reason,
                                   entered_by=user.username, entered_at=clock.now())
        uow.session.add(row)
    else:
        row.points, row.reason, row.entered_by, row.entered_at = value, reason, user.username, clock.now()
    uow.commit()
    return {"year": year, "unit": unit_id, "item": item, "points": value, "reason": reason}


def freeze(uow: UnitOfWork, region: Region, user: User, year: int, data: dict, note: str = "") -> dict:
    """Freeze the year's scores as they stand (`data`: the computed assessment,
    engine.queries.statistics.assessment.assess): a snapshot with who and when. Returns its summary."""
    permissions.check_may_assess(user)
    snapshot = AssessmentSnapshot(year=year, data=data, frozen_by=user.username, frozen_at=clock.now(),
                                  note=(note or "").strip()[:MAX_REASON])
    uow.session.add(snapshot)
    uow.commit()
    return {"id": snapshot.id, "year": year, "units": len(data["units"]), "frozen_by": user.name,
            "frozen_at": snapshot.frozen_at.isoformat()}
