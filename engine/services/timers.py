"""The timer worker: fire the timers that are due, a batch of cases at a time.

Due cases are found through the indexed `cases.next_timer_at` column, never by
loading every case. A round claims up to BATCH due cases with one query and fires
them in one transaction (`fire_batch`); on PostgreSQL the claim is FOR UPDATE SKIP
LOCKED, so several workers share the work and never take the same case, and the
case version check means a timer whose firing another step already committed is
never applied twice (its reminders and records roll back with it). A case that
fails rolls its batch back, and that batch's cases are then fired one by one, each
in its own transaction (`fire_case`), so only the broken one stays due. SQLite has
no SKIP LOCKED: there one worker runs per database file and rounds take turns
(engine/adapters/worker_lock.py); a batch holds the write lock while it fires, so it is
kept to SQLITE_BATCH cases there.
A definition version is read and looked up once per round, not once per case.
"""
import logging
import threading
import time
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.adapters import outbox as notify, worker_lock
from engine.adapters.db import Database, UnitOfWork, lost_to_concurrent
from engine.model import clock
from engine.model.errors import Conflict, EngineError
from engine.model.tables import Case, Proposal, Unit
from engine.services.upload_sweep import sweep_uploads
from engine.workflow import batch_cache, faults, step as steps
from engine.workflow.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 20  # due cases fired in one transaction (PostgreSQL: the rows of one batch are locked)
# SQLite has one writer: a batch holds the database's write lock, so keep it short for people's steps
SQLITE_BATCH = 4
# the worker's sweep of unreferenced upload files: an hour after it starts, then daily
SWEEP_AFTER, SWEEP_EVERY = timedelta(hours=1), timedelta(days=1)


def due_cases(session: Session, now: datetime, limit: int = 50, lock: bool = False) -> list[int]:
    """Ids of running cases with a timer due at `now`, earliest first."""
    query = (select(Case.id).where(Case.completed.is_(False), Case.next_timer_at.is_not(None),
                                   Case.next_timer_at < now)  # SpiffWorkflow fires only once the time has passed
             .order_by(Case.next_timer_at).limit(limit))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def fire_case(database: Database, rt: Runtime, case_id: int) -> bool:
    """Fire the due timers of one case and run what follows; True if it was handled here."""
    try:
        with UnitOfWork(database) as uow:
            session = uow.session
            case = steps.lock_case(session, case_id, skip_locked=True)
            now = clock.now()
            if case is None or case.completed or case.next_timer_at is None or case.next_timer_at >= now:
                return False  # another worker has it, or got there first
            proposal = session.get_one(Proposal, case.proposal_id)
            bundle = rt.bundle_of_case(session, case)
            step = steps.Step(uow, rt, case, proposal, bundle, None)
            fire_due(step, step.load())
            uow.commit()
            return True
    except Conflict:  # a step on the case committed meanwhile: it stays due and is fired next round
        return False


def fire_due(step: steps.Step, workflow: BpmnWorkflow) -> None:
    """Fire the step's workflow's timers that are due, run what follows and store the case
    (not committed): the one way timers fire, for the worker (`fire_case`) and the replay."""
    with faults.diagram_errors():
        workflow.refresh_timers()
    step.advance(workflow)
    step.save(workflow)


def run_once(database: Database, rt: Runtime, limit: int = 50) -> dict:
    """Fire every due timer once, then deliver due notifications; returns counts.

    On SQLite the round holds the database's round lock: a round of another
    process (the server's worker, `cppcc run-timers`) is waited for, never raced.
    """
    with worker_lock.one_round(database):
        clock.sync()  # the demo's clock may have been moved by another process
        return _round(database, rt, limit)


def _round(database: Database, rt: Runtime, limit: int) -> dict:
    lock = database.engine.dialect.name == "postgresql"
    fired = failed = seen = 0
    tried: set[int] = set()
    bundles: dict = {}  # definition id -> parsed bundle, for this round (a stored version never changes)
    size = BATCH if lock else min(BATCH, SQLITE_BATCH)
    while seen < limit:
        batch = fire_batch(database, rt, min(size, limit - seen), tried, bundles)
        if batch is None:
            break
        ids, done, one_by_one = batch
        seen, fired = seen + len(ids), fired + done
        for case_id in one_by_one:
            try:
                fired += fire_case(database, rt, case_id)
            except EngineError as err:
                failed += 1
                log.error("案件 %s 的定时任务出错：%s", case_id, err.message)
    delivered = notify.deliver_due(database, rt.settings, clock.real_now())  # real messages: real time
    return {"cases": seen, "fired": fired, "failed": failed, "lock": lock, "delivery": delivered}


