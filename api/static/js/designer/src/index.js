/* The designer's BPMN editor, bundled by tools/designer/build.mjs into dist/designer.bundle.js:
 * bpmn-js's modeler with the standard properties panel (bpmn-js-properties-panel) and our
 * provider of the SpiffWorkflow properties, live bpmnlint (bpmn-js-bpmnlint, the rules of
 * .bpmnlintrc), spiff's name-based multi-instance collections, and Chinese for everything.
 *
 * window.CppccBpmnEditor.create({ container, panel, config }) -> the modeler, where config is
 * the page's (roles, forms, stages, notify as [{code, label}]). The modeler's `cppccProblems`
 * service holds the problems the panel shows for the selected element. Also exported:
 * Modeler (bpmn-js's, for tests), nameRefs (the name-ref module), descriptor (the moddle extension).
 */
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import LintModule from 'bpmn-js-bpmnlint';
import lintConfig from 'cppcc:bpmnlint-config';
import { configure } from 'bpmnlint-plugin-cppcc/configure';
import descriptor from '../spiffworkflow.json';
import NameRefsModule from './name-refs.js';
import TranslateModule from './translate.js';
import SpiffProviderModule from './provider/index.js';
import ProblemsModule from './problems.js';
import './vendor.css';

/* The groups open when an element is first shown (the panel remembers what the designer opens or closes). */
var OPEN = {};
['cppcc-problems', 'general', 'cppcc-task', 'multiInstance', 'timer', 'cppcc-condition-group', 'cppcc-script-group',
 'cppcc-decision-group', 'cppcc-call-group', 'cppcc-properties'].forEach(function (id) { OPEN[id] = { open: true }; });

function lintSettings(config) {
  var codes = function (list) { return (list || []).map(function (o) { return o.code; }); };
  return { 'cppcc/user-task-role-form': { roles: codes(config.roles), forms: codes(config.forms) } };
}

function create(options) {
  var config = options.config || {};
  return new Modeler({
    container: options.container,
    moddleExtensions: { spiffworkflow: descriptor },
    propertiesPanel: { parent: options.panel, layout: { groups: OPEN } },
    linting: {
      active: true,
      bpmnlint: { resolver: lintConfig.resolver, config: { rules: configure(lintConfig.config.rules, lintSettings(config)) } }
    },
    cppcc: config,
    additionalModules: [TranslateModule, NameRefsModule, BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
                        SpiffProviderModule, ProblemsModule, LintModule]
  });
}

window.CppccBpmnEditor = { create: create, Modeler: Modeler, nameRefs: NameRefsModule, descriptor: descriptor };
