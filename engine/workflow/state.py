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

Two stamps are kept on every stored state, and `load` upgrades from both
(a *state-format upgrade*: not a case migration, which moves a case to another
definition version — engine/services/case_migration.py —, nor a schema
migration of the tables — engine/adapters/schema):
- `format` (`STATE_FORMAT`): this project's own layout of the stored state;
  `MIGRATIONS` upgrades older formats step by step.
- `spiff_serializer`: the version of SpiffWorkflow's serializer that wrote the
  task tree. When it differs from the installed library's, SpiffWorkflow's own
  version migrations (`SpiffWorkflow.bpmn.serializer.migration`, the ones its
  `deserialize_json` runs) are applied first (`upgrade_serializer`), so stored
  cases survive a library upgrade.

Where a case's state is kept between steps is a `StateStore`: production's is
`IN_ROW` (the state above, in the case's row, read back at every step); a
replay keeps the live workflow object instead (engine/replay/memory.py). A
step loads and stores through its runtime's store (`Runtime.states`), so the
step's code is the same either way.
"""
import copy
import threading
from contextvars import ContextVar
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS as SPIFF_MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from engine.workflow.case_workflow import CaseWorkflow

STATE_FORMAT = 1
# format -> function(state dict) -> state dict of format + 1
MIGRATIONS: dict = {}

_specs: ContextVar = ContextVar("cppcc_specs")
_local = threading.local()


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a top-level workflow without its spec; restores it with a given spec."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict) -> BpmnWorkflow:
        spec, subprocess_specs = _specs.get()
        workflow = CaseWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateStore(Protocol):
    """Where a case's workflow is kept between steps (see the module's docstring)."""

    def load(self, case: Any, spec: BpmnProcessSpec, subprocess_specs: dict,
             script_engine: PythonScriptEngine) -> BpmnWorkflow:
        """The case's workflow, bound to the step's script engine."""

    def store(self, case: Any, workflow: BpmnWorkflow) -> None:
        """Keep the workflow as the case's state (compacted), at the end of a step."""


class RowStates:
    """Production's store: the compacted state in the case's row (`cases.state`)."""

    def load(self, case: Any, spec: BpmnProcessSpec, subprocess_specs: dict,
             script_engine: PythonScriptEngine) -> BpmnWorkflow:
        """The workflow rebuilt from the row's stored state."""
        return load(case.state, spec, subprocess_specs, script_engine)

    def store(self, case: Any, workflow: BpmnWorkflow) -> None:
        """The workflow compacted and dumped into the row."""
        case.state = dump(workflow)
        case.state_format = STATE_FORMAT


IN_ROW = RowStates()


def registry() -> Any:
    """The serializer registry of this thread (spec-free workflows; SpiffWorkflow's spec converters)."""
    # The serializer's registry keeps mutable flags, so each thread has its own.
    registry = getattr(_local, "registry", None)
    if registry is None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecFreeWorkflowConverter
        registry = _local.registry = BpmnWorkflowSerializer.configure(config)
        registry.typenames[CaseWorkflow] = registry.typenames[BpmnWorkflow]  # stored as a BpmnWorkflow
    return registry


def dump(workflow: BpmnWorkflow) -> dict:
    """Compact the workflow, then return its JSON-ready state (no spec inside)."""
    compact(workflow)
    return {"format": STATE_FORMAT, "spiff_serializer": SPIFF_SERIALIZER_VERSION,
            "workflow": registry().convert(workflow)}


def load(state: dict, spec: BpmnProcessSpec, subprocess_specs: dict, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    """Rebuild a workflow from stored state and its definition's specs.

    `state` is left as it was, so the same stored state may be loaded again.
    A state written by another version of SpiffWorkflow's serializer gets the
    state-format upgrade first (`upgrade_serializer`).
    """
    state = migrate(state)
    stored = upgrade_serializer(state["workflow"], state.get("spiff_serializer"), spec, subprocess_specs)
    stored = dict(stored)
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


def upgrade_serializer(stored: dict, stamp: str | None, spec: BpmnProcessSpec, subprocess_specs: dict) -> dict:
    """State-format upgrade of a stored task tree written by SpiffWorkflow serializer `stamp`:
    the library's own migration for that version (what BpmnWorkflowSerializer.deserialize_json
    runs) applied to a copy; the stored tree itself when it is the installed version's.

    SpiffWorkflow's migrations read each task's spec from the serialization, which this
    project does not store (the spec comes from the case's definition): the spec of the
    case's definition, serialized by the installed library, is handed to them. They are
    run on the top workflow and on each subprocess in turn, each presented as a workflow
    of its own (the library's migrations of 1.3 and 1.4 fail on a serialization that has
    subprocesses). Raises ValueError for a stamp newer than the installed library's or
    one it cannot upgrade."""
    if stamp is None or stamp == SPIFF_SERIALIZER_VERSION:
        return stored
    if _version(stamp) > _version(SPIFF_SERIALIZER_VERSION):
        raise ValueError(f"case state written by SpiffWorkflow serializer {stamp}, newer than the installed "
                         f"{SPIFF_SERIALIZER_VERSION}")
    if stamp not in SPIFF_MIGRATIONS:
        raise ValueError(f"SpiffWorkflow has no migration from serializer version {stamp}")
    upgraded = copy.deepcopy(stored)
    serializer = BpmnWorkflowSerializer(registry())
    specs = {}  # spec name -> the spec as the installed serializer writes it
    pieces = [(upgraded, spec), *((sub, subprocess_specs.get(sub.get("spec")))
                                 for sub in upgraded.get("subprocesses", {}).values())]
    for piece, piece_spec in pieces:
        if piece_spec is None:
            raise ValueError(f"no process {piece.get('spec')} in the case's definition for the stored subprocess")
        if piece_spec.name not in specs:
            specs[piece_spec.name] = registry().convert(piece_spec)
        alone = {"tasks": piece["tasks"], "spec": specs[piece_spec.name], "subprocess_specs": {},
                 "subprocesses": {}, serializer.VERSION_KEY: stamp}
        try:
            serializer.migrate(alone)
        except Exception as err:  # noqa: BLE001 — the library's migration failed: say which and why
            raise ValueError(f"SpiffWorkflow's migration from serializer version {stamp} failed: {err!r}") from err
        piece["tasks"] = alone["tasks"]
    return upgraded


def _version(stamp: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in str(stamp).split("."))


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


def _compact_one(top: BpmnWorkflow, wf: BpmnWorkflow) -> int:
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


def _drop_subprocess(top: BpmnWorkflow, task_id: UUID) -> None:
    sub = top.subprocesses.pop(task_id, None)
    if sub is not None:
        for tid in list(sub.tasks):
            _drop_subprocess(top, tid)


def _common_ancestor(wf: BpmnWorkflow, tasks: list[SpiffTask]) -> SpiffTask | None:
    def chain(task: SpiffTask) -> list[SpiffTask]:
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
