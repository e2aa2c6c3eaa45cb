"""Who may see and do what: the one place these rules are decided.

The committee, the government office, the supervision office, deputy heads and
process designers see every proposal; unit staff see the proposals their unit has a part in;
proposers see the ones they proposed or co-signed. A task is done by users
with its role, of its unit (if it has one), and its assignee (if it has one).
A task open to several people (no assignee) may be claimed by one of them:
the others still see it, but only the claimer completes or releases it; the
committee may give it to another person who may do it.
"""
from datetime import timezone

from sqlalchemy import and_, exists, false, or_, select, true

from .errors import Conflict, Forbidden, InvalidForm, NotFound
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


def may_complete(user: User, task: OpenTask) -> bool:
    """Whether `user` may complete an open task: may do it, and nobody else has claimed it."""
    return may_do(user, task) and task.claimed_by in (None, user.username)


def _name(session, username: str) -> str:
    return session.scalar(select(User.name).where(User.username == username)) or username


def check_completable(session, user: User, task: OpenTask) -> None:
    """Conflict (naming the claimer) if another person has claimed the task."""
    if task.claimed_by not in (None, user.username):
        raise Conflict(f"该任务已由{_name(session, task.claimed_by)}认领，只有认领人可以办理（认领人释放后可以办理）")


def check_claimable(session, user: User, task: OpenTask) -> None:
    """A task `user` may do can be claimed when it names no assignee and nobody else has it."""
    if task.assignee is not None:
        raise Conflict("该任务已指定办理人，无需认领")
    if task.claimed_by not in (None, user.username):
        raise Conflict(f"该任务已由{_name(session, task.claimed_by)}认领")


def check_releasable(session, user: User, task: OpenTask) -> None:
    """Only the claimer releases a claimed task."""
    if task.claimed_by not in (None, user.username):
        raise Conflict(f"该任务由{_name(session, task.claimed_by)}认领，只有认领人可以释放")


def may_assign(user: User) -> bool:
    """Whether `user` may give open tasks to a person (the committee)."""
    return "committee" in user.role_set


def check_assignable(session, user: User, task: OpenTask, target: User | None) -> None:
    """The committee gives a pool task to `target`, who must be able to do it (its role and unit).
    Anyone else is told the task does not exist, as for any task they may not do."""
    if not may_assign(user):
        raise NotFound("找不到该任务")
    if task.assignee is not None:
        raise Conflict("该任务已指定办理人，不能改派")
    if target is None or not target.active:
        raise InvalidForm("改派对象不存在", [{"field": "username", "message": "改派给：找不到该用户或已停用"}])
    if not may_do(target, task):
        raise InvalidForm("改派对象不能办理该任务",
                          [{"field": "username", "message": "改派给：应为该任务所属单位、角色的人员"}])


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
