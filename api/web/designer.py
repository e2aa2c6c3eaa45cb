"""流程设计: the process designers' pages (role `designer`; the committee may read the versions).

    GET  /designer                       the files of the current version; new file, upload
    GET  /designer/versions              every version: deployments, cases, running cases
    GET  /designer/versions/<hash>/<f>   one file of a version (download)
    GET  /designer/edit/<file>           the editor (bpmn-js or dmn-js) for a file of the current version
    GET  /designer/new?name=&title=      the editor on a blank diagram or decision table
    POST /designer/upload                the editor on an uploaded file (nothing is stored yet)
    POST /designer/validate              JSON {name, xml}: check the current version with this file
    POST /designer/deploy                JSON {name, xml, note, base}: deploy it as a new version

The JSON endpoints use the page session and the X-CSRFToken header; problems
come back as {file, element, message} with status 422, and a refused
deployment writes nothing. Lint warnings (and the note that the lint was
skipped) come as `warnings` on success and after the problems on refusal,
each with "level": "warning". Checking and deploying are engine/definitions/versions.py's.
"""
import io
import re

from flask import Blueprint, jsonify, make_response, render_template, request, send_file, url_for

from api.http.common import json_body, runtime
from api.http.input_checks import takes_files
from api.http.security import EDITOR_POLICY
from engine.definitions import versions
from engine.model.errors import DefinitionError, EngineError, NotFound
from engine.services import deployment

from .guard import error_page, protect
from .session import acting

bp = protect(Blueprint("designer", __name__, url_prefix="/designer"))
NEW_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}\.(bpmn|dmn)$")
NAME_RULE = "文件名只能由字母、数字和下划线组成（以字母或下划线开头），并以 .bpmn 或 .dmn 结尾，例如 review_extra.bpmn"


@bp.errorhandler(EngineError)
def _engine_error(err):
    """JSON for the JSON endpoints, the Chinese error page for the pages."""
    if request.endpoint in ("designer.validate", "designer.deploy"):
        body = {"ok": False, "message": err.message}
        if isinstance(err, DefinitionError):
            body["problems"] = err.problems
            return jsonify(body), 422
        return jsonify(body), err.status
    return error_page(err.status, err.message)


@bp.get("")
def index():
    """The current version's files, with links to edit them, and forms for a new file or an upload."""
    with acting() as (uow, user):
        versions.require_designer(user)
        current = versions.current_definition(uow.session, runtime())
        return render_template("designer/index.html", current=current, files=sorted(current.files),
                               name_rule=NAME_RULE)


@bp.get("/versions")
def versions_page():
    """Every version, newest first: deployments, files, case counts and the running cases."""
    with acting() as (uow, user):
        versions.require_designer(user, read_only=True)
        listed = versions.list_versions(uow.session, runtime())
        return render_template("designer/versions.html", versions=listed, running=versions.running_cases(uow.session, runtime()),
                               sources=runtime().region.catalogue.labels("deploy_sources"))


@bp.get("/versions/<version:version>/<name>")
def version_file(version, name):
    """One file of a stored version, as a download."""
    with acting() as (uow, user):
        versions.require_designer(user, read_only=True)
        row = versions.find_version(uow.session, version)
        if name not in row.files:
            raise NotFound(f"版本 {row.hash} 中没有文件 {name}")
        return _xml_download(row.files[name], name)


@bp.get("/edit/<name>")
def edit(name):
    """The editor for one file of the current version."""
    with acting() as (uow, user):
        versions.require_designer(user)
        current = versions.current_definition(uow.session, runtime())
        if name not in current.files:
            raise NotFound(f"当前版本中没有文件 {name}")
        return _editor(current, name, current.files[name], origin="current")


@bp.get("/new")
def new():
    """The editor on a blank diagram (.bpmn) or decision table (.dmn); stored only when deployed."""
    name = request.args.get("name", "").strip()
    title = request.args.get("title", "").strip() or name.rsplit(".", 1)[0]
    with acting() as (uow, user):
        versions.require_designer(user)
        current = versions.current_definition(uow.session, runtime())
        problem = _name_problem(name, current)
        if problem:
            return render_template("designer/index.html", current=current, files=sorted(current.files),
                                   name_rule=NAME_RULE, new_error=problem, new_name=name, new_title=title), 400
        stem, kind = name.rsplit(".", 1)
        xml = render_template(f"designer/blank.{kind}.xml", id=stem, title=title[:100])
        return _editor(current, name, xml, origin="new")


