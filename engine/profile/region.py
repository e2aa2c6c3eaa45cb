"""Region profiles: the rules a region sets in files instead of code.

A region is a folder regions/<code>/ holding
- region.yaml: name, lists (categories, reply classes, satisfaction scale),
  settings, leaders (分管副职), calendar additions, deadline rules,
  notification channels, supervision sampling rate, proposal number format;
- units.yaml: the unit directory (承办单位名录), written by `cppcc import-units`
  from an Excel sheet; a region may instead list `units:` inline in region.yaml
  (one place or the other, never both);
- decisions/*.dmn (optional): decision tables replacing processes/<same name>.dmn;
- scenarios/*.yaml (optional): the region's own designers' scenarios;
- demo.yaml (optional): the demo proposals `cppcc load-demo` creates.

`load_region` checks region.yaml and units.yaml against engine/profile/region_schema.json
and then across files (codes unique, deputies of units are leaders, deadline
rules named by the decision tables and diagrams exist, codes the decision
tables test exist); every problem is reported in Chinese with its file, its
path in the file and its line.
"""
import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from engine.model.errors import DefinitionError

REGIONS_ROOT = Path(__file__).resolve().parents[2] / "regions"
PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
REGION_FILE, UNITS_FILE = "region.yaml", "units.yaml"
_SCHEMA = json.loads((Path(__file__).with_name("region_schema.json")).read_text(encoding="utf-8"))
_UNITS_SCHEMA = {"$defs": _SCHEMA["$defs"], **_SCHEMA["$defs"]["unitsFile"]}
# which region list the codes a decision table tests belong to, by the input's expression
_DECISION_INPUTS = {"reply_class": "reply_classes", "final_class": "reply_classes",
                    "satisfaction": "satisfaction_scale", "worst_rating": "satisfaction_scale",
                    "category": "categories"}
_RULE_CALL = re.compile(r"\b(?:due_date|remind_date)\(\s*['\"]([^'\"]+)['\"]")
_LIST_NAMES = {"categories": "提案类别", "reply_classes": "答复类别", "satisfaction_scale": "满意度"}


@dataclass(frozen=True)
class Region:
    """A loaded, validated region profile."""

    code: str
    name: str
    raw: dict
    folder: Path | None = None
    units_file: str = REGION_FILE  # where the unit directory was read from
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    def codes(self, key: str) -> list[str]:
        """The codes of a coded list (`categories`, `reply_classes`, `satisfaction_scale`)."""
        return [item["code"] for item in self.raw[key]]

    def labels(self, key: str) -> dict[str, str]:
        """Code -> Chinese label for a coded list."""
        return {item["code"]: item["label"] for item in self.raw[key]}

    @property
    def unrated(self) -> dict:
        """What a proposal closed without the member's rating counts as: {code, label}."""
        return self.raw["satisfaction_unrated"]

    def satisfaction_labels(self) -> dict[str, str]:
        """Code -> label of every satisfaction a proposal can have: the scale, then 未评价."""
        return {**self.labels("satisfaction_scale"), self.unrated["code"]: self.unrated["label"]}

    def worst_satisfaction(self, codes) -> str:
        """The worst of the ratings `codes` on the region's scale (best to worst), ignoring
        empty and unknown ones; the unrated code when none is given."""
        scale = self.codes("satisfaction_scale")
        given = [c for c in codes or () if c in scale]
        return max(given, key=scale.index) if given else self.unrated["code"]

    def setting(self, name: str):
        """One value of the `settings` block; unknown names are an error."""
        try:
            return self.raw["settings"][name]
        except KeyError:
            raise KeyError(f"地区配置 {self.code} 没有设置项 '{name}'") from None

    @property
    def units(self) -> list[dict]:
        """The unit directory: dicts with id, name and optionally deputy."""
        return self.raw["units"]

    @property
    def leaders(self) -> list[dict]:
        """The leaders in charge (分管副职) units name as deputy: username, name, title."""
        return self.raw["leaders"]

    @property
    def deadlines(self) -> dict:
        """Deadline rules by name: {unit, count, remind_before?}."""
        return self.raw["deadlines"]

    @property
    def calendar(self) -> dict:
        """Days the region adds to or removes from the national holiday table (ISO dates)."""
        return {"extra_holidays": [], "extra_workdays": [], **self.raw.get("calendar", {})}

    def channels(self, kind: str) -> list[str]:
        """The notification channels for a kind of message (inapp when not set)."""
        return self.raw["notifications"]["channels"].get(kind, ["inapp"])

    @property
    def sample_rate_percent(self) -> float:
        """Share of assigned proposals drawn for joint supervision."""
        return self.raw["supervision"]["sample_rate_percent"]

    @property
    def disclosure(self) -> dict:
        """办理结果公开: {publish_within_working_days, full_text_after_working_days}."""
        return {"publish_within_working_days": 10, "full_text_after_working_days": 0, **self.raw.get("disclosure", {})}

    @property
    def number_format(self) -> str:
        """Format of filed proposal numbers, with {year} and {seq}."""
        return self.raw.get("proposal_number_format", "{year}-{seq:03d}")


