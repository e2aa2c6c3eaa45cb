"""The schema revisions, applied in order (0001, 0002, ...); alembic reads these files itself."""
