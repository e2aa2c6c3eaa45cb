"""Attachments as people see them: a proposal's files a user may see, a file to
download. Who may see what is decided in engine/rules/permissions.py; uploading is
the command in engine/services/attachments.py."""
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model.errors import NotFound
from engine.model.settings import Settings
from engine.model.tables import Attachment, Proposal, User, describe_attachment
from engine.queries.records import proposal_record
from engine.rules.permissions import visible_proposals_clause
from engine.workflow.runtime import Runtime


def open_attachment(session: Session, settings: Settings, rt: Runtime, user: User, attachment_id: int) -> tuple[dict, Path]:
    """The description of an attachment and the path of its stored file, for download.

    Raises NotFound when the attachment does not exist or the user may not see
    it (its proposal or its step; the same answer either way), and when its file
    is missing from the upload directory.
    """
    row = session.scalar(select(Attachment).join(Proposal, Proposal.id == Attachment.proposal_id)
                         .where(Attachment.id == attachment_id, visible_proposals_clause(user)))
    if row is None or row.id not in proposal_record(session, rt, user, row.proposal_id).attachment_ids():
        raise NotFound("找不到该附件")
    root = Path(settings.upload_dir).resolve()
    path = (root / row.storage_key).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("附件文件已丢失，请联系管理员")
    return describe_attachment(row), path


def list_attachments(session: Session, proposal_id: int, visible: set[int] | None = None) -> list[dict[str, Any]]:
    """The attachments of a proposal, oldest first; with `visible`, only those ids. The caller
    has checked the user may see the proposal (and, with `visible`, which of its files)."""
    rows = session.scalars(select(Attachment).where(Attachment.proposal_id == proposal_id).order_by(Attachment.id))
    return [describe_attachment(row) for row in rows if visible is None or row.id in visible]


def visible_attachments(session: Session, rt: Runtime, user: User, proposal_id: int) -> list[dict[str, Any]]:
    """The attachments of a proposal that `user` may see, oldest first; NotFound when they
    may not see the proposal."""
    return list_attachments(session, proposal_id, proposal_record(session, rt, user, proposal_id).attachment_ids())
