"""Timer worker speed: firings per second, and an empty round flat in the number of waiting cases.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.timers [--due 2000] [--waiting 10000,100000]
                                                  [--database-url URL] [--profile] [--workers N]

Firing: one real case is submitted, filed and assigned through the service layer
at Friday 26 September 2025 10:00 (China time); it then waits at the lead unit's
acceptance, with the acceptance reminder armed (13 October, 09:00). Its rows
(proposal, people, units, open task, case state with fresh task ids) are
bulk-copied --due times, the clock is moved past the reminder (but before the
deadline), and worker rounds (`engine.services.timers.run_once`, as `cppcc worker`
runs them, delivery of the messages included) are run until no case is due.
Every copy fires its reminder once: a firing is one case's due timers fired, the
reminder message enqueued and the case stored.

--workers N (PostgreSQL) runs N worker processes side by side on the same due cases
(they share them through FOR UPDATE SKIP LOCKED); the figure is all firings over the
time from their common start to the last one's end. The worker CPU time per firing (of
this process, or of the N workers together) is printed too: on this shared machine the
figure that load disturbs least.

Empty round: cases.next_timer_at is filled by bulk SQL with --waiting rows whose
timers are a year away (small state: a non-due case is never loaded), and a
round with nothing due is timed (median of 50 rounds) at each level: the whole round
(message delivery included) and its due-case scan alone.

The database is a temporary SQLite file unless --database-url is given; that
database is emptied (all tables dropped and re-created) first.
"""
import argparse
import cProfile
import json
import multiprocessing
import os
import pstats
import re
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

from bench import database_url
from bench.step_cost import SUBMISSION, prepare_database
from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.settings import Settings
from engine.model.tables import Case, OpenTask, Proposal, ProposalPerson, ProposalUnit, User
from engine.services import cases, timers
from engine.workflow.runtime import Runtime

CHINA = clock.CHINA
START = datetime(2025, 9, 26, 10, 0, tzinfo=CHINA)
AFTER_REMINDER = datetime(2025, 10, 13, 9, 30, tzinfo=CHINA)  # past the acceptance reminder, before its deadline
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def template_case(db, rt) -> int:
    """A real case waiting at acceptance with its reminder armed; returns its proposal id."""
    with UnitOfWork(db) as uow:
        author = uow.session.scalar(select(User).where(User.username == "wy"))
        proposal_id = cases.submit_proposal(uow, rt, author, SUBMISSION).id
    for name, username, data in (
            ("review", "tw", {"review_decision": "file", "category": "urban"}),
            ("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "assisting_unit_ids": [],
                              "is_key": False})):
        with UnitOfWork(db) as uow:
            user = uow.session.scalar(select(User).where(User.username == username))
            row = uow.session.scalar(select(OpenTask).where(OpenTask.proposal_id == proposal_id,
                                                            OpenTask.name == name))
            cases.complete_task(uow, rt, user, row.id, data)
    return proposal_id


def _columns(row) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def copy_case(db, proposal_id: int, copies: int) -> None:
    """Bulk-copy the proposal's rows `copies` times, each with fresh task ids."""
    with UnitOfWork(db) as uow:
        s = uow.session
        proposal = _columns(s.get(Proposal, proposal_id))
        case = _columns(s.scalar(select(Case).where(Case.proposal_id == proposal_id)))
        people = [_columns(r) for r in s.scalars(select(ProposalPerson).where(ProposalPerson.proposal_id == proposal_id))]
        units = [_columns(r) for r in s.scalars(select(ProposalUnit).where(ProposalUnit.proposal_id == proposal_id))]
        tasks = [_columns(r) for r in s.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id))]
        first = (s.scalar(select(func.max(Proposal.id))) or 0) + 1
        state_text = json.dumps(case["state"])
        ids = sorted(set(UUID_RE.findall(state_text)) | {t["id"] for t in tasks})
        for start in range(0, copies, 500):
            batch = range(first + start, first + min(start + 500, copies))
            p_rows, c_rows, pp_rows, pu_rows, t_rows = [], [], [], [], []
            for pid in batch:
                fresh = {old: str(uuid.uuid4()) for old in ids}
                p_rows.append({**proposal, "id": pid, "number": f"{proposal['number']}-{pid}" if proposal["number"] else None})
                state = UUID_RE.sub(lambda m, fresh=fresh: fresh.get(m.group(0), m.group(0)), state_text)
                c_rows.append({**case, "id": None, "proposal_id": pid, "state": json.loads(state)})
                pp_rows += [{**r, "proposal_id": pid} for r in people]
                pu_rows += [{**r, "proposal_id": pid} for r in units]
                t_rows += [{**r, "id": fresh[r["id"]], "proposal_id": pid, "case_id": None} for r in tasks]
            s.execute(insert(Proposal), p_rows)
            for row in c_rows:
                row.pop("id")
            s.execute(insert(Case), c_rows)
            case_ids = dict(s.execute(select(Case.proposal_id, Case.id).where(Case.proposal_id.in_(list(batch)))).all())
            for row in t_rows:
                row["case_id"] = case_ids[row["proposal_id"]]
            s.execute(insert(ProposalPerson), pp_rows)
            if pu_rows:
                s.execute(insert(ProposalUnit), pu_rows)
            s.execute(insert(OpenTask), t_rows)
        uow.commit()


