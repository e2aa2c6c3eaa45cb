"""The declarative base of every table and the one time column type (aware UTC on both
databases). engine/model/tables.py and engine/model/tables_public.py build on it.

May import: SQLAlchemy and the standard library only.
"""
from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import immutabledict

# The execution option of a read that needs nothing the transaction has pending (reference
# data: accounts, units, the people of a proposal, approved extensions): the session does not
# flush before it, so a case step's changes are flushed once, when the step stores the case.
NO_AUTOFLUSH = immutabledict({"autoflush": False})


class UtcDateTime(TypeDecorator):
    """DateTime(timezone=True) that takes aware datetimes only (a naive one says nothing of its
    zone: ValueError), stores them as UTC and reads them back aware UTC on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a stored time must be an aware datetime, not {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""
