"""Forms take their lists from the region profile; errors name the field in Chinese."""
import shutil
from pathlib import Path

import pytest
import yaml

from engine.model.errors import DefinitionError, InvalidForm
from engine.profile.forms import FormCatalog
from engine.profile.region import load_region

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def region():
    return load_region(ROOT / "regions" / "default")


@pytest.fixture
def forms(region):
    return FormCatalog(ROOT / "forms", region)


def field_errors(forms, name, data):
    with pytest.raises(InvalidForm) as caught:
        forms.validate(name, data)
    return {e["field"]: e["message"] for e in caught.value.errors}


def test_valid_data_is_filled_with_defaults(forms):
    data = forms.validate("reply_draft", {"reply_class": "A", "reply_text": "答复", "involves_funds": False})
    assert data["adopted_points"] is None and data["reply_class"] == "A"


def test_errors_name_each_field_in_chinese(forms):
    errors = field_errors(forms, "reply_draft", {"reply_class": "Z", "involves_funds": "yes", "extra": 1})
    assert set(errors) == {"reply_class", "reply_text", "involves_funds", "extra"}
    assert errors["reply_text"] == "答复正文：此项为必填项"
    assert errors["reply_class"].startswith("答复类别")


def test_conditional_requirements(forms):
    assert set(field_errors(forms, "accept", {"accept_decision": "return"})) == {"return_reason"}
    assert "approve_comment" in field_errors(forms, "approve", {"approved": False})
    errors = field_errors(forms, "assign", {"assign_mode": "separate", "lead_unit_ids": ["jtw"], "is_key": False})
    assert "lead_unit_ids" in errors
    assert "assisting_unit_ids" in field_errors(
        forms, "assign", {"assign_mode": "joint", "lead_unit_ids": ["jtw"], "assisting_unit_ids": [], "is_key": False})
    assert "contact_date" in field_errors(forms, "consultation", {
        "contact_date": "去年", "contact_way": "phone", "contact_people": "a", "contact_content": "b",
        "proposer_view": "c", "more_contacts": False})


def test_form_lists_come_from_the_region(tmp_path, region):
    raw = yaml.safe_load((ROOT / "regions/default/region.yaml").read_text(encoding="utf-8"))
    raw["reply_classes"].append({"code": "D", "label": "D类（留作参考）"})
    (tmp_path / "region.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    forms = FormCatalog(ROOT / "forms", load_region(tmp_path))
    assert forms.validate("supervise", {"final_class": "D", "approved": True})["final_class"] == "D"
    assert forms.resolved("supervise")["properties"]["final_class"]["enum"] == ["A", "B", "C", "D"]
    assert FormCatalog(ROOT / "forms", region).resolved("supervise")["properties"]["final_class"]["enum"] == ["A", "B", "C"]


def test_region_profile_errors_say_where(tmp_path):
    (tmp_path / "region.yaml").write_text("name: 测试\ncode: t\ncategories: []\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_region(tmp_path)
    elements = {p["element"] for p in caught.value.problems}
    assert "categories" in elements and "(根)" in elements


def test_bad_form_file_is_reported(tmp_path, region):
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    (tmp_path / "forms" / "accept.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        FormCatalog(tmp_path / "forms", region)
    assert caught.value.problems[0]["file"] == "forms/accept.json"
