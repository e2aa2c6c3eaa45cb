"""Attachments (附件) of proposals, consultation records and replies.

The database keeps only a description of each file (`models.Attachment`); the
bytes live under `settings.upload_dir` at `<sha256[:2]>/<sha256>`, named by
their content, never by anything the uploader chose. An upload is streamed in
chunks into a temporary file in the upload directory, checked (size, type,
content) on the way, and moved into place with `os.replace` only once it has
passed every check and its row is flushed: a refused upload leaves no file and
no row. A batch is all or none: when a later file is refused the rows roll back, and the
files placed before it stay until `cppcc sweep-uploads` (engine/services/upload_sweep.py)
removes them. Identical files uploaded twice share one stored file.

Who may see an attachment is decided in engine/rules/permissions.py: whoever may see
the proposal and the step the file belongs to (a draft's file is not shown to
the proposer; the reply's files are, once it is sent); like proposals, an
attachment the user may not see is reported as not found. Who may upload is
decided there too (`may_upload`).
"""
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork
from engine.model import clock, limits
from engine.model.errors import Forbidden, InvalidForm, NotFound
from engine.model.settings import Settings
from engine.model.tables import Attachment, OpenTask, Proposal, User, describe_attachment
from engine.rules.permissions import may_do, may_upload, visible_proposals_clause

CHUNK = 64 * 1024
MAX_FILENAME = 255
MAX_FIELD = 80
# The type stored and served for each allowed extension: derived from the name,
# never taken from the client, so a client cannot label a file text/html.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "wps": "application/vnd.ms-works",
    "txt": "text/plain",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
}
# Types a download may be labelled with; anything else is served as application/octet-stream.
SAFE_CONTENT_TYPES = frozenset(CONTENT_TYPES[ext] for ext in (
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "jpg", "png"))
_NOT_IN_NAMES = re.compile(r'[<>:"|?*]')  # not allowed in Windows file names
_SPACES = re.compile(r"\s+")
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, bidi overrides, zero-width...


def save_attachment(session: Session, settings: Settings, user: User, proposal_id: int, filename: str | None, stream: BinaryIO,
                    content_type: str | None = None, task_id: str | None = None,
                    field: str | None = None) -> dict:
    """Store an uploaded file as an attachment of a proposal; return its description.

    `stream` is a binary file object (read with `read(n)`), or None when no file
    was sent. The user must be able to see the proposal (else NotFound, the
    same as for a proposal that does not exist). With `task_id`, the file
    belongs to an open task of that proposal which the user may do (else
    NotFound, as for a task that does not exist); without, the user must have a
    part in the proposal (`permissions.may_upload`, else Forbidden); `field`
    names the form field it is for.

    The file is refused with InvalidForm (field "file", a Chinese message) when
    it is missing or empty, larger than `settings.max_upload_bytes` (reading
    stops as soon as the limit is passed), its name has no allowed extension
    (`settings.allowed_upload_types`, case-insensitive), or it is not a .txt
    but starts like a web page or a script. The original name is kept for
    display (cleaned of paths and control characters, Chinese kept); the bytes
    are stored under `settings.upload_dir` at `<sha256[:2]>/<sha256>`.

    `content_type` (what the client claimed) is only used for an extension
    without a known type; the stored type follows the extension.

    The new row is flushed, not committed: `upload_attachments` (the command) commits. A refused upload
    leaves neither a row nor a file.
    """
    check_proposal_visible(session, user, proposal_id)
    if task_id is not None:
        _check_task(session, user, proposal_id, task_id)
    elif not may_upload(session, user, session.get_one(Proposal, proposal_id)):
        raise Forbidden("您不能为该提案上传附件：只有提案委员会、提案者（办结前）、承办单位（办理中）和重点提案的督办领导可以上传")
    if field is not None and (not isinstance(field, str) or len(field) > MAX_FIELD):
        raise InvalidForm("附件信息不正确", [{"field": "field", "message": f"表单字段名应为不超过 {MAX_FIELD} 个字符的文本"}])
    if stream is None:
        raise _file_error("请选择要上传的文件")
    name = _clean_filename(filename)
    if not name:
        raise _file_error("文件名不能为空")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    allowed = tuple(t.lower() for t in settings.allowed_upload_types)
    if extension not in allowed:
        shown = f".{extension}" if extension else "没有扩展名"
        raise _file_error(f"不支持的文件类型：{shown}（允许：{'、'.join(allowed)}）")
    stored_type = CONTENT_TYPES.get(extension) or _plain_type(content_type)

    upload_dir = Path(settings.upload_dir)
    upload_dir.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=upload_dir, prefix=".upload-", suffix=".part")
    temp, placed = Path(temp_name), False
    try:
        with os.fdopen(fd, "wb") as out:
            size, digest = _copy_checked(stream, out, settings.max_upload_bytes, extension)
            out.flush()
            os.fsync(out.fileno())
        storage_key = f"{digest[:2]}/{digest}"
        row = Attachment(proposal_id=proposal_id, task_id=task_id, field=field, filename=name,
                         content_type=stored_type, size=size, sha256=digest, storage_key=storage_key,
                         uploaded_by=user.username, uploaded_at=clock.now())
        session.add(row)
        session.flush()
        target = upload_dir / storage_key
        target.parent.mkdir(exist_ok=True)
        os.replace(temp, target)
        placed = True
    finally:
        if not placed:
            temp.unlink(missing_ok=True)
    return describe_attachment(row)


