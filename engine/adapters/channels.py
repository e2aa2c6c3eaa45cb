"""The channel adapters of the outbox (engine/adapters/outbox.py): e-mail over SMTP, text messages
through an HTTP gateway. `send(notification, user)` delivers one message or raises.

Every attempt for one outbox row carries the same idempotency key (`delivery_key`):
the e-mail's Message-ID, the SMS gateway's `Idempotency-Key` header and `message_id`
field. A message sent again after a worker died between sending it and recording it
is so recognisable as the same message (delivery is at least once).
"""
import hashlib
import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from engine.model import clock
from engine.model.settings import Settings
from engine.model.tables import Notification, User

EMAIL, SMS = "email", "sms"
NO_EMAIL, NO_PHONE = "没有邮箱地址", "没有手机号码"
SMS_PREFIX = "【政协提案】"


_iso = clock.utc_iso


def delivery_key(notification: Notification) -> str:
    """The idempotency key of one outbox row: the same on every attempt to send it,
    different for every row (its id, recipient, channel and creation time)."""
    seed = f"{notification.id}|{notification.recipient}|{notification.channel}|{_iso(notification.created_at)}"
    return f"cppcc-{notification.id}-{hashlib.sha256(seed.encode('utf-8')).hexdigest()[:16]}"


# Channel adapters: send(notification, user) -> None, raising on failure

class EmailChannel:
    """Sends a notification as a plain-text UTF-8 e-mail through an SMTP server."""

    name = EMAIL

    def __init__(self, host: str, port: int = 25, sender: str = "noreply@cppcc.local", username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 10) -> None:
        self.host, self.port, self.sender = host, int(port), sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def message(self, notification: Notification, user: User) -> EmailMessage:
        """The e-mail for `notification` to `user` (Subject and body in UTF-8)."""
        message = EmailMessage()
        message["Subject"] = " ".join(notification.title.split())  # no line breaks in a header
        message["From"] = self.sender
        message["To"] = (user.email or "").strip()
        message["Date"] = formatdate(clock.real_now().timestamp(), localtime=False)
        # stable per outbox row: a message sent again after a crash is recognisable as the same one
        message["Message-ID"] = f"<{delivery_key(notification)}@{self.sender.rpartition('@')[2] or 'cppcc.local'}>"
        text = notification.body or notification.title
        message.set_content(f"{user.name}：\n\n{text}\n\n—— 政协提案办理系统（本邮件由系统自动发送，请勿回复）\n",
                            charset="utf-8", cte="base64")  # 7-bit safe on every server
        return message

    def send(self, notification: Notification, user: User) -> None:
        """Deliver one e-mail; raises (smtplib.SMTPException, OSError, ValueError) on failure."""
        if not user.email or not user.email.strip():
            raise ValueError(NO_EMAIL)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            refused = smtp.send_message(self.message(notification, user))
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Do not follow redirects: a 3xx answer from the gateway is a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SmsChannel:
    """Sends a notification as a text message through an HTTP gateway.

    POSTs JSON {"to": phone, "text": "【政协提案】" + title, "message_id": key} to
    `url` with the header `Idempotency-Key: key` (the row's `delivery_key`, the
    same on every attempt) and `Authorization: Bearer <token>` when a token is
    set; any answer other than 2xx is a failure.
    """

    name = SMS

    def __init__(self, url: str, token: str | None = None, timeout: float = 10) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"短信网关地址应为 http(s) 地址：{url!r}")
        self.url, self.token, self.timeout = url, token, timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, notification: Notification, user: User) -> None:
        """Deliver one text message; raises (urllib.error.URLError, OSError, ValueError) on failure."""
        if not user.phone or not user.phone.strip():
            raise ValueError(NO_PHONE)
        key = delivery_key(notification)
        payload = {"to": user.phone.strip(), "text": SMS_PREFIX + notification.title, "message_id": key}
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                   "Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                         headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as err:
            err.close()
            raise RuntimeError(f"短信网关返回 HTTP {err.code}") from None
        if not 200 <= status < 300:
            raise RuntimeError(f"短信网关返回 HTTP {status}")


def channels_from_settings(settings: Settings) -> dict:
    """The configured channel adapters by name: "email" when an SMTP host is set,
    "sms" when a gateway URL is set (inapp needs no adapter)."""
    adapters: dict[str, EmailChannel | SmsChannel] = {}
    if settings.smtp_host:
        adapters[EMAIL] = EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                                       settings.smtp_username, settings.smtp_password, settings.smtp_starttls)
    if settings.sms_gateway_url:
        adapters[SMS] = SmsChannel(settings.sms_gateway_url, settings.sms_gateway_token)
    return adapters
