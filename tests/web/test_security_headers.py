"""Every response says it may not be framed, sniffed or leak its address; pages carry a
Content-Security-Policy without inline script, and the pages have no inline script,
handler or style for it to block (tests/e2e checks in Chromium that nothing is blocked)."""
import io
import re

import pytest

PAGE_DIRECTIVES = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "object-src": "'none'",
                   "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'"}


def policy(response) -> dict:
    directives = [d.strip() for d in response.headers.get("Content-Security-Policy", "").split(";") if d.strip()]
    return {name: value.strip() for name, _, value in (d.partition(" ") for d in directives)}


def assert_basics(response):
    assert response.headers.get("X-Frame-Options") == "DENY", response.headers
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert policy(response).get("frame-ancestors") == "'none'"


def submit(b):
    b.get("/proposals/new")
    response = b.post("/proposals/new", {"title": "关于加强停车管理的建议", "category": "urban",
                                         "body": "停车难问题日益突出，需要综合治理。", "suggestions": "建设立体停车库"})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.fixture
def pages(browser):
    """(path, logged-in browser) for a page of every kind, rendered as their users see them."""
    chen = browser().login("wy_chen")
    dossier = submit(chen)
    tw = browser().login("tawei_li")
    task = re.search(r'href="(/tasks/[0-9a-f-]{36})"', tw.text("/tasks")).group(1)
    designer = browser().login("designer")
    return [("/login", browser()), ("/tasks", tw), (task, tw), (dossier, chen), (dossier, tw), ("/proposals", tw),
            ("/proposals/new", chen), ("/notifications", chen), ("/reports/overdue", tw),
            ("/supervision/samples", tw), ("/designer", designer), ("/designer/edit/handling.bpmn", designer),
            ("/designer/edit/approval_chain.dmn", designer), ("/designer/versions", designer),
            ("/designer/migrations", designer), ("/no-such-page", tw)]


def test_pages_send_the_headers_and_a_policy_without_inline_script(pages):
    for path, b in pages:
        response = b.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_basics(response)
        directives = policy(response)
        # dmn-js (and CodeMirror in it) and the bpmn-js properties panel write styles with no
        # way to give them a nonce: the editors alone allow inline styles; scripts are this
        # site's files on every page
        wanted = PAGE_DIRECTIVES
        if path.startswith("/designer/edit/"):
            wanted = {**PAGE_DIRECTIVES, "style-src": "'self' 'unsafe-inline'"}
        for name, value in wanted.items():
            assert directives.get(name) == value, (path, name, directives)
        assert not [k for k in directives if k.startswith(("script-src-", "style-src-"))], (path, directives)


def test_pages_have_no_inline_script_handler_or_style(pages):
    for path, b in pages:
        html = b.get(path).get_data(as_text=True)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.IGNORECASE), (path, "inline event handler")
        assert not re.search(r"<[^>]+\sstyle\s*=", html, re.IGNORECASE), (path, "style attribute")
        assert "<style" not in html.lower(), (path, "<style> element")
        assert "javascript:" not in html.lower(), path
        for tag in re.findall(r"<script\b[^>]*>", html, re.IGNORECASE):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/me", "/api/no-such-route", "/static/css/app.css",
                                  "/static/vendor/bpmn-viewer.js"])
def test_api_and_static_responses_send_the_basics(app, path):
    response = app.test_client().get(path)
    assert_basics(response)
    assert policy(response).get("default-src") == "'none'", (path, response.headers.get("Content-Security-Policy"))


def test_downloads_are_sandboxed(browser):
    chen = browser().login("wy_chen")
    dossier = submit(chen)
    chen.get(dossier)
    upload = chen.post(f"{dossier}/attachments", {"file": (io.BytesIO(b"%PDF-1.4 test"), "x.pdf")},
                       content_type="multipart/form-data")
    assert upload.status_code == 302, upload.get_data(as_text=True)
    link = re.search(r'href="(/attachments/\d+)"', chen.text(dossier)).group(1)
    response = chen.get(link)
    assert response.status_code == 200
    assert_basics(response)
    assert policy(response).get("sandbox") == "" and policy(response).get("default-src") == "'none'"


def test_https_responses_ask_for_https_from_now_on(app):
    response = app.test_client().get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
