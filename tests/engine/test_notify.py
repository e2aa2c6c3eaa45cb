"""The notification outbox (engine/adapters/outbox.py) against real servers: a local SMTP
server (aiosmtpd) and a local HTTP text-message gateway (http.server in a thread).

Nothing is mocked: messages go over sockets and are decoded on the other side.
Runs on SQLite, or on CPPCC_TEST_DATABASE_URL (PostgreSQL) where two workers
racing over the same outbox are tested too.
"""
import dataclasses
import json
import re
import shutil
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.adapters import channels, outbox as notify
from engine.adapters.db import Database, UnitOfWork
from engine.model.settings import Settings
from engine.model.tables import Notification, OpenTask, User
from engine.profile.region import load_region
from engine.queries import notifications as messages
from engine.rules import permissions

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TITLE = "请办理：关于加强停车管理的建议"
BODY = "发改委：请在 5 个工作日内签收并拟定办理方案。"


def utc(moment):
    """A stored datetime as aware UTC (SQLite gives naive UTC back)."""
    return None if moment is None else (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_contact(database, username, email=None, phone=None):
    """Give `username` an e-mail address and/or a phone number."""
    with UnitOfWork(database) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        user.email, user.phone = email, phone
        uow.commit()


def enqueue(database, region, usernames, kind="assigned", title=TITLE, body=BODY, now=NOW) -> int:
    """Enqueue one message of `kind` for `usernames` and commit."""
    with UnitOfWork(database) as uow:
        users = list(uow.session.scalars(select(User).where(User.username.in_(usernames)).order_by(User.username)))
        count = notify.enqueue(uow.session, region, users, kind, title, body, proposal_id=None, task_id=None, now=now)
        uow.commit()
        return count


def outbox(database, channel=None) -> list[Notification]:
    """Every row of the outbox (of one channel), oldest first."""
    with UnitOfWork(database) as uow:
        query = select(Notification).order_by(Notification.id)
        if channel:
            query = query.where(Notification.channel == channel)
        return list(uow.session.scalars(query))


# Servers

class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        """The received messages, parsed (headers and body decoded)."""
        return [message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1: yields (port, inbox)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class Gateway:
    """A text-message gateway over HTTP: answers `status` (changeable while running),
    records every request and, when answering 2xx, the delivered messages."""

    def __init__(self, status=200, delay=0.0):
        self.status, self.delay = status, delay
        self.requests, self.delivered = [], []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                payload = json.loads(raw.decode("utf-8"))
                time.sleep(gateway.delay)
                with gateway.lock:
                    status = gateway.status
                    gateway.requests.append({"headers": dict(self.headers), "json": payload, "status": status})
                    if 200 <= status < 300:
                        gateway.delivered.append(payload)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def gateway():
    """A running Gateway answering 200; tests change `gateway.status`."""
    server = Gateway()
    yield server
    server.close()


def sms_key(database) -> str:
    """The idempotency key of the (one) text message in the outbox."""
    return channels.delivery_key(outbox(database, "sms")[0])


def with_sms(settings: Settings, url: str, token="gw-token") -> Settings:
    return dataclasses.replace(settings, sms_gateway_url=url, sms_gateway_token=token)


# Writing the outbox

def test_enqueue_follows_the_default_region(directory, runtime):
    set_contact(directory, "fgw_clerk", email="clerk@fgw.example", phone="13800000001")
    set_contact(directory, "fgw_head", phone="13800000002")  # no e-mail
    set_contact(directory, "jw_clerk", email="clerk@jw.example")  # no phone
    assert runtime.region.channels("assigned") == ["inapp", "email", "sms"]
    created = enqueue(directory, runtime.region, ["fgw_clerk", "fgw_head", "jw_clerk"])
    assert created == 9
    rows = {(n.recipient, n.channel): n for n in outbox(directory)}
    assert len(rows) == 9
    for username in ("fgw_clerk", "fgw_head", "jw_clerk"):
        inapp = rows[(username, "inapp")]
        assert (inapp.status, utc(inapp.sent_at), inapp.read_at, inapp.kind) == ("sent", NOW, None, "assigned")
        assert (inapp.title, inapp.body) == (TITLE, BODY)
    for key in (("fgw_clerk", "email"), ("fgw_clerk", "sms"), ("fgw_head", "sms"), ("jw_clerk", "email")):
        row = rows[key]
        assert (row.status, utc(row.next_attempt_at), row.attempts, row.sent_at) == ("pending", NOW, 0, None), key
    # Never silently dropped: the row is kept as failed, with the reason.
    assert (rows[("fgw_head", "email")].status, rows[("fgw_head", "email")].last_error) == ("failed", "没有邮箱地址")
    assert (rows[("jw_clerk", "sms")].status, rows[("jw_clerk", "sms")].last_error) == ("failed", "没有手机号码")


def test_enqueue_respects_the_region_channels(directory, runtime, settings, tmp_path):
    source = (settings.region_dir / "region.yaml").read_text(encoding="utf-8")
    block = ("notifications:\n  channels:\n    task: [email]\n    assigned: [sms, inapp]\n    reminder: []\n\n")
    changed, replaced = re.subn(r"^notifications:\n(?:[ #].*\n|\n)*", block, source, flags=re.M)
    assert replaced == 1
    shutil.copytree(settings.region_dir, tmp_path / "region")
    (tmp_path / "region" / "region.yaml").write_text(changed, encoding="utf-8")
    region = load_region(tmp_path / "region")
    set_contact(directory, "fgw_clerk", email="clerk@fgw.example", phone="13800000001")

    assert enqueue(directory, region, ["fgw_clerk"], kind="task") == 1
    assert enqueue(directory, region, ["fgw_clerk"], kind="assigned") == 2
    assert enqueue(directory, region, ["fgw_clerk"], kind="reminder") == 0  # switched off
    assert enqueue(directory, region, ["fgw_clerk"], kind="overdue") == 1  # not listed: in-app only
    assert [(n.kind, n.channel, n.status) for n in outbox(directory)] == [
        ("task", "email", "pending"), ("assigned", "sms", "pending"), ("assigned", "inapp", "sent"),
        ("overdue", "inapp", "sent")]


def test_enqueue_writes_once_per_person(directory, runtime):
    with UnitOfWork(directory) as uow:
        clerk = uow.session.scalar(select(User).where(User.username == "fgw_clerk"))
        assert notify.enqueue(uow.session, runtime.region, [clerk, clerk], "task", TITLE, now=NOW) == 1
        uow.commit()
    assert len(outbox(directory)) == 1


def test_recipients_are_who_would_see_the_task(directory):
    with UnitOfWork(directory) as uow:
        session = uow.session
        names = lambda users: [u.username for u in users]  # noqa: E731
        assert names(notify.recipients_for(session, "unit_clerk", "fgw")) == ["fgw_clerk"]
        assert names(notify.recipients_for(session, "unit_head", "jw")) == ["jw_head"]
        assert names(notify.recipients_for(session, "committee")) == ["tw"]
        assert names(notify.recipients_for(session, "deputy_head", assignee="deputy_qian")) == ["deputy_qian"]
        assert names(notify.recipients_for(session, "deputy_head")) == ["deputy_qian", "deputy_sun", "deputy_zhao"]
        assert notify.recipients_for(session, "unit_clerk", "fgw", assignee="jw_clerk") == []
        # same rule as permissions.may_do, for every user
        everyone = list(session.scalars(select(User)))
        for role, unit, assignee in [("unit_clerk", "kw", None), ("proposer", None, "wy"), ("supervisor", None, None),
                                     ("unit_head", "fgw", "fgw_head"), ("gov_office", None, "nobody")]:
            task = OpenTask(role=role, unit_id=unit, assignee=assignee)
            expected = sorted(u.username for u in everyone if permissions.may_do(u, task))
            assert names(notify.recipients_for(session, role, unit, assignee)) == expected, (role, unit, assignee)
        session.scalar(select(User).where(User.username == "kw_clerk")).active = False
        session.flush()
        assert notify.recipients_for(session, "unit_clerk", "kw") == []  # inactive users get nothing


# E-mail over a real SMTP server

def test_email_arrives_with_chinese_subject_and_body(directory, runtime, settings, smtp_server):
    port, inbox = smtp_server
    set_contact(directory, "fgw_clerk", email="clerk@fgw.example")
    enqueue(directory, runtime.region, ["fgw_clerk"])
    configured = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port,
                                     smtp_sender="tian@cppcc.example")
    counts = notify.deliver_due(directory, configured, NOW + timedelta(seconds=5))
    assert counts == {"sent": 1, "failed": 0, "retried": 0, "unconfigured": 0}  # sms: failed at once, no phone
    [message] = inbox.messages()
    assert message["Subject"] == TITLE
    assert (message["From"], message["To"]) == ("tian@cppcc.example", "clerk@fgw.example")
    assert inbox.envelopes[0].rcpt_tos == ["clerk@fgw.example"]
    text = message.get_content()
    assert BODY in text and "fgw经办人：" in text and "政协提案办理系统" in text
    assert message.get_content_charset() == "utf-8"
    [email] = outbox(directory, "email")
    assert (email.status, email.attempts, utc(email.sent_at), email.last_error) == (
        "sent", 1, NOW + timedelta(seconds=5), None)
    # nothing is due any more
    assert notify.deliver_due(directory, configured, NOW + timedelta(days=1)) == {
        "sent": 0, "failed": 0, "retried": 0, "unconfigured": 0}
    assert len(inbox.envelopes) == 1


def test_email_subject_never_carries_line_breaks(directory, runtime, settings, smtp_server):
    port, inbox = smtp_server
    set_contact(directory, "fgw_clerk", email="clerk@fgw.example")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="task", title="关于\r\nBcc: x@evil.example 的建议")
    with_smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    with UnitOfWork(directory) as uow:  # the default region sends tasks in-app only: send this one by hand
        row = uow.session.scalar(select(Notification))
        user = uow.session.scalar(select(User).where(User.username == "fgw_clerk"))
        notify.channels_from_settings(with_smtp)["email"].send(row, user)
    [message] = inbox.messages()
    assert message["Subject"] == "关于 Bcc: x@evil.example 的建议" and message["Bcc"] is None
    assert inbox.envelopes[0].rcpt_tos == ["clerk@fgw.example"]


