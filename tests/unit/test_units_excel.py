"""The unit directory from and to Excel: every wrong row is named by row and column and
nothing is written; a good sheet becomes units.yaml and the database's units table."""
import argparse
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from api.cli import regions as cli_regions
from engine.adapters.db import Database, UnitOfWork
from engine.adapters.units_excel import UnitsImportError, export_units, read_units, without_units_block
from engine.model.settings import Settings
from engine.model.tables import Unit
from engine.profile.region import load_region
from engine.services.directory import add_user, sync_units
from engine.services.units_import import import_units

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def binhai(tmp_path) -> Path:
    target = tmp_path / "binhai"
    shutil.copytree(ROOT / "regions" / "binhai", target)
    return target


@pytest.fixture
def database(tmp_path, binhai):
    db = Database(f"sqlite:///{tmp_path}/units.db")
    db.create_schema()
    with UnitOfWork(db) as uow:
        sync_units(uow.session, load_region(binhai))
        add_user(uow.session, "swlj_clerk", "文旅局经办人", "pw", ["unit_clerk"], "swlj")
        uow.commit()
    yield db
    db.engine.dispose()


def sheet(path: Path, rows, header=("单位编码", "单位名称", "分管副职"), title="承办单位", above=()) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = title
    for line in above:
        ws.append(line)
    if header:
        ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    book.save(path)
    return path


GOOD = [("sfgw", "市发展和改革委员会", "赵海峰"), ("sjtj", "市交通运输局", "deputy_qian"),
        ("shyj", "市海洋发展局", "李振华副市长"), ("sdsj", "市大数据管理局", "赵海峰（副市长）"), ("sswj", "市水务局", "")]


def test_export_then_import_gives_the_same_directory(tmp_path, binhai):
    region = load_region(binhai)
    assert export_units(tmp_path / "名录.xlsx", region) == 14
    book = load_workbook(tmp_path / "名录.xlsx")
    assert book.sheetnames == ["承办单位", "填写说明"]
    assert [c.value for c in book["承办单位"][1]] == ["单位编码", "单位名称", "分管副职", "职责关键词"]
    assert [c.value for c in book["承办单位"][2]] == ["sfgw", "市发展和改革委员会", "赵海峰", "发展规划、投资、项目、价格"]  # leaders by name
    before = (binhai / "units.yaml").read_text(encoding="utf-8")
    result = import_units(tmp_path / "名录.xlsx", binhai)
    assert result["problems"] == [] and result["written"] and result["file"] == {"added": [], "changed": [], "removed": []}
    assert load_region(binhai).units == region.units
    assert (binhai / "units.yaml").read_text(encoding="utf-8") != before  # rewritten, with its header comment
    assert (binhai / "units.yaml").read_text(encoding="utf-8").startswith("# 承办单位名录（滨海市）")


def test_every_wrong_row_is_named_and_nothing_is_written(tmp_path, binhai, database):
    path = sheet(tmp_path / "bad.xlsx", [
        ("sfgw", "市发展和改革委员会", "赵海峰"),      # row 2: fine
        ("", "市审计局", ""),                          # row 3: no code
        ("sjtj", "", "deputy_qian"),                   # row 4: no name
        ("SJYJ", "市教育局", ""),                      # row 5: upper case
        ("交通局", "市交通局", ""),                     # row 6: not a code at all
        ("sfgw", "市发改委（重复）", ""),               # row 7: duplicate code
        ("sxxj", "市发展和改革委员会", ""),             # row 8: duplicate name
        ("swjw", "市卫生健康委员会", "王副市长"),        # row 9: not a leader
        (None, None, None),                             # row 10: empty, skipped
        ("s" * 41, "市某某局", ""),                     # row 11: too long
    ])
    before = (binhai / "units.yaml").read_bytes()
    result = import_units(path, binhai, database)
    assert [str(p) for p in result["problems"]] == [
        "第 3 行 A 列（单位编码）：不能为空",
        "第 4 行 B 列（单位名称）：不能为空",
        "第 5 行 A 列（单位编码）：“SJYJ”格式不正确：只能包含小写字母、数字和下划线（可写成 sjyj）",
        "第 6 行 A 列（单位编码）：“交通局”格式不正确：只能包含小写字母、数字和下划线（如 jtw、jyj）",
        "第 7 行 A 列（单位编码）：单位编码“sfgw”与第 2 行重复",
        "第 8 行 B 列（单位名称）：单位名称“市发展和改革委员会”与第 2 行重复",
        "第 9 行 C 列（分管副职）：“王副市长”不是本地区的分管副职（region.yaml 的 leaders；可填：赵海峰（deputy_zhao）、"
        "钱国平（deputy_qian）、孙晓燕（deputy_sun）、李振华（deputy_li））",
        "第 11 行 A 列（单位编码）：不能超过 40 个字符",
    ]
    assert not result["written"] and not result["synced"]
    assert (binhai / "units.yaml").read_bytes() == before
    with UnitOfWork(database) as uow:
        assert len(uow.session.scalars(select(Unit)).all()) == 14


