/* The designer's editor page: a .bpmn file in the bpmn-js Modeler with the standard properties
 * panel and live bpmnlint (dist/designer.bundle.js, built by bin/setup), or a .dmn file in the
 * dmn-js Modeler; 校验, 部署, 下载, undo/redo, the list of problems the server found and the
 * list of live lint issues, each selectable in the canvas.
 *
 * Markup (templates/designer/editor.html): .designer-editor[data-kind][data-csrf],
 * #designer-canvas, #designer-panel (bpmn), #dmn-views (dmn), #designer-problems, #lint-issues,
 * <template id="designer-xml"> (the XML, HTML-escaped), and
 * <script type="application/json" id="designer-config"> with name, kind, base (the
 * version the file was opened on), URLs and the panel's choices.
 *
 * window.cppccDesigner (for tests and the console): {modeler, xml(), validate(), deploy(note),
 * problems, lint, select(id)}.
 */
(function () {
  'use strict';

  var root = document.querySelector('.designer-editor');
  if (!root) return;
  var config = JSON.parse(document.getElementById('designer-config').textContent);
  var initialXml = document.getElementById('designer-xml').content.textContent;
  var csrf = root.getAttribute('data-csrf');
  var canvasEl = document.getElementById('designer-canvas');
  var statusEl = document.getElementById('designer-status');
  var dirtyEl = document.getElementById('designer-dirty');
  var problemsCard = document.getElementById('problems-card');
  var problemsList = document.getElementById('designer-problems');
  var api = { modeler: null, problems: [], lint: [], ready: false };
  var marked = [];
  window.cppccDesigner = api;

  function status(text, kind) {
    statusEl.textContent = '';
    statusEl.className = 'designer-status' + (kind ? ' ' + kind : '');
    if (text instanceof Node) statusEl.appendChild(text); else statusEl.textContent = text || '';
  }

  function setDirty(dirty) {
    api.dirty = dirty;
    dirtyEl.hidden = !dirty;
  }

  function changed(event) {
    if (!event || event.trigger !== 'clear') setDirty(true);
  }

  function buttons(enabled) {
    ['btn-validate', 'btn-deploy', 'btn-download', 'btn-undo', 'btn-redo'].forEach(function (id) {
      document.getElementById(id).disabled = !enabled;
    });
  }

  function baseName(file) {
    return String(file || '').split('/').pop();
  }

  /* ---------- the modelers ---------- */

  function startBpmn() {
    if (!window.CppccBpmnEditor) return Promise.reject(new Error('流程图组件未安装：请运行 bin/setup（需要 npm）'));
    api.modeler = window.CppccBpmnEditor.create({ container: canvasEl, panel: document.getElementById('designer-panel'),
                                                  config: config });
    var eventBus = api.modeler.get('eventBus');
    eventBus.on('commandStack.changed', changed);
    eventBus.on('cppcc.problems.changed', function (event) { showLint(event.lint); });
    return api.modeler.importXML(initialXml).then(function (result) {
      api.modeler.get('canvas').zoom('fit-viewport', 'auto');
      return result.warnings;
    });
  }

  function startDmn() {
    if (typeof window.DmnJS !== 'function') return Promise.reject(new Error('决策表组件未安装：请运行 bin/setup（需要 npm）'));
    var chinese = { additionalModules: [window.CppccTranslateZh] };
    api.modeler = new window.DmnJS({ container: canvasEl, drd: chinese, decisionTable: chinese,
                                     literalExpression: chinese, boxedExpression: chinese });
    if (window.CppccDmnZh) window.CppccDmnZh.watch(canvasEl);
    var watched = [];
    api.modeler.on('views.changed', function () {
      renderViews();
      var viewer = api.modeler.getActiveViewer();
      if (viewer && watched.indexOf(viewer) === -1) {
        watched.push(viewer);
        viewer.get('eventBus').on('commandStack.changed', changed);
      }
    });
    return api.modeler.importXML(initialXml).then(function (result) {
      var table = api.modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
      if (table) return api.modeler.open(table).then(function () { return result.warnings; });
      return result.warnings;
    });
  }

  function viewLabel(view) {
    if (view.type === 'drd') return '决策需求图';
    var kinds = { decisionTable: '决策表', literalExpression: '字面表达式', boxedExpression: '表达式' };
    return (view.element.name || view.element.id) + '（' + (kinds[view.type] || view.type) + '）';
  }

  function renderViews() {
    var nav = document.getElementById('dmn-views');
    if (!nav || !api.modeler) return;
    var active = api.modeler.getActiveView();
    nav.textContent = '';
    api.modeler.getViews().forEach(function (view) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = viewLabel(view);
      b.className = 'dmn-view' + (active && active.element === view.element ? ' active' : '');
      b.addEventListener('click', function () { api.modeler.open(view); });
      nav.appendChild(b);
    });
  }

  function exportXml() {
    return api.modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  }
  api.xml = exportXml;

  function commandStack() {
    if (config.kind === 'bpmn') return api.modeler.get('commandStack');
    var viewer = api.modeler.getActiveViewer();
    return viewer ? viewer.get('commandStack') : null;
  }

  /* ---------- problems ---------- */

  function clearMarks() {
    if (config.kind === 'bpmn' && api.modeler) {
      var canvas = api.modeler.get('canvas');
      var registry = api.modeler.get('elementRegistry');
      marked.forEach(function (id) { if (registry.get(id)) canvas.removeMarker(id, 'cppcc-problem'); });
    }
    marked = [];
    Array.prototype.forEach.call(canvasEl.querySelectorAll('.cppcc-problem'), function (node) {
      node.classList.remove('cppcc-problem');
    });
  }

  function showProblems(problems) {
    api.problems = problems || [];
    clearMarks();
    problemsList.textContent = '';
    problemsCard.hidden = !api.problems.length;
    document.getElementById('problems-count').textContent = api.problems.length ? '（' + api.problems.length + ' 处）' : '';
    var registry = config.kind === 'bpmn' ? api.modeler.get('elementRegistry') : null;
    api.problems.forEach(function (p) {
      var here = baseName(p.file) === config.name;
      var li = document.createElement('li');
      li.className = 'problem' + (p.level === 'warning' ? ' warning' : '');
      li.setAttribute('data-element', p.element || '');
      li.setAttribute('data-file', baseName(p.file));
      var where = document.createElement('span');
      where.className = 'problem-where';
      where.appendChild(document.createTextNode(baseName(p.file) || '—'));
      if (p.element) {
        var code = document.createElement('code');
        code.textContent = p.element;
        where.appendChild(document.createTextNode(' '));
        where.appendChild(code);
      }
      li.appendChild(where);
      var msg = document.createElement('span');
      msg.className = 'problem-message';
      msg.textContent = (p.level === 'warning' && p.message.indexOf('提示') !== 0 ? '提示：' : '') + p.message;
      li.appendChild(msg);
      if (p.element && here && (registry ? registry.get(p.element) : findDmn(p.element))) {
        var go = document.createElement('button');
        go.type = 'button';
        go.className = 'link-button problem-select';
        go.textContent = '定位';
        go.addEventListener('click', function () { select(p.element); });
        li.appendChild(go);
        li.classList.add('selectable');
        if (registry) {
          api.modeler.get('canvas').addMarker(p.element, 'cppcc-problem');
          marked.push(p.element);
        }
      } else if (p.element && !here && config.files.indexOf(baseName(p.file)) !== -1) {
        var link = document.createElement('a');
        link.href = config.editUrl.replace('__name__', encodeURIComponent(baseName(p.file))) +
          '?select=' + encodeURIComponent(p.element);
        link.textContent = '打开该文件';
        link.className = 'problem-open';
        li.appendChild(link);
      } else if (p.element && here) {
        var none = document.createElement('span');
        none.className = 'muted';
        none.textContent = '（图中没有可显示的该元素）';
        li.appendChild(none);
      }
      problemsList.appendChild(li);
    });
    if (config.kind === 'bpmn') {
      api.modeler.get('cppccProblems').setServer(api.problems.filter(function (p) { return baseName(p.file) === config.name; }));
    }
  }
  api.showProblems = showProblems;

  /* The live bpmnlint issues of the diagram being edited (bpmn only), each selectable. */
  function showLint(issues) {
    api.lint = issues || [];
    var card = document.getElementById('lint-card');
    var list = document.getElementById('lint-issues');
    if (!card || !list) return;
    var registry = api.modeler.get('elementRegistry');
    list.textContent = '';
    card.hidden = !api.lint.length;
    var errors = api.lint.filter(function (i) { return i.category === 'error'; }).length;
    document.getElementById('lint-count').textContent = api.lint.length
      ? '（' + errors + ' 个错误，' + (api.lint.length - errors) + ' 个提示）' : '';
    api.lint.forEach(function (issue) {
      var li = document.createElement('li');
      li.className = 'problem ' + (issue.category === 'error' ? 'error' : 'warning');
      li.setAttribute('data-element', issue.element || '');
      var where = document.createElement('span');
      where.className = 'problem-where';
      var element = issue.element && registry.get(issue.element);
      var label = element && element.businessObject && element.businessObject.name;
      where.textContent = (issue.category === 'error' ? '错误 ' : '提示 ') + (label || '');
      if (issue.element) {
        var code = document.createElement('code');
        code.textContent = issue.element;
        where.appendChild(document.createTextNode(' '));
        where.appendChild(code);
      }
      li.appendChild(where);
      var msg = document.createElement('span');
      msg.className = 'problem-message';
      msg.textContent = issue.message;
      li.appendChild(msg);
      if (element) {
        var go = document.createElement('button');
        go.type = 'button';
        go.className = 'link-button problem-select';
        go.textContent = '定位';
        go.addEventListener('click', function () { select(issue.element); });
        li.appendChild(go);
      }
      list.appendChild(li);
    });
  }

  /* The DMN view that holds element `id` and the element itself (a moddle object), or null. */
  function findDmn(id) {
    var views = api.modeler.getViews();
    for (var i = 0; i < views.length; i++) {
      if (views[i].type === 'drd') continue;
      var found = search(views[i].element, id, 0);
      if (found) return { view: views[i], element: found };
    }
    return null;
  }

  function search(node, id, depth) {
    if (!node || typeof node !== 'object' || depth > 12) return null;
    if (node.id === id) return node;
    var keys = Object.keys(node);
    for (var i = 0; i < keys.length; i++) {
      if (keys[i].charAt(0) === '$') continue;
      var value = node[keys[i]];
      var list = Array.isArray(value) ? value : [value];
      for (var j = 0; j < list.length; j++) {
        if (list[j] && typeof list[j] === 'object' && list[j].$type) {
          var found = search(list[j], id, depth + 1);
          if (found) return found;
        }
      }
    }
    return null;
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\\]]/g, '\\$&');
  }

  /* Select and show element `id`: in bpmn-js select and scroll to it; in dmn-js open its table
   * and mark its cell (or the nearest enclosing row or column). Returns whether it was found. */
  function select(id) {
    if (config.kind === 'bpmn') {
      var registry = api.modeler.get('elementRegistry');
      var element = registry.get(id);
      if (!element) return false;
      api.modeler.get('selection').select(element);
      var canvas = api.modeler.get('canvas');
      if (element.waypoints || element.x !== undefined) canvas.scrollToElement(element, { top: 120, bottom: 120, left: 200, right: 200 });
      return true;
    }
    var hit = findDmn(id);
    if (!hit) return false;
    var open = api.modeler.getActiveView() && api.modeler.getActiveView().element === hit.view.element
      ? Promise.resolve() : api.modeler.open(hit.view);
    open.then(function () {
      var node = hit.element;
      var cell = null;
      while (node && !cell) {
        var sel = cssEscape(node.id || '');
        cell = node.id && (canvasEl.querySelector('[data-element-id="' + sel + '"]') ||
          canvasEl.querySelector('[data-row-id="' + sel + '"]') || canvasEl.querySelector('[data-col-id="' + sel + '"]'));
        node = node.$parent;
      }
      if (cell) {
        cell.classList.add('cppcc-problem');
        cell.scrollIntoView({ block: 'center', inline: 'center' });
      }
    });
    return true;
  }
  api.select = select;

  /* ---------- talking to the server ---------- */

  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      var type = response.headers.get('Content-Type') || '';
      if (type.indexOf('application/json') === -1) {
        var expired = response.redirected || response.status === 400;
        throw new Error(expired ? '登录已过期或页面已失效，请刷新页面（修改会丢失，可先下载）' : '服务器出错（' + response.status + '）');
      }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function run(label, work) {
    buttons(false);
    status(label + '…', 'busy');
    return work().catch(function (err) {
      status(label + '失败：' + (err && err.message ? err.message : err), 'error');
      return { failed: true };
    }).then(function (result) {
      buttons(true);
      return result;
    });
  }

  function errorCount(problems) {
    return problems.filter(function (p) { return p.level !== 'warning'; }).length;
  }

  function noted(warnings) {
    return warnings && warnings.length ? '（另有 ' + warnings.length + ' 条提示，见下方列表）' : '';
  }

  function validate() {
    return run('校验中', function () {
      return exportXml().then(function (xml) {
        return post(config.validateUrl, { name: config.name, xml: xml });
      }).then(function (r) {
        showProblems((r.data.problems || []).concat(r.data.warnings || []));
        if (r.data.ok) status(r.data.message + noted(r.data.warnings), 'ok');
        else if (r.data.problems) status('校验未通过：共 ' + errorCount(r.data.problems) + ' 处问题，见下方列表', 'error');
        else status(r.data.message, 'error');
        return r.data;
      });
    });
  }
  api.validate = validate;

  function deploy(note) {
    return run('部署中', function () {
      return exportXml().then(function (xml) {
        return post(config.deployUrl, { name: config.name, xml: xml, note: note, base: config.base });
      }).then(function (r) {
        showProblems((r.data.problems || []).concat(r.data.warnings || []));
        if (r.data.ok && r.data.deployed) {
          config.base = r.data.hash;
          config.origin = 'current';
          if (config.files.indexOf(config.name) === -1) config.files.push(config.name);
          setDirty(false);
          var text = document.createElement('span');
          text.appendChild(document.createTextNode(r.data.message + noted(r.data.warnings) + ' '));
          var a = document.createElement('a');
          a.href = r.data.versions_url;
          a.textContent = '查看流程版本';
          text.appendChild(a);
          status(text, 'ok');
          document.getElementById('deploy-note').value = '';
          var origin = document.getElementById('designer-origin');
          origin.textContent = '当前版本 ';
          var code = document.createElement('code');
          code.className = 'version-hash';
          code.textContent = r.data.hash;
          origin.appendChild(code);
          origin.appendChild(document.createTextNode(' 中的文件（刚刚部署）'));
          if (window.history && history.replaceState) {
            history.replaceState(null, '', config.editUrl.replace('__name__', encodeURIComponent(config.name)));
          }
        } else if (r.data.ok) {
          status(r.data.message, 'ok');
        } else if (r.data.problems) {
          status('部署被拒绝：共 ' + errorCount(r.data.problems) + ' 处问题，未作任何改动', 'error');
        } else {
          status('部署被拒绝：' + r.data.message, 'error');
        }
        return r.data;
      });
    });
  }
  api.deploy = deploy;

  function download() {
    return exportXml().then(function (xml) {
      var blob = new Blob([xml], { type: 'application/xml' });
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = config.name;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (err) { status('下载失败：' + err.message, 'error'); });
  }

  /* ---------- wiring ---------- */

  document.getElementById('btn-validate').addEventListener('click', validate);
  document.getElementById('btn-deploy').addEventListener('click', function () {
    deploy(document.getElementById('deploy-note').value);
  });
  document.getElementById('btn-download').addEventListener('click', download);
  document.getElementById('btn-undo').addEventListener('click', function () { var s = commandStack(); if (s) s.undo(); });
  document.getElementById('btn-redo').addEventListener('click', function () { var s = commandStack(); if (s) s.redo(); });
  window.addEventListener('beforeunload', function (event) {
    if (api.dirty) { event.preventDefault(); event.returnValue = ''; }
  });

  buttons(false);
  status('编辑器加载中…', 'busy');
  (config.kind === 'bpmn' ? startBpmn() : startDmn()).then(function (warnings) {
    buttons(true);
    setDirty(config.origin !== 'current');
    api.importWarnings = (warnings || []).map(function (w) { return w.message; });
    if (api.importWarnings.length) {
      status('文件已打开，但有 ' + api.importWarnings.length + ' 条导入提示：' + api.importWarnings.slice(0, 3).join('；'), 'error');
    } else {
      status('');
    }
    var wanted = new URLSearchParams(window.location.search).get('select');
    if (wanted) select(wanted);
    api.ready = true;
  }).catch(function (err) {
    status('无法打开文件：' + (err && err.message ? err.message : err), 'error');
    root.classList.add('designer-failed');
    api.ready = true;
    api.failed = true;
  });
}());
