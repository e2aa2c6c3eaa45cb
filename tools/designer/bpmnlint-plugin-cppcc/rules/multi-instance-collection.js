/* A multi-instance activity without a fixed count runs once per item of a collection: it
 * names the collection (loopDataInputRef, a variable name in SpiffWorkflow) and the
 * variable that holds each item (inputDataItem). */
var spiff = require('./spiff');

module.exports = function () {
  function check(node, reporter) {
    var loop = node.loopCharacteristics;
    if (!spiff.is(node, 'bpmn:Activity') || !spiff.is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) return;
    if (loop.loopCardinality && (loop.loopCardinality.body || '').trim()) return;
    var collection = loop.loopDataInputRef && loop.loopDataInputRef.id;
    if (!collection) {
      reporter.report(node.id, '多实例任务缺少集合变量（loopDataInputRef）：请在“多实例”中填写按哪个集合逐项办理', ['loopDataInputRef']);
    } else if (!(loop.inputDataItem && loop.inputDataItem.id)) {
      reporter.report(node.id, '多实例任务缺少元素变量（inputDataItem）：请在“多实例”中填写每一项的变量名', ['inputDataItem']);
    }
  }

  return { check: check };
};
