"""Locking a case before a step changes it (engine/workflow/step.py says in which order).

`lock_case` reads the case row afresh, locked for the rest of the transaction, together with
its definition's hash, so that finding the case's parsed definition reads nothing more.
"""
import functools
from typing import cast

from sqlalchemy import CursorResult, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from engine.model.tables import Case, ProcessDefinition

PROPOSAL_PROCESS = "proposal"
_WRITE_LOCKED = "cppcc_write_locked"  # session.info key: `lock_for_writing` took SQLite's write lock


def lock_for_writing(session: Session) -> None:
    """Begin the session's transaction holding the write lock (SQLite: BEGIN IMMEDIATE; on
    PostgreSQL nothing: rows are locked one by one). Call it before anything is read; the steps
    of the transaction then take no lock of their own on SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        session.info[_WRITE_LOCKED] = True


def lock_case(session: Session, case_id: int, skip_locked: bool = False) -> Case | None:
    """The case row, locked for the rest of the transaction and read afresh.

    Call it before the step writes anything. PostgreSQL: SELECT ... FOR UPDATE
    (SKIP LOCKED for the timer worker: None when another one has it); a side
    process's case locks its proposal's case first. SQLite locks the whole
    database for a writer: the step takes the write lock now (an empty update),
    so that what it reads next is what the previous writer committed."""
    table = cast(Table, Case.__table__)
    if session.get_bind().dialect.name != "postgresql":
        if session.info.get(_WRITE_LOCKED):  # the transaction holds the write lock (lock_for_writing)
            return _read(session, case_id)
        taken = session.execute(table.update().where(table.c.id == case_id).values(id=table.c.id))
        return _read(session, case_id) if cast(CursorResult, taken).rowcount else None
    # A proposal's own case (nearly every step): one locked read, which finds nothing when the case
    # is a side process's; that one locks its proposal's case first, so its process is read first.
    case = _read(session, case_id, True, skip_locked, own_only=True)
    if case is not None:
        return case
    if skip_locked and session.scalar(select(table.c.id).where(table.c.id == case_id,
                                                               table.c.process == PROPOSAL_PROCESS)) is not None:
        return None  # a proposal's case another worker has locked
    # which process, read without loading the case's state (the locked read below loads it once)
    found = session.execute(select(table.c.process, table.c.proposal_id).where(table.c.id == case_id)).first()
    if found is None:
        return None
    if found.process != PROPOSAL_PROCESS:
        own = session.scalar(select(Case.id).where(Case.proposal_id == found.proposal_id,
                                                   Case.process == PROPOSAL_PROCESS))
        if own is not None and own != case_id and _read(session, own, True, skip_locked) is None:
            return None
    return _read(session, case_id, True, skip_locked)


def _read(session: Session, case_id: int, lock: bool = False, skip_locked: bool = False,
          own_only: bool = False) -> Case | None:
    """The case row read afresh (on PostgreSQL with `lock`: FOR UPDATE), with its definition's
    hash kept on it as `definition_hash` = (definition id, hash): Runtime.bundle_of_case then
    reads nothing more. `own_only`: only if it is a proposal's own case (else None)."""
    found = session.execute(_reading(lock, skip_locked, own_only), {"case_id": case_id}).first()
    if found is None:
        return None
    case, definition_hash = cast(Case, found[0]), found[1]
    case.definition_hash = (case.definition_id, definition_hash)  # type: ignore[attr-defined]  # not a column: read by Runtime.bundle_of_case
    return case


@functools.cache
def _reading(lock: bool, skip_locked: bool, own_only: bool) -> Select:
    """The statement `_read` runs, built once per kind (making it costs more than running it)."""
    query = (select(Case, ProcessDefinition.hash).join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
             .where(Case.id == bindparam("case_id")).execution_options(populate_existing=True))
    if own_only:
        query = query.where(Case.process == PROPOSAL_PROCESS)
    if lock:
        query = query.with_for_update(skip_locked=skip_locked, of=Case)
    return query
