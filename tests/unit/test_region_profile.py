"""Region profiles: the two example regions load and differ in every parameter the
system models; a broken profile is refused with one Chinese message per problem,
naming the file, the path in it and the line."""
import shutil
from pathlib import Path

import pytest

from engine.model.errors import DefinitionError
from engine.model.settings import Settings
from engine.profile.region import load_region, region_codes
from engine.workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ROOT / "regions"


def copy(tmp_path, code="binhai") -> Path:
    target = tmp_path / code
    shutil.copytree(REGIONS / code, target)
    return target


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(folder: Path, processes_dir=ROOT / "processes") -> list[dict]:
    with pytest.raises(DefinitionError) as caught:
        load_region(folder, processes_dir)
    return caught.value.problems


def one(problems, element=None):
    found = [p for p in problems if element is None or p["element"] == element]
    assert len(found) == 1, problems
    return found[0]


# -- the shipped regions ----------------------------------------------------------------------

def test_both_example_regions_load_with_their_own_decision_tables():
    assert {"default", "binhai"} <= set(region_codes())
    for code in ("default", "binhai"):
        rt = Runtime(Settings.from_env(region=code, database_url="sqlite://"))
        assert rt.region.code == code
    binhai = Runtime(Settings.from_env(region="binhai", database_url="sqlite://"))
    assert {"deadline_rules.dmn", "approval_chain.dmn", "feedback_outcome.dmn", "follow_up.dmn"} <= set(
        name for name, text in binhai.files_bundle.files.items() if "滨海市" in text)


def test_the_two_regions_differ_in_every_parameter():
    """What varies between regions in practice, as far as the system models it."""
    default, binhai = load_region(REGIONS / "default"), load_region(REGIONS / "binhai")
    pairs = {
        "return window": (default.deadlines["accept"], binhai.deadlines["accept"]),
        "return after the window": (default.setting("return_after_window"), binhai.setting("return_after_window")),
        "reply deadline": (default.deadlines["reply"], binhai.deadlines["reply_plenary"]),
        "assisting opinion": (default.deadlines["opinion"], binhai.deadlines["opinion"]),
        "first contact": (default.deadlines["first_contact"], binhai.deadlines["first_contact"]),
        "feedback window": (default.deadlines["feedback"], binhai.deadlines["feedback"]),
        "classes": (default.labels("reply_classes"), binhai.labels("reply_classes")),
        "scale": (default.labels("satisfaction_scale"), binhai.labels("satisfaction_scale")),
        "categories": (default.labels("categories"), binhai.labels("categories")),
        "min consultations": (default.setting("min_consultations"), binhai.setting("min_consultations")),
        "sampling rate": (default.sample_rate_percent, binhai.sample_rate_percent),
        "calendar": (default.calendar, binhai.calendar),
        "channels": (default.raw["notifications"], binhai.raw["notifications"]),
        "numbers": (default.number_format, binhai.number_format),
        "units": ({u["id"] for u in default.units}, {u["id"] for u in binhai.units}),
        "leaders": ([x["title"] for x in default.leaders], [x["title"] for x in binhai.leaders]),
        "second handling deadline": (default.deadlines["second_reply"], binhai.deadlines["second_reply"]),
        "whose rating counts": (default.setting("rating_counts"), binhai.setting("rating_counts")),
    }
    assert [name for name, (a, b) in pairs.items() if a == b] == []
    assert binhai.codes("reply_classes") == ["A", "B", "C", "D"] and "理解" in binhai.labels("satisfaction_scale").values()
    assert binhai.deadlines["reply_plenary"] == {"unit": "months", "count": 5, "remind_before": 10}
    assert binhai.deadlines["reply_ordinary"]["count"] == 3 and binhai.deadlines["accept"]["count"] == 5
    decisions = sorted(p.name for p in (REGIONS / "binhai" / "decisions").glob("*.dmn"))
    for name in decisions:  # its own tables, each different from the default one
        assert (REGIONS / "binhai" / "decisions" / name).read_text(encoding="utf-8") != (
            ROOT / "processes" / name).read_text(encoding="utf-8")
    assert decisions == ["approval_chain.dmn", "deadline_rules.dmn", "feedback_outcome.dmn", "follow_up.dmn"]
    assert binhai.units_file == "units.yaml" and default.units_file == "region.yaml"


