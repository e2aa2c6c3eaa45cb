"""A region whose number format uses {session} numbers each session's proposals on their own
counter: the plenary's and the ordinary proposals of one year both start at 1."""
import dataclasses
import shutil

import pytest
from template_db import people_database

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import Proposal
from engine.profile import sessions
from engine.profile.region import load_region
from engine.tooling.demo import FILE, act, submit
from engine.workflow.runtime import detached_script_engine

FORMAT = 'proposal_number_format: "{year}-{seq:03d}"'


@pytest.fixture
def settings(settings, tmp_path):
    """The default region with numbers per session."""
    folder = tmp_path / "region"
    shutil.copytree(settings.region_dir, folder)
    source = (folder / "region.yaml").read_text(encoding="utf-8")
    assert FORMAT in source
    (folder / "region.yaml").write_text(source.replace(FORMAT, 'proposal_number_format: "{year}{session}-{seq:03d}"'),
                                        encoding="utf-8")
    return dataclasses.replace(settings, region_dir=folder)


@pytest.fixture
def runtime(settings, runtimes):
    """The copied region's runtime (this folder's shared one is of the unchanged region)."""
    return runtimes.get(settings)


@pytest.fixture
def database(settings, runtime, templates):
    """The test database with the copied region's units and the demo people."""
    db = people_database(templates, settings, runtime)
    yield db
    db.engine.dispose()


def _filed(db, rt, proposer, title, source):
    pid = submit(db, rt, proposer, title, "urban", f"{title}。现状和问题分析如下：……", "一是……；二是……。", source=source)
    act(db, rt, "tawei_li", "review", dict(FILE), pid)
    with UnitOfWork(db) as uow:
        return uow.session.get(Proposal, pid).number


def test_two_sessions_are_numbered_independently(app):
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    year = clock.now().astimezone(clock.CHINA).year
    plenary = sessions.session_of_year(rt.region, year)
    assert plenary is not None
    numbers = [_filed(db, rt, "wy_chen", "关于优化公交线路的建议", "plenary"),
               _filed(db, rt, "wy_lin", "关于加强校园安全的建议", "ordinary"),
               _filed(db, rt, "wy_huang", "关于完善社区养老的建议", "plenary"),
               _filed(db, rt, "wy_zhang", "关于规范共享单车停放的建议", "ordinary")]
    assert numbers == [f"{year}{plenary.code}-001", f"{year}平时-001", f"{year}{plenary.code}-002", f"{year}平时-002"]


def test_the_detached_engine_numbers_per_session_too(settings):
    region = load_region(settings.region_dir)
    current = {"code": "6-5"}
    engine = detached_script_engine(region, session_code=lambda: current["code"])
    number = engine.environment.services["next_proposal_number"]
    year = clock.now().astimezone(clock.CHINA).year
    first = number()
    current["code"] = sessions.ORDINARY
    assert [first, number(), number()] == [f"{year}6-5-001", f"{year}平时-001", f"{year}平时-002"]
