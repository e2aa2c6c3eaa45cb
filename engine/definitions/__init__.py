"""Process definitions: reading BPMN/DMN files into a bundle, the checks run
at deploy, the expression sandbox and its budget, bpmnlint at deploy, and the
stored versions of a definition.

May import: `engine.model`, `engine.profile`, `engine.rules`, `engine.adapters`.
"""
