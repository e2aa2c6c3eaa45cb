"""The deploy-time bpmnlint (engine/definitions/lint.py running tools/designer/lint.mjs): the shipped diagrams
pass it under both regions, its reports are Chinese problems {file, element, message}, it adds to
the engine's own problems without repeating them, and without Node (or when it fails or hangs)
the deploy goes on with a warning saying the lint was skipped.

The tests that run Node skip where Node or the npm packages are missing, except under
CPPCC_E2E_REQUIRED=1 (CI), where the JavaScript parts are required.
"""
import os
import re
import stat
from pathlib import Path

import pytest
from lxml import etree

from engine.definitions import lint
from engine.definitions.bundle import NS, build_bundle, read_files
from engine.model.errors import DefinitionError
from engine.model.settings import PROJECT_ROOT

FORMS = {p.stem for p in (PROJECT_ROOT / "forms").glob("*.json")}
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


@pytest.fixture
def node_lint():
    """Skip (or fail under CPPCC_E2E_REQUIRED=1) when the lint cannot run here; start with no cached results."""
    reason = lint.available()
    if reason:
        if os.environ.get("CPPCC_E2E_REQUIRED") == "1":
            pytest.fail(f"bpmnlint required but unavailable: {reason}")
        pytest.skip(reason)
    lint._cache.clear()
    yield
    lint._cache.clear()


def region_files(region: str) -> dict:
    return read_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "regions" / region)


def edited(xml: str, change) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    change(root)
    return etree.tostring(root, encoding="unicode")


def drop_property(root, task_id, name):
    task = root.find(f".//bpmn:userTask[@id='{task_id}']", NS)
    for prop in task.iter(f"{SPIFF}property"):
        if prop.get("name") == name:
            prop.getparent().remove(prop)


