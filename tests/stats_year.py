"""A small year of proposals walked through the service layer (示范区), for the statistics
tests: each proposal's fate is chosen so that the expected table below can be counted by
hand. The walk uses the demo's helpers (engine/tooling/demo.py), as a person would.

    P1  urban     jtw   A, met face to face, satisfied → closed
    P2  economy   kw    B, contact by phone only, basically satisfied → follow-up (not closed)
    P3  culture   jyj   C, visit, satisfied → closed
    P4  urban     sthj + jsgl separately: both A, meeting, satisfied → closed (two handlings)
    P5  social    mzj with wjw assisting, co-signed by wy_zhang: A, meeting, satisfied → closed
    P6  urban     returned by jtw, reassigned to jsgl: A, meeting, satisfied → closed
    P7  economy   not filed
    P8  urban     merged
    P9  economy   kw, accepted, not yet replied
    P10 general   filed, not yet assigned
"""
from sqlalchemy import select, update

from engine.adapters.db import UnitOfWork
from engine.model.tables import Proposal
from engine.tooling.demo import (
    ACCEPT,
    APPROVE,
    FILE,
    OPINION,
    act,
    act_as_anyone,
    consult,
    open_task_names,
    plan,
    rating,
    reply,
    submit,
)

EXPECTED = {  # the headline of the year, counted by hand from the list above
    "submitted": 10, "filed": 8, "not_filed": 1, "merged": 1, "converted": 0,
    "handlings": 9, "assigned": 8, "replied": 7, "on_time": 7, "closed": 6, "met": 6, "rated": 7,
    "class:A": 5, "class:B": 1, "class:C": 1, "sat:satisfied": 6, "sat:basically_satisfied": 1,
    "sat:unsatisfied": 0, "second": 0, "assist_parts": 1, "assist_opinions": 1,
}
EXPECTED_UNITS = {  # lead unit: (handlings, replied, met)
    "jtw": (1, 1, 1), "kw": (2, 1, 0), "jyj": (1, 1, 1), "sthj": (1, 1, 1), "jsgl": (2, 2, 2), "mzj": (1, 1, 1),
}
EXPECTED_CATEGORIES = {"urban": 3, "economy": 2, "culture": 1, "social": 1, "general": 1}  # filed


def _new(db, rt, proposer, title, category, cosigners=()):
    pid = submit(db, rt, proposer, title, category, f"{title}。现状和问题分析如下：……", "一是……；二是……。", cosigners)
    for other in cosigners:
        act(db, rt, other, "cosigner_confirm", {"agree": True, "comment": "同意联名"}, pid)
    return pid


def _assign(db, rt, pid, category, leads, assists=(), mode=None):
    act(db, rt, "tawei_li", "review", {**FILE, "category": category}, pid)
    mode = mode or ("joint" if assists else "single")
    act(db, rt, "tawei_li", "assign", {"assign_mode": mode, "lead_unit_ids": list(leads),
                                       "assisting_unit_ids": list(assists), "is_key": False}, pid)


def _reply(db, rt, pid, lead, klass, way, rated, proposer, assists=(), cosigners=()):
    a = lambda who, task, data: act(db, rt, who, task, data, pid)  # noqa: E731
    a(f"{lead}_clerk", "accept", ACCEPT)
    a(f"{lead}_clerk", "plan_draft", plan())
    a(f"{lead}_head", "plan_approve", APPROVE)
    for unit in assists:
        a(f"{unit}_clerk", "assist_opinion", OPINION)
    while "consultation" in open_task_names(db, pid):
        a(f"{lead}_clerk", "consultation", consult(contact_way=way))
    a(f"{lead}_clerk", "reply_draft", reply(klass))
    for unit in assists:
        a(f"{unit}_head", "cosign_reply", {"agree": True})
    a(f"{lead}_head", "head_approve", APPROVE)
    for _ in range(5):
        waiting = [t for t in open_task_names(db, pid) if t in ("gov_review", "deputy_approve")]
        if not waiting:
            break
        act_as_anyone(db, rt, waiting[0], APPROVE, pid)
    a("dcs_zhou", "supervise_review", {"final_class": klass, "approved": True})
    for rater in (proposer, *cosigners):  # every rating counts: the co-signers rate too
        a(rater, "rate_reply", rating(rated))


