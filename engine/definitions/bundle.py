"""Process definitions: parse and check every diagram and decision table.

A definition is the set of .bpmn and .dmn files of processes/, identified by a
hash of their content. `load_bundle` checks it completely and reports every
problem with its file and element id; `build_bundle` does the same for files
held in memory (a version stored in the database).
"""
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser import VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions import checks
from engine.definitions.element_checks import _check_bpmn, _check_dmn, _check_references, _properties
from engine.definitions.elements import (  # noqa: F401 (the definition's vocabulary, for the callers)
    EXPRESSION_PROPERTIES,
    INDEX_COLUMNS,
    NS,
    ROLES,
    ROOT_PROCESS,
    SIDE_PROCESSES,
    TaskMeta,
)
from engine.definitions.messages import translate, xml_syntax
from engine.model.errors import DefinitionError


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
    audiences: dict = field(default_factory=dict)  # element id -> who sees the step (permissions.AUDIENCES)
    collections: dict = field(default_factory=dict)  # multi-instance output variable -> its user task id
    records: dict = field(default_factory=dict)  # engine step id -> [variables its event carries]
    holds: dict = field(default_factory=dict)  # user task id -> the deadline kind its holder is late for
    informs: dict = field(default_factory=dict)  # element id -> the message its completion sends the proposers

    def specs_for(self, process: str) -> tuple[Any, dict]:
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
    if region_dir is not None:
        origins.update({p.name: f"regions/{Path(region_dir).name}/decisions/{p.name}"
                        for p in region_decisions(region_dir)})
    return origins


def load_bundle(processes_dir: Path, form_names: set[str] | None = None, region_dir: Path | None = None) -> ProcessBundle:
    """Parse and check the definition in `processes_dir` (with the region's decision tables)."""
    return build_bundle(read_files(processes_dir, region_dir), form_names, file_origins(processes_dir, region_dir))


def build_bundle(files: dict, form_names: set[str] | None = None, origins: dict | None = None) -> ProcessBundle:
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


