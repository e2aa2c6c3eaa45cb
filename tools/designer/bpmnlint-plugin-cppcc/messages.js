/* Chinese for the messages of bpmnlint's own rules (those .bpmnlintrc enables, and the
 * rest of its recommended set), for the editor's issue list and for deploy.
 *
 * chinese(message) -> the Chinese text, or null when the message is not one of these
 * (the plugin's own rules already speak Chinese).
 */
var EXACT = {
  'Element is not connected': '元素没有连接到流程（既无进入也无离开的顺序流）',
  'Process is missing start event': '流程缺少开始事件',
  'Sub process is missing start event': '子流程缺少开始事件',
  'Process is missing end event': '流程缺少结束事件',
  'Sub process is missing end event': '子流程缺少结束事件',
  'Process has multiple blank start events': '流程有多个空白开始事件',
  'Sub process has multiple blank start events': '子流程有多个空白开始事件',
  'Sequence flow is missing condition': '顺序流缺少条件表达式（从网关或带条件分支的活动离开的非默认流必须有条件）',
  'Element is an implicit end': '元素没有离开的顺序流（隐式结束）：请连到结束事件',
  'Element is an implicit start': '元素没有进入的顺序流（隐式开始）：请从开始事件连入',
  'Flow splits implicitly': '活动有多条离开的顺序流（隐式分支）：请改用网关分支',
  'Gateway forks and joins': '网关同时汇合和分支：请拆成一个汇合网关和一个分支网关',
  'SequenceFlow is a duplicate': '重复的顺序流',
  'Duplicate outgoing sequence flows': '有重复的离开顺序流',
  'Duplicate incoming sequence flows': '有重复的进入顺序流',
  'Element is missing bpmndi': '元素缺少图形信息（BPMNDI），图中无法显示',
  'Event has multiple event definitions': '事件有多个事件定义',
  'Start event must be blank': '子流程的开始事件必须是空白开始事件',
  'Start event is missing event definition': '事件子流程的开始事件缺少事件定义',
  'An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>': '事件网关至少要有两条离开的顺序流',
  'A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional': '事件网关离开的顺序流不能带条件',
  'A <Start Event> is not allowed in <Ad Hoc Sub Process>': '自由子流程中不能有开始事件',
  'An <End Event> is not allowed in <Ad Hoc Sub Process>': '自由子流程中不能有结束事件',
  'Link event is missing link name': '链接事件缺少链接名',
  'Conditional event is missing a condition': '条件事件缺少条件',
  'Gateway is superfluous. It only has one source and target.': '网关多余：只有一条进入和一条离开的顺序流',
  'Termination is superfluous.': '终止结束事件多余：此处用普通结束事件即可',
  'Sequence flow has superfluous label': '顺序流的名称多余（只有从网关离开的流才需要名称）',
  'Element is missing label/name': '元素缺少名称',
  'Incoming flows do not join': '多条进入的顺序流没有经网关汇合',
  'Element overlaps with other element': '元素与其他元素重叠',
  'Element is outside of parent boundary': '元素超出了所在容器的边界',
  'Element is missing name': '全局元素（消息、信号、错误等）缺少名称',
  'Element is unused': '全局元素（消息、信号、错误等）未被使用',
  'Element name is not unique': '全局元素名称重复'
};

var PATTERNS = [
  [/^Link (catch|throw) event with link name <(.*)> missing in scope$/, function (m) {
    return '同一范围内缺少链接名为“' + m[2] + '”的链接' + (m[1] === 'catch' ? '捕获' : '抛出') + '事件';
  }],
  [/^Duplicate link catch event with link name <(.*)> in scope$/, function (m) {
    return '同一范围内有多个链接名为“' + m[1] + '”的链接捕获事件';
  }],
  [/^Element type <bpmn:(\w+)> is discouraged$/, function (m) {
    var names = { ComplexGateway: '复杂网关', InclusiveGateway: '包容网关' };
    return '不建议使用' + (names[m[1]] || '此类元素（' + m[1] + '）');
  }]
];

function chinese(message) {
  if (typeof message !== 'string') return null;
  if (Object.prototype.hasOwnProperty.call(EXACT, message)) return EXACT[message];
  for (var i = 0; i < PATTERNS.length; i++) {
    var m = PATTERNS[i][0].exec(message);
    if (m) return PATTERNS[i][1](m);
  }
  return null;
}

module.exports = { chinese: chinese };
