"""The plenary through the API: proposals submitted, filed and assigned over HTTP.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.plenary_api [--proposals 1000] [--single 100]
                                                       [--import-rows 200] [--database-url URL]

`cppcc serve` (waitress) runs on a fresh database (a temporary SQLite file unless
--database-url is given; that database is EMPTIED first) with the region's units,
a committee account and a member. Two figures, from the same run and server:

- one proposal at a time (--single proposals): each submitted (`POST /api/proposals`),
  then its review and its assignment completed (`POST /api/tasks/<id>/complete`,
  the assignment task found in the review's answer), as a clerk without the batch
  page would;
- with the batch endpoints (--proposals proposals): submitted by Excel import
  (`POST /api/proposals/import`, --import-rows to a file, as paper proposals
  collected at the plenary), then listed and applied page by page (`GET` and
  `POST /api/plenary`, 200 a page), each filed with its suggested lead unit.

Each is printed with its parts (submitting, filing and assigning) and the machine's load.
WARM_UP proposals are submitted, filed and assigned first and not counted: a server's first
submission loads scikit-learn (about a second) and its first requests compile what they run,
which once spread over the figures (the single submissions' 42 ms were mostly that).
"""
import argparse
import http.client
import io
import json
import os
import secrets
import time
import uuid
from pathlib import Path

from openpyxl import Workbook

from bench import database_url
from bench.completions import call, free_port, start_server
from bench.step_cost import prepare_database
from engine.model.settings import Settings
from engine.services.proposal_import import COLUMNS, SHEET
from engine.tooling.plenary_data import form_data, session_proposals
from engine.workflow.runtime import Runtime

PASSWORD = "bench-plenary"
CLERK, MEMBER = "tw", "wy"
WARM_UP = 10  # proposals done before the timing starts
PAGE = 200  # the batch page's most rows (engine/services/plenary.py MAX_ROWS)


def prepare(url: str, rt: Runtime) -> None:
    """An empty database with the region's units, a committee clerk and a member."""
    accounts = ((CLERK, "提案委", "committee", None), (MEMBER, "陈委员", "proposer", None))
    prepare_database(url, rt, accounts, PASSWORD).engine.dispose()


