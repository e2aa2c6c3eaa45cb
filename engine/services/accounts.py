"""Users and passwords: hashed with werkzeug.security (scrypt), which comes with Flask.
Login sessions, tokens and the failed-login limits are engine/services/logins.py."""
import functools
import os
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.model.errors import EngineError, Unauthorized
from engine.model.tables import User


def hash_password(password: str) -> str:
    """A salted hash of `password` (scrypt; CPPCC_PASSWORD_HASH may name a
    cheaper werkzeug method such as "pbkdf2:sha256:1000" for test suites)."""
    return generate_password_hash(password, method=_method())


def _method() -> str:
    return os.environ.get("CPPCC_PASSWORD_HASH", "scrypt")


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or Unauthorized.

    Every attempt checks one password hash, a dummy one for an unknown name, so a
    failure takes the same time whether the account exists or not."""
    user = None
    if username and len(username) <= 80 and "\x00" not in username:  # no such name can exist
        user = session.scalar(select(User).where(User.username == username))
    matches = check_password_hash(user.password_hash if user else _dummy_hash(_method()), password or "")
    if user is None or not user.active or not matches:
        raise Unauthorized("用户名或密码不正确")
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password made like the stored ones (checked for unknown names)."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def committee_account(session: Session, username: str | None = None) -> User:
    """The active committee account `username` (for a command run on the committee's behalf),
    or the first one by username; an EngineError when there is none."""
    query = select(User).where(User.active.is_(True)).order_by(User.username)
    if username:
        query = query.where(User.username == username)
    found = next((u for u in session.scalars(query) if "committee" in u.role_set), None)
    if found is None:
        raise EngineError(f"找不到提案委账号“{username}”" if username else "还没有提案委账号")
    return found
