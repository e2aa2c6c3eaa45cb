/* A bpmn-js module that keeps SpiffWorkflow's multi-instance collections (variable names in
 * loopDataInputRef / loopDataOutputRef) through import and export: on import.parse.complete
 * (after parsing, before drawing) it restores them and drops the warnings it handled; any
 * other warning is left for the page to show. The logic is shared with the deploy lint. */
import { restore, nameRef, nameOf } from 'bpmnlint-plugin-cppcc/name-refs';

function KeepNameRefs(eventBus, moddle) {
  eventBus.on('import.parse.complete', function (event) {
    if (!event.error && event.warnings) restore(event.warnings, moddle);
  });
}
KeepNameRefs.$inject = ['eventBus', 'moddle'];

export { nameRef, nameOf };
export default { __init__: ['cppccNameRefs'], cppccNameRefs: ['type', KeepNameRefs] };
