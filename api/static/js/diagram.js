/* Draws a proposal's BPMN diagrams with the bpmn-js viewer (window.BpmnJS, from
 * /static/vendor/bpmn-viewer.js) and marks the steps done and the steps open.
 *
 * Markup (see templates/_diagram.html):
 *   <div class="bpmn-canvas" data-xml-id="bpmn-xml-1"
 *        data-done='["review", ...]' data-current='["assign"]'>
 *     <p class="bpmn-status">…</p>
 *   </div>
 *   <template id="bpmn-xml-1">…the BPMN XML, HTML-escaped…</template>
 * The XML may also sit in <script type="application/xml" id="…"> (raw), or with
 * data-encoding="base64" (UTF-8, base64).
 */
(function () {
  'use strict';

  var MIN_HEIGHT = 160;
  var MAX_HEIGHT = 1600;
  var MIN_SCALE = 0.6;  /* labels stay readable; narrower screens scroll sideways */
  var PAD = 20;

  function readXml(id) {
    var holder = document.getElementById(id);
    if (!holder) return null;
    if (holder.tagName === 'TEMPLATE') return holder.content.textContent;
    var text = holder.textContent;
    if (holder.getAttribute('data-encoding') === 'base64') {
      var binary = atob(text.replace(/\s+/g, ''));
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return new TextDecoder('utf-8').decode(bytes);
    }
    return text;
  }

  function readIds(el, name) {
    try {
      var ids = JSON.parse(el.getAttribute(name) || '[]');
      return Array.isArray(ids) ? ids.filter(function (id) { return typeof id === 'string'; }) : [];
    } catch (e) {
      return [];
    }
  }

  function setStatus(el, text, kind) {
    var status = el.querySelector('.bpmn-status');
    if (!status) {
      status = document.createElement('p');
      status.className = 'bpmn-status';
      el.appendChild(status);
    }
    status.textContent = text;
    status.className = 'bpmn-status' + (kind ? ' bpmn-status-' + kind : '');
    status.hidden = !text;
  }

  function unavailable(el, text) {
    el.classList.add('bpmn-unavailable');
    setStatus(el, text, 'error');
  }

  /* Size the stage so the whole diagram shows at the container's width, but never
   * smaller than MIN_SCALE (the canvas then scrolls sideways) nor larger than 1:1;
   * then centre the drawing with a little air around it. */
  function fit(el, stage, viewer) {
    var canvas = viewer.get('canvas');
    var inner = canvas.viewbox().inner;
    if (!inner || !(inner.width > 0)) {
      canvas.zoom('fit-viewport', 'auto');
      return;
    }
    var boxWidth = inner.width + 2 * PAD;
    var boxHeight = inner.height + 2 * PAD;
    var available = el.clientWidth || 800;
    var scale = Math.max(MIN_SCALE, Math.min(1, available / boxWidth));
    var height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.round(boxHeight * scale)));
    scale = Math.min(scale, height / boxHeight);
    stage.style.width = Math.max(available, Math.round(boxWidth * scale)) + 'px';
    stage.style.height = height + 'px';
    canvas.resized();
    var outer = canvas.viewbox().outer;
    var width = outer.width / scale;
    var tall = outer.height / scale;
    canvas.viewbox({ x: inner.x + inner.width / 2 - width / 2, y: inner.y + inner.height / 2 - tall / 2,
                     width: width, height: tall });
  }

  function addMarkers(viewer, ids, marker) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    ids.forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, marker);
    });
  }

  /* Leave out the bookkeeping steps (engine counters and the like): each one's incoming
   * flows are drawn on through its outgoing flow, and the step and that flow are hidden. */
  function hideSteps(viewer, ids) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    var graphics = viewer.get('graphicsFactory');
    ids.forEach(function (id) {
      var step = registry.get(id);
      if (!step || !step.outgoing || step.outgoing.length !== 1) return;
      var out = step.outgoing[0];
      (step.incoming || []).forEach(function (flow) {
        var points = flow.waypoints;
        var last = points[points.length - 1];
        var before = points[points.length - 2] || last;
        var next = out.waypoints[0];
        var joint = [];
        if (last.x !== next.x && last.y !== next.y) {  /* keep the lines square: carry on the way it came */
          joint = [before.y === last.y ? { x: next.x, y: last.y } : { x: last.x, y: next.y }];
        }
        flow.waypoints = flow.waypoints.concat(joint, out.waypoints.slice(1));
        graphics.update('connection', flow, registry.getGraphics(flow));
      });
      [step, out, step.label, out.label].forEach(function (part) {
        var gfx = part && registry.getGraphics(part.id);
        if (gfx) {
          canvas.addMarker(part.id, 'bpmn-hidden');
          gfx.style.display = 'none';
        }
      });
    });
  }

  function draw(el) {
    var xml = readXml(el.getAttribute('data-xml-id') || '');
    if (!xml) {
      unavailable(el, '流程图数据缺失');
      return;
    }
    var stage = document.createElement('div');
    stage.className = 'bpmn-stage';
    el.appendChild(stage);
    var viewer = new window.BpmnJS({ container: stage });
    setStatus(el, '流程图加载中…');
    viewer.importXML(xml).then(function () {
      setStatus(el, '');
      hideSteps(viewer, readIds(el, 'data-hidden'));
      fit(el, stage, viewer);
      addMarkers(viewer, readIds(el, 'data-done'), 'done');
      addMarkers(viewer, readIds(el, 'data-current'), 'current');
      var pending;
      window.addEventListener('resize', function () {
        clearTimeout(pending);
        pending = setTimeout(function () { fit(el, stage, viewer); }, 150);
      });
    }).catch(function (err) {
      viewer.destroy();
      el.removeChild(stage);
      unavailable(el, '流程图无法显示：' + (err && err.message ? err.message : err));
    });
  }

  function start() {
    var canvases = document.querySelectorAll('.bpmn-canvas[data-xml-id]');
    var installed = typeof window.BpmnJS === 'function';
    for (var i = 0; i < canvases.length; i++) {
      if (installed) {
        draw(canvases[i]);
      } else {
        unavailable(canvases[i], '流程图组件未安装');
      }
    }
    if (!installed) {  /* nothing is marked, so the legend would explain nothing */
      var legends = document.querySelectorAll('.bpmn-legend');
      for (var j = 0; j < legends.length; j++) legends[j].hidden = true;
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
