"""Benchmarks, run as modules: `python -m bench.step_cost`."""
import tempfile
from pathlib import Path


def database_url(given: str | None, name: str) -> str:
    """The --database-url given, else a new SQLite file in a temporary folder named after the bench."""
    return given or f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'bench-{name}-')) / f'{name}.sqlite3'}"
