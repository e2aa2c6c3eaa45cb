"""The service-task table (engine/workflow/service_tasks.py): the step finds what a diagram
calls in the table its runtime was given, never by importing the plug-ins."""
import re
from pathlib import Path

from engine.workflow import escalation, extension
from engine.workflow.service_tasks import ServiceTasks, standard

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = re.compile(r'serviceTaskOperator id="([^"]+)"')


def test_every_operation_the_diagrams_call_is_in_the_standard_table():
    called = {name for folder in ("processes", "regions") for path in (ROOT / folder).rglob("*.bpmn")
              for name in OPERATOR.findall(path.read_text(encoding="utf-8"))}
    # next_proposal_number reads the counter of the script engine's own transaction (engine/workflow/runtime.py)
    assert called - {"next_proposal_number"} <= set(standard().handlers)
    assert {"remind", "escalate", "apply_extension"} <= called


def test_the_standard_table_is_made_of_the_plug_ins():
    table = standard()
    assert table.handlers == {**escalation.HANDLERS, **extension.HANDLERS}
    assert table.deadline_met is escalation.resolve


def test_bound_operations_get_the_step_first():
    calls = []
    table = ServiceTasks(handlers={"note": lambda step, text, loud=False: calls.append((step, text, loud)) or len(calls)})
    bound = table.bound("the step")
    assert bound["note"]("办理提醒", loud=True) == 1
    assert calls == [("the step", "办理提醒", True)]
    assert ServiceTasks().bound("the step") == {} and ServiceTasks().deadline_met is None
