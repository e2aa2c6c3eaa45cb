"""A region's words for the catalogue's codes (region.yaml `labels:`) on the pages: the
designer's role choices, who holds a task, a unit's part and the kind of a message."""
import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.web.test_pages import submit, task_id

ROOT = Path(__file__).resolve().parents[2]


def editor_config(b) -> dict:
    html = b.text("/designer/edit/handling.bpmn")
    match = re.search(r'<script type="application/json" id="designer-config">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


@pytest.mark.parametrize("region, leader", [(None, "分管副区长"), ("binhai", "分管副市长")])
def test_the_designer_offers_the_regions_word_for_its_leaders(browser, region, leader):
    config = editor_config(browser().login("designer"))
    roles = {r["code"]: r["label"] for r in config["roles"]}
    assert roles["deputy_head"] == leader and "designer" not in roles
    assert not set(roles.values()) & ({"分管副区长", "分管副市长"} - {leader})
    notify = {n["code"]: n["label"] for n in config["notify"]}
    assert notify == {"task": "新待办（默认）", "assigned": "交办", "rate_request": "请评价", "extension": "延期申请"}


class TestARegionsOwnWords:
    """The default region with its own words for a unit's clerk, the lead part and a kind of message."""

    @pytest.fixture
    def settings(self, tmp_path, settings):
        folder = tmp_path / "region"
        shutil.copytree(ROOT / "regions" / "default", folder)
        text = (folder / "region.yaml").read_text(encoding="utf-8").replace(
            "    deputy_head: 分管副区长\n",
            "    deputy_head: 分管副区长\n    unit_clerk: {label: 承办单位联络员, short: 联络员}\n"
            "  unit_parts:\n    lead: 牵头单位\n  notification_kinds:\n    assigned: 交办通知单\n")
        (folder / "region.yaml").write_text(text, encoding="utf-8")
        return dataclasses.replace(settings, region_dir=folder)

    def test_they_show_on_the_dossier_and_the_messages(self, browser):
        pid = submit(browser)
        tw = browser().login("tawei_li")
        tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
        response = tw.client.post(f"/tasks/{task_id(tw, '交办')}", data={
            "csrf_token": tw.token, "assign_mode": "single", "lead_unit_ids": ["jtw"], "is_key": "false"})
        assert response.status_code == 302
        dossier = tw.text(f"/proposals/{pid}")
        assert "区交通委员会联络员" in dossier and "牵头单位" in dossier
        assert "区交通委员会经办人" not in dossier and ">主办<" not in dossier
        messages = browser().login("jtw_clerk").text("/notifications")
        assert '<span class="badge">交办通知单</span>' in messages
