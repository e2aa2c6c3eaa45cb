"""The bpmn-js and dmn-js files the pages load, served from node_modules/ (installed by bin/setup with npm).

The BPMN editor's script is not among them: bin/setup bundles bpmn-js's modeler with its
properties panel and bpmnlint into api/static/js/designer/dist/ (tools/designer/build.mjs),
served as an ordinary static file; its pages take only the style sheets from here.

Only the files listed in ASSETS are served, each at /static/vendor/<name>:

    bpmn-viewer.js                 bpmn-js/dist/bpmn-viewer.production.min.js   (window.BpmnJS, a viewer)
    diagram-js.css, bpmn-js.css    bpmn-js/dist/assets/                          (viewer and modeler)
    bpmn-font/css/bpmn.css         the modeler's palette and context pad icons, with
    bpmn-font/font/bpmn.woff2|woff|ttf   the font files that style sheet loads
    dmn-modeler.js                 dmn-js/dist/dmn-modeler.production.min.js    (window.DmnJS)
    dmn/*.css                      dmn-js/dist/assets/*.css (its own diagram-js.css included)
    dmn-font/css/dmn.css, dmn-font/font/dmn.woff2|woff|ttf

The font style sheets also name .eot (old Internet Explorer) and .svg fonts,
which no current browser loads; those are not served. The other style sheets
refer to nothing else. When npm was not run, each route answers 404 with a
JSON error and the pages show "流程图组件未安装". Set
app.config["NODE_MODULES_DIR"] to serve another node_modules folder.
"""
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, send_file

from engine.model.settings import PROJECT_ROOT

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
FONTS = {"woff2": "font/woff2", "woff": "font/woff", "ttf": "font/ttf"}
BPMN = Path("bpmn-js") / "dist"
DMN = Path("dmn-js") / "dist"
DMN_STYLES = ("diagram-js.css", "dmn-js-shared.css", "dmn-js-drd.css", "dmn-js-decision-table.css",
              "dmn-js-decision-table-controls.css", "dmn-js-literal-expression.css", "dmn-js-boxed-expression.css",
              "dmn-js-boxed-expression-controls.css")

ASSETS = {
    "bpmn-viewer.js": (BPMN / "bpmn-viewer.production.min.js", JS),
    "diagram-js.css": (BPMN / "assets" / "diagram-js.css", CSS),
    "bpmn-js.css": (BPMN / "assets" / "bpmn-js.css", CSS),
    "bpmn-font/css/bpmn.css": (BPMN / "assets" / "bpmn-font" / "css" / "bpmn.css", CSS),
    **{f"bpmn-font/font/bpmn.{ext}": (BPMN / "assets" / "bpmn-font" / "font" / f"bpmn.{ext}", mime)
       for ext, mime in FONTS.items()},
    "dmn-modeler.js": (DMN / "dmn-modeler.production.min.js", JS),
    **{f"dmn/{name}": (DMN / "assets" / name, CSS) for name in DMN_STYLES},
    "dmn-font/css/dmn.css": (DMN / "assets" / "dmn-font" / "css" / "dmn.css", CSS),
    **{f"dmn-font/font/dmn.{ext}": (DMN / "assets" / "dmn-font" / "font" / f"dmn.{ext}", mime)
       for ext, mime in FONTS.items()},
}
# What each page needs, in load order (the templates link these).
VIEWER = ("diagram-js.css", "bpmn-js.css", "bpmn-viewer.js")
BPMN_MODELER = ("diagram-js.css", "bpmn-js.css", "bpmn-font/css/bpmn.css")  # + the editor bundle
DMN_MODELER = (*(f"dmn/{name}" for name in DMN_STYLES), "dmn-font/css/dmn.css", "dmn-modeler.js")
MAX_AGE = 24 * 3600

bp = Blueprint("diagram_assets", __name__)


def node_modules() -> Path:
    """The node_modules folder the assets are served from."""
    return Path(current_app.config.get("NODE_MODULES_DIR") or PROJECT_ROOT / "node_modules")


def viewer_installed(folder: Path | None = None) -> bool:
    """Whether the bpmn-js viewer script is installed (in `folder`, default the app's node_modules)."""
    return installed(VIEWER, folder)


def installed(names=tuple(ASSETS), folder: Path | None = None) -> bool:
    """Whether every asset in `names` is installed (in `folder`, default the app's node_modules)."""
    folder = folder if folder is not None else node_modules()
    return all((folder / ASSETS[name][0]).is_file() for name in names)


@bp.get("/static/vendor/<path:name>")
def asset(name):
    """One listed bpmn-js / dmn-js file; 404 (JSON, never runnable) for anything else or when not installed."""
    entry = ASSETS.get(name)
    path = node_modules() / entry[0] if entry else None
    if path is None or not path.is_file():
        message = ("流程图组件未安装：请在项目目录运行 bin/setup（需要 npm）" if entry
                   else f"没有组件文件 {name}")
        response = jsonify({"error": {"status": 404, "message": message}})
        response.status_code = 404
    else:
        response = send_file(path, mimetype=entry[1], max_age=MAX_AGE, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Register the asset route (once; calling again does nothing)."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
