"""A database that is down, refuses, hangs or is locked gives a quick 503 with Retry-After
and a Chinese message (JSON for the API, a page for the pages), never SQL or driver text;
what needs no database keeps answering; and it all recovers by itself.

The refused and hung servers are local sockets, so these run on every test database; the
tests through a proxy to a real server (a server that stops answering mid-session, one
that goes away and comes back) and of PostgreSQL's lock timeout need PostgreSQL."""
import os
import select
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from engine.adapters.db import Database, Limits

PASSWORD = "pw-测试"  # tests/api/conftest.py
MESSAGE = "数据库暂时无法访问，请稍后重试"
INTERNALS = ("psycopg", "sqlalchemy", "SELECT ", "INSERT ", "connection to", "connection failed", "127.0.0.1",
             "port ", "timeout expired", "Traceback", "sqlite3", "database is locked", "OperationalError", "SQLSTATE")
FAST = Limits(connect_timeout=1, statement_timeout=1, lock_timeout=1, pool_timeout=1)
CONNECT = max(2, FAST.connect_timeout)  # libpq (and psycopg) wait at least 2 s to connect
PG = (os.environ.get("CPPCC_TEST_DATABASE_URL") or "").startswith("postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def close_listener(listener):
    """Stop listening (shutdown first: a thread blocked in accept() keeps a closed socket listening)."""
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()


class SilentServer:
    """Accepts TCP connections and never says a word (a hung database server)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held, self._stop = [], False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self._stop = True
        for conn in self.held:
            conn.close()
        close_listener(self.listener)


class Proxy:
    """A TCP proxy to the test's PostgreSQL server that can stop forwarding (the server
    hangs: connections stay open, nothing comes back) or go away and come back."""

    def __init__(self, host, port):
        self.target, self.port = (host, port), free_port()
        self.frozen = threading.Event()
        self.pairs = []
        self.start()

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a, b):
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 0.1)
                if self.frozen.is_set():
                    continue
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        raise OSError
                    (b if src is a else a).sendall(data)
        except OSError:
            a.close()
            b.close()

    def stop(self):
        """The server goes away: refuse new connections, drop the open ones."""
        close_listener(self.listener)
        for a, b in self.pairs:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.pairs = []


@contextmanager
def database_at(app, url, limits=FAST):
    """The app's database replaced by one at `url` for the block."""
    ext = app.extensions["cppcc"]
    real, ext["db"] = ext["db"], Database(url, limits=limits)
    try:
        yield ext["db"]
    finally:
        ext["db"].engine.dispose()
        ext["db"] = real


def token(api, username="tw_li"):
    return api.headers(username)  # logged in while the database is there


def assert_503(response, started, within):
    elapsed = time.monotonic() - started
    text = response.get_data(as_text=True)
    assert response.status_code == 503, text[:500]
    assert response.headers["Retry-After"].isdigit()
    assert MESSAGE in text, text[:500]
    for word in INTERNALS:
        assert word.lower() not in text.lower(), (word, text[:500])
    assert elapsed < within, f"took {elapsed:.1f} s"


def pg_url(port):
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/cppcc"


def test_a_stopped_database_gives_a_quick_503_to_the_api(app, api):
    headers = token(api)
    with database_at(app, pg_url(free_port())):  # nothing listens there: connection refused
        started = time.monotonic()
        response = api.client.get("/api/tasks", headers=headers)
        assert_503(response, started, within=1.0)
        assert response.is_json and response.get_json() == {"error": {"status": 503, "message": MESSAGE}}
        started = time.monotonic()
        assert_503(api.client.post("/api/auth/login", json={"username": "tw_li", "password": PASSWORD}),
                   started, within=1.0)


def test_a_stopped_database_gives_a_chinese_page(app, browser_client):
    client = browser_client("tw_li")
    with database_at(app, pg_url(free_port())):
        started = time.monotonic()
        response = client.get("/tasks")
        assert_503(response, started, within=1.0)
        assert response.mimetype == "text/html" and "<title>" in response.get_data(as_text=True)
        assert client.get("/login").status_code == 200  # the login form itself needs no database


