"""Attachments: upload a file to a proposal (or one of its open tasks), list them, download one."""
from flask import Blueprint, Flask, jsonify, request, send_file

from api.http.auth import current_user
from api.http.common import runtime, services, unit_of_work
from api.http.input_checks import takes_files
from api.http.security import OTHER_POLICY
from engine.queries import attachments as attachment_queries
from engine.services import attachments

bp = Blueprint("attachments", __name__, url_prefix="/api")
_BODY_SLACK = 1024 * 1024  # room for the multipart envelope and the other form fields


@bp.post("/proposals/<int:proposal_id>/attachments")
@takes_files
def upload(proposal_id: int):
    """Upload one file (multipart/form-data `file`, optional `task_id` and `field`)."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        file = request.files.get("file")
        [info] = attachments.upload_attachments(
            uow, services()["settings"], user, proposal_id,
            [(file.filename, file.stream, file.mimetype) if file else (None, None, None)],
            task_id=request.form.get("task_id") or None, field=request.form.get("field") or None)
        return jsonify(info), 201


@bp.get("/proposals/<int:proposal_id>/attachments")
def index(proposal_id: int):
    """The attachments of a proposal the user may see."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        return jsonify({"items": attachment_queries.visible_attachments(uow.session, runtime(), user, proposal_id)})


@bp.get("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    """The file, as a download under its original name."""
    with unit_of_work() as uow:
        user = current_user(uow.session)
        info, path = attachment_queries.open_attachment(uow.session, services()["settings"], runtime(), user,
                                                  attachment_id)
    return send_attachment(info, path)


def send_attachment(info: dict, path):
    """The stored file as a download under its original name, never rendered inline."""
    mimetype = info["content_type"] if info["content_type"] in attachments.SAFE_CONTENT_TYPES \
        else "application/octet-stream"
    # download_name: Werkzeug sends filename*=UTF-8''... (RFC 5987/6266) so Chinese names survive
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=info["filename"],
                         etag=f"attachment-{info['id']}")  # stored files never change
    response.headers["Content-Security-Policy"] = OTHER_POLICY  # whatever its type, it runs nothing
    response.cache_control.private = True
    return response


def init_app(app: Flask) -> None:
    """Register the attachment routes and cap request bodies; harmless when called twice."""
    settings = app.extensions["cppcc"]["settings"]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + _BODY_SLACK
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
