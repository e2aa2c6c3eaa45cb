"""The designer's editor in a real browser, under the Content-Security-Policy the pages will
carry: edit handling.bpmn through the standard properties panel (bpmn-js-properties-panel with
our provider of the spiff properties), undo and redo, see bpmnlint's live issues, have a broken
version refused (by the server's lint too) with element ids, deploy a good one; edit a DMN cell
and deploy it. The saved XML keeps every multi-instance collection, spiffworkflow property and
DI, parses with our parser, and re-imports into a fresh bpmn-js without warnings and exports
byte for byte the same. The panel shows no English."""
import json
import os
import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine.adapters.db import UnitOfWork
from engine.definitions import versions
from engine.definitions.bundle import NS, build_bundle
from engine.model.tables import Deployment

ROOT = Path(__file__).resolve().parents[2]
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


CSP = "script-src 'self'; style-src 'self' 'unsafe-inline'"
BUNDLE = ROOT / "api" / "static" / "js" / "designer" / "dist" / "designer.bundle.js"


@pytest.fixture
def ext(app):
    """The app's services; the demo people include the process designer `designer` (password demo123)."""
    ext = app.extensions["cppcc"]
    if not BUNDLE.is_file() or not (ROOT / "node_modules" / "dmn-js").is_dir():
        if os.environ.get("CPPCC_E2E_REQUIRED") == "1":
            pytest.fail("the editor bundle is not built (run bin/setup with npm)")
        pytest.skip("the editor bundle is not built (run bin/setup with npm)")
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
    d.page.route("**/designer/**", with_csp)  # the pages' policy: no inline script, no eval
    return d


def with_csp(route):
    response = route.fetch()
    headers = dict(response.headers)
    if "text/html" in headers.get("content-type", ""):
        headers["content-security-policy"] = CSP
    route.fulfill(response=response, headers=headers)


def open_editor(d, name):
    d.page.goto(f"{d.base}/designer")
    d.page.click(f'table.designer-files a:text-is("{name}")')
    d.page.wait_for_function("() => window.cppccDesigner && window.cppccDesigner.ready")
    assert not d.page.evaluate("window.cppccDesigner.failed"), d.page.inner_text("#designer-status")
    return d


def click_button(d, label, expect):
    d.page.click(f'.designer-toolbar button:text-is("{label}")')
    d.page.wait_for_function("(t) => { const s = document.querySelector('#designer-status');"
                             " return s.textContent.includes(t) || s.classList.contains('error'); }", arg=expect)
    text = d.page.inner_text("#designer-status")
    assert expect in text, (text, d.errors)
    return text


def field(d, entry):
    """The input, select or textarea of a properties panel entry."""
    return d.page.locator(f'#designer-panel [data-entry-id="{entry}"]').locator("input, select, textarea").first


def stack(d) -> int:
    return d.page.evaluate("window.cppccDesigner.modeler.get('commandStack')._stackIdx")


def change(d, entry, value):
    """Change a properties panel entry the way a person does (select, or type and wait for the
    panel to commit it: one command on the command stack)."""
    before = stack(d)
    target = field(d, entry)
    if not target.is_visible():  # its group is closed: open it as a person would
        target.evaluate("e => e.closest('.bio-properties-panel-group')"
                        ".querySelector('.bio-properties-panel-group-header').click()")
    if target.evaluate("e => e.tagName") == "SELECT":
        target.select_option(value)
    else:
        target.fill(value)
    d.page.wait_for_function("(n) => window.cppccDesigner.modeler.get('commandStack')._stackIdx > n", arg=before)
    assert field(d, entry).input_value() == value


def wait_value(d, entry, value):
    """Wait until the panel's entry shows `value`."""
    d.page.wait_for_function("([k, v]) => { const e = document.querySelector("
                             "`#designer-panel [data-entry-id=\"${k}\"] :is(input, select, textarea)`);"
                             " return e && e.value === v; }", arg=[entry, value])


def show(d, element_id):
    d.page.evaluate("(id) => window.cppccDesigner.select(id)", element_id)
    wait_value(d, "id", element_id)


ENGLISH = r"""() => {
  const found = [];
  const panel = document.querySelector('#designer-panel');
  const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    if (n.parentElement.closest('input, textarea, select, code, .bio-properties-panel-header-label,'
                                + ' .bio-properties-panel-collapsible-entry-header-title')) continue;
    found.push(n.textContent);
  }
  for (const e of panel.querySelectorAll('[title], [aria-label], [placeholder], option')) {
    if (!(e.tagName === 'OPTION' ? e.closest('select') : e).getClientRects().length) continue;  // not shown
    for (const a of ['title', 'aria-label', 'placeholder']) if (e.getAttribute(a)) found.push(e.getAttribute(a));
    if (e.tagName === 'OPTION') found.push(e.textContent);
  }
  return found;
}"""
ALLOWED = {"ID", "ISO", "Python"}  # names of things, as the Chinese texts use them


