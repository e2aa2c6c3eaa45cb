"""The designer's pages (流程设计) through Flask's client: who may use them, the versions
page, validating and deploying an edited file, and cases keeping their version."""
import html as htmllib
import io
import json
import os
import re

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine.adapters.db import UnitOfWork
from engine.definitions import versions
from engine.definitions.bundle import NS
from engine.model.tables import Deployment, ProcessDefinition

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def submit(browser, title, username="wy_chen"):
    """Submit a proposal through the page; return its id."""
    b = browser().login(username)
    b.get("/proposals/new")
    response = b.post("/proposals/new", {"title": title, "category": "urban", "body": "问题日益突出，需要综合治理。",
                                         "suggestions": "加强统筹"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def ext(app):
    """The app's settings, database and runtime; the demo people include the designer `designer`."""
    return app.extensions["cppcc"]


@pytest.fixture
def designer(browser, ext):
    """A browser logged in as the designer, holding a CSRF token from the designer's page."""
    b = browser().login("designer")
    assert b.get("/designer").status_code == 200
    return b


def current(ext) -> tuple[str, dict]:
    with UnitOfWork(ext["db"]) as uow:
        row = versions.current_definition(uow.session, ext["runtime"])
        return row.hash, dict(row.files)


def counts(ext) -> tuple[int, int]:
    with UnitOfWork(ext["db"]) as uow:
        return (uow.session.scalar(select(func.count()).select_from(Deployment)),
                uow.session.scalar(select(func.count()).select_from(ProcessDefinition)))


def version_block(html: str, version: str) -> str:
    """The versions page's entry of one version (from its <li> to the next version's)."""
    start = html.index(f'id="v-{version}"')
    start = html.rindex("<li", 0, start)
    ends = [i for i in (html.find('<li class="card version', start + 1), html.find("</ol>", start)) if i != -1]
    return html[start:min(ends)]


def post_json(b, path, body, token=True):
    headers = {"X-CSRFToken": b.token} if token else {}
    return b.client.post(path, json=body, headers=headers)


def edit(xml: str, change) -> str:
    """Apply change(root) to a BPMN file and return the new text."""
    root = etree.fromstring(xml.encode("utf-8"))
    change(root)
    return etree.tostring(root, encoding="unicode")


def node(root, tag, element_id):
    found = root.find(f".//bpmn:{tag}[@id='{element_id}']", NS)
    assert found is not None, element_id
    return found


def drop_property(task, name):
    for prop in task.iter(f"{SPIFF}property"):
        if prop.get("name") == name:
            prop.getparent().remove(prop)


def set_property(task, name, value):
    for prop in task.iter(f"{SPIFF}property"):
        if prop.get("name") == name:
            prop.set("value", value)


def test_only_designers_edit_others_get_the_chinese_403(browser, ext):
    proposer = browser().login("wy_chen")
    for path in ("/designer", "/designer/versions", "/designer/edit/handling.bpmn", "/designer/new?name=a.bpmn"):
        response = proposer.get(path)
        assert response.status_code == 403, path
        assert "没有权限" in response.get_data(as_text=True)
    assert "流程设计" not in proposer.text("/tasks")
    proposer.get("/proposals/new")  # a page with a CSRF token
    response = post_json(proposer, "/designer/deploy", {"name": "handling.bpmn", "xml": "<x/>"})
    assert response.status_code == 403 and response.get_json()["ok"] is False
    assert "流程设计员" in response.get_json()["message"]
    committee = browser().login("tawei_li")  # may read the versions, not edit
    assert committee.get("/designer/versions").status_code == 200
    assert committee.get("/designer/edit/handling.bpmn").status_code == 403
    b = browser().login("designer")
    assert '>流程设计</a>' in b.text("/tasks")


def test_versions_page_lists_deployments_cases_and_running_proposals(browser, designer, ext):
    pid = submit(browser, "关于规范共享单车停放的建议")
    version, files = current(ext)
    html = designer.text("/designer/versions")
    text = version_block(html, version)
    assert text.startswith('<li class="card version current"')
    assert "当前版本" in text and "流程文件（启动时读取）" in text
    assert re.search(r'class="running-count">1<', text) and re.search(r'class="completed-count">0<', text)
    assert f'href="/proposals/{pid}"' in text and "关于规范共享单车停放的建议" in text
    for name in files:
        assert f"/designer/versions/{version}/{name}" in text
    download = designer.get(f"/designer/versions/{version[:8]}/handling.bpmn")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == files["handling.bpmn"]
    assert designer.get(f"/designer/versions/{version}/nothing.bpmn").status_code == 404


def test_validate_reports_every_problem_with_file_and_element(designer, ext):
    _, files = current(ext)

    def break_handling(root):
        drop_property(node(root, "userTask", "accept"), "role")  # a user task without role
        set_property(node(root, "userTask", "plan_draft"), "due", "__import__('os').system('id')")  # refused
    response = post_json(designer, "/designer/validate",
                         {"name": "handling.bpmn", "xml": edit(files["handling.bpmn"], break_handling)})
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    by_element = {p["element"]: p for p in problems}
    assert by_element["accept"]["file"].endswith("handling.bpmn") and "role" in by_element["accept"]["message"]
    assert by_element["plan_draft"]["file"].endswith("handling.bpmn")
    assert "due" in by_element["plan_draft"]["message"]

    def call_missing(root):
        node(root, "callActivity", "handle").set("calledElement", "no_such_process")
    response = post_json(designer, "/designer/validate",
                         {"name": "proposal.bpmn", "xml": edit(files["proposal.bpmn"], call_missing)})
    assert response.status_code == 422
    [problem] = [p for p in response.get_json()["problems"] if p["element"] == "handle"]
    assert problem["file"].endswith("proposal.bpmn") and "no_such_process" in problem["message"]

    response = post_json(designer, "/designer/validate", {"name": "handling.bpmn", "xml": files["handling.bpmn"]})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert response.get_json()["changes"] == {}


def test_requests_need_the_csrf_header_and_a_file(designer):
    response = post_json(designer, "/designer/validate", {"name": "handling.bpmn", "xml": "<x/>"}, token=False)
    assert response.status_code == 400
    response = post_json(designer, "/designer/validate", {"xml": "<x/>"})
    assert response.status_code == 400 and "文件名" in response.get_json()["message"]
    response = post_json(designer, "/designer/validate", {"name": "../evil.bpmn", "xml": "<x/>"})
    assert response.status_code == 422
    assert "不含路径" in response.get_json()["problems"][0]["message"]


def test_a_refused_deployment_writes_nothing(designer, ext):
    version, files = current(ext)
    before = counts(ext)
    broken = edit(files["handling.bpmn"], lambda root: drop_property(node(root, "userTask", "accept"), "role"))
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": broken, "note": "试试"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["ok"] is False and any(p["element"] == "accept" for p in body["problems"])
    assert counts(ext) == before
    assert current(ext)[0] == version
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": "<bpmn:definitions"})
    assert response.status_code == 422 and "XML" in response.get_json()["problems"][0]["message"]
    assert counts(ext) == before


def test_a_good_edit_becomes_the_current_version(designer, ext):
    old, files = current(ext)
    renamed = edit(files["handling.bpmn"], lambda root: node(root, "userTask", "accept").set("name", "签收或退回（新）"))
    response = post_json(designer, "/designer/deploy",
                         {"name": "handling.bpmn", "xml": renamed, "note": "签收任务改名", "base": old})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["deployed"] and body["created"] and body["changes"] == {"handling.bpmn": "changed"}
    new, new_files = current(ext)
    assert body["hash"] == new != old and new_files["handling.bpmn"] == renamed
    assert new_files["proposal.bpmn"] == files["proposal.bpmn"]
    html = designer.text("/designer/versions")
    block = version_block(html, new)
    assert block.startswith('<li class="card version current"')
    assert "签收任务改名" in block and "浏览器" in block and ">郑伟（流程设计员）<" in block
    assert f'id="v-{old}"' in html and f'<li class="card version current" id="v-{old}"' not in html
    # the same content again is not a new deployment
    before = counts(ext)
    again = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": renamed, "base": new})
    assert again.status_code == 200 and again.get_json()["deployed"] is False
    assert counts(ext) == before


def test_a_file_changed_by_someone_else_since_opening_is_not_overwritten(designer, ext):
    opened, files = current(ext)
    first = edit(files["handling.bpmn"], lambda root: node(root, "userTask", "accept").set("name", "甲的修改"))
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": first, "base": opened})
    assert response.status_code == 201
    before = counts(ext)
    second = edit(files["handling.bpmn"], lambda root: node(root, "userTask", "accept").set("name", "乙的修改"))
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": second, "base": opened})
    assert response.status_code == 409 and "已被修改" in response.get_json()["message"]
    assert counts(ext) == before
    # another file of the same old version still deploys: its content did not change meanwhile
    other = edit(files["proposal.bpmn"], lambda root: node(root, "userTask", "review").set("name", "审查立案（乙）"))
    response = post_json(designer, "/designer/deploy", {"name": "proposal.bpmn", "xml": other, "base": opened})
    assert response.status_code == 201
    assert "甲的修改" in current(ext)[1]["handling.bpmn"]


def test_the_json_api_refuses_a_stale_edit_as_the_browser_does(app, designer, ext):
    """One deploy command (engine/services/deployment.py): the JSON route gives the browser's 409
    on a stale edit, and deploys nothing when nothing changed."""
    login = app.test_client().post("/api/auth/login", json={"username": "designer", "password": "demo123"})
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    opened, files = current(ext)
    first = edit(files["handling.bpmn"], lambda root: node(root, "userTask", "accept").set("name", "甲的修改"))
    assert post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": first, "base": opened}).status_code == 201
    before = counts(ext)
    second = edit(files["handling.bpmn"], lambda root: node(root, "userTask", "accept").set("name", "乙的修改"))
    page = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": second, "base": opened})
    api = app.test_client().post("/api/definitions", json={"files": {"handling.bpmn": second}, "base": opened},
                                 headers=headers)
    assert page.status_code == api.status_code == 409
    assert api.get_json()["error"]["message"] == page.get_json()["message"] and "已被修改" in page.get_json()["message"]
    assert counts(ext) == before
    # the same content as the current version: neither route deploys
    now, files = current(ext)
    same = app.test_client().post("/api/definitions", json={"files": {"handling.bpmn": files["handling.bpmn"]},
                                                            "base": now}, headers=headers)
    assert same.status_code == 200 and same.get_json()["deployed"] is False
    assert counts(ext) == before


def test_new_cases_start_on_the_new_version_old_ones_keep_theirs(browser, designer, ext):
    old_pid = submit(browser, "关于增设公交站台的建议")
    old, files = current(ext)
    renamed = edit(files["proposal.bpmn"], lambda root: node(root, "userTask", "review").set("name", "审查立案（新版）"))
    assert post_json(designer, "/designer/deploy", {"name": "proposal.bpmn", "xml": renamed}).status_code == 201
    new, _ = current(ext)
    new_pid = submit(browser, "关于完善社区养老服务的建议")
    committee = browser().login("tawei_li")
    old_page, new_page = committee.text(f"/proposals/{old_pid}"), committee.text(f"/proposals/{new_pid}")
    assert re.search(rf'<a href="/designer/versions#v-{old}">第 \d+ 版（\d{{4}}-\d\d-\d\d 部署）</a>', old_page)
    assert re.search(rf'<a href="/designer/versions#v-{new}">第 \d+ 版（\d{{4}}-\d\d-\d\d 部署）</a>', new_page)
    assert f">{old}<" not in old_page  # the committee reads the version's number, not its hash
    proposer_page = browser().login("wy_chen").text(f"/proposals/{old_pid}")
    assert re.search(r'<dd class="case-version">第 \d+ 版（\d{4}-\d\d-\d\d 部署）</dd>', proposer_page)
    assert old not in proposer_page  # shown as a label, not linked, no hash
    inbox = committee.text("/tasks")
    assert "审查立案（新版）" in inbox
    assert re.search(r'class="task-title">审查立案<', inbox)  # the old case's task keeps its old title
    html = designer.text("/designer/versions")
    old_block, new_block = version_block(html, old), version_block(html, new)
    assert "关于增设公交站台的建议" in old_block and "关于完善社区养老服务的建议" not in old_block
    assert "关于完善社区养老服务的建议" in new_block


def test_new_file_and_upload_open_the_editor_without_storing(designer, ext):
    before = counts(ext)
    page = designer.get("/designer/new?name=extra_review.bpmn&title=补充审查")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "新文件：部署后才保存" in html and "/static/js/designer/dist/designer.bundle.js" in html
    xml = re.search(r'<template id="designer-xml">(.*?)</template>', html, re.S).group(1)
    blank = htmllib.unescape(xml)
    assert 'id="extra_review"' in blank and 'name="补充审查"' in blank
    response = post_json(designer, "/designer/validate", {"name": "extra_review.bpmn", "xml": blank})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["changes"] == {"extra_review.bpmn": "added"}
    table = designer.get("/designer/new?name=extra_rules.dmn")
    assert table.status_code == 200 and "/static/vendor/dmn-modeler.js" in table.get_data(as_text=True)
    blank_dmn = htmllib.unescape(re.search(r'<template id="designer-xml">(.*?)</template>',
                                           table.get_data(as_text=True), re.S).group(1))
    assert post_json(designer, "/designer/validate", {"name": "extra_rules.dmn", "xml": blank_dmn}).status_code == 200
    for bad in ("extra review.bpmn", "x.txt", "handling.bpmn"):
        response = designer.get(f"/designer/new?name={bad}")
        assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True), bad
    _, files = current(ext)
    upload = designer.post("/designer/upload", {"file": (io.BytesIO(files["follow_up.dmn"].encode()), "follow_up.dmn")},
                           content_type="multipart/form-data")
    assert upload.status_code == 200
    html = upload.get_data(as_text=True)
    assert "替换当前版本中的同名文件" in html and "follow_up" in html
    refused = designer.post("/designer/upload", {"file": (io.BytesIO(b"\xff\xfe\x00x"), "rules.dmn")},
                            content_type="multipart/form-data")
    assert refused.status_code == 400 and "UTF-8" in refused.get_data(as_text=True)
    refused = designer.post("/designer/upload", {"file": (io.BytesIO(b"<x/>"), "notes.txt")},
                            content_type="multipart/form-data")
    assert refused.status_code == 400 and ".bpmn" in refused.get_data(as_text=True)
    assert counts(ext) == before


def test_editor_page_carries_the_file_and_the_panel_choices(designer, ext):
    version, files = current(ext)
    page = designer.text("/designer/edit/handling.bpmn")
    xml = htmllib.unescape(re.search(r'<template id="designer-xml">(.*?)</template>', page, re.S).group(1))
    assert xml == files["handling.bpmn"]
    config = json.loads(re.search(r'<script type="application/json" id="designer-config">(.*?)</script>',
                                  page, re.S).group(1))
    assert config["base"] == version and config["name"] == "handling.bpmn" and config["kind"] == "bpmn"
    roles = {r["code"]: r["label"] for r in config["roles"]}
    assert roles["unit_clerk"] == "承办单位经办人" and roles["committee"] == "提案委员会"
    assert {"code": "accept", "label": "签收或退回"} in config["forms"]
    assert {"code": "review", "label": "待审查立案"} in config["stages"]
    assert "此文件含 XML 注释" in page
    assert designer.get("/designer/edit/missing.bpmn").status_code == 404


def add_loose_task(root):
    """A task connected to nothing: only bpmnlint (no-disconnected) refuses it."""
    process = root.find("bpmn:process", NS)
    etree.SubElement(process, f"{{{NS['bpmn']}}}task", id="loose_task", name="孤立任务")


def test_the_lint_refuses_what_the_engine_would_take(designer, ext):
    from engine.definitions import lint
    if lint.available():
        if os.environ.get("CPPCC_E2E_REQUIRED") == "1":  # CI: the JavaScript parts are required
            pytest.fail(lint.available())
        pytest.skip(lint.available())
    version, files = current(ext)
    before = counts(ext)
    loose = edit(files["handling.bpmn"], add_loose_task)
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": loose, "base": version})
    assert response.status_code == 422
    problems = [p for p in response.get_json()["problems"] if p["element"] == "loose_task"]
    errors = [p["message"] for p in problems if "level" not in p]
    warnings = [p["message"] for p in problems if p.get("level") == "warning"]
    assert "元素没有连接到流程（既无进入也无离开的顺序流）" in errors
    assert warnings == ["元素缺少图形信息（BPMNDI），图中无法显示"]  # listed, refusing nothing by itself
    assert all(p["file"] == "processes/handling.bpmn" for p in problems)
    assert counts(ext) == before


def test_without_node_deploys_go_on_and_say_the_lint_was_skipped(designer, ext, monkeypatch):
    from engine.definitions import lint
    monkeypatch.setenv("CPPCC_NODE", "/nonexistent/node")
    lint._cache.clear()
    version, files = current(ext)
    renamed = edit(files["handling.bpmn"], lambda root: node(root, "userTask", "accept").set("name", "签收（无检查）"))
    response = post_json(designer, "/designer/validate", {"name": "handling.bpmn", "xml": renamed})
    assert response.status_code == 200
    [note] = response.get_json()["warnings"]
    assert note["level"] == "warning" and "未运行流程图规范检查" in note["message"] and "Node.js" in note["message"]
    broken = edit(renamed, lambda root: drop_property(node(root, "userTask", "accept"), "role"))
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": broken, "base": version})
    assert response.status_code == 422  # the engine's own checks still refuse
    problems = response.get_json()["problems"]
    assert problems[0]["element"] == "accept" and problems[-1]["level"] == "warning"
    response = post_json(designer, "/designer/deploy", {"name": "handling.bpmn", "xml": renamed, "base": version})
    assert response.status_code == 201 and response.get_json()["warnings"][0]["level"] == "warning"
