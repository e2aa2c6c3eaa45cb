"""The code catalogue (processes/catalogue.json): one table of codes and their words, relabelled
by a region's `labels:`, and no other table of these codes' words in the Python code."""
import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from engine.model.errors import DefinitionError
from engine.profile import catalogue
from engine.profile.region import load_region

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_catalogue_file_is_valid_and_the_region_schema_names_every_section():
    base = catalogue.load()
    region_schema = json.loads((ROOT / "engine/profile/region_schema.json").read_text(encoding="utf-8"))
    assert set(region_schema["properties"]["labels"]["properties"]) == set(base.sections())
    assert base.codes("roles", tasks=True) == ["proposer", "committee", "gov_office", "supervisor", "deputy_head",
                                               "unit_clerk", "unit_head"]
    assert base.label("roles", "unit_clerk", "short") == "经办人"
    assert base.label("roles", "designer", "action") == "流程设计员"  # a word an entry lacks: its label
    assert base.label("roles", "nobody", default="？") == "？" and base.label("roles", "nobody") == "nobody"


def test_a_broken_catalogue_is_refused_in_chinese(tmp_path):
    broken = json.loads(catalogue.CATALOGUE_FILE.read_text(encoding="utf-8"))
    broken["sections"]["roles"]["items"].append({"code": "committee", "label": "又一个提案委"})
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        catalogue.load(path)
    assert err.value.problems == [{"file": "processes/catalogue.json", "element": "sections/roles/items/8/code",
                                   "message": "角色代码“committee”重复"}]


def test_regions_relabel_their_leaders():
    default, binhai = (load_region(ROOT / "regions" / code).catalogue for code in ("default", "binhai"))
    assert default.label("roles", "deputy_head") == "分管副区长"
    assert binhai.label("roles", "deputy_head") == "分管副市长"
    assert binhai.label("roles", "deputy_head", "short") == "分管副市长"
    assert catalogue.base().label("roles", "deputy_head") == "分管副职"  # the base stays as it was


def region_copy(tmp_path, labels: str) -> Path:
    folder = tmp_path / "region"
    shutil.copytree(ROOT / "regions" / "default", folder)
    with open(folder / "region.yaml", "a", encoding="utf-8") as f:
        f.write(labels)
    return folder


def test_a_region_relabelling_an_unknown_code_or_word_is_told_where(tmp_path):
    text = (ROOT / "regions/default/region.yaml").read_text(encoding="utf-8")
    folder = region_copy(tmp_path, "")
    (folder / "region.yaml").write_text(text.replace("    deputy_head: 分管副区长", "    deputy_head: 分管副区长\n"
                                                     "    mayor: 市长\n    unit_head: {title: 局长}"),
                                        encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_region(folder)
    messages = {p["element"]: p["message"] for p in err.value.problems}
    assert set(messages) == {"labels/roles/unit_head"}  # the schema first: a word the catalogue has no place for
    (folder / "region.yaml").write_text(text.replace("    deputy_head: 分管副区长", "    deputy_head: 分管副区长\n"
                                                     "    mayor: 市长"), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_region(folder)
    [problem] = err.value.problems
    assert problem["element"] == "labels/roles/mayor" and problem["message"].startswith("角色中没有代码“mayor”")
    assert "（第 " in problem["message"]


# -- no other table of these codes' words ------------------------------------------------

def _label_tables(path: Path, sections: dict[str, set], root: Path = ROOT) -> list[str]:
    """Dict literals mapping two or more codes of one catalogue section to Chinese words, where
    those codes are at least half of the dict's keys (a table of that section's words, not a
    table of something else that happens to share two codes, like the search filters' names)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        pairs = [(k.value, v.value) for k, v in zip(node.keys, node.values, strict=True)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)
                 and isinstance(v, ast.Constant) and isinstance(v.value, str) and CJK.search(v.value)]
        for section, codes in sections.items():
            hits = [code for code, _ in pairs if code in codes]
            if len(hits) >= 2 and 2 * len(hits) >= len(pairs):
                found.append(f"{path.relative_to(root)}:{node.lineno} {section}: {', '.join(hits)}")
    return found


def test_no_python_module_but_the_catalogue_keeps_words_for_catalogue_codes():
    base = catalogue.base()
    sections = {s: set(base.codes(s)) for s in base.sections()}
    loader = ROOT / "engine/profile/catalogue.py"
    found = [hit for folder in ("engine", "api", "bench") for path in sorted((ROOT / folder).rglob("*.py"))
             if path != loader for hit in _label_tables(path, sections)]
    assert found == []


def test_the_check_finds_a_copied_table(tmp_path):
    copied = tmp_path / "copied.py"
    copied.write_text('KINDS = {"task": "新待办", "reminder": "催办提醒", "x": 1}\nCOUNTS = {"task": 1, "reminder": 2}\n',
                      encoding="utf-8")
    sections = {"notification_kinds": set(catalogue.base().codes("notification_kinds"))}
    assert _label_tables(copied, sections, tmp_path) == ["copied.py:1 notification_kinds: task, reminder"]


def test_no_template_or_designer_script_keeps_words_for_roles_or_kinds():
    """Pages and the designer's scripts take these words from the catalogue (the page config)."""
    base = catalogue.base()
    words = {label for s in ("roles", "notification_kinds", "deadline_kinds", "unit_parts")
             for label in base.labels(s).values()} | {"分管副区长", "分管副市长"}
    pattern = re.compile(r"""['"]([a-z_]+)['"]\s*:\s*['"]([^'"]+)['"]""")
    found = []
    paths = [*(ROOT / "api/templates").rglob("*.html"), *(ROOT / "api/static/js/designer/src").rglob("*.js"),
             ROOT / "api/static/js/designer/editor.js"]
    for path in paths:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            if match.group(2) in words:
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert found == []
