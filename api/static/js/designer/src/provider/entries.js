/* Entry components of our groups, on @bpmn-io/properties-panel's standard entries: a text
 * field, a text area or a select whose value is read and written by the spec's get/set.
 * spec: { id, label, description, get(element), set(injector, element, value), validate?,
 *         choices? ('roles' | 'forms' | 'stages' | 'notify' | 'audiences': [{code, label}] of the page config),
 *         required?, multiline?, monospace? } */
import { TextFieldEntry, TextAreaEntry, SelectEntry, isTextFieldEntryEdited, isTextAreaEntryEdited,
         isSelectEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { useCallback } from '@bpmn-io/properties-panel/preact/hooks';

function required(value) {
  return value ? null : '必填';
}

function Field(props) {
  var spec = props.spec;
  var element = props.element;
  var injector = useService('injector');
  var debounce = useService('debounceInput');
  var config = useService('config.cppcc', false) || {};
  // The entries validate the stored value again whenever `validate` changes: it must stay the
  // same function while the element does, or a refused input's message would vanish at once.
  var check = spec.choices && spec.required ? required : spec.validate;
  var validate = useCallback(function (value) { return check ? check(value) : null; }, [element, props.id]);
  var common = {
    translate: useService('translate'),
    element: element,
    id: props.id,
    label: spec.label,
    description: spec.description,
    getValue: function () { return spec.get(element) || ''; },
    setValue: function (value, error) {
      if (error && !spec.choices) return; // an invalid text is not taken; an empty required choice is (and marked)
      spec.set(injector, element, typeof value === 'string' ? value.trim() : value);
    },
    validate: validate
  };
  if (spec.choices) {
    return SelectEntry(Object.assign(common, {
      getOptions: function () {
        var current = spec.get(element) || '';
        var list = (config[spec.choices] || []).map(function (o) {
          return { value: o.code, label: o.label === o.code ? o.code : o.label + '（' + o.code + '）' };
        });
        if (current && !list.some(function (o) { return o.value === current; })) {
          list.push({ value: current, label: current + '（无效）' });
        }
        return [{ value: '', label: spec.required ? '（请选择）' : '（不设置）' }].concat(list);
      }
    }));
  }
  if (spec.multiline) {
    return TextAreaEntry(Object.assign(common, { debounce: debounce, rows: 3, monospace: spec.monospace !== false,
                                                 autoResize: true }));
  }
  return TextFieldEntry(Object.assign(common, { debounce: debounce }));
}

/* The entry definitions for the panel from our specs. */
export function entries(specs) {
  return specs.map(function (spec) {
    return {
      id: spec.id,
      spec: spec,
      component: Field,
      isEdited: spec.choices ? isSelectEntryEdited : spec.multiline ? isTextAreaEntryEdited : isTextFieldEntryEdited
    };
  });
}