def region_codes(root: Path = REGIONS_ROOT) -> list[str]:
    """The codes of the region folders under `root` (those with a region.yaml), sorted."""
    root = Path(root)
    return sorted(p.name for p in root.iterdir() if (p / REGION_FILE).is_file()) if root.is_dir() else []


def load_region(region_dir: Path, processes_dir: Path | None = PROCESSES_DIR) -> Region:
    """Read region.yaml (and units.yaml) in `region_dir` and check them.

    Checks the schema, then across files: codes and unit ids unique, every
    unit's deputy among `leaders`, the deadline rules the decision tables
    (`decisions/deadline_rules.dmn` of the region, else of `processes_dir`) and
    the diagrams of `processes_dir` name exist under `deadlines:`, and the codes
    the decision tables test exist in the region's lists. `processes_dir=None`
    checks the region's own decision tables only.
    Raises DefinitionError listing every problem with its file, path and line.
    """
    folder = Path(region_dir)
    raw, lines = _read_yaml(folder / REGION_FILE, required=True)
    problems = _schema_problems(raw, Draft202012Validator(_SCHEMA, format_checker=FormatChecker()),
                                REGION_FILE, lines, skip_required={"units"})
    units_file = REGION_FILE
    units_path = folder / UNITS_FILE
    if units_path.is_file():
        units_raw, units_lines = _read_yaml(units_path, required=True)
        units_problems = _schema_problems(units_raw, Draft202012Validator(_UNITS_SCHEMA), UNITS_FILE, units_lines)
        problems += units_problems
        if isinstance(raw, dict) and "units" in raw:
            problems.append(_problem(REGION_FILE, "units", "单位名录只能写在一处：已有 units.yaml，"
                                     "请删除 region.yaml 中的 units:", lines))
        elif isinstance(raw, dict) and not units_problems:
            raw["units"] = units_raw["units"]
            units_file, lines = UNITS_FILE, {**lines, **{("units", *k[1:]): v for k, v in units_lines.items()
                                                           if k and k[0] == "units"}}
    elif isinstance(raw, dict) and "units" not in raw:
        problems.append(_problem(REGION_FILE, "(根)", "缺少单位名录：请提供 units.yaml（可用 cppcc import-units "
                                 "从 Excel 导入），或在 region.yaml 中写 units:", lines))
    if problems:
        raise DefinitionError(problems)
    region = Region(code=raw["code"], name=raw["name"], raw=raw, folder=folder, units_file=units_file, lines=lines)
    problems = _consistency_problems(region) + _decision_problems(region, folder, processes_dir)
    if problems:
        raise DefinitionError(problems)
    return region


