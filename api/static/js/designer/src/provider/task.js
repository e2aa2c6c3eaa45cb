/* 办理设置: the spiffworkflow:properties of a user task that the engine reads. */
import { propertyValue, setProperty } from './util.js';

export var TASK_FIELDS = [
  { key: 'role', label: '办理角色', choices: 'roles', required: true,
    description: '哪类人员办理此任务' },
  { key: 'form', label: '表单', choices: 'forms', required: true,
    description: '办理时填写的表单（forms/ 下的文件）' },
  { key: 'unit', label: '办理单位（表达式）', description: '单位角色必填，例如 lead_unit' },
  { key: 'assignee', label: '指定办理人（表达式）', description: '例如 proposer 或 unit_deputy(lead_unit)' },
  { key: 'due', label: '办理期限（表达式）', description: "例如 due_date('reply', assigned_on)" },
  { key: 'stage', label: '阶段', choices: 'stages' },
  { key: 'notify', label: '通知类型', choices: 'notify' },
  { key: 'audience', label: '可见范围', choices: 'audiences',
    description: '谁能在提案记录中看到这一步（不填：各机关和办理该步骤的单位）' },
  { key: 'result', label: '结果变量', description: '表单数据存放的变量名' },
  { key: 'index', label: '索引列', description: '例如 reply_class=reply_class; units=…' }
];

export function taskSpecs() {
  return TASK_FIELDS.map(function (f) {
    return {
      id: 'cppcc-' + f.key, label: f.label, description: f.description, choices: f.choices, required: f.required,
      get: function (element) { return propertyValue(element, f.key); },
      set: function (injector, element, value) { setProperty(injector, element, f.key, value); }
    };
  });
}
