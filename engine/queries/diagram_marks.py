"""A proposal's diagrams with the steps it has done and the steps now open.

`case_diagram` gives the page everything the bpmn-js viewer needs: the BPMN
files of the definition version the proposal's case runs on (not the current
one: running cases keep the version they started with), and, per diagram, the
element ids to mark as done and as current, and the bookkeeping steps the viewer
leaves out (see `bookkeeping_steps`). Who may see a proposal is checked by the caller.
"""
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.bundle import NS, ROOT_PROCESS, SIDE_PROCESSES
from engine.model.errors import NotFound
from engine.model.tables import Case, Event, OpenTask
from engine.queries.records import ProposalRecord
from engine.workflow.runtime import Runtime

# Elements of a process that the viewer draws as shapes and can mark.
_NOT_FLOW_NODES = {"sequenceFlow", "laneSet", "documentation", "extensionElements", "property",
                   "dataObject", "ioSpecification", "association", "textAnnotation"}
# (definition hash, file name) -> [(process id, name, {element ids})], and -> {bookkeeping step ids}
T = TypeVar("T")
_parsed: dict[tuple[str, str], list[tuple[str, str, set[str]]]] = {}
_hidden_steps: dict[tuple[str, str], set[str]] = {}


def case_diagram(session: Session, runtime: Runtime, proposal_id: int,
                 record: ProposalRecord | None = None) -> dict[str, list[dict[str, Any]]]:
    """The diagrams of a proposal's case, with done and current steps.

    Returns {"diagrams": [{"process_id", "name", "file", "xml", "done", "current", "hidden"}]},
    the main process first. `done` holds the ids of the BPMN elements completed
    at least once (user tasks, from the event log); `current` the ids of the
    user tasks open now. Each id is listed under the diagram that contains it.
    With `record` (a queries.ProposalRecord), only the steps its viewer may see
    are marked. Raises NotFound when the proposal has no case.
    """
    case = session.scalar(select(Case).where(Case.proposal_id == proposal_id, Case.process == "proposal"))
    if case is None:
        raise NotFound("找不到该提案的办理流程")
    bundle = runtime.bundle_of_case(session, case)
    files = bundle.files
    if record is not None:
        done = {e.task_name for e in record.events if e.kind == "task_completed" and e.task_name}
        current = {t.name for t in record.open_tasks}
    else:
        done = set(session.scalars(select(Event.task_name).where(
            Event.proposal_id == proposal_id, Event.kind == "task_completed", Event.task_name.is_not(None))))
        current = set(session.scalars(select(OpenTask.name).where(OpenTask.proposal_id == proposal_id)))
    diagrams = []
    for name in _diagram_files(bundle.hash, files):
        for process_id, title, elements in _processes(bundle.hash, name, files[name]):
            if process_id in SIDE_PROCESSES:
                continue  # e.g. an extension request: its own small case, not a step of the proposal
            diagrams.append({
                "process_id": process_id,
                "name": title,
                "file": name,
                "xml": files[name],
                "done": sorted(done & elements),
                "current": sorted(current & elements),
                "hidden": sorted(_hidden(bundle.hash, name, files[name]) & elements),
            })
    _mark_call_activities(diagrams)
    return {"diagrams": diagrams}


def _mark_call_activities(diagrams: list) -> None:
    """A call activity is current while its called process has open steps, done once
    its called process has done steps and none open."""
    by_process = {d["process_id"]: d for d in diagrams}
    for d in diagrams:
        root = etree.fromstring(d["xml"].encode("utf-8"))
        for call in root.iterfind(".//bpmn:callActivity", NS):
            called = by_process.get(call.get("calledElement"))
            if called is None or called is d:
                continue
            if called["current"]:
                d["current"] = sorted({*d["current"], call.get("id")})
            elif called["done"]:
                d["done"] = sorted({*d["done"], call.get("id")})


def diagram_elements(xml: str) -> list[tuple[str, str, set[str]]]:
    """The processes of one BPMN file: [(process id, process name, ids of its flow nodes)].

    Flow nodes are the tasks, events, gateways and call activities a diagram
    draws as shapes (sequence flows and data items are left out); the name
    falls back to the id.
    """
    root = etree.fromstring(xml.encode("utf-8"))
    found = []
    for process in root.iterfind("bpmn:process", NS):
        ids, containers = set(), [process]
        while containers:
            for node in containers.pop():
                if not isinstance(node.tag, str) or node.get("id") is None:
                    continue
                kind = etree.QName(node).localname
                if kind in _NOT_FLOW_NODES:
                    continue
                ids.add(node.get("id"))
                if kind in ("subProcess", "transaction", "adHocSubProcess"):
                    containers.append(node)
        found.append((process.get("id"), process.get("name") or process.get("id"), ids))
    return found


def bookkeeping_steps(xml: str) -> set[str]:
    """Script tasks that only keep the engine's books (a counter, an initialisation, a list of
    raters): no task properties (nothing is indexed or resolved) and not the last step before
    an end event. The dossier's viewer draws the flow straight past them."""
    root = etree.fromstring(xml.encode("utf-8"))
    kinds = {n.get("id"): etree.QName(n).localname for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    flows = {f.get("id"): f.get("targetRef") for f in root.iterfind(".//bpmn:sequenceFlow", NS)}
    found = set()
    for task in root.iterfind(".//bpmn:scriptTask", NS):
        outgoing = [flows.get(o.text) for o in task.iterfind("bpmn:outgoing", NS)]
        if task.find(".//spiffworkflow:property", NS) is None and len(outgoing) == 1 \
                and kinds.get(outgoing[0]) != "endEvent":
            found.add(task.get("id"))
    return found


def _hidden(definition_hash: str, name: str, xml: str) -> set[str]:
    return _remembered(_hidden_steps, (definition_hash, name), lambda: bookkeeping_steps(xml))


def _remembered(cache: dict[tuple[str, str], T], key: tuple[str, str], make: Callable[[], T]) -> T:
    """`cache[key]`, made on first use; a cache past 64 entries starts again (old versions)."""
    if key not in cache:
        if len(cache) > 64:
            cache.clear()
        cache[key] = make()
    return cache[key]


def _diagram_files(definition_hash: str, files: dict) -> list[str]:
    """The .bpmn file names, the one holding the main process first."""
    names = sorted(n for n in files if n.endswith(".bpmn"))
    main = [n for n in names if any(p == ROOT_PROCESS for p, _, _ in _processes(definition_hash, n, files[n]))]
    return main + [n for n in names if n not in main]


def _processes(definition_hash: str, name: str, xml: str) -> list[tuple[str, str, set[str]]]:
    return _remembered(_parsed, (definition_hash, name), lambda: diagram_elements(xml))
