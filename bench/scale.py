"""Lists at province scale: a unit clerk's task list, the proposal search's first page, the
dossier and the overdue report, with 100k and with 1M proposals stored, side by side.

Usage (from the project root; PostgreSQL only, the database is emptied first):

    PYTHONPATH=. .venv/bin/python -m bench.scale --database-url postgresql+psycopg://.../test_x
                                                 [--sizes 100000,1000000] [--repeat 40] [--reuse]

With --reuse each size has its own database, <database>_<size> (created when missing), filled
only when it does not hold that many proposals and kept afterwards, so a second run (after a
schema or query change: the app upgrades the schema on start) measures at once.

The rows are filled by bulk SQL (INSERT ... SELECT generate_series, no engine walk): ten
years of proposals (3 % of the current year's still open, each with a open task of its lead
unit's clerk and a few with a committee task), one lead unit each (a few units carry most
of the load), 22 % with an assisting unit, the proposer as a person, four events each, 5 %
of every year with an overdue record, resolved since, and a third of the open ones with
one still unresolved (a closed proposal has done every step). Titles are drawn from a pool
of Chinese topic words, so a two-character term (停车, 养老) matches a realistic share.
Timed in-process through engine/queries (one UnitOfWork per call), p50 and p99 of
--repeat calls each, after one warm call; besides, for each list, the CPU time of this
process per call and the SQL's own execution time by EXPLAIN (ANALYZE, BUFFERS) with the
buffers it touched (bench/sql_plans.py), which a loaded machine moves far less.
"""
import argparse
import os
import resource
import statistics as stats
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import create_engine, make_url, select, text

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
os.environ.setdefault("CPPCC_SECRET_KEY", "bench-" + "x" * 40)

from api import create_app  # noqa: E402
from bench.sql_plans import Plans  # noqa: E402
from engine.adapters.db import Database, UnitOfWork  # noqa: E402
from engine.model.settings import Settings  # noqa: E402
from engine.model.tables import User  # noqa: E402
from engine.queries import (
    overdue_report as overdue,  # noqa: E402
    records as queries,  # noqa: E402
    task_list,  # noqa: E402
)
from engine.queries.statistics import compute  # noqa: E402
from engine.tooling.demo import seed_people  # noqa: E402

TOPICS = ("停车", "养老", "教育", "医疗", "交通", "环境", "住房", "就业", "农村", "社区", "垃圾分类", "文化",
          "旅游", "水利", "食品安全", "物业", "电动车", "学前", "托育", "公园", "菜市场", "老旧小区", "乡村振兴",
          "营商环境", "数字政府", "河道", "消防", "体育", "图书馆", "夜市")
VERBS = ("加强", "完善", "推进", "优化", "规范", "加快", "提升", "健全")

