"""The plenary pages through Flask's client: 批量审查交办 is the committee's, a refused row
keeps what was entered and the others go through, the search exports to Excel, an
import with a bad row names row and column and writes nothing, and a merged proposal's
dossier links to the one it went into (and back)."""
import io
import re

from openpyxl import Workbook, load_workbook

TITLES = ["关于加强老旧小区停车管理的建议", "关于推进生活垃圾分类工作的建议", "关于加强老旧小区停车管理工作的建议"]
BODY = "老旧小区停车难问题日益突出，车位缺口较大，占用消防通道的现象时有发生。"


def submit_all(browser):
    b = browser().login("wy_chen")
    for title in TITLES:
        b.get("/proposals/new")
        body = BODY if "停车" in title else "垃圾分类投放点设置不合理，居民参与度不高。"
        assert b.post("/proposals/new", {"title": title, "category": "urban", "body": body,
                                         "suggestions": "建设立体停车库"}).status_code == 302


def rows_of(html):
    return dict(re.findall(r'name="rows-(\d+)-task_id" value="([0-9a-f-]{36})"', html))


def row_of_html(html, title):
    return next(b for b in html.split('class="batch-row')[1:] if f">{title}</a>" in b)


def row_of(html, title):
    """(row number, task id, proposal id) of the page's row of `title`."""
    block = next(b for b in html.split('class="batch-row')[1:] if f">{title}</a>" in b)
    n, task = re.search(r'name="rows-(\d+)-task_id" value="([0-9a-f-]{36})"', block).groups()
    return n, task, re.search(r'href="/proposals/(\d+)">' + title, block).group(1)


def test_the_batch_page_applies_the_good_rows_and_keeps_a_refused_one(browser):
    submit_all(browser)
    assert browser().login("wy_chen").get("/plenary").status_code == 403
    tw = browser().login("tawei_li")
    html = tw.text("/plenary")
    assert "批量审查交办" in html and "区交通委员会" in re.search(r"建议：[^<]*", row_of_html(html, TITLES[0])).group(0)
    assert "疑似重复" in row_of_html(html, TITLES[2]) and "疑似重复" not in row_of_html(html, TITLES[1])
    rows = rows_of(html)
    form = {f"rows-{n}-task_id": task for n, task in rows.items()}
    for n in rows:
        form.update({f"rows-{n}-decision": "file", f"rows-{n}-category": "urban", f"rows-{n}-lead": "jtw"})
    form["rows-1-decision"] = "not_file"  # without its reason: refused
    html = tw.post("/plenary", form).get_data(as_text=True)
    assert "已办理 2 件" in html and "1 件未通过" in html
    assert "理由或说明：此项为必填项" in html
    assert len(rows_of(html)) == 1 and 'value="not_file" selected' in html


def test_a_merge_links_both_dossiers(browser):
    submit_all(browser)
    tw = browser().login("tawei_li")
    html = tw.text("/plenary")
    _, _, first_id = row_of(html, TITLES[0])
    third, task, third_id = row_of(html, TITLES[2])
    done = tw.post("/plenary", {f"rows-{third}-task_id": task, f"rows-{third}-decision": "merge",
                                f"rows-{third}-merge_into_id": first_id}).get_data(as_text=True)
    assert "已办理 1 件" in done
    merged = tw.text(f"/proposals/{third_id}")
    assert "已并入" in merged and TITLES[0] in merged
    assert "并入本案" in tw.text(f"/proposals/{first_id}")


def test_the_search_exports_to_excel(browser):
    submit_all(browser)
    tw = browser().login("tawei_li")
    assert "导出 Excel" in tw.text("/proposals?q=停车")
    response = tw.client.get("/proposals/export.xlsx?q=停车")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(min_row=2, values_only=True))
    assert sorted(r[1] for r in rows) == sorted(t for t in TITLES if "停车" in t)


def test_an_import_with_a_bad_row_names_it_and_writes_nothing(browser):
    book = Workbook()
    sheet = book.active
    sheet.title = "提案"
    sheet.append(["案由", "类别", "提案者", "联名人", "情况和分析", "具体建议", "来源"])
    sheet.append(["关于加强社区养老服务的建议", "城建", "陈思远", "", "社区养老服务站点分布不均。", "推广嵌入式养老", ""])
    sheet.append(["关于增设公交线路的建议", "城建", "不存在的人", "", "新建小区周边公交覆盖不足。", "优化线路", ""])
    data = io.BytesIO()
    book.save(data)
    tw = browser().login("tawei_li")
    tw.get("/proposals/import")
    response = tw.post("/proposals/import", {"file": (io.BytesIO(data.getvalue()), "提案.xlsx"), "dry_run": "0"},
                       content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "第 3 行 C 列（提案者）" in html and "没有导入任何提案" in html
    assert "关于加强社区养老服务的建议" not in tw.text("/proposals")  # the good row was not written either
