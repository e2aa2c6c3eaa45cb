"""The checks of a definition's elements at deploy (engine/definitions/bundle.py runs
them): every user task's properties (role, form, stage, audience, index and
expression properties), the references between files, the decision tables.

May import: `engine.definitions.checks`, `elements`, `sandbox`, `messages` and the layers below.
"""
from lxml import etree

from engine.definitions import checks
from engine.definitions.elements import EXPRESSION_PROPERTIES, INDEX_COLUMNS, NS, ROLES, ROOT_PROCESS, TaskMeta
from engine.definitions.sandbox import compile_check
from engine.rules.permissions import AUDIENCES


def _check_bpmn(name: str, doc: etree._Element, form_names: set[str] | None, user_tasks: dict[str, TaskMeta],
                task_index: dict) -> list[dict]:
    problems = []
    for node in doc.iterfind(".//bpmn:sequenceFlow/bpmn:conditionExpression", NS):
        flow_id = node.getparent().get("id")
        problems += [_problem(name, flow_id, f"条件表达式：{p}") for p in compile_check(node.text or "", "eval")]
    problems += [_problem(*p) for p in checks.expression_problems(name, doc)]
    for node in doc.iterfind(".//bpmn:scriptTask", NS):
        script = node.find("bpmn:script", NS)
        if script is None or not (script.text or "").strip():
            problems.append(_problem(name, node.get("id"), "脚本任务没有脚本"))
            continue
        problems += [_problem(name, node.get("id"), f"脚本：{p}") for p in compile_check(script.text, "exec")]
    for node in doc.iter():
        props = _properties(node)
        if "audience" in props and props["audience"] not in AUDIENCES:
            problems.append(_problem(name, node.get("id"), f"audience 属性“{props['audience']}”无效"
                                     f"（可选：{', '.join(AUDIENCES)}）"))
        if "index" in props:
            index, errs = _parse_index(props["index"])
            problems += [_problem(name, node.get("id"), e) for e in errs]
            task_index[node.get("id")] = index
    for node in doc.iterfind(".//bpmn:userTask", NS):
        task_id, props = node.get("id"), _properties(node)
        meta = TaskMeta(name=task_id, title=node.get("name") or task_id, role=props.get("role", ""),
                        form=props.get("form", ""), stage=props.get("stage"), unit=props.get("unit"),
                        assignee=props.get("assignee"), result=props.get("result"), due=props.get("due"),
                        notify=props.get("notify", "task"),
                        index=task_index.get(task_id, {}))
        if meta.role not in ROLES:
            problems.append(_problem(name, task_id, f"用户任务的 role 属性缺失或无效（可选：{', '.join(sorted(ROLES))}）"))
        if not meta.form:
            problems.append(_problem(name, task_id, "用户任务缺少 form 属性"))
        elif form_names is not None and meta.form not in form_names:
            problems.append(_problem(name, task_id, f"表单 forms/{meta.form}.json 不存在"))
        if meta.role.startswith("unit_") and not meta.unit:
            problems.append(_problem(name, task_id, "单位角色的任务必须有 unit 属性"))
        for prop in EXPRESSION_PROPERTIES:
            if props.get(prop):
                found = compile_check(props[prop], "eval")
                problems += [_problem(name, task_id, f"{prop} 属性：{p}") for p in found]
                if prop == "due" and not found:
                    problems += [_problem(name, task_id, p) for p in checks.due_problems(props[prop])]
        user_tasks[task_id] = meta
    return problems


def _check_references(documents: dict) -> list:
    """Every call activity names a process, and every business rule task a decision, of this definition."""
    processes = {node.get("id") for name, doc in documents.items() if name.endswith(".bpmn")
                 for node in doc.iterfind("bpmn:process", NS)}
    decisions = {node.get("id") for name, doc in documents.items() if name.endswith(".dmn")
                 for node in doc.iter() if isinstance(node.tag, str) and etree.QName(node).localname == "decision"}
    if ROOT_PROCESS not in processes:
        return [_problem("?", None, f"缺少主流程：没有 id 为 '{ROOT_PROCESS}' 的流程")]
    problems = []
    for name, doc in documents.items():
        if not name.endswith(".bpmn"):
            continue
        for node in doc.iterfind(".//bpmn:callActivity", NS):
            called = node.get("calledElement")
            if called not in processes:
                problems.append(_problem(name, node.get("id"), f"调用活动引用的流程 '{called}' 不存在"
                                         f"（现有流程：{', '.join(sorted(processes))}）"))
        for node in doc.iterfind(".//bpmn:businessRuleTask", NS):
            ref = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
            decision = (ref.text or "").strip() if ref is not None else ""
            if decision not in decisions:
                problems.append(_problem(name, node.get("id"), f"业务规则任务引用的决策表 '{decision}' 不存在"
                                         f"（现有决策表：{', '.join(sorted(decisions))}）"))
    return problems


def _check_dmn(name: str, doc: etree._Element) -> list[dict]:
    problems = []
    for node in doc.iter():
        tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if tag not in ("inputExpression", "inputEntry", "outputEntry"):
            continue
        text_node = next((c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == "text"), None)
        text = (text_node.text or "").strip() if text_node is not None else ""
        if not text or text == "-":
            continue
        found = compile_check(text, "eval")
        if found and tag == "inputEntry":
            # a cell may be an operator test such as "< 2": spiff prefixes the input
            found = compile_check(f"v {text}", "eval") and found
        problems += [_problem(name, node.get("id"), f"决策表单元格 '{text}'：{p}") for p in found]
    return problems


def _parse_index(text: str) -> tuple[dict[str, str], list[str]]:
    index, errors = {}, []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        column, sep, expression = part.partition("=")
        column = column.strip()
        if not sep or column not in INDEX_COLUMNS:
            errors.append(f"index 属性 '{part}' 无效（可用列：{', '.join(sorted(INDEX_COLUMNS))}）")
            continue
        errors += [f"index 属性 {column}：{p}" for p in compile_check(expression.strip(), "eval")]
        index[column] = expression.strip()
    return index, errors


def _properties(node: etree._Element) -> dict:
    return {
        p.get("name"): p.get("value")
        for p in node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }


def _problem(file: str, element: str | None, message: str) -> dict:
    return {"file": f"processes/{file}" if not str(file).startswith("processes/") else file,
            "element": element, "message": message}
