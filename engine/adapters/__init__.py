"""The engine's contact with the outside world: the database (engine, units of
work, schema migrations with alembic), the notification outbox and its
channels, the signing-key store, the unit directory's Excel files, the timer
worker's file locks on SQLite (`worker_lock`).

May import: `engine.model`, `engine.profile`, `engine.rules`.
"""
