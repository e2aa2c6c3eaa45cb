"""Time to render the statistics of one year: with that year of 1,000 proposals alone, and
with ten years of data (100,000 proposals in all) stored.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.statistics [--per-year 1000] [--years 10] [--stored 100000]
                                                      [--repeat 5] [--database-url URL]

The rows a year of handling leaves (proposals with their year, lead and assisting units,
consultation and reply events, ratings, overdue records) are filled by bulk SQL with the
distributions of a published district year (categories 17/42/15/26 %, classes 81/7/12 %,
ratings 85/13/2 % of 93 % rated, 5 % late replies), not walked through the engine: the
statistics read only these rows. Timed, the median of --repeat runs each:
- compute: engine/queries/statistics year_statistics (every table of the page);
- page: GET /stats as the government office (compute plus the HTML), through Flask's test client.
After each bulk fill the tables are ANALYZEd (what autovacuum does after such a load).
Each figure is measured twice in the same run: "now" as shipped, and "before" as the
statistics ran before revision 0010_year (index ix_proposals_year_session dropped for the
measurement, and on PostgreSQL the server's JIT left on: compute.short_plans skipped);
`--now-only` skips "before". The load average is printed with the figures.
The database is a temporary SQLite file unless --database-url is given; that database is
emptied (all tables dropped and re-created) first.
"""
import argparse
import os
import random
import re
import statistics as stats
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
os.environ.setdefault("CPPCC_SECRET_KEY", "bench-" + "x" * 40)

from api import create_app  # noqa: E402
from engine.adapters.db import Database, UnitOfWork  # noqa: E402
from engine.model.settings import Settings  # noqa: E402
from engine.model.tables import Event, OverdueRecord, Proposal, ProposalUnit, Rating  # noqa: E402
from engine.queries.statistics import compute  # noqa: E402
from engine.tooling.demo import seed_people  # noqa: E402

CATEGORIES = (("economy", 17), ("urban", 42), ("culture", 15), ("general", 26))
CLASSES = (("A", 81), ("B", 7), ("C", 12))
RATINGS = (("satisfied", 85), ("basically_satisfied", 13), ("unsatisfied", 2))
WAYS = (("meeting", 45), ("visit", 25), ("phone", 25), ("online", 5))


def _pick(rng, table):
    return rng.choices([c for c, _ in table], weights=[w for _, w in table])[0]


def fill_year(session, year: int, n: int, units: list[str], start_id: int, rng) -> int:
    """Insert `n` handled proposals of `year` by bulk SQL; returns the next free id."""
    proposals, parts, events, ratings, late = [], [], [], [], []
    weights = [1 / (i + 1) for i in range(len(units))]  # a few units carry most of the load
    for k in range(n):
        pid = start_id + k
        at = datetime(year, 1, 10, 2, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 24 * 320))
        status = "closed"
        number = f"{year}-{k + 1:04d}"
        roll = rng.random()
        if roll < 0.05:
            status, number = "not_filed", None
        elif roll < 0.08:
            status, number = "merged", None
        lead = rng.choices(units, weights=weights)[0]
        klass = _pick(rng, CLASSES) if number else None
        rated = _pick(rng, RATINGS) if number and rng.random() < 0.93 else None
        if klass == "B" and number:
            status = "follow_up"
        proposals.append({"id": pid, "number": number, "title": f"关于第{k + 1}件事项的建议", "body": "……", "suggestions": "",
                          "category": _pick(rng, CATEGORIES), "source": "plenary", "year": year, "session": None,
                          "proposer": f"wy{k % 240:03d}", "status": status, "is_key": rng.random() < 0.2,
                          "lead_unit": lead if number else None, "reply_class": klass, "satisfaction": rated,
                          "submitted_at": at, "updated_at": at})
        if not number:
            continue
        parts.append({"proposal_id": pid, "unit_id": lead, "role": "lead", "reply_class": klass, "satisfaction": rated})
        if rng.random() < 0.22:
            helper = rng.choice([u for u in units if u != lead])
            parts.append({"proposal_id": pid, "unit_id": helper, "role": "assist", "reply_class": None,
                          "satisfaction": rated})
            events.append({"proposal_id": pid, "at": at + timedelta(days=20), "kind": "task_completed",
                           "unit_id": helper, "task_name": "assist_opinion", "title": "提交协办意见", "data": {}})
        replied = at + timedelta(days=rng.randrange(30, 100))
        for c in range(rng.choice((1, 1, 2, 3))):
            events.append({"proposal_id": pid, "at": at + timedelta(days=10 + c * 7), "kind": "task_completed",
                           "unit_id": lead, "task_name": "consultation", "title": "记录沟通协商",
                           "data": {"contact_way": _pick(rng, WAYS)}})
        events.append({"proposal_id": pid, "at": replied, "kind": "milestone", "unit_id": lead,
                       "task_name": "send_reply", "title": "正式答复提案者", "data": {"reply_class": klass}})
        if rated:
            ratings.append({"proposal_id": pid, "unit_id": lead, "reply_unit": lead, "rater": f"wy{k % 240:03d}",
                            "satisfaction": rated, "handling_round": 1, "rated_at": replied + timedelta(days=9)})
        if rng.random() < 0.05:
            late.append({"proposal_id": pid, "unit_id": lead, "lead_unit": lead, "kind": "reply",
                         "due_at": replied - timedelta(days=3), "detected_at": replied - timedelta(days=2),
                         "resolved_at": replied})
    for table, rows in ((Proposal, proposals), (ProposalUnit, parts), (Event, events), (Rating, ratings),
                        (OverdueRecord, late)):
        if rows:
            session.execute(insert(table), rows)
    return start_id + n


