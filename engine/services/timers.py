"""The timer worker: fire the timers that are due, case by case.

Due cases are found through the indexed `cases.next_timer_at` column, never by
loading every case. Each case is handled in its own transaction; on
PostgreSQL the rows are claimed with FOR UPDATE SKIP LOCKED (engine.workflow.step.lock_case)
so several workers share the work, and the case version check means a timer whose
firing another worker already committed is never applied twice (its reminders and
records roll back with it). SQLite has no SKIP LOCKED: there one worker
runs per database file and rounds take turns (engine/adapters/worker_lock.py).
"""
import logging
import threading

from sqlalchemy import select

from engine.adapters import worker_lock
from engine.model import clock
from engine.workflow import faults
from engine.adapters import outbox as notify
from engine.workflow import step as steps
from engine.adapters.db import UnitOfWork
from engine.model.errors import Conflict, EngineError
from engine.model.tables import Case, Proposal

log = logging.getLogger(__name__)


def due_cases(session, now, limit: int = 50, lock: bool = False) -> list[int]:
    """Ids of running cases with a timer due at `now`, earliest first."""
    query = (select(Case.id).where(Case.completed.is_(False), Case.next_timer_at.is_not(None),
                                   Case.next_timer_at < now)  # SpiffWorkflow fires only once the time has passed
             .order_by(Case.next_timer_at).limit(limit))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def fire_case(database, rt, case_id: int) -> bool:
    """Fire the due timers of one case and run what follows; True if it was handled here."""
    try:
        with UnitOfWork(database) as uow:
            session = uow.session
            case = steps.lock_case(session, case_id, skip_locked=True)
            now = clock.now()
            if case is None or case.completed or case.next_timer_at is None or case.next_timer_at >= now:
                return False  # another worker has it, or got there first
            proposal = session.get(Proposal, case.proposal_id)
            bundle = rt.bundle_of_case(session, case)
            step = steps.Step(uow, rt, case, proposal, bundle, None)
            fire_due(step, step.load())
            uow.commit()
            return True
    except Conflict:  # a step on the case committed meanwhile: it stays due and is fired next round
        return False


def fire_due(step: steps.Step, workflow) -> None:
    """Fire the step's workflow's timers that are due, run what follows and store the case
    (not committed): the one way timers fire, for the worker (`fire_case`) and the replay."""
    with faults.diagram_errors():
        workflow.refresh_timers()
    step.advance(workflow)
    step.save(workflow)


def run_once(database, rt, limit: int = 50) -> dict:
    """Fire every due timer once, then deliver due notifications; returns counts.

    On SQLite the round holds the database's round lock: a round of another
    process (the server's worker, `cppcc run-timers`) is waited for, never raced.
    """
    with worker_lock.one_round(database):
        clock.sync()  # the demo's clock may have been moved by another process
        return _round(database, rt, limit)


def _round(database, rt, limit: int) -> dict:
    now = clock.now()
    lock = database.engine.dialect.name == "postgresql"
    fired = failed = 0
    with UnitOfWork(database) as uow:
        ids = due_cases(uow.session, now, limit)
    for case_id in ids:
        try:
            fired += fire_case(database, rt, case_id)
        except EngineError as err:
            failed += 1
            log.error("案件 %s 的定时任务出错：%s", case_id, err.message)
    delivered = notify.deliver_due(database, rt.settings, clock.real_now())  # real messages: real time
    return {"cases": len(ids), "fired": fired, "failed": failed, "lock": lock, "delivery": delivered}


class Worker:
    """Runs `run_once` every `interval` seconds until stopped (a thread or the foreground)."""

    def __init__(self, database, rt, interval: float = 30.0, who: str = "cppcc worker"):
        self.database, self.rt, self.interval, self.who = database, rt, interval, who
        self._stop = threading.Event()
        self._held = None

    def claim(self) -> None:
        """Become the database's worker: on SQLite take its worker lock, or raise
        worker_lock.WorkerBusy (in Chinese, naming the process that has it)."""
        if self._held is None:
            self._held = worker_lock.hold_worker(self.database, self.who) or True

    def run(self) -> None:
        """Claim the database, then loop until `stop()`; errors are logged and the loop goes on."""
        self.claim()
        while not self._stop.is_set():
            try:
                result = self.run_once()
                if result["fired"] or result["failed"]:
                    log.info("定时任务本轮：到期案件 %d 件，已处理 %d 件，出错 %d 件",
                             result["cases"], result["fired"], result["failed"])
            except Exception:  # keep the worker alive; the case stays due and is retried
                log.exception("定时任务本轮出错，下一轮重试")
            self._stop.wait(self.interval)

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