def test_a_hung_database_ends_within_the_connect_timeout(app, api):
    headers = token(api)
    server = SilentServer()
    try:
        with database_at(app, pg_url(server.port)):
            started = time.monotonic()
            response = api.client.get("/api/proposals", headers=headers)
            assert_503(response, started, within=CONNECT + 1.5)
            started = time.monotonic()
            assert api.client.get("/api/openapi.json").status_code == 200  # needs no database at all
            assert time.monotonic() - started < 0.5
    finally:
        server.close()


def test_a_server_that_hangs_up_at_once_is_503_too(app, api):
    headers = token(api)
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up():
        while True:
            try:
                listener.accept()[0].close()
            except OSError:
                return

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        with database_at(app, pg_url(listener.getsockname()[1])):
            started = time.monotonic()
            assert_503(api.client.get("/api/me", headers=headers), started, within=2.0)
    finally:
        close_listener(listener)


def test_a_busy_server_with_waitress_threads_keeps_serving_what_needs_no_database(app, api):
    """Every worker thread waiting on a hung database: they are freed within the connect
    timeout, so a request that needs no database waits at most that long (not for as
    long as the database hangs)."""
    from waitress.server import create_server
    headers = token(api)
    server = SilentServer()
    try:
        with database_at(app, pg_url(server.port)):
            http = create_server(app, host="127.0.0.1", port=0, threads=2)

            def serve():
                try:
                    http.run()
                except (OSError, ValueError):  # its socket closed at the end of the test
                    pass

            threading.Thread(target=serve, daemon=True).start()
            base = f"http://127.0.0.1:{http.effective_port}"
            import urllib.error
            import urllib.request

            def call(path, found):
                started = time.monotonic()
                request = urllib.request.Request(base + path, headers=headers)
                try:
                    status = urllib.request.urlopen(request, timeout=30).status
                except urllib.error.HTTPError as err:
                    status = err.code
                found.append((status, time.monotonic() - started))

            slow = []
            callers = [threading.Thread(target=call, args=("/api/tasks", slow)) for _ in range(2)]
            for caller in callers:
                caller.start()
            time.sleep(0.2)
            fast = []
            call("/api/openapi.json", fast)
            for caller in callers:
                caller.join(30)
            http.close()
            assert [s for s, _ in slow] == [503] * 2 and all(t < CONNECT + 1.5 for _, t in slow), slow
            assert fast[0][0] == 200 and fast[0][1] < CONNECT + 1.5, fast
    finally:
        server.close()


