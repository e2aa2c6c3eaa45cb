"""The diagrams' labels can be read: no label overlaps another label or a shape other
than its own element's (the dossier draws them as the DI places them)."""
from pathlib import Path

import pytest
from lxml import etree

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
NS = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC"}


def _box(node):
    b = node.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return not (ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay)


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_labels_do_not_overlap(path):
    root = etree.parse(str(path)).getroot()
    for plane in root.iterfind(".//bpmndi:BPMNPlane", NS):
        labels, shapes = {}, {}
        for di in plane:
            element = di.get("bpmnElement")
            label = di.find("bpmndi:BPMNLabel", NS)
            if label is not None and label.find("dc:Bounds", NS) is not None:
                labels[element] = _box(label)
            if etree.QName(di).localname == "BPMNShape":
                shapes[element] = _box(di)
        found = sorted(labels.items())
        for i, (a, box) in enumerate(found):
            clashes = [b for b, other in found[i + 1:] if _overlap(box, other)]
            clashes += [s for s, shape in shapes.items() if s != a and _overlap(box, shape)]
            assert not clashes, f"{path.name}: the label of {a} overlaps {', '.join(clashes)}"


def test_the_dossier_leaves_out_bookkeeping_steps():
    from engine.queries.diagram_marks import bookkeeping_steps
    handling = bookkeeping_steps((PROCESSES / "handling.bpmn").read_text(encoding="utf-8"))
    assert {"count_consultation", "start_consultation", "init_handling", "next_round", "count_report"} <= handling
    assert not handling & {"send_reply", "apply_reassign", "collect_ratings", "consultation", "handling_result_script"}
    proposal = bookkeeping_steps((PROCESSES / "proposal.bpmn").read_text(encoding="utf-8"))
    assert "init_proposal" in proposal and not proposal & {"not_filed", "merged", "apply_assignment", "close_proposal"}
