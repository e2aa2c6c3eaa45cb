"""Supervision (督办): random samples of assigned proposals for joint supervision (the
report of units that missed deadlines, 超期情况报告, is read side: engine/queries/overdue_report.py).

A sample is reproducible: the population (ids of the proposals assigned when the
sample was drawn, sorted) and the seed are stored with it, and
`random.Random(seed).sample(population, k)` always gives the same ids, so anyone
can check a draw afterwards (`verify_sample`).

Only the committee, the government office and the supervision office may draw
samples or read the reports (engine/rules/permissions.py); everyone else gets Forbidden.
`draw_sample` takes a unit of work and commits; the others read. Nothing here imports Flask.
"""
import math
import random
import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.errors import EngineError, NotFound
from engine.model.tables import Proposal, ProposalUnit, SupervisionSample, Unit, User
from engine.profile.region import Region
from engine.rules.permissions import SUPERVISION_ROLES, check_supervisor as require_access, may_supervise  # noqa: F401

CHINA = clock.CHINA
SEED_MAX_LENGTH = 80  # SupervisionSample.seed
LABEL_MAX_LENGTH = 200  # SupervisionSample.label


# Samples

def assigned_population(session: Session) -> list[int]:
    """Ids of the proposals that have been assigned (a lead unit recorded), ascending."""
    ids = session.scalars(select(ProposalUnit.proposal_id).where(ProposalUnit.role == "lead").distinct())
    return sorted(set(ids))


def sample_size(population_size: int, rate_percent: float) -> int:
    """How many to draw: ceil(size × rate / 100) computed exactly (decimal), at least 1 of a
    non-empty population and at most all of it. 210 at 8 % gives 17."""
    if population_size <= 0:
        return 0
    k = math.ceil(Decimal(population_size) * Decimal(str(rate_percent)) / 100)
    return min(max(k, 1), population_size)


def select_ids(population: list[int], rate_percent: float, seed: str) -> list[int]:
    """The ids drawn from `population` (as stored, sorted) at `rate_percent` with `seed`,
    ascending. Deterministic: Python seeds a `random.Random` from a string with its
    SHA-512, independent of the process and of PYTHONHASHSEED."""
    k = sample_size(len(population), rate_percent)
    return sorted(random.Random(seed).sample(list(population), k))


def draw_sample(uow: UnitOfWork, region: Region, user: User, *, rate_percent: float | str | None = None,
                seed: str | None = None, label: str | None = None, now: datetime) -> dict:
    """Draw and store a random sample of the assigned proposals and commit; return it as
    `sample_detail` does.

    `rate_percent` defaults to the region's `supervision.sample_rate_percent`
    (0 < rate ≤ 100); `seed` (at most 80 characters) defaults to 16 random hex
    digits; `label` defaults to "<date> 随机抽查". `now` is the draw time (aware).
    Raises Forbidden, or EngineError with errors [{field, message}] for bad
    input or when no proposal has been assigned yet.
    """
    session = uow.session
    require_access(user)
    errors: list[dict] = []
    rate = _rate(region.sample_rate_percent if rate_percent is None or rate_percent == "" else rate_percent,
                 errors)
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        seed = secrets.token_hex(8)
    elif not isinstance(seed, str):
        errors.append({"field": "seed", "message": "随机种子应为文字"})
    elif len(seed.strip()) > SEED_MAX_LENGTH:
        errors.append({"field": "seed", "message": f"随机种子不能超过 {SEED_MAX_LENGTH} 个字符"})
    else:
        seed = seed.strip()
    drawn_at = now
    if label is None or (isinstance(label, str) and not label.strip()):
        label = f"{drawn_at.astimezone(CHINA):%Y-%m-%d} 随机抽查"
    elif not isinstance(label, str):
        errors.append({"field": "label", "message": "名称应为文字"})
    elif len(label.strip()) > LABEL_MAX_LENGTH:
        errors.append({"field": "label", "message": f"名称不能超过 {LABEL_MAX_LENGTH} 个字符"})
    else:
        label = label.strip()
    if errors or rate is None:
        raise EngineError("抽查参数不正确", errors=errors)
    population = assigned_population(session)
    if not population:
        raise EngineError("目前没有已交办的提案，无法抽查",
                          errors=[{"field": "population", "message": "没有已交办（已确定主办单位）的提案"}])
    row = SupervisionSample(drawn_at=drawn_at, drawn_by=user.username, label=label, rate_percent=rate,
                            seed=seed, population=population, selected=select_ids(population, rate, seed))
    session.add(row)
    session.flush()
    result = _sample_dict(session, row, with_selection=True)
    uow.commit()
    return result


