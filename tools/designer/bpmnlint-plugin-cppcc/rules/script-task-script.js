/* A script task has a script. */
var spiff = require('./spiff');

module.exports = function () {
  function check(node, reporter) {
    if (spiff.is(node, 'bpmn:ScriptTask') && !(node.script || '').trim()) {
      reporter.report(node.id, '脚本任务没有脚本', ['script']);
    }
  }

  return { check: check };
};
