"""The unit directory and accounts: loading the region's units, adding users."""
from sqlalchemy import select

from .accounts import hash_password
from .models import Unit, User
from .region import Region


def sync_units(session, region: Region) -> int:
    """Insert or update the region's unit directory; return how many units it has."""
    for entry in region.units:
        unit = session.get(Unit, entry["id"])
        if unit is None:
            session.add(Unit(id=entry["id"], name=entry["name"], deputy=entry.get("deputy")))
        else:
            unit.name, unit.deputy = entry["name"], entry.get("deputy")
    session.flush()
    return len(region.units)


def add_user(session, username: str, name: str, password: str, roles, unit_id: str | None = None,
             email: str | None = None, phone: str | None = None) -> User:
    """Create a user (e-mail and mobile number for notifications are optional);
    refuses a username that exists, or an unknown unit."""
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"用户名 {username} 已存在")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise ValueError(f"单位 {unit_id} 不在单位名录中")
    user = User(username=username, name=name, password_hash=hash_password(password),
                roles=",".join(sorted(set(roles))), unit_id=unit_id, active=True, email=email, phone=phone)
    session.add(user)
    session.flush()
    return user