def _median(repeat, run) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return stats.median(times)


def measure(app, year: int, repeat: int) -> tuple[float, float, dict]:
    ext = app.extensions["cppcc"]
    region, db = ext["runtime"].region, ext["db"]

    def compute_once():
        with UnitOfWork(db) as uow:
            measure.result = compute.year_statistics(uow.session, region, compute.Filters(year=year))

    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "zfb_wang", "password": "demo123", "csrf_token": token})

    def page_once():
        response = client.get(f"/stats?year={year}")
        assert response.status_code == 200, response.status_code

    compute_once()  # warm: statements compiled, caches filled
    page_once()
    return _median(repeat, compute_once), _median(repeat, page_once), measure.result["counts"]


def analyze(db) -> None:
    """Refresh the planner's statistics after a bulk fill, as autovacuum's ANALYZE would soon
    after such a load in production (a freshly filled table has none, and the plans the
    figures would show are not the ones a running system gets)."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


@contextmanager
def as_before(db):
    """The statistics as they ran before revision 0010_year: without its index, and without
    compute.short_plans (PostgreSQL's JIT as the server sets it)."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_proposals_year_session"))
    shipped, compute.short_plans = compute.short_plans, lambda session: None
    try:
        yield
    finally:
        compute.short_plans = shipped
        with db.engine.begin() as conn:
            conn.execute(text("CREATE INDEX ix_proposals_year_session ON proposals (year, session)"))


def load() -> str:
    """The load average (as `uptime` prints it)."""
    return "负载 " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def report(app, db, year: int, args, what: str) -> dict:
    """Measure now (and before, unless --now-only), print the figures, return the counts."""
    now = measure(app, year, args.repeat)
    line = f"{what}：计算 {now[0]:.0f} ms，页面 {now[1]:.0f} ms"
    if not args.now_only:
        with as_before(db):
            before = measure(app, year, args.repeat)
        assert before[2] == now[2], "the figures differ before and now"
        line += f"（改进前：计算 {before[0]:.0f} ms，页面 {before[1]:.0f} ms）"
    print(f"{line}；{load()}")
    return now[2]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-year", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--stored", type=int, default=100_000, help="proposals stored in all, over --years years")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--now-only", action="store_true", help="skip the figures as before revision 0010_year")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="cppcc-bench-stats-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    Database(url).drop_schema()
    settings = Settings.from_env(database_url=url, upload_dir=f"{folder}/uploads")
    app = create_app(settings)
    db, rt = app.extensions["cppcc"]["db"], app.extensions["cppcc"]["runtime"]
    with UnitOfWork(db) as uow:
        seed_people(uow.session, rt)
        uow.commit()
    units = [u["id"] for u in rt.region.units]
    rng = random.Random(2017)
    this_year = compute.china_year()
    with UnitOfWork(db) as uow:
        next_id = fill_year(uow.session, this_year, args.per_year, units, 1, rng)
        uow.commit()
    analyze(db)
    print(f"数据库：{db.engine.dialect.name}；每年 {args.per_year} 件，统计 {this_year} 年（中位数，{args.repeat} 次）")
    one = report(app, db, this_year, args, f"只存 1 年（{args.per_year} 件）")
    print(f"（办理件 {one['handlings']}，已答复 {one['replied']}）")
    began = time.perf_counter()
    with UnitOfWork(db) as uow:
        others = max(args.stored - args.per_year, 0) // max(args.years - 1, 1)
        for back in range(1, args.years):
            next_id = fill_year(uow.session, this_year - back, others, units, next_id, rng)
        uow.commit()
        total = uow.session.scalar(select(func.count()).select_from(Proposal))
        event_rows = uow.session.scalar(select(func.count()).select_from(Event))
    analyze(db)
    print(f"（批量写入另外 {args.years - 1} 年、每年 {others} 件，用时 {time.perf_counter() - began:.1f} s）")
    many = report(app, db, this_year, args, f"共存 {args.years} 年（{total} 件提案，{event_rows} 条办理记录）")
    assert one == many, "the other years changed the year's figures"
    db.engine.dispose()


if __name__ == "__main__":
    main()