def test_sheet_problems_without_rows(tmp_path, binhai):
    no_header = read_units(sheet(tmp_path / "a.xlsx", [("sfgw", "市发改委", "")], header=None), load_region(binhai))
    assert [str(p) for p in no_header.problems] == [
        "工作表“承办单位”找不到表头：前 5 行中应有一行写明 单位编码、单位名称（分管副职 可选）"]
    half = read_units(sheet(tmp_path / "b.xlsx", [("sfgw",)], header=("单位编码", "备注")), load_region(binhai))
    assert [str(p) for p in half.problems] == ["第 1 行：表头缺少：单位名称"]
    empty = read_units(sheet(tmp_path / "c.xlsx", []), load_region(binhai))
    assert [str(p) for p in empty.problems] == ["工作表“承办单位”的表头下没有任何单位"]
    (tmp_path / "d.xlsx").write_text("不是表格", encoding="utf-8")
    with pytest.raises(UnitsImportError, match="d.xlsx 不是有效的 Excel 文件"):
        read_units(tmp_path / "d.xlsx", load_region(binhai))
    with pytest.raises(UnitsImportError, match="找不到文件"):
        read_units(tmp_path / "none.xlsx", load_region(binhai))


def test_title_rows_other_columns_numbers_and_leader_spellings(tmp_path, binhai):
    path = sheet(tmp_path / "ok.xlsx", [(" sfgw ", "市发展和改革委员会", "赵海峰", "备注"), (101, "一〇一单位", "", "")],
                 header=("单位编码", "单位名称", "分管副职", "备注"), title="名录", above=[("滨海市承办单位名录",), ()])
    result = read_units(path, load_region(binhai))
    assert result.problems == [] and result.sheet == "名录"
    assert result.units == [{"id": "sfgw", "name": "市发展和改革委员会", "deputy": "deputy_zhao",
                             "remit": load_region(binhai).units[0]["remit"]},  # no 职责关键词 column: kept
                            {"id": "101", "name": "一〇一单位"}]
    spelled = read_units(sheet(tmp_path / "names.xlsx", GOOD), load_region(binhai))
    assert [u.get("deputy") for u in spelled.units] == ["deputy_zhao", "deputy_qian", "deputy_li", "deputy_zhao", None]


def test_a_good_sheet_is_written_and_synced(tmp_path, binhai, database):
    result = import_units(sheet(tmp_path / "good.xlsx", GOOD), binhai, database)
    assert result["problems"] == [] and result["written"] and result["synced"]
    assert result["file"]["added"] == ["sdsj", "sswj"] and result["file"]["changed"] == []
    assert len(result["file"]["removed"]) == 11
    assert result["database"]["in_use"] == {"swlj": 1}  # its clerk's account keeps the unit in the table
    region = load_region(binhai)
    assert [u["id"] for u in region.units] == ["sfgw", "sjtj", "shyj", "sdsj", "sswj"]
    with UnitOfWork(database) as uow:
        assert uow.session.get(Unit, "sdsj").name == "市大数据管理局"
        assert uow.session.get(Unit, "sdsj").deputy == "deputy_zhao"
        assert uow.session.get(Unit, "swlj") is not None  # removed from the directory, kept in the table


def test_dry_run_writes_nothing_and_says_what_would_change(tmp_path, binhai, database):
    rows = [*GOOD[:2], ("shyj", "市海洋局", "")]
    before = (binhai / "units.yaml").read_bytes()
    result = import_units(sheet(tmp_path / "dry.xlsx", rows), binhai, database, dry_run=True)
    assert result["file"]["changed"] == ["shyj"] and not result["written"]
    assert result["database"]["changed"] == ["shyj"]
    assert (binhai / "units.yaml").read_bytes() == before
    with UnitOfWork(database) as uow:
        assert uow.session.get(Unit, "shyj").name == "市海洋发展局"


