"""Claiming a task of a pool (several clerks of a unit, several committee staff).

A task open to everyone of its role and unit can be claimed by one of them:
colleagues still see it, marked 已由 X 认领, and only the claimer completes it
until they release it. The committee reassigns such a task to another person
who may do it (a person of that unit with its role). Who may do which is
engine/rules/permissions.py; each function here is one transaction (it commits).
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters import outbox as notify
from engine.adapters.db import UnitOfWork, stored
from engine.model import clock
from engine.model.errors import NotFound
from engine.model.eventlog import log
from engine.model.tables import OpenTask, Proposal, User
from engine.rules import permissions
from engine.workflow.runtime import Runtime


def claim(uow: UnitOfWork, user: User, task_id: str) -> OpenTask:
    """`user` claims an open task they may do (again: nothing changes)."""
    row = permissions.task_for(uow.session, user, task_id)
    permissions.check_claimable(uow.session, user, row)
    if row.claimed_by != user.username:
        row.claimed_by, row.claimed_at = user.username, clock.now()
        _log(uow.session, row, user, f"认领“{row.title}”")
        uow.commit()
    return row


def release(uow: UnitOfWork, user: User, task_id: str) -> OpenTask:
    """The claimer gives a claimed task back to the pool (not claimed: nothing changes)."""
    row = permissions.task_for(uow.session, user, task_id)
    if row.claimed_by is None:
        return row
    permissions.check_releasable(uow.session, user, row)
    row.claimed_by, row.claimed_at = None, None
    _log(uow.session, row, user, f"释放“{row.title}”")
    uow.commit()
    return row


def assign(uow: UnitOfWork, rt: Runtime, user: User, task_id: str, username: object) -> OpenTask:
    """The committee gives an open pool task to `username` (one who may do it), who is told."""
    session = uow.session
    row = session.get(OpenTask, task_id) if isinstance(task_id, str) else None
    if row is None:
        raise NotFound("找不到该任务")
    target = session.scalar(select(User).where(User.username == username)) if isinstance(username, str) else None
    target = permissions.check_assignable(session, user, row, target)
    if row.claimed_by != target.username:
        row.claimed_by, row.claimed_at = target.username, clock.now()
        _log(session, row, user, f"将“{row.title}”改派给{target.name}")
        proposal = stored(session, Proposal, row.proposal_id)
        notify.enqueue(session, rt.region, [target], "task", f"改派给您的待办：{row.title}",
                       f"提案：{proposal.title}", proposal_id=proposal.id, task_id=row.id, now=clock.now())
        uow.commit()
    return row


def _log(session: Session, row: OpenTask, user: User, title: str) -> None:
    proposal = session.get_one(Proposal, row.proposal_id)
    log(session, proposal, "task_claim", user, title, unit_id=row.unit_id,
        data={"task": row.name, "claimed_by": row.claimed_by})
