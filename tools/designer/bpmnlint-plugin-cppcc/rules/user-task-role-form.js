/* Every user task names who does it (role) and what they fill in (form); with config
 * { roles, forms } the names must also be among those. */
var spiff = require('./spiff');

module.exports = function (config) {
  var roles = config && Array.isArray(config.roles) && config.roles.length ? config.roles.slice().sort() : null;
  var forms = config && Array.isArray(config.forms) && config.forms.length ? config.forms : null;

  function check(node, reporter) {
    if (!spiff.is(node, 'bpmn:UserTask')) return;
    var props = spiff.spiffProperties(node);
    var role = props.role || '';
    if (!role) {
      reporter.report(node.id, '用户任务缺少办理角色（role）', ['role']);
    } else if (roles && roles.indexOf(role) === -1) {
      reporter.report(node.id, '办理角色“' + role + '”无效（可选：' + roles.join(', ') + '）', ['role']);
    }
    var form = props.form || '';
    if (!form) {
      reporter.report(node.id, '用户任务缺少表单（form）', ['form']);
    } else if (forms && forms.indexOf(form) === -1) {
      reporter.report(node.id, '表单“' + form + '”不存在（forms/' + form + '.json）', ['form']);
    }
  }

  return { check: check };
};
