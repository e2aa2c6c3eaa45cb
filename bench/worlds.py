"""Cost of building the API tests' world (tests/worlds.py `api_world`): through the HTTP API,
as the suite did, against through the service layer, as it does now.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.worlds [--repeat 10] [--database-url URL]

Each round copies one database holding the schema, the region's units and the test people
(made once), then builds the world on it one way, then the other way on a fresh copy; the
order alternates between rounds so both see the same machine load. Printed: the median wall
and CPU time (this process's, `time.process_time`) of a build each way, and the ratio. The
password hash is the test suite's cheap one (tests/conftest.py), as in the suite.

The database is a temporary SQLite file unless --database-url is given (PostgreSQL: that
database is dropped and re-created from a template for each build, as the suite does).
"""
import argparse
import functools
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
os.environ.setdefault("CPPCC_SECRET_KEY", "bench-worlds-" + "x" * 40)
TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "api")]

from template_db import Runtimes, Templates  # noqa: E402
from worlds import Services, api_world, seed_people  # noqa: E402

from api import create_app  # noqa: E402
from engine.adapters.db import Database  # noqa: E402
from engine.model.settings import Settings  # noqa: E402


@functools.cache
def _api_conftest():
    spec = importlib.util.spec_from_file_location("api_tests_conftest", TESTS / "api" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def http_driver(settings, runtime, database):
    """The HTTP driver the suite used (tests/api/conftest.py `Api`: logs in, then POSTs)."""
    return _api_conftest().Api(create_app(settings, runtime=runtime, database=database))


def build(way: str, settings, runtimes, templates, runtime_for_seed) -> tuple[float, float]:
    """Copy the people template, build the world `way`; (wall seconds, CPU seconds)."""
    templates.copy(settings.database_url, "people", lambda db: seed_people(db, runtime_for_seed))
    database = Database(settings.database_url)
    try:
        runtime = runtimes.get(settings)
        driver = Services(database, runtime) if way == "services" else http_driver(settings, runtime, database)
        wall, cpu = time.perf_counter(), time.process_time()  # the app is made before: only the walk is timed
        world = api_world(driver)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert len(world["tasks"]) == 4
        return wall, cpu
    finally:
        database.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/worlds.sqlite3"
        settings = Settings(database_url=url, upload_dir=Path(folder) / "uploads",
                            secret_key=os.environ["CPPCC_SECRET_KEY"])
        runtimes, templates = Runtimes(), Templates(Path(folder))
        seed_runtime = runtimes.get(replace(settings))
        times: dict[str, list[tuple[float, float]]] = {"http": [], "services": []}
        try:
            for n in range(args.repeat + 1):  # the first round warms up (imports, parsing) and is not counted
                for way in (("http", "services") if n % 2 else ("services", "http")):
                    measured = build(way, settings, runtimes, templates, seed_runtime)
                    if n:
                        times[way].append(measured)
        finally:
            templates.close()
    print(f"The API tests' world (3 proposals, 9 steps, 4 task look-ups), {args.repeat} builds each way, "
          f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; load {os.getloadavg()[0]:.1f}")
    print(f"{'way':<10}{'wall (median)':>15}{'CPU (median)':>15}")
    medians = {}
    for way, found in times.items():
        medians[way] = (statistics.median(w for w, _ in found), statistics.median(c for _, c in found))
        print(f"{way:<10}{medians[way][0] * 1000:>12.0f} ms{medians[way][1] * 1000:>12.0f} ms")
    print(f"services / http: wall {medians['services'][0] / medians['http'][0]:.2f}, "
          f"CPU {medians['services'][1] / medians['http'][1]:.2f}")


if __name__ == "__main__":
    main()
