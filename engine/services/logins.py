"""Logging in and out: the service behind the login page and POST /api/auth/login.

- Failed logins are rows of `login_failures`. After `Policy.per_account` failures for one
  user name, or `Policy.per_address` from one address, within `Policy.window`, that name
  or address may not log in until the window has passed (the right password included),
  and is told so in minutes. The rows are in the database, so every server process agrees.
- A successful login opens a row of `login_sessions`; the page cookie or the API token
  carries its random secret (only its SHA-256 is stored). Every request looks the row up,
  and logging out deletes it: a copied cookie or token stops working at once.
- API tokens are also signed and time-stamped (itsdangerous): a token older than its max
  age, or signed with another key, is refused before the database is asked.

Times here are the wall clock (not the engine's movable clock): a demo that moves the
case clock must not end or prolong logins.
"""
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.errors import EngineError, Unauthorized
from engine.model.settings import Settings
from engine.model.tables import LoginFailure, LoginSession, User
from engine.services import accounts

PAGE, API = "page", "api"
_SALT = "cppcc-api-token"


def utcnow() -> datetime:
    """The outside world's now on the engine's clock (aware UTC): a login lasts real hours,
    also under the demo's moved clock, and a test's clock moves it."""
    return clock.real_now()


class TooManyFailures(EngineError):
    """Too many failed logins for this account or address; `retry_after` in seconds."""

    status = 429

    def __init__(self, seconds: float) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(f"登录失败次数过多，请 {minutes} 分钟后再试")
        self.retry_after = minutes * 60


@dataclass(frozen=True)
class Policy:
    """How many failed logins are allowed per account and per address within `window`."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Settings) -> "Policy":
        """The policy of engine.model.settings.Settings."""
        return cls(settings.login_max_failures, settings.login_max_failures_per_address,
                   timedelta(minutes=settings.login_lockout_minutes))


def log_in(uow: UnitOfWork, username: str, password: str, address: str | None, policy: Policy, kind: str,
           lifetime: timedelta) -> tuple[User, str]:
    """Check the limits, then the password; commit a failure and raise Unauthorized, or open
    a login session of `kind` (PAGE or API) lasting `lifetime` and return (user, its secret).
    TooManyFailures while the account or the address is locked."""
    now, session = utcnow(), uow.session
    name, address = _name_key(username), (address or "")[:64]
    _refuse_if_locked(session, name, address, policy, now)
    try:
        user = accounts.authenticate(session, username, password)
    except Unauthorized:
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - policy.window))
        session.add(LoginFailure(username=name, address=address, at=now))
        uow.commit()
        raise
    session.execute(delete(LoginFailure).where(LoginFailure.username == name))
    session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(LoginSession(secret_hash=_digest(secret), user_id=user.id, kind=kind, created_at=now,
                             expires_at=now + lifetime))
    uow.commit()
    return user, secret


def session_user(session: Session, secret: object, kind: str) -> User | None:
    """The active user of the open login session with this secret, or None (logged out,
    expired, never issued, or the account was deactivated)."""
    found = _open_session(session, secret, kind)
    return found if found is not None and found.active else None


def log_out(uow: UnitOfWork, secret: object) -> None:
    """End the login session with this secret (nothing if there is none) and commit."""
    if isinstance(secret, str) and secret:
        uow.session.execute(delete(LoginSession).where(LoginSession.secret_hash == _digest(secret)))
        uow.commit()


class _ClockSigner(TimestampSigner):
    """Token time stamps on the engine's clock (real time; a test's clock moves it)."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_SALT, signer=_ClockSigner)


def issue_token(key: str, user: User, secret: str) -> str:
    """A signed, time-stamped API token naming the user and the login session."""
    return _serializer(key).dumps({"uid": user.id, "sid": secret})


def token_secret(key: str, token: str, max_age: int) -> str:
    """The login session secret a token carries; Unauthorized if forged or too old."""
    try:
        payload = _serializer(key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Unauthorized("登录已过期，请重新登录") from None
    except BadSignature:
        raise Unauthorized("登录凭证无效，请重新登录") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("sid"), str):
        raise Unauthorized("登录凭证无效，请重新登录")
    return payload["sid"]


def user_from_token(session: Session, key: str, token: str, max_age: int) -> User:
    """The user of an API token, or Unauthorized (forged, expired, logged out, deactivated)."""
    user = _open_session(session, token_secret(key, token, max_age), API)
    if user is None:
        raise Unauthorized("登录已失效，请重新登录")
    if not user.active:
        raise Unauthorized("账号不存在或已停用")
    return user


def _open_session(session: Session, secret: object, kind: str) -> User | None:
    if not isinstance(secret, str) or not secret:
        return None
    found = session.execute(select(User, LoginSession.expires_at).join(LoginSession, LoginSession.user_id == User.id)
                            .where(LoginSession.secret_hash == _digest(secret), LoginSession.kind == kind)).first()
    if found is None or found.expires_at <= utcnow():
        return None
    return found.User


def _refuse_if_locked(session: Session, name: str, address: str, policy: Policy, now: datetime) -> None:
    waits = []
    for column, value, limit in ((LoginFailure.username, name, policy.per_account),
                                 (LoginFailure.address, address, policy.per_address)):
        if not value:
            continue
        recent = session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > now - policy.window)
                                 .order_by(LoginFailure.at.desc()).limit(limit)).all()
        if len(recent) >= limit:  # locked until the oldest of the last `limit` failures leaves the window
            waits.append((recent[-1] + policy.window - now).total_seconds())
    if waits:
        raise TooManyFailures(max(waits))


def _name_key(username: object) -> str:
    """The user name as typed, as it can be stored (no NUL, at most 80 characters)."""
    return (username if isinstance(username, str) else "").replace("\x00", "")[:80]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