def english_in_panel(d) -> set:
    """Words of Latin letters the panel shows, other than codes in brackets and examples."""
    words = set()
    for text in d.page.evaluate(ENGLISH):
        text = re.sub(r"（[^）]*）", "", text.split("例如")[0])
        words |= {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED}
    return words


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
  const { Modeler, nameRefs } = window.CppccBpmnEditor;
  const ours = new Modeler({ container: fresh, moddleExtensions: { spiffworkflow: descriptor },
                             additionalModules: [nameRefs] });
  const first = await ours.importXML(xml);
  const again = (await ours.saveXML({ format: true })).xml;
  ours.destroy();
  const plain = new Modeler({ container: fresh });
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
    assert d.page.inner_text(".bjsl-button").strip() == "规范检查通过"  # bpmnlint: the shipped diagram is clean
    assert d.page.evaluate("window.cppccDesigner.lint") == []

    # select a user task on the canvas; the standard panel shows it, with our 办理设置
    d.page.click('g.djs-element[data-element-id="plan_draft"]', force=True)
    d.page.wait_for_selector('#designer-panel [data-entry-id="cppcc-form"] select')
    assert d.page.inner_text("#designer-panel .bio-properties-panel-header-type") == "用户任务"
    assert field(d, "id").input_value() == "plan_draft"
    assert field(d, "cppcc-role").input_value() == "unit_clerk"
    assert field(d, "cppcc-form").input_value() == "plan_draft"
    assert field(d, "cppcc-unit").input_value() == "lead_unit"
    assert "承办单位经办人" in field(d, "cppcc-role").inner_text()
    groups = d.page.locator("#designer-panel .bio-properties-panel-group-header-title").all_inner_texts()
    assert groups[:2] == ["基本", "办理设置"] and "说明" in groups and "其他扩展属性" in groups
    change(d, "name", "拟定办理方案（修订）")
    change(d, "cppcc-form", "followup_plan")
    d.shot("panel-edited")

    # undo and redo go through bpmn-js's command stack, the panel follows
    xml = lambda: d.page.evaluate("window.cppccDesigner.xml()")  # noqa: E731
    form = lambda: properties_by_element(xml())["plan_draft"].get("form")  # noqa: E731
    assert form() == "followup_plan"
    d.page.click("#btn-undo")
    wait_value(d, "cppcc-form", "plan_draft")
    assert form() == "plan_draft"
    d.page.click("#btn-redo")
    wait_value(d, "cppcc-form", "followup_plan")
    assert form() == "followup_plan"
    assert "校验通过" in click_button(d, "校验", "校验通过")

    # a multi-instance task: its collection is a variable name, kept through edits and undo
    show(d, "assist_opinion")
    assert field(d, "cppcc-loop-input").input_value() == "assisting_units"
    assert field(d, "cppcc-loop-item").input_value() == "assist_unit"
    assert field(d, "cppcc-loop-output").input_value() == "opinions"
    change(d, "cppcc-loop-input", "other_units")
    changed_ref = "<bpmn:loopDataInputRef>other_units</bpmn:loopDataInputRef>"
    assert changed_ref in xml()
    d.page.click("#btn-undo")
    wait_value(d, "cppcc-loop-input", "assisting_units")
    assert changed_ref not in xml()

    # the panel shows no English, whatever is selected (one element of each kind)
    kinds = d.page.evaluate("""() => { const seen = {}; window.cppccDesigner.modeler.get('elementRegistry').getAll()
        .forEach(e => { const k = e.type + (e.businessObject.loopCharacteristics ? '+loop' : '');
                        if (!(k in seen) && e.type !== 'label') seen[k] = e.id; }); return Object.values(seen); }""")
    assert len(kinds) >= 8
    for element_id in kinds:
        d.page.evaluate("(id) => window.cppccDesigner.select(id)", element_id)
        d.page.wait_for_timeout(80)
        d.page.evaluate("document.querySelectorAll('#designer-panel .bio-properties-panel-group-header:not(.open)')"
                        ".forEach(h => h.click())")
        assert english_in_panel(d) == set(), element_id

    # a user task without a form: bpmnlint shows it at once, on the canvas, in the panel and the list
    show(d, "plan_draft")
    change(d, "cppcc-form", "")
    d.page.wait_for_selector('#lint-issues li[data-element="plan_draft"]')
    assert "用户任务缺少表单（form）" in d.page.inner_text('#lint-issues li[data-element="plan_draft"]')
    assert d.page.locator('.djs-overlays[data-container-id="plan_draft"] .bjsl-overlay').count() == 1
    assert d.page.inner_text(".bjsl-button").strip() == "1 个错误，0 个提示"
    d.page.wait_for_selector('#designer-panel [data-entry-id="cppcc-problem-0"]')
    assert "用户任务缺少表单（form）" in d.page.inner_text("#designer-panel [data-group-id='group-cppcc-problems']")
    assert d.page.locator('#designer-panel [data-entry-id="cppcc-form"].has-error').count() == 1  # 必填
    d.shot("lint")
    assert english_in_panel(d) == set()

    # refused by the server, the form problem listed once (the lint restates the engine's check)
    before = deployments(ext)
    d.page.fill("#deploy-note", "不该部署")
    assert "部署被拒绝" in click_button(d, "部署", "部署被拒绝")
    problem = d.page.locator('#designer-problems li[data-element="plan_draft"]')
    assert problem.count() == 1 and "用户任务缺少 form 属性" in problem.inner_text()
    assert "handling.bpmn" in problem.inner_text()
    assert deployments(ext) == before and current(ext)[0] == old_hash

    # and by the server's bpmnlint alone: a task connected to nothing (the engine would take it)
    change(d, "cppcc-form", "followup_plan")
    d.page.evaluate("""() => { const m = window.cppccDesigner.modeler;
        const shape = m.get('modeling').createShape({ type: 'bpmn:Task' }, { x: 1400, y: 80 },
                                                     m.get('canvas').getRootElement());
        m.get('modeling').updateProperties(shape, { id: 'loose_task', name: '孤立任务' }); }""")
    d.page.wait_for_selector('#lint-issues li[data-element="loose_task"]')
    assert "部署被拒绝" in click_button(d, "部署", "部署被拒绝")
    loose = d.page.locator('#designer-problems li[data-element="loose_task"]')
    assert loose.filter(has_text="元素没有连接到流程").count() == 1
    assert deployments(ext) == before
    d.page.click("#btn-undo")  # the name
    d.page.click("#btn-undo")  # the task
    d.page.wait_for_function("() => !window.cppccDesigner.modeler.get('elementRegistry').get('loose_task')")

    # a broken version: the role cleared; refused with the element id, nothing deployed
    show(d, "plan_draft")
    change(d, "cppcc-role", "")
    text = click_button(d, "校验", "校验未通过")
    problem = d.page.locator('#designer-problems li[data-element="plan_draft"]')
    assert problem.count() == 1 and "role" in problem.inner_text() and "handling.bpmn" in problem.inner_text()
    d.page.click("#btn-undo")  # leave the selection elsewhere, then find it again from the problem
    d.page.click("#btn-redo")
    d.page.evaluate("window.cppccDesigner.modeler.get('selection').select(null)")
    problem.locator("button.problem-select").click()
    assert d.page.evaluate("window.cppccDesigner.modeler.get('selection').get().map(e => e.id)") == ["plan_draft"]
    assert "cppcc-problem" in d.page.get_attribute('g.djs-element[data-element-id="plan_draft"]', "class")
    d.page.wait_for_selector('#designer-panel [data-entry-id="cppcc-problem-0"]')
    d.shot("refused")
    assert "部署被拒绝" in click_button(d, "部署", "部署被拒绝")
    assert deployments(ext) == before and current(ext)[0] == old_hash

    # fix it and deploy
    change(d, "cppcc-role", "unit_clerk")
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
    assert field(d, "id").input_value() == "extra_review"  # the process
    change(d, "name", "补充审查流程")
    d.page.fill("#deploy-note", "新增补充审查流程")
    click_button(d, "部署", "已部署为当前版本")
    _, files = current(ext)
    root = etree.fromstring(files["extra_review.bpmn"].encode("utf-8"))
    assert root.find("bpmn:process", NS).get("name") == "补充审查流程"
    assert d.page.url.endswith("/designer/edit/extra_review.bpmn")
    assert d.errors == []


