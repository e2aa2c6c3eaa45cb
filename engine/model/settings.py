"""Settings of one running instance, read from the environment."""
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Where the database, the diagrams, the forms, the region profile and the uploads are.

    The region is chosen with CPPCC_REGION=<code> (the folder regions/<code>);
    its `decisions/` folder, if any, holds DMN tables that replace the ones of
    processes/ with the same file name.
    """

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'cppcc.sqlite3'}"
    processes_dir: Path = PROJECT_ROOT / "processes"
    forms_dir: Path = PROJECT_ROOT / "forms"
    region_dir: Path = PROJECT_ROOT / "regions" / "default"
    instance_dir: Path = PROJECT_ROOT / "instance"  # the demo's own files (its database, its secret key)
    secret_key: str | None = None  # CPPCC_SECRET_KEY; never a fixed default (engine/adapters/secret_key.py)
    token_max_age: int = 8 * 3600  # seconds an API token is valid
    # Failed logins (engine/services/logins.py): after this many in the lockout window, an account, or an
    # address, may not log in until the window has passed.
    login_max_failures: int = 5  # CPPCC_LOGIN_MAX_FAILURES, per account
    login_max_failures_per_address: int = 20  # CPPCC_LOGIN_MAX_FAILURES_PER_ADDRESS
    login_lockout_minutes: int = 15  # CPPCC_LOGIN_LOCKOUT_MINUTES
    # Behind a reverse proxy: how many proxies' X-Forwarded-For / X-Forwarded-Proto to trust
    # (CPPCC_PROXY_HOPS), and cookies always Secure (CPPCC_SECURE_COOKIES; else Secure over HTTPS).
    proxy_hops: int = 0
    secure_cookies: bool = False
    # Seconds the database may take (engine/adapters/db.py Limits): to connect, per statement, waiting for
    # a lock (on SQLite: for the other writer), for a free pooled connection. CPPCC_DB_*_TIMEOUT.
    db_connect_timeout: float = 5
    db_statement_timeout: float = 30
    db_lock_timeout: float = 15
    db_pool_timeout: float = 10
    upload_dir: Path = PROJECT_ROOT / "instance" / "uploads"  # attachment files, outside the database
    max_upload_bytes: int = 20 * 1024 * 1024  # one attachment
    allowed_upload_types: tuple = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "txt",
                                   "jpg", "jpeg", "png", "zip")  # file name extensions, lower case
    # Outbox delivery (engine/adapters/outbox.py): a channel without its host/URL keeps its messages pending.
    smtp_host: str | None = None  # e-mail: the SMTP server
    smtp_port: int = 25
    smtp_sender: str = "noreply@cppcc.local"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sms_gateway_url: str | None = None  # text messages: the HTTP gateway receiving {"to", "text"}
    sms_gateway_token: str | None = None  # sent as Authorization: Bearer <token>
    # Diagram expressions (engine/definitions/budget.py): run time and items built per step of a case.
    expression_seconds: float = 1.0
    expression_max_size: int = 1_000_000
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        """Build settings from CPPCC_* environment variables, then `overrides`."""
        env = {
            "database_url": os.environ.get("CPPCC_DATABASE_URL"),
            "processes_dir": os.environ.get("CPPCC_PROCESSES_DIR"),
            "forms_dir": os.environ.get("CPPCC_FORMS_DIR"),
            "region_dir": os.environ.get("CPPCC_REGION_DIR"),
            "secret_key": os.environ.get("CPPCC_SECRET_KEY"),
            "upload_dir": os.environ.get("CPPCC_UPLOAD_DIR"),
            "smtp_host": os.environ.get("CPPCC_SMTP_HOST"),
            "smtp_sender": os.environ.get("CPPCC_SMTP_SENDER"),
            "smtp_username": os.environ.get("CPPCC_SMTP_USERNAME"),
            "smtp_password": os.environ.get("CPPCC_SMTP_PASSWORD"),
            "sms_gateway_url": os.environ.get("CPPCC_SMS_URL"),
            "sms_gateway_token": os.environ.get("CPPCC_SMS_TOKEN"),
        }
        values: dict[str, Any] = {k: v for k, v in env.items() if v}
        region = (overrides.pop("region", None) or os.environ.get("CPPCC_REGION", "")).strip()
        if region:
            values.update(region_settings(region, keep_database="database_url" in values))
        for key in ("processes_dir", "forms_dir", "region_dir", "upload_dir"):
            if key in values:
                values[key] = Path(values[key])
        max_mb = os.environ.get("CPPCC_MAX_UPLOAD_MB", "").strip()
        if max_mb:
            values["max_upload_bytes"] = _megabytes(max_mb)
        smtp_port = os.environ.get("CPPCC_SMTP_PORT", "").strip()
        if smtp_port:
            values["smtp_port"] = _port(smtp_port)
        starttls = os.environ.get("CPPCC_SMTP_STARTTLS", "").strip()
        if starttls:
            values["smtp_starttls"] = _flag("CPPCC_SMTP_STARTTLS", starttls)
        for key, name, lowest in _COUNTS:
            text = os.environ.get(name, "").strip()
            if text:
                values[key] = _count(name, text, lowest)
        for key, name in _SECONDS:
            text = os.environ.get(name, "").strip()
            if text:
                values[key] = _seconds(name, text)
        secure = os.environ.get("CPPCC_SECURE_COOKIES", "").strip()
        if secure:
            values["secure_cookies"] = _flag("CPPCC_SECURE_COOKIES", secure)
        for key, parse in (("expression_seconds", float), ("expression_max_size", int)):
            text = os.environ.get(f"CPPCC_{key.upper()}", "").strip()
            if text:
                values[key] = _positive(f"CPPCC_{key.upper()}", text, parse)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


_COUNTS = (("login_max_failures", "CPPCC_LOGIN_MAX_FAILURES", 1),
           ("login_max_failures_per_address", "CPPCC_LOGIN_MAX_FAILURES_PER_ADDRESS", 1),
           ("login_lockout_minutes", "CPPCC_LOGIN_LOCKOUT_MINUTES", 1),
           ("proxy_hops", "CPPCC_PROXY_HOPS", 0))


_SECONDS = (("db_connect_timeout", "CPPCC_DB_CONNECT_TIMEOUT"), ("db_statement_timeout", "CPPCC_DB_STATEMENT_TIMEOUT"),
            ("db_lock_timeout", "CPPCC_DB_LOCK_TIMEOUT"), ("db_pool_timeout", "CPPCC_DB_POOL_TIMEOUT"))


def region_settings(code: str, keep_database: bool = False) -> dict:
    """The region folder regions/<code> and, unless a database is set, the
    region's own SQLite file (each region's demo keeps its own data)."""
    region_dir = PROJECT_ROOT / "regions" / code
    if not (region_dir / "region.yaml").is_file():
        known = sorted(p.name for p in (PROJECT_ROOT / "regions").iterdir() if (p / "region.yaml").is_file())
        raise ValueError(f"没有地区 {code!r}（regions/{code}/region.yaml 不存在；现有地区：{', '.join(known)}）")
    values: dict[str, Any] = {"region_dir": region_dir}
    if not keep_database and code != "default":
        values["database_url"] = f"sqlite:///{PROJECT_ROOT / 'instance' / f'cppcc-{code}.sqlite3'}"
    return values


def _megabytes(text: str) -> int:
    """CPPCC_MAX_UPLOAD_MB (a positive number of MB, e.g. 20 or 0.5) as bytes."""
    try:
        size = int(float(text) * 1024 * 1024)
    except (ValueError, OverflowError):  # not a number, nan, inf
        size = 0
    if size <= 0:
        raise ValueError(f"CPPCC_MAX_UPLOAD_MB 应为正数（单位 MB），现在是 {text!r}")
    return size


def _positive(name: str, text: str, parse: Callable[[str], float]) -> float:
    """A positive number from an environment variable (e.g. CPPCC_EXPRESSION_SECONDS=0.5)."""
    try:
        value = parse(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        raise ValueError(f"{name} 应为正数，现在是 {text!r}")
    return value


def _port(text: str) -> int:
    """CPPCC_SMTP_PORT (1–65535) as an int."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(f"CPPCC_SMTP_PORT 应为 1–65535 之间的端口号，现在是 {text!r}")
    return int(text)


def _seconds(name: str, text: str) -> float:
    """A positive number of seconds (e.g. 5 or 0.5) of at most a day."""
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value <= 86400:
        raise ValueError(f"{name} 应为正数（单位：秒，最多 86400），现在是 {text!r}")
    return value


def _count(name: str, text: str, lowest: int) -> int:
    """A whole-number environment variable of at least `lowest`."""
    if not (text.isascii() and text.isdigit()) or int(text) < lowest or len(text) > 6:
        raise ValueError(f"{name} 应为不小于 {lowest} 的整数，现在是 {text!r}")
    return int(text)


def _flag(name: str, text: str) -> bool:
    """A yes/no environment variable (1/0, true/false, yes/no, on/off)."""
    value = text.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} 应为 true 或 false，现在是 {text!r}")
