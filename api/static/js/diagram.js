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
  var MAX_HEIGHT = 1400;

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
    el.style.height = '';
    setStatus(el, text, 'error');
  }

  /* Height that shows the whole diagram at the container's width, then fit. */
  function fit(el, viewer) {
    var canvas = viewer.get('canvas');
    var inner = canvas.viewbox().inner;
    if (inner && inner.width > 0) {
      var width = el.clientWidth || 800;
      var height = Math.round(width * (inner.height + 40) / (inner.width + 40));
      el.style.height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, height)) + 'px';
    }
    canvas.resized();
    canvas.zoom('fit-viewport', 'auto');
    if (inner && inner.width > 0) {  /* a little air around the drawing, centred */
      var pad = 20;
      var outer = canvas.viewbox().outer;
      var scale = Math.min(outer.width / (inner.width + 2 * pad), outer.height / (inner.height + 2 * pad));
      var width = outer.width / scale;
      var height = outer.height / scale;
      canvas.viewbox({ x: inner.x + inner.width / 2 - width / 2, y: inner.y + inner.height / 2 - height / 2,
                       width: width, height: height });
    }
  }

  function addMarkers(viewer, ids, marker) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    ids.forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, marker);
    });
  }

  function draw(el) {
    var xml = readXml(el.getAttribute('data-xml-id') || '');
    if (!xml) {
      unavailable(el, '流程图数据缺失');
      return;
    }
    var viewer = new window.BpmnJS({ container: el });
    setStatus(el, '流程图加载中…');
    viewer.importXML(xml).then(function () {
      setStatus(el, '');
      fit(el, viewer);
      addMarkers(viewer, readIds(el, 'data-done'), 'done');
      addMarkers(viewer, readIds(el, 'data-current'), 'current');
      var pending;
      window.addEventListener('resize', function () {
        clearTimeout(pending);
        pending = setTimeout(function () { fit(el, viewer); }, 150);
      });
    }).catch(function (err) {
      viewer.destroy();
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
