/* Chinese for the bpmn-js modeler (palette, context pad, replace menu) and the dmn-js
 * modeler (decision table, decision requirements diagram).
 *
 * bpmn-js and dmn-js pass the texts they show through a `translate` service; this module
 * replaces it: window.CppccTranslateZh, for each dmn-js view's additionalModules, and, in the
 * BPMN editor's bundle, for bpmn-js, its properties panel and bpmnlint (src/translate.js).
 * Texts not listed stay as the libraries wrote them; {name} placeholders are filled in.
 */
(function () {
  'use strict';

  var ZH = {
    'Activate hand tool': '抓手工具（移动画布）',
    'Activate lasso tool': '套索工具（框选）',
    'Activate create/remove space tool': '插入/删除空间',
    'Activate global connect tool': '连线工具',
    'Create start event': '添加开始事件',
    'Create end event': '添加结束事件',
    'Create intermediate/boundary event': '添加中间/边界事件',
    'Create gateway': '添加网关',
    'Create task': '添加任务',
    'Create expanded sub-process': '添加子流程',
    'Create data object reference': '添加数据对象',
    'Create data store reference': '添加数据存储',
    'Create pool/participant': '添加泳池',
    'Create group': '添加分组',
    'Append task': '追加任务',
    'Append gateway': '追加网关',
    'Append end event': '追加结束事件',
    'Append intermediate/boundary event': '追加中间事件',
    'Append receive task': '追加接收任务',
    'Append message intermediate catch event': '追加消息捕获事件',
    'Append timer intermediate catch event': '追加定时事件',
    'Append conditional intermediate catch event': '追加条件事件',
    'Append signal intermediate catch event': '追加信号事件',
    'Append compensation activity': '追加补偿活动',
    'Add text annotation': '添加注释',
    'Add lane above': '在上方添加泳道',
    'Add lane below': '在下方添加泳道',
    'Divide into two lanes': '分为两条泳道',
    'Divide into three lanes': '分为三条泳道',
    'Change element': '更改类型',
    'Connect to other element': '连接到其他元素',
    'Connect using association': '用关联连接',
    'Connect using data input association': '用数据输入关联连接',
    'Delete': '删除',
    'Search in diagram': '在图中查找',
    'Align elements': '对齐',
    'Distribute elements horizontally': '水平均匀分布',
    'Distribute elements vertically': '垂直均匀分布',
    'Open {element}': '打开 {element}',
    'Toggle non-interrupting': '切换为非中断',
    'Loop': '循环',
    'Parallel multi-instance': '并行多实例',
    'Sequential multi-instance': '顺序多实例',
    'Collection': '集合',
    'Participant multiplicity': '参与者多重性',
    'Task': '任务',
    'User task': '用户任务',
    'Script task': '脚本任务',
    'Service task': '服务任务',
    'Business rule task': '业务规则任务',
    'Manual task': '手工任务',
    'Send task': '发送任务',
    'Receive task': '接收任务',
    'Call activity': '调用活动',
    'Sub-process': '子流程',
    'Sub-process (collapsed)': '子流程（折叠）',
    'Sub-process (expanded)': '子流程（展开）',
    'Ad-hoc sub-process': '自由子流程',
    'Ad-hoc sub-process (collapsed)': '自由子流程（折叠）',
    'Ad-hoc sub-process (expanded)': '自由子流程（展开）',
    'Event sub-process': '事件子流程',
    'Transaction': '事务',
    'Exclusive gateway': '排他网关',
    'Parallel gateway': '并行网关',
    'Inclusive gateway': '包容网关',
    'Complex gateway': '复杂网关',
    'Event-based gateway': '事件网关',
    'Event based instantiating Gateway': '事件网关（实例化）',
    'Parallel Event based instantiating Gateway': '并行事件网关（实例化）',
    'Start event': '开始事件',
    'End event': '结束事件',
    'Terminate end event': '终止结束事件',
    'Message start event': '消息开始事件',
    'Timer start event': '定时开始事件',
    'Conditional start event': '条件开始事件',
    'Signal start event': '信号开始事件',
    'Error start event': '错误开始事件',
    'Escalation start event': '升级开始事件',
    'Compensation start event': '补偿开始事件',
    'Message start event (non-interrupting)': '消息开始事件（非中断）',
    'Timer start event (non-interrupting)': '定时开始事件（非中断）',
    'Conditional start event (non-interrupting)': '条件开始事件（非中断）',
    'Signal start event (non-interrupting)': '信号开始事件（非中断）',
    'Escalation start event (non-interrupting)': '升级开始事件（非中断）',
    'Intermediate throw event': '中间抛出事件',
    'Message intermediate catch event': '消息捕获事件',
    'Message intermediate throw event': '消息抛出事件',
    'Timer intermediate catch event': '定时捕获事件',
    'Conditional intermediate catch event': '条件捕获事件',
    'Signal intermediate catch event': '信号捕获事件',
    'Signal intermediate throw event': '信号抛出事件',
    'Link intermediate catch event': '链接捕获事件',
    'Link intermediate throw event': '链接抛出事件',
    'Escalation intermediate throw event': '升级抛出事件',
    'Compensation intermediate throw event': '补偿抛出事件',
    'Message end event': '消息结束事件',
    'Signal end event': '信号结束事件',
    'Error end event': '错误结束事件',
    'Escalation end event': '升级结束事件',
    'Compensation end event': '补偿结束事件',
    'Cancel end event': '取消结束事件',
    'Boundary event': '边界事件',
    'Message boundary event': '消息边界事件',
    'Timer boundary event': '定时边界事件',
    'Conditional boundary event': '条件边界事件',
    'Signal boundary event': '信号边界事件',
    'Error boundary event': '错误边界事件',
    'Escalation boundary event': '升级边界事件',
    'Compensation boundary event': '补偿边界事件',
    'Cancel boundary event': '取消边界事件',
    'Message boundary event (non-interrupting)': '消息边界事件（非中断）',
    'Timer boundary event (non-interrupting)': '定时边界事件（非中断）',
    'Conditional boundary event (non-interrupting)': '条件边界事件（非中断）',
    'Signal boundary event (non-interrupting)': '信号边界事件（非中断）',
    'Escalation boundary event (non-interrupting)': '升级边界事件（非中断）',
    'Sequence flow': '顺序流',
    'Default flow': '默认流',
    'Conditional flow': '条件流',
    'Data object reference': '数据对象',
    'Data store reference': '数据存储',
    'Empty pool/participant': '空泳池',
    'Expanded pool/participant': '展开的泳池',
    // bpmn-js-properties-panel and @bpmn-io/properties-panel (the BPMN editor's panel);
    // event type labels such as 'Timer Boundary Event' are composed in src/translate.js
    'General': '基本', 'Name': '名称', 'ID': '标识（ID）', 'Documentation': '说明',
    'Element documentation': '元素说明', 'Process documentation': '流程说明', 'Executable': '可执行',
    'Process name': '流程名称', 'Process ID': '流程标识（ID）', 'Participant Name': '泳池名称',
    'Participant ID': '泳池标识（ID）', 'Multi-instance': '多实例', 'Loop cardinality': '循环次数（表达式）',
    'Completion condition': '完成条件（表达式）', 'Completion': '完成', 'Cancel remaining instances': '取消其余实例',
    'Timer': '定时', '<none>': '（无）', 'Date': '时间点', 'Duration': '时长', 'Cycle': '周期',
    'Message': '消息', 'Signal': '信号', 'Error': '错误', 'Escalation': '升级', 'Link': '链接',
    'Compensation': '补偿', 'Code': '代码', 'Activity reference': '关联活动', 'Wait for completion': '等待完成',
    'Global message reference': '引用的消息', 'Global signal reference': '引用的信号',
    'Global error reference': '引用的错误', 'Global escalation reference': '引用的升级', 'Create new ...': '新建…',
    'ID must not be empty.': '标识（ID）不能为空', 'ID must be unique.': '标识（ID）已被其他元素使用',
    'ID must not contain spaces.': '标识（ID）不能含空格', 'ID must be a valid QName.': '标识（ID）须以字母或下划线开头，只含字母、数字、下划线、点和短横线',
    'ID must not contain prefix.': '标识（ID）不能含前缀（冒号）',
    'Select an element to edit its properties.': '选择图中的元素以查看和修改属性',
    'Multiple elements are selected. Select a single element to edit its properties.': '选中了多个元素：请只选一个以修改属性',
    'Toggle section': '展开/收起', 'Section contains edits': '此部分已填写', 'Section contains an error': '此部分有错误',
    'Create': '添加', 'Create new list item': '添加一项', 'Delete item': '删除此项', 'Toggle list item': '展开/收起此项',
    'List contains {numOfItems} item': '共 {numOfItems} 项', 'List contains {numOfItems} items': '共 {numOfItems} 项',
    '<empty>': '（空）', 'Open pop-up editor': '在弹出窗口中编辑', 'Opened in editor': '已在编辑窗口中打开',
    'Open documentation': '打开说明', 'JSON contains errors': 'JSON 格式错误',
    'Process': '流程', 'Collaboration': '协作', 'Participant': '泳池', 'Lane': '泳道',
    'User Task': '用户任务', 'Script Task': '脚本任务', 'Service Task': '服务任务', 'Business Rule Task': '业务规则任务',
    'Manual Task': '手工任务', 'Send Task': '发送任务', 'Receive Task': '接收任务', 'Call Activity': '调用活动',
    'Collapsed Sub Process': '子流程（折叠）', 'Expanded Sub Process': '子流程（展开）', 'Event Sub Process': '事件子流程',
    'Collapsed Ad Hoc Sub Process': '自由子流程（折叠）', 'Expanded Ad Hoc Sub Process': '自由子流程（展开）',
    'Gateway': '网关', 'Exclusive Gateway': '排他网关', 'Parallel Gateway': '并行网关',
    'Inclusive Gateway': '包容网关', 'Complex Gateway': '复杂网关', 'Event Based Gateway': '事件网关',
    'Sequence Flow': '顺序流', 'Default Flow': '默认流', 'Conditional Flow': '条件流', 'Message Flow': '消息流',
    'Association': '关联', 'Data Input': '数据输入', 'Data Output': '数据输出', 'Data Input Association': '数据输入关联',
    'Data Output Association': '数据输出关联', 'Data Object Reference': '数据对象', 'Data Store Reference': '数据存储',
    'Group': '分组', 'Text Annotation': '注释',
    // bpmn-js-bpmnlint (its messages are translated by the lint plugin's own table)
    '{errors} Errors, {warnings} Warnings': '{errors} 个错误，{warnings} 个提示', 'No Issues': '规范检查通过',
    'Toggle linting overlays': '显示/隐藏规范检查标记', 'Issues for child elements': '子元素的问题',
    // dmn-js: decision tables
    'When': '当', 'And': '且', 'Then': '则', 'Annotation': '注释', 'Annotations': '注释',
    'Hit policy': '命中策略', 'Hit policy:': '命中策略：', 'View DRD': '查看决策需求图',
    'Unique': '唯一（UNIQUE）', 'First': '首条命中（FIRST）', 'Priority': '优先级（PRIORITY）',
    // 'Any' is both a hit policy and a column type; one key serves both (see the type list below)
    'Collect': '收集（COLLECT）', 'Collect (Sum)': '收集求和', 'Collect (Min)': '收集最小值', 'Collect (Max)': '收集最大值',
    'Collect (Count)': '收集计数', 'Rule order': '规则顺序', 'Output order': '输出顺序',
    'Add rule': '添加规则', 'Add rule above': '在上方添加规则', 'Add rule below': '在下方添加规则', 'Remove rule': '删除规则',
    'Copy rule': '复制规则', 'Cut rule': '剪切规则', 'Paste rule above': '粘贴到上方', 'Paste rule below': '粘贴到下方',
    'Move rule': '移动规则', 'Add input': '添加输入', 'Add output': '添加输出',
    'Add input column left': '在左侧添加输入列', 'Add input column right': '在右侧添加输入列',
    'Add output column left': '在左侧添加输出列', 'Add output column right': '在右侧添加输出列',
    'Remove input column': '删除输入列', 'Remove output column': '删除输出列',
    'Copy input column': '复制输入列', 'Copy output column': '复制输出列', 'Cut input column': '剪切输入列',
    'Cut output column': '剪切输出列', 'Paste input column left': '粘贴到左侧', 'Paste input column right': '粘贴到右侧',
    'Paste output column left': '粘贴到左侧', 'Paste output column right': '粘贴到右侧',
    'Add cell description': '添加单元格说明', 'Remove cell description': '删除单元格说明',
    'Input': '输入', 'Output': '输出', 'Input label': '输入标签', 'Input label: ': '输入标签：',
    'Input expression': '输入表达式', 'Input expression: ': '输入表达式：', 'Input type': '输入类型',
    'Input values': '输入取值', 'Output label': '输出标签', 'Output label: ': '输出标签：', 'Output name': '输出变量名',
    'Output name: ': '输出变量名：', 'Output type': '输出类型', 'Output values': '输出取值',
    'Decision name': '决策名称', 'Decision name: ': '决策名称：', 'Edit': '编辑', 'Type': '类型', 'Value': '值',
    'Values': '取值', 'Expression': '表达式', 'Enter expression': '输入表达式', 'Expression language': '表达式语言',
    'Expression language:': '表达式语言：', 'Change cell expression language': '更改单元格表达式语言',
    'Yes': '是', 'No': '否', 'Predefined values': '预设取值', 'Add predefined values': '添加预设取值',
    'Clear predefined values': '清除预设取值', 'Add values': '添加取值', 'No values': '无取值', 'Resize': '调整宽度',
    'Strings must be in double quotes': '字符串须用双引号',
    // dmn-js: decision requirements diagram
    'Create decision': '添加决策', 'Create input data': '添加输入数据', 'Create knowledge model': '添加知识模型',
    'Create knowledge source': '添加知识来源', 'Append decision': '追加决策', 'Append input data': '追加输入数据',
    'Append business knowledge model': '追加业务知识模型', 'Append knowledge source': '追加知识来源',
    'Change type': '更改类型', 'Element name': '元素名称', 'Definition ID': '定义 ID', 'Definition name': '定义名称',
    'Literal expression': '字面表达式', 'Literal expression editor': '字面表达式编辑器', 'Variable name': '变量名',
    'Variable name:': '变量名：', 'Variable type': '变量类型', 'Variable type:': '变量类型：',
    'Edit boolean': '编辑是/否', 'Set value': '设置取值', 'Boolean value': '是/否取值', 'Edit string': '编辑文字',
    'Edit number': '编辑数字', 'Edit date': '编辑日期', 'Match one': '匹配其一', 'Match any': '匹配任意',
    // dmn-js: the data types offered for a column (its typeRef)
    'string': '文字', 'boolean': '是/否', 'number': '数字', 'integer': '整数', 'long': '长整数', 'double': '小数',
    'date': '日期', 'time': '时间', 'dateTime': '日期时间', 'dayTimeDuration': '时长（日、时）',
    'yearMonthDuration': '时长（年、月）', 'Any': '任意（ANY）'
  };
  /* what a decision table shows but dmn-js does not pass through `translate`: the Python
   * truth values in the cells, shown as 是/否 while the cell is not being edited (the cell
   * keeps its expression, True or False) */
  var TRUTH = { 'True': '是', 'False': '否' };

  function relabel(root) {
    var cells = root.querySelectorAll('td.input-cell, td.output-cell');
    for (var j = 0; j < cells.length; j++) {
      var value = cells[j].textContent.trim();
      if (TRUTH[value]) cells[j].setAttribute('data-zh', TRUTH[value]);
      else cells[j].removeAttribute('data-zh');
    }
  }

  function watchTables(container) {
    var pending = null;
    relabel(container);
    new MutationObserver(function () {
      if (pending) return;
      pending = setTimeout(function () { pending = null; relabel(container); }, 30);
    }).observe(container, { subtree: true, childList: true, characterData: true });
  }

  function translate(template, replacements) {
    var text = Object.prototype.hasOwnProperty.call(ZH, template) ? ZH[template] : template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : '{' + key + '}';
    });
  }

  window.CppccTranslateZh = { translate: ['value', translate] };
  window.CppccDmnZh = { watch: watchTables };
}());