# -- one test per kind of problem ---------------------------------------------------------------

def test_missing_profile(tmp_path):
    with pytest.raises(DefinitionError) as caught:
        load_region(tmp_path)
    assert caught.value.problems[0]["message"] == "找不到地区配置文件"


def test_yaml_syntax_error_names_the_line(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "name: 滨海市", "name: [滨海市")
    problem = one(problems_of(folder))
    assert problem["file"] == "region.yaml" and problem["message"].startswith("第 ") and "YAML 格式错误" in problem["message"]


def test_schema_errors_are_chinese_with_path_and_line(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "accept: {unit: working_days, count: 5, remind_before: 2}",
         "accept: {unit: weeks, count: five, remind_before: 2}")
    edit(folder, "region.yaml", "sample_rate_percent: 5", "sample_rate_percent: 0")
    edit(folder, "region.yaml", "min_consultations: 3", "min_consultations: 3\n  bogus: [1]")
    edit(folder, "region.yaml", "extra_holidays: [2026-12-31]", "extra_holidays: [2026-13-01]")
    edit(folder, "region.yaml", "{code: marine, label: 海洋港口}", "{code: 海洋, label: 海洋港口}")
    edit(folder, "region.yaml", "return_after_window: false\n", "")
    edit(folder, "region.yaml", "supervision:", "colour: blue\nsupervision:")
    found = {p["element"]: p["message"] for p in problems_of(folder)}
    text = Path(folder / "region.yaml").read_text(encoding="utf-8").splitlines()
    line_of = {key: next(n for n, line in enumerate(text, 1) if marker in line)
               for key, marker in (("unit", "accept: {unit: weeks"), ("rate", "sample_rate_percent"),
                                   ("holiday", "extra_holidays"), ("marine", "code: 海洋"), ("colour", "colour:"))}
    assert found["deadlines/accept/unit"] == (
        f"取值“weeks”无效，可选：working_days, calendar_days, months, fixed_date（第 {line_of['unit']} 行）")
    assert found["deadlines/accept/count"].startswith("应为文字或整数") or found["deadlines/accept/count"].startswith("应为整数")
    assert found["supervision/sample_rate_percent"] == f"应大于 0（现在是 0）（第 {line_of['rate']} 行）"
    assert found["settings/bogus"].startswith("应为文字或数字或true 或 false")
    assert found["settings"].startswith("缺少必填项“return_after_window”")
    assert found["calendar/extra_holidays/0"] == f"“2026-13-01”不是有效日期：应写成 YYYY-MM-DD（第 {line_of['holiday']} 行）"
    assert found["categories/2/code"] == f"“海洋”格式不正确：只能包含字母、数字和下划线（第 {line_of['marine']} 行）"
    assert found["(根)"].startswith("不认识的配置项：colour（可用：")


def test_fixed_date_must_be_month_day(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "followup_plan: {unit: months, count: 1}", "followup_plan: {unit: fixed_date, count: 630}")
    assert one(problems_of(folder), "deadlines/followup_plan/count")["message"].startswith("应为文字，现在是 630")
    edit(folder, "region.yaml", "count: 630", "count: 6-30")
    assert "“6-30”格式不正确：固定日期应写成 MM-DD，如 06-30" in one(problems_of(folder), "deadlines/followup_plan/count")["message"]
    edit(folder, "region.yaml", "count: 6-30", 'count: "06-30"')
    assert load_region(folder).deadlines["followup_plan"]["count"] == "06-30"


