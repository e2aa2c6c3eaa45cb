"""One China time zone and one way to read the time: no module of engine/ or api/ defines
the zone again or reads the wall clock but the clocks themselves."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCKS = {ROOT / "engine/model/clock.py", ROOT / "engine/tooling/demo_clock.py"}
WALL = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}


def offenders(path: Path, root: Path = ROOT) -> list[str]:
    found, where = [], path.relative_to(root)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and node.value == "Asia/Shanghai":
            found.append(f"{where}:{node.lineno} Asia/Shanghai")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if isinstance(func, ast.Attribute):
            owner = func.value.attr if isinstance(func.value, ast.Attribute) else getattr(func.value, "id", None)
            if (owner, called) in WALL:
                found.append(f"{where}:{node.lineno} {owner}.{called}()")
        hours = any(isinstance(a, ast.Call) and any(k.arg == "hours" for k in a.keywords) for a in node.args)
        if called == "ZoneInfo" or (called == "timezone" and hours):
            found.append(f"{where}:{node.lineno} a time zone")
    return found


def test_only_the_clocks_read_the_wall_clock_or_define_the_zone():
    found = [hit for folder in ("engine", "api") for path in sorted((ROOT / folder).rglob("*.py"))
             if path not in CLOCKS for hit in offenders(path)]
    assert found == []


def test_the_check_finds_a_wall_clock_and_a_zone(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import time, datetime as dt\nfrom datetime import datetime, timezone, timedelta\n"
                      "a = datetime.now()\nb = time.time()\nc = dt.date.today()\n"
                      "CHINA = timezone(timedelta(hours=8))\n", encoding="utf-8")
    assert [hit.split(" ", 1)[1] for hit in offenders(sample, tmp_path)] == [
        "datetime.now()", "time.time()", "date.today()", "a time zone"]
