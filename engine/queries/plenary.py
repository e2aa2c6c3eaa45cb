"""The batch review and assignment page's rows (批量审查交办): the proposals waiting
for review or assignment that the user may do, with their likely duplicates
(for 并案) and suggested units. One query for the page's tasks, one each for
people, flags and suggestions; no workflow is loaded.
"""
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.model import limits
from engine.model.errors import EngineError
from engine.model.tables import Case, OpenTask, Proposal, ProposalPerson, User
from engine.queries import similar, suggest
from engine.rules.permissions import my_tasks_clause
from engine.workflow.runtime import Runtime

MAX_PER_PAGE = 200
REVIEW_FORM, ASSIGN_FORM = "review", "assign"  # the forms of the two steps (as engine/services/plenary.py)
STEPS = {"review": REVIEW_FORM, "assign": ASSIGN_FORM}


def list_page(session: Session, rt: Runtime, user: User, category: str | None = None, step: str | None = None,
              page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """One page of review and assignment tasks, oldest submission first:
    {"items", "total", "page", "per_page", "counts": {"review": n, "assign": n}}."""
    errors: list[dict[str, str]] = []
    if category and category not in rt.region.codes("categories"):
        errors.append({"field": "category", "message": "没有这个提案类别"})
    if step and step not in STEPS:
        errors.append({"field": "step", "message": "环节应为 review（审查立案）或 assign（交办）"})
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        errors.append({"field": "per_page", "message": f"每页条数应为 1–{MAX_PER_PAGE} 之间的整数"})
    if not isinstance(page, int) or not 1 <= page <= limits.MAX_PAGE:
        errors.append({"field": "page", "message": f"页码应为 1–{limits.MAX_PAGE} 之间的整数"})
    if errors:
        raise EngineError("查询条件不正确：" + "；".join(e["message"] for e in errors), errors=errors)
    where = [my_tasks_clause(user), OpenTask.form.in_(sorted(STEPS.values()))]
    if category:
        where.append(Proposal.category == category)
    base = select(OpenTask.form, func.count()).join(Proposal, Proposal.id == OpenTask.proposal_id).where(*where)
    counts = {step_name: 0 for step_name in STEPS}
    forms = {form: name for name, form in STEPS.items()}
    for form, n in session.execute(base.group_by(OpenTask.form)):
        counts[forms[form]] = n
    if step:
        where.append(OpenTask.form == STEPS[step])
    rows = session.execute(
        select(OpenTask, Proposal, Case.version).join(Proposal, Proposal.id == OpenTask.proposal_id)
        .join(Case, Case.id == OpenTask.case_id).where(*where)
        .order_by(Proposal.submitted_at, Proposal.id, OpenTask.id)
        .offset((page - 1) * per_page).limit(per_page)).all()
    proposals = [p for _, p, _ in rows]
    ids = [p.id for p in proposals]
    people = _people(session, ids)
    dupes = similar.flags(session, rt, ids)
    units = suggest.suggest_units(session, rt, proposals)  # a review row may be filed and assigned at once
    categories = rt.region.labels("categories")
    items: list[dict[str, Any]] = []
    for task, proposal, version in rows:
        items.append({
            "task_id": task.id, "step": forms[task.form], "step_title": task.title, "version": version,
            "claimed_by": task.claimed_by,
            "proposal_id": proposal.id, "number": proposal.number, "title": proposal.title,
            "category": proposal.category, "category_label": categories.get(proposal.category or ""),
            "source": proposal.source, "submitted_at": proposal.submitted_at.isoformat(),
            "proposer_name": people[proposal.id]["proposer"], "cosigner_names": people[proposal.id]["cosigners"],
            "is_key": proposal.is_key, "duplicates": dupes.get(proposal.id, []),
            "suggested": units.get(proposal.id, suggest.Suggestion(lead=[], assisting=[], ranked=[])),
        })
    total = counts[step] if step else sum(counts.values())
    return {"items": items, "total": total, "page": page, "per_page": per_page, "counts": counts}


def _people(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {pid: {"proposer": None, "cosigners": []} for pid in ids}
    if not ids:
        return out
    rows = session.execute(select(ProposalPerson.proposal_id, ProposalPerson.role, User.name)
                           .join(User, User.username == ProposalPerson.username)
                           .where(ProposalPerson.proposal_id.in_(ids)).order_by(ProposalPerson.username))
    for pid, role, name in rows:
        if role == "proposer":
            out[pid]["proposer"] = name
        else:
            out[pid]["cosigners"].append(name)
    return out
