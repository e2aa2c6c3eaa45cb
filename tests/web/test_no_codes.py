"""No codes or English reach handlers: version labels instead of hashes, people's names
instead of accounts, Chinese messages for the assignment form, the sampling page, the
start-up warnings and the server's start-up errors."""
import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

from test_pages import submit, task_id

from engine.adapters.db import UnitOfWork
from engine.model.tables import ProcessDefinition
from engine.rules import workcal

ROOT = Path(__file__).resolve().parents[2]


def test_the_dossier_names_the_version_and_shows_its_hash_to_designers_only(app, browser):
    pid = submit(browser)
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        version = uow.session.query(ProcessDefinition).one().hash
    label = re.compile(r"第 1 版（\d{4}-\d\d-\d\d 部署）")
    for username in ("wy_chen", "tawei_li", "dcs_zhou"):
        page = visible(browser().login(username).text(f"/proposals/{pid}"))
        assert label.search(page) and version not in page, username
    designer = visible(browser().login("designer").text(f"/proposals/{pid}"))
    assert label.search(designer) and version in designer


def visible(html: str) -> str:
    """The page's text without its tags, scripts and templates (what a person reads)."""
    html = re.sub(r"<(script|template|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def test_versions_say_who_deployed_by_name(app, browser):
    page = browser().login("designer")
    html = page.text("/designer/versions")
    assert re.search(r"<h2>第 1 版（\d{4}-\d\d-\d\d 部署） <code", html)
    from engine.definitions import versions
    ext = app.extensions["cppcc"]
    with UnitOfWork(ext["db"]) as uow:
        row = versions.current_definition(uow.session, ext["runtime"])
        files = dict(row.files)
    xml = files["proposal.bpmn"].replace('name="审查立案"', 'name="审查立案（新）"', 1)
    response = page.client.post("/designer/deploy", json={"name": "proposal.bpmn", "xml": xml, "note": "改名"},
                                headers={"X-CSRFToken": page.token})
    assert response.status_code == 201, response.get_data(as_text=True)
    html = page.text("/designer/versions")
    assert "<td>郑伟（流程设计员）</td>" in html and "<td>designer</td>" not in html


def test_the_assignment_form_says_why_not_how_many(browser):
    submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    refused = tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw",
                                                       "assisting_unit_ids": "fgw", "is_key": "false"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "单独承办不选协办单位" in html and "最多选择 0 项" not in html


def test_the_sampling_page_explains_the_check_in_chinese(browser):
    submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw", "is_key": "false"})
    tw.get("/supervision/samples")
    drawn = tw.post("/supervision/samples", {"rate_percent": "100", "seed": "", "label": "抽查"})
    assert drawn.status_code == 302
    page = tw.text(drawn.headers["Location"])
    assert "复核方法" in page and "random" not in page and "Python" not in page


def test_start_up_warnings_are_chinese(caplog, monkeypatch):
    monkeypatch.setattr(workcal, "_warned_years", set())  # not left marked for the tests after it
    with caplog.at_level(logging.WARNING):
        workcal._warn_uncovered(2098)
    [message] = [r.getMessage() for r in caplog.records if "2098" in r.getMessage()]
    assert "2098 年" in message and "工作日" in message
    assert not re.search(r"\b(?!chinesecalendar\b|calendar\b|region\b|yaml\b)[A-Za-z]{3,}\b", message), message


def test_a_busy_port_is_said_in_chinese(settings):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "api.cli", "--database-url", settings.database_url, "serve",
                                 "--port", str(port), "--no-worker"], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 1
    assert "端口已被其他程序占用" in result.stderr and "Traceback" not in result.stderr, result.stderr
