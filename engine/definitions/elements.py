"""The vocabulary of a definition: the processes a case runs, the roles of its tasks
(with their labels), the proposal columns a step may index, the XML namespaces, and a
user task's metadata (`TaskMeta`). engine/definitions/bundle.py re-exports them.

May import: the standard library only.
"""
from dataclasses import dataclass, field

ROOT_PROCESS = "proposal"
# Processes a case can be started on: the proposal's life, and side processes
# (a deadline extension request). Only the proposal process is required.
SIDE_PROCESSES = ("extension",)
ROLES = {"proposer", "committee", "gov_office", "supervisor", "deputy_head", "unit_clerk", "unit_head"}
ROLE_LABELS = {"proposer": "提案者", "committee": "提案委员会", "gov_office": "政府办", "supervisor": "督查室",
               "deputy_head": "分管副职", "unit_clerk": "承办单位经办人", "unit_head": "承办单位负责人"}
# searchable proposal columns a step may set; `units` ({unit: role}), `ratings` ({unit: the
# rating the completing rater gave it}) and `unit_satisfaction` ({unit: its counted rating})
# write the proposal's unit rows and its ratings
INDEX_COLUMNS = {"number", "category", "is_key", "supervising_leader", "reply_class", "satisfaction", "units",
                 "ratings", "unit_satisfaction", "merged_into_id"}
# who does a task of each role, as people say it (a unit's roles follow the unit's name)
ROLE_NAMES = {"proposer": "提案者", "committee": "提案委员会", "gov_office": "政府办", "supervisor": "督查室",
              "deputy_head": "分管领导", "unit_clerk": "经办人", "unit_head": "负责人"}
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
