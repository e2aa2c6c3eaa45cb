"""Case state: a workflow stored without its spec, kept small by compaction.

The stored state of a case is the workflow's task tree and data only; the
spec comes from the case's process definition (parsed once and cached), so a
fresh case stores a few KB instead of tens.

Compaction keeps stored state bounded however long a case runs: after every
step the task tree is re-rooted at the lowest common ancestor of the tasks
that are not finished, and the finished history above it is dropped (the
event log, not the task tree, is the audit trail). A case that loops through
second handlings and dozens of progress reports therefore keeps a handful of
tasks, a flat cost per step, and never reaches SpiffWorkflow's depth-1000
iteration limit.

`STATE_FORMAT` is stamped on every stored state; `MIGRATIONS` upgrades older
formats step by step when a case is loaded.
"""
import copy
import threading
from contextvars import ContextVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

STATE_FORMAT = 1
# format -> function(state dict) -> state dict of format + 1
MIGRATIONS: dict = {}

_specs: ContextVar = ContextVar("cppcc_specs")
_local = threading.local()


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a top-level workflow without its spec; restores it with a given spec."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = _specs.get()
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def registry():
    """The serializer registry of this thread (spec-free workflows; SpiffWorkflow's spec converters)."""
    # The serializer's registry keeps mutable flags, so each thread has its own.
    registry = getattr(_local, "registry", None)
    if registry is None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecFreeWorkflowConverter
        registry = _local.registry = BpmnWorkflowSerializer.configure(config)
    return registry


def dump(workflow: BpmnWorkflow) -> dict:
    """Compact the workflow, then return its JSON-ready state (no spec inside)."""
    compact(workflow)
    return {"format": STATE_FORMAT, "spiff_serializer": SPIFF_SERIALIZER_VERSION,
            "workflow": registry().convert(workflow)}


def load(state: dict, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    """Rebuild a workflow from stored state and its definition's specs.

    `state` is left as it was, so the same stored state may be loaded again.
    """
    state = migrate(state)
    stored = dict(state["workflow"])
    # SpiffWorkflow pops restored subprocesses from the mapping it is given, and
    # rebuilds a task's data from its parent's: hand it fresh mappings with
    # parents first, whatever key order the stored JSON came back in (JSONB sorts keys).
    stored["tasks"] = _parents_first(stored["tasks"])
    stored["subprocesses"] = {key: {**sub, "tasks": _parents_first(sub["tasks"])}
                              for key, sub in stored.get("subprocesses", {}).items()}
    token = _specs.set((spec, subprocess_specs))
    try:
        workflow = registry().restore(stored)
    finally:
        _specs.reset(token)
    workflow.script_engine = script_engine
    return workflow


def _parents_first(tasks: dict) -> dict:
    """The stored tasks reordered so that every task comes after its parent."""
    ordered = {}
    for task_id in tasks:
        chain = []
        while task_id is not None and task_id in tasks and task_id not in ordered:
            chain.append(task_id)
            task_id = tasks[task_id]["parent"]
        for tid in reversed(chain):
            ordered[tid] = tasks[tid]
    return ordered


def migrate(state: dict) -> dict:
    """Upgrade a stored state to STATE_FORMAT, one format at a time."""
    fmt = state.get("format", 1)
    if fmt < STATE_FORMAT:
        state = copy.deepcopy(state)  # migrations may edit in place: keep the caller's copy intact
    while fmt < STATE_FORMAT:
        if fmt not in MIGRATIONS:
            raise ValueError(f"no migration from case state format {fmt} (this program writes {STATE_FORMAT})")
        state = MIGRATIONS[fmt](state)
        fmt += 1
        state["format"] = fmt
    if fmt > STATE_FORMAT:
        raise ValueError(f"case state format {fmt} is newer than this program ({STATE_FORMAT})")
    return state


def compact(workflow: BpmnWorkflow) -> int:
    """Drop finished history from the workflow and its subprocesses; return tasks dropped."""
    dropped = _compact_one(workflow, workflow)
    for key in list(workflow.subprocesses):
        sub = workflow.subprocesses.get(key)  # an earlier pass may have dropped it
        if sub is not None:
            dropped += _compact_one(workflow, sub)
    return dropped


def _compact_one(top, wf) -> int:
    unfinished = [t for t in wf.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished:
        return 0
    root = _common_ancestor(wf, unfinished)
    if root is None or root is wf.task_tree:
        return 0
    keep = set()
    stack = [root]
    while stack:
        task = stack.pop()
        keep.add(task.id)
        stack.extend(task.children)
    removed = [tid for tid in wf.tasks if tid not in keep]
    for tid in removed:
        del wf.tasks[tid]
        _drop_subprocess(top, tid)
    root._parent = None
    wf.task_tree = root
    if wf.last_task is not None and wf.last_task.id not in keep:
        wf.last_task = None
    return len(removed)


def _drop_subprocess(top, task_id):
    sub = top.subprocesses.pop(task_id, None)
    if sub is not None:
        for tid in list(sub.tasks):
            _drop_subprocess(top, tid)


def _common_ancestor(wf, tasks):
    def chain(task):
        path = []
        while task is not None:
            path.append(task)
            task = task.parent
        return path[::-1]

    common = chain(tasks[0])
    for task in tasks[1:]:
        other = chain(task)
        n = 0
        while n < len(common) and n < len(other) and common[n] is other[n]:
            n += 1
        common = common[:n]
    return common[-1] if common else None
