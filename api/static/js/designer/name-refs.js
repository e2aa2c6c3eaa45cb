/* Keeps SpiffWorkflow's multi-instance collections when bpmn-js reads and writes a diagram.
 *
 * Spiff names a process variable in <bpmn:loopDataInputRef>leads</bpmn:loopDataInputRef>
 * (and in loopDataOutputRef), where BPMN expects the id of an element. bpmn-moddle cannot
 * resolve such a name: it warns "unresolved reference <leads>" and leaves the property
 * empty, so the next export drops it and the saved diagram no longer runs.
 *
 * This bpmn-js module listens to import.parse.complete (after parsing, before drawing)
 * and, for every such warning, puts back a detached bpmn:ItemAwareElement whose id is the
 * variable's name. Moddle writes a reference as the id of its target, so the export says
 * <bpmn:loopDataInputRef>leads</bpmn:loopDataInputRef> again. The warnings it handled are
 * removed from the import result; any other warning is left for the page to show.
 *
 * window.CppccNameRefs: the module, for new BpmnJS({ additionalModules: [CppccNameRefs] }).
 * window.CppccNameRefs.nameRef(moddle, name): such a reference, for the properties panel;
 * window.CppccNameRefs.nameOf(loop, property): the name a loop's reference holds ('' if none).
 */
(function () {
  'use strict';

  var NAME_REFS = ['bpmn:loopDataInputRef', 'bpmn:loopDataOutputRef'];

  function nameRef(moddle, name) {
    return moddle.create('bpmn:ItemAwareElement', { id: name });
  }

  function KeepNameRefs(eventBus, moddle) {
    eventBus.on('import.parse.complete', function (event) {
      var warnings = event.warnings;
      if (event.error || !warnings) return;
      for (var i = warnings.length - 1; i >= 0; i--) {
        var w = warnings[i];
        if (w && w.element && NAME_REFS.indexOf(w.property) !== -1 && typeof w.value === 'string' &&
            /^unresolved reference/.test(w.message || '')) {
          w.element.set(w.property, nameRef(moddle, w.value));
          warnings.splice(i, 1);
        }
      }
    });
  }
  KeepNameRefs.$inject = ['eventBus', 'moddle'];

  var module = { __init__: ['cppccNameRefs'], cppccNameRefs: ['type', KeepNameRefs] };
  module.nameRef = nameRef;
  module.nameOf = function (loop, property) {
    var ref = loop && loop.get(property);
    return ref && ref.id ? ref.id : '';
  };
  window.CppccNameRefs = module;
}());
