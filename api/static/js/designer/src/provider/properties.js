/* 其他扩展属性: the element's spiffworkflow:property entries other than a user task's own
 * (those are in 办理设置), as a list: add, rename, change, remove. */
import { TextFieldEntry, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { useCallback } from '@bpmn-io/properties-panel/preact/hooks';
import { NAME, addProperty, propertyList, removeProperty, updateProperty } from './util.js';

function PropertyName(props) {
  var element = props.element;
  var prop = props.property;
  var injector = useService('injector');
  var validate = useCallback(function (value) { // stable while the property is (see entries.js)
    if (!NAME.test(value || '')) return '属性名只能由字母、数字和下划线组成，且不以数字开头';
    var clash = propertyList(element).some(function (p) { return p !== prop && p.name === value; });
    return clash ? '已有同名属性' : null;
  }, [element, prop]);
  return TextFieldEntry({
    element: element, id: props.id, label: '属性名', debounce: useService('debounceInput'),
    getValue: function () { return prop.name || ''; },
    validate: validate,
    setValue: function (value, error) { if (!error) updateProperty(injector, element, prop, { name: value }); }
  });
}

function PropertyValue(props) {
  var element = props.element;
  var prop = props.property;
  var injector = useService('injector');
  return TextFieldEntry({
    element: element, id: props.id, label: '值', debounce: useService('debounceInput'),
    getValue: function () { return prop.value || ''; },
    setValue: function (value) { updateProperty(injector, element, prop, { value: value }); }
  });
}

function freeName(element) {
  var taken = propertyList(element).map(function (p) { return p.name; });
  for (var i = 1; ; i++) {
    if (taken.indexOf('property_' + i) === -1) return 'property_' + i;
  }
}

/* The list group definition; `own` are the names shown elsewhere (a user task's). */
export function propertiesGroup(element, injector, own) {
  var items = propertyList(element).filter(function (p) { return own.indexOf(p.name) === -1; }).map(function (prop, i) {
    var id = element.id + '-cppcc-property-' + i;
    return {
      id: id,
      label: prop.name || '',
      entries: [
        { id: id + '-name', component: PropertyName, property: prop, isEdited: isTextFieldEntryEdited },
        { id: id + '-value', component: PropertyValue, property: prop, isEdited: isTextFieldEntryEdited }
      ],
      autoFocusEntry: id + '-name',
      remove: function () { removeProperty(injector, element, prop); }
    };
  });
  return {
    id: 'cppcc-properties',
    label: '其他扩展属性',
    component: null, // set by the provider (ListGroup)
    items: items,
    add: function (event) {
      event.stopPropagation();
      addProperty(injector, element, freeName(element), '');
    }
  };
}
