"""Sweeping the upload directory of files no attachment row refers to (`cppcc sweep-uploads`).

An upload's file is moved into place before its transaction commits (engine/services/
attachments.py): the other order could leave a committed attachment with no file if the
process died in between. So a transaction that does not commit leaves its placed files
behind: a batch of files refused because one of them is wrong, a lost race, a server killed
mid-request, a temporary file of an upload cut off. Nothing refers to them and nobody sees
them; they only take space. This sweep removes them, as a content store's garbage collection
does:

- a stored file (`<sha256[:2]>/<sha256>`) that no attachment row names and that is older than
  the grace period (a day by default: an upload in flight places its file moments before it
  commits), and a temporary file (`.upload-*.part`) older than the grace period;
- a candidate is first renamed aside, then the database is asked again (each query sees what
  is committed by then: both databases run at READ COMMITTED) and the file's age read again:
  an upload of the same content that placed it meanwhile (a fresh file) or has committed its
  row since is found there, and the file is put back. Files are named by their content, so
  putting one back over a copy placed meanwhile changes nothing.

File ages are the operating system's (the files' modification times against
`clock.os_seconds`), never a moved clock's (the demo's, a test's): under one every new file
could look old. The database is read only (no transaction to commit); nothing here deletes a row.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.settings import Settings
from engine.model.tables import Attachment

DEFAULT_GRACE = timedelta(days=1)
ASIDE = ".sweep"  # the suffix of a candidate renamed aside while it is checked again
_STORED = re.compile(r"[0-9a-f]{64}")
_TEMP = re.compile(r"\.upload-.*\.part")
_CHUNK = 500  # digests asked about in one query


@dataclass
class SweepResult:
    """What a sweep found: files removed (or, in a dry run, that would be), their bytes, the
    stored files kept, and the candidates put back because an upload claimed them meanwhile."""

    removed: list[str] = field(default_factory=list)  # paths relative to the upload directory
    removed_bytes: int = 0
    kept: int = 0
    put_back: int = 0


def sweep_uploads(session: Session, settings: Settings, grace: timedelta = DEFAULT_GRACE,
                  dry_run: bool = False) -> SweepResult:
    """Remove the upload directory's unreferenced files older than `grace` (see the module's
    docstring); with `dry_run`, only list them."""
    root = Path(settings.upload_dir)
    result = SweepResult()
    if not root.is_dir():
        return result
    cutoff = clock.os_seconds() - grace.total_seconds()
    if not dry_run:
        _put_back_aside(root)
    stored = list(_stored_files(root))
    referenced = _referenced(session, [digest for digest, _ in stored])
    for digest, path in stored:
        if digest not in referenced and _older(path, cutoff):
            _remove(session, root, digest, path, cutoff, dry_run, result)
        else:
            result.kept += 1
    for path in root.iterdir():
        if path.is_file() and _TEMP.fullmatch(path.name) and _older(path, cutoff):
            _count(result, root, path)
            if not dry_run:
                path.unlink(missing_ok=True)
    return result


def _stored_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(digest, path) of every stored file, `<sha256[:2]>/<sha256>`; anything else is left alone."""
    for folder in sorted(root.iterdir()):
        if not (folder.is_dir() and len(folder.name) == 2):
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and _STORED.fullmatch(path.name) and path.name[:2] == folder.name:
                yield path.name, path


def _put_back_aside(root: Path) -> None:
    """Files a sweep that stopped half-way left renamed aside go back first (the pass then
    judges them like any other); one whose name was taken again meanwhile is a copy."""
    for aside in root.glob(f"??/*{ASIDE}"):
        original = aside.with_name(aside.name[:-len(ASIDE)])
        if _STORED.fullmatch(original.name):
            if original.exists():
                aside.unlink(missing_ok=True)
            else:
                os.replace(aside, original)


def _referenced(session: Session, digests: list[str]) -> set[str]:
    """The digests among `digests` that an attachment row names."""
    found: set[str] = set()
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start:start + _CHUNK]
        found.update(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(chunk))))
    return found


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _remove(session: Session, root: Path, digest: str, path: Path, cutoff: float, dry_run: bool,
            result: SweepResult) -> None:
    """Rename the candidate aside, ask again, then delete it or put it back."""
    if dry_run:
        _count(result, root, path)
        return
    aside = path.with_name(path.name + ASIDE)
    try:
        os.replace(path, aside)
    except FileNotFoundError:  # another sweep took it
        return
    if _referenced(session, [digest]) or not _older(aside, cutoff):
        os.replace(aside, path)  # same content as any copy placed meanwhile
        result.put_back += 1
        result.kept += 1
        return
    _count(result, root, aside, shown=path)
    aside.unlink(missing_ok=True)


def _count(result: SweepResult, root: Path, path: Path, shown: Path | None = None) -> None:
    try:
        result.removed_bytes += path.stat().st_size
    except FileNotFoundError:
        return
    result.removed.append(str((shown or path).relative_to(root)))
