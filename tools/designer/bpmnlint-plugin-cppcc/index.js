/* bpmnlint-plugin-cppcc: the project's own lint rules for its SpiffWorkflow diagrams.
 *
 * Used by the designer's editor (bpmn-js-bpmnlint, compiled into the editor bundle at
 * set-up) and at deploy (tools/designer/lint.mjs, run by engine/lint.py), both through
 * the repository's .bpmnlintrc, which extends "plugin:cppcc/recommended".
 *
 * Every message is Chinese. Rules that restate a check the engine makes at deploy
 * (engine/definitions.py) use the engine's own words, so a deploy lists such a
 * problem once. Rules take an optional config, given at run time by the page
 * (the roles and forms it offers) and by engine/lint.py (the same lists):
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
  rules: {
    'user-task-role-form': './rules/user-task-role-form.js',
    'unit-task-unit': './rules/unit-task-unit.js',
    'multi-instance-collection': './rules/multi-instance-collection.js',
    'script-task-script': './rules/script-task-script.js'
  }
};
