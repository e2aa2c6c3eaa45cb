"""Who may see and do what: the one place these rules are decided.

Proposals. The committee, the government office, the supervision office,
deputy heads and process designers see every proposal; unit staff see the
proposals their unit has a part in; proposers see the ones they proposed or
co-signed.

Steps of a proposal (its timeline, the attachments of its steps, its open
tasks, the case data a task page shows). Each step has an audience: the
`audience` property the diagram gives its user task or engine step (see
AUDIENCES; a task whose diagram says nothing is seen by TASK_AUDIENCE), or,
for what is not a task, the audience of its kind of event (EVENT_AUDIENCE).
Whoever did a step always sees it. A member (proposer or co-signer) thus sees
the submission, the co-signing, the review, the consultations with him, the
reply once it is sent, the ratings, mediation, progress reports and closing;
never a draft, an approval or its comments, the plan or its approval, the
supervision office's review, reminders or overdue notices.

Assisting units see the shared handling (the assignment, the plan, the
assisting opinions, the drafts they co-sign, the reply) but not the lead
unit's own approvals (its plan approval, its head's signing), the
approval chain after co-signing (government office, deputy head, supervision
office: a lead unit's business), or another unit's reminders and overdue
notices.

Tasks. A task is done by users with its role, of its unit (if it has one),
and its assignee (if it has one). A task a user may not do answers as a task
that does not exist. A task open to several people (no assignee) may be claimed
by one of them: the others still see it, but only the claimer completes or
releases it; the committee may give it to another person who may do it.

Ratings. A handling unit's account never rates, nor sees the rating form (征询意见) of,
a proposal its unit has a part in, whatever its other roles. Committee staff (never a unit)
may enter a member's rating from the signed paper form on the member's behalf (代录).

Printing. The dossier (一案一册) prints as its viewer sees it; the assignment notice
(交办通知单) of a unit, for staff and that unit; the reply letter (答复函), only once the
reply is sent, for whoever sees the proposal; the pre-filled rating form (征询意见表), for
the committee (to send to a member who rates on paper) and the member who rates.

Publication (办理结果公开). The committee reviews which consented replies are published
or withheld; the proposer may withdraw consent until the reply is published.

Uploads. A file is attached to a proposal by someone with a part in it: for an
open task of theirs, or on the dossier by the committee, by the proposer while
the proposal is open, by a unit handling it while it is open, and by the
supervising leader of a key proposal.

Two parts are written in modules of their own and re-exported here, so that every access
decision is still made (and imported) from this module: the role-only checks in
engine/rules/roles.py, and the step audiences above (who sees which step, file and piece of
case data) in engine/rules/visibility.py.
"""

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true
from sqlalchemy.orm import Session, object_session

from engine.model.errors import Conflict, InvalidForm, NotFound
from engine.model.tables import Event, OpenTask, Proposal, ProposalPerson, ProposalUnit, User
from engine.rules.roles import (  # noqa: F401 (the role checks are decided here too: re-exported)
    DESIGNER,
    SEE_ALL_ROLES,
    STATISTICS_ALL_ROLES,
    SUPERVISION_ROLES,
    UNIT_ROLES,
    VERSION_READERS,
    check_designer,
    check_extension_requester,
    check_may_assess,
    check_submitter,
    check_supervisor,
    may_assess,
    may_design,
    may_make_report,
    may_read_versions,
    may_see_incidents,
    may_submit,
    may_supervise,
    statistics_scope,
)
from engine.rules.visibility import (  # noqa: F401 (who sees which step: decided here too, re-exported)
    AUDIENCES,
    EVENT_AUDIENCE,
    TASK,
    TASK_AUDIENCE,
    UPLOAD_AUDIENCE,
    Viewer,
    event_audience,
    sees_event,
    viewer,
    visible_attachment_ids,
    visible_context,
)

CLOSED_STATUSES = {"closed", "not_filed", "merged", "converted"}
RATING_FORMS = {"rate"}  # the forms of a member's rating: never a handling unit's to do or see
DOCUMENTS = ("dossier", "assignment", "reply", "rating_form")  # what prints (engine/queries/documents.py)

def sees_open_task(view: Viewer, user: User, task: OpenTask, audiences: dict) -> bool:
    """Whether the viewer sees that a task is open (always, when it is theirs to do)."""
    return may_do(user, task) or view.sees(audiences.get(task.name, TASK_AUDIENCE), task.unit_id)


def may_do(user: User, task: OpenTask) -> bool:
    """Whether `user` may see and complete an open task (role, unit and assignee match; a
    rating is never done by an account of a unit with a part in the proposal)."""
    if task.role not in user.role_set:
        return False
    if task.unit_id is not None and task.unit_id != user.unit_id:
        return False
    if task.form in RATING_FORMS and _has_part(_session_of(task), user, task.proposal_id):
        return False
    return task.assignee is None or task.assignee == user.username


def _session_of(task: OpenTask) -> Session:
    session = object_session(task)
    if session is None:
        raise RuntimeError("a rating task's rater is checked against the proposal's parts: the task must be attached")
    return session


def _has_part(session: Session, user: User, proposal_id: int) -> bool:
    """Whether `user` is an account of a unit with a part (lead, assisting, returned) in the proposal."""
    if not (user.role_set & UNIT_ROLES and user.unit_id):
        return False
    if session is None:  # a task row outside any session: refuse rather than guess
        return True
    return session.scalar(select(ProposalUnit.role).where(ProposalUnit.proposal_id == proposal_id,
                                                          ProposalUnit.unit_id == user.unit_id)) is not None


