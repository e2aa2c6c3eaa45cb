"""Checks of a definition that SpiffWorkflow's parser does not make, for what would
break at run time: timers that do not parse or never end, expressions in
pre/post scripts, multi-instance and service parameters, `due` values that are
not dates, call activities that call themselves, loops with nothing to wait for.

Every function returns problems as (file, element id, Chinese message) triples.
"""
import ast
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.definitions.budget import MAX_INSTANCES, Limits
from engine.definitions.sandbox import ConfinedEnvironment, compile_check

_UNKNOWN = object()

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
BPMN_NAMESPACE = NS["bpmn"]
# Helpers whose value is a date/time text (a timer date, a `due`), never a duration.
DATE_HELPERS = {"due_date", "remind_date", "end_of", "never", "today", "now"}
TIMER_KINDS = {"timeDuration": "时长", "timeDate": "日期时间", "timeCycle": "循环"}
# Elements where a case waits for a person, a message or a time.
WAITING = {"userTask", "manualTask", "receiveTask", "intermediateCatchEvent", "eventBasedGateway"}
_NOT_TEXT = (ast.Compare, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp,
             ast.DictComp, ast.GeneratorExp, ast.Lambda)


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def namespace_problems(name: str, doc: etree._Element) -> list:
    """A .dmn file must be DMN (1.1–1.3) and a .bpmn file BPMN 2.0, by their root namespace."""
    ns = etree.QName(doc).namespace or "（无）"
    if name.endswith(".dmn") and (ns not in DMN_NAMESPACES or local(doc) != "definitions"):
        return [(name, doc.get("id"), f"不是 DMN 决策表文件：根元素的命名空间是 {ns}，"
                                      f"应为 {DMN_NAMESPACES[0]}（DMN 1.3）")]
    if name.endswith(".bpmn") and (ns != BPMN_NAMESPACE or local(doc) != "definitions"):
        return [(name, doc.get("id"), f"不是 BPMN 2.0 流程文件：根元素应为 {BPMN_NAMESPACE} 的 definitions")]
    return []