@bp.post("/upload")
@takes_files
def upload():
    """The editor on an uploaded .bpmn/.dmn file (it replaces the file of that name when deployed)."""
    with acting() as (uow, user):
        versions.require_designer(user)
        current = versions.current_definition(uow.session, runtime())
        upload_file = request.files.get("file")
        name = (request.form.get("name", "").strip() or (upload_file.filename if upload_file else "")).strip()
        problem = None
        if upload_file is None or not upload_file.filename:
            problem = "请选择要上传的 .bpmn 或 .dmn 文件"
        elif not NEW_NAME.match(name):
            problem = NAME_RULE
        text = None
        if problem is None:
            raw = upload_file.stream.read(versions.MAX_FILE_CHARS * 4 + 1)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                problem = "文件不是 UTF-8 编码的文本，请上传 BPMN 或 DMN 的 XML 文件"
            else:
                if len(text) > versions.MAX_FILE_CHARS:
                    problem = f"文件过大（超过 {versions.MAX_FILE_CHARS} 个字符）"
                elif not text.strip():
                    problem = "文件内容为空"
        if problem:
            return render_template("designer/index.html", current=current, files=sorted(current.files),
                                   name_rule=NAME_RULE, upload_error=problem), 400
        return _editor(current, name, text, origin="upload")


@bp.post("/validate")
@takes_files
def validate():
    """Check the current version with `name` replaced (or added) by `xml`; 422 lists the problems."""
    name, xml = _file_from_body(json_body())
    with acting() as (uow, user):
        versions.require_designer(user)
        current = versions.current_definition(uow.session, runtime())
        files = versions.merged_files(uow.session, runtime(), {name: xml})
        warnings = []
        try:
            bundle = versions.validate(runtime(), files, warnings)
        except DefinitionError as err:
            return _refused(err, warnings)
        return jsonify({"ok": True, "hash": bundle.hash, "changes": versions.changed_files(current.files, files),
                        "warnings": warnings, "message": "校验通过：所有流程图和决策表均无问题"})


@bp.post("/deploy")
@takes_files
def deploy():
    """Deploy the current version with `name` replaced by `xml` as the new current version.

    `base` (the version the editor was opened on) guards against overwriting a
    change someone else deployed to the same file meanwhile (409)."""
    body = json_body()
    name, xml = _file_from_body(body)
    note = body.get("note") if isinstance(body.get("note"), str) else ""
    with acting() as (uow, user):
        warnings = []
        try:
            outcome = deployment.deploy_change(uow, runtime(), user, {name: xml}, base=body.get("base"), note=note,
                                               source="browser", warnings=warnings)
        except DefinitionError as err:
            return _refused(err, warnings)
        if not outcome.deployed:
            return jsonify({"ok": True, "deployed": False, "hash": outcome.hash, "changes": {},
                            "message": deployment.NO_CHANGE_MESSAGE})
        version = outcome.hash
        return jsonify({"ok": True, "deployed": True, "hash": version, "created": outcome.created,
                        "changes": outcome.changes, "warnings": warnings,
                        "versions_url": url_for("designer.versions_page"),
                        "message": f"已部署为当前版本 {version}：新提交的提案按此版本办理，"
                                   "正在办理的提案仍按原版本办理"}), 201


def _refused(err: DefinitionError, warnings: list):
    """422 with every problem, and after them the lint's warnings (e.g. that it was skipped)."""
    return jsonify({"ok": False, "message": err.message, "problems": err.problems + warnings}), 422


def _file_from_body(body: dict) -> tuple[str, str]:
    name, xml = body.get("name"), body.get("xml")
    if not isinstance(name, str) or not name.strip():
        raise EngineError("缺少文件名（name）")
    if not isinstance(xml, str):
        raise EngineError("缺少文件内容（xml）")
    return name.strip(), xml


def _name_problem(name: str, current) -> str | None:
    if not NEW_NAME.match(name):
        return NAME_RULE
    if name in current.files:
        return f"当前版本中已有 {name}，请直接编辑它或换一个文件名"
    return None


def _editor(current, name: str, xml: str, origin: str):
    rt = runtime()
    words, default_notify = rt.region.catalogue, rt.region.catalogue.codes("notification_kinds", default=True)
    kind = "dmn" if name.endswith(".dmn") else "bpmn"
    config = {
        "name": name, "kind": kind, "origin": origin, "base": current.hash,
        "exists": name in current.files,
        "validateUrl": url_for("designer.validate"), "deployUrl": url_for("designer.deploy"),
        "versionsUrl": url_for("designer.versions_page"), "editUrl": url_for("designer.edit", name="__name__"),
        "roles": words.choices("roles", tasks=True),
        "forms": [{"code": f, "label": rt.forms.schemas[f].get("title", f)} for f in sorted(rt.forms.schemas)],
        "stages": [{"code": s, "label": rt.stage_labels[s]} for s in rt.stages],
        "audiences": words.choices("audiences"),
        "notify": [{"code": c["code"], "label": c["label"] + ("（默认）" if c["code"] in default_notify else "")}
                   for c in words.choices("notification_kinds", diagram=True)],
        "files": sorted(current.files),
    }
    response = make_response(render_template("designer/editor.html", name=name, kind=kind, xml=xml, config=config,
                                             current=current, origin=origin, has_comments="<!--" in xml))
    # dmn-js and the properties panel write style attributes; they cannot run script
    response.headers["Content-Security-Policy"] = EDITOR_POLICY
    return response


def _xml_download(text: str, name: str):
    response = send_file(io.BytesIO(text.encode("utf-8")), mimetype="application/xml", as_attachment=True,
                         download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
