"""Running one case: the runtime (parser, script engine, service-task
table), one step of a case (`step`) and the open-task rows it keeps (`open_tasks`),
the case row's lock (`case_lock`), the case's workflow class that finds its
tasks by state from its task tables (`case_workflow`), the stored workflow state and its
state-format upgrade, faults and incidents, what a batch of steps in one
transaction reads once (`batch_cache`), and the service tasks the
diagrams call: the table (`service_tasks`) and its plug-ins (`escalation`,
`extension`). The step looks service tasks up in the runtime's table and never
imports the plug-ins; the plug-ins may import the step.

May import: the layers below (`definitions`, `adapters`, `rules`, `profile`, `model`)
and SpiffWorkflow. Never `services`, `queries`, `replay`, `tooling` or Flask.
"""
