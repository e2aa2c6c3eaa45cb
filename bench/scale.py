"""Lists at province scale: a unit clerk's task list, the proposal search's first page, the
dossier and the overdue report, with 100k and with 1M proposals stored, side by side.

Usage (from the project root; PostgreSQL only, the database is emptied first):

    PYTHONPATH=. .venv/bin/python -m bench.scale --database-url postgresql+psycopg://.../test_x
                                                 [--sizes 100000,1000000] [--repeat 40]

The rows are filled by bulk SQL (INSERT ... SELECT generate_series, no engine walk): ten
years of proposals (3 % of the current year's still open, each with a open task of its lead
unit's clerk and a few with a committee task), one lead unit each (a few units carry most
of the load), 22 % with an assisting unit, the proposer as a person, four events each, 5 %
with an overdue record (a third of them unresolved). Titles are drawn from a pool of
Chinese topic words, so a two-character term (停车, 养老) matches a realistic share.
Timed in-process through engine/queries (one UnitOfWork per call), p50 and p99 of
--repeat calls each, after one warm call.
"""
import argparse
import os
import resource
import statistics as stats
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select, text

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
os.environ.setdefault("CPPCC_SECRET_KEY", "bench-" + "x" * 40)

from api import create_app  # noqa: E402
from engine.adapters.db import Database, UnitOfWork  # noqa: E402
from engine.model.settings import Settings  # noqa: E402
from engine.model.tables import User  # noqa: E402
from engine.queries import (
    overdue_report as overdue,  # noqa: E402
    records as queries,  # noqa: E402
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
              submitted_at + interval '91 days', CASE WHEN id % 3 <> 0 THEN submitted_at + interval '99 days' END
       FROM proposals WHERE id BETWEEN :start AND :stop AND lead_unit IS NOT NULL AND id % 20 = 3""",
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


def fill(db, units: list[str], start: int, stop: int, chunk: int = 100_000) -> None:
    """Insert proposals `start`..`stop` and their rows, `chunk` ids per transaction."""
    this_year = compute.china_year()
    with db.engine.begin() as conn:
        conn.execute(text(MEMBERS))
        definition = conn.scalar(text("SELECT min(id) FROM process_definitions"))
        if definition is None:
            definition = conn.scalar(text("INSERT INTO process_definitions (hash, files, created_at) "
                                          "VALUES ('bench', '{}', now()) RETURNING id"))
    for lo in range(start, stop + 1, chunk):
        hi = min(lo + chunk - 1, stop)
        args = {"start": lo, "stop": hi, "year": int(this_year), "definition": definition}
        with db.engine.begin() as conn:
            for statement in (FILL, *DEPENDENT):
                for name, words in (("units", units), ("verbs", VERBS), ("topics", TOPICS)):
                    statement = statement.replace(f"(:{name})", _array(words))
                conn.execute(text(statement), {k: v for k, v in args.items() if f":{k}" in statement})
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def timed(repeat: int, run) -> tuple[float, float]:
    run()  # warm: statements compiled, caches filled
    times = []
    for i in range(repeat):
        began = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return stats.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def measure(app, repeat: int, total: int) -> dict:
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    with db.engine.connect() as conn:
        busiest = conn.scalar(text("SELECT unit_id FROM open_tasks WHERE unit_id IS NOT NULL "
                                   "GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1"))
        unit_tasks = conn.scalar(text("SELECT count(*) FROM open_tasks WHERE unit_id = :u"), {"u": busiest})

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

    figures["待办（最忙单位干事）"] = timed(repeat, call(lambda s, i: queries.list_tasks(s, rt, clerk)))
    figures["待办（最忙单位干事）"] += (f"{busiest} {unit_tasks}",)
    this_year = compute.china_year()
    for label, filters in (("查询：无筛选", {}), ("查询：状态=办理中", {"status": "handling"}),
                           ("查询：本年度", {"year": str(this_year)}), ("查询：承办单位", {"unit": busiest}),
                           ("查询：超期", {"overdue": "true"}), ("查询：文字“停车”", {"q": "停车"}),
                           ("查询：文字“夜市”+年度", {"q": "夜市", "year": str(this_year - 1)}),
                           ("查询：文字“无此词”", {"q": "鲸鱼"}), ("查询：提案者", {"person": "wy0042"})):
        run = call(lambda s, i, f=filters: queries.list_proposals(s, rt, staff, f))
        figures[label] = timed(repeat, run)
        figures[label] += (run.result.get("total"),)
    figures["卷宗（提案详情）"] = timed(repeat, call(
        lambda s, i: queries.proposal_detail(s, rt, staff, 1 + (i * 7919) % total)))
    today = overdue.china_today()
    figures["超期报告（近一年）"] = timed(max(repeat // 4, 3), call(
        lambda s, i: overdue.overdue_report(s, staff, today - timedelta(days=365), today, rt.region.catalogue)))
    return figures


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    Database(args.database_url).drop_schema()
    settings = Settings.from_env(database_url=args.database_url, upload_dir="/tmp/cppcc-bench-scale-uploads")
    app = create_app(settings)
    db, rt = app.extensions["cppcc"]["db"], app.extensions["cppcc"]["runtime"]
    if db.engine.dialect.name != "postgresql":
        raise SystemExit("bench.scale fills by PostgreSQL bulk SQL: give a postgresql+psycopg:// URL")
    with UnitOfWork(db) as uow:
        seed_people(uow.session, rt)
        uow.commit()
    units = [u["id"] for u in rt.region.units]
    results, stored = {}, 0
    for size in sizes:
        began = time.perf_counter()
        fill(db, units, stored + 1, size)
        print(f"（批量写入到 {size:,} 件，用时 {time.perf_counter() - began:.0f} s）", flush=True)
        stored = size
        results[size] = measure(app, args.repeat, size)
        results[size]["启动"] = startup(args.database_url)
    print(f"\n数据库 PostgreSQL；p50 / p99 毫秒（{args.repeat} 次）；负载 {os.getloadavg()[0]:.1f}")
    print(f"{'':24}" + "".join(f"{f'{s:,} 件':>26}" for s in sizes) + "   倍数(p99)")
    for label in results[sizes[0]]:
        if label == "启动":
            continue
        cells = []
        for s in sizes:
            p50, p99, *rest = results[s][label]
            cells.append(f"{p50:7.1f} / {p99:7.1f}" + (f" [{rest[0]}]" if rest else ""))
        ratio = results[sizes[-1]][label][1] / max(results[sizes[0]][label][1], 0.01)
        print(f"{label:24}" + "".join(f"{c:>26}" for c in cells) + f"   ×{ratio:.2f}")
    print("服务启动 s / 常驻内存 MB: " + "；".join(
        f"{s:,} 件 {results[s]['启动'][0]:.2f} s / {results[s]['启动'][1]:.0f} MB" for s in sizes))
    print(f"本进程常驻内存峰值 {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    db.engine.dispose()


if __name__ == "__main__":
    main()
