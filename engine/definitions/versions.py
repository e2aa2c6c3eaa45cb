"""Definition versions: stored by content hash, validated, deployed.

A version is the whole set of .bpmn and .dmn files (the region's decision
tables included), stored once in `process_definitions` under the hash of its
content. Deploying makes a version current: new cases start on the latest
deployment, and running cases keep the version they started with until they
are migrated (engine/services/case_migration.py).

The files on disk are a version too: at start-up, if their hash is not stored
yet, they are deployed (source "files"), so editing a file and restarting
behaves like deploying it; a version deployed from the browser or the API
stays current across restarts until something newer is deployed.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from engine.adapters.db import Database
from engine.definitions import lint
from engine.definitions.bundle import ProcessBundle, build_bundle
from engine.model import clock
from engine.model.errors import DefinitionError, NotFound
from engine.model.tables import Case, Deployment, ProcessDefinition, Proposal, User
from engine.profile import catalogue
from engine.profile.forms import FormCatalog
from engine.profile.region import Region
from engine.rules import permissions

log = logging.getLogger(__name__)
SOURCES = tuple(catalogue.base().codes("deploy_sources"))
DESIGNER = permissions.DESIGNER
# who may read, deploy and migrate: engine/rules/permissions.py (may_design, may_read_versions)
require_designer = permissions.check_designer
MAX_FILE_CHARS = 2_000_000


class Runtime(Protocol):
    """What the versions need of the loaded process runtime: engine.workflow.runtime.Runtime has it.

    Declared here so that this layer names no type of the layer above it (engine.workflow)."""

    files_registered: bool  # whether the files' version is known to be stored (set by _register_files)
    current: ProcessBundle  # the latest current version this process has seen

    @property
    def region(self) -> Region: ...

    @property
    def forms(self) -> FormCatalog: ...

    @property
    def files_bundle(self) -> ProcessBundle: ...

    def bundle_for(self, definition: ProcessDefinition) -> ProcessBundle: ...

    def remember(self, bundle: ProcessBundle) -> None: ...


def validate(rt: Runtime, files: dict, warnings: list | None = None) -> ProcessBundle:
    """Check a complete set of files as a deployment would; raise DefinitionError listing every problem.

    The bpmnlint rules (engine/definitions/lint.py) are part of the check; their warnings, and a
    note when the lint could not run, are added to `warnings` if given."""
    problems = []
    for name, text in files.items():
        if not isinstance(name, str) or not name.endswith((".bpmn", ".dmn")) or "/" in name or "\\" in name:
            problems.append({"file": str(name), "element": None, "message": "文件名应为 名称.bpmn 或 名称.dmn，且不含路径"})
        elif not isinstance(text, str) or not text.strip():
            problems.append({"file": name, "element": None, "message": "文件内容为空"})
        elif len(text) > MAX_FILE_CHARS:
            problems.append({"file": name, "element": None, "message": f"文件过大（超过 {MAX_FILE_CHARS} 个字符）"})
    if problems:
        raise DefinitionError(problems)
    return lint.enforce(files, set(rt.forms.schemas), lambda: build_bundle(files, set(rt.forms.schemas)), warnings)


def merged_files(session: Session, rt: Runtime, changed: dict, removed: Iterable[str] = ()) -> dict:
    """The current version's files with `changed` ones replaced or added and `removed` ones dropped."""
    files = dict(current_definition(session, rt).files)
    unknown = [name for name in removed if name not in files]
    if unknown:
        raise DefinitionError([{"file": name, "element": None, "message": "要删除的文件不在当前版本中"}
                               for name in unknown])
    for name in removed:
        files.pop(name)
    files.update(changed)
    return dict(sorted(files.items()))


def deploy(session: Session, rt: Runtime, files: dict, by: str | None, source: str, note: str = "",
           warnings: list | None = None) -> tuple[Deployment, bool]:
    """Validate `files` (a complete definition) and make it the current version.

    Returns the deployment and whether the version was new (an identical
    version deployed again is stored once and just made current again).
    Nothing is written when validation fails; `warnings` as for validate().
    """
    if source not in SOURCES:
        raise ValueError(f"unknown deployment source {source!r}")
    bundle = validate(rt, files, warnings)
    definition, created = _stored(session, bundle)
    deployment = Deployment(definition_id=definition.id, deployed_at=clock.now(), deployed_by=by,
                            source=source, note=(note or "").strip()[:2000])
    session.add(deployment)
    session.flush()
    rt.remember(bundle)
    return deployment, created


def current_definition(session: Session, rt: Runtime) -> ProcessDefinition:
    """The stored definition new cases start on: the latest deployment
    (the files on disk are deployed first if their version is not stored yet)."""
    if not rt.files_registered:
        _register_files(session, rt)
    row = _latest(session)
    if row is None:  # the transaction that registered the files was rolled back
        _register_files(session, rt)
        row = _latest(session)
    if row is None:
        raise RuntimeError("no process definition stored after registering the files")
    return row


def _latest(session: Session) -> ProcessDefinition | None:
    """The latest deployed definition; its files are read only if asked for (a new case needs the hash)."""
    return session.scalar(select(ProcessDefinition).options(defer(ProcessDefinition.files))
                          .join(Deployment, Deployment.definition_id == ProcessDefinition.id)
                          .order_by(Deployment.id.desc()).limit(1))


def ensure_current(database: Database, rt: Runtime) -> ProcessDefinition:
    """At start-up, in its own transaction: store and deploy the files' version if it is new."""
    from engine.adapters.db import UnitOfWork

    with UnitOfWork(database) as uow:
        row = current_definition(uow.session, rt)
        rt.current = rt.bundle_for(row)  # in the transaction: the files are read only if not parsed yet
        uow.commit()
    return row


