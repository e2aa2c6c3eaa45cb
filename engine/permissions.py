"""Who may see and do what: the one place these rules are decided.

The committee, the government office, the supervision office, deputy heads and
process designers see every proposal; unit staff see the proposals their unit has a part in;
proposers see the ones they proposed or co-signed. A task is done by users
with its role, of its unit (if it has one), and its assignee (if it has one).
"""
from datetime import timezone

from sqlalchemy import and_, exists, false, or_, select, true

from .errors import Conflict, Forbidden, NotFound
from .models import Event, OpenTask, Proposal, ProposalPerson, ProposalUnit, User

# process designers read every proposal (to follow the cases on a version) but have no tasks
SEE_ALL_ROLES = {"committee", "gov_office", "supervisor", "deputy_head", "designer"}
UNIT_ROLES = {"unit_clerk", "unit_head"}


def may_do(user: User, task: OpenTask) -> bool:
    """Whether `user` may see and complete an open task (role, unit and assignee match)."""
    if task.role not in user.role_set:
        return False
    if task.unit_id is not None and task.unit_id != user.unit_id:
        return False
    return task.assignee is None or task.assignee == user.username


def task_for(session, user: User, task_id: str) -> OpenTask:
    """The open task `user` may do; NotFound (no such task), Conflict (already
    completed, with who and when) or Forbidden (another unit's or role's task)."""
    row = session.get(OpenTask, task_id)
    if row is None:
        done = session.scalar(select(Event).where(Event.task_id == task_id, Event.kind == "task_completed").limit(1))
        if done is not None:
            at = done.at if done.at.tzinfo else done.at.replace(tzinfo=timezone.utc)  # SQLite: naive UTC
            raise Conflict("该任务已经办理完成，不能重复提交", completed_by=done.actor_name, completed_at=at.isoformat())
        raise NotFound("找不到该任务")
    if not may_do(user, row):
        raise Forbidden("该任务不属于您的单位或角色")
    return row


def may_see_incidents(user: User) -> bool:
    """Whether `user` may list the stalled cases (异常案件): the committee, which runs the handling."""
    return "committee" in user.role_set


def visible_proposals_clause(user: User):
    """A WHERE clause on `Proposal` selecting the proposals `user` may see.

    The committee, government office, supervision office and deputy heads see
    all; unit staff see proposals their unit has a part in; proposers see the
    ones they proposed or co-signed. Several roles combine with OR.
    """
    roles = user.role_set
    if roles & SEE_ALL_ROLES:
        return true()
    clauses = []
    if roles & UNIT_ROLES and user.unit_id:
        clauses.append(exists().where(ProposalUnit.proposal_id == Proposal.id, ProposalUnit.unit_id == user.unit_id))
    if "proposer" in roles:
        clauses.append(exists().where(ProposalPerson.proposal_id == Proposal.id,
                                      ProposalPerson.username == user.username))
    return or_(*clauses) if clauses else false()


def my_tasks_clause(user: User):
    """A WHERE clause on `OpenTask` selecting the tasks `user` may do (see `may_do`)."""
    unit = OpenTask.unit_id.is_(None)
    if user.unit_id:
        unit = or_(unit, OpenTask.unit_id == user.unit_id)
    return and_(OpenTask.role.in_(sorted(user.role_set)), unit,
                or_(OpenTask.assignee.is_(None), OpenTask.assignee == user.username))
