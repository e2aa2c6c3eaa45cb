/* What an element does beyond its properties: a sequence flow's condition, a script task's
 * script, any task's pre- and post-scripts (spiffworkflow:preScript / postScript), a
 * business rule task's decision (spiffworkflow:calledDecisionId), a call activity's called
 * process, and a timer's expression (replacing the standard value entry, whose help speaks
 * of literal ISO 8601 values: SpiffWorkflow evaluates an expression). All are Python
 * expressions or scripts that the engine checks at deploy. */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { bodyValue, setBody, setBusinessProperties } from './util.js';

function conditionSpec() {
  return {
    id: 'cppcc-condition', label: '条件表达式', multiline: true,
    description: '为真时走这条顺序流，例如 decision == "accept"',
    get: function (element) {
      var cond = getBusinessObject(element).get('conditionExpression');
      return cond ? cond.get('body') : '';
    },
    set: function (injector, element, value) {
      var bo = getBusinessObject(element);
      var cond = bo.get('conditionExpression');
      if (!value) {
        setBusinessProperties(injector, element, { conditionExpression: undefined });
      } else if (cond) {
        injector.get('commandStack').execute('element.updateModdleProperties',
          { element: element, moddleElement: cond, properties: { body: value } });
      } else {
        cond = injector.get('bpmnFactory').create('bpmn:FormalExpression', { body: value });
        cond.$parent = bo;
        setBusinessProperties(injector, element, { conditionExpression: cond });
      }
    }
  };
}

function attrSpec(id, attr, label, description, multiline) {
  return {
    id: id, label: label, description: description, multiline: multiline,
    get: function (element) { return getBusinessObject(element).get(attr) || ''; },
    set: function (injector, element, value) {
      var change = {};
      change[attr] = value || undefined;
      setBusinessProperties(injector, element, change);
    }
  };
}

function bodySpec(id, type, label, description, multiline) {
  return {
    id: id, label: label, description: description, multiline: multiline,
    get: function (element) { return bodyValue(element, type); },
    set: function (injector, element, value) { setBody(injector, element, type, value); }
  };
}

function hasCondition(element) {
  var bo = getBusinessObject(element);
  return is(element, 'bpmn:SequenceFlow') &&
    (bo.get('conditionExpression') || is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'));
}

/* [{id, label, specs}] of the behaviour groups that apply to `element`. */
export function behaviourGroups(element) {
  var groups = [];
  if (hasCondition(element)) groups.push({ id: 'cppcc-condition-group', label: '条件', specs: [conditionSpec()] });
  if (is(element, 'bpmn:ScriptTask')) {
    groups.push({ id: 'cppcc-script-group', label: '脚本', specs: [
      attrSpec('cppcc-script', 'script', '脚本（Python）', '在受限环境中执行，可读写流程变量', true)] });
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    groups.push({ id: 'cppcc-decision-group', label: '决策表', specs: [
      bodySpec('cppcc-decision', 'spiffworkflow:CalledDecisionId', '决策表 ID', '决策表文件（.dmn）中决策的标识（ID），例如 approval_chain')] });
  }
  if (is(element, 'bpmn:CallActivity')) {
    groups.push({ id: 'cppcc-call-group', label: '调用流程', specs: [
      attrSpec('cppcc-called-element', 'calledElement', '调用的流程 ID', '本版本中另一流程的标识（ID），例如 extension')] });
  }
  if (is(element, 'bpmn:Activity')) {
    groups.push({ id: 'cppcc-scripts-group', label: '前置/后置脚本', specs: [
      bodySpec('cppcc-pre-script', 'spiffworkflow:PreScript', '前置脚本', '任务开始前执行（Python）', true),
      bodySpec('cppcc-post-script', 'spiffworkflow:PostScript', '后置脚本', '任务完成后执行（Python）', true)] });
  }
  return groups;
}

var TIMER_HINTS = {
  timeDate: '表达式，结果为 ISO 8601 时间点，例如 due_date(accept_rule, assigned_on)',
  timeDuration: '表达式，结果为 ISO 8601 时长，例如 "P14D"（14 天）或 "PT2H"（2 小时）',
  timeCycle: '表达式，结果为 ISO 8601 重复周期，例如 "R3/P1D"（每天一次，共 3 次）'
};

/* The timer value: the standard entry's props (timerEventDefinition, its type) with our text. */
export function timerValueSpec(entry) {
  var definition = entry.timerEventDefinition;
  var kind = entry.timerEventDefinitionType;
  return {
    id: 'cppcc-timer-value', label: '定时表达式', description: TIMER_HINTS[kind], multiline: true,
    get: function () { var expr = definition.get(kind); return expr ? expr.get('body') : ''; },
    set: function (injector, element, value) {
      var expr = definition.get(kind);
      var commandStack = injector.get('commandStack');
      if (expr) {
        commandStack.execute('element.updateModdleProperties', { element: element, moddleElement: expr, properties: { body: value } });
      } else {
        expr = injector.get('bpmnFactory').create('bpmn:FormalExpression', { body: value });
        expr.$parent = definition;
        var change = {};
        change[kind] = expr;
        commandStack.execute('element.updateModdleProperties', { element: element, moddleElement: definition, properties: change });
      }
    }
  };
}

/* The element's documentation (bpmn:documentation), in place of the standard entry, whose
 * pop-up button has an untranslatable title. */
export function documentationSpec() {
  function current(element) {
    return (getBusinessObject(element).get('documentation') || []).filter(function (d) {
      return (d.get('textFormat') || 'text/plain') === 'text/plain';
    })[0];
  }
  return {
    id: 'documentation', label: '元素说明', multiline: true, monospace: false,
    description: '给设计员看的说明，不影响办理',
    get: function (element) { var doc = current(element); return doc ? doc.get('text') : ''; },
    set: function (injector, element, value) {
      var bo = getBusinessObject(element);
      var doc = current(element);
      var commandStack = injector.get('commandStack');
      var all = bo.get('documentation') || [];
      if (doc && value) {
        commandStack.execute('element.updateModdleProperties', { element: element, moddleElement: doc, properties: { text: value } });
      } else if (doc) {
        setBusinessProperties(injector, element, { documentation: all.filter(function (d) { return d !== doc; }) });
      } else if (value) {
        doc = injector.get('bpmnFactory').create('bpmn:Documentation', { text: value });
        doc.$parent = bo;
        setBusinessProperties(injector, element, { documentation: all.concat([doc]) });
      }
    }
  };
}