@pytest.mark.skipif(PG, reason="SQLite's lock: this run's database is PostgreSQL (its lock timeout is tested below)")
def test_a_locked_sqlite_database_gives_503_after_the_lock_timeout(app, api, tmp_path):
    headers = token(api, "wy_chen")
    url = app.extensions["cppcc"]["db"].url
    proposal = {"title": "关于加强停车管理的建议", "category": "urban", "body": "停车难问题日益突出，需要综合治理。",
                "suggestions": "建设立体停车库"}
    with database_at(app, url):
        holder = sqlite3.connect(make_url(url).database, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        try:
            started = time.monotonic()
            response = api.client.post("/api/proposals", json=proposal, headers=headers)
            assert_503(response, started, within=FAST.lock_timeout + 2)
        finally:
            holder.rollback()
            holder.close()
        assert api.client.post("/api/proposals", json=proposal, headers=headers).status_code == 201


needs_pg = pytest.mark.skipif(not PG, reason="needs CPPCC_TEST_DATABASE_URL on PostgreSQL")


@pytest.fixture
def proxy():
    real = make_url(os.environ["CPPCC_TEST_DATABASE_URL"])
    proxy = Proxy(real.host or "127.0.0.1", real.port or 5432)
    yield proxy, real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


@needs_pg
def test_a_database_that_stops_answering_mid_session_ends_within_the_statement_timeout(app, api, proxy):
    relay, url = proxy
    headers = token(api)
    with database_at(app, url):
        assert api.client.get("/api/tasks", headers=headers).status_code == 200  # a pooled connection
        relay.frozen.set()  # the server hangs: the connection stays open, nothing answers
        started = time.monotonic()
        # the watchdog ends the pooled connection's call, then a new connection times out
        within = FAST.statement_timeout + FAST.grace + CONNECT + 1
        assert_503(api.client.get("/api/tasks", headers=headers), started, within=within)
        relay.frozen.clear()
        assert api.client.get("/api/tasks", headers=headers).status_code == 200


@needs_pg
def test_a_database_that_comes_back_is_used_again_at_once(app, api, proxy):
    relay, url = proxy
    headers = token(api)
    with database_at(app, url):
        assert api.client.get("/api/tasks", headers=headers).status_code == 200
        relay.stop()
        started = time.monotonic()
        assert_503(api.client.get("/api/tasks", headers=headers), started, within=1.5)
        relay.start()
        started = time.monotonic()
        response = api.client.get("/api/tasks", headers=headers)
        assert response.status_code == 200 and time.monotonic() - started < 0.4, time.monotonic() - started


@needs_pg
def test_a_lock_held_elsewhere_gives_503_after_the_lock_timeout(app, api):
    headers = token(api, "wy_chen")
    url = app.extensions["cppcc"]["db"].url
    with database_at(app, url):
        holder = Database(url)
        with holder.engine.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE proposals IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            assert_503(api.client.get("/api/proposals", headers=headers), started, within=FAST.lock_timeout + 2)
            conn.rollback()
        holder.engine.dispose()
        assert api.client.get("/api/proposals", headers=headers).status_code == 200


def test_the_server_settings_carry_the_timeouts(monkeypatch):
    from engine.model.settings import Settings
    for name, value in (("CPPCC_DB_CONNECT_TIMEOUT", "3"), ("CPPCC_DB_STATEMENT_TIMEOUT", "20"),
                        ("CPPCC_DB_LOCK_TIMEOUT", "7"), ("CPPCC_DB_POOL_TIMEOUT", "4")):
        monkeypatch.setenv(name, value)
    assert Limits.of(Settings.from_env()) == Limits(connect_timeout=3, statement_timeout=20, lock_timeout=7,
                                                    pool_timeout=4)
    monkeypatch.setenv("CPPCC_DB_LOCK_TIMEOUT", "0")
    with pytest.raises(ValueError, match="CPPCC_DB_LOCK_TIMEOUT"):
        Settings.from_env()
    pg = Database("postgresql+psycopg://u@127.0.0.1:1/x", limits=Limits())
    assert pg.connect_args == {"connect_timeout": 5, "options": "-c statement_timeout=30000 -c lock_timeout=15000"}
    assert pg.engine.pool._pre_ping and pg.engine.pool._timeout == 10
    lite = Database("sqlite://", limits=Limits(lock_timeout=7))
    assert lite.connect_args["timeout"] == 7


@pytest.fixture
def browser_client(app):
    """browser_client(username) -> a test client logged in through the login page."""
    import re

    def make(username):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
        assert response.status_code == 302
        return client
    return make


@pytest.mark.parametrize("command", [["init-db"], ["serve", "--port", "1"], ["worker", "--once"]])
def test_commands_say_in_chinese_that_the_database_cannot_be_reached(command):
    import subprocess
    import sys

    from engine.model.settings import PROJECT_ROOT
    url = f"postgresql+psycopg://postgres:pw@127.0.0.1:{free_port()}/cppcc"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, *command], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "数据库暂时无法访问" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert ":pw@" not in result.stderr  # the password is not printed
    assert time.monotonic() - started < 60


def test_openapi_documents_the_503(api):
    doc = api.client.get("/api/openapi.json").get_json()
    assert doc["paths"]["/api/tasks"]["get"]["responses"]["503"] == {"$ref": "#/components/responses/Unavailable"}
    assert "Retry-After" in doc["components"]["responses"]["Unavailable"]["headers"]
    assert "503" not in doc["paths"]["/api/openapi.json"]["get"]["responses"]
