"""Deploy-time bpmnlint: the rules the designer's editor shows, applied again when a version is checked.

The rules are the repository's `.bpmnlintrc` (a subset of bpmnlint's
recommended rules plus the project's plugin in tools/designer/bpmnlint-plugin-cppcc,
e.g. "every user task has a role and a form"); tools/designer/lint.mjs runs them
with Node.js, reading {"files", "settings"} as JSON on stdin. Its error reports
refuse a deployment like the engine's own checks; its warnings (and the note
that the lint was skipped) are passed on without refusing anything.

Node.js and the npm packages are optional: without them (or when the run fails
or exceeds LINT_TIMEOUT seconds) the lint is skipped with a warning, and the
engine's own checks still decide. Results are kept per file text, so checking
a version again only lints the files that changed. CPPCC_NODE names the node
binary when it is not on PATH.
"""
import hashlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from engine.definitions.bundle import ROLES
from engine.model.errors import DefinitionError
from engine.model.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
T = TypeVar("T")
SCRIPT = PROJECT_ROOT / "tools" / "designer" / "lint.mjs"
MODULES = PROJECT_ROOT / "node_modules"
REQUIRED = ("bpmnlint/package.json", "bpmn-moddle/package.json", "bpmnlint-plugin-cppcc/index.js")
LINT_TIMEOUT = 30  # seconds
WHERE = "*.bpmn"  # the `file` of a note about the lint itself
SKIPPED = "提示：未运行流程图规范检查（bpmnlint），部署不受影响，其余校验照常进行。原因："
_cache: dict = {}  # (file name, sha256 of text and settings) -> its reports
CACHE_SIZE = 256


@dataclass
class Report:
    """What the lint found: errors refuse a deployment, warnings do not."""

    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    restating: list = field(default_factory=list)  # those of `errors` that restate a check of the engine


def settings(form_names: Iterable[str] | None) -> dict:
    """The run-time settings of the plugin's rules: the roles and forms this system knows
    (the editor page passes the same lists)."""
    return {"cppcc/user-task-role-form": {"roles": sorted(ROLES), "forms": sorted(form_names or ())}}


def run(files: dict, form_names: Iterable[str] | None = None) -> Report:
    """Lint the .bpmn files of `files` ({name: xml}); never raises."""
    bpmn = {name: text for name, text in files.items()
            if isinstance(name, str) and name.endswith(".bpmn") and isinstance(text, str)}
    if not bpmn:
        return Report()
    config = settings(form_names)
    stamp = json.dumps(config, sort_keys=True)
    keys = {name: (name, hashlib.sha256((stamp + "\0" + text).encode("utf-8")).hexdigest())
            for name, text in bpmn.items()}
    missing = {name: bpmn[name] for name, key in keys.items() if key not in _cache}
    if missing:
        found, reason = _node_lint(missing, config)
        if reason:
            log.warning("bpmnlint skipped: %s", reason)
            return Report(warnings=[_note(SKIPPED + reason)])
        if len(_cache) + len(missing) > CACHE_SIZE:
            _cache.clear()
        for name in missing:
            _cache[keys[name]] = [r for r in found if r.get("file") == name]
    report = Report()
    for name in bpmn:
        for r in _cache[keys[name]]:
            problem = {"file": f"processes/{name}", "element": r.get("element"), "message": str(r.get("message"))}
            if r.get("category") == "error":
                report.errors.append(problem)
                if r.get("restates"):  # the plugin's rules that restate a check of build_bundle
                    report.restating.append(problem)
            else:
                report.warnings.append({**problem, "level": "warning"})
    return report


def enforce(files: dict, form_names: Iterable[str] | None, build: Callable[[], T], warnings: list | None = None) -> T:
    """Lint `files`, then `build()` them (the engine's checks, which raise DefinitionError);
    raise one DefinitionError with every problem of both (a lint error the engine already
    restating an engine check is left out where the engine reported that element). Lint
    warnings go to `warnings` if given."""
    report = run(files, form_names)
    if warnings is not None:
        warnings.extend(report.warnings)
    try:
        bundle = build()
    except DefinitionError as err:
        flagged = {(p.get("file"), p.get("element")) for p in err.problems}
        extra = [p for p in report.errors
                 if p not in report.restating or (p["file"], p["element"]) not in flagged]
        if not extra:
            raise
        raise DefinitionError(err.problems + extra) from None
    if report.errors:
        raise DefinitionError(report.errors)
    return bundle


def available() -> str | None:
    """None when the lint can run; otherwise why not (Chinese)."""
    if not _node():
        return "本机未安装 Node.js（安装后运行 bin/setup 即可启用）"
    if not SCRIPT.is_file() or not all((MODULES / name).is_file() for name in REQUIRED):
        return "检查组件未安装（请运行 bin/setup，需要 npm）"
    return None


def _node() -> str | None:
    configured = os.environ.get("CPPCC_NODE")
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which("node")


def _node_lint(files: dict, config: dict) -> tuple[list, str | None]:
    """(reports, None), or ([], why it was skipped)."""
    reason = available()
    node = _node()
    if reason or node is None:
        return [], reason
    payload = json.dumps({"files": files, "settings": config}, ensure_ascii=False)
    try:
        done = subprocess.run([node, str(SCRIPT)], input=payload.encode("utf-8"), capture_output=True,
                              timeout=LINT_TIMEOUT, cwd=str(PROJECT_ROOT), check=False)
    except subprocess.TimeoutExpired:
        log.warning("bpmnlint did not finish within %s s; skipped", LINT_TIMEOUT)
        return [], f"检查超过 {LINT_TIMEOUT} 秒未完成"
    except OSError as err:
        log.warning("bpmnlint could not start: %s", err)
        return [], "检查程序无法启动"
    try:
        if done.returncode != 0:
            raise ValueError(f"exit status {done.returncode}")
        result = json.loads(done.stdout.decode("utf-8"))
        reports = result["reports"]
        if not isinstance(reports, list):
            raise ValueError("reports is not a list")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        log.warning("bpmnlint failed (%s): %s", err, done.stderr.decode("utf-8", "replace")[-2000:])
        return [], "检查程序运行出错"
    return reports, None


def _note(message: str) -> dict:
    return {"file": WHERE, "element": None, "message": message, "level": "warning"}
