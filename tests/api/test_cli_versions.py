"""`cppcc versions`, `deploy` and `migrate` as an operator runs them."""
import json
import os

import pytest

from api.cli import main
from engine.adapters.db import Database
from engine.model.settings import PROJECT_ROOT


@pytest.fixture
def database_url(tmp_path):
    """An empty database for the commands (the test database, emptied)."""
    url = os.environ.get("CPPCC_TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/cli.db"
    database = Database(url)
    database.drop_schema()
    database.engine.dispose()
    return url


def run(url, *args) -> int:
    return main(["--database-url", url, *args])


def test_deploy_a_changed_file_then_dry_run_and_migrate(database_url, tmp_path, capsys):
    assert run(database_url, "init-db") == 0
    assert run(database_url, "load-demo") == 0
    capsys.readouterr()
    edited = tmp_path / "handling.bpmn"
    edited.write_text((PROJECT_ROOT / "processes" / "handling.bpmn").read_text(encoding="utf-8")
                      .replace('name="审批办理方案"', 'name="审批办理方案（试行）"'), encoding="utf-8")

    assert run(database_url, "deploy", str(edited), "--check-only") == 0
    assert "校验通过" in capsys.readouterr().out
    assert run(database_url, "deploy", str(edited), "--note", "试行") == 0
    out = capsys.readouterr().out
    assert "已部署版本" in out and "修改 handling.bpmn" in out

    report = tmp_path / "plan.json"
    assert run(database_url, "migrate", "--dry-run", "--json", str(report)) == 0
    out = capsys.readouterr().out
    plan = json.loads(report.read_text(encoding="utf-8"))
    assert plan["dry_run"] and plan["cases"] and all(c["movable"] for c in plan["cases"])
    assert f"可以迁移 {len(plan['cases'])} 件" in out

    assert run(database_url, "migrate") == 0
    assert f"已迁移 {len(plan['cases'])} 件" in capsys.readouterr().out
    assert run(database_url, "versions") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("* ") and f"运行中 {len(plan['cases'])} 件" in lines[0] and "试行" in lines[0]
    assert "运行中 0 件" in lines[1]

    out_dir = tmp_path / "exported"
    assert run(database_url, "export-version", str(out_dir)) == 0
    assert (out_dir / "handling.bpmn").read_text(encoding="utf-8") == edited.read_text(encoding="utf-8")
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        p.name for p in (PROJECT_ROOT / "processes").iterdir() if p.suffix in (".bpmn", ".dmn"))


def test_a_broken_file_is_refused_with_its_element(database_url, tmp_path, capsys):
    broken = tmp_path / "handling.bpmn"
    broken.write_text((PROJECT_ROOT / "processes" / "handling.bpmn").read_text(encoding="utf-8")
                      .replace('<spiffworkflow:property name="role" value="unit_head"/>',
                               '<spiffworkflow:property name="role" value="boss"/>', 1), encoding="utf-8")
    assert run(database_url, "deploy", str(broken)) == 1
    err = capsys.readouterr().err
    assert "processes/handling.bpmn [plan_approve]" in err and "role" in err
    assert run(database_url, "versions") == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if "部署" in line]) == 1
    assert run(database_url, "migrate", "--to", "0000000") == 1
    assert "没有版本" in capsys.readouterr().err
    assert run(database_url, "deploy", str(tmp_path / "missing.bpmn")) == 1