def check_proposal_visible(session: Session, user: User, proposal_id: int) -> None:
    """Raise NotFound unless the proposal exists and `user` may see it (the same answer for both)."""
    visible = session.scalar(select(Proposal.id).where(Proposal.id == proposal_id, visible_proposals_clause(user)))
    if visible is None:
        raise NotFound("找不到该提案")


def upload_attachments(uow: UnitOfWork, settings: Settings, user: User, proposal_id: int, files: Iterable[tuple[str | None, BinaryIO, str | None]],
                       task_id: str | None = None,
                       field: str | None = None, name_field: bool = False) -> list[dict]:
    """Save uploaded files [(filename, stream, content type)] to a proposal (or one of its
    steps' form `field`) and commit; all or none: a refused file refuses the lot. With
    `name_field` a refusal names the form field `field` instead of the upload's "file"."""
    saved = []
    for filename, stream, content_type in files:
        try:
            saved.append(save_attachment(uow.session, settings, user, proposal_id, filename, stream, content_type,
                                         task_id=task_id, field=field))
        except InvalidForm as err:
            if not name_field:
                raise
            raise InvalidForm(err.message, [{**e, "field": field} for e in err.errors]) from None
    uow.commit()
    return saved


def check_attachment_ids(session: Session, proposal_id: int, ids: Iterable[object] | None) -> list[str]:
    """Problems (Chinese, one per bad id) with attachment ids a form refers to; [] when all are fine.

    Each id must be an integer (or a string of digits) naming an attachment of
    this proposal. An id of another proposal gets the same message as one that
    does not exist, so a form cannot be used to probe other proposals.
    """
    problems: list[str] = []
    wanted: dict = {}
    for value in ids or []:
        number = _as_id(value)
        if number is None:
            problems.append(f"附件 ID 应为整数：{value!r}")
        else:
            wanted.setdefault(number, value)
    possible = sorted(n for n in wanted if n <= limits.MAX_ID)
    found = set()
    if possible:
        found = set(session.scalars(select(Attachment.id).where(Attachment.id.in_(possible),
                                                                Attachment.proposal_id == proposal_id)))
    problems += [f"找不到附件 {number}（不存在或不属于本提案）" for number in wanted if number not in found]
    return problems


def describe_size(size: int) -> str:
    """A byte count for people: '20 MB', '512 KB', '100 字节'."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} 字节"


def _check_task(session: Session, user: User, proposal_id: int, task_id: object) -> None:
    task = session.get(OpenTask, task_id) if isinstance(task_id, str) and len(task_id) <= 36 else None
    if task is None or task.proposal_id != proposal_id or not may_do(user, task):
        raise NotFound("找不到该任务：只能为本提案中您的待办任务上传附件")


def _copy_checked(stream: BinaryIO, out: BinaryIO, limit: int, extension: str) -> tuple[int, str]:
    """Copy `stream` to `out` in chunks, reading at most limit + 1 bytes; return (size, sha256)."""
    digest, size, sniffer = hashlib.sha256(), 0, _Sniffer(extension)
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _file_error(f"文件过大：最大 {describe_size(limit)}")
        sniffer.feed(chunk)
        digest.update(chunk)
        out.write(chunk)
    if size == 0:
        raise _file_error("文件为空")
    sniffer.feed(b"", end=True)
    return size, digest.hexdigest()


class _Sniffer:
    """Refuses a file that is not a .txt but clearly begins as a web page or a script.

    Skips byte-order marks and any run of leading blanks (NULs too, so UTF-16
    text is seen through), however long, then looks at the first two bytes.
    """

    BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
    BLANKS = b" \t\r\n\f\v\x00"

    def __init__(self, extension: str) -> None:
        self.extension = extension
        self.done = extension == "txt"
        self.start: bytes | None = b""  # the first bytes of the file, until the BOM is known
        self.head = b""  # the first non-blank bytes

    def feed(self, chunk: bytes, end: bool = False) -> None:
        """Look at the next chunk (or the end of the file)."""
        if self.done:
            return
        if self.start is not None:
            self.start += chunk
            if len(self.start) < 3 and not end:
                return
            chunk, self.start = self.start, None
            for bom in self.BOMS:
                if chunk.startswith(bom):
                    chunk = chunk[len(bom):]
                    break
        if not self.head:
            chunk = chunk.lstrip(self.BLANKS)
        self.head = (self.head + chunk)[:2]
        if len(self.head) >= 2 or (end and self.head):
            self.done = True
            if self.head.startswith(b"<") or self.head == b"#!":
                raise _file_error(f"文件内容与类型不符：它看起来是网页或脚本，不能作为 .{self.extension} 文件上传")


def _clean_filename(raw: object) -> str:
    """The name to show: last path part, no control or format characters, trimmed, ≤ 255 characters."""
    if not isinstance(raw, str):
        return ""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rpartition("/")[2]
    name = "".join(" " if ch.isspace() else ch for ch in name
                   if ch.isspace() or unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = _SPACES.sub(" ", _NOT_IN_NAMES.sub("_", name)).strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) < 16:
            name = stem[:MAX_FILENAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_FILENAME].rstrip(" .")
    return name


def _plain_type(content_type: str | None) -> str:
    value = (content_type or "").split(";", 1)[0].strip().lower()
    ok = re.fullmatch(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*", value) and len(value) <= 120
    return value if ok else "application/octet-stream"


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value) or None
    return None


def _file_error(message: str) -> InvalidForm:
    return InvalidForm(message, [{"field": "file", "message": message}])
