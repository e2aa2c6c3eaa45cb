"""Region profiles: the rules a region sets in files instead of code.

A region is a folder regions/<code>/ holding
- region.yaml: name, lists (categories, reply classes, satisfaction scale),
  settings, leaders (分管副职), calendar additions, deadline rules,
  notification channels, supervision sampling rate, proposal number format,
  the region's words for catalogue codes (`labels:`, engine/profile/catalogue.py);
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
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from engine.model.errors import DefinitionError
from engine.profile import catalogue as code_catalogue
from engine.profile.region_checks import (  # noqa: F401 (REGION_FILE, UNITS_FILE, check_units: for the callers)
    REGION_FILE,
    UNITS_FILE,
    _consistency_problems,
    _decision_problems,
    _problem,
    _read_yaml,
    _schema_problems,
    check_units,
)

REGIONS_ROOT = Path(__file__).resolve().parents[2] / "regions"
PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
_SCHEMA = json.loads((Path(__file__).with_name("region_schema.json")).read_text(encoding="utf-8"))
_UNITS_SCHEMA = {"$defs": _SCHEMA["$defs"], **_SCHEMA["$defs"]["unitsFile"]}


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

    def worst_satisfaction(self, codes: Iterable[str | None] | None) -> str:
        """The worst of the ratings `codes` on the region's scale (best to worst), ignoring
        empty and unknown ones; the unrated code when none is given."""
        scale = self.codes("satisfaction_scale")
        given = [c for c in codes or () if c in scale]
        return max(given, key=scale.index) if given else self.unrated["code"]

    def setting(self, name: str) -> Any:
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

    @cached_property
    def catalogue(self) -> code_catalogue.Catalogue:
        """The code catalogue with this region's words (its `labels:`)."""
        return code_catalogue.for_region(self)

    @property
    def disclosure(self) -> dict:
        """办理结果公开: {publish_within_working_days, full_text_after_working_days}."""
        return {"publish_within_working_days": 10, "full_text_after_working_days": 0, **self.raw.get("disclosure", {})}

    @property
    def number_format(self) -> str:
        """Format of filed proposal numbers, with {seq}, {year} and {session} (engine/profile/numbering.py)."""
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
        elif isinstance(raw, dict) and isinstance(units_raw, dict) and not units_problems:
            raw["units"] = units_raw["units"]
            units_file, lines = UNITS_FILE, {**lines, **{("units", *k[1:]): v for k, v in units_lines.items()
                                                           if k and k[0] == "units"}}
    elif isinstance(raw, dict) and "units" not in raw:
        problems.append(_problem(REGION_FILE, "(根)", "缺少单位名录：请提供 units.yaml（可用 cppcc import-units "
                                 "从 Excel 导入），或在 region.yaml 中写 units:", lines))
    if problems:
        raise DefinitionError(problems)
    if not isinstance(raw, dict):
        raise DefinitionError([_problem(REGION_FILE, "(根)", "region.yaml 应为一个映射（键: 值）", lines)])
    region = Region(code=raw["code"], name=raw["name"], raw=raw, folder=folder, units_file=units_file, lines=lines)
    problems = _consistency_problems(region) + _decision_problems(region, folder, processes_dir)
    if problems:
        raise DefinitionError(problems)
    return region
