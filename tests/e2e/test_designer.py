"""The designer's editor in a real browser: edit handling.bpmn through the properties panel,
have a broken version refused with element ids, deploy a good one; edit a DMN cell and
deploy it. The saved XML keeps every multi-instance collection, spiffworkflow property
and DI, parses with our parser, and re-imports into a fresh bpmn-js without warnings and
exports byte for byte the same."""
import json
import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine import versions
from engine.db import UnitOfWork
from engine.definitions import NS, build_bundle
from engine.models import Deployment

ROOT = Path(__file__).resolve().parents[2]
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


@pytest.fixture
def ext(app):
    """The app's services; the demo people include the process designer `designer` (password demo123)."""
    ext = app.extensions["cppcc"]
    if not (ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.production.min.js").is_file():
        pytest.skip("bpmn-js is not installed (run bin/setup with npm)")
    return ext


def current(ext):
    with UnitOfWork(ext["db"]) as uow:
        row = versions.current_definition(uow.session, ext["runtime"])
        return row.hash, dict(row.files)


def deployments(ext) -> int:
    with UnitOfWork(ext["db"]) as uow:
        return uow.session.scalar(select(func.count()).select_from(Deployment))


def designer_tab(person):
    """The designer's logged-in tab; script errors on its pages are collected in d.errors."""
    d = person("designer")
    d.errors = []
    d.page.on("pageerror", lambda err: d.errors.append(str(err)))
    # expected: the 422 of a refused check, the 400 of a refused file name, and dmn-js's
    # bundle announcing its Inferno build
    expected = ("Failed to load resource: the server responded with a status of 422",
                "Failed to load resource: the server responded with a status of 400", "Inferno")
    d.page.on("console", lambda msg: d.errors.append(msg.text)
              if msg.type == "error" and not any(e in msg.text for e in expected) else None)
    return d


def open_editor(d, name):
    d.page.goto(f"{d.base}/designer")
    d.page.click(f'table.designer-files a:text-is("{name}")')
    d.page.wait_for_function("() => window.cppccDesigner && window.cppccDesigner.ready")
    assert not d.page.evaluate("window.cppccDesigner.failed"), d.page.inner_text("#designer-status")
    return d


def click_button(d, label, expect):
    d.page.click(f'.designer-toolbar button:text-is("{label}")')
    d.page.wait_for_function("(t) => document.querySelector('#designer-status').textContent.includes(t)", arg=expect)
    return d.page.inner_text("#designer-status")


def change(d, key, value):
    """Change a properties panel field the way a person does (select or type, then leave it)."""
    field = d.page.locator(f'#designer-panel [data-key="{key}"]')
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)
        field.press("Enter")
    d.page.wait_for_function("([k, v]) => { const e = document.querySelector(`#designer-panel [data-key=\"${k}\"]`);"
                             " return e && e.value === v; }", arg=[key, value])


def properties_by_element(xml: str) -> dict:
    """{element id: {property name: value}} of every spiffworkflow:property."""
    root = etree.fromstring(xml.encode("utf-8"))
    found = {}
    for prop in root.iter(f"{SPIFF}property"):
        owner = prop.getparent().getparent().getparent()
        found.setdefault(owner.get("id"), {})[prop.get("name")] = prop.get("value")
    return found


def extensions_other_than_properties(xml: str) -> dict:
    """{element id: canonical text of its spiffworkflow elements other than properties}."""
    root = etree.fromstring(xml.encode("utf-8"))
    found = {}
    for ext in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements"):
        for child in ext:
            if isinstance(child.tag, str) and child.tag != f"{SPIFF}properties":
                attrs = lambda e: sorted(e.attrib.items())  # noqa: E731
                text = [(etree.QName(e).localname, attrs(e), (e.text or "").strip()) for e in child.iter()]
                found.setdefault(ext.getparent().get("id"), []).append(text)
    return found


def loop_refs(xml: str) -> dict:
    root = etree.fromstring(xml.encode("utf-8"))
    return {node.get("id"): [(etree.QName(c).localname, (c.text or "").strip(), c.get("id"))
                             for c in node.find("bpmn:multiInstanceLoopCharacteristics", NS)]
            for node in root.iter() if isinstance(node.tag, str)
            and node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None}


def layout(xml: str) -> dict:
    """{bpmnElement: bounds and waypoints} of the diagram interchange (DI)."""
    root = etree.fromstring(xml.encode("utf-8"))
    found = {}
    for shape in root.iter(f"{BPMNDI}BPMNShape", f"{BPMNDI}BPMNEdge"):
        points = [(float(p.get("x")), float(p.get("y"))) for p in shape
                  if etree.QName(p).localname == "waypoint"]
        bounds = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        box = tuple(float(bounds.get(k)) for k in ("x", "y", "width", "height")) if bounds is not None else None
        found[shape.get("bpmnElement")] = (box, points)
    return found


