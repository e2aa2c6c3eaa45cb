"""Tests for engine.definitions.sandbox: the confined script engine for BPMN/DMN text."""

import json
from xml.sax.saxutils import escape, quoteattr

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions.budget import DEFAULT_MAX_SIZE, ExpressionLimit, Limits
from engine.definitions.sandbox import (
    SAFE_BUILTINS,
    ConfinedEnvironment,
    ConfinedScriptEngine,
    ExpressionRejected,
    check_script,
    check_source,
    compile_check,
)

BPMN_NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)


def _process(body):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<bpmn:definitions {BPMN_NS} id="defs" targetNamespace="http://example.org/test">'
        f'<bpmn:process id="p" isExecutable="true">{body}</bpmn:process>'
        f'</bpmn:definitions>'
    ).encode()


def script_and_gateway_bpmn(script, condition="status == 'filed'"):
    """start -> script task -> exclusive gateway (condition -> filed, default -> other)."""
    return _process(
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>'
        '<bpmn:scriptTask id="script" scriptFormat="python">'
        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
        f'<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="gw"/>'
        '<bpmn:exclusiveGateway id="gw" default="f_other">'
        '<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_filed</bpmn:outgoing>'
        '<bpmn:outgoing>f_other</bpmn:outgoing></bpmn:exclusiveGateway>'
        '<bpmn:sequenceFlow id="f_filed" sourceRef="gw" targetRef="end_filed">'
        f'<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="f_other" sourceRef="gw" targetRef="end_other"/>'
        '<bpmn:endEvent id="end_filed"><bpmn:incoming>f_filed</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:endEvent id="end_other"><bpmn:incoming>f_other</bpmn:incoming></bpmn:endEvent>'
    )


def single_task_bpmn(task_xml):
    """start -> (given task with id 't') -> end."""
    return _process(
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>'
        f'{task_xml}'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>'
        '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
    )


def make_workflow(bpmn, dmn=None, data=None, engine=None):
    parser = SpiffBpmnParser()
    if dmn is not None:
        parser.add_dmn_str(dmn)
    parser.add_bpmn_str(bpmn)
    workflow = BpmnWorkflow(parser.get_spec("p"), script_engine=engine or ConfinedScriptEngine())
    if data:
        workflow.get_tasks(spec_name="start")[0].data.update(data)
    return workflow


def finished_end(workflow):
    done = [t.task_spec.name for t in workflow.get_tasks() if t.task_spec.name.startswith("end_") and t.has_state(64)]
    return done


# --- escapes -----------------------------------------------------------------

EXPRESSION_ESCAPES = [
    ("__import__('os')", "'__import__'"),
    ("open('/etc/passwd')", "'open'"),
    ("().__class__.__base__.__subclasses__()", "'__subclasses__'"),
    ("[].__class__", "'__class__'"),
    ("getattr(x, '__class__')", "'getattr'"),
    ("eval('1')", "'eval'"),
    ("exec('x=1')", "'exec'"),
    ("compile('1', '', 'eval')", "'compile'"),
    ("globals()", "'globals'"),
    ("vars()", "'vars'"),
    ("type(x)", "'type'"),
    ("(lambda: 1).__code__", "'__code__'"),
    ("x._private", "'_private'"),
    ("9**999999", "指数 999999"),
    ("'{0.__class__}'.format(x)", "'format'"),
    ("'{0}'.format(x)", "'format'"),
    ("(y for y in x).gi_frame", "'gi_frame'"),
    ("str.mro()", "'mro'"),
]

SCRIPT_ESCAPES = [
    ("import os", "不允许 import 语句"),
    ("from os import path", "不允许 import 语句"),
    ("while True:\n    pass", "不允许 while 循环"),
    ("def f():\n    pass", "不允许定义函数"),
    ("class C:\n    pass", "不允许定义类"),
    ("global x\nx = 1", "global"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "try"),
    ("with x:\n    pass", "with"),
    ("x = 2\nx **= 1000", "指数 1000"),
]


