"""What each printed document shows (the values its template fills in), as its viewer may
see it: the assignment notice (交办通知单) of a unit, the reply letter (答复函) of the sent
reply, the rating form (征询意见表) pre-filled for a member, and the dossier (一案一册).

Who may print what is decided in engine/rules/permissions.py (`may_print`). The reply letter
is made only from the reply as sent (the engine's 正式答复 step, after every approval):
a draft, a refused draft or a reply still waiting for approval is never printable as a
letter. The PDF itself is made by engine/adapters/pdf.py from the region's templates.
"""
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters import pdf
from engine.adapters.db import UnitOfWork, stored
from engine.model import clock
from engine.model.errors import Conflict, Forbidden, InvalidForm, NotFound
from engine.model.tables import Attachment, Event, Proposal, Unit, User
from engine.queries import records
from engine.rules import permissions
from engine.workflow import extension as extension_tasks
from engine.workflow.runtime import Runtime

TEMPLATES = {"assignment": "assignment_notice.html", "reply": "reply_letter.html",
             "rating_form": "rating_form.html", "dossier": "dossier.html"}
# how each document is named in addresses (/api/proposals/<id>/documents/<slug>.pdf)
SLUGS = {"dossier": "dossier", "assignment": "assignment-notice", "reply": "reply-letter", "rating_form": "rating-form"}
TITLES = {"assignment": "交办通知单", "reply": "答复函", "rating_form": "征询意见表", "dossier": "提案档案"}
SOURCE_LABELS = {"plenary": "大会提案", "ordinary": "平时提案"}
REPLY_STEP, SIGN_STEP, DRAFT_STEP, ASSIGN_STEP = "send_reply", "head_approve", "reply_draft", "assign"


Values = dict[str, Any]  # what a document's template is filled in with


def document(uow: UnitOfWork, rt: Runtime, user: User, proposal_id: int, kind: str, unit: str | None = None,
             rater: str | None = None) -> tuple[str, Values, str]:
    """(template name, values, download file name) of document `kind` of a proposal for `user`.
    NotFound when they may not see the proposal; Forbidden when they may not print it;
    Conflict when it does not exist yet (not assigned, reply not sent)."""
    session = uow.session
    record = records.proposal_record(session, rt, user, proposal_id)
    if kind not in TEMPLATES:
        raise NotFound("没有这种文书")
    if not permissions.may_print(user, record.view, kind, unit_id=unit, rater=rater or _proposer(session, proposal_id)):
        raise Forbidden(f"您不能打印该提案的{TITLES[kind]}")
    detail = records.proposal_detail(session, rt, user, proposal_id)
    base = _base(session, rt, detail)
    makers: dict[str, Callable[[], Values]] = {"assignment": lambda: _assignment(uow, rt, record, detail, unit),
              "reply": lambda: _reply(session, rt, record, detail, unit),
              "rating_form": lambda: _rating_form(session, rt, record, detail, rater),
              "dossier": lambda: _dossier(session, rt, user, detail)}
    values = makers[kind]()
    number = detail["number"] or f"未编号{proposal_id}"
    return TEMPLATES[kind], {**base, **values}, f"{TITLES[kind]}_{number}.pdf"


def document_pdf(uow: UnitOfWork, rt: Runtime, user: User, proposal_id: int, kind: str, unit: str | None = None,
                 rater: str | None = None) -> tuple[bytes, str]:
    """(the PDF, its download file name) of document `kind` for `user` (see `document`)."""
    template, values, filename = document(uow, rt, user, proposal_id, kind, unit=unit, rater=rater)
    return pdf.render_pdf(rt.region, template, values), filename


def printable(session: Session, user: User, proposal_id: int, detail: dict[str, Any]) -> list[dict[str, str]]:
    """The documents the proposal's page offers `user` to print: [{kind, slug, title, unit?, rater?}]."""
    view = permissions.viewer(session, user, proposal_id)
    out: list[dict[str, str]] = [{"kind": "dossier", "title": "打印档案（PDF）"}]
    for u in detail["units"]:
        if u["role"] in ("lead", "assist") and permissions.may_print(user, view, "assignment", unit_id=u["unit_id"]):
            out.append({"kind": "assignment", "unit": u["unit_id"], "title": f"交办通知单（{u['unit_name']}）"})
    for e in detail["timeline"]:
        if e["kind"] == "milestone" and e["task_name"] == REPLY_STEP:
            out.append({"kind": "reply", "unit": e["unit_id"], "title": f"答复函（{e['unit_name']}）"})
    members = {p["username"]: p["name"] for p in detail["people"]}
    for t in detail["open_tasks"]:
        if t["name"] and t["assignee"] in members and _is_rating(t) \
                and permissions.may_print(user, view, "rating_form", rater=t["assignee"]):
            out.append({"kind": "rating_form", "rater": t["assignee"],
                        "title": f"征询意见表（{members[t['assignee']]}）"})
    return [{**d, "slug": SLUGS[d["kind"]]} for d in out]