def check_units(region: Region, units: list[dict], file: str = UNITS_FILE) -> list[dict]:
    """Problems of a unit directory for `region`: unique ids and names, deputies among its leaders."""
    problems = []
    leaders = {leader["username"] for leader in region.leaders}
    seen_ids, seen_names = {}, {}
    for n, unit in enumerate(units):
        where = f"units/{n}"
        if unit["id"] in seen_ids:
            problems.append(_problem(file, f"{where}/id", f"单位编码“{unit['id']}”重复（与 units/{seen_ids[unit['id']]} 相同）",
                                     region.lines))
        seen_ids.setdefault(unit["id"], n)
        if unit["name"] in seen_names:
            problems.append(_problem(file, f"{where}/name", f"单位名称“{unit['name']}”重复（与 units/{seen_names[unit['name']]} 相同）",
                                     region.lines))
        seen_names.setdefault(unit["name"], n)
        if unit.get("deputy") and unit["deputy"] not in leaders:
            problems.append(_problem(file, f"{where}/deputy", f"分管副职“{unit['deputy']}”不在 region.yaml 的 leaders 中"
                                     f"（现有：{', '.join(sorted(leaders))}）", region.lines))
    return problems


# -- reading --------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """The safe loader, keeping dates as text (a bad date is then reported with its path and line)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path, required: bool) -> tuple[object, dict]:
    """The YAML document (dates kept as ISO text) and {path tuple: line number}."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError([{"file": str(path), "element": None, "message": "找不到地区配置文件"}]) from None
    except UnicodeDecodeError:
        raise DefinitionError([{"file": path.name, "element": None, "message": "文件不是 UTF-8 编码"}]) from None
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
        lines = _line_map(yaml.compose(text, Loader=_Loader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"第 {mark.line + 1} 行：" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise DefinitionError([{"file": path.name, "element": None, "message": f"{where}YAML 格式错误（{problem}）"}]) from None
    if raw is None and required:
        raise DefinitionError([{"file": path.name, "element": None, "message": "文件是空的"}])
    return _plain(raw), lines


def _line_map(node, path=()) -> dict:
    """{path: 1-based line} for every mapping key and list item of a composed YAML node."""
    found = {}
    if node is None:
        return found
    found[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found.update(_line_map(value, (*path, str(key.value))))
            found[(*path, str(key.value))] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_line_map(item, (*path, str(index))))
    return found


def _plain(value):
    """YAML turns unquoted dates into date objects; the profile keeps them as ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _problem(file: str, element: str, message: str, lines: dict | None = None) -> dict:
    """A problem with its path in the file and, when known, its line."""
    line = _line_of(lines or {}, element)
    return {"file": file, "element": element, "message": f"{message}（第 {line} 行）" if line else message}


def _line_of(lines: dict, element: str):
    if not element or element == "(根)":
        return None
    parts = tuple(element.split("/"))
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return None


# -- schema messages in Chinese -------------------------------------------------------------

_TYPES = {"string": "文字", "integer": "整数", "number": "数字", "boolean": "true 或 false", "array": "列表",
          "object": "对象（名称: 值）", "null": "空"}
_PATTERN_HINTS = {
    "^[A-Za-z0-9_]+$": "只能包含字母、数字和下划线",
    "^[a-z0-9_]+$": "只能包含小写字母、数字和下划线",
    "^[a-z0-9_-]+$": "只能包含小写字母、数字、下划线和连字符",
    "^[A-Za-z0-9_.-]+$": "只能包含字母、数字和 _ . -（填账号，不是姓名）",
    "^[a-z][a-z0-9_]*$": "只能包含小写字母、数字和下划线，并以字母开头",
    "^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$": "固定日期应写成 MM-DD，如 06-30",
}


