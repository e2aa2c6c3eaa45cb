"""Replay: a year of cases run on the current definition and on a candidate
(another diagram version or region profile), and what changes.

Candidates are built in temporary folders from the real diagrams and region
profile with one change each; cases are generated (small years, fixed seeds)
or recorded in a temporary SQLite database filled with the demo data.
"""
import argparse
import copy
import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from api.cli import replay as cli_replay
from engine import replay
from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.settings import Settings
from engine.model.tables import Case, Proposal
from engine.profile.forms import FormCatalog
from engine.profile.region import Region, load_region
from engine.replay.answers import fit, invent, pick, region_list
from engine.replay.run import CaseRun
from engine.replay.year import GeneratedCase
from engine.services import timers
from engine.tooling.demo import ACCEPT, APPROVE, RATE_OK, act, consult, load_demo, plan, reply, seed_people, submit
from engine.workflow.runtime import Runtime

DEPUTY_TASK = "分管副职审批答复"


@pytest.fixture(scope="module")
def base(runtime):
    """The baseline side: the files on disk with the default region. Each generated case is
    run on it once for the module (RunsOnce): the replays below put the same year against
    different candidates, and its baseline half was the same work in each."""
    side = replay.baseline_side(runtime)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replay, "CaseRun", RunsOnce.on(side))
        yield side


class RunsOnce(CaseRun):
    """engine.replay's CaseRun, except that a generated case run on `side` again returns (a copy
    of) the result of its first run there: the same case, answers and definition on the same
    side, so the same result (test_replaying_the_same_version_changes_nothing compares such a
    result with a fresh run of the same files on another side)."""

    side_remembered = None
    results: dict = {}

    @classmethod
    def on(cls, side):
        return type("RunsOnceOn", (cls,), {"side_remembered": side, "results": {}})

    def run(self) -> dict:
        if self.side is not self.side_remembered or self.on is not None or not isinstance(self.case, GeneratedCase):
            return super().run()
        key = id(self.case), self.horizon
        if key not in self.results:
            self.results[key] = (self.case, super().run())  # the case is kept so that its id is not reused
        return copy.deepcopy(self.results[key][1])


@pytest.fixture(scope="module")
def year(runtime):
    """A small generated year (fixed seed)."""
    return replay.generate_year(runtime.region, 24, 2026, "test")


def candidate_folder(tmp_path, settings, edit=None) -> Path:
    """A copy of processes/ in tmp_path, with `edit(folder)` applied."""
    folder = tmp_path / "candidate"
    shutil.copytree(settings.processes_dir, folder, ignore=shutil.ignore_patterns("scenarios"))
    if edit:
        edit(folder)
    return folder


def deputy_for_every_reply(folder: Path):
    """approval_chain.dmn: the last rule (every other reply) also needs the deputy head's approval."""
    path = folder / "approval_chain.dmn"
    text = path.read_text(encoding="utf-8")
    old = '<outputEntry id="approval_chain_r3_o1"><text>False</text></outputEntry>'
    assert old in text
    path.write_text(text.replace(old, '<outputEntry id="approval_chain_r3_o1"><text>True</text></outputEntry>'),
                    encoding="utf-8")


