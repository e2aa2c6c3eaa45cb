/* 问题: the problems of the selected element (the server's from 校验/部署 and bpmnlint's
 * live ones), at the top of the panel; no group when there are none. */
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { Group } from '@bpmn-io/properties-panel';

function Problem(props) {
  var p = props.problem;
  return jsx('div', {
    class: 'bio-properties-panel-entry cppcc-panel-problem cppcc-panel-' + p.category,
    'data-entry-id': props.id,
    children: [jsx('span', { class: 'cppcc-panel-problem-kind', children: p.category === 'error' ? '错误' : '提示' }),
               jsx('span', { class: 'cppcc-panel-problem-message', children: p.message })]
  });
}

export function problemsGroup(element, problems) {
  var found = problems.forElement(element.id);
  if (!found.length) return null;
  return {
    id: 'cppcc-problems',
    label: '问题（' + found.length + '）',
    component: Group,
    shouldOpen: true,
    entries: found.map(function (problem, i) {
      return { id: 'cppcc-problem-' + i, component: Problem, problem: problem };
    })
  };
}
