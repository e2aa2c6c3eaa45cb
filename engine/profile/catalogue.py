"""The code catalogue: the codes the engine, the diagrams and the region profiles share
(roles, deadline kinds, notification kinds, step audiences, processes, deploy
sources) and the Chinese words people read for them.

The catalogue is data, processes/catalogue.json, checked against
engine/profile/catalogue_schema.json and read once per process (`base()`). A region
relabels entries in the `labels:` section of its region.yaml; `for_region` (and
`Region.catalogue`) gives the catalogue with the region's words. Every page, report,
API response and message takes its labels from here: no other module keeps a table
of these codes' labels (tests/unit/test_catalogue.py looks).

Imports only the standard library and jsonschema (bottom layer, beside the region profile).
"""
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.model.errors import DefinitionError

CATALOGUE_FILE = Path(__file__).resolve().parents[2] / "processes" / "catalogue.json"
SCHEMA = json.loads(Path(__file__).with_name("catalogue_schema.json").read_text(encoding="utf-8"))
# the words a region may relabel; the flags (tasks, report, diagram, default) are the engine's
WORDS = ("label", "short", "action")
FLAG_DEFAULTS = {"tasks": True, "report": False, "diagram": False, "default": False}


class Catalogue:
    """Sections of coded entries, in the catalogue's order: {section: {code: entry}}."""

    def __init__(self, sections: dict[str, dict[str, dict]], titles: dict[str, str]) -> None:
        self._sections = sections
        self.titles = titles

    def sections(self) -> list[str]:
        """The section names (roles, deadline_kinds, ...)."""
        return list(self._sections)

    def entries(self, section: str) -> list[dict]:
        """The entries of `section` ({code, label, ...}, copies), in order."""
        return [dict(e) for e in self._sections[section].values()]

    def codes(self, section: str, **flags: bool) -> list[str]:
        """The codes of `section`, in order; `flags` keep those whose flag has that value
        (e.g. codes("roles", tasks=True): the roles a task may have)."""
        return [code for code, entry in self._sections[section].items()
                if all(entry.get(flag, FLAG_DEFAULTS[flag]) == want for flag, want in flags.items())]

    def label(self, section: str, code: str | None, word: str = "label", default: str | None = None) -> str:
        """The Chinese word for `code`: its `word` (label, short, action), else its label;
        `default` (or the code itself) for a code the catalogue does not know."""
        entry = self._sections[section].get(code) if code is not None else None
        if entry is None:
            return default if default is not None else (code or "")
        return entry.get(word) or entry["label"]

    def labels(self, section: str, word: str = "label") -> dict[str, str]:
        """{code: its word} for every entry of `section`, in order."""
        return {code: self.label(section, code, word) for code in self._sections[section]}

    def choices(self, section: str, **flags: bool) -> list[dict]:
        """[{code, label}] of `section` (filtered by `flags` as `codes`), for pick lists."""
        return [{"code": code, "label": self.label(section, code)} for code in self.codes(section, **flags)]

    def relabelled(self, overrides: dict | None) -> "Catalogue":
        """A copy with a region's words: {section: {code: label | {label?, short?, action?}}}.
        Unknown sections or codes are refused by `relabel_problems` before this is called."""
        sections = {name: {code: dict(entry) for code, entry in entries.items()}
                    for name, entries in self._sections.items()}
        for name, codes in (overrides or {}).items():
            for code, words in codes.items():
                sections[name][code].update({"label": words} if isinstance(words, str) else words)
        return Catalogue(sections, dict(self.titles))


def load(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read and check a catalogue file; DefinitionError (in Chinese) naming every problem."""
    name = f"processes/{Path(path).name}"
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DefinitionError([{"file": name, "element": "(根)", "message": f"代码目录无法读取：{err}"}]) from None
    problems = [{"file": name, "element": "/".join(str(p) for p in err.absolute_path) or "(根)",
                 "message": f"代码目录格式不正确：{err.message}"}
                for err in Draft202012Validator(SCHEMA).iter_errors(raw)]
    sections: dict[str, dict[str, dict]] = {}
    for section, body in (raw.get("sections") or {}).items() if not problems else ():
        sections[section] = {}
        for n, entry in enumerate(body["items"]):
            if entry["code"] in sections[section]:
                problems.append({"file": name, "element": f"sections/{section}/items/{n}/code",
                                 "message": f"{body['title']}代码“{entry['code']}”重复"})
            sections[section][entry["code"]] = entry
    if problems:
        raise DefinitionError(problems)
    return Catalogue(sections, {section: body["title"] for section, body in raw["sections"].items()})


@cache
def base() -> Catalogue:
    """The catalogue of processes/catalogue.json, read once per process."""
    return load()


def relabel_problems(labels: dict | None) -> list[tuple[str, str]]:
    """(path in region.yaml, message) for each code a region's `labels:` names that the
    catalogue does not have (the section names and the words are checked by the region schema)."""
    catalogue, problems = base(), []
    for section, codes in (labels or {}).items():
        if section not in catalogue.sections():
            continue
        known = catalogue.codes(section)
        for code in codes:
            if code not in known:
                problems.append((f"labels/{section}/{code}",
                                 f"{catalogue.titles[section]}中没有代码“{code}”（可改名的有：{'、'.join(known)}）"))
    return problems


def for_region(region: Any) -> Catalogue:  # region: a Region (region.py imports this module)
    """The catalogue with the words of `region` (its region.yaml `labels:`)."""
    return base().relabelled(region.raw.get("labels"))
