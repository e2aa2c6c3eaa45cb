"""Batch review and assignment (批量审查交办): 1,000 proposals filed and assigned page by page.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.plenary [--proposals 1000] [--per-page 100]
                                                   [--database-url URL] [--profile]

A fresh database (a temporary SQLite file unless --database-url is given; that
database is emptied first) gets the region's units, a committee account and
--proposals generated plenary proposals (engine/tooling/plenary_data.py, no
co-signers, so each waits at 审查立案). Then, as the committee would, page
after page is listed (engine/queries/plenary.py: rows, duplicates, suggested
units) and applied in one submit (engine/services/plenary.py): every row filed
with its suggested lead unit (the first unit when none is suggested) and
assigned in the same step, one transaction per row. The submissions are not
timed; the listing and the applying are, and printed with the per-row cost.
--profile prints where the applying's time goes (cProfile, top functions).
"""
import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.model.settings import Settings
from engine.model.tables import User
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


def run(db: Database, rt: Runtime, per_page: int) -> dict:
    """List and apply pages until nothing waits; returns the timings."""
    listing_s = applying_s = applying_cpu = 0.0
    applied = refused = pages = 0
    first_unit = rt.region.units[0]["id"]
    while True:
        started = time.perf_counter()
        with UnitOfWork(db) as uow:
            clerk = uow.session.scalar(select(User).where(User.username == "tw"))
            listing = page_rows.list_page(uow.session, rt, clerk, step="review", per_page=per_page)
        listing_s += time.perf_counter() - started
        if not listing["items"]:
            break
        started, cpu = time.perf_counter(), time.process_time()
        result = plenary.apply_page(db, rt, clerk, rows_of(listing, first_unit))
        applying_s += time.perf_counter() - started
        applying_cpu += time.process_time() - cpu
        applied, refused, pages = applied + result["applied"], refused + result["refused"], pages + 1
        if result["applied"] == 0:
            break
    return {"listing_s": listing_s, "applying_s": applying_s, "applying_cpu": applying_cpu, "applied": applied, "refused": refused, "pages": pages}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench-plenary-")
    url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    rt = Runtime(Settings.from_env(database_url=url))
    started = time.perf_counter()
    db = prepare(url, rt, args.proposals)
    print(f"{args.proposals} 件提案已提交（准备用时 {time.perf_counter() - started:.1f} s，不计入）")
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    figures = run(db, rt, args.per_page)
    if profiler:
        profiler.disable()
    total = figures["listing_s"] + figures["applying_s"]
    print(f"批量审查交办：{figures['applied']} 件立案并交办，{figures['refused']} 件被退回，共 {figures['pages']} 页")
    print(f"  列表（含相似提案、建议单位）：{figures['listing_s']:.2f} s")
    print(f"  提交（每件一个事务：审查立案 + 交办）：{figures['applying_s']:.2f} s，"
          f"每件 {1000 * figures['applying_s'] / max(figures['applied'], 1):.1f} ms"
          f"（本进程 CPU 时间 {figures['applying_cpu']:.2f} s，每件 "
          f"{1000 * figures['applying_cpu'] / max(figures['applied'], 1):.1f} ms）")
    print(f"  合计：{total:.2f} s（目标 10 s 以内：{'达到' if total < 10 else '未达到'}）")
    print(f"  数据库：{db.engine.dialect.name}；CPU 核数：{os.cpu_count()}；负载：{os.getloadavg()[0]:.2f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    db.engine.dispose()


if __name__ == "__main__":
    main()
