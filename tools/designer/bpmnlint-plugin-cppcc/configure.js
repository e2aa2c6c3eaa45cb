/* configure(rules, settings): the resolved rules ({name: flag | [flag, config]}) with the
 * run-time settings ({name: config}) given to the rules that are switched on. The editor
 * and the deploy lint pass the same settings (the roles and forms of the running system). */
function configure(rules, settings) {
  var result = {};
  Object.keys(rules).forEach(function (name) {
    var value = rules[name];
    var flag = Array.isArray(value) ? value[0] : value;
    var on = flag && flag !== 'off' && flag !== 0;
    result[name] = on && settings && settings[name] ? [flag, settings[name]] : value;
  });
  return result;
}

module.exports = { configure: configure };