REOPEN = """async ([xml, descriptor]) => {
  const fresh = document.createElement('div');
  fresh.style.cssText = 'width:800px;height:600px;position:absolute;left:-9999px';
  document.body.appendChild(fresh);
  const ours = new BpmnJS({ container: fresh, moddleExtensions: { spiffworkflow: descriptor },
                            additionalModules: [window.CppccNameRefs] });
  const first = await ours.importXML(xml);
  const again = (await ours.saveXML({ format: true })).xml;
  ours.destroy();
  const plain = new BpmnJS({ container: fresh });
  const second = await plain.importXML(xml);
  plain.destroy();
  fresh.remove();
  return { warnings: first.warnings.map(w => w.message), same: again === xml,
           plainWarnings: second.warnings.map(w => w.message) };
}"""


def test_edit_refuse_and_deploy_a_diagram(person, ext):
    old_hash, old_files = current(ext)
    original = old_files["handling.bpmn"]
    d = open_editor(designer_tab(person), "handling.bpmn")
    assert d.page.evaluate("window.cppccDesigner.importWarnings") == []
    assert d.page.locator(".djs-palette").is_visible()
    assert d.page.locator('.djs-palette [aria-label="添加任务"]').count() == 1  # the palette speaks Chinese

    # select a user task on the canvas; the panel shows its properties
    d.page.click('g.djs-element[data-element-id="plan_draft"]', force=True)
    d.page.wait_for_function("() => document.querySelector('#designer-panel [data-key=\"prop:form\"]')")
    panel = d.page.locator("#designer-panel")
    assert panel.locator('[data-key="id"]').input_value() == "plan_draft"
    assert panel.locator('[data-key="prop:role"]').input_value() == "unit_clerk"
    assert panel.locator('[data-key="prop:form"]').input_value() == "plan_draft"
    assert panel.locator('[data-key="prop:unit"]').input_value() == "lead_unit"
    assert "承办单位经办人" in panel.locator('[data-key="prop:role"]').inner_text()
    change(d, "name", "拟定办理方案（修订）")
    change(d, "prop:form", "followup_plan")
    d.shot("panel-edited")
    assert "校验通过" in click_button(d, "校验", "校验通过")

    # a multi-instance task: its collection is a variable name, kept through edits and undo
    d.page.evaluate("window.cppccDesigner.select('assist_opinion')")
    d.page.wait_for_function(
        "() => document.querySelector('#designer-panel [data-key=\"id\"]').value === 'assist_opinion'")
    assert panel.locator('[data-key="loop:input"]').input_value() == "assisting_units"
    assert panel.locator('[data-key="loop:item"]').input_value() == "assist_unit"
    assert panel.locator('[data-key="loop:output"]').input_value() == "opinions"
    change(d, "loop:input", "other_units")
    changed_ref = "<bpmn:loopDataInputRef>other_units</bpmn:loopDataInputRef>"
    assert changed_ref in d.page.evaluate("window.cppccDesigner.xml()")
    d.page.click("#btn-undo")
    assert changed_ref not in d.page.evaluate("window.cppccDesigner.xml()")
    d.page.evaluate("window.cppccDesigner.select('plan_draft')")
    d.page.wait_for_function("() => document.querySelector('#designer-panel [data-key=\"id\"]').value === 'plan_draft'")

    # a broken version: the role cleared; refused with the element id, nothing deployed
    change(d, "prop:role", "")
    text = click_button(d, "校验", "校验未通过")
    problem = d.page.locator('#designer-problems li[data-element="plan_draft"]')
    assert problem.count() == 1 and "role" in problem.inner_text() and "handling.bpmn" in problem.inner_text()
    d.page.click("#btn-undo")  # leave the selection elsewhere, then find it again from the problem
    d.page.click("#btn-redo")
    d.page.evaluate("window.cppccDesigner.modeler.get('selection').select(null)")
    problem.locator("button.problem-select").click()
    assert d.page.evaluate("window.cppccDesigner.modeler.get('selection').get().map(e => e.id)") == ["plan_draft"]
    assert "cppcc-problem" in d.page.get_attribute('g.djs-element[data-element-id="plan_draft"]', "class")
    d.shot("refused")
    before = deployments(ext)
    d.page.fill("#deploy-note", "不该部署")
    assert "部署被拒绝" in click_button(d, "部署", "部署被拒绝")
    assert deployments(ext) == before and current(ext)[0] == old_hash

    # fix it and deploy
    change(d, "prop:role", "unit_clerk")
    d.page.fill("#deploy-note", "修订拟定办理方案")
    status = click_button(d, "部署", "已部署为当前版本")
    assert text and "查看流程版本" in status
    new_hash, new_files = current(ext)
    assert new_hash != old_hash and deployments(ext) == before + 1
    d.page.click("#designer-status a")
    d.page.wait_for_url("**/designer/versions")
    entry = d.page.locator(f"#v-{new_hash}")
    assert "当前版本" in entry.inner_text() and "修订拟定办理方案" in entry.inner_text()
    d.shot("versions")

    saved = new_files["handling.bpmn"]
    # every multi-instance collection, spiffworkflow property and extension, and the layout survive
    assert loop_refs(saved) == loop_refs(original) and len(loop_refs(saved)) == 3
    expected = properties_by_element(original)
    expected["plan_draft"]["form"] = "followup_plan"
    assert properties_by_element(saved) == expected
    assert extensions_other_than_properties(saved) == extensions_other_than_properties(original)
    assert layout(saved) == layout(original)
    root = etree.fromstring(saved.encode("utf-8"))
    assert root.find(".//bpmn:userTask[@id='plan_draft']", NS).get("name") == "拟定办理方案（修订）"
    bundle = build_bundle(new_files, set(ext["runtime"].forms.schemas))
    assert bundle.user_tasks["plan_draft"].form == "followup_plan"

    # reopened in a fresh bpmn-js modeler: no warnings, and exporting again changes nothing
    descriptor = (ROOT / "api" / "static" / "js" / "designer" / "spiffworkflow.json").read_text(encoding="utf-8")
    open_editor(d, "handling.bpmn")
    result = d.page.evaluate(REOPEN, [saved, json.loads(descriptor)])
    assert result["warnings"] == [] and result["same"] is True
    # plain bpmn-js, without our extension, reads everything but spiff's variable names in
    # loopDataInputRef/loopDataOutputRef (BPMN expects element ids there)
    assert result["plainWarnings"] and all(re.fullmatch(r"unresolved reference <\w+>", w)
                                           for w in result["plainWarnings"])
    assert d.errors == []