def add_loose_task(root):
    """A task connected to nothing (with its shape): bpmnlint's no-disconnected, which the engine does not check."""
    process = root.find("bpmn:process", NS)
    etree.SubElement(process, f"{{{NS['bpmn']}}}task", id="loose_task", name="孤立任务")
    plane = root.find(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane")
    shape = etree.SubElement(plane, "{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape",
                             id="loose_task_di", bpmnElement="loose_task")
    etree.SubElement(shape, "{http://www.omg.org/spec/DD/20100524/DC}Bounds", x="2000", y="2000", width="100",
                     height="80")


@pytest.mark.parametrize("region", ["default", "binhai"])
def test_the_shipped_diagrams_pass(node_lint, region):
    report = lint.run(region_files(region), FORMS)
    assert report.errors == [] and report.warnings == []


def test_a_user_task_without_a_form_is_an_error_in_chinese(node_lint):
    files = region_files("default")
    files["handling.bpmn"] = edited(files["handling.bpmn"], lambda r: drop_property(r, "plan_draft", "form"))
    report = lint.run(files, FORMS)
    assert report.errors == [{"file": "processes/handling.bpmn", "element": "plan_draft",
                               "message": "用户任务缺少表单（form）"}]
    assert report.restating == report.errors  # the engine checks this too


def test_unit_roles_collections_and_roles_forms_of_the_system(node_lint):
    def change(root):
        drop_property(root, "plan_draft", "unit")  # a unit role without its unit
        for prop in root.find(".//bpmn:userTask[@id='accept']", NS).iter(f"{SPIFF}property"):
            if prop.get("name") == "role":
                prop.set("value", "mayor")  # not a role of this system
            if prop.get("name") == "form":
                prop.set("value", "no_such_form")
        loop = root.find(".//bpmn:userTask[@id='assist_opinion']/bpmn:multiInstanceLoopCharacteristics", NS)
        loop.remove(loop.find("bpmn:loopDataInputRef", NS))
    files = {"handling.bpmn": edited(region_files("default")["handling.bpmn"], change)}
    messages = {(p["element"], p["message"]) for p in lint.run(files, FORMS).errors}
    assert ("plan_draft", "单位角色的任务缺少办理单位（unit）") in messages
    assert any(e == "accept" and m.startswith("办理角色“mayor”无效（可选：committee, deputy_head") for e, m in messages)
    assert ("accept", "表单“no_such_form”不存在（forms/no_such_form.json）") in messages
    # the collection is spiff's variable NAME, which the lint reads: the other multi-instance tasks pass
    assert [e for e, m in messages if "集合变量" in m] == ["assist_opinion"]


def test_bpmnlint_messages_are_chinese(node_lint):
    blank = (PROJECT_ROOT / "api" / "templates" / "designer" / "blank.bpmn.xml").read_text(encoding="utf-8")
    blank = blank.replace("{{ id }}", "extra").replace("{{ title }}", "补充")
    lone = re.sub(r"<bpmn:sequenceFlow[^>]*/>|<bpmn:(incoming|outgoing)>[^<]*</bpmn:\1>", "", blank)
    lone = re.sub(r"<bpmn:endEvent.*?</bpmn:endEvent>", "", lone, flags=re.S)
    report = lint.run({"extra.bpmn": lone, "handling.bpmn": edited(region_files("default")["handling.bpmn"],
                                                                    add_loose_task)}, FORMS)
    messages = {p["message"] for p in report.errors}
    assert {"流程缺少结束事件", "元素没有连接到流程（既无进入也无离开的顺序流）"} <= messages
    for message in messages:
        assert not re.search(r"[A-Za-z]{3,}", re.sub(r"（[^）]*）", "", message)), message
    assert lint.run({"extra.bpmn": blank}, FORMS).errors == []  # the editor's blank diagram passes


def test_enforce_adds_lint_problems_to_the_engines_once(node_lint):
    files = region_files("default")
    files["handling.bpmn"] = edited(files["handling.bpmn"], lambda r: (drop_property(r, "plan_draft", "form"),
                                                                       add_loose_task(r)))
    with pytest.raises(DefinitionError) as refused:
        lint.enforce(files, FORMS, lambda: build_bundle(files, FORMS))
    problems = refused.value.problems
    assert [p["message"] for p in problems if p["element"] == "plan_draft"] == ["用户任务缺少 form 属性"]  # the engine's
    assert "元素没有连接到流程（既无进入也无离开的顺序流）" in [p["message"] for p in problems if p["element"] == "loose_task"]

    # the engine takes a loose task; the lint alone refuses it
    files = region_files("default")
    files["handling.bpmn"] = edited(files["handling.bpmn"], add_loose_task)
    build_bundle(files, FORMS)
    with pytest.raises(DefinitionError) as refused:
        lint.enforce(files, FORMS, lambda: build_bundle(files, FORMS))
    assert {p["element"] for p in refused.value.problems} == {"loose_task"}


def test_results_are_kept_per_file(node_lint, monkeypatch):
    files = region_files("default")
    lint.run(files, FORMS)
    calls = []
    real = lint.subprocess.run
    monkeypatch.setattr(lint.subprocess, "run", lambda *a, **k: calls.append(k["input"]) or real(*a, **k))
    assert lint.run(files, FORMS).errors == [] and calls == []  # nothing changed: no Node at all
    files["handling.bpmn"] = edited(files["handling.bpmn"], lambda r: drop_property(r, "plan_draft", "form"))
    assert len(lint.run(files, FORMS).errors) == 1 and len(calls) == 1
    assert b'"handling.bpmn"' in calls[0] and b'"proposal.bpmn"' not in calls[0]  # only the changed file


def fake_node(tmp_path: Path, body: str) -> str:
    script = tmp_path / "node"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def skipped(report) -> str:
    assert report.errors == [] and len(report.warnings) == 1
    [note] = report.warnings
    assert note["level"] == "warning" and note["element"] is None and note["file"] == "*.bpmn"
    assert note["message"].startswith("提示：未运行流程图规范检查（bpmnlint），部署不受影响")
    return note["message"]


def test_without_node_the_deploy_goes_on_with_a_warning(monkeypatch):
    lint._cache.clear()
    monkeypatch.setenv("CPPCC_NODE", "/nonexistent/node")
    files = region_files("default")
    assert "本机未安装 Node.js" in skipped(lint.run(files, FORMS))
    warnings = []
    bundle = lint.enforce(files, FORMS, lambda: build_bundle(files, FORMS), warnings)
    assert bundle.user_tasks and len(warnings) == 1
    # the engine's own checks still refuse what they refuse
    files["handling.bpmn"] = edited(files["handling.bpmn"], lambda r: drop_property(r, "plan_draft", "form"))
    with pytest.raises(DefinitionError) as refused:
        lint.enforce(files, FORMS, lambda: build_bundle(files, FORMS))
    assert [p["message"] for p in refused.value.problems] == ["用户任务缺少 form 属性"]


def test_without_the_npm_packages_the_lint_is_skipped(monkeypatch, tmp_path):
    monkeypatch.setattr(lint, "MODULES", tmp_path)
    monkeypatch.setenv("CPPCC_NODE", fake_node(tmp_path, "exit 0"))
    assert "检查组件未安装" in skipped(lint.run(region_files("default"), FORMS))


def test_a_failing_or_hanging_lint_is_skipped(monkeypatch, tmp_path):
    lint._cache.clear()
    monkeypatch.setattr(lint, "available", lambda: None)
    monkeypatch.setenv("CPPCC_NODE", fake_node(tmp_path, "echo broken >&2; exit 2"))
    assert "检查程序运行出错" in skipped(lint.run(region_files("default"), FORMS))
    monkeypatch.setenv("CPPCC_NODE", fake_node(tmp_path, "echo '{\"no\": 1}'"))
    assert "检查程序运行出错" in skipped(lint.run(region_files("default"), FORMS))
    monkeypatch.setenv("CPPCC_NODE", fake_node(tmp_path, "sleep 5"))
    monkeypatch.setattr(lint, "LINT_TIMEOUT", 0.5)
    assert "检查超过 0.5 秒未完成" in skipped(lint.run(region_files("default"), FORMS))
    assert lint._cache == {}  # a skipped lint is not remembered


def test_no_bpmn_no_lint(monkeypatch):
    monkeypatch.setenv("CPPCC_NODE", "/nonexistent/node")
    assert lint.run({"follow_up.dmn": "<x/>"}, FORMS) == lint.Report()


def test_every_message_of_the_rules_in_use_has_its_chinese(node_lint):
    """bpmnlint's rules that .bpmnlintrc keeps on: each literal message they report is in messages.js."""
    import json
    import subprocess
    rules_dir = PROJECT_ROOT / "node_modules" / "bpmnlint" / "rules"
    script = ("const {Linter}=require('bpmnlint');const R=require('bpmnlint/lib/resolver/node-resolver');"
              "const rc=JSON.parse(require('fs').readFileSync('.bpmnlintrc','utf8'));"
              "new Linter({resolver:new R()}).resolveConfiguredRules(rc).then(r=>console.log(JSON.stringify(r)))")
    on = json.loads(subprocess.run(["node", "-e", script], cwd=PROJECT_ROOT, capture_output=True, check=True,
                                   text=True).stdout)
    messages = []
    for rule, flag in on.items():
        if "/" in rule or flag in ("off", 0):
            continue
        source = (rules_dir / f"{rule}.js").read_text(encoding="utf-8")
        messages += re.findall(r"report\([^,]+,\s*'([^']+)'", source)
        messages += [f"{kind} {m}" for m in re.findall(r"report\([^,]+,\s*type \+ ' ([^']+)'", source)
                     for kind in ("Process", "Sub process")]
        messages += re.findall(r"report\([^,]+,\s*\(?'([^']+)' \+ type", source)  # 'Element type <' + type + …
    assert len(messages) >= 20
    check = ("const {chinese}=require('bpmnlint-plugin-cppcc/messages');"
             "console.log(JSON.stringify(JSON.parse(process.argv[1]).filter(m=>chinese(m)===null)))")
    missing = json.loads(subprocess.run(["node", "-e", check, json.dumps(messages)], cwd=PROJECT_ROOT,
                                        capture_output=True, check=True, text=True).stdout)
    assert missing == []
