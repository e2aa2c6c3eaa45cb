/* Our properties provider for bpmn-js-properties-panel: the SpiffWorkflow properties the
 * engine reads, around the standard panel's groups (General, Documentation, Multi-instance,
 * Timer, ...), in this order:
 *
 *   问题 (the selected element's problems) · General · 办理设置 (user tasks) · the standard
 *   groups, the multi-instance group with our collection entries first · 条件 / 脚本 /
 *   决策表 / 调用流程 / 前置/后置脚本 · 其他扩展属性 · Documentation
 *
 * Every group gets the translate service, so the panel's own texts are Chinese too.
 * To add a property: a spec in task.js (user tasks) or behaviour.js (see docs/designer-editor.md).
 */
import { Group, ListGroup } from '@bpmn-io/properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { entries } from './entries.js';
import { TASK_FIELDS, taskSpecs } from './task.js';
import { loopSpecs } from './loop.js';
import { behaviourGroups, documentationSpec, timerValueSpec } from './behaviour.js';
import { propertiesGroup } from './properties.js';
import { problemsGroup } from './problems-group.js';

var LOW_PRIORITY = 500; // after the standard provider, so its groups are there to arrange

function SpiffPropertiesProvider(propertiesPanel, injector, translate, cppccProblems) {
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
  this._injector = injector;
  this._translate = translate;
  this._problems = cppccProblems;
}
SpiffPropertiesProvider.$inject = ['propertiesPanel', 'injector', 'translate', 'cppccProblems'];

SpiffPropertiesProvider.prototype.getGroups = function (element) {
  var injector = this._injector;
  var translate = this._translate;
  var problems = this._problems;
  return function (standard) {
    var byId = {};
    standard.forEach(function (g) { byId[g.id] = g; });
    var result = [];
    var problemGroup = problemsGroup(element, problems);
    if (problemGroup) result.push(problemGroup);
    if (byId.general) result.push(byId.general);
    if (is(element, 'bpmn:UserTask')) {
      result.push({ id: 'cppcc-task', label: '办理设置', component: Group, entries: entries(taskSpecs()) });
    }
    var multi = byId.multiInstance;
    if (multi && is(element.businessObject.loopCharacteristics, 'bpmn:MultiInstanceLoopCharacteristics')) {
      multi.entries = entries(loopSpecs(injector, element)).concat(multi.entries);
    }
    if (byId.timer) {
      byId.timer.entries = byId.timer.entries.map(function (entry) {
        return /timerEventDefinitionValue$/.test(entry.id) ? entries([timerValueSpec(entry)])[0] : entry;
      });
    }
    standard.forEach(function (g) {
      if (g.id !== 'general' && g.id !== 'documentation') result.push(g);
    });
    behaviourGroups(element).forEach(function (g) {
      result.push({ id: g.id, label: g.label, component: Group, entries: entries(g.specs) });
    });
    if (element.businessObject && element.businessObject.$instanceOf('bpmn:BaseElement') &&
        !is(element, 'bpmn:Collaboration') && !is(element, 'bpmn:Label')) {
      var own = is(element, 'bpmn:UserTask') ? TASK_FIELDS.map(function (f) { return f.key; }) : [];
      var list = propertiesGroup(element, injector, own);
      list.component = ListGroup;
      result.push(list);
    }
    if (byId.documentation && !is(element, 'bpmn:Participant')) {
      byId.documentation.entries = entries([documentationSpec()]);
      result.push(byId.documentation);
    } else if (byId.documentation) {
      result.push(byId.documentation);
    }
    result.forEach(function (g) { g.translate = translate; });
    return result;
  };
};

export default {
  __init__: ['cppccPropertiesProvider'],
  cppccPropertiesProvider: ['type', SpiffPropertiesProvider]
};
