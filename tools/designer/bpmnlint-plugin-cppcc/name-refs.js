/* SpiffWorkflow names a process variable in <bpmn:loopDataInputRef>leads</bpmn:loopDataInputRef>
 * (and in loopDataOutputRef), where BPMN expects the id of an element. bpmn-moddle cannot
 * resolve such a name: it warns "unresolved reference <leads>" and leaves the property
 * empty, so an export would drop it and a lint rule would miss it.
 *
 * restore(warnings, moddle) puts back, for every such warning of moddle.fromXML, a detached
 * bpmn:ItemAwareElement whose id is the variable's name (moddle writes a reference as the
 * id of its target, so the export says <bpmn:loopDataInputRef>leads</...> again) and removes
 * the warnings it handled; others stay. Used by the editor (on import) and by the deploy lint.
 * nameRef(moddle, name): such a reference; nameOf(loop, property): the name it holds ('' if none).
 */
var NAME_REFS = ['bpmn:loopDataInputRef', 'bpmn:loopDataOutputRef'];

function nameRef(moddle, name) {
  return moddle.create('bpmn:ItemAwareElement', { id: name });
}

function restore(warnings, moddle) {
  for (var i = (warnings || []).length - 1; i >= 0; i--) {
    var w = warnings[i];
    if (w && w.element && NAME_REFS.indexOf(w.property) !== -1 && typeof w.value === 'string' &&
        /^unresolved reference/.test(w.message || '')) {
      w.element.set(w.property, nameRef(moddle, w.value));
      warnings.splice(i, 1);
    }
  }
  return warnings;
}

function nameOf(loop, property) {
  var ref = loop && loop.get(property);
  return ref && ref.id ? ref.id : '';
}

module.exports = { restore: restore, nameRef: nameRef, nameOf: nameOf };