def find_version(session: Session, version: str) -> ProcessDefinition:
    """A stored version by its hash (or an unambiguous prefix of at least 6 characters)."""
    version = (version or "").strip().lower()
    if len(version) >= 6:
        rows = session.scalars(select(ProcessDefinition).where(ProcessDefinition.hash.startswith(version, autoescape=True))).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise NotFound(f"版本号 {version} 不唯一，请写得更长一些")
    raise NotFound(f"没有版本 {version}")


def list_versions(session: Session, rt: Runtime) -> list[dict]:
    """Every stored version, newest first: its deployments, and how many cases run or ran on it."""
    current = current_definition(session, rt)
    counts: dict = {}
    for definition_id, completed, n in session.execute(
            select(Case.definition_id, Case.completed, func.count()).group_by(Case.definition_id, Case.completed)):
        counts.setdefault(definition_id, {"running": 0, "completed": 0})["completed" if completed else "running"] += n
    deployments: dict = {}
    names: dict[str | None, str | None] = dict(session.execute(select(User.username, User.name)).all())
    for deployment in session.scalars(select(Deployment).order_by(Deployment.id)):
        deployments.setdefault(deployment.definition_id, []).append(
            {"at": _china(deployment.deployed_at), "by": deployment.deployed_by,
             "by_name": names.get(deployment.deployed_by, deployment.deployed_by),
             "source": deployment.source, "note": deployment.note})
    versions = []
    for row in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.id.desc())):
        versions.append({"hash": row.hash, "label": version_label(session, row),
                         "created_at": _china(row.created_at), "current": row.id == current.id,
                         "files": sorted(row.files), "deployments": deployments.get(row.id, []),
                         "cases": counts.get(row.id, {"running": 0, "completed": 0})})
    return versions


def _china(moment: datetime) -> str:
    """An ISO time in China time."""
    return moment.astimezone(clock.CHINA).isoformat(timespec="seconds")


def case_version(session: Session, proposal_id: int) -> dict | None:
    """The definition version a proposal's case runs on, {"hash", "label"} (label: 第 3 版
    (2026-11-02 部署)), or None before it has a case."""
    row = session.scalar(select(ProcessDefinition).join(Case, Case.definition_id == ProcessDefinition.id)
                         .where(Case.proposal_id == proposal_id, Case.process == "proposal"))
    return None if row is None else {"hash": row.hash, "label": version_label(session, row)}


def version_label(session: Session, definition: ProcessDefinition) -> str:
    """A version as people name it: its number in the order versions were stored, and the day
    it was first deployed, e.g. 第 3 版（2026-11-02 部署）."""
    number = session.scalar(select(func.count()).select_from(ProcessDefinition)
                            .where(ProcessDefinition.id <= definition.id))
    first = session.scalar(select(func.min(Deployment.deployed_at)).where(Deployment.definition_id == definition.id))
    day = f"{_china(first)[:10]} 部署" if first is not None else f"{_china(definition.created_at)[:10]} 保存"
    return f"第 {number} 版（{day}）"


def running_cases(session: Session, rt: Runtime) -> dict:
    """{version hash: [{case_id, process, proposal_id, number, title}]} of the cases not finished
    (`process` in the words of the runtime's region)."""
    rows = session.execute(
        select(ProcessDefinition.hash, Case.id, Case.process, Proposal.id, Proposal.number, Proposal.title)
        .join(Case, Case.definition_id == ProcessDefinition.id).join(Proposal, Proposal.id == Case.proposal_id)
        .where(Case.completed.is_(False)).order_by(Case.id))
    found: dict = {}
    for version, case_id, process, proposal_id, number, title in rows:
        found.setdefault(version, []).append({"case_id": case_id, "process": rt.region.catalogue.label("processes", process),
                                              "proposal_id": proposal_id, "number": number, "title": title})
    return found


def changed_files(old: dict, new: dict) -> dict:
    """{file name: added | removed | changed} between two versions' files."""
    changes = {}
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changes[name] = "added"
        elif name not in new:
            changes[name] = "removed"
        elif old[name] != new[name]:
            changes[name] = "changed"
    return changes


def _stored(session: Session, bundle: ProcessBundle) -> tuple[ProcessDefinition, bool]:
    row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.hash == bundle.hash))
    if row is not None:
        return row, False
    row = ProcessDefinition(hash=bundle.hash, files=bundle.files, created_at=clock.now())
    try:
        with session.begin_nested():  # another process may store the same version at the same moment
            session.add(row)
            session.flush()
    except IntegrityError:
        return session.scalars(select(ProcessDefinition).where(ProcessDefinition.hash == bundle.hash)).one(), False
    return row, True


def _register_files(session: Session, rt: Runtime) -> None:
    bundle = rt.files_bundle
    known = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.hash == bundle.hash))
    last = session.scalar(select(Deployment).order_by(Deployment.id.desc()).limit(1))
    if known is None or last is None:
        if last is not None and last.source in ("api", "browser"):
            log.warning("磁盘上的流程文件（版本 %s）是新的，取代了 %s 从%s部署的版本；"
                        "如需保留那样的版本，请用 cppcc export-version 导出到 processes/",
                        bundle.hash, _china(last.deployed_at)[:16].replace("T", " "),
                        rt.region.catalogue.label("deploy_sources", last.source))
        definition, _ = _stored(session, bundle)
        session.add(Deployment(definition_id=definition.id, deployed_at=clock.now(), deployed_by=None,
                               source="files", note="启动时读取的流程文件"))
        session.flush()
    rt.files_registered = True
