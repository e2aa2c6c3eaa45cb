"""Process definitions: parse and check every diagram and decision table.

A definition is the set of .bpmn and .dmn files of processes/, identified by a
hash of their content. `load_bundle` checks it completely and reports every
problem with its file and element id; `build_bundle` does the same for files
held in memory (a version stored in the database).
"""
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .errors import DefinitionError
from .sandbox import compile_check

ROOT_PROCESS = "proposal"
# Processes a case can be started on: the proposal's life, and side processes
# (a deadline extension request). Only the proposal process is required.
SIDE_PROCESSES = ("extension",)
ROLES = {"proposer", "committee", "gov_office", "supervisor", "deputy_head", "unit_clerk", "unit_head"}
# who does a task of each role, as people say it (a unit's roles follow the unit's name)
ROLE_NAMES = {"proposer": "提案者", "committee": "提案委员会", "gov_office": "政府办", "supervisor": "督查室",
              "deputy_head": "分管领导", "unit_clerk": "经办人", "unit_head": "负责人"}
INDEX_COLUMNS = {"number", "category", "is_key", "supervising_leader", "reply_class", "satisfaction", "units"}
EXPRESSION_PROPERTIES = ("unit", "assignee", "due")
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}


@dataclass
class TaskMeta:
    """What the engine needs to know of one user task, read from its properties."""

    name: str
    title: str
    role: str
    form: str
    stage: str | None = None
    unit: str | None = None
    assignee: str | None = None
    due: str | None = None
    notify: str = "task"
    result: str | None = None
    index: dict = field(default_factory=dict)


@dataclass
class ProcessBundle:
    """A parsed, checked definition: the specs plus the task metadata."""

    hash: str
    files: dict
    spec: object
    subprocess_specs: dict
    user_tasks: dict
    task_index: dict
    side_specs: dict = field(default_factory=dict)  # process id -> (spec, subprocess specs)
    timers: dict = field(default_factory=dict)  # boundary/catch event id -> its properties
    resolves: dict = field(default_factory=dict)  # element id -> the deadline kind its completion meets

    def specs_for(self, process: str):
        """(spec, subprocess specs) of a case's process; KeyError if this version lacks it."""
        if process == ROOT_PROCESS:
            return self.spec, self.subprocess_specs
        return self.side_specs[process]


def content_hash(files: dict) -> str:
    """A stable hash of a definition's files (name and bytes)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def read_files(processes_dir: Path, region_dir: Path | None = None) -> dict:
    """The .bpmn and .dmn files of a folder as {name: text}; with `region_dir`,
    the region's `decisions/*.dmn` replace (or add to) the tables of the same name."""
    files = {p.name: p.read_text(encoding="utf-8")
             for p in sorted(Path(processes_dir).iterdir()) if p.suffix in (".bpmn", ".dmn")}
    files.update({p.name: p.read_text(encoding="utf-8") for p in region_decisions(region_dir)})
    return dict(sorted(files.items()))


def region_decisions(region_dir: Path | None) -> list[Path]:
    """The DMN files a region folder's `decisions/` holds (none without a folder)."""
    folder = Path(region_dir) / "decisions" if region_dir else None
    return sorted(folder.glob("*.dmn")) if folder and folder.is_dir() else []


def file_origins(processes_dir: Path, region_dir: Path | None = None) -> dict:
    """{file name: path shown in problem reports} for the files read_files returns."""
    origins = {p.name: f"{Path(processes_dir).name}/{p.name}" for p in Path(processes_dir).iterdir()}
    origins.update({p.name: f"regions/{Path(region_dir).name}/decisions/{p.name}" for p in region_decisions(region_dir)})
    return origins


def load_bundle(processes_dir: Path, form_names=None, region_dir: Path | None = None) -> ProcessBundle:
    """Parse and check the definition in `processes_dir` (with the region's decision tables)."""
    return build_bundle(read_files(processes_dir, region_dir), form_names, file_origins(processes_dir, region_dir))


def build_bundle(files: dict, form_names=None, origins: dict | None = None) -> ProcessBundle:
    """Parse and check a definition given as {file name: text}.

    Raises DefinitionError with every problem found: XML schema, parser,
    task properties, forms that do not exist, and expressions or DMN cells
    that the confined environment refuses. `origins` names where each file
    came from in the reports (processes/<name> when not given).
    """
    try:
        return _build(files, form_names)
    except DefinitionError as err:
        if not origins:
            raise
        problems = [{**p, "file": origins.get(p["file"].removeprefix("processes/"), p["file"])} for p in err.problems]
        raise DefinitionError(problems) from None