@pytest.mark.parametrize("source,fragment", EXPRESSION_ESCAPES)
def test_expression_escapes_rejected_at_check_time(source, fragment):
    with pytest.raises(ExpressionRejected) as info:
        check_source(source)
    assert fragment in str(info.value)
    assert info.value.source == source


@pytest.mark.parametrize("source,fragment", SCRIPT_ESCAPES)
def test_script_escapes_rejected_at_check_time(source, fragment):
    with pytest.raises(ExpressionRejected) as info:
        check_script(source)
    assert fragment in str(info.value)


def test_messages_are_readable():
    with pytest.raises(ExpressionRejected, match=r"不允许使用属性 '__class__'（以 _ 开头的名称一律禁止）"):
        check_source("[].__class__")
    with pytest.raises(ExpressionRejected, match="流程表达式中没有 'open'"):
        check_source("open('/etc/passwd')")


def test_syntax_error_reports_line_number():
    with pytest.raises(ExpressionRejected) as info:
        check_script("a = 1\nb = (2\nc = 3")
    assert info.value.lineno is not None and info.value.lineno >= 2
    assert "语法错误" in str(info.value) and f"第 {info.value.lineno} 行" in str(info.value)


def test_long_and_complex_sources_rejected():
    with pytest.raises(ExpressionRejected, match="超过上限 10000"):
        check_source("1 + " * 5000 + "1")
    with pytest.raises(ExpressionRejected, match="过于复杂"):
        check_source("[" + ", ".join(["1"] * 3000) + "]")


def test_range_cap_and_runtime_guards():
    env = ConfinedEnvironment()
    # 10**9 passes the constant check (exponent 9) but range() refuses it.
    with pytest.raises(ExpressionRejected, match="range"):
        env.evaluate("range(10**9)", {})
    assert env.evaluate("len(range(100))", {}) == 100
    with pytest.raises(ExpressionLimit, match="大小上限"):
        env.evaluate("'x' * n", {"n": DEFAULT_MAX_SIZE + 1})
    with pytest.raises(ExpressionLimit, match="大小上限"):
        env.execute("s = [0]\ns *= 10**6", {})
    with pytest.raises(ExpressionLimit, match="整数超出范围"):
        env.evaluate("b ** e", {"b": 10, "e": 100_000})
    with pytest.raises(ExpressionLimit, match="整数超出范围"):
        env.evaluate("1 << n", {"n": 10**9})
    assert env.evaluate("2 ** 10 * 3", {}) == 3072
    assert env.evaluate("'ab' * 2", {}) == "abab"


def test_non_allowed_builtins_missing_at_run_time():
    env = ConfinedEnvironment()
    with pytest.raises(NameError):
        env.execute("f = getattr", {})
    assert set(SAFE_BUILTINS).isdisjoint({"open", "eval", "exec", "compile", "__import__", "getattr", "type"})


def test_compile_check_lists_problems():
    assert compile_check("a + 1") == []
    problems = compile_check("import os", "exec")
    assert problems and "不允许 import 语句" in problems[0]


# --- environment behaviour ---------------------------------------------------

def test_execute_writes_data_and_hides_helpers():
    env = ConfinedEnvironment(functions={"unit_deputy": lambda unit: f"deputy of {unit}"})
    data = {"values": [1, 2, 3], "d": {"k": "v"}, "gone": 1, "unit": "U1"}
    env.execute(
        "total = sum(x for x in values)\n"
        "doubled = [v * 2 for v in values if v > factor]\n"
        "k = d.get('k').strip().upper()\n"
        "pairs = sorted(d.items())\n"
        "who = unit_deputy(unit)\n"
        "key = lambda r: r\n"
        "del gone\n"
        "status = 'filed'",
        data,
        {"factor": 1},
    )
    assert data == {
        "values": [1, 2, 3], "d": {"k": "v"}, "unit": "U1", "total": 6, "doubled": [4, 6],
        "k": "V", "pairs": [("k", "v")], "who": "deputy of U1", "status": "filed",
    }
    json.dumps(data)


