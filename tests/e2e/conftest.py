"""End-to-end fixtures: the app served on a local port, Debian's Chromium driven by Playwright.

Set CPPCC_E2E_REQUIRED=1 (CI does) to fail instead of skip when Chromium or
Playwright is missing. Screenshots are taken only when asked for, to look at: set
CPPCC_E2E_SHOTS to a folder (or to 1 for instance/e2e-screenshots). No test asserts on
a screenshot, and a full-page screenshot of every page walked was a large share of
the browser tests' time.
"""
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CPPCC_CHROMIUM", "/usr/bin/chromium")
# Every page the tests open is of one origin (the app on 127.0.0.1), so Chromium's process
# model for sites and its back-forward cache buy them nothing; turned off, the same pages cost
# about 30% less of Chromium's CPU (measured once each, load 3-4: test_chinese_pages 56 -> 40 s,
# test_walk 26 -> 19 s).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-features=BackForwardCache,ProactivelySwapBrowsingInstance,RenderDocument,site-per-process,IsolateOrigins",
         "--disable-site-isolation-trials"]


def _unavailable(reason):
    if os.environ.get("CPPCC_E2E_REQUIRED") == "1":
        pytest.fail(f"browser tests required but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture
def live_server(app):
    """The app on 127.0.0.1:<free port>; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _chinese_font() -> bool:
    """Whether fontconfig knows a font covering Chinese (what Chromium draws text with)."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium launched by Playwright (never a downloaded browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    if not _chinese_font():
        _unavailable("no Chinese font: screenshots would show boxes (bin/cjk-font installs fonts-noto-cjk)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Shots:
    """Where one test's screenshots go: a folder, or None when none were asked for."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def take(self, page, name: str, full_page: bool = True) -> None:
        """Save a screenshot of `page` as `name` (when screenshots were asked for)."""
        if self.folder is not None:
            page.screenshot(path=str(self.folder / name), full_page=full_page)


def shots_folder() -> Path | None:
    """The folder CPPCC_E2E_SHOTS asks screenshots to go to (1: instance/e2e-screenshots), or None."""
    asked = os.environ.get("CPPCC_E2E_SHOTS", "")
    if asked in ("", "0"):
        return None
    return Path(__file__).resolve().parents[2] / "instance" / "e2e-screenshots" if asked == "1" else Path(asked)


@pytest.fixture
def shots(request):
    """This test's screenshots (Shots): taken only when CPPCC_E2E_SHOTS asks for them."""
    root = shots_folder()
    if root is None:
        return Shots(None)
    folder = root / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)


class Person:
    """One user's browser tab: log in, open tasks by title, fill forms, screenshot."""

    def __init__(self, page, base, shots, username):
        self.page, self.base, self.shots, self.username = page, base, shots, username
        self.counter = 0

    def shot(self, label):
        Person.seq = getattr(Person, "seq", 0) + 1
        self.shots.take(self.page, f"{Person.seq:02d}-{self.username}-{label}.png")

    def login(self):
        self.page.goto(self.base + "/login")
        self.page.fill("input[name=username]", self.username)
        self.page.fill("input[name=password]", "demo123")
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/tasks")
        return self

    def sign_in(self):
        """Log in without drawing the login page and the inbox, for tests whose subject is
        not the login: the same form (with its CSRF token) posted by the context's request
        client, which shares the tab's cookies."""
        request = self.page.context.request
        form = request.get(self.base + "/login").text()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        done = request.post(self.base + "/login", max_redirects=0,
                            form={"csrf_token": token, "username": self.username, "password": "demo123"})
        assert done.status == 302 and done.headers["location"].endswith("/tasks"), (self.username, done.status)
        return self

    def open_task(self, title, proposal_title=None):
        """Open the first inbox task with this title (optionally of this proposal)."""
        self.page.goto(self.base + "/tasks")
        items = self.page.locator(".task-item a", has_text=title)
        if proposal_title:
            items = items.filter(has_text=proposal_title)
        items.first.click()
        self.page.wait_for_selector("form.form")
        return self

    def fill(self, data):
        """Fill form fields by name: radios, checkboxes, selects, text and textareas."""
        for name, value in data.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                v = {True: "true", False: "false"}.get(v, v)
                target = self.page.locator(f'[name="{name}"]').first
                kind = target.get_attribute("type") or target.evaluate("e => e.tagName.toLowerCase()")
                if kind in ("radio", "checkbox"):
                    self.page.check(f'[name="{name}"][value="{v}"]')
                elif kind == "select":
                    target.select_option(v)
                else:
                    target.fill(str(v))
        return self

    def submit(self, label):
        """Screenshot the filled form, submit, screenshot the result."""
        self.shot(f"{label}-form")
        self.page.click("form.form button[type=submit]")
        self.page.wait_for_load_state()
        self.shot(f"{label}-done")
        return self


class Accounts:
    """Several accounts taking turns in one browser tab: one context and one page for a whole
    walk instead of a context per person (each cost a renderer process, started cold: most of
    a walk's Chromium time went there and into pages drawn in it for the first time).

    `person(username)` is that account's Person; using its `page` makes the tab theirs: the
    session cookies of the account that had it are kept and the account's own put back (signed
    in with `Person.sign_in` the first time). So a test reads a person's page only after that
    person opened it, as with a tab of their own. `block` names URL patterns the tab never
    fetches (Chromium's own blocklist, no request interception); `violations` collects what the
    Content-Security-Policy blocked on its pages."""

    def __init__(self, chromium, base, shots, block=()):
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.violations = csp_violations(self.context)
        self.tab = self.context.new_page()
        if block:
            cdp = self.context.new_cdp_session(self.tab)
            cdp.send("Network.enable")
            cdp.send("Network.setBlockedURLs", {"urls": list(block)})
        self.base, self.shots = base, shots
        self.people, self.cookies, self.current = {}, {}, None

    def person(self, username) -> "Account":
        """`username`'s Person on the shared tab (signed in when it first acts)."""
        if username not in self.people:
            self.people[username] = Account(self, username)
        return self.people[username]

    def use(self, username) -> None:
        """Make the tab `username`'s: their session cookies in, the previous account's kept."""
        if username == self.current:
            return
        if self.current is not None:
            self.cookies[self.current] = self.context.cookies()
        self.context.clear_cookies()
        self.current = username
        if username in self.cookies:
            self.context.add_cookies(self.cookies[username])
        else:
            self.people[username].sign_in()

    def close(self):
        self.context.close()


class Account(Person):
    """A Person on the tab of `Accounts`: its `page` is the shared tab, made theirs when used."""

    def __init__(self, accounts: Accounts, username: str):
        self.accounts = accounts
        super().__init__(accounts.tab, accounts.base, accounts.shots, username)

    @property
    def page(self):
        self.accounts.use(self.username)
        return self.accounts.tab

    @page.setter
    def page(self, tab):
        assert tab is self.accounts.tab, "an account's page is the shared tab"


@pytest.fixture
def accounts(chromium, live_server, shots):
    """Accounts taking turns in one tab (Accounts); the test fails if anything on the pages
    it opened was blocked by the Content-Security-Policy."""
    shared = Accounts(chromium, live_server, shots)
    yield shared
    shared.close()
    assert not shared.violations, f"the Content-Security-Policy blocked: {shared.violations}"


# Every page reports what its Content-Security-Policy blocked; Chromium also says so in the console.
REPORT_CSP = ("document.addEventListener('securitypolicyviolation', function (e) {"
              " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile"
              " + ':' + e.lineNumber); });")


def csp_violations(context) -> list:
    """A list that collects every CSP violation of the pages of `context`."""
    found = []
    context.add_init_script(REPORT_CSP)
    context.on("console", lambda msg: found.append(f"{msg.page.url if msg.page else ''}: {msg.text}")
               if "CSP violation" in msg.text or "Content Security Policy" in msg.text else None)
    return found


@pytest.fixture
def person(chromium, live_server, shots):
    """person(username) -> a logged-in Person in its own browser context. The test fails if
    anything on the pages it opened was blocked by the Content-Security-Policy."""
    contexts, violations = [], []

    def make(username):
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        violations.append(csp_violations(context))
        return Person(context.new_page(), live_server, shots, username).login()

    yield make
    for context in contexts:
        context.close()
    blocked = [text for found in violations for text in found]
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
