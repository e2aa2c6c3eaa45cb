/* Every user task names who does it (role) and what they fill in (form); with config
 * { roles, forms } the names must also be among those. Messages as the engine words them. */
var spiff = require('./spiff');

module.exports = function (config) {
  var roles = config && Array.isArray(config.roles) && config.roles.length ? config.roles.slice().sort() : null;
  var forms = config && Array.isArray(config.forms) && config.forms.length ? config.forms : null;

  function check(node, reporter) {
    if (!spiff.is(node, 'bpmn:UserTask')) return;
    var props = spiff.spiffProperties(node);
    var role = props.role || '';
    if (!role || (roles && roles.indexOf(role) === -1)) {
      reporter.report(node.id, '用户任务的 role 属性缺失或无效' + (roles ? '（可选：' + roles.join(', ') + '）' : ''), ['role']);
    }
    var form = props.form || '';
    if (!form) {
      reporter.report(node.id, '用户任务缺少 form 属性', ['form']);
    } else if (forms && forms.indexOf(form) === -1) {
      reporter.report(node.id, '表单 forms/' + form + '.json 不存在', ['form']);
    }
  }

  return { check: check };
};
