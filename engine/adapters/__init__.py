"""The engine's contact with the outside world: the database (engine, units of
work, schema migrations with alembic), the notification outbox and its
channels, the signing-key store, the unit directory's Excel files.

May import: `engine.model`, `engine.profile`, `engine.rules`.
"""