def fire_batch(database: Database, rt: Runtime, size: int, tried: set, bundles: dict) -> tuple[list[int], int, list[int]] | None:
    """Claim up to `size` due cases (not in `tried`) and fire those of the proposal process in one
    transaction; returns (the ids claimed, how many fired, the ids left to `fire_case` one by one),
    or None when nothing is due.

    On PostgreSQL the claim is one SELECT ... FOR UPDATE SKIP LOCKED, so a case another worker
    holds is skipped and the batch's cases are this worker's until it commits; on SQLite the
    batch takes the database's write lock first (an empty update of its due rows), so what it
    reads is what the last writer committed. A case that fails, or a concurrent step that got
    there first, rolls the batch back: its cases are then fired one by one, each on its own.
    Side processes' cases lock their proposal's case first (engine.workflow.step.lock_case):
    they are always fired one by one."""
    with UnitOfWork(database) as uow:
        session = uow.session
        batch_cache.start(session)  # a batch changes no unit and no account: who is told is read once
        claimed, side = _claim(session, clock.now(), size, tried)
        ids = [case.id for case in claimed] + side
        if not ids:
            return None
        tried.update(ids)
        own = [case for case in claimed if case.process == steps.PROPOSAL_PROCESS]
        later = [case.id for case in claimed if case.process != steps.PROPOSAL_PROCESS] + side
        proposals = {p.id: p for p in session.scalars(select(Proposal).where(
            Proposal.id.in_({case.proposal_id for case in own})))}
        # the lead units, held for the batch: reminders name them (session.get finds them loaded)
        units = list(session.scalars(select(Unit).where(Unit.id.in_({p.lead_unit for p in proposals.values()}))))
        try:
            for case in own:
                bundle = bundles.get(case.definition_id)
                if bundle is None:
                    bundle = bundles[case.definition_id] = rt.bundle_of_case(session, case)
                step = steps.Step(uow, rt, case, proposals[case.proposal_id], bundle, None)
                fire_due(step, step.load())
            uow.commit()
            del units
        except Exception as err:  # the batch is rolled back (leaving the block); each case is tried on its own
            if not isinstance(err, EngineError) and not lost_to_concurrent(err):
                raise
            return ids, 0, ids
    return ids, len(own), later


def _claim(session: Session, now: datetime, size: int, tried: set) -> tuple[list[Case], list[int]]:
    """(the due cases claimed for this batch, read afresh; ids of due side-process cases, not claimed)."""
    due = [Case.completed.is_(False), Case.next_timer_at.is_not(None), Case.next_timer_at < now]
    if tried:
        due.append(Case.id.not_in(tried))
    rows = (select(Case).where(*due).order_by(Case.next_timer_at).limit(size)
            .execution_options(populate_existing=True))
    found = session.execute(select(Case.id, Case.process).where(*due).order_by(Case.next_timer_at).limit(size)).all()
    if not found:  # nothing due (the empty round): one indexed query, no lock taken
        return [], []
    if session.get_bind().dialect.name == "postgresql":  # the next unlocked ones, whichever were found
        side = [case_id for case_id, process in found if process != steps.PROPOSAL_PROCESS]
        own = rows.where(Case.process == steps.PROPOSAL_PROCESS).with_for_update(skip_locked=True)
        return list(session.scalars(own)), side
    ids = [case_id for case_id, _ in found]
    session.execute(update(Case).where(Case.id.in_(ids)).values(id=Case.id)  # the write lock
                    .execution_options(synchronize_session=False))
    return list(session.scalars(rows.where(Case.id.in_(ids)))), []


class Worker:
    """Runs `run_once` every `interval` seconds until stopped (a thread or the foreground), and
    once a day sweeps the upload directory of files no attachment refers to
    (engine/services/upload_sweep.py), the first time SWEEP_AFTER after it starts."""

    def __init__(self, database: Database, rt: Runtime, interval: float = 30.0, who: str = "cppcc worker") -> None:
        self.database, self.rt, self.interval, self.who = database, rt, interval, who
        self._stop = threading.Event()
        self._held: worker_lock.Held | bool | None = None
        self._next_sweep = time.monotonic() + SWEEP_AFTER.total_seconds()

    def claim(self) -> None:
        """Become the database's worker: on SQLite take its worker lock, or raise
        worker_lock.WorkerBusy (in Chinese, naming the process that has it)."""
        if self._held is None:
            self._held = worker_lock.hold_worker(self.database, self.who) or True

    def run(self) -> None:
        """Claim the database, then loop until `stop()`; errors are logged and the loop goes on.
        A loop that ends gives the database's worker lock up (SQLite)."""
        self.claim()
        try:
            self._loop()
        finally:
            self.release()

    def release(self) -> None:
        """Stop being the database's worker (SQLite: its worker lock is given up); idempotent."""
        held, self._held = self._held, None
        if isinstance(held, worker_lock.Held):
            held.release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.run_once()
                if result["fired"] or result["failed"]:
                    log.info("定时任务本轮：到期案件 %d 件，已处理 %d 件，出错 %d 件",
                             result["cases"], result["fired"], result["failed"])
            except Exception:  # keep the worker alive; the case stays due and is retried
                log.exception("定时任务本轮出错，下一轮重试")
            if time.monotonic() >= self._next_sweep:
                self.sweep()
            self._stop.wait(self.interval)

    def sweep(self) -> None:
        """Sweep the upload directory now (logged), and again a day later; errors are logged."""
        self._next_sweep = time.monotonic() + SWEEP_EVERY.total_seconds()
        try:
            with UnitOfWork(self.database) as uow:
                result = sweep_uploads(uow.session, self.rt.settings)
        except Exception:
            log.exception("清理无引用的上传文件时出错，明天再试")
            return
        if result.removed:
            log.info("已清理无附件引用的上传文件 %d 个（%d 字节）", len(result.removed), result.removed_bytes)

    def run_once(self) -> dict:
        """One round (after claiming the database): due timers, then due notifications."""
        self.claim()
        return run_once(self.database, self.rt)

    def start_thread(self) -> threading.Thread:
        """Claim the database here (WorkerBusy is raised to the caller), then run in a
        daemon thread (the embedded default: the server runs the worker)."""
        self.claim()
        thread = threading.Thread(target=self.run, name="cppcc-timers", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask the loop to end after the current round."""
        self._stop.set()