def element_xml(d, element_id) -> str:
    """The XML of one element of the diagram being edited (canonical text)."""
    root = etree.fromstring(d.page.evaluate("window.cppccDesigner.xml()").encode("utf-8"))
    found = root.find(f".//*[@id='{element_id}']")
    return etree.tostring(found, encoding="unicode") if found is not None else ""


def undo(d, times=1):
    for _ in range(times):
        d.page.click("#btn-undo")


def test_every_kind_of_spiff_property_edits_and_undoes(person, ext):
    d = open_editor(designer_tab(person), "handling.bpmn")
    timer = lambda: element_xml(d, "accept_reminder_def")  # noqa: E731
    cases = [  # (element, entry, new value, text the element's XML then holds)
        ("f_returned", "cppcc-condition", "accept_decision == 'return'",
         "<bpmn:conditionExpression>accept_decision == 'return'</bpmn:conditionExpression>"),
        ("init_handling", "cppcc-script", "x = 1", "<bpmn:script>x = 1</bpmn:script>"),
        ("init_handling", "cppcc-pre-script", "y = 2", "<spiffworkflow:preScript>y = 2</spiffworkflow:preScript>"),
        ("plan_draft", "cppcc-post-script", "z = 3", "<spiffworkflow:postScript>z = 3</spiffworkflow:postScript>"),
        ("approval_rules", "cppcc-decision", "follow_up",
         "<spiffworkflow:calledDecisionId>follow_up</spiffworkflow:calledDecisionId>"),
        ("plan_draft", "cppcc-due", "due_date('reply', assigned_on)",
         '<spiffworkflow:property name="due" value="due_date(\'reply\', assigned_on)"/>'),
        ("plan_draft", "cppcc-stage", "follow_up", '<spiffworkflow:property name="stage" value="follow_up"/>'),
        ("plan_draft", "cppcc-notify", "assigned", '<spiffworkflow:property name="notify" value="assigned"/>'),
        ("plan_draft", "documentation", "给设计员的说明", "<bpmn:documentation>给设计员的说明</bpmn:documentation>"),
    ]
    for element_id, entry, value, expected in cases:
        show(d, element_id)
        before = element_xml(d, element_id)
        change(d, entry, value)
        assert expected in element_xml(d, element_id), (entry, element_xml(d, element_id))
        undo(d)
        assert element_xml(d, element_id) == before, entry

    # a timer's expression (the standard timer group, our value entry)
    show(d, "accept_reminder")
    before = timer()
    change(d, "cppcc-timer-value", "remind_date(accept_rule, received_on)")
    assert "remind_date(accept_rule, received_on)" in timer()
    undo(d)
    assert timer() == before

    # other spiffworkflow:property entries: add, name, value, remove, each undone
    show(d, "assist_opinion")
    before = element_xml(d, "assist_opinion")
    d.page.click('#designer-panel [data-group-id="group-cppcc-properties"] .bio-properties-panel-add-entry')
    d.page.wait_for_selector('#designer-panel [data-entry-id="assist_opinion-cppcc-property-1-name"]')
    assert '<spiffworkflow:property name="property_1" value=""/>' in element_xml(d, "assist_opinion")
    change(d, "assist_opinion-cppcc-property-1-name", "weight")
    change(d, "assist_opinion-cppcc-property-1-value", "2")
    assert '<spiffworkflow:property name="weight" value="2"/>' in element_xml(d, "assist_opinion")
    target = field(d, "assist_opinion-cppcc-property-1-name")
    target.fill("2 bad")  # refused as a name: nothing changes, the panel says why
    d.page.wait_for_selector('#designer-panel [data-entry-id="assist_opinion-cppcc-property-1-name"].has-error')
    name_entry = '#designer-panel [data-entry-id="assist_opinion-cppcc-property-1-name"]'
    assert "属性名只能由字母" in d.page.inner_text(name_entry)
    d.page.wait_for_timeout(600)  # past the panel's debounce: still refused, still said
    assert d.page.locator(name_entry + ".has-error").count() == 1
    assert '<spiffworkflow:property name="weight" value="2"/>' in element_xml(d, "assist_opinion")
    d.page.hover('#designer-panel [data-entry-id="assist_opinion-cppcc-property-0"]')  # the button shows on hover
    d.page.click('#designer-panel [data-entry-id="assist_opinion-cppcc-property-0"] .bio-properties-panel-remove-entry')
    d.page.wait_for_selector('#designer-panel [data-entry-id="assist_opinion-cppcc-property-1"]', state="detached")
    assert 'name="resolves"' not in element_xml(d, "assist_opinion")
    undo(d, 4)
    assert element_xml(d, "assist_opinion") == before

    # a call activity's called process
    open_editor(d, "proposal.bpmn")
    show(d, "handle")
    change(d, "cppcc-called-element", "extension")
    assert 'calledElement="extension"' in element_xml(d, "handle")
    undo(d)
    assert 'calledElement="handling"' in element_xml(d, "handle")
    d.shot("call-activity")
    assert english_in_panel(d) == set()
    assert d.errors == []


def test_without_the_bundle_the_editor_says_it_is_not_installed(person, ext):
    d = designer_tab(person)
    d.page.route("**/js/designer/dist/*", lambda route: route.fulfill(status=404, body="not found"))
    d.page.goto(f"{d.base}/designer/edit/handling.bpmn")
    d.page.wait_for_function("() => window.cppccDesigner && window.cppccDesigner.ready")
    assert d.page.evaluate("window.cppccDesigner.failed") is True
    assert d.page.inner_text("#designer-status") == "无法打开文件：流程图组件未安装：请运行 bin/setup（需要 npm）"