def _schema_problems(raw, validator, file: str, lines: dict, skip_required=frozenset()) -> list[dict]:
    problems = []
    for err in sorted(validator.iter_errors(raw), key=lambda e: [str(p) for p in e.absolute_path]):
        if err.validator == "required" and _quoted(err.message) in skip_required and not err.absolute_path:
            continue
        element = "/".join(str(p) for p in err.absolute_path) or "(根)"
        problems.append(_problem(file, element, _chinese(err), lines))
    return problems


def _quoted(message: str) -> str:
    parts = message.split("'")
    return parts[1] if len(parts) > 2 else message


def _chinese(err) -> str:
    """A jsonschema error as a Chinese sentence."""
    kind, value, instance = err.validator, err.validator_value, err.instance
    in_names = "propertyNames" in [str(p) for p in err.schema_path]
    prefix = f"名称“{instance}”" if in_names else ""
    if kind == "required":
        return f"缺少必填项“{_quoted(err.message)}”"
    if kind == "additionalProperties":
        known = set(err.schema.get("properties", {}))
        extra = [str(k) for k in instance if k not in known] if isinstance(instance, dict) else []
        allowed = f"（可用：{', '.join(sorted(known))}）" if known else ""
        return f"不认识的配置项：{', '.join(extra)}{allowed}"
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return f"应为{'或'.join(_TYPES.get(t, t) for t in wanted)}，现在是 {instance!r}"
    if kind == "enum":
        return f"取值“{instance}”无效，可选：{', '.join(str(v) for v in value)}"
    if kind == "const":
        return f"应为 {value!r}"
    if kind == "pattern":
        return f"{prefix or f'“{instance}”'}格式不正确：{_PATTERN_HINTS.get(value, f'应符合 {value}')}"
    if kind == "minLength":
        return "不能为空" if value == 1 else f"至少 {value} 个字"
    if kind == "maxLength":
        return f"不能超过 {value} 个字"
    if kind in ("minItems", "minProperties"):
        return "不能为空" if value == 1 else f"至少要有 {value} 项"
    if kind == "uniqueItems":
        return "有重复的项"
    if kind == "minimum":
        return f"不能小于 {value}（现在是 {instance}）"
    if kind == "maximum":
        return f"不能大于 {value}（现在是 {instance}）"
    if kind == "exclusiveMinimum":
        return f"应大于 {value}（现在是 {instance}）"
    if kind == "format" and value == "date":
        return f"“{instance}”不是有效日期：应写成 YYYY-MM-DD"
    return f"取值不符合要求（{err.message}）"


# -- checks across the profile ----------------------------------------------------------------

def _consistency_problems(region: Region) -> list[dict]:
    raw, lines, problems = region.raw, region.lines, []
    for key, what in _LIST_NAMES.items():
        seen = set()
        for n, item in enumerate(raw[key]):
            if item["code"] in seen:
                problems.append(_problem(REGION_FILE, f"{key}/{n}/code", f"{what}代码“{item['code']}”重复", lines))
            seen.add(item["code"])
    seen = set()
    for n, leader in enumerate(raw["leaders"]):
        if leader["username"] in seen:
            problems.append(_problem(REGION_FILE, f"leaders/{n}/username", f"分管副职账号“{leader['username']}”重复", lines))
        seen.add(leader["username"])
    if region.unrated["code"] in region.codes("satisfaction_scale"):
        problems.append(_problem(REGION_FILE, "satisfaction_unrated/code", f"未评价的代码“{region.unrated['code']}”"
                                 "不能与满意度（satisfaction_scale）中的代码相同", lines))
    problems += check_units(region, region.units, region.units_file)
    try:
        number = region.number_format.format(year=2026, seq=1)
        if number == region.number_format.format(year=2026, seq=2):
            raise ValueError
    except (KeyError, IndexError, ValueError, AttributeError):
        problems.append(_problem(REGION_FILE, "proposal_number_format",
                                 "提案编号格式应包含 {seq}（序号，可写成 {seq:03d}），可包含 {year}（年份），"
                                 f"现在是“{region.number_format}”", lines))
    return problems


