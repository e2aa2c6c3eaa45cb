"""The designers' scenario files (processes/scenarios/*.yaml) run as tests, and a
diverging scenario says which step went wrong and how."""
from pathlib import Path

import pytest

from engine.config import Settings
from engine.scenarios import run_file, scenario_files

FOLDER = Path(__file__).resolve().parents[2] / "processes" / "scenarios"


@pytest.mark.parametrize("path", scenario_files(FOLDER), ids=lambda p: p.stem)
def test_scenario(path):
    outcome = run_file(path, Settings())
    assert outcome.passed, f"{outcome.file}（{outcome.name}）:\n" + "\n".join(outcome.problems)


def test_there_are_scenarios():
    assert len(scenario_files(FOLDER)) >= 3


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


def test_malformed_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [{task: review}]\n", encoding="utf-8")
    problems = run_file(bad, Settings()).problems
    assert "submit 应写明 as（提交的委员账号）和 data（提案内容）" in problems
    assert "第 1 步应写明 task 和 user" in problems
