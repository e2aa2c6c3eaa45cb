"""Tables of logins: the valid page sessions and API tokens, and the failed logins counted for
the lockout, on the same declarative base as engine/model/tables.py, which re-exports them.

May import: `engine.model.base` (Base and the time column type) only.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.model.base import Base, UtcDateTime


class LoginSession(Base):
    """A login that is still valid: a page session or an API token. The cookie or token
    carries a random secret; only its SHA-256 is stored. Logging out deletes the row, so a
    copied cookie or token stops working at once."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # page | api
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LoginFailure(Base):
    """One failed login, kept for the lockout window: the limits per account and per
    address are counted here, so every server process of the database agrees."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))  # as typed (cut to 80 characters)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    __table_args__ = (Index("ix_login_failures_username", "username", "at"),
                      Index("ix_login_failures_address", "address", "at"))
