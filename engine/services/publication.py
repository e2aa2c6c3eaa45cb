"""办理结果公开: the committee publishes or withholds a consented reply; a member withdraws
consent before it is published. Each command commits.

What a candidate is: engine/rules/disclosure.py; what the public page shows: engine/queries/public.py. The
summary shows from publication; the full reply letter `full_text_after_working_days`
working days later (the region's `disclosure:` rule, counted on its working calendar).
The proposer and co-signers are told when their reply is published (the outbox, kind
`published`, on the region's channels for it).
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters import outbox
from engine.adapters.db import UnitOfWork, stored
from engine.model import clock
from engine.model.errors import Conflict, Forbidden, InvalidForm, NotFound
from engine.model.eventlog import log
from engine.model.tables import Proposal, ProposalPerson, Publication, User
from engine.rules import disclosure as public, permissions
from engine.rules.workcal import WorkCalendar
from engine.workflow.runtime import Runtime

MAX_REASON = 500


def review_list(session: Session, rt: Runtime, user: User) -> list[dict]:
    """The committee's review list: every consented reply with its status and date due."""
    _check_reviewer(user)
    return public.candidates(session, rt)


def publish(uow: UnitOfWork, rt: Runtime, user: User, reply_event_id: int) -> dict:
    """Publish a consented reply (also one withheld before); tells its proposer and co-signers."""
    _check_reviewer(user)
    item = _candidate(uow.session, rt, reply_event_id)
    if item["status"] == "withdrawn":
        raise Conflict("提案者已撤回公开同意，不能公开")
    if item["status"] == "published":
        raise Conflict("该答复已经公开")
    now = clock.now()
    days = rt.region.disclosure["full_text_after_working_days"]
    full_at = None
    if days:
        day = WorkCalendar.for_region(rt.region).add_working_days(now.astimezone(clock.CHINA).date(), days)
        full_at = datetime.combine(day, datetime.min.time(), tzinfo=clock.CHINA)
    row = _decide(uow.session, item, "published", "", user, now)
    row.full_text_at = full_at
    proposal = stored(uow.session, Proposal, item["proposal_id"])
    log(uow.session, proposal, "published", user, "办理结果已公开", unit_id=item["unit_id"], at=now)
    members = list(uow.session.scalars(select(User).join(ProposalPerson, ProposalPerson.username == User.username)
                                       .where(ProposalPerson.proposal_id == proposal.id, User.active.is_(True))))
    outbox.enqueue(uow.session, rt.region, members, "published", f"办理结果已公开：{proposal.title}",
                   f"您的提案（第 {proposal.number} 号）的答复已在“办理结果公开”页面公开"
                   + (f"，答复全文将于 {full_at.date().isoformat()} 公开。" if full_at else "。"),
                   proposal_id=proposal.id, now=now)
    uow.commit()
    return _candidate(uow.session, rt, reply_event_id)


def withhold(uow: UnitOfWork, rt: Runtime, user: User, reply_event_id: int, reason: object) -> dict:
    """Withhold a consented reply (or take a published one down), with a reason."""
    _check_reviewer(user)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidForm("请填写不予公开的理由", [{"field": "reason", "message": f"不予公开的理由：必填，不超过 {MAX_REASON} 字"}])
    item = _candidate(uow.session, rt, reply_event_id)
    if item["status"] == "withdrawn":
        raise Conflict("提案者已撤回公开同意，无需审核")
    now = clock.now()
    _decide(uow.session, item, "withheld", reason.strip(), user, now)
    log(uow.session, stored(uow.session, Proposal, item["proposal_id"]), "publication_withheld", user,
        "办理结果不予公开", unit_id=item["unit_id"], data={"reason": reason.strip()}, at=now)
    uow.commit()
    return _candidate(uow.session, rt, reply_event_id)


def withdraw_consent(uow: UnitOfWork, rt: Runtime, user: User, proposal_id: int) -> dict:
    """The proposer withdraws consent to disclosure of the proposal's replies not yet published."""
    proposal = uow.session.get(Proposal, proposal_id)
    if proposal is None or not permissions.may_see_proposal(uow.session, user, proposal_id):
        raise NotFound("找不到该提案")
    if proposal.proposer != user.username:
        raise Forbidden("只有提案者本人可以撤回公开同意")
    items = public.candidates(uow.session, rt, proposal_id)
    if any(i["status"] == "published" for i in items):
        raise Conflict("办理结果已经公开，不能撤回；如需撤下，请联系提案委员会")
    waiting = [i for i in items if i["status"] in ("pending", "withheld")]
    if not waiting:
        raise Conflict("该提案没有待公开的办理结果")
    now = clock.now()
    for item in waiting:
        _decide(uow.session, item, "withdrawn", "", user, now)
    log(uow.session, proposal, "consent_withdrawn", user, "提案者撤回公开同意", at=now)
    uow.commit()
    return {"proposal_id": proposal_id, "withdrawn": len(waiting)}


def consent_state(session: Session, rt: Runtime, user: User, proposal_id: int) -> dict:
    """What the proposal's page offers its proposer: {may_withdraw, published}."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.proposer != user.username:
        return {"may_withdraw": False, "published": False}
    items = public.candidates(session, rt, proposal_id)
    published = any(i["status"] == "published" for i in items)
    return {"may_withdraw": not published and any(i["status"] in ("pending", "withheld") for i in items),
            "published": published}


def _check_reviewer(user: User) -> None:
    if not permissions.may_review_publication(user):
        raise Forbidden("只有提案委员会可以审核办理结果公开")


def _candidate(session: Session, rt: Runtime, reply_event_id: object) -> dict:
    if not isinstance(reply_event_id, int) or isinstance(reply_event_id, bool):
        raise NotFound("找不到该答复")
    item = next((i for i in public.candidates(session, rt) if i["reply_event_id"] == reply_event_id), None)
    if item is None:
        raise NotFound("找不到该答复，或提案者未同意公开")
    return item


def _decide(session: Session, item: dict, status: str, reason: str, user: User, now: datetime) -> Publication:
    row = session.scalar(select(Publication).where(Publication.reply_event_id == item["reply_event_id"]))
    if row is None:
        row = Publication(reply_event_id=item["reply_event_id"], proposal_id=item["proposal_id"],
                          unit_id=item["unit_id"], reason="")
        session.add(row)
    row.status, row.reason, row.decided_by, row.decided_at = status, reason, user.username, now
    session.flush()
    return row
