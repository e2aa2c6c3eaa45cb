"""The unit directory and accounts: loading the region's units, adding users."""
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.adapters.db import UnitOfWork
from engine.model.tables import Unit, User
from engine.profile.region import Region
from engine.services.accounts import hash_password


def sync_units(session: Session, region: Region) -> int:
    """Insert or update the region's unit directory; return how many units it has."""
    for entry in region.units:
        unit = session.get(Unit, entry["id"])
        if unit is None:
            session.add(Unit(id=entry["id"], name=entry["name"], deputy=entry.get("deputy")))
        else:
            unit.name, unit.deputy = entry["name"], entry.get("deputy")
    session.flush()
    return len(region.units)


def compare_units(session: Session, units: list[dict]) -> dict:
    """How a unit directory differs from the database's units table.

    Returns {"added": [ids], "changed": [ids], "removed": [ids], "in_use": {id: accounts}}:
    units new to the table, units whose name or deputy changes, and units of the
    table the directory no longer lists (with how many accounts still belong to them).
    """
    wanted = {u["id"]: u for u in units}
    rows = {u.id: u for u in session.scalars(select(Unit))}
    added = [i for i in wanted if i not in rows]
    changed = [i for i in wanted if i in rows and (rows[i].name, rows[i].deputy) != (wanted[i]["name"], wanted[i].get("deputy"))]
    removed = sorted(i for i in rows if i not in wanted)
    in_use = {}
    for unit_id in removed:
        count = session.scalar(select(func.count()).select_from(User).where(User.unit_id == unit_id))
        if count:
            in_use[unit_id] = count
    return {"added": added, "changed": changed, "removed": removed, "in_use": in_use}


def add_user(session: Session, username: str, name: str, password: str, roles: Iterable[str], unit_id: str | None = None,
             email: str | None = None, phone: str | None = None, password_hash: str | None = None) -> User:
    """Create a user (e-mail and mobile number for notifications are optional);
    refuses a username that exists, or an unknown unit. `password_hash`, when
    given, is stored instead of hashing `password` (demo accounts sharing one password)."""
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"用户名 {username} 已存在")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise ValueError(f"单位 {unit_id} 不在单位名录中")
    user = User(username=username, name=name, password_hash=password_hash or hash_password(password),
                roles=",".join(sorted(set(roles))), unit_id=unit_id, active=True, email=email, phone=phone)
    session.add(user)
    session.flush()
    return user


def load_unit_directory(uow: UnitOfWork, region: Region) -> int:
    """Insert or update the region's unit directory and commit; how many units it has."""
    count = sync_units(uow.session, region)
    uow.commit()
    return count


def create_user(uow: UnitOfWork, username: str, name: str, password: str, roles: Iterable[str], unit_id: str | None = None) -> User:
    """`add_user` in its own transaction (the command line's add-user)."""
    user = add_user(uow.session, username, name, password, roles, unit_id)
    uow.commit()
    return user
