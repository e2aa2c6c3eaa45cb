"""A proposal's year and session: set at submission from its source, corrected at review,
kept when the review leaves it unsaid; the search filters by both."""

from engine.adapters.db import UnitOfWork
from engine.model.tables import Proposal
from engine.profile import sessions
from engine.profile.region import REGIONS_ROOT, load_region
from engine.queries.statistics.compute import china_year
from engine.tooling.demo import FILE, act, submit


def _row(db, pid):
    with UnitOfWork(db) as uow:
        p = uow.session.get(Proposal, pid)
        return p.year, p.session


def test_submission_sets_the_session_and_the_review_corrects_it(app):
    ext = app.extensions["cppcc"]
    db, rt = ext["db"], ext["runtime"]
    year = china_year()
    plenary = sessions.session_of_year(rt.region, year)
    kept = submit(db, rt, "wy_chen", "关于优化公交线路的建议", "urban", "现状和问题分析如下：……", "一是……", source="plenary")
    moved = submit(db, rt, "wy_lin", "关于加强校园安全的建议", "culture", "现状和问题分析如下：……", "一是……", source="plenary")
    ordinary = submit(db, rt, "wy_huang", "关于完善社区养老的建议", "social", "现状和问题分析如下：……", "一是……")
    assert _row(db, kept) == (year, plenary.code) and _row(db, ordinary) == (year, sessions.ORDINARY)
    act(db, rt, "tawei_li", "review", {**FILE}, kept)  # the session left unsaid: kept
    act(db, rt, "tawei_li", "review", {**FILE, "category": "culture", "review_session": sessions.ORDINARY}, moved)
    assert _row(db, kept) == (year, plenary.code)
    assert _row(db, moved) == (year, sessions.ORDINARY)

    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": "tawei_li", "password": "demo123"}).get_json()["token"]
    found = client.get(f"/api/proposals?year={year}&session={plenary.code}",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["id"] for p in found["items"]] == [kept]
    found = client.get(f"/api/proposals?year={year}&session=ordinary",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert sorted(p["id"] for p in found["items"]) == sorted([moved, ordinary])
    bad = client.get("/api/proposals?year=20x", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "年度应为四位年份" in bad.get_json()["error"]["message"]


def test_session_numerals_are_chinese_for_any_term():
    """A year far ahead (the statistics accept up to 2999) names a term past 99 without failing
    (the fuzzer found 2779 gave a 500)."""
    assert [sessions.chinese_number(n) for n in (1, 10, 14, 21, 99, 100, 105, 110, 160, 1001)] == [
        "一", "十", "十四", "二十一", "九十九", "一百", "一百零五", "一百一十", "一百六十", "一千零一"]
    for code in ("default", "binhai"):
        region = load_region(REGIONS_ROOT / code)
        far = sessions.session_of_year(region, 2779)
        assert far is None or ("届" in far.label or "次" in far.label)
