"""The notification outbox and its delivery (no Flask here).

Every message people get — a new task, an assignment, a reminder, an overdue
notice, a request to rate — is first written to the `notifications` table by
`enqueue`, in the same transaction as the step that caused it, one row per
person per channel. The region profile decides the channels of each kind of
message (`notifications.channels` in region.yaml).

- inapp rows are delivered by being stored (status "sent"); people read them
  in the pages and through /api/notifications (`list_for`, `unread_count`,
  `mark_read`).
- email and sms rows wait as "pending" until `deliver_due` (run by a worker)
  sends them through the channel adapters (`EmailChannel` over SMTP,
  `SmsChannel` over an HTTP gateway). A failed send is retried with backoff
  (1, 5, 30, 120, 720 minutes); after MAX_ATTEMPTS the row is "failed", kept
  with its last error. A row that cannot be sent at all (no e-mail address,
  no phone number) is stored as "failed" with the reason, never dropped. A
  channel that is not configured leaves its rows pending ("渠道未配置") so
  nothing is lost when it is configured later.

On PostgreSQL several workers may run `deliver_due` at once: each message is
claimed with `SELECT ... FOR UPDATE SKIP LOCKED` and held until its outcome is
committed, so no two workers send it at once. On SQLite a plain select is
used: one worker runs per database, and rounds take turns (engine/adapters/worker_lock.py).

Delivery is at least once: a worker that dies after a send went out but before
its outcome was committed leaves the row pending, and it is sent again. Every
attempt for one row carries the same idempotency key (`delivery_key`): the
e-mail's Message-ID, the SMS gateway's `Idempotency-Key` header and
`message_id` field, so the receiving side can recognise and drop the repeat.
"""
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, CursorResult, Table, bindparam, select, update
from sqlalchemy.orm import Session

from engine.adapters.channels import (
    EMAIL,
    NO_EMAIL,
    NO_PHONE,
    SMS,
    channels_from_settings,
)
from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.base import NO_AUTOFLUSH
from engine.model.errors import NotFound
from engine.model.settings import Settings
from engine.model.tables import Notification, OpenTask, User
from engine.profile.region import Region

INAPP = "inapp"
PENDING, SENT, FAILED = "pending", "sent", "failed"
BACKOFF_MINUTES = (1, 5, 30, 120, 720)  # wait after the 1st, 2nd, ... failed attempt
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1  # the 6th failure gives up
UNCONFIGURED_RETRY = timedelta(minutes=5)  # look again at rows of a channel that is not configured
NO_USER = "收件人不存在或已停用"
NOT_CONFIGURED = "渠道未配置"
_TITLE_MAX, _ERROR_MAX = 300, 2000
_INSERT = cast(Table, Notification.__table__).insert()


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive value is taken as UTC, as SQLite returns it)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).isoformat()


# Writing the outbox