def test_smtp_server_down_is_retried(directory, runtime, settings):
    set_contact(directory, "fgw_clerk", email="clerk@fgw.example")
    enqueue(directory, runtime.region, ["fgw_clerk"])
    nobody = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port())
    assert notify.deliver_due(directory, nobody, NOW)["retried"] == 1
    [email] = outbox(directory, "email")
    assert (email.status, email.attempts, utc(email.next_attempt_at)) == ("pending", 1, NOW + timedelta(minutes=1))
    assert "ConnectionRefusedError" in email.last_error


# Text messages over a real HTTP gateway

def test_sms_gateway_receives_json(directory, runtime, settings, gateway):
    set_contact(directory, "fgw_clerk", phone="13800000001")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="rate_request", title="请对提案办理结果进行评价")
    counts = notify.deliver_due(directory, with_sms(settings, gateway.url), NOW)
    assert counts == {"sent": 1, "failed": 0, "retried": 0, "unconfigured": 0}  # email: failed at once
    assert gateway.delivered == [{"to": "13800000001", "text": "【政协提案】请对提案办理结果进行评价", "message_id": sms_key(directory)}]
    headers = gateway.requests[0]["headers"]
    assert headers["Authorization"] == "Bearer gw-token"
    assert headers["Content-Type"].startswith("application/json")
    [sms] = outbox(directory, "sms")
    assert (sms.status, sms.attempts, utc(sms.sent_at)) == ("sent", 1, NOW)


