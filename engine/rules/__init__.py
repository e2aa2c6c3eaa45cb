"""Domain rules that are pure functions of data: who may see and do what
(`permissions`, the one place for access decisions, with its parts `roles` and
`visibility`, which it re-exports), deadlines, approved
deadline extensions and the working calendar. Rules may read tables.

May import: `engine.model`, `engine.profile`.
"""
