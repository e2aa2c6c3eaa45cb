"""Approved deadline extensions (延期答复): the deadline a unit was granted instead of
the region's rule. Read by the step (the diagrams' `due_date`), by escalation (who
is late) and by the extension process itself."""
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.model.tables import DeadlineExtension


def extended_due(session: Session, proposal_id: int, kind: str, unit: str | None = None) -> datetime | None:
    """The approved extended deadline of `kind` for a unit (any unit: the latest), or None."""
    return extended_due_of(approved_extensions(session, proposal_id), kind, unit)


def approved_extensions(session: Session, proposal_id: int) -> list[tuple[str, str | None, datetime]]:
    """The approved extensions of a proposal: [(kind, unit id, extended deadline)]."""
    # on the session's connection: a decision is flushed when taken (workflow/extension.py)
    return [tuple(row) for row in session.connection().execute(_APPROVED, {"proposal_id": proposal_id})]  # type: ignore[misc]


_APPROVED = select(DeadlineExtension.kind, DeadlineExtension.unit_id, DeadlineExtension.requested_due).where(
    DeadlineExtension.proposal_id == bindparam("proposal_id"), DeadlineExtension.status == "approved")


def extended_due_of(approved: list[tuple[str, str | None, datetime]], kind: str, unit: str | None = None) -> datetime | None:
    """`extended_due` from the rows `approved_extensions` read."""
    return max((due for k, u, due in approved if k == kind and (unit is None or u == unit) and due is not None),
               default=None)
