"""The bpmn-js viewer's files, served from node_modules/ (installed by bin/setup with npm).

    /static/vendor/bpmn-viewer.js   node_modules/bpmn-js/dist/bpmn-viewer.production.min.js
    /static/vendor/diagram-js.css   node_modules/bpmn-js/dist/assets/diagram-js.css
    /static/vendor/bpmn-js.css      node_modules/bpmn-js/dist/assets/bpmn-js.css

The viewer needs no font files (bpmn-font is only for the modeler's palette),
and the two style sheets refer to nothing else. When npm was not run, each
route answers 404 with a JSON error and the page shows "流程图组件未安装".
Set app.config["NODE_MODULES_DIR"] to serve another node_modules folder.
"""
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, send_file

from engine.config import PROJECT_ROOT

DIST = Path("bpmn-js") / "dist"
ASSETS = {
    "bpmn-viewer.js": (DIST / "bpmn-viewer.production.min.js", "text/javascript; charset=utf-8"),
    "diagram-js.css": (DIST / "assets" / "diagram-js.css", "text/css; charset=utf-8"),
    "bpmn-js.css": (DIST / "assets" / "bpmn-js.css", "text/css; charset=utf-8"),
}
MAX_AGE = 24 * 3600

bp = Blueprint("diagram_assets", __name__)


def node_modules() -> Path:
    """The node_modules folder the assets are served from."""
    return Path(current_app.config.get("NODE_MODULES_DIR") or PROJECT_ROOT / "node_modules")


def viewer_installed(folder: Path | None = None) -> bool:
    """Whether the bpmn-js viewer script is installed (in `folder`, default the app's node_modules)."""
    folder = folder if folder is not None else node_modules()
    return (folder / ASSETS["bpmn-viewer.js"][0]).is_file()


def _serve(name: str):
    relative, mimetype = ASSETS[name]
    path = node_modules() / relative
    if not path.is_file():
        response = jsonify({"error": {"status": 404, "message": "流程图组件未安装：请在项目目录运行 bin/setup（需要 npm）"}})
        response.status_code = 404
    else:
        response = send_file(path, mimetype=mimetype, max_age=MAX_AGE, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/static/vendor/bpmn-viewer.js")
def viewer_js():
    """The bpmn-js viewer (production build), which defines window.BpmnJS."""
    return _serve("bpmn-viewer.js")


@bp.get("/static/vendor/diagram-js.css")
def diagram_js_css():
    """diagram-js's style sheet, needed by the viewer."""
    return _serve("diagram-js.css")


@bp.get("/static/vendor/bpmn-js.css")
def bpmn_js_css():
    """bpmn-js's style sheet, needed by the viewer."""
    return _serve("bpmn-js.css")


def init_app(app: Flask) -> None:
    """Register the viewer asset routes (once; calling again does nothing)."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
