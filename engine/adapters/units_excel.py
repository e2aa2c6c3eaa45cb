"""The unit directory (承办单位名录) to and from Excel.

A sheet named 承办单位 (or the first sheet) with a header row holding
单位编码, 单位名称 and, optionally, 分管副职 (a leader of the region's `leaders:`,
by name or account). `read_units` checks every row and reports each problem
with its row number and column (the import itself, writing units.yaml and the
units table, is engine/services/units_import.py); `export_units` writes the current directory as the template to fill in.
"""
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from engine.profile.region import Region

SHEET = "承办单位"
COLUMNS = {"id": "单位编码", "name": "单位名称", "deputy": "分管副职", "remit": "职责关键词"}
ALIASES = {"单位编码": "id", "单位代码": "id", "编码": "id", "单位名称": "name", "名称": "name",
           "分管副职": "deputy", "分管领导": "deputy", "分管副职账号": "deputy", "职责关键词": "remit", "关键词": "remit"}
_REMIT_SPLIT = re.compile(r"[、,，;；\s]+")
UNIT_ID = re.compile(r"^[a-z0-9_]+$")
MAX_ID, MAX_NAME = 40, 200
HEADER_SEARCH_ROWS = 5  # a title line or two may stand above the header row


@dataclass
class RowProblem:
    """One problem of the sheet: its row (as Excel numbers it), column and what is wrong."""

    row: int | None
    column: str | None  # the header, e.g. 单位编码
    letter: str | None  # the column letter, e.g. A
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.letter:
            where.append(f"{self.letter} 列（{self.column}）" if self.column else f"{self.letter} 列")
        elif self.column:
            where.append(f"（{self.column}）")
        return f"{' '.join(where)}：{self.message}" if where else self.message


@dataclass
class SheetResult:
    """The units read from a sheet, or the problems that stop the import."""

    units: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    sheet: str = ""
    rows: int = 0  # data rows read (empty rows not counted)


class UnitsImportError(ValueError):
    """The import cannot start (no such file, or not an Excel workbook)."""


def read_units(path: Path, region: Region) -> SheetResult:
    """Read and check every row of the sheet; deputies are matched against `region.leaders`."""
    result, rows = _read_sheet(Path(path))
    header_at, columns = _header(rows)
    if header_at is None:
        result.problems.append(RowProblem(None, None, None, f"工作表“{result.sheet}”找不到表头：前 {HEADER_SEARCH_ROWS} 行中"
                                          f"应有一行写明 {COLUMNS['id']}、{COLUMNS['name']}（{COLUMNS['deputy']} 可选）"))
        return result
    missing = [COLUMNS[k] for k in ("id", "name") if k not in columns]
    duplicated = columns.pop("_duplicates", [])
    for header in duplicated:
        result.problems.append(RowProblem(header_at + 1, header, None, "表头重复出现"))
    if missing:
        result.problems.append(RowProblem(header_at + 1, None, None, f"表头缺少：{'、'.join(missing)}"))
        return result
    checker = _RowChecker(region, columns, result)
    for index in range(header_at + 1, len(rows)):
        cells = {key: _text(rows[index][col] if col < len(rows[index]) else None) for key, col in columns.items()}
        if any(cells.values()):
            checker.check(index + 1, cells)
    if result.rows == 0:
        result.problems.append(RowProblem(None, None, None, f"工作表“{result.sheet}”的表头下没有任何单位"))
    return result


