"""Batch review and assignment (批量审查交办): 1,000 proposals filed and assigned page by page.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.plenary [--proposals 1000] [--stepwise 200] [--per-page 100]
                                                   [--database-url URL] [--repeat N] [--profile]

A fresh database (a temporary SQLite file unless --database-url is given; that
database is emptied first) gets the region's units, a committee account and
--proposals + --stepwise generated plenary proposals (engine/tooling/plenary_data.py,
no co-signers, so each waits at 审查立案). Then, as the committee would, page
after page is listed (engine/queries/plenary.py: rows, duplicates, suggested
units) and applied in one submit (engine/services/plenary.py): every row filed
with its suggested lead unit (the first unit when none is suggested) and
assigned in the same case step. Pages take turns with pages applied the former
way (`apply_stepwise`: a transaction per row, the review and the assignment two
full case steps), so both figures come from the same run under the same load.
The submissions are not timed; the listing and the applying are, and printed
with the per-row cost and the machine's load. --repeat N runs it N times from the same
submitted proposals (on SQLite each run on a copy of the prepared file) and judges the goal
on the median: this shared machine's speed changes by a third from one hour to the next. --profile prints where the time
goes (cProfile, top functions).
"""
import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.model.errors import EngineError
from engine.model.settings import Settings
from engine.model.tables import OpenTask, Proposal, User
from engine.queries import plenary as page_rows
from engine.services import cases, plenary
from engine.services.directory import add_user, sync_units
from engine.tooling.plenary_data import form_data, session_proposals
from engine.workflow.runtime import Runtime