def login(conn, username: str) -> str:
    status, body = call(conn, "POST", "/api/auth/login", {"username": username, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"login refused: {status} {body}")
    return body["token"]


def checked(status: int, body: dict, what: str) -> dict:
    if status >= 300:
        raise SystemExit(f"{what}: {status} {json.dumps(body, ensure_ascii=False)[:500]}")
    return body


def one_at_a_time(conn, tokens: dict, items: list[dict], first_unit: str, pid_of_server: int) -> dict:
    """Submit, review and assign each proposal, one after another; the seconds of each part, and
    the server's CPU seconds of the submissions ("submit_cpu")."""
    spent = {"submit": 0.0, "review": 0.0, "assign": 0.0, "submit_cpu": 0.0}
    for item in items:
        began, cpu = time.perf_counter(), server_cpu(pid_of_server)
        pid = checked(*call(conn, "POST", "/api/proposals", form_data(item), tokens[MEMBER]), "submit")["id"]
        spent["submit"] += time.perf_counter() - began
        spent["submit_cpu"] += server_cpu(pid_of_server) - cpu
        began = time.perf_counter()
        tasks = checked(*call(conn, "GET", f"/api/tasks?name=review&proposal_id={pid}", token=tokens[CLERK]), "tasks")
        done = checked(*call(conn, "POST", f"/api/tasks/{tasks['items'][0]['id']}/complete",
                             {"data": {"review_decision": "file", "category": item["category"]}}, tokens[CLERK]), "review")
        spent["review"] += time.perf_counter() - began
        began = time.perf_counter()
        assign = next(t for t in done["next"]["tasks"] if t.get("mine") and t["name"] == "assign")
        checked(*call(conn, "POST", f"/api/tasks/{assign['id']}/complete",
                      {"data": {"assign_mode": "single", "lead_unit_ids": [first_unit], "assisting_unit_ids": [],
                                "is_key": False}}, tokens[CLERK]), "assign")
        spent["assign"] += time.perf_counter() - began
    return spent


def workbook(items: list[dict]) -> bytes:
    """The import template's 提案 sheet with the proposals, all by the member."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([header for _, header, _, _ in COLUMNS])
    for item in items:
        cells = {**form_data(item), "proposer": MEMBER, "cosigners": "", "source": "大会提案"}
        sheet.append([cells.get(key, "") for key, _, _, _ in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(conn, token: str, content: bytes) -> dict:
    """POST /api/proposals/import with the workbook as multipart field `file`."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plenary.xlsx\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    conn.request("POST", "/api/proposals/import", body=body,
                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    return checked(response.status, json.loads(response.read() or b"{}"), "import")


def in_batch(conn, token: str, items: list[dict], rows_per_file: int, first_unit: str, pid: int) -> dict:
    """Import the proposals, then file and assign them page by page; the seconds of each part
    (and the server's CPU seconds: import_cpu, then cpu for the listing and applying)."""
    spent = {"import": 0.0, "list": 0.0, "apply": 0.0, "applied": 0, "refused": 0}
    cpu = server_cpu(pid)
    for first in range(0, len(items), rows_per_file):
        content = workbook(items[first:first + rows_per_file])
        began = time.perf_counter()
        upload(conn, token, content)
        spent["import"] += time.perf_counter() - began
    spent["import_cpu"], cpu = server_cpu(pid) - cpu, server_cpu(pid)
    while True:
        began = time.perf_counter()
        listing = checked(*call(conn, "GET", f"/api/plenary?step=review&per_page={PAGE}", token=token), "list")
        spent["list"] += time.perf_counter() - began
        if not listing["items"]:
            break
        rows = [{"task_id": i["task_id"], "version": i["version"], "decision": "file", "category": i["category"],
                 "lead_unit_ids": [u["unit_id"] for u in i["suggested"]["lead"]] or [first_unit],
                 "assisting_unit_ids": [u["unit_id"] for u in i["suggested"]["assisting"]]} for i in listing["items"]]
        for row in rows:
            row["assisting_unit_ids"] = [u for u in row["assisting_unit_ids"] if u not in row["lead_unit_ids"]]
        began = time.perf_counter()
        result = checked(*call(conn, "POST", "/api/plenary", {"rows": rows}, token), "apply")
        spent["apply"] += time.perf_counter() - began
        spent["applied"] += result["applied"]
        spent["refused"] += result["refused"]
        if not result["applied"]:
            break
    spent["filing_cpu"] = server_cpu(pid) - cpu
    return spent


def server_cpu(pid: int) -> float:
    """The CPU seconds (user + system) the server process has used so far (Linux /proc; 0 elsewhere),
    so that the figures say what the work cost whatever share of the machine the server got."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"负载（uptime）：{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--single", type=int, default=100)
    parser.add_argument("--import-rows", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    url = database_url(args.database_url, "plenary-api")
    rt = Runtime(Settings.from_env(database_url=url))
    prepare(url, rt)
    first_unit = rt.region.units[0]["id"]
    items = session_proposals(args.single + args.proposals + WARM_UP, pairs=(args.single + args.proposals) // 20)
    warm_up, items = items[-WARM_UP:], items[:-WARM_UP]
    port = free_port()
    server = start_server(url, port, secrets.token_hex(16))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        tokens = {name: login(conn, name) for name in (CLERK, MEMBER)}
        # a few proposals first, not counted: the server's first submission loads the similarity
        # library (scikit-learn, about a second), and its first requests fill what a process
        # keeps (compiled statements and expressions, pooled connections): a long-running server's
        # figure is the one after that (measured: 18 ms CPU a submission over the first 20, 12 ms after)
        one_at_a_time(conn, tokens, warm_up, first_unit, server.pid)
        print(f"服务：cppcc serve（waitress），数据库：{url.split(':', 1)[0]}；"
              f"先办 {WARM_UP} 件预热（不计时：服务进程首次提交时载入相似度计算库、初次请求编译语句）；{load()}")
        single = one_at_a_time(conn, tokens, items[:args.single], first_unit, server.pid) if args.single else None
        batch = in_batch(conn, tokens[CLERK], items[args.single:], args.import_rows, first_unit, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = batch["import"] + batch["list"] + batch["apply"]
    print(f"用批量接口：{args.proposals} 件提交（Excel 导入，每个文件 {args.import_rows} 件）、立案并交办"
          f"（批量审查交办，每页 {PAGE} 件）：{total:.1f} s，每件 {1000 * total / max(args.proposals, 1):.1f} ms")
    print(f"  导入 {batch['import']:.1f} s；列表 {batch['list']:.1f} s；提交 {batch['apply']:.1f} s"
          f"（立案并交办 {batch['applied']} 件，退回 {batch['refused']} 件）")
    per = 1000 / max(args.proposals, 1)
    print(f"  服务进程的 CPU 时间：导入 {batch['import_cpu']:.1f} s（每件 {per * batch['import_cpu']:.1f} ms），"
          f"列表与提交 {batch['filing_cpu']:.1f} s（每件 {per * batch['filing_cpu']:.1f} ms）")
    print(f"  其中立案并交办（列表 + 提交）：{batch['list'] + batch['apply']:.1f} s；目标 1,000 件 10 s 以内"
          f"（提交、立案、交办合计）：{'达到' if total < 10 and args.proposals >= 1000 else '未达到'}")
    if single:
        spent = single["submit"] + single["review"] + single["assign"]
        print(f"逐件（提交 POST /api/proposals，审查立案、交办各一次 POST /api/tasks/<id>/complete）：{args.single} 件 "
              f"{spent:.1f} s，每件 {1000 * spent / args.single:.1f} ms（提交 {1000 * single['submit'] / args.single:.1f}、"
              f"审查立案 {1000 * single['review'] / args.single:.1f}、交办 {1000 * single['assign'] / args.single:.1f} ms）；"
              f"提交时服务进程的 CPU 时间每件 {1000 * single['submit_cpu'] / args.single:.1f} ms")
    print(f"  CPU 核数：{os.cpu_count()}；{load()}")


if __name__ == "__main__":
    main()
