"""Users, passwords and login tokens.

Passwords are hashed with werkzeug.security (scrypt); tokens are signed and
time-limited with itsdangerous. Both come with Flask and are widely used.
"""
import os

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import Unauthorized
from .models import User

_SALT = "cppcc-api-token"


def hash_password(password: str) -> str:
    """A salted hash of `password` (scrypt; CPPCC_PASSWORD_HASH may name a
    cheaper werkzeug method such as "pbkdf2:sha256:1000" for test suites)."""
    return generate_password_hash(password, method=os.environ.get("CPPCC_PASSWORD_HASH", "scrypt"))


def authenticate(session, username: str, password: str) -> User:
    """The active user with these credentials, or Unauthorized."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        raise Unauthorized("用户名或密码不正确")
    return user


def issue_token(secret: str, user: User) -> str:
    """A signed token naming the user."""
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps({"uid": user.id})


def user_from_token(session, secret: str, token: str, max_age: int) -> User:
    """The user a token names, or Unauthorized if it is forged, expired or the user is gone."""
    try:
        payload = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Unauthorized("登录已过期，请重新登录") from None
    except BadSignature:
        raise Unauthorized("登录凭证无效，请重新登录") from None
    user = session.get(User, payload.get("uid"))
    if user is None or not user.active:
        raise Unauthorized("账号不存在或已停用")
    return user
