"""The case's open-task rows (the task lists' one indexed table), made those of its ready
user tasks when a step stores the case (engine/workflow/step.py), and the people told of a
new one.

Rows are read, deleted and inserted on the session's connection with statements built once:
no ORM object is made for them, and nothing the step has pending is flushed for them (the
step flushes once, when it stores the case).

Imports: the adapters (the outbox), the model, the definitions' task metadata and the step's
helpers (faults, batch_cache); never the step itself.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine.adapters import outbox as notify
from engine.definitions.bundle import TaskMeta
from engine.model import clock
from engine.model.errors import ProcessFault
from engine.model.tables import Case, OpenTask, Proposal
from engine.profile.region import Region
from engine.workflow import faults
from engine.workflow.batch_cache import batch_shared

_OPEN_TASKS = cast(Table, OpenTask.__table__)
_IDS = select(_OPEN_TASKS.c.id).where(_OPEN_TASKS.c.case_id == bindparam("case_id"))
_INSERT = _OPEN_TASKS.insert()
_DELETE = _OPEN_TASKS.delete().where(_OPEN_TASKS.c.id.in_(bindparam("ids", expanding=True)))


def sync(session: Session, region: Region, meta_of: Callable[[SpiffTask], TaskMeta | None], case: Case,
         proposal: Proposal, now: datetime, workflow: BpmnWorkflow, refresh_due: bool,
         refresh_meta: bool = False) -> list[str | None]:
    """Make the case's open_tasks rows those of its ready user tasks (`meta_of` gives a task's
    metadata, None for an engine task) and tell the people of each new one; returns the stages
    of the ready user tasks. `refresh_due` recomputes the due dates
    of rows that stay, `refresh_meta` their title, form, role, unit and assignee too."""
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    if refresh_due:  # the rows themselves are changed: load them
        existing: dict[str, Any] = {row.id: row for row in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))}
    else:
        existing = dict.fromkeys(session.connection().scalars(_IDS, {"case_id": case.id}))
    gone = set(existing) - set(ready)
    if gone:
        # (the ORM's own delete would first match every loaded row against the criteria);
        # a row of them loaded in this session is then forgotten by it
        session.connection().execute(_DELETE, {"ids": list(gone)})
        for task_id in gone:
            loaded = session.identity_map.get(identity_key(OpenTask, task_id))
            if loaded is not None:
                session.expunge(loaded)
    new_rows: list[dict] = []
    messages: list[tuple[dict, TaskMeta]] = []
    stages = []
    for task_id, task in ready.items():
        meta = meta_of(task)
        if meta is None:
            continue
        stages.append(meta.stage)
        if task_id in existing:
            row = existing[task_id]
            if refresh_meta:
                for column, value in described(task, meta).items():
                    setattr(row, column, value)
            if refresh_due:
                row.due_at = due_of(task, meta)
            continue
        values = dict(id=task_id, case_id=case.id, proposal_id=proposal.id, created_at=now,
                      due_at=due_of(task, meta), claimed_by=None, claimed_at=None, **described(task, meta))
        new_rows.append(values)
        messages.append((values, meta))
    if new_rows:  # nothing in the step reads them back
        session.connection().execute(_INSERT, new_rows)
    for values, meta in messages:
        who = (values["role"], values["unit_id"], values["assignee"])
        notify.enqueue(session, region, recipients(session, *who),
                       meta.notify, f"新的待办：{meta.title}", f"提案：{proposal.title}",
                       proposal_id=proposal.id, task_id=values["id"], now=now)
    return stages


def recipients(session: Session, role: str, unit_id: str | None = None, assignee: str | None = None) -> list[Any]:
    """The people a task of `role` (of `unit_id`, for `assignee`) is told to (the outbox's
    rule), read once for all the steps of a batch (engine/workflow/batch_cache.py): a new
    task's here, a reminder's or an overdue notice's in engine/workflow/escalation.py."""
    found: list[Any] = batch_shared(session, ("recipients", role, unit_id, assignee),
                                    partial(notify.recipients_for, session, role, unit_id, assignee))
    return found


def due_of(task: SpiffTask, meta: TaskMeta) -> datetime | None:
    """The due time (UTC) the task's `due` expression gives, or None."""
    if not meta.due:
        return None
    try:
        value = faults.evaluate(task, meta.due)
    except ProcessFault as err:
        if isinstance(faults.innermost(err), (NameError, KeyError)):
            return None  # a case started before its deadline data existed has no due date
        raise
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise faults.diagram_fault(ValueError(f"due 属性的值不是日期：{str(value)[:40]}"), task)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.CHINA)
    return moment.astimezone(UTC)


def described(task: SpiffTask, meta: TaskMeta) -> dict:
    """The open-task columns a user task's metadata gives (its unit and assignee evaluated)."""
    return dict(name=meta.name, title=meta.title, form=meta.form, role=meta.role, stage=meta.stage,
                unit_id=_text(task, "unit", faults.evaluate(task, meta.unit)) if meta.unit else None,
                assignee=_text(task, "assignee", faults.evaluate(task, meta.assignee)) if meta.assignee else None,
                lead_unit=task.data.get("lead_unit") if isinstance(task.data.get("lead_unit"), str) else None)


def _text(task: SpiffTask, prop: str, value: Any) -> Any:
    """A unit or assignee value: text (an id or a user name), or None."""
    if value is None or (isinstance(value, str) and len(value) <= 200):
        return value
    raise faults.diagram_fault(ValueError(f"{prop} 属性的值应为单位编码或用户名（文本），实际是 {type(value).__name__}"), task)
