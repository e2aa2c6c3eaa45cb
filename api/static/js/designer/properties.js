/* The properties panel beside the bpmn-js canvas: the project's own task properties.
 *
 * window.CppccPropertiesPanel(modeler, container, config) shows, for the selected
 * element (the process when nothing is selected):
 *   - its type, id and name;
 *   - for a user task the spiffworkflow:properties the engine reads: role, form, unit,
 *     assignee, due, stage, notify, result, index (config.roles / forms / stages /
 *     notify give the choices, as [{code, label}]);
 *   - for any element, its other spiffworkflow:property entries, editable, and a row to add one;
 *   - for a multi-instance activity its collection (loopDataInputRef), element variable
 *     (inputDataItem), result collection (loopDataOutputRef) and result variable (outputDataItem);
 *   - a sequence flow's condition, a script task's script, a business rule task's decision,
 *     a call activity's called process, a timer's expression.
 * Every change goes through bpmn-js's modeling commands, so undo/redo and export see it.
 * An empty value removes the property. panel.setProblems([{element, message}]) lists the
 * validation problems of the selected element at the top of the panel.
 */
(function () {
  'use strict';

  var TYPE_LABELS = {
    'bpmn:Process': '流程', 'bpmn:Collaboration': '协作', 'bpmn:Participant': '泳池', 'bpmn:Lane': '泳道',
    'bpmn:UserTask': '用户任务', 'bpmn:ScriptTask': '脚本任务', 'bpmn:ServiceTask': '服务任务',
    'bpmn:BusinessRuleTask': '业务规则任务', 'bpmn:ManualTask': '手工任务', 'bpmn:SendTask': '发送任务',
    'bpmn:ReceiveTask': '接收任务', 'bpmn:Task': '任务', 'bpmn:CallActivity': '调用活动',
    'bpmn:SubProcess': '子流程', 'bpmn:ExclusiveGateway': '排他网关', 'bpmn:ParallelGateway': '并行网关',
    'bpmn:InclusiveGateway': '包容网关', 'bpmn:EventBasedGateway': '事件网关', 'bpmn:StartEvent': '开始事件',
    'bpmn:EndEvent': '结束事件', 'bpmn:BoundaryEvent': '边界事件', 'bpmn:IntermediateCatchEvent': '中间捕获事件',
    'bpmn:IntermediateThrowEvent': '中间抛出事件', 'bpmn:SequenceFlow': '顺序流', 'bpmn:TextAnnotation': '注释',
    'bpmn:DataObjectReference': '数据对象', 'bpmn:DataStoreReference': '数据存储', 'bpmn:Group': '分组',
    'bpmn:Association': '关联'
  };

  var TASK_FIELDS = [
    { key: 'role', label: '办理角色', choices: 'roles', required: true },
    { key: 'form', label: '表单', choices: 'forms', required: true },
    { key: 'unit', label: '办理单位（表达式）', hint: '单位角色必填，例如 lead_unit' },
    { key: 'assignee', label: '指定办理人（表达式）', hint: '例如 proposer 或 unit_deputy(lead_unit)' },
    { key: 'due', label: '办理期限（表达式）', hint: "例如 due_date('reply', assigned_on)" },
    { key: 'stage', label: '阶段', choices: 'stages' },
    { key: 'notify', label: '通知类型', choices: 'notify' },
    { key: 'result', label: '结果变量', hint: '表单数据存放的变量名' },
    { key: 'index', label: '索引列', hint: '例如 reply_class=reply_class; units=…' }
  ];
  var ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

  function is(bo, type) {
    return bo && typeof bo.$instanceOf === 'function' && bo.$instanceOf(type);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'text') node.textContent = value;
      else if (name === 'className') node.className = value;
      else if (name === 'value') node.value = value;
      else node.setAttribute(name, value === true ? '' : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function PropertiesPanel(modeler, container, config) {
    this.modeler = modeler;
    this.container = container;
    this.config = config;
    this.problems = [];
    this.element = null;
    this.counter = 0;
    var self = this;
    var eventBus = modeler.get('eventBus');
    eventBus.on('selection.changed', function (event) {
      self.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    eventBus.on('elements.changed', function (event) {
      if (!self.element) return;
      var touched = event.elements.some(function (e) { return e === self.element || e.id === self.element.id; });
      if (touched) self.refresh();
    });
    eventBus.on('import.done', function () { self.show(null); });
  }

  PropertiesPanel.prototype.setProblems = function (problems) {
    this.problems = problems || [];
    this.refresh();
  };

  PropertiesPanel.prototype.show = function (element) {
    this.element = element || this.modeler.get('canvas').getRootElement();
    this.refresh();
  };

  /* Re-draw after the browser has moved focus (a change event fires before the next field
   * gets focus), then give focus back to the field of the same key. */
  PropertiesPanel.prototype.refresh = function () {
    var self = this;
    clearTimeout(this.pending);
    this.pending = setTimeout(function () {
      var active = document.activeElement;
      var key = active && self.container.contains(active) ? active.getAttribute('data-key') : null;
      self.render();
      if (key) {
        var again = self.container.querySelector('[data-key="' + key.replace(/["\\]/g, '\\$&') + '"]');
        if (again) again.focus();
      }
    }, 0);
  };

  PropertiesPanel.prototype.render = function () {
    var element = this.element;
    var container = this.container;
    container.textContent = '';
    if (!element || !element.businessObject) {
      container.appendChild(el('p', { className: 'muted', text: '选择图中的元素以查看和修改属性。' }));
      return;
    }
    var bo = element.businessObject;
    var label = TYPE_LABELS[bo.$type] || bo.$type.replace('bpmn:', '');
    container.appendChild(el('h2', { text: '属性' }, [el('span', { className: 'count', text: ' ' + label })]));
    this.message = el('p', { className: 'panel-message', role: 'alert', hidden: true });
    container.appendChild(this.message);
    var mine = this.problems.filter(function (p) { return p.element === bo.id; });
    if (mine.length) {
      container.appendChild(el('ul', { className: 'panel-problems' }, mine.map(function (p) {
        return el('li', { text: p.message });
      })));
    }
    var self = this;
    var basics = el('fieldset', { className: 'panel-group' }, [el('legend', { text: '基本' })]);
    basics.appendChild(this.field({ key: 'id', label: 'ID', value: bo.id, hint: '字母、数字、下划线，在文件内唯一' },
      function (value) { self.setId(element, value); }));
    if (!is(bo, 'bpmn:Collaboration')) {
      basics.appendChild(this.field({ key: 'name', label: '名称', value: bo.name || '' },
        function (value) { self.setName(element, value); }));
    }
    container.appendChild(basics);

    if (is(bo, 'bpmn:UserTask')) container.appendChild(this.taskGroup(element));
    var loop = bo.loopCharacteristics;
    if (is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) container.appendChild(this.loopGroup(element, loop));
    var behaviour = this.behaviourGroup(element);
    if (behaviour) container.appendChild(behaviour);
    container.appendChild(this.otherGroup(element));
  };

  PropertiesPanel.prototype.say = function (text) {
    if (!this.message) return;
    this.message.textContent = text || '';
    this.message.hidden = !text;
  };

  /* One labelled input (or select when spec.choices / spec.options), calling commit(value) on change. */
  PropertiesPanel.prototype.field = function (spec, commit) {
    var id = 'prop-' + (++this.counter);
    var input;
    var options = spec.options || (spec.choices ? this.config[spec.choices] || [] : null);
    if (options) {
      input = el('select', { id: id, 'data-key': spec.key });
      input.appendChild(el('option', { value: '', text: spec.required ? '（请选择）' : '（不设置）' }));
      var known = false;
      options.forEach(function (o) {
        var option = el('option', { value: o.code, text: o.label === o.code ? o.code : o.label + '（' + o.code + '）' });
        if (o.code === spec.value) { option.selected = true; known = true; }
        input.appendChild(option);
      });
      if (spec.value && !known) {
        var unknown = el('option', { value: spec.value, text: spec.value + '（无效）' });
        unknown.selected = true;
        input.appendChild(unknown);
      }
    } else if (spec.multiline) {
      input = el('textarea', { id: id, 'data-key': spec.key, rows: 4, spellcheck: 'false' });
      input.value = spec.value || '';
    } else {
      input = el('input', { id: id, 'data-key': spec.key, type: 'text', spellcheck: 'false', autocomplete: 'off' });
      input.value = spec.value || '';
    }
    var self = this;
    input.addEventListener('change', function () {
      self.say('');
      try {
        commit(input.value.trim());
      } catch (err) {
        self.say('修改未生效：' + (err && err.message ? err.message : err));
      }
    });
    var wrap = el('div', { className: 'panel-field' + (spec.required && !spec.value ? ' missing' : '') }, [
      el('label', { 'for': id, text: spec.label }, spec.required ? [el('span', { className: 'req', text: '*' })] : []),
      input
    ]);
    if (spec.hint) wrap.appendChild(el('p', { className: 'hint', text: spec.hint }));
    return wrap;
  };

  PropertiesPanel.prototype.taskGroup = function (element) {
    var self = this;
    var props = this.properties(element.businessObject);
    var group = el('fieldset', { className: 'panel-group' }, [el('legend', { text: '办理设置' })]);
    TASK_FIELDS.forEach(function (f) {
      var spec = Object.assign({}, f, { key: 'prop:' + f.key, value: props[f.key] || '' });
      group.appendChild(self.field(spec, function (value) { self.setProperty(element, f.key, value); }));
    });
    return group;
  };

  PropertiesPanel.prototype.loopGroup = function (element, loop) {
    var self = this;
    var refs = window.CppccNameRefs;
    var group = el('fieldset', { className: 'panel-group' }, [el('legend', { text: '多实例' })]);
    group.appendChild(this.field({ key: 'loop:input', label: '集合变量（loopDataInputRef）', value: refs.nameOf(loop, 'loopDataInputRef'),
      hint: '按其中每一项各办一次，例如 assisting_units' }, function (value) {
      self.setLoopRef(element, loop, 'loopDataInputRef', value);
    }));
    group.appendChild(this.field({ key: 'loop:item', label: '元素变量（inputDataItem）',
      value: loop.inputDataItem ? loop.inputDataItem.id : '', hint: '每一项在任务中的变量名，文件内唯一' }, function (value) {
      self.setLoopItem(element, loop, 'inputDataItem', 'bpmn:DataInput', value);
    }));
    group.appendChild(this.field({ key: 'loop:output', label: '结果集合（loopDataOutputRef）', value: refs.nameOf(loop, 'loopDataOutputRef'),
      hint: '收集每一项结果的变量，例如 opinions' }, function (value) {
      self.setLoopRef(element, loop, 'loopDataOutputRef', value);
    }));
    group.appendChild(this.field({ key: 'loop:outputItem', label: '结果变量（outputDataItem）',
      value: loop.outputDataItem ? loop.outputDataItem.id : '' }, function (value) {
      self.setLoopItem(element, loop, 'outputDataItem', 'bpmn:DataOutput', value);
    }));
    return group;
  };

  /* What the element does, where it is more than its properties: condition, script, decision, call, timer. */
  PropertiesPanel.prototype.behaviourGroup = function (element) {
    var self = this;
    var bo = element.businessObject;
    var modeling = this.modeler.get('modeling');
    var moddle = this.modeler.get('moddle');
    var group = el('fieldset', { className: 'panel-group' }, [el('legend', { text: '行为' })]);
    if (is(bo, 'bpmn:SequenceFlow') && is(bo.sourceRef, 'bpmn:Gateway') || bo.conditionExpression) {
      group.appendChild(this.field({ key: 'condition', label: '条件表达式', multiline: true,
        value: bo.conditionExpression ? bo.conditionExpression.body : '' }, function (value) {
        if (!value) modeling.updateProperties(element, { conditionExpression: undefined });
        else if (bo.conditionExpression) modeling.updateModdleProperties(element, bo.conditionExpression, { body: value });
        else modeling.updateProperties(element, { conditionExpression: moddle.create('bpmn:FormalExpression', { body: value }) });
      }));
    } else if (is(bo, 'bpmn:ScriptTask')) {
      group.appendChild(this.field({ key: 'script', label: '脚本', multiline: true, value: bo.script || '' },
        function (value) { modeling.updateProperties(element, { script: value || undefined }); }));
    } else if (is(bo, 'bpmn:BusinessRuleTask')) {
      var decision = this.extension(bo, 'spiffworkflow:CalledDecisionId');
      group.appendChild(this.field({ key: 'decision', label: '决策表 ID', value: decision ? decision.value : '',
        hint: '.dmn 文件中 decision 的 id' }, function (value) {
        self.setExtension(element, 'spiffworkflow:CalledDecisionId', value);
      }));
    } else if (is(bo, 'bpmn:CallActivity')) {
      group.appendChild(this.field({ key: 'calledElement', label: '调用的流程 ID', value: bo.calledElement || '' },
        function (value) { modeling.updateProperties(element, { calledElement: value || undefined }); }));
    } else {
      var timer = (bo.eventDefinitions || []).filter(function (d) { return is(d, 'bpmn:TimerEventDefinition'); })[0];
      if (!timer) return null;
      var kind = timer.timeDate ? 'timeDate' : timer.timeDuration ? 'timeDuration' : timer.timeCycle ? 'timeCycle' : 'timeDate';
      var labels = { timeDate: '定时（时间点表达式）', timeDuration: '定时（时长表达式）', timeCycle: '定时（周期表达式）' };
      group.appendChild(this.field({ key: 'timer', label: labels[kind], value: timer[kind] ? timer[kind].body : '',
        hint: '结果须为 ISO 8601 时间，例如 due_date(accept_rule, assigned_on)' }, function (value) {
        if (timer[kind]) modeling.updateModdleProperties(element, timer[kind], { body: value });
        else modeling.updateModdleProperties(element, timer, (function () {
          var change = {}; change[kind] = moddle.create('bpmn:FormalExpression', { body: value }); return change;
        }()));
      }));
    }
    return group;
  };

  PropertiesPanel.prototype.otherGroup = function (element) {
    var self = this;
    var bo = element.businessObject;
    var taskKeys = is(bo, 'bpmn:UserTask') ? TASK_FIELDS.map(function (f) { return f.key; }) : [];
    var props = this.properties(bo);
    var group = el('fieldset', { className: 'panel-group' }, [el('legend', { text: '其他扩展属性' })]);
    Object.keys(props).filter(function (k) { return taskKeys.indexOf(k) === -1; }).forEach(function (name) {
      group.appendChild(self.field({ key: 'prop:' + name, label: name, value: props[name] },
        function (value) { self.setProperty(element, name, value); }));
    });
    var nameInput = el('input', { type: 'text', 'data-key': 'new-prop-name', placeholder: '属性名', 'aria-label': '新属性名' });
    var valueInput = el('input', { type: 'text', 'data-key': 'new-prop-value', placeholder: '值', 'aria-label': '新属性值' });
    var add = el('button', { type: 'button', text: '添加' });
    add.addEventListener('click', function () {
      var name = nameInput.value.trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) { self.say('属性名只能由字母、数字和下划线组成'); return; }
      if (!valueInput.value.trim()) { self.say('请填写属性值'); return; }
      self.setProperty(element, name, valueInput.value.trim());
    });
    group.appendChild(el('div', { className: 'panel-add' }, [nameInput, valueInput, add]));
    return group;
  };

  /* The element's spiffworkflow:property entries as {name: value}. */
  PropertiesPanel.prototype.properties = function (bo) {
    var found = {};
    var holder = this.extension(bo, 'spiffworkflow:Properties');
    (holder ? holder.get('values') : []).forEach(function (p) { found[p.name] = p.value; });
    return found;
  };

  PropertiesPanel.prototype.extension = function (bo, type) {
    var ext = bo.get ? bo.get('extensionElements') : null;
    return ext ? ext.get('values').filter(function (v) { return is(v, type); })[0] : null;
  };

  /* Put `child` into the element's extensionElements (created when missing), as one command. */
  PropertiesPanel.prototype.addExtension = function (element, child) {
    var bo = element.businessObject;
    var modeling = this.modeler.get('modeling');
    var ext = bo.get('extensionElements');
    if (ext) {
      child.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: ext.get('values').concat([child]) });
    } else {
      ext = this.modeler.get('moddle').create('bpmn:ExtensionElements', { values: [child] });
      child.$parent = ext;
      ext.$parent = bo;
      modeling.updateProperties(element, { extensionElements: ext });
    }
  };

  PropertiesPanel.prototype.setProperty = function (element, name, value) {
    var modeling = this.modeler.get('modeling');
    var moddle = this.modeler.get('moddle');
    var holder = this.extension(element.businessObject, 'spiffworkflow:Properties');
    var list = holder ? holder.get('values') : [];
    var existing = list.filter(function (p) { return p.name === name; })[0];
    if (existing) {
      if (value) modeling.updateModdleProperties(element, existing, { value: value });
      else modeling.updateModdleProperties(element, holder, { values: list.filter(function (p) { return p !== existing; }) });
      return;
    }
    if (!value) return;
    var prop = moddle.create('spiffworkflow:Property', { name: name, value: value });
    if (holder) {
      prop.$parent = holder;
      modeling.updateModdleProperties(element, holder, { values: list.concat([prop]) });
    } else {
      holder = moddle.create('spiffworkflow:Properties', { values: [prop] });
      prop.$parent = holder;
      this.addExtension(element, holder);
    }
  };

  PropertiesPanel.prototype.setExtension = function (element, type, value) {
    var existing = this.extension(element.businessObject, type);
    var modeling = this.modeler.get('modeling');
    if (existing && value) {
      modeling.updateModdleProperties(element, existing, { value: value });
    } else if (existing) {
      var ext = element.businessObject.get('extensionElements');
      modeling.updateModdleProperties(element, ext, { values: ext.get('values').filter(function (v) { return v !== existing; }) });
    } else if (value) {
      this.addExtension(element, this.modeler.get('moddle').create(type, { value: value }));
    }
  };

  PropertiesPanel.prototype.idTaken = function (id, owner) {
    var assigned = this.modeler.get('moddle').ids.assigned(id);
    return assigned && assigned !== owner;
  };

  PropertiesPanel.prototype.setId = function (element, value) {
    var bo = element.businessObject;
    if (value === bo.id) return;
    if (!ID_PATTERN.test(value)) throw new Error('ID 须以字母或下划线开头，只含字母、数字、下划线、点和短横线');
    if (this.idTaken(value, bo) || this.modeler.get('elementRegistry').get(value)) {
      throw new Error('ID ' + value + ' 已被其他元素使用');
    }
    this.modeler.get('modeling').updateProperties(element, { id: value });
  };

  PropertiesPanel.prototype.setName = function (element, value) {
    var modeling = this.modeler.get('modeling');
    if (element === this.modeler.get('canvas').getRootElement()) {
      modeling.updateProperties(element, { name: value || undefined });
    } else {
      modeling.updateLabel(element, value || null);
    }
  };

  PropertiesPanel.prototype.setLoopRef = function (element, loop, property, value) {
    if (value && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new Error('变量名只能由字母、数字和下划线组成');
    var change = {};
    change[property] = value ? window.CppccNameRefs.nameRef(this.modeler.get('moddle'), value) : undefined;
    this.modeler.get('modeling').updateModdleProperties(element, loop, change);
  };

  /* The element (or result) variable: a bpmn:DataInput/DataOutput whose id (and name) is the variable. */
  PropertiesPanel.prototype.setLoopItem = function (element, loop, property, type, value) {
    var current = loop.get(property);
    if (current && current.id === value) return;
    var change = {};
    if (value) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new Error('变量名只能由字母、数字和下划线组成');
      if (this.idTaken(value, current) || this.modeler.get('elementRegistry').get(value)) {
        throw new Error(value + ' 已被文件中其他元素用作 ID（元素变量也是 XML 中的 ID，须在文件内唯一）');
      }
      var item = this.modeler.get('moddle').create(type, { id: value, name: value });
      item.$parent = loop;
      this.modeler.get('moddle').ids.claim(value, item);
      change[property] = item;
    } else {
      change[property] = undefined;
    }
    this.modeler.get('modeling').updateModdleProperties(element, loop, change);
  };

  window.CppccPropertiesPanel = function (modeler, container, config) {
    return new PropertiesPanel(modeler, container, config);
  };
}());
