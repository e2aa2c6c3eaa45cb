/* The modeler's `translate` service: the Chinese of translate-zh.js (shared with the DMN
 * editor, which loads it as a plain script) and, for bpmnlint's own messages, the lint
 * plugin's translations (the deploy lint uses the same). */
import '../translate-zh.js';
import { chinese } from 'bpmnlint-plugin-cppcc/messages';

/* The panel's event type labels, e.g. 'Timer Boundary Event (Non Interrupting)' -> 定时边界事件（非中断）. */
var KINDS = { Message: '消息', Timer: '定时', Signal: '信号', Conditional: '条件', Link: '链接', Escalation: '升级',
              Compensate: '补偿', Error: '错误', Cancel: '取消', Multiple: '多重', 'Parallel Multiple': '并行多重',
              Parallel: '并行多重', Terminate: '终止' };
var PLACES = { Start: '开始', End: '结束', Boundary: '边界', 'Intermediate Catch': '中间捕获', 'Intermediate Throw': '中间抛出' };
var EVENT = /^(?:(Parallel Multiple|Parallel|Message|Timer|Signal|Conditional|Link|Escalation|Compensate|Error|Cancel|Multiple|Terminate) )?(Start|End|Boundary|Intermediate Catch|Intermediate Throw) Event( \(Non Interrupting\))?$/;

function eventLabel(template) {
  var m = EVENT.exec(template);
  return m ? (m[1] ? KINDS[m[1]] : '') + PLACES[m[2]] + '事件' + (m[3] ? '（非中断）' : '') : null;
}

function translate(template, replacements) {
  var known = chinese(template);
  if (known === null) known = eventLabel(template);
  return known !== null ? known : window.CppccTranslateZh.translate[1](template, replacements);
}

export default { translate: ['value', translate] };