FILL = """
INSERT INTO proposals (id, number, title, body, suggestions, category, source, year, session, proposer, status,
                       is_key, supervising_leader, lead_unit, reply_class, satisfaction, submitted_at, updated_at,
                       merged_into_id)
SELECT g, CASE WHEN g % 20 = 7 THEN NULL ELSE (CAST(:year AS int) - g % 10) || '-' || g END,
       '关于' || (:verbs)[1 + (g * 7) % cardinality(:verbs)] || (:topics)[1 + (g * 13) % cardinality(:topics)]
              || '工作的建议（' || g || '）',
       '正文……' || (:topics)[1 + (g * 17) % cardinality(:topics)], '',
       (ARRAY['economy','urban','urban','culture','general'])[1 + g % 5], 'plenary', CAST(:year AS int) - g % 10, NULL,
       'wy' || lpad((g % 2400)::text, 4, '0'),
       CASE WHEN g % 20 = 7 THEN 'not_filed' WHEN g % 10 = 0 AND (g / 10) % 100 < 3 THEN 'handling'
            ELSE 'closed' END,
       g % 5 = 0, NULL,
       CASE WHEN g % 20 = 7 THEN NULL ELSE (:units)[1 + floor(cardinality(:units) * power(random(), 2))::int] END,
       CASE WHEN g % 20 = 7 OR (g % 10 = 0 AND (g / 10) % 100 < 3) THEN NULL
            ELSE (ARRAY['A','A','A','A','A','A','A','A','B','C'])[1 + g % 10] END,
       NULL,
       make_timestamptz(CAST(:year AS int) - g % 10, 1, 10, 2, 0, 0, 'UTC') + ((g::bigint * 7919) % (320 * 24)) * interval '1 hour',
       now(), NULL
FROM generate_series(CAST(:start AS int), CAST(:stop AS int)) AS g
"""
MEMBERS = """
INSERT INTO users (username, name, password_hash, unit_id, roles, active, email, phone)
SELECT 'wy' || lpad(g::text, 4, '0'), '委员' || g, 'x', NULL, 'proposer', true, NULL, NULL
FROM generate_series(0, 2399) AS g
ON CONFLICT (username) DO NOTHING
"""  # the proposers' accounts (wy0000..wy2399), as submission requires
DEPENDENT = [
    """INSERT INTO proposal_units (proposal_id, unit_id, role, reply_class, satisfaction)
       SELECT id, lead_unit, 'lead', reply_class, NULL FROM proposals WHERE id BETWEEN :start AND :stop
       AND lead_unit IS NOT NULL""",
    """INSERT INTO proposal_units (proposal_id, unit_id, role, reply_class, satisfaction)
       SELECT p.id, (:units)[1 + (p.id % 1000 * 31) % cardinality(:units)], 'assist', NULL, NULL FROM proposals p
       WHERE p.id BETWEEN :start AND :stop AND p.lead_unit IS NOT NULL AND p.id % 9 < 2
       AND (:units)[1 + (p.id % 1000 * 31) % cardinality(:units)] <> p.lead_unit""",
    """INSERT INTO proposal_people (proposal_id, username, role)
       SELECT id, proposer, 'proposer' FROM proposals WHERE id BETWEEN :start AND :stop""",
    """INSERT INTO events (proposal_id, at, kind, actor, actor_name, unit_id, task_id, task_name, title, data)
       SELECT p.id, p.submitted_at + k * interval '9 days', (ARRAY['submitted','task_completed','task_completed',
              'milestone'])[k + 1], p.proposer, NULL, CASE WHEN k > 0 THEN p.lead_unit END, NULL,
              (ARRAY['submit','filing','consultation','send_reply'])[k + 1],
              (ARRAY['提交提案','立案审查','记录沟通协商','正式答复提案者'])[k + 1], '{}'::json
       FROM proposals p CROSS JOIN generate_series(0, 3) AS k
       WHERE p.id BETWEEN :start AND :stop AND (k < 2 OR p.status = 'closed')""",
    """INSERT INTO overdue_records (proposal_id, unit_id, holder_role, holder, lead_unit, kind, due_at,
                                    detected_at, resolved_at)
       SELECT id, lead_unit, 'unit_clerk', NULL, lead_unit, 'reply', submitted_at + interval '90 days',
              submitted_at + interval '91 days', CASE WHEN status <> 'handling' THEN submitted_at + interval '99 days' END
       FROM proposals WHERE id BETWEEN :start AND :stop AND lead_unit IS NOT NULL
       AND ((id / 10) % 20 = 3 OR status = 'handling' AND id % 3 = 0)""",
    """INSERT INTO cases (id, proposal_id, process, next_timer_at, definition_id, state, state_format, version,
                          completed, completed_tasks, updated_at)
       SELECT id, id, 'proposal', submitted_at + interval '90 days', :definition, '{}'::json, 1, 1, false, 3, now()
       FROM proposals WHERE id BETWEEN :start AND :stop AND status = 'handling'""",
    """INSERT INTO open_tasks (id, case_id, proposal_id, name, title, form, role, unit_id, assignee, stage,
                               created_at, due_at, lead_unit, claimed_by, claimed_at)
       SELECT 'b-' || id, id, id, 'draft_reply', '拟写答复', 'draft_reply', 'unit_clerk', lead_unit, NULL, 'handling',
              submitted_at + interval '5 days', CASE WHEN id % 7 = 0 THEN NULL ELSE submitted_at
              + interval '90 days' END, lead_unit, NULL, NULL
       FROM proposals WHERE id BETWEEN :start AND :stop AND status = 'handling'""",
    """INSERT INTO open_tasks (id, case_id, proposal_id, name, title, form, role, unit_id, assignee, stage,
                               created_at, due_at, lead_unit, claimed_by, claimed_at)
       SELECT 'c-' || id, id, id, 'review_reply', '审核答复', 'review_reply', 'committee', NULL, NULL, 'handling',
              submitted_at + interval '8 days', NULL, lead_unit, NULL, NULL
       FROM proposals WHERE id BETWEEN :start AND :stop AND status = 'handling' AND id % 3 = 0""",
]


def _array(words) -> str:
    """A text array literal of known constant words (no quotes in them)."""
    assert not any("'" in w for w in words)
    return "(ARRAY[" + ",".join(f"'{w}'" for w in words) + "])"