def test_sms_failure_backs_off_then_recovers(directory, runtime, settings, gateway):
    set_contact(directory, "fgw_clerk", phone="13800000001")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="reminder", title="催办：请尽快答复")
    configured = with_sms(settings, gateway.url)
    gateway.status = 500

    assert notify.deliver_due(directory, configured, NOW)["retried"] == 1
    [sms] = outbox(directory, "sms")
    assert (sms.status, sms.attempts, utc(sms.next_attempt_at)) == ("pending", 1, NOW + timedelta(minutes=1))
    assert "HTTP 500" in sms.last_error

    # not due yet: nothing is sent
    assert notify.deliver_due(directory, configured, NOW + timedelta(seconds=59))["retried"] == 0
    assert len(gateway.requests) == 1

    second = NOW + timedelta(minutes=1)
    assert notify.deliver_due(directory, configured, second)["retried"] == 1
    [sms] = outbox(directory, "sms")
    assert (sms.status, sms.attempts, utc(sms.next_attempt_at)) == ("pending", 2, second + timedelta(minutes=5))

    gateway.status = 200  # the gateway recovers
    third = second + timedelta(minutes=5)
    assert notify.deliver_due(directory, configured, third)["sent"] == 1
    [sms] = outbox(directory, "sms")
    assert (sms.status, sms.attempts, utc(sms.sent_at), sms.last_error) == ("sent", 3, third, None)
    assert [r["status"] for r in gateway.requests] == [500, 500, 200]
    assert gateway.delivered == [{"to": "13800000001", "text": "【政协提案】催办：请尽快答复", "message_id": sms_key(directory)}]