def may_enter_paper_rating(user: User, view: Viewer) -> bool:
    """Committee staff, never an account of a unit (nor one with a part in the proposal), may
    enter a member's rating from the signed paper form (代录)."""
    return "committee" in user.role_set and not user.role_set & UNIT_ROLES and view.unit_role is None


def may_print(user: User, view: Viewer, document: str, unit_id: str | None = None,
              rater: str | None = None) -> bool:
    """Whether the viewer (who may see the proposal) may print `document` (see DOCUMENTS):
    the dossier as they see it; a unit's assignment notice (staff, that unit); the sent
    reply letter (anyone who sees it); a member's rating form (the committee, the member
    himself; never an account of a unit with a part in the proposal)."""
    if document == "dossier" or document == "reply":
        return True
    if document == "assignment":
        return view.staff or (unit_id is not None and unit_id == view.unit_id and view.unit_role in ("lead", "assist"))
    if document == "rating_form":
        if view.unit_role is not None:
            return False
        return "committee" in user.role_set or (rater is not None and rater == user.username)
    return False


def may_review_publication(user: User) -> bool:
    """Whether `user` decides which consented replies are published (the committee)."""
    return "committee" in user.role_set and not user.role_set & UNIT_ROLES


def may_complete(user: User, task: OpenTask) -> bool:
    """Whether `user` may complete an open task: may do it, and nobody else has claimed it."""
    return may_do(user, task) and task.claimed_by in (None, user.username)


def _name(session: Session, username: str) -> str:
    return session.scalar(select(User.name).where(User.username == username)) or username


def check_completable(session: Session, user: User, task: OpenTask) -> None:
    """Conflict (naming the claimer) if another person has claimed the task."""
    if task.claimed_by not in (None, user.username):
        raise Conflict(f"该任务已由{_name(session, task.claimed_by)}认领，只有认领人可以办理（认领人释放后可以办理）")


def check_claimable(session: Session, user: User, task: OpenTask) -> None:
    """A task `user` may do can be claimed when it names no assignee and nobody else has it."""
    if task.assignee is not None:
        raise Conflict("该任务已指定办理人，无需认领")
    if task.claimed_by not in (None, user.username):
        raise Conflict(f"该任务已由{_name(session, task.claimed_by)}认领")


def check_releasable(session: Session, user: User, task: OpenTask) -> None:
    """Only the claimer releases a claimed task."""
    if task.claimed_by not in (None, user.username):
        raise Conflict(f"该任务由{_name(session, task.claimed_by)}认领，只有认领人可以释放")


def may_assign(user: User) -> bool:
    """Whether `user` may give open tasks to a person (the committee)."""
    return "committee" in user.role_set


def may_review_in_batch(user: User) -> bool:
    """Whether `user` may open 批量审查交办 and import proposals from Excel (the committee);
    every row still goes through the checks of its own task."""
    return "committee" in user.role_set


def check_assignable(session: Session, user: User, task: OpenTask, target: User | None) -> User:
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
    return target


def task_for(session: Session, user: User, task_id: str) -> OpenTask:
    """The open task `user` may do; else NotFound (no such task, or not the user's, the
    same answer) or Conflict (already completed: who and when, told only to someone who
    may see the proposal)."""
    row = session.get(OpenTask, task_id) if isinstance(task_id, str) and len(task_id) <= 36 else None
    if row is None:
        done = session.scalar(select(Event).where(Event.task_id == task_id, Event.kind == "task_completed").limit(1)) \
            if isinstance(task_id, str) and len(task_id) <= 36 else None
        if done is not None and may_see_proposal(session, user, done.proposal_id):
            raise Conflict("该任务已经办理完成，不能重复提交", completed_by=done.actor_name,
                           completed_at=done.at.isoformat())
        raise NotFound("找不到该任务")
    if not may_do(user, row):
        raise NotFound("找不到该任务")
    return row


def may_see_proposal(session: Session, user: User, proposal_id: int) -> bool:
    """Whether the proposal exists and `user` may see it."""
    return session.scalar(select(Proposal.id).where(Proposal.id == proposal_id,
                                                    visible_proposals_clause(user))) is not None


def may_upload(session: Session, user: User, proposal: Proposal) -> bool:
    """Whether `user` may attach a file to the proposal from its dossier (see the module docstring)."""
    roles = user.role_set
    if "committee" in roles:
        return True
    if proposal.status in CLOSED_STATUSES:
        return False
    if "proposer" in roles and proposal.proposer == user.username:
        return True
    if roles & UNIT_ROLES and user.unit_id:
        role = session.scalar(select(ProposalUnit.role).where(ProposalUnit.proposal_id == proposal.id,
                                                              ProposalUnit.unit_id == user.unit_id))
        if role in ("lead", "assist"):
            return True
    return "deputy_head" in roles and bool(proposal.is_key) and proposal.supervising_leader == user.username


def visible_proposals_clause(user: User) -> ColumnElement[bool]:
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


def my_tasks_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on `OpenTask` selecting the tasks `user` may do (see `may_do`)."""
    unit: ColumnElement[bool] = OpenTask.unit_id.is_(None)
    if user.unit_id:
        unit = or_(unit, OpenTask.unit_id == user.unit_id)
    clause = and_(OpenTask.role.in_(sorted(user.role_set)), unit,
                  or_(OpenTask.assignee.is_(None), OpenTask.assignee == user.username))
    if user.role_set & UNIT_ROLES and user.unit_id:  # never a rating of a proposal the unit has a part in
        clause = and_(clause, not_(and_(OpenTask.form.in_(sorted(RATING_FORMS)), exists().where(
            ProposalUnit.proposal_id == OpenTask.proposal_id, ProposalUnit.unit_id == user.unit_id))))
    return clause
