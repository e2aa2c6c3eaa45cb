/* bpmnlint-plugin-cppcc: the project's own lint rules for its SpiffWorkflow diagrams.
 *
 * Used by the designer's editor (bpmn-js-bpmnlint, compiled into the editor bundle at
 * set-up) and at deploy (tools/designer/lint.mjs, run by engine/definitions/lint.py), both through
 * the repository's .bpmnlintrc, which extends "plugin:cppcc/recommended".
 *
 * Every message is Chinese. Some rules restate a check the engine makes at deploy
 * (engine/definitions/bundle.py), so the editor shows it while editing: `restating` names
 * them, and where the engine reported the element, its problem is shown alone (at
 * deploy by engine/definitions/lint.py, in the editor's panel after 校验). Rules take an
 * optional config, given at run time by the page
 * (the roles and forms it offers) and by engine/definitions/lint.py (the same lists):
 *   'cppcc/user-task-role-form': ['error', { roles: [...codes], forms: [...names] }]
 */
module.exports = {
  configs: {
    recommended: {
      rules: {
        'user-task-role-form': 'error',
        'unit-task-unit': 'error',
        'multi-instance-collection': 'error',
        'script-task-script': 'error'
      }
    }
  },
  restating: ['cppcc/user-task-role-form', 'cppcc/unit-task-unit', 'cppcc/script-task-script'],
  rules: {
    'user-task-role-form': './rules/user-task-role-form.js',
    'unit-task-unit': './rules/unit-task-unit.js',
    'multi-instance-collection': './rules/multi-instance-collection.js',
    'script-task-script': './rules/script-task-script.js'
  }
};
