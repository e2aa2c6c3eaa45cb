"""The read side: what a page or an API response shows (dossiers, task lists,
search, diagram marks, attachments, in-app messages, people and units, the
overdue report, recent timer events). Queries never change data and never commit.

May import: `engine.workflow` and the layers below it. Never `engine.services` (its
sibling), `replay`, `tooling`, Flask.
"""