def _xml(name: str, text: str) -> tuple[etree._Element | None, dict | None]:
    """The parsed document, or a problem: no DTD or entities (nothing is fetched or expanded)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        doc = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as err:
        return None, _problem(name, None, xml_syntax(err))
    if doc.getroottree().docinfo.doctype:
        return None, _problem(name, None, "文件中不允许有 DOCTYPE 声明（实体定义）")
    return doc, None


def _build(files: dict, form_names: set[str] | None) -> ProcessBundle:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    documents = _parse_documents(files, parser)
    user_tasks: dict = {}
    task_index: dict = {}
    problems = []
    for name, doc in documents.items():
        if name.endswith(".bpmn"):
            problems += _check_bpmn(name, doc, form_names, user_tasks, task_index)
        else:
            problems += _check_dmn(name, doc)
    problems += _check_references(documents)
    if not problems:
        problems += [_problem(*p) for p in checks.call_cycle_problems(documents) + checks.loop_problems(documents)]
    if problems:
        raise DefinitionError(problems)
    specs = _process_specs(parser, documents)
    for process_spec, subprocess_specs in specs.values():
        for one in (process_spec, *subprocess_specs.values()):
            connect_loop_children(one)
    spec, subprocess_specs = specs.pop(ROOT_PROCESS)
    timers = {node_id: props for name, doc in documents.items() if name.endswith(".bpmn")
              for node_id, props in _timer_properties(doc).items()}
    props = _all_properties(documents)
    resolves = _property_map(props, "resolves")
    collections = {ref.text.strip(): ref.getparent().getparent().get("id") for name, doc in documents.items()
                   if name.endswith(".bpmn") for ref in doc.iterfind(
                       ".//bpmn:userTask/bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataOutputRef", NS)
                   if (ref.text or "").strip()}
    return ProcessBundle(content_hash(files), dict(files), spec, subprocess_specs, user_tasks, task_index,
                         side_specs=specs, timers=timers, resolves=resolves,
                         audiences=_property_map(props, "audience"), collections=collections,
                         records={k: v.split() for k, v in _property_map(props, "record").items()},
                         holds=_property_map(props, "deadline"), informs=_property_map(props, "inform"))


def _parse_documents(files: dict, parser: SpiffBpmnParser) -> dict:
    """{file name: parsed document}, each handed to the parser; any problem is a DefinitionError."""
    problems = []
    documents = {}
    for name, text in files.items():
        doc, problem = _xml(name, text)
        if problem:
            problems.append(problem)
            continue
        early = checks.namespace_problems(name, doc) or (checks.reference_problems(name, doc)
                                                         if name.endswith(".bpmn") else [])
        if early:
            problems += [_problem(*p) for p in early]
            continue
        documents[name] = doc
        try:
            if name.endswith(".dmn"):
                parser.add_dmn_xml(doc, filename=name)
            else:
                parser.add_bpmn_xml(doc, filename=name)
        except ValidationException as err:
            problems.append(_parser_problem(name, doc, err))
        except Exception as err:  # the parser lets bare errors out on some malformed diagrams
            problems.append(_problem(name, None, translate(str(err))))
    if problems:
        raise DefinitionError(problems)
    return documents


def _process_specs(parser: SpiffBpmnParser, documents: dict) -> dict:
    """{process id: (spec, subprocess specs)} of the root process and the side processes present."""
    problems = []
    specs = {}
    available = set(parser.get_process_ids())
    for process in (ROOT_PROCESS, *SIDE_PROCESSES):
        if process != ROOT_PROCESS and process not in available:
            continue
        try:
            specs[process] = (parser.get_spec(process), parser.get_subprocess_specs(process))
        except ValidationException as err:
            file = err.file_name or "?"
            problems.append(_parser_problem(file, documents.get(file), err))
        except Exception as err:  # the parser reports missing processes with bare errors
            problems.append(_problem("?", None, f"无法解析流程 “{process}”：{translate(str(err))}"))
    if problems:
        raise DefinitionError(problems)
    return specs


def _all_properties(documents: dict) -> list[tuple[str, dict]]:
    """(element id, its spiff properties) of every element that has any, read in one pass."""
    found = []
    for doc in documents.values():
        for props in doc.iterfind(".//spiffworkflow:properties", NS):
            extension = props.getparent()
            node = extension.getparent() if extension is not None else None
            if node is None or extension.tag != f"{{{NS['bpmn']}}}extensionElements":
                continue
            found.append((node.get("id"), {p.get("name"): p.get("value")
                                           for p in props.iterfind("spiffworkflow:property", NS)}))
    return found


def _property_map(properties: list[tuple[str, dict]], name: str) -> dict:
    """{element id: value} of one spiff property over every element of the definition."""
    return {node_id: props[name] for node_id, props in properties if name in props}


def connect_loop_children(process_spec: Any) -> int:
    """Let every loop and multi-instance task of a process spec learn that an instance finished.

    SpiffWorkflow tells the parent through `child_spec.completed_event -> merge_child`,
    which it connects only when the parent creates an instance at run time (and in its
    own spec deserializer). Specs parsed here, under workflows restored without their
    spec, would never have it in a process that did not itself create the instances
    (after a restart, or on another server): the last instance would finish and the
    case would be left with nothing to do. Connected once here, when the bundle is
    built; returns how many were connected."""
    connected = 0
    for task_spec in process_spec.task_specs.values():
        if not isinstance(task_spec, LoopTask):
            continue
        child = process_spec.task_specs[task_spec.task_spec]
        if not child.completed_event.is_connected(task_spec.merge_child):
            child.completed_event.connect(task_spec.merge_child)
            connected += 1
    return connected


def _timer_properties(doc: etree._Element) -> dict:
    """Properties of the timer events (e.g. which deadline a boundary timer watches)."""
    found = {}
    for node in doc.iter():
        if isinstance(node.tag, str) and node.find("bpmn:timerEventDefinition", NS) is not None:
            found[node.get("id")] = _properties(node)
    return found


def _problem(file: str, element: str | None, message: str) -> dict:
    return {"file": f"processes/{file}" if not str(file).startswith("processes/") else file,
            "element": element, "message": message}


def _parser_problem(name: str, doc: etree._Element | None, err: ValidationException) -> dict:
    """A parser ValidationException as a problem in Chinese, with its element where one is known."""
    element = err.id or None
    message = _first_line(err)
    store = re.search(r"Data Store with name (.*) has no implementation", message)
    if store and doc is not None and element is None:
        element = next((n.get("id") for n in doc.iter() if isinstance(n.tag, str)
                        and checks.local(n) == "dataStore" and n.get("name") == store.group(1)), None)
    line = getattr(err, "line_number", "")
    if element is None and line and doc is not None:
        element = _element_at_line(doc, line)
    where = f"（第 {line} 行）" if line else ""
    return _problem(name, element, translate(message) + where)


def _element_at_line(doc: etree._Element, line: int | str) -> str | None:
    """The id of the element the line is in (the nearest one with an id)."""
    node = next((n for n in doc.iter() if isinstance(n.tag, str) and n.sourceline == line), None)
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else None


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else err.__class__.__name__
