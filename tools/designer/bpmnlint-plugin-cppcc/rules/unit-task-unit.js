/* A task for a handling unit's role (unit_clerk, unit_head) says which unit (the `unit` expression). */
var spiff = require('./spiff');

module.exports = function () {
  function check(node, reporter) {
    if (!spiff.is(node, 'bpmn:UserTask')) return;
    var props = spiff.spiffProperties(node);
    if (spiff.isUnitRole(props.role) && !(props.unit || '').trim()) {
      reporter.report(node.id, '单位角色的任务缺少办理单位（unit）', ['unit']);
    }
  }

  return { check: check };
};
