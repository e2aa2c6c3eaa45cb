"""The arithmetic of the committee's year on hand-made cases: rows written directly, as the
engine's steps leave them, and each figure checked against what a person counts."""
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from engine.adapters.db import Database, UnitOfWork
from engine.model.tables import Event, OverdueRecord, Proposal, ProposalPerson, ProposalUnit, Rating, Unit, User
from engine.profile import sessions
from engine.profile.region import REGIONS_ROOT, load_region
from engine.queries.statistics import assessment, compute, listing, report
from engine.services import assessment as commands

YEAR = 2031  # any year: the rows say which year they belong to
T0 = datetime(YEAR, 3, 2, 2, 0, tzinfo=UTC)
UNITS = {"jtw": "区交通委员会", "jyj": "区教育局", "kw": "区科学技术委员会", "wjw": "区卫生健康委员会"}


@pytest.fixture
def db(settings):
    database = Database(settings.database_url)
    database.drop_schema()
    database.create_schema()
    with UnitOfWork(database) as uow:
        uow.session.add_all([Unit(id=k, name=v) for k, v in UNITS.items()])
        uow.session.add(User(username="zfb_wang", name="王芳", password_hash="x", roles="gov_office"))
        uow.commit()
    yield database
    database.engine.dispose()


@pytest.fixture
def profile():
    """The default region's profile (the conftest's `region` is the region code the app runs)."""
    return load_region(REGIONS_ROOT / "default")


class Year:
    """Write a proposal and what its handling left, as the engine's steps do."""

    def __init__(self, session):
        self.session, self.n = session, 0

    def proposal(self, status="closed", filed=True, category="urban", year=YEAR, session_code=None, key=False,
                 cosigned=False):
        self.n += 1
        p = Proposal(title=f"提案{self.n}", body="……", category=category, proposer="wy_chen", status=status,
                     number=f"{year}-{self.n:03d}" if filed else None, year=year, session=session_code, is_key=key,
                     submitted_at=T0, updated_at=T0)
        self.session.add(p)
        self.session.flush()
        if cosigned:
            self.session.add(ProposalPerson(proposal_id=p.id, username="wy_lin", role="cosigner"))
        return p

    def lead(self, p, unit, klass=None, rating=None, role="lead", ways=(), replied_after=30, late=False,
             first=None, second=False):
        self.session.add(ProposalUnit(proposal_id=p.id, unit_id=unit, role=role, reply_class=klass, satisfaction=rating))
        for n, way in enumerate(ways):  # a contact n days after assignment
            self.event(p, unit, "task_completed", "consultation", T0 + timedelta(days=5 + n * 40), {"contact_way": way})
        if klass:
            self.event(p, unit, "milestone", "send_reply", T0 + timedelta(days=replied_after), {"reply_class": klass})
        if late:
            self.session.add(OverdueRecord(proposal_id=p.id, unit_id=unit, lead_unit=unit, kind="reply",
                                           due_at=T0, detected_at=T0 + timedelta(days=1)))
        if first or rating:
            self.session.add(Rating(proposal_id=p.id, unit_id=unit, reply_unit=unit, rater="wy_chen",
                                    satisfaction=first or rating, handling_round=1, rated_at=T0))
        if second:
            self.event(p, unit, "task_completed", "second_handling", T0 + timedelta(days=60), {})
            self.session.add(Rating(proposal_id=p.id, unit_id=unit, reply_unit=unit, rater="wy_chen",
                                    satisfaction=rating, handling_round=2, rated_at=T0))

    def event(self, p, unit, kind, task, at, data):
        self.session.add(Event(proposal_id=p.id, at=at, kind=kind, unit_id=unit, task_name=task, title=task, data=data))


def figures(db, region, **filters):
    with UnitOfWork(db) as uow:
        return compute.year_statistics(uow.session, region, compute.Filters(year=YEAR, **filters))


def test_an_empty_year_has_zeros_and_no_ratios(db, profile):
    stats = figures(db, profile)
    assert set(stats["counts"].values()) == {0}
    assert set(stats["ratios"].values()) == {None}
    assert stats["units"] == [] and stats["monthly"] == []
    with UnitOfWork(db) as uow:
        document = report.annual_report(uow.session, profile, compute.Filters(year=YEAR))
        assert assessment.assess(uow.session, profile, YEAR)["units"] == []
    assert len(document) > 1000