def test_evaluate_does_not_touch_data_and_sees_helpers():
    env = ConfinedEnvironment(functions={"double": lambda n: n * 2})
    data = {"a": 2}
    assert env.evaluate("double(a) + len([i for i in range(a)])", data) == 6
    assert env.evaluate("  a == 2 ", data) is True
    assert data == {"a": 2}
    assert len(env.evaluate("today()", {})) == 10
    assert env.evaluate("now()", {}).endswith("+08:00")


def test_compiled_code_is_cached():
    env = ConfinedEnvironment()
    assert env.compiled("a + 1", "eval") is env.compiled("a + 1", "eval")


def test_data_shadowing_helper_is_refused():
    env = ConfinedEnvironment(functions={"unit_deputy": len})
    with pytest.raises(ExpressionRejected, match="unit_deputy"):
        env.execute("x = 1", {"unit_deputy": "oops"})


# --- real SpiffWorkflow runs -------------------------------------------------

def test_benign_script_and_gateway_run():
    wf = make_workflow(
        script_and_gateway_bpmn(
            "total = sum(x for x in values)\n"
            "big = [v for v in values if v > total / 10]\n"
            "label = d.get('k')\n"
            "status = 'filed'"
        ),
        data={"values": [1, 2, 30], "d": {"k": "v"}},
    )
    wf.do_engine_steps()
    assert wf.is_completed()
    assert finished_end(wf) == ["end_filed"]
    data = wf.last_task.data
    assert data["total"] == 33 and data["big"] == [30] and data["label"] == "v" and data["status"] == "filed"
    assert not any(callable(v) for v in data.values())
    assert "__builtins__" not in data and not set(SAFE_BUILTINS) & set(data)


ESCAPE_SCRIPTS = [
    ("x = __import__('os')", "__import__"),
    ("import os", "不允许 import 语句"),
    ("from os import path", "不允许 import 语句"),
    ("f = open('/etc/passwd')", "open"),
    ("x = ().__class__.__base__.__subclasses__()", "以 _ 开头的名称一律禁止"),
    ("x = getattr(1, '__class__')", "getattr"),
    ("x = eval('1')", "eval"),
    ("exec('x=1')", "exec"),
    ("x = compile('1', '', 'eval')", "compile"),
    ("x = globals()", "globals"),
    ("x = vars()", "vars"),
    ("x = type(1)", "type"),
    ("x = (lambda: 1).__code__", "__code__"),
    ("x = d._private", "_private"),
    ("while True:\n    pass", "while"),
    ("def f():\n    pass", "不允许定义函数"),
    ("x = range(10**9)", "range"),
    ("x = 9**999999", "指数"),
    ("x = 'a' * 10**8", "大小上限"),
    ("x = 1\ny = (2\n", "语法错误"),
]


@pytest.mark.parametrize("script,fragment", ESCAPE_SCRIPTS)
def test_malicious_script_fails_workflow(script, fragment):
    wf = make_workflow(script_and_gateway_bpmn(script), data={"d": {}})
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert fragment in str(info.value)
    assert not wf.is_completed()


def test_rejected_script_reports_line():
    wf = make_workflow(script_and_gateway_bpmn("a = 1\nb = 2\nimport os"))
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert info.value.line_number == 3 and info.value.error_line == "import os"


def test_malicious_gateway_condition_fails_workflow():
    wf = make_workflow(script_and_gateway_bpmn("status = 'filed'", "__import__('os').system('true')"))
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert "不允许使用名称 '__import__'" in str(info.value)


def test_overly_long_script_fails_workflow():
    wf = make_workflow(script_and_gateway_bpmn("x = 1\n" * 3000))
    with pytest.raises(WorkflowTaskException, match="超过上限"):
        wf.do_engine_steps()


# --- DMN ---------------------------------------------------------------------

