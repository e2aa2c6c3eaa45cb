"""The commands: each command takes a unit of work, changes the data of one
use case (submit, complete a task, extend, attach, claim, deploy, migrate a case,
repair, fire timers, draw a sample, mark messages read, manage accounts and
units) and commits. Helpers that take a session run inside a command's
transaction and only flush.

May import: `engine.workflow` and the layers below it. Never `engine.queries`
(its sibling), `replay`, `tooling`, Flask.
"""