def _decision_problems(region: Region, folder: Path, processes_dir: Path | None) -> list[dict]:
    """Deadline rules and region codes named by the decision tables and diagrams that apply to the region."""
    tables = {p.name: (f"regions/{folder.name}/decisions/{p.name}", p)
              for p in sorted((folder / "decisions").glob("*.dmn"))} if (folder / "decisions").is_dir() else {}
    diagrams = []
    if processes_dir is not None and Path(processes_dir).is_dir():
        for path in sorted(Path(processes_dir).glob("*.dmn")):
            tables.setdefault(path.name, (f"{Path(processes_dir).name}/{path.name}", path))
        diagrams = sorted(Path(processes_dir).glob("*.bpmn"))
    problems = []
    rules = region.deadlines
    for shown, path in tables.values():
        try:
            doc = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError:
            continue  # the definition check reports malformed files with their line
        for decision, inputs, outputs, rows in _tables_of(doc):
            for rule_id, entries, results in rows:
                for expression, (entry_id, text) in zip(inputs, entries):
                    key = _DECISION_INPUTS.get(expression)
                    if key is None:
                        continue
                    allowed = region.codes(key) + ([region.unrated["code"]] if key == "satisfaction_scale" else [])
                    for code in _strings(text, input_cell=True):
                        if code not in allowed:
                            problems.append({"file": shown, "element": entry_id or rule_id, "message":
                                             f"决策表“{decision}”检验的{_LIST_NAMES[key]}“{code}”不在地区配置 "
                                             f"{region.code} 的 {key} 中（现有：{', '.join(allowed)}）"})
                if decision != "deadline_rules":
                    continue
                for output, (entry_id, text) in zip(outputs, results):
                    for name in _strings(text):
                        if name not in rules:
                            problems.append({"file": shown, "element": entry_id or rule_id, "message":
                                             f"决策表“deadline_rules”的输出 {output} 选用的期限规则“{name}”"
                                             f"在地区配置 {region.code} 的 deadlines 中不存在（现有：{', '.join(rules)}）"})
    for path in diagrams:
        text = path.read_text(encoding="utf-8")
        for name in sorted(set(_RULE_CALL.findall(text))):
            if name not in rules:
                problems.append({"file": f"{Path(processes_dir).name}/{path.name}", "element": None, "message":
                                 f"流程图使用的期限规则“{name}”在地区配置 {region.code} 的 deadlines 中不存在"})
    return problems


def _tables_of(doc):
    """(decision id, [input expressions], [output names], [(rule id, [(entry id, text)], [(entry id, text)])])."""

    def local(node):
        return etree.QName(node).localname if isinstance(node.tag, str) else ""

    def text_of(node):
        child = next((c for c in node if local(c) == "text"), None)
        return (child.text or "").strip() if child is not None else ""

    for decision in (n for n in doc.iter() if local(n) == "decision"):
        for table in (n for n in decision.iter() if local(n) == "decisionTable"):
            inputs = [text_of(next((c for c in i if local(c) == "inputExpression"), i)) for i in table if local(i) == "input"]
            outputs = [o.get("name") or o.get("label") or "?" for o in table if local(o) == "output"]
            rows = []
            for rule in (r for r in table if local(r) == "rule"):
                entries = [(e.get("id"), text_of(e)) for e in rule if local(e) == "inputEntry"]
                results = [(e.get("id"), text_of(e)) for e in rule if local(e) == "outputEntry"]
                rows.append((rule.get("id"), entries, results))
            yield decision.get("id"), inputs, outputs, rows


def _strings(text: str, input_cell: bool = False) -> list[str]:
    """The string literals of a DMN cell ('-' and empty cells have none)."""
    if not text or text == "-":
        return []
    for source in ([text, f"v {text}"] if input_cell else [text]):
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            continue
        return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return []
