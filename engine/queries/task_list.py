"""Task lists: the open tasks a person may do, one page at a time, and one open task as the
lists show it; one indexed query on `open_tasks` (no workflow is loaded). The task's
form with its prefill and context is `records.task_detail`.

May import what engine/queries may (see the package).
"""
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import OpenTask, Proposal, Unit, User
from engine.rules.permissions import my_tasks_clause, task_for
from engine.workflow.runtime import Runtime

Json = dict[str, Any]


def list_tasks(session: Session, rt: Runtime, user: User, name: str | None = None, stage: str | None = None,
               proposal_id: int | None = None, page: int = 1, per_page: int = 20) -> Json:
    """The open tasks `user` may do, most urgent first (earliest due date, then oldest), one page,
    with a count per task name.

    One indexed query on `open_tasks` joined to proposals (no workflow is
    loaded); `counts` ignores the `name` filter so a client can show tabs.
    """
    where = [my_tasks_clause(user)]
    if stage:
        where.append(OpenTask.stage == stage)
    if proposal_id is not None:
        where.append(OpenTask.proposal_id == proposal_id)
    counts = dict(session.execute(select(OpenTask.name, func.count()).where(*where).group_by(OpenTask.name)).all())
    if name:
        where.append(OpenTask.name == name)
    claimer = User.__table__.alias("claimer")
    rows = session.execute(
        select(OpenTask, Proposal.title, Proposal.number, Unit.name, claimer.c.name)
        .join(Proposal, Proposal.id == OpenTask.proposal_id)
        .outerjoin(Unit, Unit.id == OpenTask.unit_id)
        .outerjoin(claimer, claimer.c.username == OpenTask.claimed_by)
        .where(*where).order_by(OpenTask.due_at.asc().nulls_last(), OpenTask.created_at, OpenTask.id)
        .offset((page - 1) * per_page).limit(per_page))
    items = [_task_item(rt, *row) for row in rows]
    total = counts.get(name, 0) if name else sum(counts.values())
    return {"items": items, "total": total, "page": page, "per_page": per_page, "counts": counts}


def open_task(session: Session, rt: Runtime, user: User, task_id: str) -> Json:
    """An open task `user` may do, with its form schema, without loading the workflow.

    Raises NotFound, Conflict (already completed) or Forbidden, as `task_detail`.
    """
    row = task_for(session, user, task_id)
    return {**task_item(session, rt, row), "schema": rt.forms.resolved(row.form)}


def task_item(session: Session, rt: Runtime, row: OpenTask) -> Json:
    """One open task as task lists show it (its proposal, unit, due date, who claimed it)."""
    proposal = session.execute(select(Proposal.title, Proposal.number).where(Proposal.id == row.proposal_id)).one()
    unit = session.get(Unit, row.unit_id) if row.unit_id else None
    claimer = session.scalar(select(User.name).where(User.username == row.claimed_by)) if row.claimed_by else None
    return _task_item(rt, row, proposal.title, proposal.number, unit.name if unit else None, claimer)


def _task_item(rt: Runtime, task: OpenTask, title: str, number: str | None, unit_name: str | None,
               claimer_name: str | None = None) -> Json:
    return {"id": task.id, "name": task.name, "title": task.title, "form": task.form, "stage": task.stage,
            "stage_label": rt.stage_labels.get(task.stage, task.stage), "proposal_id": task.proposal_id,
            "proposal_title": title, "proposal_number": number, "unit_id": task.unit_id, "unit_name": unit_name,
            "role": task.role, "assignee": task.assignee, "created_at": _iso(task.created_at),
            "due_at": _iso(task.due_at),
            "overdue": task.due_at is not None and task.due_at < clock.now(),
            "claimed_by": task.claimed_by, "claimed_by_name": (claimer_name or task.claimed_by) if task.claimed_by else None}


_iso = clock.utc_iso
