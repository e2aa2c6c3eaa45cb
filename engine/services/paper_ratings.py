"""Paper ratings (代录): committee staff enter a member's rating from the signed paper form.

A member who does not go online rates on the printed 征询意见表 (engine/queries/documents.py)
and signs it. Committee staff (never a handling unit: engine/rules/permissions.py) key the
form in on the member's behalf, with the signed scan attached as required evidence. The
member's own open rating task is completed through the case's usual step (the form's
validation, the diagram, the event log), so it counts exactly as an online rating; the
event names the staff member as who did it and the member for whom, and the rating rows
keep `entered_by` and the scan (`evidence_id`), so the dossier, the statistics and the
exports mark it 代录 with who entered it.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork
from engine.model.errors import Conflict, EngineError, Forbidden, InvalidForm, NotFound
from engine.model.tables import Attachment, OpenTask, ProposalUnit, Rating, Unit, User
from engine.rules import permissions
from engine.services import cases
from engine.workflow.runtime import Runtime

SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}  # a signed form, scanned or photographed


def open_raters(session: Session, proposal_id: int) -> list[dict]:
    """The members whose rating of the proposal's reply is awaited: [{username, name, task_id}]."""
    rows = session.execute(select(OpenTask, User.name).join(User, User.username == OpenTask.assignee)
                           .where(OpenTask.proposal_id == proposal_id, OpenTask.form.in_(permissions.RATING_FORMS))
                           .order_by(OpenTask.created_at, OpenTask.id))
    return [{"username": t.assignee, "name": name, "task_id": t.id} for t, name in rows]


def form_choices(session: Session, rt: Runtime, proposal_id: int) -> dict:
    """What the entry form offers: the members awaited, the assisting units, the scale."""
    assists = session.execute(select(Unit.id, Unit.name).join(ProposalUnit, ProposalUnit.unit_id == Unit.id)
                              .where(ProposalUnit.proposal_id == proposal_id, ProposalUnit.role == "assist")
                              .order_by(Unit.id)).all()
    return {"raters": open_raters(session, proposal_id), "assists": [(i, n) for i, n in assists],
            "scale": rt.region.labels("satisfaction_scale")}


def check_may_enter(session: Session, user: User, proposal_id: int) -> None:
    """NotFound when the user may not see the proposal; Forbidden unless committee staff."""
    if not permissions.may_see_proposal(session, user, proposal_id):
        raise NotFound("找不到该提案")
    if not permissions.may_enter_paper_rating(user, permissions.viewer(session, user, proposal_id)):
        raise Forbidden("只有提案委员会工作人员可以代录委员的纸质评价；承办单位不能评价本单位办理的提案")


def record(uow: UnitOfWork, rt: Runtime, user: User, proposal_id: int, body: dict) -> dict:
    """Enter `body["rater"]`'s rating (`body["rating"]`, forms/rate.json) from the paper form,
    with `body["scan_attachment_id"]` the signed scan (an attachment of this proposal: PDF,
    JPG or PNG). Commits; returns {"proposal_id", "version", "status", "rater", "entered_by"}."""
    session = uow.session
    check_may_enter(session, user, proposal_id)
    if not isinstance(body, dict):
        raise EngineError("请求体应为 JSON 对象")
    unknown = sorted(set(body) - {"rater", "scan_attachment_id", "rating"})
    if unknown:
        raise InvalidForm("代录信息有误", [{"field": k, "message": "不认识的字段"} for k in unknown])
    rater, scan_id, rating = body.get("rater"), body.get("scan_attachment_id"), body.get("rating")
    errors: list[dict] = []
    task = None
    if not isinstance(rater, str) or not rater:
        errors.append({"field": "rater", "message": "评价委员：请选择由哪位委员评价"})
    else:
        task = session.scalar(select(OpenTask).where(
            OpenTask.proposal_id == proposal_id, OpenTask.form.in_(permissions.RATING_FORMS),
            OpenTask.assignee == rater))
        if task is None:
            errors.append({"field": "rater", "message": "评价委员：该委员当前没有待评价的答复（可能已评价）"})
    scan = session.get(Attachment, scan_id) if isinstance(scan_id, int) and not isinstance(scan_id, bool) \
        and 0 < scan_id < 2 ** 31 else None
    if scan is None or scan.proposal_id != proposal_id:
        errors.append({"field": "scan_attachment_id",
                       "message": "签字扫描件：请上传委员签字的纸质征询意见表扫描件（PDF 或图片），代录必须附扫描件"})
    elif scan.content_type not in SCAN_TYPES:
        errors.append({"field": "scan_attachment_id", "message": "签字扫描件：应为 PDF、JPG 或 PNG 文件"})
    if not isinstance(rating, dict):
        errors.append({"field": "rating", "message": "评价内容：请填写纸质征询意见表上的评价"})
    if errors or task is None or scan is None or not isinstance(rating, dict):
        raise InvalidForm(f"代录信息有 {len(errors)} 处需要修改", errors)
    member = session.scalar(select(User).where(User.username == rater))
    if member is None:
        raise Conflict("该委员账号不存在")
    result = cases.complete_open_task(uow, rt, user, task, rating, on_behalf=(member, scan.id))
    return {**result, "rater": rater, "entered_by": user.username}


def entered_mark(rating: Rating, names: dict) -> str | None:
    """How a rating is marked where it is listed or exported: 代录（X录入） or None (given online)."""
    if not rating.entered_by:
        return None
    return f"代录（{names.get(rating.entered_by, rating.entered_by)}录入）"
