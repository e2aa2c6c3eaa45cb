/* cppccProblems: the problems of the diagram the panel shows on the selected element: those
 * the server found (set by the page after 校验/部署) and bpmnlint's live ones (its
 * linting.completed event). Changes re-render the properties panel and fire
 * `cppcc.problems.changed` ({ lint: [{element, message, category}] }) for the page's list. */
import { restating } from 'bpmnlint-plugin-cppcc';

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
                    category: issue.category === 'error' ? 'error' : 'warning',
                    restates: restating.indexOf(issue.rule) !== -1 });
      });
    });
    changed();
  });

  this.setServer = function (problems) {
    server = (problems || []).slice();
    changed();
  };

  this.lint = function () { return lint.slice(); };

  /* The problems of element `id`: the server's first, then the live lint's not said already
   * (a rule restating an engine check is left out where the server reported the element). */
  this.forElement = function (id) {
    var found = server.filter(function (p) { return p.element === id; }).map(function (p) {
      return { message: p.message, category: p.level === 'warning' ? 'warning' : 'error', source: 'server' };
    });
    var engine = found.some(function (f) { return f.category === 'error'; });
    lint.forEach(function (p) {
      if (p.element === id && !(p.restates && engine) && !found.some(function (f) { return f.message === p.message; })) {
        found.push({ message: p.message, category: p.category, source: 'lint' });
      }
    });
    return found;
  };
}
Problems.$inject = ['eventBus', 'translate'];

export default { __init__: ['cppccProblems'], cppccProblems: ['type', Problems] };