def verify_sample(session: Session, sample_id: int) -> bool:
    """Re-draw a stored sample from its stored population, rate and seed; True when the
    selection is the one stored. Raises NotFound for an unknown sample."""
    row = session.get(SupervisionSample, sample_id)
    if row is None:
        raise NotFound("找不到该抽查记录")
    return _verify(row)


def list_samples(session: Session, user: User) -> dict:
    """Every sample drawn, newest first, without the selected proposals: {"items": [...]}."""
    require_access(user)
    rows = session.scalars(select(SupervisionSample).order_by(SupervisionSample.drawn_at.desc(),
                                                              SupervisionSample.id.desc()))
    return {"items": [_sample_dict(session, r) for r in rows]}


def sample_detail(session: Session, user: User, sample_id: int) -> dict:
    """One sample with its selected proposals (number, title, status, lead units) and
    `verified`, the result of re-drawing it from its seed."""
    require_access(user)
    row = session.get(SupervisionSample, sample_id)
    if row is None:
        raise NotFound("找不到该抽查记录")
    return _sample_dict(session, row, with_selection=True)


def _sample_dict(session: Session, row: SupervisionSample, with_selection: bool = False) -> dict:
    drawer = session.scalar(select(User.name).where(User.username == row.drawn_by))
    result = {"id": row.id, "label": row.label, "drawn_at": _iso(row.drawn_at), "drawn_by": row.drawn_by,
              "drawn_by_name": drawer, "rate_percent": row.rate_percent, "seed": row.seed,
              "population_size": len(row.population), "selected_count": len(row.selected)}
    if with_selection:
        result["selected"] = _proposal_rows(session, list(row.selected))
        result["verified"] = _verify(row)
    return result


def _verify(row: SupervisionSample) -> bool:
    try:
        return select_ids(list(row.population), row.rate_percent, row.seed) == sorted(row.selected)
    except (TypeError, ValueError):  # a tampered population or rate
        return False


def _proposal_rows(session: Session, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    proposals = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}
    leads: dict[int, list[dict]] = {}
    for proposal_id, unit_id, name in session.execute(
            select(ProposalUnit.proposal_id, ProposalUnit.unit_id, Unit.name)
            .outerjoin(Unit, Unit.id == ProposalUnit.unit_id)
            .where(ProposalUnit.proposal_id.in_(ids), ProposalUnit.role == "lead")
            .order_by(ProposalUnit.unit_id)):
        leads.setdefault(proposal_id, []).append({"unit_id": unit_id, "unit_name": name or unit_id})
    items = []
    for pid in sorted(ids):
        p = proposals.get(pid)
        units = leads.get(pid, [])
        items.append({"id": pid, "number": p.number if p else None, "title": p.title if p else "（提案已不存在）",
                      "status": p.status if p else None, "is_key": bool(p.is_key) if p else False,
                      "lead_units": units, "lead_unit_name": "、".join(u["unit_name"] for u in units) or None})
    return items


def _rate(value: object, errors: list) -> float | None:
    message = {"field": "rate_percent", "message": "抽查比例应为大于 0、不超过 100 的数（百分比）"}
    if isinstance(value, bool):
        errors.append(message)
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        errors.append(message)
        return None
    if not number.is_finite() or number <= 0 or number > 100:
        errors.append(message)
        return None
    return float(number)


_iso = clock.utc_iso
