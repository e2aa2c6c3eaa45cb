"""Who may see and do what: the one place these rules are decided.

The committee, the government office, the supervision office and deputy heads
see every proposal; unit staff see the proposals their unit has a part in;
proposers see the ones they proposed or co-signed. A task is done by users
with its role, of its unit (if it has one), and its assignee (if it has one).
"""
from sqlalchemy import and_, exists, false, or_, true

from .models import OpenTask, Proposal, ProposalPerson, ProposalUnit, User

SEE_ALL_ROLES = {"committee", "gov_office", "supervisor", "deputy_head"}
UNIT_ROLES = {"unit_clerk", "unit_head"}


def may_do(user: User, task: OpenTask) -> bool:
    """Whether `user` may see and complete an open task (role, unit and assignee match)."""
    if task.role not in user.role_set:
        return False
    if task.unit_id is not None and task.unit_id != user.unit_id:
        return False
    return task.assignee is None or task.assignee == user.username


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