def fill(url: str, units: list[str], start: int, stop: int, chunk: int = 100_000) -> None:
    """Insert proposals `start`..`stop` and their rows, `chunk` ids per transaction (on an
    engine of its own: the app's statement timeout is for requests, not bulk loads)."""
    this_year = compute.china_year()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(MEMBERS))
        definition = conn.scalar(text("SELECT min(id) FROM process_definitions"))
        if definition is None:
            definition = conn.scalar(text("INSERT INTO process_definitions (hash, files, created_at) "
                                          "VALUES ('bench', '{}', now()) RETURNING id"))
    for lo in range(start, stop + 1, chunk):
        hi = min(lo + chunk - 1, stop)
        args = {"start": lo, "stop": hi, "year": int(this_year), "definition": definition}
        with engine.begin() as conn:
            for statement in (FILL, *DEPENDENT):
                for name, words in (("units", units), ("verbs", VERBS), ("topics", TOPICS)):
                    statement = statement.replace(f"(:{name})", _array(words))
                conn.execute(text(statement), {k: v for k, v in args.items() if f":{k}" in statement})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum leaves a table: statistics, the GIN pending list merged
    engine.dispose()


def timed(repeat: int, run, plans: Plans) -> dict:
    """Wall p50 and p99 of `repeat` calls of `run` after a warm one, and the SQL cost of one call."""
    run()  # warm: statements compiled, caches filled
    times, cpu = [], []
    for i in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        run(i)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    times.sort()
    return {"p50": stats.median(times), "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
            "cpu": stats.median(cpu), "sql": plans.cost(run)}


def measure(app, repeat: int, total: int) -> dict:
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    plans = Plans(db.engine)
    with db.engine.connect() as conn:
        busiest = conn.scalar(text("SELECT unit_id FROM open_tasks WHERE unit_id IS NOT NULL "
                                   "GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1"))

    def user(name):
        with UnitOfWork(db) as uow:
            row = uow.session.scalar(select(User).where(User.username == name))
            uow.session.expunge(row)
            return row

    clerk, staff = user(f"{busiest}_clerk"), user("tawei_li")
    figures = {}

    def call(fn):
        def run(i=0):
            with UnitOfWork(db) as uow:
                run.result = fn(uow.session, i)
        return run

    run = call(lambda s, i: task_list.list_tasks(s, rt, clerk))
    figures["待办（最忙单位干事）"] = {**timed(repeat, run, plans), "note": f"{busiest} {run.result['total']}"}
    this_year = compute.china_year()
    for label, filters in (("查询：无筛选", {}), ("查询：状态=办理中", {"status": "handling"}),
                           ("查询：本年度", {"year": str(this_year)}), ("查询：承办单位", {"unit": busiest}),
                           ("查询：超期", {"overdue": "true"}), ("查询：文字“停车”", {"q": "停车"}),
                           ("查询：文字“夜市”+年度", {"q": "夜市", "year": str(this_year - 1)}),
                           ("查询：文字“无此词”", {"q": "鲸鱼"}), ("查询：提案者", {"person": "wy0042"})):
        run = call(lambda s, i, f=filters: queries.list_proposals(s, rt, staff, f))
        figures[label] = timed(repeat, run, plans)
        figures[label]["note"] = f"{run.result['total']}{'+' if run.result['total_capped'] else ''}"
    figures["卷宗（提案详情）"] = timed(repeat, call(
        lambda s, i: queries.proposal_detail(s, rt, staff, 1 + (i * 7919) % total)), plans)
    today = overdue.china_today()
    figures["超期报告（近一年）"] = timed(max(repeat // 4, 3), call(
        lambda s, i: overdue.overdue_report(s, staff, today - timedelta(days=365), today, rt.region.catalogue)),
        plans)
    return figures


