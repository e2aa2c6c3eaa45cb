"""The demo loads for each region from its demo.yaml: the same story (one proposal
at every stage) with the region's own units, classes, ratings and leaders."""
import shutil
from dataclasses import replace

import pytest
import yaml
from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.model.errors import DefinitionError
from engine.model.tables import Proposal, User
from engine.tooling.demo import load_demo, load_story
from engine.workflow.runtime import Runtime

STATUS_OF_STAGE = {"cosigning": "cosigning", "review": "review", "assignment": "assignment", "accepting": "accepting",
                   "joint": "handling", "key": "replying", "feedback": "feedback", "follow_up": "follow_up",
                   "closed": "closed", "separate": "accepting", "not_filed": "not_filed"}


@pytest.fixture
def database(settings, templates):
    """An empty database of the newest schema (the demo loads its own people)."""
    templates.copy(settings.database_url, "schema")
    db = Database(settings.database_url)
    yield db
    db.engine.dispose()


def test_the_demo_stands_at_every_stage_with_the_regions_lists(database, runtime, region):
    rt = runtime
    story = load_story(rt)
    ids = load_demo(database, rt)
    assert sorted(STATUS_OF_STAGE) == sorted(e["stage"] for e in story)
    with UnitOfWork(database) as uow:
        proposals = [uow.session.get(Proposal, pid) for pid in ids]
        assert [p.status for p in proposals] == [STATUS_OF_STAGE[e["stage"]] for e in story]
        for entry, proposal in zip(story, proposals, strict=True):
            if entry["stage"] in ("feedback", "follow_up", "closed"):
                assert proposal.reply_class == entry["reply_class"]
            if entry.get("lead"):
                assert proposal.lead_unit == entry["lead"]
            assert proposal.category in rt.region.codes("categories")
        users = {u.username: u for u in uow.session.scalars(select(User))}
    assert users["designer"].roles == "designer" and users["designer"].name == "郑伟（流程设计员）"
    for leader in rt.region.leaders:
        assert users[leader["username"]].name == f"{leader['name']}（{leader['title']}）"
    assert {f"{u['id']}_clerk" for u in rt.region.units} <= set(users)
    numbers = [p.number for p in proposals if p.number]
    assert numbers[0] == rt.region.number_format.format(year=int(numbers[0].lstrip("滨")[:4]), seq=1)
    if region == "binhai":  # its story shows class D, 理解 and the plenary source
        assert {"D", "C"} <= {p.reply_class for p in proposals} and "understood" in {p.satisfaction for p in proposals}
        assert "plenary" in {p.source for p in proposals}


def test_a_wrong_demo_file_names_entry_and_field(tmp_path, settings, region):
    folder = tmp_path / "r"
    shutil.copytree(settings.region_dir, folder)
    raw = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    raw["proposals"][3]["lead"] = "nowhere"
    raw["proposals"][6]["reply_class"] = "Z"
    raw["proposals"][0]["stage"] = "somewhere"
    raw["proposals"][1]["colour"] = "red"
    (folder / "demo.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_story(Runtime(replace(settings, region_dir=folder)))
    found = {p["element"]: p["message"] for p in caught.value.problems}
    assert set(found) == {"proposals/0/stage", "proposals/1/colour", "proposals/3/lead", "proposals/6/reply_class"}
    assert found["proposals/3/lead"] == "单位“nowhere”不在本地区的单位名录中"
    assert found["proposals/6/reply_class"].startswith("“Z”不在本地区的列表中（可选：A, B, C")
