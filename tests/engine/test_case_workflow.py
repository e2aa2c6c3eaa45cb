"""CaseWorkflow finds a case's tasks by state from its task tables: the same list, in the same
order, as SpiffWorkflow's walk of the tree, on every call of a replayed year."""
from collections import Counter

import pytest
from case_drivers import Flow, script_engine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import replay
from engine.model.settings import Settings
from engine.workflow import state
from engine.workflow.case_workflow import CaseWorkflow
from engine.workflow.runtime import Runtime


@pytest.fixture
def compared(task_lookup_checked, monkeypatch):
    """What the calls compared with the walk (tests/conftest.py `task_lookup_checked`) asked and found."""
    seen: Counter = Counter()
    checked = CaseWorkflow.get_tasks

    def counted(self, first_task=None, **kwargs):
        found = checked(self, first_task, **kwargs)
        seen["calls"] += 1
        seen["several"] += len(found) > 1
        seen["in subprocesses"] += any(t.workflow is not self for t in found)
        return found

    monkeypatch.setattr(CaseWorkflow, "get_tasks", counted)
    return seen


def test_a_replayed_year_finds_the_same_tasks_in_the_same_order(compared, tmp_path):
    settings = Settings.from_env(database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    rt = Runtime(settings)
    baseline = replay.baseline_side(rt)
    cases = replay.generate_year(rt.region, 12, 2026, "order")
    report = replay.replay(cases, baseline, baseline, workers=1)
    assert not report["errors"]
    assert compared["calls"] > 1000
    assert compared["several"] > 100  # the order was put to the test (co-signers, assisting units in parallel)
    assert compared["in subprocesses"] > 100  # and subprocess tasks found below the task that runs them


def test_other_questions_go_to_the_walk(bundle):
    flow = Flow(bundle)
    workflow = state.load(state.dump(flow.workflow), bundle.spec, bundle.subprocess_specs, script_engine())
    assert type(workflow) is CaseWorkflow
    for question in ({"state": TaskState.NOT_FINISHED_MASK}, {"state": TaskState.READY, "spec_name": "review"},
                     {"manual": True}):
        assert workflow.get_tasks(**question) == BpmnWorkflow.get_tasks(workflow, **question)
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)] == ["review"]


def test_stored_as_a_bpmn_workflow(bundle):
    """Stored states keep SpiffWorkflow's own type name: states stored before load as they did."""
    stored = state.dump(Flow(bundle).workflow)
    assert stored["workflow"]["typename"] == "BpmnWorkflow"
    loaded = state.load(stored, bundle.spec, bundle.subprocess_specs, script_engine())
    assert state.dump(loaded) == stored


def test_a_subprocess_cut_off_from_the_tree_is_not_found(bundle):
    """The walk never reaches a subprocess whose running task has left the tree; neither does the lookup."""
    flow = Flow(bundle)
    flow.do("review", {"review_decision": "file", "category": "urban"})
    flow.do("assign", {"assign_mode": "joint", "lead_unit_ids": ["fgw"], "assisting_unit_ids": ["jw"], "is_key": False})
    workflow = state.load(state.dump(flow.workflow), bundle.spec, bundle.subprocess_specs, script_engine())
    ready = workflow.get_tasks(state=TaskState.READY)
    assert any(t.workflow is not workflow for t in ready)  # the handling subprocess's tasks are found
    sub = next(t.workflow for t in ready if t.workflow is not workflow)
    runner = workflow._task(sub.parent_task_id)
    runner.parent._children.remove(runner.id)  # the running task leaves the tree
    runner.workflow.tasks.pop(runner.id)
    walked = BpmnWorkflow.get_tasks(workflow, state=TaskState.READY)
    assert [t.id for t in workflow.get_tasks(state=TaskState.READY)] == [t.id for t in walked]
    assert not any(t.workflow is sub for t in walked)
