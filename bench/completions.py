"""Task completions per second: in the process, and through HTTP with concurrent clients.

Usage (from the project root):

    .venv/bin/python -m bench.completions [--database-url URL] [--clients 1,4,8]
                                          [--seconds 10] [--servers 1] [--processes 1,2]

Each client owns one case walked to its follow-up stage and completes progress
reports (report_done false), each of which opens the next one: the same step
again and again, as in bench/step_cost.py, so the figure does not depend on
where a case is in its life.

Printed, side by side from one run (the machine's load is printed too, since
this 2-core machine is shared):
- in the process: `engine.services.cases.complete_task` in a committed unit of
  work, one after another; completions/s, p50 and p99 latency, the SQL
  statements one completion sends (counted on the database engine) and the CPU
  time this process spends on one (time.process_time: the database's own work on
  PostgreSQL is not in it);
- through HTTP: `cppcc serve` (waitress, 8 threads; with --processes N,
  `cppcc serve --processes N`: N gunicorn worker processes on one port) in one
  or more servers on the same database, N clients each on its own keep-alive
  connection posting `/api/tasks/<id>/complete`; completions/s, p50/p99, the
  ratio to the in-process rate, and the CPU time the server processes (gunicorn's
  workers included) spent per completion, read from /proc (Linux): on this shared
  2-core machine the figure that load disturbs least, and with the clients' own
  CPU time per completion the ceiling the two cores allow.

The database is a temporary SQLite file unless --database-url is given; that
database is EMPTIED (all tables dropped and re-created) first.
"""
import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import event

from bench.step_cost import REPORT, TO_FOLLOW_UP, EngineCase, prepare_database
from engine.adapters.db import UnitOfWork
from engine.model.settings import Settings
from engine.model.tables import User
from engine.services import cases as case_service
from engine.workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench"


def percentiles(times_s: list[float]) -> tuple[float, float]:
    """p50 and p99 of durations in seconds, in ms."""
    ms = sorted(t * 1000 for t in times_s)
    if len(ms) < 2:
        return (ms[0], ms[0]) if ms else (0.0, 0.0)
    return statistics.median(ms), statistics.quantiles(ms, n=100)[-1]


class StatementCounter:
    """Counts the SQL statements a database engine sends while active."""

    def __init__(self, engine):
        self.engine, self.count, self.active = engine, 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs):
        if self.active:
            self.count += 1


def in_process(db, rt, case: EngineCase, steps: int) -> dict:
    """Complete `steps` progress reports on one case in this process."""
    times = [case.step("progress_report", "fgw_clerk", REPORT) for _ in range(steps)]  # the lookup is not timed
    counted, cpu = _statements_of_completion(db, rt, case, StatementCounter(db.engine))
    p50, p99 = percentiles(times)
    return {"rate": len(times) / sum(times), "p50": p50, "p99": p99, "statements": counted, "cpu": cpu}