def make_year(db, rt) -> dict:
    """Walk the year; returns {"P1": id, …}."""
    ids = {}
    ids["P1"] = p = _new(db, rt, "wy_chen", "关于优化公交线路的建议", "urban")
    _assign(db, rt, p, "urban", ["jtw"])
    _reply(db, rt, p, "jtw", "A", "meeting", "satisfied", "wy_chen")
    ids["P2"] = p = _new(db, rt, "wy_lin", "关于支持小微企业融资的建议", "economy")
    _assign(db, rt, p, "economy", ["kw"])
    _reply(db, rt, p, "kw", "B", "phone", "basically_satisfied", "wy_lin")
    ids["P3"] = p = _new(db, rt, "wy_huang", "关于加强校园安全的建议", "culture")
    _assign(db, rt, p, "culture", ["jyj"])
    _reply(db, rt, p, "jyj", "C", "visit", "satisfied", "wy_huang")
    ids["P4"] = p = _new(db, rt, "wy_zhang", "关于加强河道综合治理的建议", "urban")
    _assign(db, rt, p, "urban", ["sthj", "jsgl"], mode="separate")
    for unit in ("sthj", "jsgl"):
        _reply(db, rt, p, unit, "A", "meeting", "satisfied", "wy_zhang")
    ids["P5"] = p = _new(db, rt, "wy_chen", "关于发展社区嵌入式养老的建议", "social", cosigners=["wy_zhang"])
    _assign(db, rt, p, "social", ["mzj"], assists=["wjw"])
    _reply(db, rt, p, "mzj", "A", "meeting", "satisfied", "wy_chen", assists=["wjw"], cosigners=["wy_zhang"])
    ids["P6"] = p = _new(db, rt, "wy_lin", "关于规范共享单车停放的建议", "urban")
    _assign(db, rt, p, "urban", ["jtw"])
    act(db, rt, "jtw_clerk", "accept", {"accept_decision": "return", "return_reason": "不属于本单位职责"}, p)
    act(db, rt, "tawei_li", "reassign", {"new_lead_unit": "jsgl", "reassign_note": "改由建设管理部门办理"}, p)
    _reply(db, rt, p, "jsgl", "A", "meeting", "satisfied", "wy_lin")
    ids["P7"] = p = _new(db, rt, "wy_huang", "关于调整个人所得税起征点的建议", "economy")
    act(db, rt, "tawei_li", "review", {"review_decision": "not_file", "category": "economy",
                                       "review_reason": "不属于本区职权范围"}, p)
    ids["P8"] = p = _new(db, rt, "wy_zhang", "关于再次优化公交线路的建议", "urban")
    act(db, rt, "tawei_li", "review", {"review_decision": "merge", "category": "urban", "merge_into_id": ids["P1"],
                                       "merge_into": "关于优化公交线路的建议"}, p)
    ids["P9"] = p = _new(db, rt, "wy_chen", "关于完善创业担保贷款的建议", "economy")
    _assign(db, rt, p, "economy", ["kw"])
    act(db, rt, "kw_clerk", "accept", ACCEPT, p)
    ids["P10"] = p = _new(db, rt, "wy_lin", "关于提升政务服务效能的建议", "general")
    act(db, rt, "tawei_li", "review", {**FILE, "category": "general"}, p)
    return ids


def move_to_last_year(db, proposal_id: int) -> None:
    """Count one proposal in the year before (as if submitted then): the year filter must leave it out."""
    with UnitOfWork(db) as uow:
        year = uow.session.scalar(select(Proposal.year).where(Proposal.id == proposal_id))
        uow.session.execute(update(Proposal).where(Proposal.id == proposal_id).values(year=year - 1))
        uow.commit()