def test_a_region_without_a_database_file_only_gets_its_file(tmp_path, binhai):
    result = import_units(sheet(tmp_path / "good.xlsx", GOOD), binhai, Database(f"sqlite:///{tmp_path}/none.db"))
    assert result["written"] and result["database"] is None and not (tmp_path / "none.db").exists()


def test_an_inline_directory_moves_out_of_region_yaml(tmp_path):
    folder = tmp_path / "default"
    shutil.copytree(ROOT / "regions" / "default", folder)
    before = (folder / "region.yaml").read_text(encoding="utf-8")
    export_units(tmp_path / "d.xlsx", load_region(folder))
    result = import_units(tmp_path / "d.xlsx", folder)
    assert result["written"] and result["moved_inline"]
    after = (folder / "region.yaml").read_text(encoding="utf-8")
    assert "区交通委员会" not in after and "# The unit directory is in units.yaml" in after
    assert after == without_units_block(before)
    region = load_region(folder)
    assert region.units_file == "units.yaml" and len(region.units) == 13
    assert {k: v for k, v in region.raw.items() if k != "units"} == {
        k: v for k, v in load_region(ROOT / "regions" / "default").raw.items() if k != "units"}


def test_a_broken_units_file_can_be_replaced_by_an_import(tmp_path, binhai):
    (binhai / "units.yaml").write_text("units:\n  - {id: BAD}\n", encoding="utf-8")
    result = import_units(sheet(tmp_path / "good.xlsx", GOOD), binhai)
    assert result["written"] and len(load_region(binhai).units) == 5


# -- the commands ----------------------------------------------------------------------------------

def run(argv, settings, capsys):
    parser = argparse.ArgumentParser(prog="cppcc")
    parser.add_argument("--database-url")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_regions.register(sub)
    args = parser.parse_args(argv)
    code = args.func(args, settings)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_commands_export_import_and_list(tmp_path, binhai, database, capsys):
    settings = replace(Settings(), region_dir=binhai, database_url=database.url)
    code, out, _ = run(["export-units", str(tmp_path / "t.xlsx")], settings, capsys)
    assert code == 0 and out == f"已导出 滨海市 的单位名录：14 个单位 → {tmp_path / 't.xlsx'}\n"
    code, out, err = run(["import-units", str(sheet(tmp_path / "bad.xlsx", [("sfgw", "", "")])), "--dry-run"],
                         settings, capsys)
    assert code == 1 and err == "工作表“承办单位”有 1 处问题，未写入任何内容：\n  第 2 行 B 列（单位名称）：不能为空\n"
    code, out, _ = run(["import-units", str(sheet(tmp_path / "good.xlsx", GOOD))], settings, capsys)
    assert code == 0
    assert out.splitlines()[0] == f"已写入 {binhai / 'units.yaml'}：单位 5 个（新增 2，修改 0，移除 11）"
    assert "数据库单位表已同步：新增 2，修改 0" in out and "swlj 不在新名录中，但数据库中仍有 1 个账号" in out
    code, out, _ = run(["regions"], settings, capsys)
    assert code == 0 and "binhai     滨海市：单位 14 个，答复类别 A/B/C/D" in out and "CPPCC_REGION=binhai bin/demo" in out


def test_scenarios_command_gains_the_region_options(capsys):
    parser = argparse.ArgumentParser(prog="cppcc")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scenarios").add_argument("files", nargs="*")  # as api/cli/__init__.py declares it
    cli_regions.register(sub)
    args = parser.parse_args(["scenarios", "--all-regions", str(ROOT / "processes" / "scenarios" / "not_filed.yaml")])
    assert args.all_regions and args.func is cli_regions.cmd_scenarios
    assert cli_regions.cmd_scenarios(args, Settings()) == 0
    out = capsys.readouterr().out
    assert "== 地区 binhai（滨海市）==" in out and "== 地区 default（示范区）==" in out and out.endswith("2 passed, 0 failed\n")


def test_remit_keywords_are_read_and_kept(tmp_path):
    """The 职责关键词 column becomes a unit's remit; a sheet without it keeps the directory's."""
    from openpyxl import load_workbook as open_book

    from engine.adapters.units_excel import read_units
    region = load_region(ROOT / "regions" / "binhai")
    path = tmp_path / "units.xlsx"
    export_units(path, region)
    book = open_book(path)
    sheet = book["承办单位"]
    sheet["D2"] = "发展规划、投资，营商环境"
    book.save(path)
    assert read_units(path, region).units[0]["remit"] == ["发展规划", "投资", "营商环境"]
    sheet.delete_cols(4)
    book.save(path)
    assert read_units(path, region).units[0]["remit"] == region.units[0]["remit"]
