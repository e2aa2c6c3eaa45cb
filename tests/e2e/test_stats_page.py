"""统计分析 in a real browser: the charts are drawn, a figure opens the list of the proposals
behind it, the annual report downloads and opens with python-docx; the page at phone width."""
import docx
from stats_year import make_year


def test_stats_page_charts_figures_and_report(app, person, tmp_path):
    ext = app.extensions["cppcc"]
    make_year(ext["db"], ext["runtime"])
    zfb = person("zfb_wang")
    zfb.page.goto(zfb.base + "/stats")
    zfb.page.wait_for_selector("#chart-units[data-drawn=true]")
    assert zfb.page.locator(".chart[data-drawn=true]").count() == 5
    assert zfb.page.locator("#chart-classes svg path").count() > 0  # ECharts drew the class shares
    assert zfb.page.locator(".charts-missing").is_hidden()
    zfb.shot("stats")
    assert zfb.page.locator("[data-ratio=reply_rate]").inner_text() == "77.8%"

    with zfb.page.expect_download() as got:
        zfb.page.click("#annual-report")
    path = tmp_path / "report.docx"
    got.value.save_as(path)
    assert got.value.suggested_filename.startswith("提案办理情况报告_")
    body = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "立案的8件提案共9件应办件（分别主办的提案按每个主办单位各计一件），已答复委员7件，办复率为78%" in body

    zfb.page.click("[data-count=replied] a")
    zfb.page.wait_for_url("**/proposals?*indicator=replied*")
    zfb.shot("list-behind-replied")
    assert int(zfb.page.locator("h1 .count").inner_text()) == 6  # 7 handlings: P4 has two separate leads
    assert "统计指标：已答复" in zfb.page.locator("#indicator-note").inner_text()

    zfb.page.goto(zfb.base + "/stats")
    zfb.page.wait_for_selector("#chart-units[data-drawn=true]")
    zfb.page.click("#table-units a.figure-link >> nth=0")  # the first unit's 应办件数
    zfb.page.wait_for_url("**/proposals?*lead=*")
    assert int(zfb.page.locator("h1 .count").inner_text()) == 2  # 区建设和管理委员会: P4 and P6

    zfb.page.set_viewport_size({"width": 390, "height": 844})
    zfb.page.goto(zfb.base + "/stats")
    zfb.page.wait_for_selector("#chart-units[data-drawn=true]")
    zfb.shot("stats-phone")
    zfb.shots.take(zfb.page, "stats-phone-first-screen.png", full_page=False)
    zfb.page.locator("#table-units").scroll_into_view_if_needed()
    zfb.shots.take(zfb.page, "stats-phone-units.png", full_page=False)
    width = zfb.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width  # nothing wider than the phone (wide tables scroll inside their card)
    zfb.page.goto(zfb.base + "/assessment")
    zfb.shot("assessment-phone")
    zfb.page.set_viewport_size({"width": 1280, "height": 900})
    zfb.page.goto(zfb.base + "/assessment")
    zfb.page.click("#unit-jsgl summary")
    zfb.shot("assessment")
    assert zfb.page.locator("#ranking tbody tr").count() == 6  # the lead units of the year