def test_edit_and_deploy_a_decision_table(person, ext):
    old_hash, _ = current(ext)
    d = open_editor(designer_tab(person), "follow_up.dmn")
    assert d.page.locator(".tjs-table").is_visible()
    assert "是否跟踪落实（决策表）" in d.page.inner_text("#dmn-views")
    cell = d.page.locator('td[data-element-id="follow_up_r0_i0"] [contenteditable]')

    def type_into(text):
        cell.click()
        d.page.keyboard.press("Control+A")
        d.page.keyboard.type(text)
        d.page.click("h1")  # leave the cell
        d.page.wait_for_function("(t) => document.querySelector('td[data-element-id=\"follow_up_r0_i0\"]')"
                                 ".textContent.includes(t)", arg=text)

    type_into("__import__('os')")
    click_button(d, "校验", "校验未通过")
    problem = d.page.locator('#designer-problems li[data-element="follow_up_r0_i0"]')
    assert problem.count() == 1 and "follow_up.dmn" in problem.inner_text()
    problem.locator("button.problem-select").click()
    d.page.wait_for_selector('td[data-element-id="follow_up_r0_i0"].cppcc-problem')
    d.shot("dmn-refused")
    type_into('in ("B", "C")')
    d.page.fill("#deploy-note", "C类也跟踪落实")
    click_button(d, "部署", "已部署为当前版本")
    new_hash, files = current(ext)
    assert new_hash != old_hash
    root = etree.fromstring(files["follow_up.dmn"].encode("utf-8"))
    cells = {n.get("id"): n[0].text for n in root.iter()
             if isinstance(n.tag, str) and n.get("id", "").startswith("follow_up_r") and len(n)}
    assert cells["follow_up_r0_i0"] == 'in ("B", "C")' and cells["follow_up_r1_o0"] == "False"
    build_bundle(files, set(ext["runtime"].forms.schemas))
    d.shot("dmn-deployed")
    assert new_hash in d.page.inner_text("#designer-origin")
    assert d.errors == []


def test_create_a_new_diagram_and_deploy_it(person, ext):
    d = designer_tab(person)
    d.page.goto(f"{d.base}/designer")
    d.page.fill("#new-name", "extra review.bpmn")
    d.page.click("#new-file button[type=submit]")
    assert "文件名只能由字母" in d.page.inner_text("#new-file .error")
    d.page.fill("#new-name", "extra_review.bpmn")
    d.page.fill("#new-title", "补充审查")
    d.page.click("#new-file button[type=submit]")
    d.page.wait_for_function("() => window.cppccDesigner && window.cppccDesigner.ready")
    assert d.page.evaluate("window.cppccDesigner.importWarnings") == []
    assert not d.page.locator("#designer-dirty").is_hidden()  # not stored until deployed
    assert d.page.locator('#designer-panel [data-key="id"]').input_value() == "extra_review"  # the process
    change(d, "name", "补充审查流程")
    d.page.fill("#deploy-note", "新增补充审查流程")
    click_button(d, "部署", "已部署为当前版本")
    _, files = current(ext)
    root = etree.fromstring(files["extra_review.bpmn"].encode("utf-8"))
    assert root.find("bpmn:process", NS).get("name") == "补充审查流程"
    assert d.page.url.endswith("/designer/edit/extra_review.bpmn")
    assert d.errors == []
