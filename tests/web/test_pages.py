"""The pages: login, inbox, task forms, dossier, proposer and committee pages, safety."""
import re

from engine.tooling.demo import ACCEPT, plan

BODY = "停车难问题日益突出，需要综合治理。"


def submit(browser, username="wy_chen", title="关于加强停车管理的建议", **extra):
    b = browser().login(username)
    b.get("/proposals/new")
    data = {"title": title, "category": "urban", "body": BODY, "suggestions": "建设立体停车库", **extra}
    response = b.post("/proposals/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def task_id(b, name_title):
    html = b.text("/tasks")
    for match in re.finditer(r'href="/tasks/([0-9a-f-]{36})">\s*<span class="task-title">([^<]+)<', html):
        if match.group(2) == name_title:
            return match.group(1)
    raise AssertionError(f"no task {name_title} in inbox")


def test_login_required_and_wrong_password(browser):
    b = browser()
    response = b.get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    b.get("/login")
    response = b.post("/login", {"username": "tawei_li", "password": "wrong"})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)


def test_logout_ends_the_session(browser):
    b = browser().login("tawei_li")
    assert b.get("/tasks").status_code == 200
    b.post("/logout")
    assert b.get("/tasks").status_code == 302


def test_csrf_token_is_required(browser):
    b = browser().login("wy_chen")
    response = b.post("/proposals/new", {"title": "关于某某问题的建议"}, token=False)
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_idle_session_expires(browser, monkeypatch):
    from api.web import session as web_session
    b = browser().login("tawei_li")
    monkeypatch.setattr(web_session, "IDLE_SECONDS", -1)
    assert b.get("/tasks").status_code == 302


def test_submit_review_and_dossier(browser):
    pid = submit(browser, cosigners=["wy_lin"])
    lin = browser().login("wy_lin")
    assert "确认联名" in lin.text("/tasks")
    tid = task_id(lin, "确认联名")
    assert lin.post(f"/tasks/{tid}", {"agree": "true"}).status_code == 302
    tw = browser().login("tawei_li")
    tid = task_id(tw, "审查立案")
    page = tw.text(f"/tasks/{tid}")
    assert "审查结论" in page and BODY in page and "陈思远（委员）" in page
    response = tw.post(f"/tasks/{tid}", {"review_decision": "file", "category": "urban"})
    assert response.status_code == 302
    dossier = tw.text(f"/proposals/{pid}")
    for text in ("提交提案", "审查立案", "立案", "林晓梅（委员）", "李明（提案委）", "打印档案"):
        assert text in dossier
    assert "{" not in re.sub(r"<(script|style|template)[^>]*>.*?</\1>", "", dossier, flags=re.S)  # no raw JSON


