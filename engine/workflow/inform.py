"""Telling the proposer and co-signers what happened to their proposal.

A step of the diagrams that carries the property `inform=<kind>` (立案 with its
number, 不予立案 with the reason, 并案, 转为意见, 交办 to whom, 答复) sends, when it
is done, the region's message of that kind (`notifications.messages.<kind>` in
region.yaml: its label, title and body, with {number}, {title}, {reason},
{units}, {assisting}, {unit}, {reply_class} and {merged_into} filled in from the
proposal) to the proposer and every co-signer, on the channels the region sets
for that kind (`notifications.channels.<kind>`), through the outbox.
Imports: engine.model, engine.adapters.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.adapters import outbox as notify
from engine.model.base import NO_AUTOFLUSH
from engine.model.tables import Proposal, ProposalPerson, Unit, User
from engine.profile.region import Region
from engine.workflow.batch_cache import batch_shared

if TYPE_CHECKING:
    from engine.workflow.step import Step


class _Blank(dict):
    """Placeholders a message names but the case does not have come out as 无."""

    def __missing__(self, key: str) -> str:
        return "无"


def message_of(region: Region, kind: str) -> dict:
    """The region's message of `kind`: {label, title, body}; a plain one when the region has none."""
    messages = region.raw.get("notifications", {}).get("messages", {})
    return messages.get(kind) or {"label": "提案进展", "title": "您的提案有新进展：{title}", "body": ""}


def labels(region: Region) -> dict:
    """{kind: label} of the region's messages to proposers (for the message list)."""
    return {kind: m["label"] for kind, m in region.raw.get("notifications", {}).get("messages", {}).items()}


def people_of(session: Session, proposal_id: int) -> list[notify.Reachable]:
    """The proposer and the co-signers of a proposal (active accounts), proposer first: their
    names and addresses, read in one statement on the session's connection (no account objects
    are made for a message)."""
    rows = session.connection().execute(_PEOPLE, {"proposal_id": proposal_id}).all()
    return [cast(notify.Reachable, row) for row in sorted(rows, key=lambda r: (r.role != "proposer", r.username))
            if row.active]


_PEOPLE = (select(User.username, User.name, User.active, User.email, User.phone, ProposalPerson.role)
           .join(ProposalPerson, ProposalPerson.username == User.username)
           .where(ProposalPerson.proposal_id == bindparam("proposal_id")))  # built once


def inform(step: Step, task: SpiffTask, kind: str) -> int:
    """Send message `kind` about the step's proposal to its proposer and co-signers; returns rows queued."""
    session, region, proposal = step.session, step.rt.region, step.proposal
    data = task.data
    if "unit_names" not in step.memo:  # read once per step, however many of its tasks inform
        step.memo["unit_names"] = batch_shared(session, ("unit_names",),
                                               lambda: dict(session.execute(select(Unit.id, Unit.name), execution_options=NO_AUTOFLUSH).all()))
        step.memo["people"] = people_of(session, proposal.id)
    unit_names = step.memo["unit_names"]

    def names(units: Iterable[str] | None) -> str:
        return "、".join(unit_names.get(u, u) for u in (units or {})) or "无"

    merged_into = None
    target_id = data.get("merge_into_id")
    if target_id:
        target = session.get(Proposal, target_id)
        merged_into = f"{target.number or ''} {target.title}".strip() if target else None
    classes = region.labels("reply_classes")
    values = _Blank({k: v for k, v in {
        "title": proposal.title, "number": data.get("number") or proposal.number,
        "reason": data.get("review_reason"), "units": names(data.get("leads") or data.get("lead_unit_ids")),
        "assisting": names(data.get("assisting_units")), "unit": unit_names.get(data.get("lead_unit"), None),
        "reply_class": classes.get(data.get("reply_class"), data.get("reply_class")),
        "merged_into": merged_into or data.get("merge_into"),
    }.items() if v})
    message = message_of(region, kind)
    title = message["title"].format_map(values)
    body = (message.get("body") or "").format_map(values)
    return notify.enqueue(session, region, step.memo["people"], kind, title, body,
                          proposal_id=proposal.id, now=step.now)
