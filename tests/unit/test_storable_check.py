"""A step checks that the task data it stores can be stored (engine/workflow/step.py
`_check_storable`), looking only at the tasks whose state changed in the step: the others' data
was checked by the step that last changed them."""
import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.model.errors import ProcessFault
from engine.workflow.step import _check_storable


@pytest.fixture
def workflow(runtime):
    spec, subprocess_specs = runtime.current.specs_for("proposal")
    return BpmnWorkflow(spec, subprocess_specs)


def test_a_set_left_in_a_task_changed_in_this_step_is_refused_naming_the_task(workflow):
    task = next(iter(workflow.tasks.values()))
    task.data["marks"] = {1, 2}
    began = task.last_state_change - 1  # the step began before the task changed
    with pytest.raises(ProcessFault, match="集合"):
        _check_storable(workflow, since=began)


def test_tasks_stamped_before_the_step_began_are_not_walked_again(workflow):
    task = next(iter(workflow.tasks.values()))
    task.data["marks"] = {1, 2}  # (stored by an earlier step, it could not be: here it shows who is walked)
    later = max(t.last_state_change for t in workflow.tasks.values()) + 1
    _check_storable(workflow, since=later)
    with pytest.raises(ProcessFault):
        _check_storable(workflow)  # by default every task