def reply_dmn(cell_c='"C"', cell_ab=' in ("A", "B")'):
    # Spiff joins input and cell without a space ('reply_class' + cell), so an
    # operator cell needs its own leading space.
    rules = ""
    for i, (cell, out) in enumerate([(cell_c, '"slow"'), (cell_ab, '"fast"')]):
        rules += (
            f'<rule id="r{i}"><inputEntry id="ie{i}"><text>{escape(cell)}</text></inputEntry>'
            f'<outputEntry id="oe{i}"><text>{escape(out)}</text></outputEntry></rule>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_dmn" '
        'name="Reply" namespace="http://example.org/dmn">'
        '<decision id="reply_decision" name="Reply decision">'
        '<decisionTable id="table" hitPolicy="UNIQUE">'
        '<input id="in1" label="Reply class"><inputExpression id="ie" typeRef="string">'
        '<text>reply_class</text></inputExpression></input>'
        '<output id="out1" label="Speed" name="speed" typeRef="string"/>'
        f'{rules}</decisionTable></decision></definitions>'
    ).encode()


BUSINESS_RULE_TASK = (
    '<bpmn:businessRuleTask id="t"><bpmn:extensionElements>'
    '<spiffworkflow:calledDecisionId>reply_decision</spiffworkflow:calledDecisionId>'
    '</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
    '</bpmn:businessRuleTask>'
)


@pytest.mark.parametrize("reply_class,speed", [("C", "slow"), ("A", "fast"), ("B", "fast")])
def test_dmn_decision_runs_confined(reply_class, speed):
    wf = make_workflow(single_task_bpmn(BUSINESS_RULE_TASK), dmn=reply_dmn(), data={"reply_class": reply_class})
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.last_task.data["speed"] == speed


def test_dmn_comma_cell_is_a_tuple_not_a_list_of_options():
    # Spiff turns the cell '"A", "B"' into `(reply_class) == ("A", "B")`; it is
    # valid (validate must not reject it) but never matches a single value.
    engine = ConfinedScriptEngine()
    engine.validate('"A", "B"')
    wf = make_workflow(single_task_bpmn(BUSINESS_RULE_TASK), dmn=reply_dmn(cell_ab='"A", "B"'),
                       data={"reply_class": "A"})
    wf.do_engine_steps()
    assert "speed" not in wf.last_task.data


def test_validate_keeps_dmn_syntax_error_contract():
    engine = ConfinedScriptEngine()
    engine.validate('"A"')
    engine.validate("v < 5")
    with pytest.raises(SyntaxError):
        engine.validate("< 5")
    with pytest.raises(ExpressionRejected):
        engine.validate("__import__('os')")


def test_dmn_cell_with_escape_is_rejected():
    wf = make_workflow(single_task_bpmn(BUSINESS_RULE_TASK), dmn=reply_dmn(cell_c="__import__('os')"),
                       data={"reply_class": "C"})
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert "不允许使用名称 '__import__'" in str(info.value)


# --- service tasks -----------------------------------------------------------

def service_bpmn(operation, value_expr):
    return single_task_bpmn(
        '<bpmn:serviceTask id="t"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{operation}" resultVariable="result">'
        '<spiffworkflow:parameters>'
        f'<spiffworkflow:parameter id="unit" type="str" value={quoteattr(value_expr)}/>'
        '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
        '</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
        '</bpmn:serviceTask>'
    )


def test_service_task_calls_registered_service():
    engine = ConfinedScriptEngine(services={"lookup": lambda unit: {"deputy": f"D-{unit}"}})
    wf = make_workflow(service_bpmn("lookup", "name.upper()"), data={"name": "u1"}, engine=engine)
    wf.do_engine_steps()
    assert wf.last_task.data["result"] == {"deputy": "D-U1"}


def test_service_task_errors_are_reported():
    wf = make_workflow(service_bpmn("missing", "'x'"))
    with pytest.raises(WorkflowTaskException, match="没有服务操作 'missing'"):
        wf.do_engine_steps()
    wf = make_workflow(service_bpmn("lookup", "__import__('os')"), engine=ConfinedScriptEngine(services={"lookup": str}))
    with pytest.raises(WorkflowTaskException, match="不允许使用名称 '__import__'"):
        wf.do_engine_steps()


