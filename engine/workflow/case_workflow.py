"""A case's workflow: SpiffWorkflow's BpmnWorkflow that finds its tasks by state without walking the tree.

A step asks the workflow for its tasks in a state many times: SpiffWorkflow's engine loop
asks for the READY tasks before every round (`do_engine_steps`), the step asks whether any
engine task is still ready, and the open-task sync asks for the ready user tasks. Each time,
SpiffWorkflow walks the whole task tree, subprocesses included, with a generator and a
filter object per task — a tenth of a replayed step's time. `CaseWorkflow.get_tasks` answers
those questions (a definite state: FUTURE, WAITING, READY or STARTED, with or without
`manual`) from the workflow's task tables instead, and puts what it found in the walk's own
order (depth first; a subprocess's tasks right after the task that runs it, before that
task's children), leaving out what the walk would not reach (below a predicted task, or cut
off from the tree). Any other question goes to SpiffWorkflow's walk. The answer is the
same list either way (every test that runs a case compares them call by call: the
`task_lookup_checked` fixture of tests/conftest.py; tests/engine/test_case_workflow.py).

The stored form is unchanged: a CaseWorkflow is stored and restored as a BpmnWorkflow
(engine/workflow/state.py).

Imports: SpiffWorkflow only.
"""
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

# the states whose walk descends below every task at least FUTURE (SpiffWorkflow's TaskIterator:
# min_state FUTURE for a definite state) and that are one state, not a mask
_DEFINITE = (TaskState.FUTURE, TaskState.WAITING, TaskState.READY, TaskState.STARTED)
_MAX_DEPTH = 1000  # SpiffWorkflow's iterator's default


class CaseWorkflow(BpmnWorkflow):
    """BpmnWorkflow whose `get_tasks(state=..., manual=...)` reads the task tables (same answer)."""

    def get_tasks(self, first_task: SpiffTask | None = None, **kwargs: Any) -> list[SpiffTask]:
        state = kwargs.get("state")
        if first_task is not None or state not in _DEFINITE or not kwargs.keys() <= {"state", "manual"}:
            return super().get_tasks(first_task, **kwargs)
        manual = kwargs.get("manual")
        found = []
        positions: dict = {}  # parent id -> {child id: its place}, made once a call (many instances of one task)
        for workflow in (self, *self.subprocesses.values()):
            for task in workflow.tasks.values():
                if task._state == state and (manual is None or task.task_spec.manual == manual):
                    place = self._place(task, positions)
                    if place is not None:
                        found.append((place, task))
        if len(found) > 1:
            found.sort(key=lambda item: item[0])
        return [task for _, task in found]

    def _place(self, task: SpiffTask, positions: dict) -> tuple[int, ...] | None:
        """Where the depth-first walk from the root meets `task` (a key that sorts in the walk's
        order), or None when the walk does not reach it."""
        path: list[int] = []
        node = task
        while True:
            tasks = node.workflow.tasks
            parent = tasks.get(node._parent)
            if parent is None:
                if node is not node.workflow.task_tree:
                    return None  # cut off from its tree
                if node.workflow is self:
                    break
                outer = self._task(node.workflow.parent_task_id)  # the task that runs the subprocess
                if outer is None:
                    return None  # a subprocess whose running task has left the tree
                path.append(-1)  # the subprocess's tree is walked before the running task's children
                node = outer
                continue
            if parent._state < TaskState.FUTURE and parent.id not in self.subprocesses:
                return None  # the walk does not go below a predicted task
            places = positions.get(parent.id)
            if places is None:
                places = positions[parent.id] = {child: n for n, child in enumerate(parent._children)}
            place = places.get(node.id)
            if place is None:
                return None  # its parent does not list it: the walk does not meet it
            path.append(place)
            node = parent
        if len(path) >= _MAX_DEPTH:
            return None
        path.reverse()
        return tuple(path)

    def _task(self, task_id: Any) -> SpiffTask | None:
        """The task of that id in the workflow or one of its subprocesses, or None
        (SpiffWorkflow's get_task_from_id raises when it is not there)."""
        for workflow in (self, *self.subprocesses.values()):
            task = workflow.tasks.get(task_id)
            if task is not None:
                return task
        return None