def test_duplicate_codes_in_each_list(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "{code: D, label: D类（留作参考）", "{code: C, label: D类（留作参考）")
    edit(folder, "region.yaml", "{code: understood, label: 理解}", "{code: satisfied, label: 理解}")
    edit(folder, "region.yaml", "{code: general, label: 综合}", "{code: economy, label: 综合}")
    found = {p["element"]: p["message"] for p in problems_of(folder, processes_dir=None)}
    assert found["reply_classes/3/code"].startswith("答复类别代码“C”重复（第 ")
    assert found["satisfaction_scale/2/code"].startswith("满意度代码“satisfied”重复")
    assert found["categories/6/code"].startswith("提案类别代码“economy”重复")


def test_duplicate_leaders_and_units(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "{username: deputy_li, name: 李振华", "{username: deputy_sun, name: 李振华")
    edit(folder, "units.yaml", "{id: sgkj, name: 市港口管理局", "{id: shyj, name: 市港口管理局")
    edit(folder, "units.yaml", "{id: swlj, name: 市文化和旅游局", "{id: swlj, name: 市教育局")
    found = {(p["file"], p["element"]): p["message"] for p in problems_of(folder)}
    assert found[("region.yaml", "leaders/3/username")].startswith("分管副职账号“deputy_sun”重复")
    assert found[("units.yaml", "units/12/id")].startswith("单位编码“shyj”重复（与 units/11 相同）（第 ")
    assert found[("units.yaml", "units/13/name")].startswith("单位名称“市教育局”重复（与 units/8 相同）")


