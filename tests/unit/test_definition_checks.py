"""Definitions that would break at run time are refused when checked or deployed,
with the file and the element, in Chinese."""
import re
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from engine.definitions.bundle import build_bundle, read_files
from engine.model.errors import DefinitionError

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FORMS = {p.stem for p in (PROCESSES.parent / "forms").glob("*.json")}
DEFS = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_{pid}" '
        'targetNamespace="http://example.org/t">{body}</bpmn:definitions>')
USER = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="role" value="committee"/>'
        '<spiffworkflow:property name="form" value="review"/></spiffworkflow:properties></bpmn:extensionElements>')


def chain(pid, *elements, extra=""):
    """A process: start -> elements (tag, id, inner xml) in a row -> end, plus `extra` xml."""
    ids = ["start", *[e[1] for e in elements], "end"]
    nodes = ['<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    for i, (tag, eid, inner, *attrs) in enumerate(elements, start=1):
        head, _, tail = inner.rpartition("</bpmn:extensionElements>")  # the schema's order of children
        head += _
        nodes.append(f'<bpmn:{tag} id="{eid}" name="{eid}名" {" ".join(attrs)}>{head}'
                     f'<bpmn:incoming>f{i - 1}</bpmn:incoming><bpmn:outgoing>f{i}</bpmn:outgoing>{tail}</bpmn:{tag}>')
    nodes.append(f'<bpmn:endEvent id="end"><bpmn:incoming>f{len(elements)}</bpmn:incoming></bpmn:endEvent>')
    flows = [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in enumerate(pairwise(ids))]
    body = f'<bpmn:process id="{pid}" isExecutable="true">{"".join(nodes + flows)}{extra}</bpmn:process>'
    return DEFS.format(pid=pid, body=body)


def problems(files, forms=FORMS):
    with pytest.raises(DefinitionError) as caught:
        build_bundle(files, forms)
    found = caught.value.problems
    for p in found:  # every problem in Chinese, never SpiffWorkflow's or lxml's English
        assert re.search(r"[\u4e00-\u9fff]", p["message"]), p
        assert not re.search(r"\b(the|is|not|found|missing|Element|Error|Exception)\b", p["message"]), p
    return found


def where(found):
    return {(p["file"], p["element"]) for p in found}


def script(eid, text):
    return ("scriptTask", eid, f"<bpmn:script>{escape(text)}</bpmn:script>")


def call(eid, called):
    return ("callActivity", eid, "", f'calledElement="{called}"')


# --- call cycles ---------------------------------------------------------------

def test_a_call_activity_calling_its_own_process_is_refused():
    found = problems({"proposal.bpmn": chain("proposal", call("again", "proposal"))})
    assert found == [{"file": "processes/proposal.bpmn", "element": "again", "message": "调用活动调用了流程自身"}]


def test_a_cycle_of_call_activities_is_refused_at_each_call():
    files = {"proposal.bpmn": chain("proposal", call("to_b", "b")), "b.bpmn": chain("b", call("to_c", "c")),
             "c.bpmn": chain("c", call("to_proposal", "proposal"))}
    found = problems(files)
    assert where(found) == {("processes/proposal.bpmn", "to_b"), ("processes/b.bpmn", "to_c"),
                            ("processes/c.bpmn", "to_proposal")}
    assert "调用活动形成循环调用：proposal → b → c → proposal" in [p["message"] for p in found]
    build_bundle({"proposal.bpmn": chain("proposal", call("to_b", "b")), "b.bpmn": chain("b", script("s", "x = 1"))})


# --- timers ----------------------------------------------------------------------

def timer_files(kind, expression):
    timer = (f'<bpmn:timerEventDefinition id="td">'
             f'<bpmn:{kind}>{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>')
    return {"proposal.bpmn": chain("proposal", ("intermediateCatchEvent", "wait", timer))}


BAD_TIMERS = [
    ("timeDuration", '"P1Z"', "不是 ISO 8601 时长"),
    ("timeDuration", '"tomorrow"', "时长应以 P 开头"),
    ("timeDate", '"tomorrow"', "不是 ISO 8601 日期时间"),
    ("timeDate", '"P3D"', "应为日期时间"),
    ("timeDuration", "5", "应为 ISO 8601 文本"),
    ("timeDate", "20261201", "应为 ISO 8601 文本"),
    ("timeCycle", '"R-1/P1D"', "循环没有结束"),
    ("timeCycle", '"R/P1D"', "循环没有结束"),
    ("timeCycle", '"R3/P0D"', "循环间隔应大于零"),
    ("timeCycle", '"every day"', "不是 ISO 8601 循环"),
    ("timeDuration", '"P" + "1Z"', "不是 ISO 8601 时长"),
    ("timeDuration", "due_date('reply', assigned_on)", "给出的是日期时间，不是时长"),
    ("timeCycle", "[1, 2]", "应为 ISO 8601 文本"),
    ("timeDuration", "import os", "语法错误"),
]


@pytest.mark.parametrize("kind,expression,message", BAD_TIMERS)
def test_a_timer_that_would_not_parse_or_never_end_is_refused(kind, expression, message):
    found = problems(timer_files(kind, expression))
    assert [p["element"] for p in found] == ["wait"] and message in found[0]["message"], found


@pytest.mark.parametrize("kind,expression", [
    ("timeDuration", '"P3D"'), ("timeDuration", '"PT2H30M"'), ("timeDate", '"2026-12-01T09:00:00+08:00"'),
    ("timeCycle", '"R3/P1D"'), ("timeCycle", '"R2/2026-12-01T09:00:00+08:00/P1W"'),
    ("timeDate", "due_date('reply', assigned_on)"), ("timeDuration", "wait_for"),
])
def test_good_timers_pass(kind, expression):
    build_bundle(timer_files(kind, expression), FORMS)


# --- scripts in properties, multi-instance, due ---------------------------------------

def test_pre_and_post_scripts_and_multi_instance_expressions_are_checked():
    ext = ('<bpmn:extensionElements><spiffworkflow:preScript>import os</spiffworkflow:preScript>'
           '<spiffworkflow:postScript>x = ().__class__</spiffworkflow:postScript></bpmn:extensionElements>')
    loop = ('<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{}</bpmn:loopCardinality>'
            '<bpmn:completionCondition>__import__("os")</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>')
    files = {"proposal.bpmn": chain("proposal", ("scriptTask", "pre", ext + "<bpmn:script>y = 1</bpmn:script>"),
                                    ("task", "many", loop.format("'three'")), ("task", "huge", loop.format("10**9")),
                                    ("task", "fine", loop.format("3").replace('__import__("os")', "done")))}
    found = problems(files)
    messages = {(p["element"], p["message"].split("：")[0]) for p in found}
    assert ("pre", "前置脚本（preScript）") in messages and ("pre", "后置脚本（postScript）") in messages
    assert ("many", "多实例次数（loopCardinality）应为 0 到 1000 的整数，现在是 'three'") in messages
    assert ("huge", "多实例次数（loopCardinality）应为 0 到 1000 的整数，现在是 10**9") in messages
    assert ("many", "完成条件（completionCondition）") in messages
    assert "fine" not in {p["element"] for p in found}


@pytest.mark.parametrize("due", ["'tomorrow'", "5", "True", "['2026-12-01']", "'2026-' + '13-01'"])
def test_a_due_that_is_not_a_date_is_refused(due):
    files = read_files(PROCESSES)
    bad = files["proposal.bpmn"].replace("value=\"due_date('review', submitted_on)\"", f"value={quoteattr(due)}")
    assert bad != files["proposal.bpmn"]
    found = problems({**files, "proposal.bpmn": bad})
    assert [(p["element"], "不是日期" in p["message"]) for p in found] == [("review", True)], found


# --- DMN, parser messages, hostile XML --------------------------------------------------

def test_a_decision_table_with_the_wrong_namespace_is_refused():
    files = read_files(PROCESSES)
    bad = files["follow_up.dmn"].replace("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://example.org/dmn")
    found = problems({**files, "follow_up.dmn": bad})
    assert found[0]["file"] == "processes/follow_up.dmn" and "不是 DMN 决策表文件" in found[0]["message"]


def _hostile(files):
    P, H = files["proposal.bpmn"], files["handling.bpmn"]
    return {
        "flow to nowhere": ({"proposal.bpmn": P.replace('targetRef="gw_review"', 'targetRef="nowhere"', 1)},
                            "f_review_gw", "“nowhere” 在流程 proposal 中不存在"),
        "data store": ({"proposal.bpmn": P.replace('<bpmn:process id="proposal"',
                                                   '<bpmn:dataStore id="ds1" name="foo"/><bpmn:process id="proposal"', 1)},
                       "ds1", "数据存储（Data Store）“foo” 在本系统中没有实现"),
        "duplicate process": ({"copy.bpmn": H}, "handling", "流程 id “handling” 重复"),
        "not executable": ({"proposal.bpmn": P.replace('isExecutable="true"', 'isExecutable="false"', 1)},
                           "proposal", "没有标记为可执行"),
        "no condition": ({"proposal.bpmn": P.replace("<bpmn:conditionExpression>review_decision == 'not_file'"
                                                     "</bpmn:conditionExpression>", "")},
                         "f_not_file", "也没有条件表达式"),
        "unknown attribute": ({"proposal.bpmn": P.replace('<bpmn:userTask id="review"', '<bpmn:userTask foo="1" id="review"')},
                              "review", "元素 userTask 的属性 foo：不允许有属性 foo"),
        "boundary on nothing": ({"handling.bpmn": re.sub(r'attachedToRef="[^"]+"', 'attachedToRef="ghost"', H, count=1)},
                                None, "边界事件附着的元素 “ghost” 不存在"),
        "not bpmn": ({"x.bpmn": "<a/>"}, None, "不是 BPMN 2.0 流程文件"),
        "truncated": ({"x.bpmn": P[:300]}, None, "XML 格式错误（第"),
        "entity": ({"x.bpmn": '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'},
                   None, "不允许有 DOCTYPE"),
        "message without id": ({"proposal.bpmn": P.replace('<bpmn:process id="proposal"',
                                                           '<bpmn:message name="m"/><bpmn:process id="proposal"', 1)},
                               None, "消息（message）缺少 id"),
        "no call target": ({"proposal.bpmn": P.replace('calledElement="handling"', 'calledElement=""')},
                           "handle", "元素 callActivity 的属性 calledElement：属性值的格式不对"),
    }


@pytest.mark.parametrize("case", list(_hostile(read_files(PROCESSES))))
def test_malformed_and_hostile_diagrams_get_chinese_problems_with_their_element(case):
    files = read_files(PROCESSES)
    changed, element, message = _hostile(files)[case]
    found = problems({**files, **changed})
    assert any(message in p["message"] and (element is None or p["element"] == element) for p in found), found


# --- loops that would spin -----------------------------------------------------------------

def looping(*inside, called=None):
    """start -> s1 -> (inside...) -> gw; gw -> s1 (default, back) or -> end when done."""
    elements = [script("s1", "n = 1"), *inside]
    xml = chain("proposal", *elements, ("exclusiveGateway", "gw", "", 'default="back"'))
    last = f"f{len(elements) + 1}"
    xml = xml.replace(f'<bpmn:outgoing>{last}</bpmn:outgoing></bpmn:exclusiveGateway>',
                      f'<bpmn:outgoing>{last}</bpmn:outgoing><bpmn:outgoing>back</bpmn:outgoing></bpmn:exclusiveGateway>')
    xml = xml.replace(f'<bpmn:sequenceFlow id="{last}" sourceRef="gw" targetRef="end"/>',
                      f'<bpmn:sequenceFlow id="{last}" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>n &gt; 5'
                      f'</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="back" sourceRef="gw" targetRef="s1"/>')
    xml = xml.replace('<bpmn:scriptTask id="s1" name="s1名" ><bpmn:script>n = 1</bpmn:script><bpmn:incoming>f0</bpmn:incoming>',
                      '<bpmn:scriptTask id="s1" name="s1名" ><bpmn:script>n = 1</bpmn:script><bpmn:incoming>f0</bpmn:incoming>'
                      '<bpmn:incoming>back</bpmn:incoming>')
    files = {"proposal.bpmn": xml}
    if called:
        files["sub.bpmn"] = chain("sub", *called)
    return files


def test_a_loop_through_automatic_steps_only_is_refused():
    found = problems(looping(script("s2", "m = 2")))
    assert len(found) == 1 and found[0]["element"] == "s1" and "会无限循环：s1名、s2名、gw" in found[0]["message"], found
    found = problems(looping(call("c", "sub"), called=[script("inner", "k = 1")]))
    assert [p["element"] for p in found] == ["s1"]


def test_a_loop_with_a_user_task_timer_or_waiting_call_passes():
    build_bundle(looping(("userTask", "ask", USER)), FORMS)
    build_bundle(looping(call("c", "sub"), called=[("userTask", "ask", USER)]), FORMS)
    timer = ('<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>')
    build_bundle(looping(("intermediateCatchEvent", "wait", timer)), FORMS)


def test_the_shipped_definitions_pass_every_check():
    build_bundle(read_files(PROCESSES), FORMS)
    for region in (PROCESSES.parent / "regions").iterdir():
        build_bundle(read_files(PROCESSES, region), FORMS)
