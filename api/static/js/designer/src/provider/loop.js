/* 多实例: a multi-instance activity's collection (loopDataInputRef, a variable NAME in
 * SpiffWorkflow, see name-refs.js), element variable (inputDataItem), result collection
 * (loopDataOutputRef) and result variable (outputDataItem), before the standard panel's
 * loop cardinality and completion condition. */
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';
import { nameRef, nameOf } from '../name-refs.js';
import { NAME, idTaken } from './util.js';

var NAME_RULE = '变量名只能由字母、数字和下划线组成，且不以数字开头';

function loopOf(element) {
  return getBusinessObject(element).get('loopCharacteristics');
}

function setLoop(injector, element, properties) {
  injector.get('commandStack').execute('element.updateModdleProperties',
    { element: element, moddleElement: loopOf(element), properties: properties });
}

function refSpec(id, property, label, description) {
  return {
    id: id, label: label, description: description,
    get: function (element) { return nameOf(loopOf(element), property); },
    validate: function (value) { return !value || NAME.test(value) ? null : NAME_RULE; },
    set: function (injector, element, value) {
      var change = {};
      change[property] = value ? nameRef(injector.get('moddle'), value) : undefined;
      setLoop(injector, element, change);
    }
  };
}

/* The element (or result) variable: a bpmn:DataInput / DataOutput whose id (and name) is the
 * variable; its id must be unique in the file like every id. */
function itemSpec(id, property, type, label, description, injectorRef) {
  return {
    id: id, label: label, description: description,
    get: function (element) { var item = loopOf(element).get(property); return item ? item.id : ''; },
    validate: function (value) {
      if (!value) return null;
      if (!NAME.test(value)) return NAME_RULE;
      var item = injectorRef.element && loopOf(injectorRef.element).get(property);
      if (injectorRef.injector && idTaken(injectorRef.injector, value, item)) {
        return value + ' 已被文件中其他元素用作 ID（元素变量也是 XML 中的 ID，须在文件内唯一）';
      }
      return null;
    },
    set: function (injector, element, value) {
      var loop = loopOf(element);
      var current = loop.get(property);
      if (current && current.id === value) return;
      var change = {};
      if (value) {
        var item = injector.get('moddle').create(type, { id: value, name: value });
        item.$parent = loop;
        change[property] = item;
      } else {
        change[property] = undefined;
      }
      setLoop(injector, element, change);
    }
  };
}

export function loopSpecs(injector, element) {
  var ref = { injector: injector, element: element };
  return [
    refSpec('cppcc-loop-input', 'loopDataInputRef', '集合变量（loopDataInputRef）', '按其中每一项各办一次，例如 assisting_units'),
    itemSpec('cppcc-loop-item', 'inputDataItem', 'bpmn:DataInput', '元素变量（inputDataItem）',
             '每一项在任务中的变量名，文件内唯一', ref),
    refSpec('cppcc-loop-output', 'loopDataOutputRef', '结果集合（loopDataOutputRef）', '收集每一项结果的变量，例如 opinions'),
    itemSpec('cppcc-loop-output-item', 'outputDataItem', 'bpmn:DataOutput', '结果变量（outputDataItem）',
             '每一项结果在任务中的变量名', ref)
  ];
}
