"""Settings of one running instance, read from the environment."""
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where the database, the diagrams, the forms and the region profile are."""

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'cppcc.sqlite3'}"
    processes_dir: Path = PROJECT_ROOT / "processes"
    forms_dir: Path = PROJECT_ROOT / "forms"
    region_dir: Path = PROJECT_ROOT / "regions" / "default"
    secret_key: str = "dev-only-secret-change-me"
    token_max_age: int = 8 * 3600
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
        }
        values = {k: v for k, v in env.items() if v}
        for key in ("processes_dir", "forms_dir", "region_dir"):
            if key in values:
                values[key] = Path(values[key])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
