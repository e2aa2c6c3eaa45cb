"""Batch review and assignment (批量审查交办): one submit applies a whole page.

Each row is one proposal waiting at its review (forms/review.json) or its
assignment (forms/assign.json) task. A row goes through its own case step
(`cases.complete_task`) with its own validation and event log, in a savepoint of
its own: a row filed and assigned at once completes both tasks in one step on its
case (one load, run and store; each task still checked against its form and logged
as its own event), so a refused assignment leaves the review undone too (never a
half-applied row). A refused row is rolled back to its savepoint and reported with
its error; the other rows go through. The rows are committed CHUNK_ROWS at a time.

A row (all keys but task_id optional):
    task_id, version (the case version read with the page),
    decision (file | not_file | merge | opinion; review rows), reason, merge_into_id,
    category (the corrected category; review rows),
    lead_unit_ids, assisting_unit_ids, assign_mode (single | joint | separate; derived
    from the units when left out), is_key, supervising_leader, assign_note.
A review row filed with lead units is assigned in the same step; a row with
nothing to do (no decision, no lead unit) is skipped.
"""
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from engine.adapters.db import CONFLICT_MESSAGE, Database, UnitOfWork, lost_to_concurrent, stored
from engine.model.errors import Conflict, EngineError, Forbidden, InvalidForm
from engine.model.tables import OpenTask, Proposal, User
from engine.rules.permissions import may_review_in_batch
from engine.services import cases
from engine.workflow import batch_cache, case_lock
from engine.workflow.runtime import Runtime

REVIEW_FORM, ASSIGN_FORM = "review", "assign"
MAX_ROWS = 200
CHUNK_ROWS = 50  # rows per transaction: bounds how long a submit holds its locks (all of SQLite's)
ROW_KEYS = {"task_id", "version", "decision", "reason", "merge_into_id", "category", "lead_unit_ids",
            "assisting_unit_ids", "assign_mode", "is_key", "supervising_leader", "assign_note"}


def require_batch(user: User) -> None:
    """Refuse anyone but the committee (engine/rules/permissions.py)."""
    if not may_review_in_batch(user):
        raise Forbidden("只有提案委员会可以批量审查交办")


def apply_page(database: Database, rt: Runtime, user: User, rows: object) -> dict:
    """Apply every row, each all or nothing; returns
    {"applied", "refused", "skipped", "rows": [one result per row, in order]}.
    A result is {"row", "task_id", "proposal_id", "ok", "skipped", "status", "status_label", "number",
    "message", "errors"}.

    Rows are applied CHUNK_ROWS to a transaction, each row in a savepoint of its own: a refused
    row is rolled back to its savepoint, whole, and the others of the chunk go on."""
    require_batch(user)
    if not isinstance(rows, list) or not rows:
        raise InvalidForm("没有要办理的提案", [{"field": "rows", "message": "请至少填写一行"}])
    if len(rows) > MAX_ROWS:
        raise InvalidForm("一次提交的提案过多", [{"field": "rows", "message": f"一次最多 {MAX_ROWS} 件"}])
    results = []
    for first in range(0, len(rows), CHUNK_ROWS):
        results += _apply_chunk(database, rt, user.id, rows[first:first + CHUNK_ROWS], first + 1)
    return {"applied": sum(1 for r in results if r["ok"]),
            "refused": sum(1 for r in results if not r["ok"] and not r["skipped"]),
            "skipped": sum(1 for r in results if r["skipped"]), "rows": results}


def _apply_chunk(database: Database, rt: Runtime, user_id: int, rows: list, first: int) -> list[dict]:
    """Rows numbered from `first`, in one transaction, each in its own savepoint."""
    with UnitOfWork(database) as uow:
        session = uow.session
        # SQLite: the write lock from the start, so that the savepoints nest (the driver would begin
        # only at the first write, and a savepoint outside a transaction would commit on release)
        case_lock.lock_for_writing(session)
        batch_cache.start(session)  # unit names and task recipients read once for the chunk's steps
        user = stored(session, User, user_id)
        # (each row's case is locked together with its definition's hash, and the parsed
        # definition comes from the runtime: no definition row is read per row)
        results = [apply_row(uow, rt, user, row, n) for n, row in enumerate(rows, first)]
        uow.commit()
    return results


