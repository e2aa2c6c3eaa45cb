"""The vocabulary of a definition: the processes a case runs, the roles its tasks may
have (their words: engine/profile/catalogue.py), the proposal columns a step may index, the XML namespaces, and a
user task's metadata (`TaskMeta`). engine/definitions/bundle.py re-exports them.

May import: the standard library and `engine.profile.catalogue`.
"""
from dataclasses import dataclass, field

from engine.profile import catalogue

ROOT_PROCESS = "proposal"
# Processes a case can be started on: the proposal's life, and side processes
# (a deadline extension request). Only the proposal process is required.
SIDE_PROCESSES = ("extension",)
# the roles a user task may have
ROLES = frozenset(catalogue.base().codes("roles", tasks=True))
# searchable proposal columns a step may set; `units` ({unit: role}), `ratings` ({unit: the
# rating the completing rater gave it}) and `unit_satisfaction` ({unit: its counted rating})
# write the proposal's unit rows and its ratings
INDEX_COLUMNS = {"number", "category", "session", "is_key", "supervising_leader", "reply_class", "satisfaction", "units",
                 "ratings", "unit_satisfaction", "merged_into_id"}
EXPRESSION_PROPERTIES = ("unit", "assignee", "due")
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}


@dataclass
class TaskMeta:
    """What the engine needs to know of one user task, read from its properties."""

    name: str
    title: str
    role: str
    form: str
    stage: str | None = None
    unit: str | None = None
    assignee: str | None = None
    due: str | None = None
    notify: str = "task"
    result: str | None = None
    index: dict = field(default_factory=dict)
