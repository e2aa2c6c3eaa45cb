"""A year of proposals walked through the service layer, and its figures counted without the
engine's statistics: for the statistics tests (tests/stats_year.py, a small year) and
`python -m bench.seed_year` (seed 004's year of 210 proposals).

The walk completes each task as the person it is for (engine/tooling/demo.py `act`), as a
person would; `independent_counts` reads the rows with plain SQL and counts in Python, so that
a figure of the 统计分析 page, the API, the Excel export or the Word report can be checked
against a count that shares no code with engine/queries/statistics.
"""
import json
from collections import Counter
from collections.abc import Collection
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.adapters.db import Database
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
from engine.workflow.runtime import Runtime

FACE_TO_FACE = ("meeting", "visit", "inspection")  # the default of a region's statistics.face_to_face
COMMITTEE, SUPERVISOR = "tawei_li", "dcs_zhou"  # the demo's committee clerk and supervision office


def new_proposal(db: Database, rt: Runtime, proposer: str, title: str, category: str,
                 cosigners: Collection[str] = (), source: str = "ordinary") -> int:
    """Submit a proposal (co-signers agree at once); returns its id."""
    pid = submit(db, rt, proposer, title, category, f"{title}。现状和问题分析如下：……", "一是……；二是……。", cosigners,
                 source)
    for other in cosigners:
        act(db, rt, other, "cosigner_confirm", {"agree": True, "comment": "同意联名"}, pid)
    return pid


def file_and_assign(db: Database, rt: Runtime, pid: int, category: str, leads: Collection[str],
                    assists: Collection[str] = (), mode: str | None = None) -> None:
    """The committee files the proposal and assigns it to `leads` (with `assists` assisting)."""
    act(db, rt, COMMITTEE, "review", {**FILE, "category": category}, pid)
    mode = mode or ("joint" if assists else "single")
    act(db, rt, COMMITTEE, "assign", {"assign_mode": mode, "lead_unit_ids": list(leads),
                                      "assisting_unit_ids": list(assists), "is_key": False}, pid)


def handle(db: Database, rt: Runtime, pid: int, lead: str, klass: str, way: str, rated: str | None, proposer: str,
           assists: Collection[str] = (), cosigners: Collection[str] = ()) -> None:
    """The lead accepts, plans, consults (way `way`) as often as the region asks, replies with
    class `klass` through the region's approval chain; the raters rate `rated` (None: nobody
    rates yet, the proposal waits for its rating)."""
    def a(who: str, task: str, data: dict[str, Any]) -> None:
        act(db, rt, who, task, data, pid)
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
    a(SUPERVISOR, "supervise_review", {"final_class": klass, "approved": True})
    if rated is None:
        return
    for rater in (proposer, *cosigners):  # every rating counts: the co-signers rate too
        a(rater, "rate_reply", rating(rated))


def follow_up(db: Database, rt: Runtime, pid: int, lead: str, done: bool) -> None:
    """A followed-up reply (跟踪落实): the plan and a progress report; `done`: the work is
    finished and the committee closes the proposal."""
    act(db, rt, f"{lead}_clerk", "followup_plan", {"followup_plan": "分两期实施，年内完成第一期。",
                                                   "followup_responsible": "规划科 赵科长",
                                                   "followup_deadline": "2027-06-30"}, pid)
    act(db, rt, f"{lead}_clerk", "progress_report", {"report_date": "2026-11-30", "report_progress": "第一期已完成。",
                                                     "report_done": done}, pid)
    if done:
        act(db, rt, COMMITTEE, "close_confirm", {"close_approved": True}, pid)


def _data(value: dict[str, Any] | str | None) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value or "null") or {}


def independent_counts(session: Session, year: int, face_to_face: Collection[str] = FACE_TO_FACE,
                       unrated: str = "unrated") -> dict[str, int]:
    """The headline of `year` counted without the engine's statistics: plain SQL rows, counted in Python."""
    proposals = session.execute(text("SELECT id, number, status FROM proposals WHERE year = :y"), {"y": year}).all()
    filed = {p.id for p in proposals if p.number is not None}
    leads = session.execute(text("SELECT proposal_id, unit_id, reply_class, satisfaction FROM proposal_units "
                                 "WHERE role = 'lead'")).all()
    leads = [row for row in leads if row.proposal_id in filed]
    status = {p.id: p.status for p in proposals}
    events = session.execute(text("SELECT proposal_id, unit_id, task_name, kind, data, at FROM events")).all()
    reply_at: dict[tuple, Any] = {}
    for e in events:
        if e.kind == "milestone" and e.task_name == "send_reply":
            key = (e.proposal_id, e.unit_id)
            reply_at[key] = min(reply_at.get(key, e.at), e.at)
    met = set()
    for e in events:
        key = (e.proposal_id, e.unit_id)
        if (e.task_name == "consultation" and e.kind == "task_completed"
                and _data(e.data).get("contact_way") in face_to_face and key in reply_at and e.at <= reply_at[key]):
            met.add(key)
    late = {(r.proposal_id, r.lead_unit) for r in session.execute(text(
        "SELECT proposal_id, lead_unit FROM overdue_records WHERE kind = 'reply'"))}
    replied = [row for row in leads if row.reply_class is not None]
    unassigned = filed - {row.proposal_id for row in leads}
    counts = {
        "submitted": len(proposals), "filed": len(filed),
        "not_filed": sum(1 for p in proposals if p.status == "not_filed"),
        "merged": sum(1 for p in proposals if p.status == "merged"),
        "converted": sum(1 for p in proposals if p.status == "converted"),
        "handlings": len(leads) + len(unassigned), "assigned": len(leads), "replied": len(replied),
        "on_time": sum(1 for row in replied if (row.proposal_id, row.unit_id) not in late),
        "closed": sum(1 for row in leads if status[row.proposal_id] == "closed")
                  + sum(1 for pid in unassigned if status[pid] == "closed"),
        "met": len({(row.proposal_id, row.unit_id) for row in replied} & met),
        "rated": sum(1 for row in leads if row.satisfaction not in (None, unrated)),
    }
    assists = {(r.proposal_id, r.unit_id) for r in session.execute(text(
        "SELECT proposal_id, unit_id FROM proposal_units WHERE role = 'assist'")) if r.proposal_id in filed}
    opinions = {(e.proposal_id, e.unit_id) for e in events if e.task_name == "assist_opinion" and e.kind == "task_completed"}
    counts["assist_parts"], counts["assist_opinions"] = len(assists), len(assists & opinions)
    counts["second"] = len({(e.proposal_id, e.unit_id) for e in events if e.task_name == "second_handling"
                            and e.kind == "task_completed" and e.proposal_id in filed})
    counts.update({f"class:{k}": n for k, n in Counter(row.reply_class for row in replied).items()})
    counts.update({f"sat:{k}": n for k, n in Counter(row.satisfaction for row in leads if row.satisfaction).items()})
    counts["lead_units"] = len({row.unit_id for row in leads})
    counts.update({f"category:{k}": n for k, n in Counter(
        c for (c,) in session.execute(text("SELECT category FROM proposals WHERE year = :y AND number IS NOT NULL"),
                                      {"y": year})).items()})
    return counts