def shorter_deadlines(tmp_path, settings) -> Path:
    """A copy of the default region whose acceptance and reply deadlines are much shorter."""
    folder = tmp_path / "region"
    shutil.copytree(settings.region_dir, folder)
    raw = yaml.safe_load((folder / "region.yaml").read_text(encoding="utf-8"))
    raw["deadlines"]["accept"] = {"unit": "working_days", "count": 2, "remind_before": 1}
    raw["deadlines"]["reply"] = {"unit": "months", "count": 1, "remind_before": 5}
    (folder / "region.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


def total(counts: dict) -> int:
    return sum(counts.values())


# -- the generated year -----------------------------------------------------------------

def test_a_generated_year_is_the_same_for_the_same_seed(runtime):
    first = [c.as_dict() for c in replay.generate_year(runtime.region, 40, 2026, 7)]
    again = [c.as_dict() for c in replay.generate_year(runtime.region, 40, 2026, 7)]
    other = [c.as_dict() for c in replay.generate_year(runtime.region, 40, 2026, 8)]
    assert first == again
    assert first != other
    assert all(c["submitted_at"].startswith("2026-") for c in first)


def test_a_generated_year_follows_the_published_shares(runtime):
    cases = replay.generate_year(runtime.region, 1000, 2026, 3)
    plenary = [c for c in cases if c.source == "plenary"]
    assert 0.75 < len(plenary) / len(cases) < 0.85
    assert len({c.submitted_at.date() for c in plenary}) <= 5  # the plenary week
    assert 0.15 < sum(c.draws["key"] for c in cases) / len(cases) < 0.25
    codes, _, shares = region_list(runtime.region, "reply_classes")
    classes = [pick(c.draws["class_q"], codes, shares) for c in cases]
    first, last = codes[0], codes[-1]
    assert 0.76 < classes.count(first) / len(cases) < 0.86
    assert 0.08 < classes.count(last) / len(cases) < 0.16


# -- replays of generated cases -----------------------------------------------------------

def test_replaying_the_same_version_changes_nothing(settings, base, year):
    report = replay.replay(year, base, replay.candidate_side(settings, region_dir=settings.region_dir))
    b, c = report["sides"]["baseline"], report["sides"]["candidate"]
    assert report["changed"] == [] and report["errors"] == []
    assert b == c
    assert b["cases"] == len(year) and b["completed"] == len(year)
    assert b["tasks"] > 10 * len(year) and b["invented_cases"] == 0
    assert report["approval_cases"] == {"more": 0, "fewer": 0}


def test_a_decision_table_requiring_the_deputy_adds_approvals_and_unit_workload(tmp_path, settings, base, year):
    folder = candidate_folder(tmp_path, settings, deputy_for_every_reply)
    candidate = replay.candidate_side(settings, processes_dir=folder)
    assert candidate.bundle.hash != base.bundle.hash
    report = replay.replay(year, base, candidate)
    b, c = report["sides"]["baseline"], report["sides"]["candidate"]
    added = c["approvals"]["by_role"]["deputy_head"] - b["approvals"]["by_role"].get("deputy_head", 0)
    assert added > 0 and c["approvals"]["total"] >= b["approvals"]["total"] + added
    assert report["approval_cases"]["more"] > 0 and report["approval_cases"]["fewer"] == 0
    assert c["roles"]["deputy_head"] == b["roles"].get("deputy_head", 0) + added
    # each added approval is counted for the lead unit whose reply it approves
    grown = {u: c["units"][u]["approvals"] - b["units"].get(u, {"approvals": 0})["approvals"] for u in c["units"]}
    assert all(n >= 0 for n in grown.values()) and sum(grown.values()) >= added
    assert report["changed"] and all(x["candidate"].startswith(DEPUTY_TASK) for x in report["changed"])
    assert report["errors"] == [] and c["invented_cases"] == 0


def test_a_region_with_shorter_deadlines_misses_more(tmp_path, settings, base, year):
    candidate = replay.candidate_side(settings, region_dir=shorter_deadlines(tmp_path, settings))
    assert candidate.bundle.hash == base.bundle.hash  # the same diagrams
    report = replay.replay(year, base, candidate)
    b, c = report["sides"]["baseline"], report["sides"]["candidate"]
    assert total(c["late_tasks"]) > total(b["late_tasks"])
    assert c["escalations"].get("accept", 0) > b["escalations"].get("accept", 0)
    assert total(c["escalations"]) > total(b["escalations"])
    assert c["late_tasks"].get("accept", 0) > b["late_tasks"].get("accept", 0)
    assert report["errors"] == []


def test_a_task_the_cases_have_no_answer_for_gets_an_invented_valid_answer(tmp_path, settings, base, year):
    def rename(folder):
        path = folder / "handling.bpmn"
        path.write_text(path.read_text(encoding="utf-8").replace("deputy_approve", "leader_approve"), encoding="utf-8")

    candidate = replay.candidate_side(settings, processes_dir=candidate_folder(tmp_path, settings, rename))
    report = replay.replay(year, base, candidate)
    with_deputy = [x for x in report["cases"] if any(t["task"] == "deputy_approve" for t in x["baseline"]["tasks"])]
    assert with_deputy
    assert report["sides"]["candidate"]["invented_cases"] == len(with_deputy)
    invented = [t for x in report["cases"] for t in x["candidate"]["tasks"] if t["invented"]]
    assert invented and {t["task"] for t in invented} == {"leader_approve"}
    assert report["sides"]["candidate"]["completed"] == len(year) and report["errors"] == []


def test_a_case_that_fails_in_one_version_is_reported_not_raised(tmp_path, settings, base, year):
    def unknown_setting(folder):
        path = folder / "handling.bpmn"
        text = path.read_text(encoding="utf-8")
        assert "setting('min_consultations')" in text
        path.write_text(text.replace("setting('min_consultations')", "setting('no_such_setting')"), encoding="utf-8")

    candidate = replay.candidate_side(settings, processes_dir=candidate_folder(tmp_path, settings, unknown_setting))
    report = replay.replay(year, base, candidate)
    b, c = report["sides"]["baseline"], report["sides"]["candidate"]
    filed = sum(1 for x in report["cases"] if any(t["task"] == "assign" for t in x["baseline"]["tasks"]))
    assert b["errored"] == 0 and c["errored"] == filed > 0
    assert {e["side"] for e in report["errors"]} == {"candidate"}
    assert all("no_such_setting" in e["error"] for e in report["errors"])
    assert "十、出错的案件" in replay.format_report(report)


def test_the_invented_answer_policy(settings, runtime):
    forms = runtime.forms
    at = datetime(2026, 5, 6, 10, tzinfo=clock.CHINA)
    assert invent(forms, "approve", {}, 0, at) == {"approved": True, "approve_comment": None}
    refused = invent(forms, "approve", {}, 1, at)  # the second time: the opposite, with the comment it then needs
    assert refused["approved"] is False and refused["approve_comment"]
    assert invent(forms, "progress_report", {}, 0, at)["report_done"] is False  # the schema default first
    assert invent(forms, "progress_report", {}, 1, at)["report_done"] is True  # then the loop ends
    assert invent(forms, "progress_report", {}, 0, at)["report_date"] == "2026-05-06"
    reply = invent(forms, "reply_draft", {"reply_class": "C"}, 0, at)  # the class the case already has
    assert reply["reply_class"] == "C" and reply["involves_funds"] is False
    assert invent(forms, "reply_draft", {"reply_class": "Z"}, 0, at)["reply_class"] == "A"  # not valid: first


def test_recorded_answers_are_mapped_onto_another_regions_lists(settings, runtime):
    other = load_region(Path(settings.region_dir))
    raw = {**other.raw, "code": "other", "reply_classes": [
        {"code": "I", "label": "已解决"}, {"code": "II", "label": "正在解决"}, {"code": "III", "label": "列入规划"},
        {"code": "IV", "label": "留作参考"}]}
    forms = FormCatalog(settings.forms_dir, Region(code="other", name="另一地区", raw=raw))
    fields, invented = fit(forms, "reply_draft", {"reply_class": "C", "reply_text": "答复", "involves_funds": False,
                                                  "adopted_points": None}, source=runtime.region)
    assert fields["reply_class"] == "IV" and not invented  # the last class stays the last
    fields, _ = fit(forms, "reply_draft", {"reply_class": "A", "reply_text": "答复", "involves_funds": False},
                    source=runtime.region)
    assert fields["reply_class"] == "I"


# -- recorded cases ------------------------------------------------------------------------

@pytest.fixture
def demo_database(tmp_path):
    """A temporary SQLite database with the demo data, and a runtime on it."""
    settings = Settings.from_env(database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    database = Database(settings.database_url)
    database.create_schema()
    rt = Runtime(settings)
    load_demo(database, rt)
    yield database, rt
    database.engine.dispose()


def test_recorded_demo_cases_replay(tmp_path, demo_database):
    database, rt = demo_database
    with UnitOfWork(database) as uow:
        cases, versions = replay.recorded_cases(uow.session)
        statuses = Counter(uow.session.scalars(select(Proposal.status)))
        completed = uow.session.scalar(select(func.count()).select_from(Case).where(
            Case.process == "proposal", Case.completed.is_(True)))
    assert len(cases) == sum(statuses.values()) >= 10 and set(versions) == {rt.files_bundle.hash}
    base = replay.baseline_side(rt)
    same = replay.replay(cases, base, replay.candidate_side(rt.settings, region_dir=rt.settings.region_dir), versions)
    b = same["sides"]["baseline"]
    assert same["changed"] == [] and same["errors"] == [] and b == same["sides"]["candidate"]
    # the replay ends each case where the demo left it, in the same stage
    assert (b["completed"], b["running"]) == (completed, len(cases) - completed)
    assert b["status"] == dict(statuses) and b["invented_cases"] == 0
    candidate = replay.candidate_side(rt.settings, processes_dir=candidate_folder(tmp_path, rt.settings,
                                                                                   deputy_for_every_reply))
    report = replay.replay(cases, base, candidate, versions)
    assert report["errors"] == []
    closed = [x for x in report["cases"] if x["baseline"]["status"] == "closed"
              and not any(t["role"] == "deputy_head" for t in x["baseline"]["tasks"])]
    assert closed  # the demo has a closed proposal its deputy head never saw
    changed = {x["case"]: x for x in report["changed"]}
    for case in closed:  # now the deputy head approves its reply: an answer the record does not have
        assert changed[case["case"]["id"]]["candidate"] == DEPUTY_TASK
        assert case["candidate"]["invented"] == 1 and case["candidate"]["status"] == "closed"


def test_recorded_handling_times_are_kept_on_another_region(tmp_path):
    """A unit that accepted after 6 working days was on time; with a 2-day rule it is late."""
    settings = Settings.from_env(database_url=f"sqlite:///{tmp_path / 'walk.sqlite3'}")
    database = Database(settings.database_url)
    database.create_schema()
    rt, previous = Runtime(settings), clock.current()
    moving = clock.MovableClock(datetime(2026, 3, 2, 9, tzinfo=clock.CHINA))
    clock.use(moving)
    try:
        with UnitOfWork(database) as uow:
            seed_people(uow.session, rt)
            uow.commit()
        pid = submit(database, rt, "wy_chen", "关于加强停车管理的建议", "urban", "停车难问题日益突出，需要综合治理。", "建设立体停车库")
        moving.advance(days=1)
        act(database, rt, "tawei_li", "review", {"review_decision": "file", "category": "urban"}, pid)
        moving.advance(days=1)
        unit = rt.region.units[0]["id"]
        act(database, rt, "tawei_li", "assign", {"assign_mode": "single", "lead_unit_ids": [unit],
                                                "assisting_unit_ids": [], "is_key": False}, pid)
        moving.advance(days=8)  # Wednesday 4 March + 8 days: the 6th working day
        act(database, rt, f"{unit}_clerk", "accept", {"accept_decision": "accept"}, pid)
        moving.advance(days=1)
    finally:
        clock.use(previous)
    with UnitOfWork(database) as uow:
        cases, versions = replay.recorded_cases(uow.session, now=moving.now())
    candidate = replay.candidate_side(settings, region_dir=shorter_deadlines(tmp_path, settings))
    report = replay.replay(cases, replay.baseline_side(rt), candidate, versions)
    b, c = report["sides"]["baseline"], report["sides"]["candidate"]
    assert b["late_tasks"] == {} and b["escalations"] == {}
    assert c["late_tasks"] == {"accept": 1} and c["escalations"] == {"accept": 1}
    accepted = [t for t in report["cases"][0]["candidate"]["tasks"] if t["task"] == "accept"][0]
    assert accepted["done"].startswith("2026-03-12")  # the recorded moment, as in reality
    database.engine.dispose()


# -- the command ---------------------------------------------------------------------------

def run_command(argv, settings):
    parser = argparse.ArgumentParser()
    cli_replay.register(parser.add_subparsers())
    args = parser.parse_args(["replay", *argv])
    return args.func(args, settings)


def test_the_command_prints_the_report_and_writes_json(tmp_path, settings, capsys):
    folder = candidate_folder(tmp_path, settings, deputy_for_every_reply)
    out = tmp_path / "report.json"
    code = run_command(["--generate", "6", "--year", "2026", "--seed", "4", "--processes", str(folder),
                        "--json", str(out), "--quiet"], settings)
    printed = capsys.readouterr().out
    assert code == 0
    for heading in ("提案办理回放报告", "一、总体", "超期督办", "四、审批环节", "五、各单位工作量", "七、答复类别分布",
                    "九、路径变化的案件"):
        assert heading in printed
    assert "分管副职" in printed and "生成 6 件（2026 年，随机种子 4）" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["cases"]) == 6 and data["candidate"]["version"] != data["baseline"]["version"]


def test_the_command_refuses_bad_input_in_chinese(tmp_path, settings, capsys):
    assert run_command(["--generate", "3"], settings) == 1
    assert "请指定候选" in capsys.readouterr().err
    assert run_command(["--generate", "3", "--processes", str(tmp_path / "none")], settings) == 1
    assert "流程文件夹不存在" in capsys.readouterr().err
    broken = candidate_folder(tmp_path, settings, lambda f: (f / "follow_up.dmn").write_text("<oops", encoding="utf-8"))
    assert run_command(["--generate", "3", "--processes", str(broken)], settings) == 1
    assert "follow_up.dmn" in capsys.readouterr().err
    missing = Settings.from_env(database_url=f"sqlite:///{tmp_path / 'absent.sqlite3'}")
    assert run_command(["--recorded", "--region-dir", str(settings.region_dir)], missing) == 1
    assert "数据库文件不存在" in capsys.readouterr().err
    assert not (tmp_path / "absent.sqlite3").exists()


def test_the_command_replays_recorded_cases_against_a_stored_version(demo_database, capsys):
    database, rt = demo_database
    code = run_command(["--recorded", "--version", rt.files_bundle.hash[:8], "--quiet"], rt.settings)
    printed = capsys.readouterr().out
    assert code == 0
    assert "数据库中的提案" in printed and f"已存储的版本 {rt.files_bundle.hash}" in printed
    assert "路径变化的案件：共 0 件" in printed
    assert run_command(["--recorded", "--version", "ffffffff", "--quiet"], rt.settings) == 1
    assert "没有版本 ffffffff" in capsys.readouterr().err


BINHAI = Path(__file__).resolve().parents[2] / "regions" / "binhai"


def test_a_region_with_its_own_lists_gets_comparable_answers(settings, base, year):
    candidate = replay.candidate_side(settings, region_dir=BINHAI)
    report = replay.replay(year, base, candidate)
    c = report["sides"]["candidate"]
    assert report["errors"] == [] and c["completed"] == len(year) and c["invented_cases"] == 0
    assert set(c["reply_class"]) <= set(candidate.region.codes("reply_classes"))
    assert set(c["satisfaction"]) <= set(candidate.region.codes("satisfaction_scale"))
    assert set(c["units"]) <= {u["id"] for u in candidate.region.units}
    # the same quantile per case: the first class has the same share in both regions
    first, base_first = candidate.region.codes("reply_classes")[0], base.region.codes("reply_classes")[0]
    assert c["reply_class"].get(first, 0) == report["sides"]["baseline"]["reply_class"].get(base_first, 0) > 0


def test_cppcc_replay_region_names_the_candidate_not_the_instance(tmp_path, capsys):
    """`cppcc replay --region X` compares X with the instance's own region (given before `replay`)."""
    from api.cli import main

    code = main(["--database-url", f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                 "replay", "--generate", "3", "--seed", "2", "--region", "binhai", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "地区 示范区（default）" in printed and "地区 滨海市（binhai）" in printed


def test_a_co_signer_who_never_confirmed_does_not_confirm_or_rate_in_the_replay(tmp_path):
    """Recorded: 黄委员 was invited, never confirmed, and the co-signing deadline closed the
    co-signing; only 陈委员 and 林委员 rated. The replay follows that: no invented step."""
    settings = Settings.from_env(database_url=f"sqlite:///{tmp_path / 'cosign.sqlite3'}")
    database = Database(settings.database_url)
    database.create_schema()
    rt, previous = Runtime(settings), clock.current()
    moving = clock.MovableClock(datetime(2026, 3, 2, 9, tzinfo=clock.CHINA))
    clock.use(moving)
    unit = rt.region.units[0]["id"]
    try:
        with UnitOfWork(database) as uow:
            seed_people(uow.session, rt)
            uow.commit()
        pid = submit(database, rt, "wy_chen", "关于加强停车管理的建议", "urban", "停车难问题日益突出，需要综合治理。",
                     "建设立体停车库", cosigners=["wy_lin", "wy_huang"])
        moving.advance(days=1)
        act(database, rt, "wy_lin", "cosigner_confirm", {"agree": True}, pid)
        moving.advance(days=10)  # past the co-signing deadline: the worker closes the co-signing
        assert timers.run_once(database, rt)["failed"] == 0
        steps = [("tawei_li", "review", {"review_decision": "file", "category": "urban"}),
                 ("tawei_li", "assign", {"assign_mode": "single", "lead_unit_ids": [unit], "assisting_unit_ids": [],
                                         "is_key": False}),
                 (f"{unit}_clerk", "accept", ACCEPT), (f"{unit}_clerk", "plan_draft", plan()),
                 (f"{unit}_head", "plan_approve", APPROVE), (f"{unit}_clerk", "consultation", consult()),
                 (f"{unit}_clerk", "reply_draft", reply("A")), (f"{unit}_head", "head_approve", APPROVE),
                 ("dcs_zhou", "supervise_review", {"final_class": "A", "approved": True}),
                 ("wy_chen", "rate_reply", RATE_OK), ("wy_lin", "rate_reply", RATE_OK)]
        for username, task, data in steps:
            moving.advance(hours=4)
            act(database, rt, username, task, data, pid)
        with UnitOfWork(database) as uow:
            assert uow.session.get(Proposal, pid).status == "closed"
            cases, versions = replay.recorded_cases(uow.session, now=moving.now())
    finally:
        clock.use(previous)
    report = replay.replay(cases, replay.baseline_side(rt), replay.candidate_side(settings), versions)
    assert report["errors"] == [] and report["changed"] == []
    for side in ("baseline", "candidate"):
        run = report["cases"][0][side]
        assert run["state"] == "completed" and run["status"] == "closed", side
        assert run["invented"] == 0, side
        assert [t["task"] for t in run["tasks"] if t["assignee"] == "wy_huang"] == [], side
        assert sorted(t["assignee"] for t in run["tasks"] if t["task"] == "rate_reply") == ["wy_chen", "wy_lin"]
    database.engine.dispose()