def test_sms_gives_up_after_the_last_attempt(directory, runtime, settings, gateway):
    set_contact(directory, "fgw_clerk", phone="13800000001")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="overdue", title="逾期：答复已超过期限")
    configured = with_sms(settings, gateway.url)
    gateway.status = 503
    moment, waits = NOW, []
    for attempt in range(1, notify.MAX_ATTEMPTS + 1):
        counts = notify.deliver_due(directory, configured, moment)
        [sms] = outbox(directory, "sms")
        assert sms.attempts == attempt
        if attempt < notify.MAX_ATTEMPTS:
            assert counts["retried"] == 1 and sms.status == "pending"
            waits.append(utc(sms.next_attempt_at) - moment)
            moment = utc(sms.next_attempt_at)
        else:
            assert counts["failed"] == 1
    assert waits == [timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
    [sms] = outbox(directory, "sms")  # kept, never deleted
    assert (sms.status, sms.attempts, sms.next_attempt_at, sms.sent_at) == ("failed", 6, None, None)
    assert "HTTP 503" in sms.last_error
    gateway.status = 200
    assert notify.deliver_due(directory, configured, moment + timedelta(days=30))["sent"] == 0
    assert len(gateway.requests) == 6 and gateway.delivered == []


@pytest.mark.parametrize("status", [302, 404])
def test_sms_any_non_2xx_is_a_failure(directory, runtime, settings, gateway, status):
    set_contact(directory, "fgw_clerk", phone="13800000001")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="reminder")
    gateway.status = status
    assert notify.deliver_due(directory, with_sms(settings, gateway.url), NOW)["retried"] == 1
    [sms] = outbox(directory, "sms")
    assert sms.status == "pending" and f"HTTP {status}" in sms.last_error
    assert len(gateway.requests) == 1  # the redirect was not followed


def test_sms_gateway_must_be_http():
    with pytest.raises(ValueError):
        channels.SmsChannel("file:///etc/passwd")


# Missing addresses and channels

def test_user_without_email_gets_a_failed_row_with_the_reason(directory, runtime, settings, smtp_server):
    port, inbox = smtp_server
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="assigned")  # no e-mail, no phone
    rows = {n.channel: n for n in outbox(directory)}
    assert (rows["email"].status, rows["email"].last_error, rows["email"].next_attempt_at) == (
        "failed", "没有邮箱地址", None)
    assert (rows["sms"].status, rows["sms"].last_error) == ("failed", "没有手机号码")
    assert rows["inapp"].status == "sent"
    configured = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    assert notify.deliver_due(directory, configured, NOW) == {"sent": 0, "failed": 0, "retried": 0,
                                                              "unconfigured": 0}
    assert inbox.envelopes == [] and len(outbox(directory)) == 3