# --- time and size budget -----------------------------------------------------

RUNAWAY = [
    ("sum(1 for i in range(10**5) for j in range(10**5))", "运行时间超出上限（1 秒）"),
    ("f'{0:{10**9}}'", "大小上限"),
    ("'%0*d' % (10**9, 1)", "大小上限"),
    ("'a'.ljust(10**9)", "大小上限"),
    ("[[0]*10**5 for i in range(10**5)]", "大小上限"),
    ("'x'.join(['a'*10**5]*10**5)", "大小上限"),
    (r"int.from_bytes(b'\xff'*100000,'big')", "整数超出范围"),
]
# Siblings: other ways to make one C-level call work on something huge, or to grow without bound.
RUNAWAY_SIBLINGS = [
    ("f'{1.5:.{10**8}f}'", "大小上限"),
    ("'%.*f' % (10**8, 1.5)", "大小上限"),
    ("'%100000000d' % 1", "大小上限"),
    ("'a'.rjust(10**9)", "大小上限"),
    ("'a'.center(10**9)", "大小上限"),
    ("'1'.zfill(10**9)", "大小上限"),
    ("str.ljust('a', 10**9)", "大小上限"),
    ("('a' * 10**5).replace('a', 'a' * 10**4)", "大小上限"),
    ("('\\t' * 10**5).expandtabs(10**4)", "大小上限"),
    ("('a' * 10**5).translate({97: 'b' * 10**4})", "大小上限"),
    ("(1).to_bytes(10**9, 'big')", "大小上限"),
    ("sum([[0]] * 10, [])", "只能对数字求和"),
    ("str([[0] * 10**5] * 10**5)", "大小上限"),
    ("[0] * 10**5 in [[0] * 10**5] * 10**5", "大小上限"),
    ("[[0] * 10**5 for i in range(10**5)][0]", "大小上限"),
    ("list([0] * 10**5 for i in range(10**5))", "大小上限"),
    ("dict.fromkeys(range(10**5), [0] * 10**5)", "大小上限"),
    ("sorted(range(10**5), key='a'.ljust)", "大小上限"),
    ("set([i * (2**61 - 1) for i in range(10**5)])", "整数超出范围"),
    ("12345678901234567890123 + 1", "整数常量超出范围"),
    ("int('9' * 30)", "整数超出范围"),
    ("round(1e300)", "整数超出范围"),
    ("[x for x in range(10**5) for y in range(10**5)]", "上限"),  # size, or time on a loaded machine
    ("(lambda f: f(f, 40))(lambda f, n: n and f(f, n - 1) + f(f, n - 1))", "运行时间超出上限"),
]
# Each ends on its size budget, or, on a loaded machine, on its time budget first.
RUNAWAY_SCRIPTS = [
    ("x = [0]\nfor i in range(100):\n    x.extend(x)", "上限"),
    ("x = [0]\nfor i in range(100):\n    x = [x, x]", "上限"),
    ("x = [0]\nfor i in range(100):\n    x += x", "上限"),
    ("d = {}\nfor i in range(10**5):\n    for j in range(10**5):\n        d[j] = i", "上限"),  # size or time
    ("s = 'a'\nfor i in range(100):\n    s = s + s", "上限"),
    ("x = []\ny = [0] * 10**5\nfor i in range(10**5):\n    x.append(y)", "上限"),
    ("x = []\nfor i in range(10**5):\n    x[len(x):] = [0] * 10**5", "大小上限"),
]


@pytest.mark.parametrize("source,message", RUNAWAY + RUNAWAY_SIBLINGS)
def test_runaway_expressions_end_with_a_clear_error(source, message):
    with pytest.raises((ExpressionLimit, ExpressionRejected)) as info:
        ConfinedEnvironment().evaluate(source, {})
    assert message in str(info.value)


@pytest.mark.parametrize("script,message", RUNAWAY_SCRIPTS)
def test_runaway_scripts_end_with_a_clear_error(script, message):
    data = {"keep": 1}
    with pytest.raises(ExpressionLimit, match=message):
        ConfinedEnvironment().execute(script, data)


