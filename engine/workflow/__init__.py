"""Running one case: the runtime (parser, script engine, service-task
table), one step of a case (`step`), the stored workflow state and its
state-format upgrade, faults and incidents, and the service tasks the
diagrams call (numbering, escalation).

May import: the layers below (`definitions`, `adapters`, `rules`, `profile`, `model`)
and SpiffWorkflow. Never `services`, `queries`, `replay`, `tooling` or Flask.
"""
