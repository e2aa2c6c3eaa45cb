"""The 提案查询 page in a real browser: search by proposer or co-signer and by
submission dates; a wrong date range is told in Chinese."""
from engine.tooling.demo import submit

PROPOSALS = [("wy_chen", "关于加强停车管理的建议", ["wy_lin"]), ("wy_huang", "关于改善菜市场环境的建议", []),
             ("wy_zhang", "关于增设社区养老服务点的建议", ["wy_lin", "wy_chen"]), ("wy_chen", "关于推进垃圾分类的建议", [])]


def test_search_by_person_and_dates(app, person):
    ext = app.extensions["cppcc"]
    for proposer, title, cosigners in PROPOSALS:
        submit(ext["db"], ext["runtime"], proposer, title, "urban", f"{title}：现状和问题分析如下……",
               "一是……；二是……。", cosigners)
    tw = person("tawei_li")
    tw.page.goto(tw.base + "/proposals")
    total = int(tw.page.locator("h1 .count").inner_text())
    tw.page.fill("input[name=person]", "林晓梅")
    tw.page.click("form.filters button[type=submit]")
    tw.page.wait_for_load_state()
    tw.shot("person")
    found = int(tw.page.locator("h1 .count").inner_text())
    assert (found, total) == (2, 4)
    assert tw.page.input_value("input[name=person]") == "林晓梅"
    tw.page.fill("input[name=submitted_from]", "2026-05-02")
    tw.page.fill("input[name=submitted_to]", "2026-05-01")
    tw.page.click("form.filters button[type=submit]")
    tw.page.wait_for_load_state()
    tw.shot("bad-range")
    assert "提交日期（止）不能早于提交日期（起）" in tw.page.content()
