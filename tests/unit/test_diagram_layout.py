"""Every diagram carries BPMN DI, so BPMN editors and the web viewer can draw it.

Checks each processes/*.bpmn: one BPMNDiagram per process; a shape with bounds
for every flow node and an edge with waypoints for every sequence flow; no DI
for elements that do not exist; edges that start and end on their shapes;
shapes that do not overlap; labels for named events, gateways and flows.
"""
from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
NOT_SHAPES = {"sequenceFlow", "laneSet", "documentation", "extensionElements", "dataObject",
              "ioSpecification", "association", "textAnnotation"}
FILES = sorted(PROCESSES.glob("*.bpmn"))


def local(node) -> str:
    return etree.QName(node).localname


def flow_nodes(process) -> dict:
    return {n.get("id"): n for n in process if isinstance(n.tag, str) and n.get("id") and local(n) not in NOT_SHAPES}


def sequence_flows(process) -> dict:
    return {f.get("id"): f for f in process.iterfind("bpmn:sequenceFlow", NS)}


def boundary_events(process) -> set:
    return {n.get("id") for n in process.iterfind("bpmn:boundaryEvent", NS)}


def bounds(node):
    b = node.find("dc:Bounds", NS)
    assert b is not None
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def parsed(path: Path):
    root = etree.parse(str(path)).getroot()
    process = root.find("bpmn:process", NS)
    planes = {p.get("bpmnElement"): p for p in root.iterfind("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)}
    return root, process, planes


def test_every_diagram_file_is_checked():
    assert {p.name for p in FILES} >= {"proposal.bpmn", "handling.bpmn"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_element_has_di(path):
    root, process, planes = parsed(path)
    assert process.get("id") in planes, "no BPMNPlane for the process"
    plane = planes[process.get("id")]
    shapes = {s.get("bpmnElement"): s for s in plane.iterfind("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.iterfind("bpmndi:BPMNEdge", NS)}
    nodes, flows = flow_nodes(process), sequence_flows(process)

    assert set(nodes) - set(shapes) == set(), "flow nodes without a shape"
    assert set(flows) - set(edges) == set(), "sequence flows without an edge"
    assert set(shapes) - set(nodes) == set(), "shapes of elements that do not exist"
    assert set(edges) - set(flows) == set(), "edges of flows that do not exist"
    assert len(plane.findall("bpmndi:BPMNShape", NS)) == len(shapes), "an element has two shapes"
    assert len(plane.findall("bpmndi:BPMNEdge", NS)) == len(edges), "a flow has two edges"
    ids = [n.get("id") for n in root.iter()  # spiff's operator parameters reuse ids on purpose
           if isinstance(n.tag, str) and n.get("id") and "spiffworkflow" not in n.tag]
    assert len(ids) == len(set(ids)), "duplicate ids"

    for element_id, shape in shapes.items():
        x, y, w, h = bounds(shape)
        assert w > 0 and h > 0 and x >= 0 and y >= 0, element_id
    for flow_id, edge in edges.items():
        assert len(edge.findall("di:waypoint", NS)) >= 2, flow_id


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_edges_join_their_shapes_and_shapes_do_not_overlap(path):
    _, process, planes = parsed(path)
    plane = planes[process.get("id")]
    boxes = {s.get("bpmnElement"): bounds(s) for s in plane.iterfind("bpmndi:BPMNShape", NS)}

    def on_border(point, box, slack=2):
        (px, py), (x, y, w, h) = point, box
        inside = x - slack <= px <= x + w + slack and y - slack <= py <= y + h + slack
        near_edge = min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= slack
        return inside and near_edge

    for flow in sequence_flows(process).values():
        edge = plane.find(f"bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']", NS)
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        assert on_border(points[0], boxes[flow.get("sourceRef")]), f"{flow.get('id')} does not leave its source"
        assert on_border(points[-1], boxes[flow.get("targetRef")]), f"{flow.get('id')} does not reach its target"
        for (x1, y1), (x2, y2) in pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} has a slanted segment"

    # a boundary event sits on its host's border by design
    items = sorted((k, v) for k, v in boxes.items() if k not in boundary_events(process))
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
            assert apart, f"{a} and {b} overlap"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_names_outside_shapes_have_labels(path):
    _, process, planes = parsed(path)
    plane = planes[process.get("id")]
    for element in [*flow_nodes(process).values(), *sequence_flows(process).values()]:
        if not element.get("name") or local(element).endswith(("Task", "task", "Activity", "subProcess")):
            continue
        di = plane.find(f"*[@bpmnElement='{element.get('id')}']", NS)
        label = di.find("bpmndi:BPMNLabel", NS)
        assert label is not None, f"{element.get('id')} ({element.get('name')}) has no label position"
        x, y, w, h = bounds(label)
        assert w >= 10 and h >= 10, element.get("id")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_diagram_interchange_is_last(path):
    """The DI block follows the process, so the semantic part reads as before."""
    root, _, _ = parsed(path)
    children = [local(c) for c in root if isinstance(c.tag, str)]
    assert children[-1] == "BPMNDiagram"
    assert children.index("process") < children.index("BPMNDiagram")
