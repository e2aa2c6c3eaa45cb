"""Every demo proposal of every region walked to its end in a real browser, under
`cppcc serve --demo` (the server process loads the demo, then serves it, as bin/demo does).

The walk is generic: for each demo proposal (regions/<code>/demo.yaml) it finds the
proposal's open tasks, logs in as an account that may do the first one, opens the
task page, fills the form with valid answers (form_answers.py has them for every
form in forms/) and submits it, until the proposal is finished (办结, 不予立案, 已并案,
已转为意见). Where nothing is open but a timer is armed, it moves the clock to it
(`cppcc run-timers --at`). A proposal left with neither is a stalled case: the test
fails, naming the proposal and its last step.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Accounts, Person
from form_answers import FORMS, answers, fill
from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.model.settings import Settings
from engine.model.tables import Case
from engine.tooling.demo import DEMO_PASSWORD, load_story

ROOT = Path(__file__).resolve().parents[2]
FINISHED = {"closed", "not_filed", "merged", "converted"}
MAX_STEPS = 80  # per proposal: a walk that loops is a failure, not a hang
# Steps another defect keeps from being done through the pages: {task name: reason}. The
# walk skips exactly these (the test is marked xfail with the reason) and goes on.
BLOCKED: dict = {}
# who does a task of a role with no unit and no assignee, among the demo accounts
BY_ROLE = {"committee": "tawei_li", "gov_office": "zfb_wang", "supervisor": "dcs_zhou"}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The JSON API of the demo server, one token per demo account."""

    def __init__(self, base):
        self.base, self.tokens = base, {}

    def call(self, username, method, path, body=None):
        if username not in self.tokens:
            self.tokens[username] = self._login(username)
        headers = {"Authorization": f"Bearer {self.tokens[username]}", "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path} as {username}: {err.code} {err.read().decode()}") from None

    def _login(self, username):
        request = urllib.request.Request(self.base + "/api/auth/login", method="POST",
                                         data=json.dumps({"username": username, "password": DEMO_PASSWORD}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["token"]


@pytest.fixture(params=["default", "binhai"])
def demo_server(request, tmp_path):
    """`cppcc serve --demo` for one region on a fresh database: (base URL, settings, region)."""
    region = request.param
    url = os.environ.get("CPPCC_TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/demo.sqlite3"
    Database(url).drop_schema()
    port = _free_port()
    env = {**os.environ, "CPPCC_DATABASE_URL": url, "CPPCC_REGION": region, "PYTHONPATH": str(ROOT),
           "CPPCC_SECRET_KEY": "demo-walk-" + os.urandom(24).hex(), "CPPCC_UPLOAD_DIR": str(tmp_path / "uploads")}
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port),
                               "--timer-interval", "5"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.5)
        yield base, Settings.from_env(database_url=url, region=region), region, env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert "Traceback" not in text, text


class Walker:
    """Walks demo proposals through the pages, as the people whose steps they are."""

    def __init__(self, chromium, base, shots, env, settings, runtime):
        self.chromium, self.base, self.shots, self.env, self.settings = chromium, base, shots, env, settings
        self.api = Api(base)
        # one tab for every account; the dossier a submitted form lands on draws its diagrams
        # with bpmn-js, which nothing here looks at (tests/e2e/test_csp.py and
        # test_chinese_pages.py check the drawing): the viewer is not fetched
        self.accounts = Accounts(chromium, base, shots, block=["*/bpmn-viewer.js"])
        self.leaders = [x["username"] for x in runtime.region.leaders]
        self.skipped, self.steps = [], 0

    def person(self, username) -> Person:
        return self.accounts.person(username)

    def who(self, task) -> str:
        """A demo account that may do an open task (its assignee, its unit's clerk or head, its office)."""
        if task["assignee"]:
            return task["assignee"]
        if task["role"] in ("unit_clerk", "unit_head"):
            return f"{task['unit_id']}_{task['role'].removeprefix('unit_')}"
        if task["role"] == "deputy_head":
            return self.leaders[0]
        return BY_ROLE[task["role"]]

    def walk(self, pid, title):
        """Do the proposal's open tasks one by one until it is finished; returns its final record."""
        done = []
        for _ in range(MAX_STEPS):
            record = self.api.call("tawei_li", "GET", f"/api/proposals/{pid}")
            if record["status"] in FINISHED and not record["open_tasks"]:
                return record, done
            blocked = [t for t in record["open_tasks"] if t["name"] in BLOCKED]
            for task in blocked:
                if (task["name"], title) not in self.skipped:
                    self.skipped.append((task["name"], title))
            tasks = [t for t in record["open_tasks"] if t["name"] not in BLOCKED]
            if tasks:
                self.do(tasks[0], title)
                done.append(tasks[0]["name"])
            elif blocked:
                return record, done
            else:
                assert self._fire_next_timer(pid), (f"“{title}” 停滞：状态 {record['status']}，没有待办任务，"
                                                     f"也没有计时；已办：{done}")
        raise AssertionError(f"“{title}” 走了 {MAX_STEPS} 步仍未结束；已办：{done}")

    def do(self, task, title):
        username = self.who(task)
        detail = self.api.call(username, "GET", f"/api/tasks/{task['id']}")
        values = answers(detail["form"], detail["schema"], {**detail["context"], **detail["data"]})
        person = self.person(username)
        page = person.page
        page.goto(f"{self.base}/tasks/{task['id']}", wait_until="domcontentloaded")
        fill(page, values)
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click("form.form button[type=submit]")
        refused = page.locator(".has-error .error, .flash-error")
        if refused.count():
            person.shot(f"refused-{task['name']}")
            raise AssertionError(f"“{title}” 的“{task['title']}”（{username}）被拒绝："
                                 f"{'；'.join(refused.all_inner_texts())}，填写：{values}")
        assert f"/tasks/{task['id']}" not in page.url, (title, task["name"], page.inner_text("main"))
        self.steps += 1

    def _fire_next_timer(self, pid) -> bool:
        """Move the clock just past the proposal's next armed timer and fire it (cppcc run-timers --at)."""
        database = Database(self.settings.database_url)
        try:
            with UnitOfWork(database) as uow:
                times = [t for t in uow.session.scalars(select(Case.next_timer_at).where(
                    Case.proposal_id == pid, Case.completed.is_(False), Case.next_timer_at.is_not(None)))]
        finally:
            database.engine.dispose()
        if not times:
            return False
        at = (min(times) + timedelta(minutes=1)).isoformat()
        subprocess.run([sys.executable, "-m", "api.cli", "run-timers", "--at", at], cwd=ROOT, env=self.env,
                       check=True, capture_output=True, timeout=120)
        return True

    def close(self):
        self.accounts.close()


@pytest.mark.parametrize("region", ["default", "binhai"])
def test_every_form_has_valid_answers(region, runtimes):
    """The walk can answer every form in forms/, and its answers are valid under each region."""
    rt = runtimes.get(Settings.from_env(database_url="sqlite://", region=region))
    assert set(FORMS) == set(rt.forms.schemas)
    for form in sorted(rt.forms.schemas):
        values = answers(form, rt.forms.resolved(form), {})
        rt.forms.validate(form, {k: ({} if v == "best" else v) for k, v in values.items()})


@pytest.mark.slow
def test_every_demo_proposal_is_walked_to_its_end(demo_server, chromium, shots, runtimes):
    base, settings, region, env = demo_server
    runtime = runtimes.get(settings)  # the region and its demo story, parsed once per process
    story = load_story(runtime)
    walker = Walker(chromium, base, shots, env, settings, runtime)
    try:
        listed = walker.api.call("tawei_li", "GET", "/api/proposals?per_page=100")["items"]
        ids = {p["title"]: p["id"] for p in listed}
        assert set(ids) == {e["title"] for e in story}
        ends = {}
        for entry in story:
            record, done = walker.walk(ids[entry["title"]], entry["title"])
            ends[entry["title"]] = (entry["stage"], record["status"], done)
            page = walker.person("tawei_li").page
            dossier = page.goto(f"{base}/proposals/{record['id']}", wait_until="domcontentloaded")
            assert dossier.status == 200, (entry["title"], dossier.status)
            walker.person("tawei_li").shot(f"{region}-{entry['stage']}-end")
        print(f"\n{region}: {walker.steps} steps through the pages; " + "; ".join(
            f"{stage} → {status} ({len(done)} 步)" for stage, status, done in ends.values()))
        unfinished = {t: e for t, e in ends.items() if e[1] not in FINISHED}
        assert not unfinished or walker.skipped, unfinished
        incidents = walker.api.call("tawei_li", "GET", "/api/incidents?resolved=1")
        assert incidents["total"] == 0, incidents
        assert not walker.accounts.violations, f"the Content-Security-Policy blocked: {walker.accounts.violations}"
        if walker.skipped:
            pytest.xfail("; ".join(f"“{title}”跳过“{name}”：{BLOCKED[name]}" for name, title in walker.skipped))
    finally:
        walker.close()
