"""Deploying a changed definition (部署): one command for the designer's editor, the
JSON API and the command line, so that each refuses the same things the same way.

`deploy_change` takes the files changed (and removed) against the current version,
refuses a stale edit — a file someone else changed and deployed after the editor
was opened on `base` — with 409, deploys nothing when nothing changed, and
otherwise validates, stores, makes the version current and commits.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork
from engine.definitions import versions
from engine.model.errors import Conflict
from engine.model.tables import User
from engine.workflow.runtime import Runtime

NO_CHANGE_MESSAGE = "内容与当前版本相同，无需部署"


@dataclass
class DeployOutcome:
    """What a deployment did: `deployed` False when the files were the current version's."""

    deployed: bool
    hash: str
    changes: dict
    created: bool = False
    deployment_id: int | None = None
    warnings: list = field(default_factory=list)


def check_not_stale(session: Session, rt: Runtime, changed: Iterable[str], base: str | None) -> None:
    """Conflict (409) when a file in `changed` differs between version `base` (the one the
    editor was opened on) and the current version: someone deployed a change to it meanwhile."""
    current = versions.current_definition(session, rt)
    if not isinstance(base, str) or not base or base == current.hash:
        return
    opened = versions.find_version(session, base)
    for name in sorted(changed):
        if opened.files.get(name) != current.files.get(name):
            raise Conflict(f"{name} 在你打开之后已被修改并部署（当前版本 {current.hash}），"
                           "请下载你的修改后重新打开此文件再合并")


def deploy_change(uow: UnitOfWork, rt: Runtime, user: User, changed: dict, removed: Iterable[str] = (), *, base: str | None = None, note: str = "",
                  source: str = "api", warnings: list | None = None) -> DeployOutcome:
    """Deploy the current version with `changed` files replaced or added and `removed` ones
    dropped, as `user` (a process designer), and commit. Refused (nothing written): not a
    designer (403), a stale edit (409), problems in the files (422, DefinitionError)."""
    session = uow.session
    versions.require_designer(user)
    check_not_stale(session, rt, list(changed) + list(removed), base)
    current = versions.current_definition(session, rt)
    files = versions.merged_files(session, rt, changed, removed)
    changes = versions.changed_files(current.files, files)
    warnings = warnings if warnings is not None else []
    if not changes:
        return DeployOutcome(False, current.hash, {}, warnings=warnings)
    deployment, created = versions.deploy(session, rt, files, by=user.username, source=source, note=note,
                                          warnings=warnings)
    uow.commit()
    definition = rt.current_definition(session)
    return DeployOutcome(True, definition.hash, changes, created, deployment.id, warnings)


def deploy_files(uow: UnitOfWork, rt: Runtime, files: dict, *, by: str, source: str = "cli", note: str = "",
                 warnings: list | None = None) -> DeployOutcome:
    """Deploy a complete definition (the command line: the files on disk, or given ones merged
    into the current version) and commit; an identical stored version is made current again
    (`created` False). Refused with DefinitionError (nothing written) when the files have problems."""
    session = uow.session
    changes = versions.changed_files(versions.current_definition(session, rt).files, files)
    warnings = warnings if warnings is not None else []
    deployment, created = versions.deploy(session, rt, files, by=by, source=source, note=note, warnings=warnings)
    uow.commit()
    return DeployOutcome(True, rt.current_definition(session).hash, changes, created, deployment.id, warnings)