def measure_firing(db, rt, copies: int, profile: bool) -> tuple[int, float, float]:
    """(cases fired, seconds, CPU seconds of this process) for worker rounds until nothing is due."""
    fired, profiler = 0, cProfile.Profile() if profile else None
    clock.current().set(AFTER_REMINDER)
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    while True:
        result = timers.run_once(db, rt)
        fired += result["fired"]
        if not result["cases"]:
            break
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return fired, seconds, cpu


def _worker(url: str, rt, go, results) -> None:
    """One worker process: rounds until nothing is due; puts (fired, end time, CPU seconds spent)."""
    db = Database(url)
    clock.use(clock.MovableClock(AFTER_REMINDER))
    go.wait()
    fired, cpu = 0, time.process_time()
    while True:
        result = timers.run_once(db, rt)
        fired += result["fired"]
        if not result["cases"]:
            break
    results.put((fired, time.perf_counter(), time.process_time() - cpu))


def measure_workers(url: str, rt, workers: int) -> tuple[int, float, float]:
    """(cases fired, seconds, CPU seconds of the workers) with `workers` worker processes side by
    side (PostgreSQL)."""
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    processes = [context.Process(target=_worker, args=(url, rt, go, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    time.sleep(1.0)
    start = time.perf_counter()
    go.set()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    return (sum(f for f, _, _ in outcomes), max(end for _, end, _ in outcomes) - start,
            sum(cpu for _, _, cpu in outcomes))


def fill_waiting(db, total: int, proposal_id: int) -> None:
    """Bring the number of waiting non-due cases up to `total` with bulk SQL."""
    far = (AFTER_REMINDER + timedelta(days=365)).astimezone(UTC)
    with UnitOfWork(db) as uow:
        s = uow.session
        have = s.scalar(select(func.count()).select_from(Case).where(Case.next_timer_at > AFTER_REMINDER))
        case = s.scalar(select(Case).where(Case.proposal_id == proposal_id))
        chunks = [min(100_000, total - have - n) for n in range(0, max(total - have, 0), 100_000)]
        definition_id = case.definition_id
        uow.commit()
    for n in chunks:  # one statement per 100k rows: each stays within the statement timeout
        _fill(db, n, proposal_id, definition_id, far)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE cases"))


def _fill(db, n: int, proposal_id: int, definition_id: int, far: datetime) -> None:
    with UnitOfWork(db) as uow:
        s = uow.session
        params = {"pid": proposal_id, "def": definition_id, "at": far, "n": n}
        if db.engine.dialect.name == "postgresql":
            s.execute(text("""INSERT INTO cases (proposal_id, process, next_timer_at, definition_id, state, state_format,
                              version, completed, completed_tasks, updated_at)
                              SELECT :pid, 'proposal', CAST(:at AS timestamptz) + g * interval '1 second', :def,
                                     '{}', 1, 1, false, 3, CAST(:at AS timestamptz)
                              FROM generate_series(1, :n) g"""), params)
        else:
            s.execute(text("""WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n)
                              INSERT INTO cases (proposal_id, process, next_timer_at, definition_id, state, state_format,
                              version, completed, completed_tasks, updated_at)
                              SELECT :pid, 'proposal', :at, :def, '{}', 1, 1, 0, 3, :at FROM g"""),
                      {**params, "at": far.strftime("%Y-%m-%d %H:%M:%S.%f")})
        uow.commit()


def empty_round_ms(db, rt, rounds: int = 50) -> tuple[float, float]:
    """Median milliseconds of a worker round with nothing due: (the whole round, message delivery
    included; its due-case scan alone)."""
    whole, scan = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        result = timers.run_once(db, rt)
        whole.append(time.perf_counter() - start)
        assert result["cases"] == 0, result
        start = time.perf_counter()
        with UnitOfWork(db) as uow:
            assert timers.due_cases(uow.session, clock.now()) == []
        scan.append(time.perf_counter() - start)
    return statistics.median(whole) * 1000, statistics.median(scan) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=2000)
    parser.add_argument("--waiting", default="10000,100000")
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="worker processes side by side (PostgreSQL)")
    args = parser.parse_args()
    url = database_url(args.database_url, "timers")
    settings = Settings.from_env(database_url=url)
    os.environ.setdefault("CPPCC_DATABASE_URL", url)
    rt = Runtime(settings)
    clock.use(clock.MovableClock(START))
    try:
        db = prepare_database(url, rt)
        proposal_id = template_case(db, rt)
        copy_case(db, proposal_id, args.due - 1)
        with UnitOfWork(db) as uow:
            due = uow.session.scalar(select(func.count()).select_from(Case).where(Case.next_timer_at < AFTER_REMINDER))
        if args.workers > 1:
            db.engine.dispose()
            fired, seconds, cpu = measure_workers(url, rt, args.workers)
        else:
            fired, seconds, cpu = measure_firing(db, rt, due, args.profile)
        print(f"database: {db.engine.dialect.name}; load: {os.getloadavg()[0]:.2f}")
        print(f"firing ({args.workers} worker process{'es' if args.workers > 1 else ''}): {fired} of {due} due cases in {seconds:.2f} s = {fired / seconds:.1f} firings/s; "
              f"{cpu * 1000 / max(fired, 1):.2f} ms worker CPU per firing (the database's own work not in it)")
        for level in [int(x) for x in args.waiting.split(",") if x]:
            fill_waiting(db, level, proposal_id)
            whole, scan = empty_round_ms(db, rt)
            print(f"empty round with {level:>9,} waiting cases: {whole:.2f} ms, its due scan {scan:.2f} ms "
                  f"(medians of 50)")
    finally:
        clock.use(clock.SystemClock())


if __name__ == "__main__":
    main()