@pytest.mark.parametrize("source,message", RUNAWAY)
def test_runaway_expressions_fail_the_workflow_at_their_task(source, message):
    wf = make_workflow(script_and_gateway_bpmn(f"x = {source}"))
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert info.value.task.task_spec.bpmn_id == "script" and message in str(info.value)
    assert not wf.is_completed()


def test_the_budget_is_shared_by_a_step_and_set_by_the_limits():
    env = ConfinedEnvironment(limits=Limits(seconds=5, max_size=1000), per_step=True)
    env.evaluate("'a' * 600", {})
    with pytest.raises(ExpressionLimit, match=r"大小上限（1000 项）"):
        env.evaluate("'a' * 600", {})  # the step has built 600 of its 1000 items already
    env = ConfinedEnvironment(limits=Limits(seconds=0.2, max_size=10**6))
    with pytest.raises(ExpressionLimit, match=r"运行时间超出上限（0.2 秒）"):
        env.evaluate("sum(1 for i in range(10**5) for j in range(10**5))", {})
    assert ConfinedEnvironment(limits=Limits(max_size=1000)).evaluate("'a' * 600", {}) == "a" * 600


def test_helpers_time_is_not_the_expressions():
    import time

    env = ConfinedEnvironment(functions={"slow": lambda: time.sleep(0.3) or 1}, limits=Limits(seconds=0.2))
    assert env.evaluate("sum(slow() for i in range(2))", {}) == 2


def test_ordinary_expressions_still_work():
    env = ConfinedEnvironment()
    data = {"units": {"fgw": "发改委", "jw": "经委"}, "text": "a\tb", "n": 3}
    assert env.evaluate("'、'.join(sorted(units.values()))", data) == "发改委、经委"
    assert env.evaluate("f'{n:03d}-{text!r:>8}'", data) == "003-  'a\\tb'"
    assert env.evaluate("'%s 有 %d 个单位' % ('提案', len(units))", data) == "提案 有 2 个单位"
    assert env.evaluate("text.expandtabs(4).replace('a', 'A').ljust(6, '.')", data) == "A   b."
    assert env.evaluate("[u for u in units if u != 'jw'] + ['x']", data) == ["fgw", "x"]
    assert env.evaluate("{**units, 'x': 1}['x'] + (2**62 - 1).bit_length()", data) == 63
    assert env.evaluate("max(units, key=len), sorted([3, 1, 2], key=lambda v: -v)", data) == ("fgw", [3, 2, 1])
    assert env.evaluate("int.from_bytes(b'ab', 'big'), (5).to_bytes(2, 'big')", data) == (24930, b"\x00\x05")


@pytest.mark.parametrize("script,what", [
    ("x = {1, 2}", "集合"), ("x = (i for i in range(3))", "生成器"), ("x = range(3)", "range"),
    ("x = [lambda: 1]", "函数"), ("x = {'a': units.keys()}", "字典视图"), ("x = {1: 'a'}", "不是文本"),
    ("x = float('nan')", "NaN"), ("x = b'a'", "bytes"),
])
def test_a_script_leaving_unstorable_data_is_refused(script, what):
    with pytest.raises(ExpressionRejected, match=f"无法保存的值：变量 x 是.*{what}"):
        ConfinedEnvironment().execute(script, {"units": {"a": 1}})


def test_a_multi_instance_cardinality_is_bounded_at_run_time():
    task = single_task_bpmn(
        '<bpmn:task id="t"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
        '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>n * 1000</bpmn:loopCardinality>'
        '</bpmn:multiInstanceLoopCharacteristics></bpmn:task>')
    wf = make_workflow(task, data={"n": 10**6})
    with pytest.raises(WorkflowTaskException, match="多实例次数（loopCardinality）应为 0 到 1000 的整数"):
        wf.do_engine_steps()
    wf = make_workflow(task, data={"n": 0})
    wf.do_engine_steps()
    assert wf.is_completed()
