/* cppccProblems: the problems of the diagram the panel shows on the selected element: those
 * the server found (set by the page after 校验/部署) and bpmnlint's live ones (its
 * linting.completed event). Changes re-render the properties panel and fire
 * `cppcc.problems.changed` ({ lint: [{element, message, category}] }) for the page's list. */
function Problems(eventBus, translate) {
  var server = [];
  var lint = [];

  function changed() {
    eventBus.fire('propertiesPanel.providersChanged');
    eventBus.fire('cppcc.problems.changed', { lint: lint.slice() });
  }

  eventBus.on('linting.completed', function (event) {
    lint = [];
    Object.keys(event.issues || {}).forEach(function (id) {
      event.issues[id].forEach(function (issue) {
        lint.push({ element: issue.actualElementId || issue.id, message: translate(issue.message),
                    category: issue.category === 'error' ? 'error' : 'warning' });
      });
    });
    changed();
  });

  this.setServer = function (problems) {
    server = (problems || []).slice();
    changed();
  };

  this.lint = function () { return lint.slice(); };

  /* The problems of element `id`: the server's first, then the live lint's not said already. */
  this.forElement = function (id) {
    var found = server.filter(function (p) { return p.element === id; }).map(function (p) {
      return { message: p.message, category: p.level === 'warning' ? 'warning' : 'error', source: 'server' };
    });
    lint.forEach(function (p) {
      if (p.element === id && !found.some(function (f) { return f.message === p.message; })) {
        found.push({ message: p.message, category: p.category, source: 'lint' });
      }
    });
    return found;
  };
}
Problems.$inject = ['eventBus', 'translate'];

export default { __init__: ['cppccProblems'], cppccProblems: ['type', Problems] };