def test_address_removed_before_delivery_fails_with_the_reason(directory, runtime, settings, gateway):
    set_contact(directory, "fgw_clerk", phone="13800000001")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="reminder")
    set_contact(directory, "fgw_clerk", phone=None)
    assert notify.deliver_due(directory, with_sms(settings, gateway.url), NOW)["failed"] == 1
    [sms] = outbox(directory, "sms")
    assert (sms.status, sms.last_error, sms.attempts) == ("failed", "没有手机号码", 0)
    assert gateway.requests == []


def test_unconfigured_channel_keeps_messages_pending(directory, runtime, settings, gateway):
    set_contact(directory, "fgw_clerk", email="clerk@fgw.example", phone="13800000001")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="assigned")
    bare = dataclasses.replace(settings, smtp_host=None, sms_gateway_url=None)
    assert notify.channels_from_settings(bare) == {}
    assert notify.deliver_due(directory, bare, NOW) == {"sent": 0, "failed": 0, "retried": 0, "unconfigured": 2}
    for row in outbox(directory, "email") + outbox(directory, "sms"):
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, "渠道未配置")
        assert utc(row.next_attempt_at) == NOW + notify.UNCONFIGURED_RETRY
    # the gateway is configured later: the text goes out; e-mail still waits
    later = NOW + notify.UNCONFIGURED_RETRY
    counts = notify.deliver_due(directory, with_sms(bare, gateway.url), later)
    assert counts == {"sent": 1, "failed": 0, "retried": 0, "unconfigured": 1}
    assert gateway.delivered == [{"to": "13800000001", "text": "【政协提案】" + TITLE, "message_id": sms_key(directory)}]
    [email] = outbox(directory, "email")
    assert (email.status, email.attempts, email.last_error) == ("pending", 0, "渠道未配置")


def test_limit_bounds_one_run(directory, runtime, settings, gateway):
    for n, unit in enumerate(("fgw", "jw", "kw")):
        set_contact(directory, f"{unit}_clerk", phone=f"1380000000{n}")
    enqueue(directory, runtime.region, ["fgw_clerk", "jw_clerk", "kw_clerk"], kind="task")  # in-app only
    enqueue(directory, runtime.region, ["fgw_clerk", "jw_clerk", "kw_clerk"], kind="reminder")
    configured = with_sms(settings, gateway.url)
    assert notify.deliver_due(directory, configured, NOW, limit=2)["sent"] == 2
    assert notify.deliver_due(directory, configured, NOW, limit=2)["sent"] == 1
    assert len(gateway.delivered) == 3


def test_settings_from_the_environment(monkeypatch):
    for name, value in {"CPPCC_SMTP_HOST": "mail.example", "CPPCC_SMTP_PORT": "587",
                        "CPPCC_SMTP_SENDER": "tian@example", "CPPCC_SMTP_USERNAME": "u",
                        "CPPCC_SMTP_PASSWORD": "p", "CPPCC_SMTP_STARTTLS": "true",
                        "CPPCC_SMS_URL": "https://sms.example/send", "CPPCC_SMS_TOKEN": "t"}.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert (s.smtp_host, s.smtp_port, s.smtp_sender, s.smtp_username, s.smtp_password, s.smtp_starttls) == (
        "mail.example", 587, "tian@example", "u", "p", True)
    assert (s.sms_gateway_url, s.sms_gateway_token) == ("https://sms.example/send", "t")
    adapters = notify.channels_from_settings(s)
    assert sorted(adapters) == ["email", "sms"] and adapters["email"].starttls and adapters["email"].port == 587
    monkeypatch.setenv("CPPCC_SMTP_PORT", "smtp")
    with pytest.raises(ValueError, match="CPPCC_SMTP_PORT"):
        Settings.from_env()
    defaults = Settings()
    assert (defaults.smtp_host, defaults.smtp_port, defaults.smtp_sender, defaults.smtp_starttls,
            defaults.sms_gateway_url) == (None, 25, "noreply@cppcc.local", False, None)