def test_separate_leads_returned_merged_and_not_filed(db, profile):
    with UnitOfWork(db) as uow:
        y = Year(uow.session)
        two = y.proposal()  # two separate leads, both replied A and satisfied
        y.lead(two, "jtw", "A", "satisfied", ways=["meeting"])
        y.lead(two, "jyj", "A", "satisfied", ways=["phone"])
        moved = y.proposal(status="handling")  # returned by jtw, now led by kw, not yet replied
        y.lead(moved, "jtw", role="returned")
        y.lead(moved, "kw")
        y.proposal(status="merged", filed=False)
        y.proposal(status="not_filed", filed=False)
        y.proposal(status="assignment")  # filed, not yet assigned
        y.proposal(year=YEAR - 1)  # another year
        uow.commit()
    stats = figures(db, profile)
    c = stats["counts"]
    assert (c["submitted"], c["filed"], c["merged"], c["not_filed"]) == (5, 3, 1, 1)
    assert (c["handlings"], c["assigned"], c["replied"], c["closed"], c["met"]) == (4, 3, 2, 2, 1)
    assert stats["ratios"]["reply_rate"] == 50.0 and stats["ratios"]["meeting_rate"] == 50.0
    units = {u["unit"]: u["counts"] for u in stats["units"]}
    assert set(units) == {"jtw", "jyj", "kw"}  # a returning unit counts only where it leads
    assert (units["jtw"]["handlings"], units["kw"]["handlings"], units["kw"]["replied"]) == (1, 1, 0)
    with UnitOfWork(db) as uow:  # the list behind "replied": the proposal once, though both its leads replied
        from sqlalchemy import select
        listed = uow.session.scalars(select(Proposal.id).where(
            Proposal.year == YEAR, listing.indicator_clause(profile, "replied"))).all()
        by_jyj = uow.session.scalars(select(Proposal.id).where(
            listing.indicator_clause(profile, "met", lead="jyj"))).all()
    assert listed == [two.id] and by_jyj == []  # jyj only phoned


def test_on_time_first_round_and_second_handling(db, profile):
    with UnitOfWork(db) as uow:
        y = Year(uow.session)
        y.lead(y.proposal(), "jtw", "A", "satisfied", ways=["visit"])
        y.lead(y.proposal(), "jtw", "C", "basically_satisfied", ways=["meeting"], late=True)
        # unsatisfied the first time, satisfied after the second handling
        y.lead(y.proposal(), "kw", "B", "satisfied", ways=["meeting"], first="unsatisfied", second=True)
        # the only face-to-face contact came after the reply: not met
        y.lead(y.proposal(), "kw", "A", "satisfied", ways=["phone", "meeting"], replied_after=20)
        uow.commit()
    stats = figures(db, profile)
    c, r = stats["counts"], stats["ratios"]
    assert (c["replied"], c["on_time"], c["replied_late"]) == (4, 3, 1)
    assert (c["met"], c["contacts"]) == (3, 5)
    assert (c["rated"], c["satisfied"], c["acceptable"], c["second"]) == (4, 3, 4, 1)
    assert (c["first_rated"], c["first_satisfied"], c["first_acceptable"], c["first:unsatisfied"]) == (4, 2, 3, 1)
    assert (r["satisfied_rate"], r["acceptable_rate"], r["first_acceptable_rate"]) == (75.0, 100.0, 75.0)
    assert r["on_time_rate"] == 75.0 and r["contacts_avg"] == 1.25
    assert (c["class:A"], c["class:B"], c["class:C"], r["class_share:A"], r["solved_rate"]) == (2, 1, 1, 50.0, 50.0)
    assert [u["unit"] for u in stats["units"] if u["half_load"]] == ["jtw"]  # 2 of 4 handlings


def test_filters_by_session_category_unit_and_key(db, profile):
    plenary = sessions.session_of_year(profile, YEAR)
    with UnitOfWork(db) as uow:
        y = Year(uow.session)
        y.lead(y.proposal(session_code=plenary.code, category="economy", key=True), "jtw", "A", "satisfied")
        y.lead(y.proposal(category="economy"), "kw", "B", "satisfied")
        y.lead(y.proposal(session_code=sessions.ORDINARY, category="urban", cosigned=True), "kw", "A", "satisfied")
        uow.commit()
    assert figures(db, profile, session=plenary.code)["counts"]["filed"] == 1
    assert figures(db, profile, session=sessions.ORDINARY)["counts"]["filed"] == 2  # stored as 平时提案 or left empty
    assert figures(db, profile, category="economy")["counts"]["replied"] == 2
    assert figures(db, profile, unit="kw")["counts"]["handlings"] == 2
    assert figures(db, profile, key_only=True)["counts"]["handlings"] == 1
    groups = {g["group"]: g["counts"]["handlings"] for g in figures(db, profile)["groups"]}
    assert groups == {"individual": 2, "joint": 1}


def test_sessions_follow_the_terms(profile):
    assert sessions.session_of_year(profile, 2022).label == "六届一次会议"
    assert sessions.session_of_year(profile, 2026).code == "6-5"
    assert sessions.session_of_year(profile, 2027).label == "七届一次会议"  # the next term follows on by itself
    assert sessions.session_of_year(profile, 2021) is None
    assert sessions.chinese_number(14) == "十四" and sessions.chinese_number(21) == "二十一"
    binhai = load_region(REGIONS_ROOT / "binhai")
    assert sessions.session_of_year(binhai, 2026).label == "市政协十四届四次会议"
    assert sessions.submission_session(profile, 2026, "ordinary") == sessions.ORDINARY