def report(results: dict, sizes: list[int], repeat: int, show_plans: bool) -> None:
    """The table: per list and size wall p50 / p99 and the SQL's own execution time (EXPLAIN
    ANALYZE, summed over the call's statements) with the shared buffers it touched, and the
    median CPU time of this process per call (building the page in Python)."""
    print(f"\n数据库 PostgreSQL；墙钟 p50 / p99 毫秒（{repeat} 次）｜本进程 CPU 毫秒（中位）｜SQL 执行毫秒"
          f"（EXPLAIN ANALYZE，各语句之和）与缓冲块数；负载 {os.getloadavg()[0]:.1f}")
    print(f"{'':22}" + "".join(f"{f'{s:,} 件':>52}" for s in sizes) + "   倍数(p99｜SQL)")
    for label in results[sizes[0]]:
        if label == "启动":
            continue
        cells = []
        for s in sizes:
            f = results[s][label]
            note = f" [{f['note']}]" if f.get("note") else ""
            cells.append(f"{f['p50']:6.1f} / {f['p99']:6.1f} ｜ {f['cpu']:5.1f} ｜ {f['sql'].ms:6.1f} "
                         f"({f['sql'].buffers}){note}")
        first, last = results[sizes[0]][label], results[sizes[-1]][label]
        ratio = last["p99"] / max(first["p99"], 0.01)
        sql_ratio = last["sql"].ms / max(first["sql"].ms, 0.01)
        print(f"{label:22}" + "".join(f"{c:>52}" for c in cells) + f"   ×{ratio:.2f}｜×{sql_ratio:.2f}")
    print("服务启动 s / 常驻内存 MB: " + "；".join(
        f"{s:,} 件 {results[s]['启动'][0]:.2f} s / {results[s]['启动'][1]:.0f} MB" for s in sizes))
    print(f"本进程常驻内存峰值 {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if show_plans:
        for label, f in results[sizes[-1]].items():
            if label != "启动":
                print(f"\n—— {label}（{sizes[-1]:,} 件）最费时的语句 {f['sql'].worst_ms:.1f} ms：\n"
                      + f["sql"].worst_sql + "\n" + "\n".join(f["sql"].worst_plan))


def startup(url: str) -> tuple[float, float]:
    """Seconds to create the app and resident MB after it, in a fresh process."""
    probe = ("import os,time,resource;os.environ.setdefault('CPPCC_PASSWORD_HASH','pbkdf2:sha256:1000');"
             "os.environ.setdefault('CPPCC_SECRET_KEY','bench-'+'x'*40);t=time.perf_counter();"
             "from api import create_app;from engine.model.settings import Settings;"
             f"a=create_app(Settings.from_env(database_url={url!r}, upload_dir='/tmp/cppcc-bench-scale-up'));"
             "a.test_client().get('/login');"
             "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ)
    seconds, mb = out.stdout.split()[-2:]
    return float(seconds), float(mb)


def sized_database(url: str, size: int) -> str:
    """The URL of the database kept for `size` proposals (`<database>_<size>`), created if missing."""
    base = make_url(url)
    name = f"{base.database}_{size}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def prepared_app(url: str, emptied: bool):
    """The app on `url` (its schema brought to the newest revision), emptied first if asked,
    with the demo's people (the units' clerks, the committee staff) in it."""
    if emptied:
        Database(url).drop_schema()
    app = create_app(Settings.from_env(database_url=url, upload_dir="/tmp/cppcc-bench-scale-uploads"))
    ext = app.extensions["cppcc"]
    with UnitOfWork(ext["db"]) as uow:
        if uow.session.scalar(select(User).where(User.username == "tawei_li")) is None:
            seed_people(uow.session, ext["runtime"])
            uow.commit()
    return app


def proposals_stored(db) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT coalesce(max(id), 0) FROM proposals"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--reuse", action="store_true",
                        help="one database per size (<database>_<size>), created and filled when it does not "
                             "hold that many proposals, kept afterwards: a second run measures at once")
    parser.add_argument("--plans", action="store_true", help="print the plan of each list's costliest statement")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("bench.scale fills by PostgreSQL bulk SQL: give a postgresql+psycopg:// URL")
    results, stored, app = {}, 0, None
    for size in sizes:
        url = sized_database(args.database_url, size) if args.reuse else args.database_url
        if args.reuse or app is None:
            app = prepared_app(url, emptied=not args.reuse)
        db = app.extensions["cppcc"]["db"]
        if args.reuse:
            stored = proposals_stored(db)  # ids 1..stored: a fill stopped half-way goes on
            if stored > size:
                app = prepared_app(url, emptied=True)
                db, stored = app.extensions["cppcc"]["db"], 0
        if stored < size:
            began = time.perf_counter()
            fill(url, [u["id"] for u in app.extensions["cppcc"]["runtime"].region.units], stored + 1, size)
            print(f"（批量写入到 {size:,} 件，用时 {time.perf_counter() - began:.0f} s）", flush=True)
            stored = size
        results[size] = measure(app, args.repeat, size)
        results[size]["启动"] = startup(url)
        if args.reuse:
            db.engine.dispose()
    report(results, sizes, args.repeat, args.plans)
    app.extensions["cppcc"]["db"].engine.dispose()


if __name__ == "__main__":
    main()