# In-app messages

def test_in_app_messages_are_read_by_their_owner_only(directory, runtime):
    enqueue(directory, runtime.region, ["fgw_clerk", "jw_clerk"], kind="task", title="第一条")
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="reminder", title="第二条", now=NOW + timedelta(hours=1))
    enqueue(directory, runtime.region, ["fgw_clerk"], kind="overdue", title="第三条", now=NOW + timedelta(hours=2))
    with UnitOfWork(directory) as uow:
        s = uow.session
        assert messages.unread_count(s, "fgw_clerk") == 3 and messages.unread_count(s, "jw_clerk") == 1
        page = messages.list_for(s, "fgw_clerk", per_page=2)
        assert [i["title"] for i in page["items"]] == ["第三条", "第二条"]
        assert (page["total"], page["unread"], page["page"], page["per_page"]) == (3, 3, 1, 2)
        assert [i["title"] for i in messages.list_for(s, "fgw_clerk", page=2, per_page=2)["items"]] == ["第一条"]
        others = messages.list_for(s, "jw_clerk")["items"]
        newest = page["items"][0]["id"]
        assert notify.mark_read(s, "jw_clerk", [newest]) == 0  # not theirs
        assert notify.mark_read(s, "fgw_clerk", [newest, others[0]["id"], 999999]) == 1
        assert notify.mark_read(s, "fgw_clerk", [newest]) == 0  # already read
        assert notify.mark_read(s, "fgw_clerk", []) == 0
        assert messages.unread_count(s, "fgw_clerk") == 2 and messages.unread_count(s, "jw_clerk") == 1
        unread = messages.list_for(s, "fgw_clerk", unread_only=True)
        assert [i["title"] for i in unread["items"]] == ["第二条", "第一条"] and unread["total"] == 2
        assert notify.mark_read(s, "fgw_clerk") == 2
        uow.commit()
    with UnitOfWork(directory) as uow:
        assert messages.unread_count(uow.session, "fgw_clerk") == 0
        assert all(i["read"] and i["read_at"] for i in messages.list_for(uow.session, "fgw_clerk")["items"])
        assert messages.unread_count(uow.session, "jw_clerk") == 1


# Several workers

def test_racing_workers_send_each_message_once(directory, runtime, settings):
    if directory.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one delivery worker; SKIP LOCKED needs PostgreSQL (set CPPCC_TEST_DATABASE_URL)")
    gateway = Gateway(delay=0.02)  # slow enough for both workers to be busy at once
    try:
        usernames = [f"{u}_{r}" for u in ("fgw", "jw", "kw") for r in ("clerk", "head")]
        for n, username in enumerate(usernames):
            set_contact(directory, username, phone=f"1390000000{n}")
        for k in range(5):
            enqueue(directory, runtime.region, usernames, kind="reminder", title=f"催办第{k}次")
        expected = sorted(f"【政协提案】催办第{k}次" + "|" + f"1390000000{n}" for k in range(5)
                          for n in range(len(usernames)))
        configured = with_sms(settings, gateway.url)
        workers = [Database(settings.database_url) for _ in range(2)]
        start, results = threading.Barrier(2), [None, None]

        def work(i):
            start.wait()
            results[i] = notify.deliver_due(workers[i], configured, NOW)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for db in workers:
            db.engine.dispose()
        assert sorted(m["text"] + "|" + m["to"] for m in gateway.delivered) == expected  # each exactly once
        assert sum(r["sent"] for r in results) == len(expected) == 30
        assert all(r["retried"] == r["failed"] == 0 for r in results)
        assert all(r["sent"] > 0 for r in results), results  # both really worked
        sms = outbox(directory, "sms")
        assert all(n.status == "sent" and n.attempts == 1 for n in sms) and len(sms) == 30
    finally:
        gateway.close()
