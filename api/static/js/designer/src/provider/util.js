/* Reading and changing SpiffWorkflow's extension elements of a diagram element. Every
 * change is ONE command on bpmn-js's command stack (so one undo step each), through the
 * modeling commands `element.updateProperties` / `element.updateModdleProperties`. */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export var NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function extension(bo, type) {
  var ext = bo && bo.get ? bo.get('extensionElements') : null;
  return ext ? ext.get('values').filter(function (v) { return is(v, type); })[0] || null : null;
}

/* The element's spiffworkflow:property entries, in order. */
export function propertyList(element) {
  var holder = extension(getBusinessObject(element), 'spiffworkflow:Properties');
  return holder ? holder.get('values') : [];
}

export function propertyValue(element, name) {
  var found = propertyList(element).filter(function (p) { return p.name === name; })[0];
  return found && found.value ? found.value : '';
}

function update(commandStack, element, moddleElement, properties) {
  commandStack.execute('element.updateModdleProperties', { element: element, moddleElement: moddleElement, properties: properties });
}

/* Put `child` into the element's extensionElements (created when missing). */
export function addExtension(injector, element, child) {
  var bo = getBusinessObject(element);
  var commandStack = injector.get('commandStack');
  var ext = bo.get('extensionElements');
  if (ext) {
    child.$parent = ext;
    update(commandStack, element, ext, { values: ext.get('values').concat([child]) });
  } else {
    ext = injector.get('bpmnFactory').create('bpmn:ExtensionElements', { values: [child] });
    child.$parent = ext;
    ext.$parent = bo;
    update(commandStack, element, bo, { extensionElements: ext });
  }
}

export function removeExtension(injector, element, child) {
  var ext = getBusinessObject(element).get('extensionElements');
  update(injector.get('commandStack'), element, ext, { values: ext.get('values').filter(function (v) { return v !== child; }) });
}

/* Set property `name` to `value`; an empty value removes it. */
export function setProperty(injector, element, name, value) {
  var holder = extension(getBusinessObject(element), 'spiffworkflow:Properties');
  var list = holder ? holder.get('values') : [];
  var existing = list.filter(function (p) { return p.name === name; })[0];
  if (existing) {
    if (value) update(injector.get('commandStack'), element, existing, { value: value });
    else removeProperty(injector, element, existing);
    return;
  }
  if (value) addProperty(injector, element, name, value);
}

export function addProperty(injector, element, name, value) {
  var moddle = injector.get('moddle');
  var holder = extension(getBusinessObject(element), 'spiffworkflow:Properties');
  var prop = moddle.create('spiffworkflow:Property', { name: name, value: value });
  if (holder) {
    prop.$parent = holder;
    update(injector.get('commandStack'), element, holder, { values: holder.get('values').concat([prop]) });
  } else {
    holder = moddle.create('spiffworkflow:Properties', { values: [prop] });
    prop.$parent = holder;
    addExtension(injector, element, holder);
  }
  return prop;
}

export function removeProperty(injector, element, prop) {
  var holder = prop.$parent;
  update(injector.get('commandStack'), element, holder, { values: holder.get('values').filter(function (p) { return p !== prop; }) });
}

export function updateProperty(injector, element, prop, properties) {
  update(injector.get('commandStack'), element, prop, properties);
}

/* An extension element with a text body (calledDecisionId, preScript, postScript): set, or remove when empty. */
export function bodyValue(element, type) {
  var found = extension(getBusinessObject(element), type);
  return found && found.value ? found.value : '';
}

export function setBody(injector, element, type, value) {
  var existing = extension(getBusinessObject(element), type);
  if (existing && value) update(injector.get('commandStack'), element, existing, { value: value });
  else if (existing) removeExtension(injector, element, existing);
  else if (value) addExtension(injector, element, injector.get('moddle').create(type, { value: value }));
}

export function setBusinessProperties(injector, element, properties) {
  update(injector.get('commandStack'), element, getBusinessObject(element), properties);
}

/* Whether `id` belongs to something other than `owner` in this file. */
export function idTaken(injector, id, owner) {
  var assigned = injector.get('moddle').ids.assigned(id);
  return (assigned && assigned !== owner) || (!assigned && !!injector.get('elementRegistry').get(id));
}