class Reachable(Protocol):
    """Who a message is written for: an account, or a row read with these columns."""

    @property
    def username(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...


def enqueue(session: Session, region: Region, recipients: Sequence[Reachable], kind: str, title: str, body: str = "",
            proposal_id: int | None = None, task_id: str | None = None, *, now: datetime) -> int:
    """Write one Notification per recipient per channel of `kind` (from the region profile).

    Runs in the caller's transaction (nothing is committed here). `now` is the
    engine's clock (the demo's, in a demo). In-app rows are stored as sent at
    `now`; an email row for a user without an e-mail address, or an sms row for a
    user without a phone number, is stored as failed with the reason; every
    other row is pending, due at once in real time (a demo clock never delays
    it). A user listed twice gets one message. Returns the number of rows created.
    """
    now = _utc(now)
    due = clock.to_real(now)
    channels = region.channels(kind)
    title = (title or "")[:_TITLE_MAX]
    rows, seen = [], set()
    for user in recipients:
        if user.username in seen:
            continue
        seen.add(user.username)
        for channel in channels:
            row = dict(recipient=user.username, channel=channel, kind=kind, title=title, body=body or "",
                       proposal_id=proposal_id, task_id=task_id, created_at=now, attempts=0, status=PENDING,
                       next_attempt_at=None, sent_at=None, last_error=None)
            missing = _missing_address(channel, user)
            if channel == INAPP:
                row.update(status=SENT, sent_at=now)
            elif missing:
                row.update(status=FAILED, last_error=missing)
            else:
                row.update(next_attempt_at=due)
            rows.append(row)
    if rows:  # one statement for all of them, on the session's connection: no ORM object is made,
        # and nothing the caller has pending is flushed for it (the rows name only stored things)
        session.connection().execute(_INSERT, rows)
    return len(rows)


def _missing_address(channel: str, user: Reachable | None) -> str | None:
    """Why `user` cannot be reached on `channel`, or None."""
    if user is None or not user.active:
        return NO_USER
    if channel == EMAIL and not (user.email or "").strip():
        return NO_EMAIL
    if channel == SMS and not (user.phone or "").strip():
        return NO_PHONE
    return None


def recipients_for(session: Session, role: str, unit_id: str | None = None, assignee: str | None = None) -> list[User]:
    """The active users who would see a task of `role` (of `unit_id`, for `assignee` when given).

    The same rule as engine.rules.permissions.may_do: the role is one of the user's
    roles, the unit is the user's unit if the task has one, and the user is the
    assignee if the task names one. Ordered by username.
    """
    query = _RECIPIENTS[unit_id is not None, assignee is not None]  # (a statement ignores what it does not name)
    params = {"role": role, "unit_id": unit_id, "assignee": assignee}
    return [u for u in session.scalars(query, params, execution_options=NO_AUTOFLUSH) if role in u.role_set]


def _recipients_query(by_unit: bool, by_assignee: bool) -> Any:
    query = select(User).where(User.active.is_(True), User.roles.contains(bindparam("role")))
    if by_unit:
        query = query.where(User.unit_id == bindparam("unit_id"))
    if by_assignee:
        query = query.where(User.username == bindparam("assignee"))
    return query.order_by(User.username)


# built once (building a statement cost more than running it): by (unit given, assignee given)
_RECIPIENTS = {(u, a): _recipients_query(u, a) for u in (False, True) for a in (False, True)}


# Delivery

def deliver_due(database: Database, settings: Settings, now: datetime, limit: int = 100, channels: dict | None = None) -> dict:
    """Send up to `limit` pending messages due at `now` (real time); returns counts
    {"sent", "failed", "retried", "unconfigured"}.

    Each message is claimed, sent and its outcome committed in its own
    transaction (on PostgreSQL the row stays locked with FOR UPDATE SKIP
    LOCKED until then, so concurrent workers never send it twice). A failed
    send increments `attempts`, records `last_error` and is retried after
    1, 5, 30, 120, 720 minutes; the 6th failure marks it "failed" (kept).
    Rows of a channel without configuration (`channels` defaults to
    `channels_from_settings(settings)`) stay pending with "渠道未配置" and are
    looked at again after UNCONFIGURED_RETRY; they do not use up attempts.
    """
    now = _utc(now)
    adapters = channels_from_settings(settings) if channels is None else channels
    counts = {"sent": 0, "failed": 0, "retried": 0, "unconfigured": _defer_unconfigured(database, adapters, now)}
    postgres = database.engine.dialect.name == "postgresql"
    for _ in range(max(limit, 0) if adapters else 0):
        with UnitOfWork(database) as uow:
            query = (select(Notification)
                     .where(Notification.status == PENDING, Notification.next_attempt_at <= now,
                            Notification.channel.in_(sorted(adapters)))
                     .order_by(Notification.next_attempt_at, Notification.id).limit(1))
            if postgres:
                query = query.with_for_update(skip_locked=True)
            row = uow.session.scalar(query)
            if row is None:
                break
            outcome = _attempt(uow.session, row, adapters[row.channel], now)
            uow.commit()
            counts[outcome] += 1
    return counts


def _defer_unconfigured(database: Database, adapters: dict, now: datetime) -> int:
    """Mark due rows of channels without an adapter "渠道未配置" and look again later; returns how many."""
    due = (Notification.status == PENDING, Notification.next_attempt_at <= now,
           Notification.channel.not_in(sorted(adapters) or [INAPP]))
    with UnitOfWork(database) as uow:
        if database.engine.dialect.name == "postgresql":
            claimed = select(Notification.id).where(*due).with_for_update(skip_locked=True)
            statement = update(Notification).where(Notification.id.in_(claimed))
        else:
            statement = update(Notification).where(*due)
        result = uow.session.execute(statement.values(last_error=NOT_CONFIGURED,
                                                      next_attempt_at=now + UNCONFIGURED_RETRY)
                                     .execution_options(synchronize_session=False))
        uow.commit()
        return cast(CursorResult, result).rowcount or 0


def _attempt(session: Session, row: Notification, adapter: Any, now: datetime) -> str:
    """Send `row` once and record the outcome on it: "sent", "retried" or "failed"."""
    user = session.scalar(select(User).where(User.username == row.recipient))
    missing = _missing_address(row.channel, user)
    if missing:  # cannot succeed by retrying
        row.status, row.last_error, row.next_attempt_at = FAILED, missing, None
        return "failed"
    row.attempts = (row.attempts or 0) + 1
    try:
        adapter.send(row, user)
    except Exception as err:  # noqa: BLE001 — any failure of the channel is recorded and retried
        row.last_error = (f"{type(err).__name__}: {err}")[:_ERROR_MAX]
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = FAILED, None
            return "failed"
        row.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
        return "retried"
    row.status, row.sent_at, row.next_attempt_at, row.last_error = SENT, now, None, None
    return "sent"


# Reading in-app messages

def mine(username: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (Notification.recipient == username, Notification.channel == INAPP)


def open_message(session: Session, username: str, notification_id: int, now: datetime | None = None) -> dict:
    """Mark one of `username`'s in-app messages read and say where it leads:
    {"task_id"} while its task is open, else {"proposal_id"} (or neither).
    NotFound for a message that is not the user's."""
    row = session.scalar(select(Notification).where(Notification.id == notification_id, *mine(username)))
    if row is None:
        raise NotFound("找不到该消息")
    if row.read_at is None:
        row.read_at = _utc(now or clock.now())
    task_open = row.task_id is not None and session.get(OpenTask, row.task_id) is not None
    return {"task_id": row.task_id if task_open else None, "proposal_id": row.proposal_id}


def mark_read(session: Session, username: str, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark `username`'s unread in-app messages read (those in `ids`, or all when None).

    Other people's messages and ids that do not exist are ignored. Runs in the
    caller's transaction; returns how many were marked.
    """
    statement = update(Notification).where(*mine(username), Notification.read_at.is_(None))
    if ids is not None:
        if not ids:
            return 0
        statement = statement.where(Notification.id.in_(sorted(set(ids))))
    result = session.execute(statement.values(read_at=_utc(now or clock.now()))
                             .execution_options(synchronize_session=False))
    return cast(CursorResult, result).rowcount or 0