def _build(files: dict, form_names) -> ProcessBundle:
    problems = []
    parser = SpiffBpmnParser(validator=VALIDATOR)
    documents = {}
    for name, text in files.items():
        try:
            doc = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError as err:
            problems.append(_problem(name, None, f"XML 格式错误：{err}"))
            continue
        documents[name] = doc
        try:
            if name.endswith(".dmn"):
                parser.add_dmn_xml(doc, filename=name)
            else:
                parser.add_bpmn_xml(doc, filename=name)
        except ValidationException as err:
            where = f"（第 {err.line_number} 行）" if getattr(err, "line_number", "") else ""
            problems.append(_problem(name, err.id or None, _first_line(err) + where))
    if problems:
        raise DefinitionError(problems)

    user_tasks, task_index = {}, {}
    for name, doc in documents.items():
        if name.endswith(".bpmn"):
            problems += _check_bpmn(name, doc, form_names, user_tasks, task_index)
        else:
            problems += _check_dmn(name, doc)
    problems += _check_references(documents)
    specs = {}
    if not problems:
        available = set(parser.get_process_ids())
        for process in (ROOT_PROCESS, *SIDE_PROCESSES):
            if process != ROOT_PROCESS and process not in available:
                continue
            try:
                specs[process] = (parser.get_spec(process), parser.get_subprocess_specs(process))
            except ValidationException as err:
                problems.append(_problem(err.file_name or "?", err.id or None, _first_line(err)))
            except Exception as err:  # the parser reports missing processes with bare errors
                problems.append(_problem("?", None, f"无法解析流程 '{process}'：{err}"))
    if problems:
        raise DefinitionError(problems)
    spec, subprocess_specs = specs.pop(ROOT_PROCESS)
    timers = {node_id: props for name, doc in documents.items() if name.endswith(".bpmn")
              for node_id, props in _timer_properties(doc).items()}
    resolves = {node.get("id"): _properties(node)["resolves"] for doc in documents.values()
                for node in doc.iter() if isinstance(node.tag, str) and "resolves" in _properties(node)}
    return ProcessBundle(content_hash(files), dict(files), spec, subprocess_specs, user_tasks, task_index,
                         side_specs=specs, timers=timers, resolves=resolves)


def _timer_properties(doc) -> dict:
    """Properties of the timer events (e.g. which deadline a boundary timer watches)."""
    found = {}
    for node in doc.iter():
        if isinstance(node.tag, str) and node.find("bpmn:timerEventDefinition", NS) is not None:
            found[node.get("id")] = _properties(node)
    return found


def _check_bpmn(name, doc, form_names, user_tasks, task_index):
    problems = []
    for node in doc.iterfind(".//bpmn:sequenceFlow/bpmn:conditionExpression", NS):
        flow_id = node.getparent().get("id")
        problems += [_problem(name, flow_id, f"条件表达式：{p}") for p in compile_check(node.text or "", "eval")]
    for node in doc.iterfind(".//bpmn:timerEventDefinition/*", NS):
        owner = node.getparent().getparent().get("id")
        problems += [_problem(name, owner, f"定时表达式：{p}") for p in compile_check(node.text or "", "eval")]
    for node in doc.iterfind(".//bpmn:scriptTask", NS):
        script = node.find("bpmn:script", NS)
        if script is None or not (script.text or "").strip():
            problems.append(_problem(name, node.get("id"), "脚本任务没有脚本"))
            continue
        problems += [_problem(name, node.get("id"), f"脚本：{p}") for p in compile_check(script.text, "exec")]
    for node in doc.iter():
        props = _properties(node)
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
                problems += [_problem(name, task_id, f"{prop} 属性：{p}") for p in compile_check(props[prop], "eval")]
        user_tasks[task_id] = meta
    return problems


def _check_references(documents) -> list:
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


def _check_dmn(name, doc):
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


def _parse_index(text):
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


def _properties(node) -> dict:
    return {
        p.get("name"): p.get("value")
        for p in node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }


def _problem(file, element, message):
    return {"file": f"processes/{file}" if not str(file).startswith("processes/") else file,
            "element": element, "message": message}


def _first_line(err) -> str:
    return str(err).splitlines()[0] if str(err) else err.__class__.__name__