def test_a_units_deputy_must_be_a_leader(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "units.yaml", "{id: sjtj, name: 市交通运输局, deputy: deputy_qian,",
         "{id: sjtj, name: 市交通运输局, deputy: deputy_wang,")
    problem = one(problems_of(folder))
    lines = (folder / "units.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "deputy_wang" in text)
    assert (problem["file"], problem["element"]) == ("units.yaml", "units/4/deputy")
    assert problem["message"] == ("分管副职“deputy_wang”不在 region.yaml 的 leaders 中（现有：deputy_li, deputy_qian, "
                                  f"deputy_sun, deputy_zhao）（第 {line} 行）")


def test_units_file_schema_errors_name_units_yaml(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "units.yaml", "{id: sfgw, name: 市发展和改革委员会", "{id: SFGW, name: 市发展和改革委员会")
    edit(folder, "units.yaml", "{id: sczj, name: 市财政局, deputy: deputy_zhao,", "{id: sczj, deputy: deputy_zhao,")
    found = {(p["file"], p["element"]): p["message"] for p in problems_of(folder)}
    assert found[("units.yaml", "units/0/id")].startswith("“SFGW”格式不正确：只能包含小写字母、数字和下划线")
    assert found[("units.yaml", "units/3")].startswith("缺少必填项“name”")


def test_the_directory_in_one_place_only(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "calendar:", "units:\n  - {id: x, name: 某单位}\ncalendar:")
    assert one(problems_of(folder), "units")["message"].startswith("单位名录只能写在一处")
    (folder / "units.yaml").unlink()
    edit(folder, "region.yaml", "units:\n  - {id: x, name: 某单位}\n", "")
    assert one(problems_of(folder))["message"].startswith("缺少单位名录：请提供 units.yaml")


def test_deadline_rules_the_regions_table_names_must_exist(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "reply_plenary: {unit: months", "reply_full: {unit: months")
    problem = one(problems_of(folder, processes_dir=None))
    assert problem["file"] == "regions/binhai/decisions/deadline_rules.dmn"
    assert problem["element"] == "deadline_rules_r0_o3"
    assert problem["message"].startswith("决策表“deadline_rules”的输出 reply_rule 选用的期限规则“reply_plenary”"
                                         "在地区配置 binhai 的 deadlines 中不存在")


def test_deadline_rules_the_diagrams_name_must_exist(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "  mediate: {unit: working_days, count: 20}\n", "")
    assert load_region(folder, processes_dir=None).code == "binhai"  # the region's own tables do not use it
    problem = one(problems_of(folder))
    assert problem["file"] == "processes/handling.bpmn"
    assert problem["message"] == "流程图使用的期限规则“mediate”在地区配置 binhai 的 deadlines 中不存在"


def test_codes_the_decision_tables_test_must_be_in_the_lists(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "  - {code: D, label: D类（留作参考）, meaning: 因条件限制暂时不能解决，留作参考，并说明理由}\n", "")
    edit(folder, "region.yaml", "{code: understood, label: 理解}", "{code: understand, label: 理解}")
    found = {(p["file"], p["element"]): p["message"] for p in problems_of(folder)}
    assert found[("regions/binhai/decisions/approval_chain.dmn", "approval_chain_r2_i1")].startswith(
        "决策表“approval_chain”检验的答复类别“D”不在地区配置 binhai 的 reply_classes 中（现有：A, B, C）")
    assert found[("regions/binhai/decisions/feedback_outcome.dmn", "feedback_outcome_r2_i0")].startswith(
        "决策表“feedback_outcome”检验的满意度“understood”不在")


def test_the_default_tables_are_checked_for_a_region_without_its_own(tmp_path):
    folder = copy(tmp_path, "default")
    edit(folder, "region.yaml", "  - {code: C, label: C类（留作参考）, meaning: 因条件限制暂时不能解决，留作参考，并说明理由}\n", "")
    problem = one(problems_of(folder))
    assert (problem["file"], problem["element"]) == ("processes/approval_chain.dmn", "approval_chain_r2_i1")


def test_proposal_number_format_needs_a_sequence(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", 'proposal_number_format: "滨{year}-{seq:04d}"', 'proposal_number_format: "滨{year}"')
    assert one(problems_of(folder), "proposal_number_format")["message"].startswith("提案编号格式应包含 {seq}")


def test_proposal_number_format_refuses_an_unknown_placeholder(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", 'proposal_number_format: "滨{year}-{seq:04d}"', 'proposal_number_format: "滨{yaer}-{seq}"')
    problem = one(problems_of(folder), "proposal_number_format")
    assert problem["file"] == "region.yaml"
    assert problem["message"].startswith("提案编号格式中的占位符“{yaer}”无法识别，可用的占位符是 {seq}（序号）")
    lines = (folder / "region.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("proposal_number_format"))
    assert problem["message"].endswith(f"（第 {line} 行）")
    edit(folder, "region.yaml", 'proposal_number_format: "滨{yaer}-{seq}"', 'proposal_number_format: "滨{year}{session}-{seq}"')
    assert load_region(folder, ROOT / "processes").number_format == "滨{year}{session}-{seq}"


def test_every_problem_is_reported_at_once(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "sample_rate_percent: 5", "sample_rate_percent: 500")
    edit(folder, "region.yaml", "min_consultations: 3", "min_consultations: -1")
    edit(folder, "units.yaml", "deputy: deputy_li,", "deputy: 李振华,")
    with pytest.raises(DefinitionError) as caught:
        load_region(folder)
    assert {p["element"] for p in caught.value.problems} >= {
        "supervision/sample_rate_percent", "settings/min_consultations", "units/11/deputy"}
    assert caught.value.message.startswith(f"流程定义有 {len(caught.value.problems)} 处错误")


def test_ratings_rules_are_checked(tmp_path):
    folder = copy(tmp_path)
    edit(folder, "region.yaml", "rating_counts: worst", "rating_counts: average")
    counts = one(problems_of(folder), "settings/rating_counts")
    assert "average" in counts["message"] and "proposer" in counts["message"] and "行" in counts["message"]
    folder = copy(tmp_path / "again")
    edit(folder, "region.yaml", "satisfaction_unrated: {code: unrated,", "satisfaction_unrated: {code: unsatisfied,")
    assert "未评价" in one(problems_of(folder), "satisfaction_unrated/code")["message"]


def test_the_worst_rating_follows_the_regions_scale():
    binhai = load_region(REGIONS / "binhai")
    assert binhai.worst_satisfaction(["satisfied", "understood", None, "basically_satisfied"]) == "understood"
    assert binhai.worst_satisfaction([]) == binhai.worst_satisfaction([None]) == "unrated"
    assert binhai.satisfaction_labels()["unrated"] == "未评价"
