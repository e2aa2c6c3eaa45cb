"""The shape of the code (docs/architecture.md): dependencies point one way with no cycle
(the import-linter contracts in pyproject.toml), entry points neither commit nor query,
modules stay small, and every package says what it holds and may import."""
import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
# The unit-of-work calls an entry point leaves to the services and queries.
SESSION_CALLS = {"execute", "scalars", "scalar", "get", "query", "add", "delete", "flush"}


def _modules(*folders):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "/schema/versions/" not in path.as_posix():
                yield path


def test_import_contracts_are_kept():
    """`lint-imports`: the layers, no cycle in any package, no Flask in the engine, no
    SpiffWorkflow and no SQLAlchemy sessions in the entry points."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_engine_package_is_in_a_layer():
    """A new package under engine/ must be given its place in the layers contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    named = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    packages = {f"engine.{p.name}" for p in (ROOT / "engine").iterdir() if (p / "__init__.py").is_file()}
    assert packages - named == set()


def _entry_point_violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "select":
            found.append(f"line {node.lineno}: select(")
        elif isinstance(func, ast.Attribute):
            if func.attr == "commit":
                found.append(f"line {node.lineno}: .commit(")
            elif func.attr == "select":
                found.append(f"line {node.lineno}: .select(")
            elif func.attr in SESSION_CALLS and isinstance(func.value, (ast.Name, ast.Attribute)) \
                    and (func.value.id if isinstance(func.value, ast.Name) else func.value.attr) == "session":
                found.append(f"line {node.lineno}: session.{func.attr}(")
    return found


def test_the_check_sees_commits_and_queries():
    """The entry-point check below finds what it is meant to find (and not Flask's cookie)."""
    source = ("uow.commit()\nrows = uow.session.execute(select(User))\nuser = session.get(User, 1)\n"
              "cookie.get('sid')\n")
    assert sorted(_entry_point_violations(source)) == ["line 1: .commit(", "line 2: select(",
                                                       "line 2: session.execute(", "line 3: session.get("]


@pytest.mark.parametrize("path", list(_modules("api")), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_entry_points_never_commit_or_query(path):
    """api/ leaves transactions to engine/services and reads to engine/queries: no `.commit(`,
    no `select(`, no `session.execute/scalars/get/...` (docs/architecture.md: the transaction rule)."""
    assert _entry_point_violations(path.read_text(encoding="utf-8")) == []


def test_no_module_is_too_long():
    """Modules stay under ~350 lines; over 400 fails."""
    long = {p.relative_to(ROOT).as_posix(): n for p in _modules("engine", "api")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_package_says_what_it_holds_and_may_import():
    packages = [p.parent for p in _modules("engine", "api") if p.name == "__init__.py"]
    quiet = [p.relative_to(ROOT).as_posix() for p in packages
             if "may import" not in (ast.get_docstring(ast.parse((p / "__init__.py").read_text(encoding="utf-8")))
                                     or "").lower()]
    assert quiet == []


def test_no_module_outside_the_layers():
    """engine/ holds only its layer packages: a module directly under it belongs to no layer."""
    loose = sorted(p.name for p in (ROOT / "engine").glob("*.py") if p.name != "__init__.py")
    assert loose == []