def apply_row(uow: UnitOfWork, rt: Runtime, user: User, row: object, n: int = 1) -> dict:
    """One row in a savepoint of the caller's transaction: kept whole, or rolled back whole."""
    result: dict[str, Any] = {
        "row": n, "task_id": row.get("task_id") if isinstance(row, dict) else None, "proposal_id": None,
        "ok": False, "skipped": False, "status": None, "status_label": None, "number": None, "title": None,
        "message": None, "errors": []}
    session = uow.session
    try:
        with session.begin_nested():
            if _apply(uow, rt, user, row, result):
                session.flush()
                proposal = stored(session, Proposal, result["proposal_id"])
                result.update(ok=True, status=proposal.status, number=proposal.number, title=proposal.title,
                              status_label=rt.stage_labels.get(proposal.status, proposal.status))
    except EngineError as err:
        errors = getattr(err, "errors", None) or err.details.get("errors") or []
        result.update(ok=False, message=err.message, errors=errors)
    except (DBAPIError, StaleDataError) as err:  # a concurrent step got there first: this row is refused
        if not lost_to_concurrent(err):
            raise
        result.update(ok=False, message=CONFLICT_MESSAGE, errors=[])
    return result


def _apply(uow: UnitOfWork, rt: Runtime, user: User, row: object, result: dict) -> bool:
    """Do the row's steps (not committed); False when the row has nothing to do. A review row
    filed with lead units is assigned in the same case step (cases.complete_task's `then`)."""
    if not isinstance(row, dict) or not isinstance(row.get("task_id"), str):
        raise InvalidForm("行数据无效", [{"field": "task_id", "message": "缺少待办编号"}])
    unknown = sorted(set(row) - ROW_KEYS)
    if unknown:
        raise InvalidForm("行数据无效", [{"field": k, "message": "不支持的字段"} for k in unknown])
    session = uow.session
    # the open task and its proposal in one read (the step then finds both in the session)
    found = session.execute(_TASK_AND_PROPOSAL, {"task_id": row["task_id"]}).first()
    if found is None or found[0].form not in (REVIEW_FORM, ASSIGN_FORM):
        raise Conflict("该提案已不在审查立案或交办环节，请刷新后重试")
    task, proposal = found
    result["proposal_id"] = task.proposal_id
    version = row.get("version") if isinstance(row.get("version"), int) else None
    leads = row.get("lead_unit_ids") or []
    if task.form == REVIEW_FORM:
        if not row.get("decision"):
            result["skipped"] = True
            return False
        then = [(ASSIGN_FORM, assign_data(row))] if row["decision"] == "file" and leads else []
        cases.complete_task(uow, rt, user, task.id, review_data(row, proposal), expected_version=version,
                            commit=False, then=then)
        return True
    if not leads:
        result["skipped"] = True
        return False
    try:
        cases.complete_task(uow, rt, user, task.id, assign_data(row), expected_version=version, commit=False)
    except InvalidForm as err:
        raise InvalidForm(f"交办：{err.message}", err.errors) from None
    return True


_TASK_AND_PROPOSAL = (select(OpenTask, Proposal).join(Proposal, Proposal.id == OpenTask.proposal_id)
                      .where(OpenTask.id == bindparam("task_id")))  # built once


def review_data(row: dict, proposal: Proposal) -> dict:
    """The review form's data of a row (forms/review.json)."""
    data = {"review_decision": row["decision"], "category": row.get("category") or proposal.category}
    if row.get("reason"):
        data["review_reason"] = row["reason"]
    if row["decision"] == "merge" and row.get("merge_into_id") not in (None, ""):
        data["merge_into_id"] = row["merge_into_id"]
    return data


def assign_data(row: dict) -> dict:
    """The assignment form's data of a row (forms/assign.json); the mode follows the units
    when the row does not give it: assisting units make it joint, several leads separate."""
    leads, assisting = list(row.get("lead_unit_ids") or []), list(row.get("assisting_unit_ids") or [])
    mode = row.get("assign_mode") or ("joint" if assisting else "separate" if len(leads) > 1 else "single")
    data = {"assign_mode": mode, "lead_unit_ids": leads, "assisting_unit_ids": assisting,
            "is_key": bool(row.get("is_key"))}
    if row.get("is_key") and row.get("supervising_leader"):
        data["supervising_leader"] = row["supervising_leader"]
    if row.get("assign_note"):
        data["assign_note"] = row["assign_note"]
    return data
