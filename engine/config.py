"""Settings of one running instance, read from the environment."""
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    secret_key: str = "dev-only-secret-change-me"
    token_max_age: int = 8 * 3600
    upload_dir: Path = PROJECT_ROOT / "instance" / "uploads"  # attachment files, outside the database
    max_upload_bytes: int = 20 * 1024 * 1024  # one attachment
    allowed_upload_types: tuple = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "txt",
                                   "jpg", "jpeg", "png", "zip")  # file name extensions, lower case
    # Outbox delivery (engine/notify.py): a channel without its host/URL keeps its messages pending.
    smtp_host: str | None = None  # e-mail: the SMTP server
    smtp_port: int = 25
    smtp_sender: str = "noreply@cppcc.local"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sms_gateway_url: str | None = None  # text messages: the HTTP gateway receiving {"to", "text"}
    sms_gateway_token: str | None = None  # sent as Authorization: Bearer <token>
    # Diagram expressions (engine/sandbox_budget.py): run time and items built per step of a case.
    expression_seconds: float = 1.0
    expression_max_size: int = 1_000_000
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
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
        values = {k: v for k, v in env.items() if v}
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
        for key, parse in (("expression_seconds", float), ("expression_max_size", int)):
            text = os.environ.get(f"CPPCC_{key.upper()}", "").strip()
            if text:
                values[key] = _positive(f"CPPCC_{key.upper()}", text, parse)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def region_settings(code: str, keep_database: bool = False) -> dict:
    """The region folder regions/<code> and, unless a database is set, the
    region's own SQLite file (each region's demo keeps its own data)."""
    region_dir = PROJECT_ROOT / "regions" / code
    if not (region_dir / "region.yaml").is_file():
        known = sorted(p.name for p in (PROJECT_ROOT / "regions").iterdir() if (p / "region.yaml").is_file())
        raise ValueError(f"没有地区 {code!r}（regions/{code}/region.yaml 不存在；现有地区：{', '.join(known)}）")
    values = {"region_dir": region_dir}
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


def _positive(name: str, text: str, parse):
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


def _flag(name: str, text: str) -> bool:
    """A yes/no environment variable (1/0, true/false, yes/no, on/off)."""
    value = text.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} 应为 true 或 false，现在是 {text!r}")