def reference_problems(name: str, doc: etree._Element) -> list:
    """Sequence flows and boundary events refer to elements of their own process."""
    problems = []
    for process in doc.iterfind(".//bpmn:process", NS):
        ids = {n.get("id") for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
        for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
            for side, label in (("sourceRef", "起点"), ("targetRef", "终点")):
                ref = flow.get(side)
                if ref not in ids:
                    problems.append((name, flow.get("id"), f"顺序流的{label} {side}=“{ref}” 在流程 {process.get('id')} 中不存在"))
        for event in process.iterfind(".//bpmn:boundaryEvent", NS):
            if event.get("attachedToRef") not in ids:
                problems.append((name, event.get("id"), f"边界事件附着的元素 “{event.get('attachedToRef')}” 不存在"))
    return problems


def expression_problems(name: str, doc: etree._Element) -> list:
    """Timers, pre/post scripts, multi-instance, service parameters and `due` values."""
    problems = []
    for timer in doc.iterfind(".//bpmn:timerEventDefinition", NS):
        owner = timer.getparent().get("id")
        for node in timer:
            kind = local(node)
            if kind in TIMER_KINDS:
                problems += [(name, owner, m) for m in timer_problems(kind, node.text or "")]
    for node in doc.iter():
        tag = local(node)
        if tag in ("preScript", "postScript") and etree.QName(node).namespace == NS["spiffworkflow"]:
            owner = _owner(node)
            label = "前置脚本（preScript）" if tag == "preScript" else "后置脚本（postScript）"
            problems += [(name, owner, f"{label}：{p}") for p in compile_check(node.text or "", "exec")]
        elif tag == "parameter" and etree.QName(node).namespace == NS["spiffworkflow"] and node.get("value") is not None:
            problems += [(name, _owner(node), f"服务参数 {node.get('id')}：{p}")
                         for p in compile_check(node.get("value"), "eval")]
        elif tag == "messagePayload":
            problems += [(name, _owner(node), f"消息内容（messagePayload）：{p}")
                         for p in compile_check(node.text or "", "eval")]
    for loop in doc.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        owner = loop.getparent().get("id")
        for node in loop:
            if local(node) == "loopCardinality":
                problems += [(name, owner, m) for m in cardinality_problems(node.text or "")]
            elif local(node) == "completionCondition":
                problems += [(name, owner, f"完成条件（completionCondition）：{p}")
                             for p in compile_check(node.text or "", "eval")]
    return problems


def constant_value(text: str) -> Any:
    """The value of an expression that uses no names (only literals and operators),
    computed in the confined environment with a small budget; _UNKNOWN otherwise."""
    tree = ast.parse(text.strip(), mode="eval")
    if any(isinstance(n, (ast.Name, ast.Lambda)) for n in ast.walk(tree)):
        return _UNKNOWN
    try:
        return ConfinedEnvironment(limits=Limits(seconds=0.2, max_size=100_000)).evaluate(text, {})
    except Exception:
        return _UNKNOWN


def timer_problems(kind: str, text: str) -> list:
    """What is wrong with a timer expression, parsing a literal as SpiffWorkflow would."""
    label = f"定时表达式（{TIMER_KINDS[kind]}）"
    found = compile_check(text, "eval")
    if found:
        return [f"{label}：{p}" for p in found]
    node = ast.parse(text.strip(), mode="eval").body
    value = constant_value(text)
    if isinstance(value, str):
        why = _timer_literal(kind, value)
        return [f"{label}“{value[:40]}”无效：{why}"] if why else []
    if value is not _UNKNOWN or isinstance(node, _NOT_TEXT):
        return [f"{label}的值应为 ISO 8601 文本（加引号，例如 \"P3D\"），现在是 {text.strip()[:40]}"]
    called = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
    if called in DATE_HELPERS and kind != "timeDate":
        return [f"{label}：{called}() 给出的是日期时间，不是{TIMER_KINDS[kind]}（请改用 timeDate）"]
    return []


def _timer_literal(kind: str, value: Any) -> str | None:
    try:
        if kind == "timeDuration":
            if not value.upper().startswith("P"):
                return "时长应以 P 开头，例如 P3D、PT2H"
            TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(value))
        elif kind == "timeDate":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                return "应为日期时间，例如 2026-12-01T09:00:00+08:00"
        else:
            cycles, _, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
            if cycles < 0:
                return "循环没有结束（写明次数，例如 R3/P1D）"
            if duration.total_seconds() <= 0:
                return "循环间隔应大于零"
    except Exception:  # SpiffWorkflow raises bare errors for what it cannot parse
        return {"timeDuration": "不是 ISO 8601 时长，例如 P3D、PT2H", "timeDate": "不是 ISO 8601 日期时间",
                "timeCycle": "不是 ISO 8601 循环，例如 R3/P1D"}[kind]
    return None


def cardinality_problems(text: str) -> list:
    label = "多实例次数（loopCardinality）"
    found = compile_check(text, "eval")
    if found:
        return [f"{label}：{p}" for p in found]
    node = ast.parse(text.strip(), mode="eval").body
    value = constant_value(text)
    if (value is not _UNKNOWN and (type(value) is not int or not 0 <= value <= MAX_INSTANCES)) or \
            isinstance(node, _NOT_TEXT):
        return [f"{label}应为 0 到 {MAX_INSTANCES} 的整数，现在是 {text.strip()[:40]}"]
    return []


def due_problems(text: str) -> list:
    """A `due` expression whose value cannot be a date."""
    node = ast.parse(text.strip(), mode="eval").body
    value = constant_value(text)
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return [f"due 属性“{value[:40]}”不是日期（应为 ISO 8601 日期时间，或 due_date(...) 等）"]
        return []
    if (value is not _UNKNOWN and value is not None) or isinstance(node, _NOT_TEXT):
        return [f"due 属性的值不是日期：{text.strip()[:40]}（应为 due_date(...) 等给出的日期时间）"]
    return []


def call_cycle_problems(documents: dict) -> list:
    """Call activities that call their own process, directly or through others."""
    calls = {}  # process id -> [(file, call activity id, called process)]
    for name, doc in documents.items():
        for process in doc.iterfind("bpmn:process", NS) if name.endswith(".bpmn") else ():
            calls[process.get("id")] = [(name, node.get("id"), node.get("calledElement"))
                                        for node in process.iterfind(".//bpmn:callActivity", NS)]
    problems = []
    for process, activities in calls.items():
        for file, activity, called in activities:
            path = _path(calls, called, process)
            if path is not None:
                chain = " → ".join([process, *path])
                problems.append((file, activity, "调用活动调用了流程自身" if called == process
                                 else f"调用活动形成循环调用：{chain}"))
    return problems


