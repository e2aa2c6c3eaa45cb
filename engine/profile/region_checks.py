"""Reading and checking a region's files (engine/profile/region.py loads them): YAML with
the line of every value, JSON Schema problems in Chinese, and the checks across files
(codes unique, leaders, the deadline rules and codes the decision tables name).

May import: `engine.model`, `engine.profile.catalogue` and `.numbering`; the region itself is passed in (never imported from region.py).
"""
import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from engine.model.errors import DefinitionError
from engine.profile import catalogue as code_catalogue, numbering

REGION_FILE, UNITS_FILE = "region.yaml", "units.yaml"
# which region list the codes a decision table tests belong to, by the input's expression
_DECISION_INPUTS = {"reply_class": "reply_classes", "final_class": "reply_classes",
                    "satisfaction": "satisfaction_scale", "worst_rating": "satisfaction_scale",
                    "category": "categories"}
_RULE_CALL = re.compile(r"\b(?:due_date|remind_date)\(\s*['\"]([^'\"]+)['\"]")
_LIST_NAMES = {"categories": "提案类别", "reply_classes": "答复类别", "satisfaction_scale": "满意度"}


# -- reading --------------------------------------------------------------------------------

# libyaml's parser where PyYAML was built with it (several times faster: every app start reads
# the region files), else PyYAML's own; both safe.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader, keeping dates as text (a bad date is then reported with its path and line)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_with_lines(text: str) -> tuple[object, dict]:
    """The document and its line map from one parse: compose the node tree, then construct it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), _line_map(node)
    finally:
        loader.dispose()


def _read_yaml(path: Path, required: bool) -> tuple[object, dict]:
    """The YAML document (dates kept as ISO text) and {path tuple: line number}."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError([{"file": str(path), "element": None, "message": "找不到地区配置文件"}]) from None
    except UnicodeDecodeError:
        raise DefinitionError([{"file": path.name, "element": None, "message": "文件不是 UTF-8 编码"}]) from None
    try:
        raw, lines = _load_with_lines(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"第 {mark.line + 1} 行：" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise DefinitionError([{"file": path.name, "element": None, "message": f"{where}YAML 格式错误（{problem}）"}]) from None
    if raw is None and required:
        raise DefinitionError([{"file": path.name, "element": None, "message": "文件是空的"}])
    return _plain(raw), lines


def _line_map(node: yaml.Node | None, path: tuple = ()) -> dict:
    """{path: 1-based line} for every mapping key and list item of a composed YAML node."""
    found: dict = {}
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


def _plain(value: Any) -> Any:
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


def _line_of(lines: dict, element: str | None) -> int | None:
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


def _schema_problems(raw: object, validator: Any, file: str, lines: dict,
                     skip_required: frozenset[str] | set[str] = frozenset()) -> list[dict]:
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


def _chinese(err: Any) -> str:
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
        return f"应为{'或'.join(str(_TYPES.get(t, t)) for t in wanted)}，现在是 {instance!r}"
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


def check_units(region: Any, units: list[dict], file: str = UNITS_FILE) -> list[dict]:
    """Problems of a unit directory for `region`: unique ids and names, deputies among its leaders."""
    problems = []
    leaders = {leader["username"] for leader in region.leaders}
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
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


# -- checks across the profile ----------------------------------------------------------------

def _consistency_problems(region: Any) -> list[dict]:
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
    problems += [_problem(REGION_FILE, where, message, lines)
                 for where, message in code_catalogue.relabel_problems(raw.get("labels"))]
    number_problem = numbering.format_problem(region.number_format)
    if number_problem:
        problems.append(_problem(REGION_FILE, "proposal_number_format", number_problem, lines))
    session_problem = numbering.label_problem((raw.get("sessions") or {}).get("number_label", "{term}-{ordinal}"))
    if session_problem:
        problems.append(_problem(REGION_FILE, "sessions/number_label", session_problem, lines))
    return problems


def _decision_problems(region: Any, folder: Path, processes_dir: Path | None) -> list[dict]:
    """Deadline rules and region codes named by the decision tables and diagrams that apply to the region."""
    tables = {p.name: (f"regions/{folder.name}/decisions/{p.name}", p)
              for p in sorted((folder / "decisions").glob("*.dmn"))} if (folder / "decisions").is_dir() else {}
    diagrams: list[Path] = []
    shown_dir = Path(processes_dir).name if processes_dir is not None else ""
    if processes_dir is not None and Path(processes_dir).is_dir():
        for path in sorted(Path(processes_dir).glob("*.dmn")):
            tables.setdefault(path.name, (f"{Path(processes_dir).name}/{path.name}", path))
        diagrams = sorted(Path(processes_dir).glob("*.bpmn"))
    problems = []
    for shown, path in tables.values():
        try:
            doc = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError:
            continue  # the definition check reports malformed files with their line
        problems += _table_problems(region, shown, doc)
    for path in diagrams:
        text = path.read_text(encoding="utf-8")
        for name in sorted(set(_RULE_CALL.findall(text))):
            if name not in region.deadlines:
                problems.append({"file": f"{shown_dir}/{path.name}", "element": None, "message":
                                 f"流程图使用的期限规则“{name}”在地区配置 {region.code} 的 deadlines 中不存在"})
    return problems


def _table_problems(region: Any, shown: str, doc: Any) -> list[dict]:
    """Region codes tested by a decision table's input cells that the region lacks, and deadline rules
    chosen by the deadline_rules table that the region does not define."""
    problems = []
    rules = region.deadlines
    for decision, inputs, outputs, rows in _tables_of(doc):
        for rule_id, entries, results in rows:
            for expression, (entry_id, text) in zip(inputs, entries, strict=False):
                key = _DECISION_INPUTS.get(expression)
                if key is None:
                    continue
                allowed = region.codes(key) + ([region.unrated["code"]] if key == "satisfaction_scale" else [])
                problems += [{"file": shown, "element": entry_id or rule_id, "message":
                              f"决策表“{decision}”检验的{_LIST_NAMES[key]}“{code}”不在地区配置 "
                              f"{region.code} 的 {key} 中（现有：{', '.join(allowed)}）"}
                             for code in _strings(text, input_cell=True) if code not in allowed]
            if decision != "deadline_rules":
                continue
            for output, (entry_id, text) in zip(outputs, results, strict=False):
                problems += [{"file": shown, "element": entry_id or rule_id, "message":
                              f"决策表“deadline_rules”的输出 {output} 选用的期限规则“{name}”"
                              f"在地区配置 {region.code} 的 deadlines 中不存在（现有：{', '.join(rules)}）"}
                             for name in _strings(text) if name not in rules]
    return problems


def _tables_of(doc: Any) -> Iterator[tuple[str, list[str], list[str], list[tuple]]]:
    """(decision id, [input expressions], [output names], [(rule id, [(entry id, text)], [(entry id, text)])])."""

    def local(node: Any) -> str:
        return etree.QName(node).localname if isinstance(node.tag, str) else ""

    def text_of(node: Any) -> str:
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