def _is_rating(task: dict[str, Any]) -> bool:
    return task["name"] == "rate_reply"


def _proposer(session: Session, proposal_id: int) -> str | None:
    return session.scalar(select(Proposal.proposer).where(Proposal.id == proposal_id))


def _base(session: Session, rt: Runtime, detail: dict[str, Any]) -> Values:
    today = clock.now().astimezone(clock.CHINA).date()
    cosigners = [p["name"] or p["username"] for p in detail["people"] if p["role"] == "cosigner"]
    return {"region_name": rt.region.name, "today": _cn_date(today), "year": today.year,
            "proposal": {"number": detail["number"] or "（未编号）", "title": detail["title"],
                         "category": detail["category_label"] or "", "proposer": detail["proposer_name"] or "",
                         "cosigners": "、".join(cosigners) or "无", "submitted": _cn_date(detail["submitted_at"]),
                         "is_key": detail["is_key"], "status": detail["status_label"],
                         "source": SOURCE_LABELS.get(str(detail.get("source")), "")}}


def _assignment(uow: UnitOfWork, rt: Runtime, record: records.ProposalRecord, detail: dict[str, Any],
                unit_id: str | None) -> Values:
    parts = {u["unit_id"]: u for u in detail["units"] if u["role"] in ("lead", "assist")}
    if not parts:
        raise Conflict("该提案尚未交办，没有交办通知单")
    if unit_id not in parts:
        raise InvalidForm("请选择承办单位", [{"field": "unit", "message": "承办单位：应为该提案的主办或协办单位之一"}])
    assign = _last(record.all_events, ASSIGN_STEP)
    proposal = stored(uow.session, Proposal, detail["id"])
    leads = [u for u in parts.values() if u["role"] == "lead"]
    try:
        due, _ = extension_tasks.deadlines_of(uow, rt, proposal, leads[0]["unit_id"] if leads else unit_id)
        due_text = _cn_date(due)
    except Conflict:
        due_text = ""
    return {"unit": {"name": parts[unit_id]["unit_name"], "role": rt.region.catalogue.label("unit_parts", parts[unit_id]["role"])},
            "leads": "、".join(u["unit_name"] for u in leads), "assists": "、".join(
                u["unit_name"] for u in parts.values() if u["role"] == "assist") or "无",
            "assigned_on": _cn_date(assign.at) if assign else "", "reply_due": due_text,
            "note": (assign.data or {}).get("assign_note", "") if assign else "",
            "body": detail["body"], "suggestions": detail["suggestions"]}


def _reply(session: Session, rt: Runtime, record: records.ProposalRecord, detail: dict[str, Any],
           unit_id: str | None) -> Values:
    sent = [e for e in record.events if e.kind == "milestone" and e.task_name == REPLY_STEP
            and (unit_id is None or e.unit_id == unit_id)]
    if not sent:
        raise Conflict("答复尚未经审批正式发出，不能打印答复函（草稿不能作为正式答复打印）")
    reply = sent[-1]
    data = reply.data or {}
    before = [e for e in record.all_events if e.id < reply.id and e.unit_id == reply.unit_id]
    signer = next((e for e in reversed(before) if e.task_name == SIGN_STEP and e.kind == "task_completed"
                   and (e.data or {}).get("approved")), None)
    drafter = next((e for e in reversed(before) if e.task_name == DRAFT_STEP and e.kind == "task_completed"), None)
    contact = session.scalar(select(User).where(User.username == drafter.actor)) if drafter else None
    unit = session.get(Unit, reply.unit_id)
    files = dict(session.execute(select(Attachment.id, Attachment.filename).where(
        Attachment.proposal_id == detail["id"])).all())
    return {"unit": {"name": unit.name if unit else ""},
            "reply": {"class": rt.region.labels("reply_classes").get(data.get("reply_class") or "", ""),
                      "text": data.get("reply_text", ""), "adopted": data.get("adopted_points", ""),
                      "not_adopted": data.get("not_adopted_reasons", ""), "date": _cn_date(reply.at),
                      "attachments": [files[i] for i in data.get("attachments") or [] if i in files]},
            "signer": signer.actor_name if signer else "", "contact": contact.name if contact else "",
            "contact_phone": (contact.phone or "") if contact else ""}


