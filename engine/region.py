"""Region profiles: the rules a region sets in a YAML file instead of code."""
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .errors import DefinitionError

_SCHEMA = json.loads((Path(__file__).with_name("region_schema.json")).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Region:
    """A loaded, validated region profile."""

    code: str
    name: str
    raw: dict

    def codes(self, key: str) -> list[str]:
        """The codes of a coded list (`categories`, `reply_classes`, `satisfaction_scale`)."""
        return [item["code"] for item in self.raw[key]]

    def labels(self, key: str) -> dict[str, str]:
        """Code -> Chinese label for a coded list."""
        return {item["code"]: item["label"] for item in self.raw[key]}

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
    def number_format(self) -> str:
        """Format of filed proposal numbers, with {year} and {seq}."""
        return self.raw.get("proposal_number_format", "{year}-{seq:03d}")


def load_region(region_dir: Path) -> Region:
    """Read `region.yaml` in `region_dir` and check it against the schema.

    Raises DefinitionError listing every problem with its path in the file.
    """
    path = Path(region_dir) / "region.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError([{"file": str(path), "element": None, "message": "找不到地区配置文件"}]) from None
    except yaml.YAMLError as err:
        raise DefinitionError([{"file": str(path), "element": None, "message": f"YAML 格式错误：{err}"}]) from None
    raw = _plain(raw)
    problems = [
        {"file": path.name, "element": "/".join(str(p) for p in e.absolute_path) or "(根)", "message": e.message}
        for e in Draft202012Validator(_SCHEMA).iter_errors(raw)
    ]
    if not problems:
        for key in ("categories", "reply_classes", "satisfaction_scale"):
            codes = [item["code"] for item in raw[key]]
            if len(codes) != len(set(codes)):
                problems.append({"file": path.name, "element": key, "message": "代码重复"})
    if problems:
        raise DefinitionError(problems)
    return Region(code=raw["code"], name=raw["name"], raw=raw)


def _plain(value):
    """YAML turns unquoted dates into date objects; the profile keeps them as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