def _scored(db, region):
    with UnitOfWork(db) as uow:
        return {u["unit"]: u for u in assessment.assess(uow.session, region, YEAR)["units"]}


def test_a_weight_changed_in_the_profile_changes_the_scores(db, profile, tmp_path):
    with UnitOfWork(db) as uow:
        y = Year(uow.session)
        y.lead(y.proposal(), "jtw", "A", "satisfied", ways=["meeting"])
        y.lead(y.proposal(status="follow_up"), "kw", "B", "satisfied", ways=["phone"], late=True)
        uow.commit()
    before = _scored(db, profile)
    assert before["jtw"]["score"] == 100 and before["jtw"]["rank"] == 1
    kw = {i["code"]: i for i in before["kw"]["items"]}
    assert kw["meeting"]["points"] == 0 and kw["meeting"]["proposals"][0]["number"] == f"{YEAR}-002"
    assert before["kw"]["deductions"][0]["records"] == 1 and before["kw"]["deductions"][0]["lost"] == 1
    copy = tmp_path / "default"
    shutil.copytree(REGIONS_ROOT / "default", copy)
    raw = yaml.safe_load((copy / "region.yaml").read_text(encoding="utf-8"))
    raw["assessment"]["items"][0]["weight"] = 30  # 按时办复 20 → 30
    (copy / "region.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    after = _scored(db, load_region(copy))
    assert after["jtw"]["score"] == before["jtw"]["score"] + 10
    assert after["kw"]["score"] == before["kw"]["score"]  # its reply was late: 0 of either weight


def test_binhai_deducts_per_point_below_the_meeting_target(db):
    binhai = load_region(REGIONS_ROOT / "binhai")
    with UnitOfWork(db) as uow:
        y = Year(uow.session)
        for n in range(4):  # three met, one phoned only: 75 % against 100 %
            y.lead(y.proposal(), "jtw", "A", "satisfied", ways=["meeting" if n else "phone"])
        uow.commit()
    unit = _scored(db, binhai)["jtw"]
    meeting = next(i for i in unit["items"] if i["code"] == "meeting")
    assert (meeting["rate"], meeting["points"], meeting["lost"]) == (75.0, 5.0, 25.0)
    assert "低于目标 100% 25.0 个百分点" in meeting["why"]
    assert unit["score"] == 95.0  # of 120


def test_manual_items_and_a_frozen_ranking(db, profile):
    with UnitOfWork(db) as uow:
        y = Year(uow.session)
        y.lead(y.proposal(), "jtw", "A", "satisfied", ways=["meeting"])
        uow.commit()
    with UnitOfWork(db) as uow:
        user = uow.session.query(User).filter_by(username="zfb_wang").one()
        with pytest.raises(Exception) as refused:
            commands.set_manual_item(uow, profile, user, YEAR, "jtw", "leadership", 9, "主要领导多次批示")
        assert "领导重视的分值应在 0 至 3 之间" in str(refused.value)
    with UnitOfWork(db) as uow:
        user = uow.session.query(User).filter_by(username="zfb_wang").one()
        commands.set_manual_item(uow, profile, user, YEAR, "jtw", "leadership", 2, "主要领导多次批示")
    with UnitOfWork(db) as uow:
        user = uow.session.query(User).filter_by(username="zfb_wang").one()
        commands.freeze(uow, profile, user, YEAR, assessment.assess(uow.session, profile, YEAR), "年终考核")
    with UnitOfWork(db) as uow:  # a correction after freezing
        uow.session.query(ProposalUnit).filter_by(unit_id="jtw").update({"satisfaction": "unsatisfied"})
        uow.commit()
    with UnitOfWork(db) as uow:
        frozen = assessment.shown(uow.session, profile, YEAR)
        live = assessment.shown(uow.session, profile, YEAR, live=True)
    assert frozen["frozen"]["by"] == "王芳" and frozen["frozen"]["note"] == "年终考核"
    assert frozen["units"][0]["score"] == 102 and frozen["units"][0]["manual"][0]["reason"] == "主要领导多次批示"
    assert live["frozen"] is None and live["units"][0]["score"] == 102 - 25


@pytest.mark.parametrize("code", ["default", "binhai"])
def test_every_region_names_only_indicators_that_exist(code):
    """The extra indicators add up known counts, and every assessment item scores on a known ratio."""
    from engine.queries.statistics.indicators import Indicators

    profile = load_region(REGIONS_ROOT / code)
    ind = Indicators(profile)  # raises on an extra indicator naming an unknown count
    plan = assessment.scheme(profile)
    assert {i["indicator"] for i in plan["items"]} <= set(ind.ratios)
    assert sum(i["weight"] for i in plan["items"]) == plan["total"]
