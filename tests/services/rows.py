"""Rows for the fake unit of work (tests/services/fake_uow.py): accounts, proposals and open
tasks as the engine stores them, every column a service reads given (no database fills in
defaults here)."""
from datetime import UTC, datetime

from engine.model.tables import Event, OpenTask, Proposal, ProposalUnit, User

AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
TASK_ID = "5f0c6a1e-0000-4000-8000-000000000001"


def user(username: str, roles: str, unit_id: str | None = None, active: bool = True, name: str | None = None) -> User:
    return User(username=username, name=name or username, password_hash="-", roles=roles, unit_id=unit_id,
                active=active)


def proposal(proposal_id: int = 1, status: str = "handling", proposer: str = "wy_chen") -> Proposal:
    return Proposal(id=proposal_id, title="关于加强停车管理的建议", body="正文", suggestions="", category="urban",
                    source="ordinary", year=2026, proposer=proposer, status=status, is_key=False,
                    submitted_at=AT, updated_at=AT)


def part(unit_id: str, role: str = "lead", proposal_id: int = 1, reply_class: str | None = None) -> ProposalUnit:
    return ProposalUnit(proposal_id=proposal_id, unit_id=unit_id, role=role, reply_class=reply_class)


def open_task(name: str = "consultation", role: str = "unit_clerk", unit_id: str | None = "fgw", task_id: str = TASK_ID,
              assignee: str | None = None, claimed_by: str | None = None, proposal_id: int = 1,
              form: str | None = None) -> OpenTask:
    return OpenTask(id=task_id, case_id=1, proposal_id=proposal_id, name=name, title="征询意见", form=form or name,
                    role=role, unit_id=unit_id, assignee=assignee, stage="handling", created_at=AT, due_at=None,
                    claimed_by=claimed_by, claimed_at=AT if claimed_by else None)


def completed(task_id: str = TASK_ID, by: str = "fgw_clerk", proposal_id: int = 1) -> Event:
    return Event(proposal_id=proposal_id, at=AT, kind="task_completed", actor=by, actor_name="发改委经办人",
                 task_id=task_id, task_name="consultation", title="征询意见")
