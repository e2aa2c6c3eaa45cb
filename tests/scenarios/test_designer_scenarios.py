"""The designers' scenario files run as tests under every region they apply to
(processes/scenarios/*.yaml, filtered by their `regions:`, and each region's own
regions/<code>/scenarios/*.yaml), and a diverging scenario says which step went
wrong and how."""
from dataclasses import replace
from pathlib import Path

import pytest

from engine.model.settings import Settings
from engine.profile.region import REGIONS_ROOT, region_codes
from engine.tooling.scenarios import applies_to, region_settings_list, run_file, scenario_files, scenarios_for

FOLDER = Path(__file__).resolve().parents[2] / "processes" / "scenarios"
RUNS = [(s.region_dir.name, path) for s in region_settings_list(Settings()) for path in scenarios_for(s)]


@pytest.mark.parametrize("code, path", RUNS, ids=[f"{code}-{p.stem}" for code, p in RUNS])
def test_scenario(code, path):
    outcome = run_file(path, replace(Settings(), region_dir=REGIONS_ROOT / code))
    assert outcome.passed, f"{code}: {outcome.file}（{outcome.name}）:\n" + "\n".join(outcome.problems)


def test_each_region_runs_its_own_and_the_shared_scenarios_that_apply():
    by_region = {}
    for code, path in RUNS:
        by_region.setdefault(code, set()).add(path.relative_to(FOLDER.parents[1]).as_posix())
    assert set(by_region) == set(region_codes()) >= {"default", "binhai"}
    assert "processes/scenarios/not_filed.yaml" in by_region["default"] & by_region["binhai"]  # no regions: all
    assert "processes/scenarios/class_c_deputy.yaml" in by_region["default"] - by_region["binhai"]
    assert {"regions/binhai/scenarios/class_d_deputy_mayor.yaml", "regions/binhai/scenarios/understood_is_accepted.yaml",
            "regions/binhai/scenarios/plenary_five_months.yaml", "regions/binhai/scenarios/return_within_window.yaml",
            "regions/binhai/scenarios/return_after_window_refused.yaml"} <= by_region["binhai"]
    assert not applies_to(FOLDER / "class_c_deputy.yaml", "binhai") and applies_to(FOLDER / "not_filed.yaml", "binhai")


def test_a_scenario_for_another_region_says_so():
    outcome = run_file(FOLDER / "class_c_deputy.yaml", replace(Settings(), region_dir=REGIONS_ROOT / "binhai"))
    assert outcome.problems == ["此场景只适用于地区 default，当前地区为 binhai"]


def test_a_wrong_due_date_and_a_wrong_check_are_explained(tmp_path):
    bad = tmp_path / "due.yaml"
    bad.write_text("""name: 期限不符
start: 2026-03-02T09:00+08:00
submit: {as: wy_chen, data: {title: 关于某某问题的建议, category: urban, body: 情况说明情况说明情况说明情况说明, suggestions: 建议}}
steps:
  - {task: review, user: tawei_li, data: {review_decision: file, category: urban}}
  - {task: assign, user: tawei_li, data: {assign_mode: single, lead_unit_ids: [jtw], is_key: false}}
  - check: {due: {accept: 2026-03-09}}
""", encoding="utf-8")
    assert run_file(bad, Settings()).problems == ["第 3 步（检查）：待办 accept 的期限应为 2026-03-09，实际为 2026-03-16"]
    refused = tmp_path / "refused.yaml"
    refused.write_text("""name: 应被拒绝
submit: {as: wy_chen, data: {title: 关于某某问题的建议, category: urban, body: 情况说明情况说明情况说明情况说明, suggestions: 建议}}
steps:
  - {task: review, user: tawei_li, data: {review_decision: file, category: urban}, refused: 理由}
  - {wait: {weeks: 1}}
""", encoding="utf-8")
    assert run_file(refused, Settings()).problems == [
        "第 2 步wait 应写成 {working_days: 5}、{days: 3} 或 {hours: 2}（非负整数），现在是 {'weeks': 1}"]


def test_the_clock_is_given_back_after_a_scenario_that_moves_it():
    from engine.model import clock
    before = clock.current()
    assert run_file(REGIONS_ROOT / "binhai" / "scenarios" / "return_within_window.yaml",
                    replace(Settings(), region_dir=REGIONS_ROOT / "binhai")).passed
    assert clock.current() is before


def test_there_are_scenarios():
    assert len(scenario_files(FOLDER)) >= 3
    assert len(scenario_files(REGIONS_ROOT / "binhai" / "scenarios")) >= 5


def test_a_step_nobody_can_do_names_the_step_and_what_is_open(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""name: 错误的场景
submit: {as: wy_chen, data: {title: 关于某某问题的建议, category: urban, body: 情况说明情况说明情况说明情况说明, suggestions: 建议}}
steps:
  - {task: assign, user: tawei_li, data: {assign_mode: single, lead_unit_ids: [jtw], is_key: false}}
""", encoding="utf-8")
    outcome = run_file(bad, Settings())
    assert not outcome.passed
    assert outcome.problems[0].startswith("第 1 步（assign，tawei_li）：此人没有这个待办；当前待办：review")


def test_refused_data_and_wrong_end_are_explained(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""name: 表单错误
submit: {as: wy_chen, data: {title: 关于某某问题的建议, category: urban, body: 情况说明情况说明情况说明情况说明, suggestions: 建议}}
steps:
  - {task: review, user: tawei_li, data: {review_decision: not_file, category: urban}}
""", encoding="utf-8")
    assert "review_reason：理由或说明：此项为必填项" in run_file(bad, Settings()).problems[0]
    wrong_end = tmp_path / "end.yaml"
    wrong_end.write_text("""name: 结果不符
submit: {as: wy_chen, data: {title: 关于某某问题的建议, category: urban, body: 情况说明情况说明情况说明情况说明, suggestions: 建议}}
steps: []
expect: {status: closed, open_tasks: []}
""", encoding="utf-8")
    problems = run_file(wrong_end, Settings()).problems
    assert problems == ["结束时 status 应为 'closed'，实际为 'review'", "结束时的待办应为 []，实际为 ['review']"]


def test_a_submitter_who_has_no_account_is_explained(tmp_path):
    bad = tmp_path / "nobody.yaml"
    bad.write_text("""name: 没有这个委员
submit: {as: nobody_here, data: {title: 关于某某问题的建议, category: urban, body: 情况说明情况说明情况说明情况说明, suggestions: 建议}}
steps: []
""", encoding="utf-8")
    assert run_file(bad, Settings()).problems == ["提交提案（nobody_here）失败：没有这个账号"]


def test_malformed_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [{task: review}]\n", encoding="utf-8")
    problems = run_file(bad, Settings()).problems
    assert "submit 应写明 as（提交的委员账号）和 data（提案内容）" in problems
    assert "第 1 步应写明 task 和 user" in problems
