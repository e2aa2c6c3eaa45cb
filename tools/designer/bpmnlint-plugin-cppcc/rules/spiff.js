/* Reading SpiffWorkflow's extensions from a bpmn-moddle element (no dependencies, so the
 * plugin works the same in the browser bundle and in Node). */

function is(node, type) {
  return !!node && typeof node.$instanceOf === 'function' && node.$instanceOf(type);
}

/* The element's spiffworkflow:property entries as {name: value}. */
function spiffProperties(node) {
  var found = {};
  var ext = node && node.extensionElements;
  (ext && ext.values || []).forEach(function (value) {
    if (is(value, 'spiffworkflow:Properties')) {
      (value.values || []).forEach(function (p) { if (p.name) found[p.name] = p.value; });
    }
  });
  return found;
}

/* Roles whose tasks go to a handling unit: the engine's convention (engine/definitions/bundle.py). */
function isUnitRole(role) {
  return typeof role === 'string' && role.indexOf('unit_') === 0;
}

module.exports = { is: is, spiffProperties: spiffProperties, isUnitRole: isUnitRole };
