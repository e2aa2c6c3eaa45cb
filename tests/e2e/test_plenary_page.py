"""批量审查交办 in a real browser: a page of 20 proposals filed and assigned in one
submit, one row refused (a key proposal without its supervising leader) and shown
with its error, the other 19 applied; a likely duplicate flagged; the phone layout;
the submission form offering similar proposals as the title is typed."""
from engine.tooling.demo import submit
from engine.tooling.plenary_data import session_proposals

PROPOSERS = ["wy_chen", "wy_lin", "wy_huang", "wy_zhang"]


def test_a_page_of_twenty_is_filed_and_assigned_in_one_action(app, person, chromium, live_server, shots):
    ext = app.extensions["cppcc"]
    items = session_proposals(20, pairs=1, seed=3)
    for n, item in enumerate(items):
        submit(ext["db"], ext["runtime"], PROPOSERS[n % 4], item["title"], item["category"], item["body"],
               item["suggestions"])
    tw = person("tawei_li")
    tw.page.goto(tw.base + "/plenary?per_page=20")
    rows = tw.page.locator("tr.batch-row")
    assert rows.count() == 20
    assert tw.page.locator("tr.batch-row .dupe").count() >= 1  # the restated one is flagged
    tw.shot("page")
    for n in range(20):  # every row gets a lead unit (most are suggested already)
        lead = tw.page.locator(f"select[name='rows-{n}-lead']")
        if not lead.input_value():
            lead.select_option("jtw")
    refused_title = tw.page.locator("tr.batch-row").nth(4).locator("td a").first.inner_text()
    tw.page.check("input[name='rows-4-is_key']")
    tw.page.select_option("select[name='rows-4-leader']", "")
    tw.page.click("form.batch-form button[type=submit]")
    tw.page.wait_for_load_state()
    tw.shot("after")
    flash = tw.page.locator(".flash").first.inner_text()
    assert "已办理 19 件" in flash and "1 件未通过" in flash
    left = tw.page.locator("tr.batch-row")
    assert left.count() == 1 and refused_title in left.first.inner_text()
    assert "督办领导" in left.first.locator(".row-error").inner_text()
    assert tw.page.locator("input[name='rows-0-is_key']").is_checked()  # what was entered is kept
    tw.page.goto(tw.base + "/proposals?status=accepting")
    assert int(tw.page.locator("h1 .count").inner_text()) == 19
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "tawei_li")
    page.fill("input[name=password]", "demo123")
    page.click("button[type=submit]")
    page.goto(live_server + "/plenary")
    shots.take(page, "phone-390.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling
    phone.close()


def test_the_submission_form_offers_similar_proposals_as_the_title_is_typed(app, person):
    ext = app.extensions["cppcc"]
    submit(ext["db"], ext["runtime"], "wy_lin", "关于加强老旧小区停车管理的建议", "urban",
           "老旧小区停车难问题日益突出，车位缺口较大。", "新建立体停车库。")
    chen = person("wy_chen")
    chen.page.goto(chen.base + "/proposals/new")
    chen.page.fill("input[name=title]", "关于缓解老旧小区停车难的建议")
    chen.page.wait_for_selector("#similar-box:not([hidden])")
    chen.shot("similar")
    assert "关于加强老旧小区停车管理的建议" in chen.page.locator("#similar-list").inner_text()
