"""Alembic environment of the CPPCC schema: everything is configured in engine/adapters/schema/__init__.py.

Used by `cppcc db-revision` and by the `alembic` command (`alembic -c engine/adapters/schema/alembic.ini ...`,
database: CPPCC_DATABASE_URL). `Database.create_schema()` does not load this file.
"""
from alembic import context

from engine.adapters.schema import run_environment

run_environment(context)