def test_refused_form_keeps_data_and_says_why_in_chinese(browser):
    submit(browser)
    tw = browser().login("tawei_li")
    tid = task_id(tw, "审查立案")
    response = tw.post(f"/tasks/{tid}", {"review_decision": "not_file", "category": "urban",
                                         "merge_into": "保留的内容"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "理由或说明：此项为必填项" in html
    assert 'value="not_file" checked' in html and "保留的内容" in html


def test_assignment_picks_units_from_the_directory(browser):
    submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tid = task_id(tw, "交办")
    page = tw.text(f"/tasks/{tid}")
    assert "区交通委员会" in page and 'type="checkbox" name="lead_unit_ids" value="jtw"' in page
    response = tw.client.post(f"/tasks/{tid}", data={
        "csrf_token": tw.token, "assign_mode": "joint", "lead_unit_ids": ["jtw"],
        "assisting_unit_ids": ["ghzy", "jsgl"], "is_key": "false"})
    assert response.status_code == 302
    clerk = browser().login("jtw_clerk")
    clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    clerk.post(f"/tasks/{task_id(clerk, '拟定办理方案')}", plan())
    head = browser().login("jtw_head")
    head.post(f"/tasks/{task_id(head, '审批办理方案')}", {"approved": "true", "approve_comment": "同意"})
    assert "提交协办意见" in browser().login("ghzy_clerk").text("/tasks")


def test_other_units_task_and_unknown_pages_are_404(browser):
    submit(browser)
    tw = browser().login("tawei_li")
    tid = task_id(tw, "审查立案")
    other = browser().login("jtw_clerk")
    response = other.get(f"/tasks/{tid}")  # another's task is not found, as one that does not exist
    assert response.status_code == 404 and "找不到" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert other.get("/proposals/99999").status_code == 404
    assert other.get("/tasks/00000000-0000-0000-0000-000000000000").status_code == 404


def test_proposer_sees_only_own_proposals(browser):
    mine = submit(browser, "wy_chen", title="关于陈委员自己的建议")
    submit(browser, "wy_lin", title="关于林委员的另一件建议")
    chen = browser().login("wy_chen")
    listing = chen.text("/proposals")
    assert "关于陈委员自己的建议" in listing and "关于林委员的另一件建议" not in listing
    assert chen.get(f"/proposals/{mine + 1}").status_code == 404
    assert "我的提案" in listing


def test_script_in_a_proposal_is_shown_as_text(browser):
    b = browser().login("wy_chen")
    b.get("/proposals/new")
    evil = "<script>alert('x')</script>"
    b.post("/proposals/new", {"title": f"关于{evil}的建议", "category": "urban", "body": f"正文{evil}正文正文正文",
                              "suggestions": evil})
    tw = browser().login("tawei_li")
    html = tw.text("/proposals")
    assert evil not in html and "&lt;script&gt;" in html
    pid = int(re.search(r'href="/proposals/(\d+)"', html).group(1))
    dossier = tw.text(f"/proposals/{pid}")
    assert evil not in dossier and "&lt;script&gt;alert(" in dossier


def test_committee_search_filters(browser):
    submit(browser, title="关于停车管理的建议")
    submit(browser, "wy_lin", title="关于学校安全的建议")
    tw = browser().login("tawei_li")
    html = tw.text("/proposals?q=学校")
    assert "关于学校安全的建议" in html and "关于停车管理的建议" not in html
    assert "没有符合条件的提案" in tw.text("/proposals?status=closed")


def test_attachments_on_dossier_and_task_form(browser):
    import io
    pid = submit(browser)
    chen = browser().login("wy_chen")
    chen.get(f"/proposals/{pid}")
    response = chen.client.post(f"/proposals/{pid}/attachments", data={
        "csrf_token": chen.token, "file": (io.BytesIO(b"%PDF-1.4 demo"), "调研报告.pdf")})
    assert response.status_code == 302
    dossier = chen.text(f"/proposals/{pid}")
    assert "调研报告.pdf" in dossier
    link = re.search(r'href="(/attachments/\d+)"', dossier).group(1)
    download = chen.get(link)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 demo"
    assert "attachment" in download.headers["Content-Disposition"]
    assert browser().login("wy_lin").get(link).status_code == 404  # not her proposal
    bad = chen.client.post(f"/proposals/{pid}/attachments", data={
        "csrf_token": chen.token, "file": (io.BytesIO(b"MZ..."), "tool.exe")}, follow_redirects=True)
    assert "不支持的文件类型" in bad.get_data(as_text=True)
    # an attachment uploaded with a task form is kept when the form is refused
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw", "is_key": "false"})
    clerk = browser().login("jtw_clerk")
    clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    clerk.post(f"/tasks/{task_id(clerk, '拟定办理方案')}", plan())
    head = browser().login("jtw_head")
    head.post(f"/tasks/{task_id(head, '审批办理方案')}", {"approved": "true"})
    tid = task_id(clerk, "记录沟通协商")
    clerk.get(f"/tasks/{tid}")
    refused = clerk.client.post(f"/tasks/{tid}", data={
        "csrf_token": clerk.token, "contact_way": "phone", "attachments": (io.BytesIO(b"%PDF minutes"), "座谈纪要.pdf")})
    assert refused.status_code == 422
    kept = re.search(r'name="attachments" value="(\d+)"', refused.get_data(as_text=True))
    assert kept, "the uploaded file is kept on the refused form"
    done = clerk.post(f"/tasks/{tid}", {"contact_date": "2026-05-01", "contact_way": "phone", "contact_people": "陈委员",
                                         "contact_content": "电话沟通", "proposer_view": "同意", "more_contacts": "false",
                                         "attachments": kept.group(1)})
    assert done.status_code == 302
    assert "座谈纪要.pdf" in clerk.text(f"/proposals/{pid}")


def test_unknown_page_is_a_chinese_404_page(browser):
    b = browser().login("tawei_li")
    response = b.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "页面不存在" in html and "<html" in html
    assert browser().client.get("/api/no/such").get_json()["error"]["status"] == 404
