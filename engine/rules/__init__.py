"""Domain rules that are pure functions of data: who may see and do what
(`permissions`, the one place for access decisions), deadlines and the
working calendar.

May import: `engine.model`, `engine.profile`.
"""
