"""The bpmn-js and dmn-js files are served from node_modules/ (only the listed ones), and the
diagram partial is safe to render.

The app here is a bare Flask app with api/static and api/templates and only
api.http.diagram_assets registered: no database, no login.
"""
import html
import json
import posixpath
import re
from pathlib import Path

import pytest
from flask import Flask, render_template

from api.http import diagram_assets

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"
INSTALLED = (ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js").is_file()
MODELERS = diagram_assets.installed(folder=ROOT / "node_modules")


@pytest.fixture
def app():
    app = Flask("diagram_test", static_folder=str(API / "static"), template_folder=str(API / "templates"))
    diagram_assets.init_app(app)
    diagram_assets.init_app(app)  # twice is harmless
    return app


@pytest.mark.skipif(not INSTALLED, reason="node_modules/bpmn-js is not installed (run bin/setup with npm)")
def test_viewer_script_and_styles_are_served(app):
    client = app.test_client()
    response = client.get("/static/vendor/bpmn-viewer.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"BpmnJS" in response.data
    for name in ("diagram-js.css", "bpmn-js.css"):
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 200 and response.mimetype == "text/css", name
        assert b".djs-" in response.data or b".bjs-" in response.data
        # the styles refer to no other file the app would have to serve
        assert not re.search(rb"url\((?!['\"]?data:)", response.data), name


@pytest.mark.skipif(not MODELERS, reason="bpmn-js or dmn-js is not installed (run bin/setup with npm)")
def test_modeler_scripts_styles_and_fonts_are_served(app):
    client = app.test_client()
    for name, marker in (("dmn-modeler.js", b"DmnJS"),):
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 200 and response.mimetype == "text/javascript", name
        assert marker in response.data
    styles = [name for name, (_, mime) in diagram_assets.ASSETS.items() if mime.startswith("text/css")]
    assert "bpmn-font/css/bpmn.css" in styles and "dmn/dmn-js-decision-table.css" in styles
    for name in styles:
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 200 and response.mimetype == "text/css", name
        # every file a style sheet loads is served too, except fonts no current browser loads
        for url in re.findall(rb"url\(['\"]?([^'\")]+)", response.data):
            if url.startswith(b"data:"):
                continue
            relative = url.decode().split("?")[0].split("#")[0]
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), relative))
            if target.endswith((".eot", ".svg")):
                assert target not in diagram_assets.ASSETS
                continue
            font = client.get(f"/static/vendor/{target}")
            assert font.status_code == 200 and font.mimetype.startswith("font/"), (name, target)
    for page_assets in (diagram_assets.VIEWER, diagram_assets.BPMN_MODELER, diagram_assets.DMN_MODELER):
        assert set(page_assets) <= set(diagram_assets.ASSETS)


def test_only_listed_files_are_served(app):
    client = app.test_client()
    for path in ("bpmn-js/package.json", "../package.json", "bpmn-js/dist/bpmn-modeler.development.js",
                 "bpmn-modeler.js",  # the editor's modeler comes from its bundle (api/static/js/designer/dist)
                 "bpmn-font/font/bpmn.svg", "dmn/../../package-lock.json"):
        response = client.get(f"/static/vendor/{path}")
        assert response.status_code == 404, path
        assert response.get_json()["error"]["message"].startswith("没有组件文件")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_missing_viewer_answers_404_json(app, tmp_path):
    app.config["NODE_MODULES_DIR"] = str(tmp_path)
    for name in ("bpmn-viewer.js", "bpmn-font/css/bpmn.css", "dmn-modeler.js", "dmn/dmn-js-shared.css"):
        response = app.test_client().get(f"/static/vendor/{name}")
        assert response.status_code == 404
        assert response.get_json()["error"]["message"].startswith("流程图组件未安装")
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # never run as a script
    with app.app_context():
        assert not diagram_assets.installed() and not diagram_assets.viewer_installed()


def test_other_static_files_still_served(app):
    response = app.test_client().get("/static/js/diagram.js")
    assert response.status_code == 200
    assert b"BpmnJS" in response.data


def test_partial_keeps_designer_text_inert(app):
    evil = '</template><script>alert(1)</script><img src=x onerror=alert(2)>\'"&'
    xml = f'<?xml version="1.0"?>\n<bpmn:definitions><bpmn:process id="p" name="{evil}"/></bpmn:definitions>'
    diagram = {"diagrams": [{"process_id": "p", "name": f"流程{evil}", "file": "p.bpmn", "xml": xml,
                             "done": ["a'b", "</div>"], "current": ["c"]}]}
    with app.test_request_context("/"):
        page = render_template("_diagram.html", diagram=diagram)
    assert "<script>alert" not in page and "<img" not in page
    assert page.count("<template") == page.count("</template>") == 1
    # what the browser hands diagram.js: the XML and the id lists exactly as given
    template_text = re.search(r'<template id="bpmn-xml-1">(.*?)</template>', page, re.S).group(1)
    assert html.unescape(template_text) == xml
    done = re.search(r"data-done='([^']*)'", page).group(1)
    assert json.loads(html.unescape(done)) == ["a'b", "</div>"]
    assert 'data-xml-id="bpmn-xml-1"' in page
    assert "已完成" in page and "当前步骤" in page
    assert "/static/vendor/bpmn-viewer.js" in page and "/static/js/diagram.js" in page
    assert "/static/vendor/diagram-js.css" in page and "/static/vendor/bpmn-js.css" in page
