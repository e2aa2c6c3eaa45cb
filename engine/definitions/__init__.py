"""Process definitions: reading BPMN/DMN files into a bundle (`bundle`, with
the definition's vocabulary in `elements`), the checks run at deploy (`checks`,
`element_checks`), the expression sandbox and its budget, bpmnlint at deploy, and
the stored versions of a definition.

May import: `engine.model`, `engine.profile`, `engine.rules`, `engine.adapters`.
"""
