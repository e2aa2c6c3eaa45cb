"""The commands: each function takes a unit of work, changes the data of one
use case (submit, complete a task, extend, attach, claim, migrate a case,
repair, fire timers, manage accounts) and commits.

May import: `engine.workflow` and the layers below it. Never `queries` of
another use case's pages, `replay`, `tooling`, Flask.
"""