def prepare(url: str, rt: Runtime, n: int) -> Database:
    """A fresh database with the units, a committee member, a proposer and `n` submitted proposals."""
    db = Database(url)
    db.drop_schema()
    db.create_schema()
    with UnitOfWork(db) as uow:
        sync_units(uow.session, rt.region)
        add_user(uow.session, "tw", "提案委", "bench", ["committee"])
        add_user(uow.session, "wy", "委员", "bench", ["proposer"])
        uow.commit()
    for item in session_proposals(n, pairs=n // 20):
        with UnitOfWork(db) as uow:
            member = uow.session.scalar(select(User).where(User.username == "wy"))
            cases.submit_proposal(uow, rt, member, form_data(item))
    return db


def rows_of(listing: dict, first_unit: str) -> list[dict]:
    """File and assign every row to its suggested lead (and assisting) units."""
    out = []
    for item in listing["items"]:
        lead = [u["unit_id"] for u in item["suggested"]["lead"]] or [first_unit]
        assisting = [u["unit_id"] for u in item["suggested"]["assisting"] if u["unit_id"] not in lead]
        out.append({"task_id": item["task_id"], "version": item["version"], "decision": "file",
                    "category": item["category"], "lead_unit_ids": lead, "assisting_unit_ids": assisting,
                    "is_key": False})
    return out


def apply_stepwise(db: Database, rt: Runtime, clerk: User, rows: list[dict]) -> dict:
    """The former way, for comparison in the same run: every row in its own transaction, its review
    and its assignment two full case steps (each loads, runs, stores and indexes the case)."""
    applied = 0
    for row in rows:
        try:
            with UnitOfWork(db) as uow:
                session, user = uow.session, uow.session.get(User, clerk.id)
                task = session.get(OpenTask, row["task_id"])
                cases.complete_task(uow, rt, user, task.id, plenary.review_data(row, session.get(Proposal, task.proposal_id)),
                                    expected_version=row["version"], commit=False)
                assign = session.scalar(select(OpenTask).where(OpenTask.proposal_id == task.proposal_id,
                                                               OpenTask.form == plenary.ASSIGN_FORM))
                cases.complete_task(uow, rt, user, assign.id, plenary.assign_data(row), commit=False)
                uow.commit()
            applied += 1
        except EngineError:
            continue
    return {"applied": applied, "refused": len(rows) - applied}


def run(db: Database, rt: Runtime, per_page: int, quotas: dict) -> dict:
    """List and apply pages until nothing waits or each way has done its quota of proposals
    ({"batch": n, "stepwise": m}), the ways taking turns page by page; returns the timings per way."""
    figures = {way: {"listing_s": 0.0, "applying_s": 0.0, "applying_cpu": 0.0, "applied": 0, "refused": 0,
                     "pages": 0} for way in quotas}
    first_unit = rt.region.units[0]["id"]
    turns = [way for way in ("batch", "stepwise") if quotas.get(way)]
    n = 0
    while turns:
        way = turns[n % len(turns)]
        figure, left = figures[way], quotas[way] - figures[way]["applied"]
        started = time.perf_counter()
        with UnitOfWork(db) as uow:
            clerk = uow.session.scalar(select(User).where(User.username == "tw"))
            listing = page_rows.list_page(uow.session, rt, clerk, step="review", per_page=min(per_page, left))
        figure["listing_s"] += time.perf_counter() - started
        if not listing["items"]:
            break
        started, cpu = time.perf_counter(), time.process_time()
        rows = rows_of(listing, first_unit)
        result = plenary.apply_page(db, rt, clerk, rows) if way == "batch" else apply_stepwise(db, rt, clerk, rows)
        figure["applying_s"] += time.perf_counter() - started
        figure["applying_cpu"] += time.process_time() - cpu
        figure["applied"] += result["applied"]
        figure["refused"] += result["refused"]
        figure["pages"] += 1
        if result["applied"] == 0 or figure["applied"] >= quotas[way]:
            turns.remove(way)
        else:
            n += 1
    return figures


def report(title: str, figure: dict) -> None:
    """One way's figures, per proposal too."""
    done = max(figure["applied"], 1)
    total = figure["listing_s"] + figure["applying_s"]
    print(f"{title}：{figure['applied']} 件立案并交办，{figure['refused']} 件被退回，共 {figure['pages']} 页")
    print(f"  列表（含相似提案、建议单位）：{figure['listing_s']:.2f} s")
    print(f"  提交：{figure['applying_s']:.2f} s，每件 {1000 * figure['applying_s'] / done:.1f} ms"
          f"（本进程 CPU 时间 {figure['applying_cpu']:.2f} s，每件 {1000 * figure['applying_cpu'] / done:.1f} ms）")
    print(f"  合计：{total:.2f} s，每件 {1000 * total / done:.1f} ms")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"负载（uptime）：{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000, help="applied in batch (批量审查交办)")
    parser.add_argument("--stepwise", type=int, default=200,
                        help="applied the former way, two case steps and a transaction per row, in the same run")
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs, each from the same submitted proposals (SQLite: a copy of the prepared file; "
                             "another database is prepared again); the goal is judged on the median")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-plenary-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    rt = Runtime(Settings.from_env(database_url=url))
    started = time.perf_counter()
    total = args.proposals + args.stepwise
    db = prepare(url, rt, total)
    print(f"{total} 件提案已提交（准备用时 {time.perf_counter() - started:.1f} s，不计入）；{load()}")
    if args.repeat > 1 and db.engine.dialect.name == "sqlite":
        db.engine.dispose()
        shutil.copyfile(str(db.engine.url.database), folder / "prepared.sqlite3")  # what every later run starts from
    spent = []
    for n in range(1, max(args.repeat, 1) + 1):
        if n > 1:
            db = _again(db, url, rt, total, folder, n)
        profiler = cProfile.Profile() if args.profile and n == 1 else None
        if profiler:
            profiler.enable()
        figures = run(db, rt, args.per_page, {"batch": args.proposals, "stepwise": args.stepwise})
        if profiler:
            profiler.disable()
        batch = figures["batch"]
        report(f"{'' if args.repeat <= 1 else f'第 {n} 次：'}批量审查交办（每件一次案件步骤完成审查立案与交办，每 "
               f"{plenary.CHUNK_ROWS} 件一个事务、每件一个保存点）", batch)
        spent.append(batch["listing_s"] + batch["applying_s"] if batch["applied"] >= args.proposals else float("inf"))
        if args.stepwise:
            report("对照：原办法（每件一个事务，审查立案、交办两次完整的案件步骤），与上面逐页交替运行", figures["stepwise"])
        print(f"  数据库：{db.engine.dialect.name}；CPU 核数：{os.cpu_count()}；{load()}")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        db.engine.dispose()
    middle = statistics.median(spent)
    if len(spent) > 1:
        print(f"{len(spent)} 次的中位数：{middle:.2f} s（最短 {min(spent):.2f} s，最长 {max(spent):.2f} s）")
    print(f"目标 1,000 件 10 s 以内：{'达到' if middle < 10 and args.proposals >= 1000 else '未达到'}"
          + ("（按中位数）" if len(spent) > 1 else ""))


def _again(db: Database, url: str, rt: Runtime, total: int, folder: Path, n: int) -> Database:
    """The database of run `n`: a copy of the prepared SQLite file (kept as it was after the
    submissions), or, for another database, the proposals submitted again."""
    if db.engine.dialect.name != "sqlite":
        return prepare(url, rt, total)
    prepared = folder / "prepared.sqlite3"
    copy = folder / f"run-{n}.sqlite3"
    shutil.copyfile(prepared, copy)
    return Database(f"sqlite:///{copy}")


if __name__ == "__main__":
    main()
