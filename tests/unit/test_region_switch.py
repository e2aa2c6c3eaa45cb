"""Switching and changing a region touches no Python: a copied region folder whose
YAML (a deadline, a reply class) and decision table are edited runs with the
change in force — the forms offer the new class, the due dates follow the new
deadline, and the approval chain follows the edited table."""
import shutil
from pathlib import Path

from engine.model.settings import Settings, region_settings
from engine.tooling.scenarios import run_file
from engine.workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_cppcc_region_selects_the_folder_and_its_own_database(monkeypatch):
    monkeypatch.setenv("CPPCC_REGION", "binhai")
    monkeypatch.delenv("CPPCC_DATABASE_URL", raising=False)
    settings = Settings.from_env()
    assert settings.region_dir == ROOT / "regions" / "binhai"
    assert settings.database_url.endswith("instance/cppcc-binhai.sqlite3")
    rt = Runtime(Settings.from_env(database_url="sqlite://"))
    assert rt.region.name == "滨海市" and rt.forms.resolved("rate")["properties"]["satisfaction"]["enum"] == [
        "satisfied", "basically_satisfied", "understood", "unsatisfied"]
    monkeypatch.setenv("CPPCC_REGION", "default")
    assert Runtime(Settings.from_env(database_url="sqlite://")).forms.resolved("rate")[
        "properties"]["satisfaction"]["enum"] == ["satisfied", "basically_satisfied", "unsatisfied"]
    assert region_settings("binhai", keep_database=True) == {"region_dir": ROOT / "regions" / "binhai"}


def test_an_edited_copy_of_a_region_takes_effect_without_code(tmp_path):
    folder = tmp_path / "haicheng"
    shutil.copytree(ROOT / "regions" / "binhai", folder)
    # the profile: a 4-month plenary deadline, class D renamed to E (暂缓办理)
    edit(folder / "region.yaml", "reply_plenary: {unit: months, count: 5, remind_before: 10}",
         "reply_plenary: {unit: months, count: 4, remind_before: 10}")
    edit(folder / "region.yaml", "{code: D, label: D类（留作参考）", "{code: E, label: E类（暂缓办理）")
    # the decision table: class E now needs the deputy mayor, as D did
    edit(folder / "decisions" / "approval_chain.dmn", "<text>\"D\"</text>", "<text>\"E\"</text>")

    settings = Settings(region_dir=folder, database_url=f"sqlite:///{tmp_path}/x.db", upload_dir=tmp_path / "up")
    rt = Runtime(settings)
    reply_class = rt.forms.resolved("reply_draft")["properties"]["reply_class"]
    assert reply_class["enum"] == ["A", "B", "C", "E"] and reply_class["x-labels"]["E"] == "E类（暂缓办理）"
    assert rt.files_bundle.hash != Runtime(Settings.from_env(region="binhai", database_url="sqlite://")).files_bundle.hash

    scenario = tmp_path / "e.yaml"
    scenario.write_text("""name: 改过的地区：全会提案 4 个月，E 类须副市长审签
start: 2026-03-02T09:00+08:00
submit: {as: wy_lin, data: {title: 关于建设市级体育公园的建议, category: culture, source: plenary,
                            body: 群众健身场地不足，亟需规划建设。, suggestions: 利用闲置地块建设体育公园}}
steps:
  - {task: review, user: tawei_li, data: {review_decision: file, category: culture}}
  - {task: assign, user: tawei_li, data: {assign_mode: single, lead_unit_ids: [sjyj], is_key: false}}
  - {task: accept, user: sjyj_clerk, data: {accept_decision: accept}}
  - check: {due: {plan_draft: 2026-07-02}}
  - {task: plan_draft, user: sjyj_clerk, data: {plan_content: 调研, plan_responsible: 李科长, plan_finish_date: 2026-06-30}}
  - {task: plan_approve, user: sjyj_head, data: {approved: true}}
  - {task: consultation, user: sjyj_clerk, data: {contact_date: 2026-03-02, contact_way: meeting, contact_people: 提案者,
                                                  contact_content: 面商, proposer_view: 认可, more_contacts: true}}
  - {task: consultation, user: sjyj_clerk, data: {contact_date: 2026-03-02, contact_way: phone, contact_people: 提案者,
                                                  contact_content: 通报, proposer_view: 认可, more_contacts: true}}
  - {task: consultation, user: sjyj_clerk, data: {contact_date: 2026-03-02, contact_way: visit, contact_people: 提案者,
                                                  contact_content: 结果, proposer_view: 理解, more_contacts: false}}
  - {task: reply_draft, user: sjyj_clerk, data: {reply_class: D, reply_text: 暂缓, involves_funds: false}, refused: 答复类别}
  - {task: reply_draft, user: sjyj_clerk, data: {reply_class: E, reply_text: 暂缓, involves_funds: false}}
  - {task: head_approve, user: sjyj_head, data: {approved: true}}
expect:
  reply_class: null
  open_tasks: [deputy_approve]
""", encoding="utf-8")
    outcome = run_file(scenario, settings)
    assert outcome.passed, outcome.problems
    # the untouched region still says 5 months and D
    original = run_file(scenario, Settings.from_env(region="binhai", database_url="sqlite://"))
    assert original.problems == ["第 4 步（检查）：待办 plan_draft 的期限应为 2026-07-02，实际为 2026-08-02"]