def _read_sheet(path: Path) -> tuple[SheetResult, list[tuple]]:
    """An empty result named after the sheet, and the sheet's rows as value tuples."""
    if not path.is_file():
        raise UnitsImportError(f"找不到文件 {path}")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise UnitsImportError(f"{path.name} 不是有效的 Excel 文件（.xlsx）：{err}") from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        return SheetResult(sheet=sheet.title), [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


class _RowChecker:
    """Checks one data row after another, remembering the ids and names seen so far."""

    def __init__(self, region: Region, columns: dict, result: SheetResult) -> None:
        self.region, self.columns, self.result = region, columns, result
        self.leaders = _leader_lookup(region)
        self.first_row_of_id: dict[str, int] = {}
        self.first_row_of_name: dict[str, int] = {}
        self.excel_row = 0

    def problem(self, key: str, message: str) -> None:
        self.result.problems.append(RowProblem(self.excel_row, COLUMNS[key],
                                               get_column_letter(self.columns[key] + 1), message))

    def check(self, excel_row: int, cells: dict) -> None:
        """Check one non-empty row; a unit with a good id and name joins the result."""
        self.excel_row = excel_row
        self.result.rows += 1
        unit_id, name, deputy = cells.get("id", ""), cells.get("name", ""), cells.get("deputy", "")
        unit = {"id": self._id(unit_id), "name": self._name(name),
                "deputy": self._deputy(deputy) if deputy else None, "remit": self._remit(unit_id, cells)}
        unit = {k: v for k, v in unit.items() if v}
        if {"id", "name"} <= set(unit):
            self.result.units.append(unit)

    def _id(self, unit_id: str) -> str | None:
        if not unit_id:
            self.problem("id", "不能为空")
        elif len(unit_id) > MAX_ID:
            self.problem("id", f"不能超过 {MAX_ID} 个字符")
        elif not UNIT_ID.match(unit_id):
            hint = f"（可写成 {unit_id.lower()}）" if UNIT_ID.match(unit_id.lower()) else "（如 jtw、jyj）"
            self.problem("id", f"“{unit_id}”格式不正确：只能包含小写字母、数字和下划线{hint}")
        elif unit_id in self.first_row_of_id:
            self.problem("id", f"单位编码“{unit_id}”与第 {self.first_row_of_id[unit_id]} 行重复")
        else:
            self.first_row_of_id[unit_id] = self.excel_row
            return unit_id
        return None

    def _name(self, name: str) -> str | None:
        if not name:
            self.problem("name", "不能为空")
        elif len(name) > MAX_NAME:
            self.problem("name", f"不能超过 {MAX_NAME} 个字")
        elif name in self.first_row_of_name:
            self.problem("name", f"单位名称“{name}”与第 {self.first_row_of_name[name]} 行重复")
        else:
            self.first_row_of_name[name] = self.excel_row
            return name
        return None

    def _deputy(self, deputy: str) -> str | None:
        found = self.leaders.get(deputy)
        if found is None:
            choices = "、".join(f"{x['name']}（{x['username']}）" for x in self.region.leaders)
            self.problem("deputy", f"“{deputy}”不是本地区的分管副职（region.yaml 的 leaders；可填：{choices}）")
        elif found == "ambiguous":
            self.problem("deputy", f"有多位分管副职叫“{deputy}”，请填账号")
        else:
            return found
        return None

    def _remit(self, unit_id: str, cells: dict) -> list[str] | None:
        if "remit" in self.columns:
            remit = [w for w in dict.fromkeys(_REMIT_SPLIT.split(cells.get("remit", ""))) if w]
        else:  # a sheet without the column keeps the keywords the directory has
            remit = next((u.get("remit", []) for u in self.region.units if u["id"] == unit_id), [])
        if any(len(w) > 20 for w in remit):
            self.problem("remit", "每个关键词不能超过 20 个字，关键词之间用“、”分隔")
        elif len(remit) > 50:
            self.problem("remit", "关键词不能超过 50 个")
        else:
            return remit or None
        return None


def export_units(path: Path, region: Region) -> int:
    """Write the region's unit directory as a workbook (the template to fill in); returns the rows written."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([COLUMNS["id"], COLUMNS["name"], COLUMNS["deputy"], COLUMNS["remit"]])
    names = [leader["name"] for leader in region.leaders]
    unique_names = {n for n in names if names.count(n) == 1}
    by_username = {leader["username"]: leader for leader in region.leaders}
    for unit in region.units:
        leader = by_username.get(unit.get("deputy") or "")
        shown = "" if leader is None else (leader["name"] if leader["name"] in unique_names else leader["username"])
        sheet.append([unit["id"], unit["name"], shown, "、".join(unit.get("remit", []))])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
    for letter, width in (("A", 16), ("B", 36), ("C", 16), ("D", 40)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    choices = ",".join(sorted(unique_names, key=names.index))
    if choices and len(choices) < 250:
        rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True,
                              errorTitle="分管副职", error="请从列表中选择本地区的分管副职")
        sheet.add_data_validation(rule)
        rule.add("C2:C1000")
    notes = book.create_sheet("填写说明")
    for line in (
        [f"{region.name}承办单位名录：填好“{SHEET}”工作表后运行 cppcc import-units 文件名.xlsx --region {region.code}"],
        [f"{COLUMNS['id']}：必填，只能包含小写字母、数字和下划线（如 jtw），不能重复；已有单位请保持原编码"],
        [f"{COLUMNS['name']}：必填，不能重复"],
        [f"{COLUMNS['deputy']}：可空；填下表中的姓名或账号"],
        [f"{COLUMNS['remit']}：可空；该单位通常承办的提案中的词语，用“、”分隔（交办时据此建议承办单位）"],
        ["任何一行有误时不会写入任何内容，并逐行列出问题（第几行、哪一列）；可先加 --dry-run 试运行"],
        [],
        ["分管副职账号", "姓名", "职务"],
        *[[leader["username"], leader["name"], leader["title"]] for leader in region.leaders],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 16
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return len(region.units)


def units_yaml(region: Region, units: list[dict]) -> str:
    """The text of a units.yaml for `units`, one unit per line, with a header comment."""
    lines = [
        f"# 承办单位名录（{region.name}）: the unit directory of this region.",
        f"# Written by `cppcc import-units 名录.xlsx --region {region.code}` (columns {'、'.join(COLUMNS.values())});",
        "# may also be edited by hand. deputy: the account of the leader in charge, one",
        "# of `leaders:` in region.yaml.",
        "units:",
    ]
    for unit in units:
        entry = {"id": unit["id"], "name": unit["name"], **({"deputy": unit["deputy"]} if unit.get("deputy") else {}),
                 **({"remit": unit["remit"]} if unit.get("remit") else {})}
        flow = yaml.safe_dump(entry, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10_000).strip()
        lines.append(f"  - {flow}")
    return "\n".join(lines) + "\n"


def without_units_block(text: str) -> str:
    """region.yaml's text without its top-level `units:` list (and the comment lines
    right above it), with a line saying where the directory is now; the rest as written."""
    root = yaml.compose(text)
    keys = [k for k, _ in root.value] if isinstance(root, yaml.MappingNode) else []
    key = next((k for k in keys if k.value == "units"), None)
    if key is None:
        return text
    lines = text.splitlines(keepends=True)
    first = key.start_mark.line
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    end = key.start_mark.line + 1  # the list goes on while lines are indented, list items, blank or comments
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t-#"):
        end += 1
    while end > key.start_mark.line + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and comments before the next key stay with it
    note = "# The unit directory is in units.yaml (written by `cppcc import-units`).\n"
    return "".join(lines[:first]) + note + "".join(lines[end:])


def _header(rows: list) -> tuple[int | None, dict]:
    """(index of the header row, {key: column index}) or (None, {})."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict = {}
        duplicates: list[str] = []
        for col, value in enumerate(row):
            key = ALIASES.get(_text(value).replace(" ", ""))
            if key is None:
                continue
            if key in columns:
                duplicates.append(COLUMNS[key])
                continue
            columns[key] = col
        if "id" in columns or "name" in columns:
            columns["_duplicates"] = duplicates
            return index, columns
    return None, {}


def _text(value: object) -> str:
    """A cell as trimmed text: 101.0 typed as a number reads 101."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _leader_lookup(region: Region) -> dict:
    """Account, name and name with title (e.g. 赵建国副区长, 赵建国（副区长）) → account; 'ambiguous' when shared."""
    found: dict[str, str] = {}
    for leader in region.leaders:
        for key in {leader["username"], leader["name"], leader["name"] + leader["title"],
                    f"{leader['name']}（{leader['title']}）", f"{leader['name']}({leader['title']})"}:
            found[key] = leader["username"] if found.get(key) in (None, leader["username"]) else "ambiguous"
    return found