def _rating_form(session: Session, rt: Runtime, record: records.ProposalRecord, detail: dict[str, Any],
                 rater: str | None) -> Values:
    members = {p["username"]: p for p in detail["people"]}
    rater = rater or detail["proposer"]
    if rater not in members:
        raise InvalidForm("请选择评价委员", [{"field": "rater", "message": "评价委员：应为该提案的提案者或联名人"}])
    sent = [e for e in record.events if e.kind == "milestone" and e.task_name == REPLY_STEP]
    if not sent:
        raise Conflict("答复尚未正式发出，还不能征询意见")
    reply = sent[-1]
    units = [u for u in detail["units"] if u["role"] == "assist"]
    return {"rater": members[rater]["name"] or rater,
            "reply": {"unit": _unit_name(session, reply.unit_id), "date": _cn_date(reply.at),
                      "class": rt.region.labels("reply_classes").get((reply.data or {}).get("reply_class") or "", "")},
            "scale": list(rt.region.labels("satisfaction_scale").values()),
            "assists": [u["unit_name"] for u in units]}


def _dossier(session: Session, rt: Runtime, user: User, detail: dict[str, Any]) -> Values:
    visible = records.proposal_record(session, rt, user, detail["id"]).attachment_ids()
    files = list(session.scalars(select(Attachment).where(Attachment.proposal_id == detail["id"],
                                                          Attachment.id.in_(visible)).order_by(Attachment.id)))
    names = dict(session.execute(select(User.username, User.name).where(
        User.username.in_({f.uploaded_by for f in files}))).all()) if files else {}
    labels = rt.region.satisfaction_labels()
    steps = [{"title": e["title"], "at": _cn_time(e["at"]), "who": e["actor_name"] or "",
              "unit": e["unit_name"] or "", "rows": _rows(rt, e["data"], e["task_name"], e["kind"])}
             for e in detail["timeline"] if e["kind"] != "timer"]
    return {"body": detail["body"], "suggestions": detail["suggestions"],
            "units": [{"name": u["unit_name"], "role": rt.region.catalogue.label("unit_parts", u["role"]),
                       "reply_class": rt.region.labels("reply_classes").get(u["reply_class"], ""),
                       "satisfaction": labels.get(u["satisfaction"], "")} for u in detail["units"]],
            "ratings": [{"unit": r["unit_name"] or "", "rater": r["rater_name"] or "",
                         "satisfaction": labels.get(r["satisfaction"], r["satisfaction"]), "round": r["round"],
                         "at": _cn_time(r["rated_at"]),
                         "entered": f"代录（{r['entered_by_name'] or r['entered_by']}录入，附签字扫描件）"
                         if r["entered_by"] else ""} for r in detail["ratings"]],
            "steps": steps,
            "files": [{"name": f.filename, "size": f"{f.size / 1024:.1f} KB",
                       "by": names.get(f.uploaded_by, ""), "at": _cn_time(f.uploaded_at)} for f in files]}


def _rows(rt: Runtime, data: object, task_name: str | None, kind: str) -> list[tuple[str, str]]:
    """(field title, value as text) of a step's form data, for the fields its form knows."""
    if not isinstance(data, dict) or kind in ("status_changed", "migrated"):
        return []
    meta = rt.current.user_tasks.get(task_name)
    props = rt.forms.resolved(meta.form).get("properties", {}) if meta else {}
    if not props:
        props = {k: p for name in rt.forms.schemas for k, p in rt.forms.resolved(name).get("properties", {}).items()}
    out = []
    for key, value in data.items():
        prop = props.get(key)
        if not prop or value in (None, "", [], {}) or (kind == "submitted" and key in ("title", "body", "suggestions")):
            continue
        labels = prop.get("x-labels") or prop.get("items", {}).get("x-labels") or {}
        if isinstance(value, bool):
            text = "是" if value else "否"
        elif isinstance(value, list):
            text = "、".join(str(labels.get(v, v)) for v in value) if prop.get("x-widget") != "attachments" \
                else f"{len(value)} 个附件"
        elif isinstance(value, dict):
            inner = prop.get("additionalProperties", {}).get("x-labels", {}) if isinstance(
                prop.get("additionalProperties"), dict) else {}
            units = {u["id"]: u["name"] for u in rt.region.units}
            text = "；".join(f"{units.get(k, k)}：{inner.get(v, v)}" for k, v in value.items())
        else:
            text = str(labels.get(value, value))
        out.append((prop.get("title", key), text))
    return out


def _last(events: list[Event], task_name: str) -> Event | None:
    return next((e for e in reversed(events) if e.task_name == task_name and e.kind == "task_completed"), None)


def _unit_name(session: Session, unit_id: str | None) -> str:
    unit = session.get(Unit, unit_id) if unit_id else None
    return unit.name if unit else ""


def _cn_date(value: date | str | None) -> str:
    """A date (or time, ISO text) as 2026年12月2日, China time."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(clock.CHINA).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _cn_time(value: datetime | str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