def _path(calls: dict[str, list[tuple[str, str, str]]], start: str, goal: str) -> list[str] | None:
    """The chain of processes from `start` that reaches `goal` by calls, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        current, path = stack.pop()
        if current == goal:
            return path
        if current in seen:
            continue
        seen.add(current)
        stack.extend((called, [*path, called]) for _, _, called in calls.get(current, ()) if called)
    return None


def loop_problems(documents: dict) -> list:
    """Cycles in a process's flow through automatic steps only: the case would spin forever."""
    processes = {p.get("id"): (name, p) for name, doc in documents.items() if name.endswith(".bpmn")
                 for p in doc.iterfind("bpmn:process", NS)}
    waits_cache = {}

    def always_waits(process_id: str | None, stack: tuple = ()) -> bool:
        """Whether every way through a (called) process passes a step that waits."""
        if process_id in stack or process_id not in processes:
            return False
        if process_id not in waits_cache:
            waits_cache[process_id] = _always_waits(processes[process_id][1], lambda c: always_waits(c, (*stack, process_id)))
        return waits_cache[process_id]

    problems = []
    for name, process in processes.values():
        for container in [process, *process.iterfind(".//bpmn:subProcess", NS)]:
            graph, nodes = _graph(container, always_waits)
            for cycle in _cycles(graph):
                first = min(cycle, key=lambda n: list(nodes).index(n))
                names = "、".join(nodes[n].get("name") or n for n in sorted(cycle, key=list(nodes).index))
                problems.append((name, first, f"顺序流形成的循环中没有等待人办理、消息或定时的步骤，案件会无限循环：{names}"))
    return problems


def _is_wait(node: etree._Element, called_waits: Callable[[str | None], bool]) -> bool:
    tag = local(node)
    if tag in WAITING:
        return True
    if tag == "boundaryEvent":
        return any(local(d) in ("timerEventDefinition", "messageEventDefinition", "signalEventDefinition")
                   for d in node)
    if tag == "callActivity":
        return called_waits(node.get("calledElement"))
    if tag == "subProcess":
        return _always_waits(node, called_waits)
    return False


def _graph(container: etree._Element, called_waits: Callable[[str | None], bool]) -> tuple[dict[str, set], dict]:
    """{node id: successors} of the container's non-waiting flow nodes, and {id: element}."""
    nodes = {n.get("id"): n for n in container if isinstance(n.tag, str) and local(n) not in
             ("sequenceFlow", "laneSet", "extensionElements", "documentation", "dataObject",
              "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "ioSpecification")}
    graph: dict[str, set] = {node_id: set() for node_id, n in nodes.items() if not _is_wait(n, called_waits)}
    for flow in container.iterfind("bpmn:sequenceFlow", NS):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in graph and target in graph:
            graph[source].add(target)
    for node_id, node in nodes.items():  # an activity leads to its boundary events (an error caught, say)
        attached = node.get("attachedToRef")
        if local(node) == "boundaryEvent" and attached in graph and node_id in graph:
            graph[attached].add(node_id)
    return graph, nodes


def _always_waits(container: etree._Element, called_waits: Callable[[str | None], bool]) -> bool:
    """Whether no path from a start event to an end event avoids every waiting step."""
    graph, nodes = _graph(container, called_waits)
    starts = [n for n, e in nodes.items() if local(e) == "startEvent" and n in graph]
    ends = {n for n, e in nodes.items() if local(e) == "endEvent"}
    if not any(local(e) == "startEvent" for e in nodes.values()):
        return False
    seen, stack = set(), list(starts)
    while stack:
        current = stack.pop()
        if current in ends:
            return False
        if current not in seen:
            seen.add(current)
            stack.extend(graph.get(current, ()))
    return True


def _cycles(graph: dict[str, set]) -> list:
    """The strongly connected components of `graph` that contain a cycle (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter[0]
                    counter[0] += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(component)
    return found


def _owner(node: etree._Element) -> str | None:
    """The id of the flow element an extension element belongs to."""
    while node is not None and not (node.get("id") and local(node) not in ("parameter", "property")):
        node = node.getparent()
    return node.get("id") if node is not None else None