def _statements_of_completion(db, rt, case, counter, repeat: int = 20) -> tuple[float, float]:
    """Statements of the completion alone (complete_task in its unit of work) and the CPU time this
    process spent on it in ms (less disturbed by other programs on the machine than the wall
    clock), each averaged over `repeat`."""
    total, cpu = 0, 0.0
    for _ in range(repeat):
        task_id, user_id = case.open_task("progress_report", "fgw_clerk")
        counter.count, counter.active = 0, True
        began = time.process_time()
        with UnitOfWork(db) as uow:
            case_service.complete_task(uow, rt, uow.session.get(User, user_id), task_id, REPORT)
        cpu += time.process_time() - began
        counter.active = False
        total += counter.count
    return total / repeat, cpu * 1000 / repeat


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` and all its descendants (Linux /proc), or None."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    try:
        while todo:
            p = todo.pop()
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    except (OSError, ValueError, IndexError):
        return None
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, secret: str, processes: int = 1) -> subprocess.Popen:
    """`cppcc serve` on the database (`processes` > 1: gunicorn workers), waiting until it answers."""
    env = {**os.environ, "CPPCC_DATABASE_URL": url, "CPPCC_SECRET_KEY": secret}
    command = [sys.executable, "-m", "api.cli", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(command + (["--processes", str(processes)] if processes > 1 else []),
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/openapi.json")
            conn.getresponse().read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("server did not start: " + proc.stderr.read().decode(errors="replace")[-2000:]) from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not answer within 60 s")


def call(conn, method: str, path: str, body=None, token=None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else {})


class Client(threading.Thread):
    """One user completing the progress reports of one case over one connection."""

    def __init__(self, port: int, token: str, task_id: str, until: float, start: threading.Event):
        super().__init__(daemon=True)
        self.port, self.token, self.task_id, self.until, self.go = port, token, task_id, until, start
        self.times, self.errors = [], 0

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.go.wait()
        while time.monotonic() < self.until:
            began = time.perf_counter()
            status, body = call(conn, "POST", f"/api/tasks/{self.task_id}/complete", {"data": REPORT}, self.token)
            elapsed = time.perf_counter() - began
            if status != 200:
                self.errors += 1
                continue
            self.times.append(elapsed)
            nxt = [t for t in body["next"]["tasks"] if t.get("mine") and t["name"] == "progress_report"]
            self.task_id = nxt[0]["id"]


def through_http(url: str, cases: list, clients: int, seconds: float, ports: list[int], pids: list[int]) -> dict:
    """`clients` concurrent clients for `seconds`, spread over the servers (processes `pids`)."""
    tokens = {}
    for port in ports:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, body = call(conn, "POST", "/api/auth/login", {"username": "fgw_clerk", "password": PASSWORD})
        if status != 200:
            raise SystemExit(f"login refused: {status} {body}")
        tokens[port] = body["token"]
    go = threading.Event()
    until = time.monotonic() + seconds + 0.05
    threads = []
    for i in range(clients):
        port = ports[i % len(ports)]
        task_id, _ = cases[i].open_task("progress_report", "fgw_clerk")
        threads.append(Client(port, tokens[port], task_id, until, go))
    for t in threads:
        t.start()
    server_before = [cpu_seconds(pid) for pid in pids]
    client_before = time.process_time()
    began = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    client_cpu = time.process_time() - client_before
    server_after = [cpu_seconds(pid) for pid in pids]
    times = [x for t in threads for x in t.times]
    p50, p99 = percentiles(times)
    done = max(len(times), 1)
    server_cpu = (sum(a - b for a, b in zip(server_after, server_before, strict=True))
                  if None not in server_before + server_after else None)
    return {"rate": len(times) / wall, "p50": p50, "p99": p99, "errors": sum(t.errors for t in threads),
            "done": len(times), "server_cpu": server_cpu * 1000 / done if server_cpu is not None else None,
            "client_cpu": client_cpu * 1000 / done}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.completions", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="database to use (EMPTIED first); default a temporary SQLite file")
    parser.add_argument("--clients", default="1,4,8", help="concurrent HTTP clients per round (default 1,4,8)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each HTTP round (default 10)")
    parser.add_argument("--servers", type=int, default=1, help="servers on the database, each on its port (default 1)")
    parser.add_argument("--processes", default="1", help="worker processes of each server, one round of every "
                        "client count per value (default 1: waitress; N > 1: `cppcc serve --processes N`, gunicorn)")
    parser.add_argument("--steps", type=int, default=50, help="in-process completions timed (default 50)")
    args = parser.parse_args(argv)
    clients = sorted(int(x) for x in args.clients.split(","))
    os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")  # throwaway accounts
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        rt = Runtime(Settings.from_env(database_url=url))
        db = prepare_database(url, rt)
        try:
            cases = []
            for _ in range(max(clients)):
                case = EngineCase(db, rt)
                for name, username, data in TO_FOLLOW_UP:
                    case.step(name, username, data)
                cases.append(case)
            local = in_process(db, rt, cases[0], args.steps)
            backend = url.split(":", 1)[0].split("+", 1)[0]
            print(f"in the process ({backend}): {local['rate']:.1f} completions/s, p50 {local['p50']:.1f} ms, "
                  f"p99 {local['p99']:.1f} ms, {local['statements']:.1f} SQL statements and {local['cpu']:.1f} ms CPU "
                  "per completion")
            secret = secrets.token_urlsafe(32)
            for processes in (int(x) for x in args.processes.split(",")):
                ports = [free_port() for _ in range(args.servers)]
                servers = [start_server(url, port, secret, processes) for port in ports]
                kind = "waitress, 8 threads" if processes == 1 else f"gunicorn, {processes} processes"
                try:
                    for n in clients:
                        r = through_http(url, cases, n, args.seconds, ports, [proc.pid for proc in servers])
                        cpu = (f"{r['server_cpu']:.1f} ms server CPU" if r["server_cpu"] is not None
                               else "server CPU unknown")
                        print(f"HTTP, {args.servers} server(s) ({kind}), {n:2d} client(s): {r['rate']:.1f} "
                              f"completions/s ({r['rate'] / local['rate']:.2f} of in-process), p50 {r['p50']:.1f} ms, "
                              f"p99 {r['p99']:.1f} ms, {r['done']} done, {r['errors']} refused; {cpu} and "
                              f"{r['client_cpu']:.1f} ms client CPU per completion")
                finally:
                    for proc in servers:
                        proc.terminate()
                        proc.wait(timeout=30)
        finally:
            db.engine.dispose()
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
