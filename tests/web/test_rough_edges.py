"""What a handler meets on the pages: attachments by name, what comes next, the region's
rules where they apply, prefilled known data, checked dates, claims."""
import io
import re

from engine.demo import ACCEPT, PLAN

from test_pages import submit, task_id

CONSULT = {"contact_date": "2026-05-01", "contact_way": "phone", "contact_people": "陈委员",
           "contact_content": "电话沟通", "proposer_view": "同意", "more_contacts": "false"}


def to_consultation(browser, unit="jtw"):
    """A proposal filed, assigned to `unit` alone, accepted and planned: (proposal id, clerk)."""
    pid = submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": unit, "is_key": "false"})
    clerk = browser().login(f"{unit}_clerk")
    clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    clerk.post(f"/tasks/{task_id(clerk, '拟定办理方案')}", PLAN)
    head = browser().login(f"{unit}_head")
    head.post(f"/tasks/{task_id(head, '审批办理方案')}", {"approved": "true"})
    return pid, clerk


def section(html, heading):
    """The HTML of the card whose <h2> or <h3> is `heading` (up to the next heading of the page)."""
    start = html.index(f">{heading}</h")
    following = [m.start() for m in re.finditer(r"<h[23][ >]", html) if m.start() > start]
    return html[start:following[0] if following else len(html)]


# 21. Attachments by file name, with a link

def test_attachments_appear_by_file_name_with_a_link(browser):
    pid, clerk = to_consultation(browser)
    tid = task_id(clerk, "记录沟通协商")
    clerk.get(f"/tasks/{tid}")
    done = clerk.client.post(f"/tasks/{tid}", data={**CONSULT, "csrf_token": clerk.token,
                                                    "attachments": (io.BytesIO(b"%PDF minutes"), "座谈纪要.pdf")})
    assert done.status_code == 302
    dossier = clerk.text(f"/proposals/{pid}")
    link = re.search(r'<a href="(/attachments/\d+)">座谈纪要.pdf</a>', section(dossier, "办理经过"))
    assert link, "the timeline names the attachment and links to it"
    assert clerk.get(link.group(1)).data == b"%PDF minutes"
    assert not re.search(r"<dt>附件</dt><dd>\d+</dd>", dossier)
    # the dossier is its own print view: the timeline is printed (not hidden from print)
    assert 'class="card no-print">\n    <h2>办理经过' not in dossier
    reply = clerk.text(f"/tasks/{task_id(clerk, '起草答复')}")  # the next task: its side panel
    side = reply[reply.index('<aside class="card side">'):]
    assert side.count(f'<a href="{link.group(1)}">座谈纪要.pdf</a>') >= 2  # 办理信息 and 办理经过
    assert not re.search(r"<dt>附件</dt><dd[^>]*>\d+</dd>", side)


# 22. What happens next; who has the dossier's open tasks; messages

def flashes(html):
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'<div class="flash flash-\w+" role="status">(.*?)</div>', html, re.S)]


def test_after_a_task_the_page_says_what_comes_next_and_links_to_my_next_task(browser):
    pid = submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    done = tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw", "is_key": "false"})
    [text] = flashes(tw.text(done.headers["Location"]))
    assert "“交办”已办理完成" in text and "下一步" in text and "签收或退回" in text and "区交通委员会经办人" in text
    assert "<a " not in text  # not the committee's own
    clerk = browser().login("jtw_clerk")
    done = clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    [text] = flashes(clerk.text(done.headers["Location"]))
    plan = task_id(clerk, "拟定办理方案")
    assert "下一步" in text and "拟定办理方案" in text and f'href="/tasks/{plan}"' in text  # the same person acts next
    assert re.search(r"期限 \d{4}-\d{2}-\d{2}", text)
    done = clerk.post(f"/tasks/{plan}", PLAN)
    [text] = flashes(clerk.text(done.headers["Location"]))
    assert "审批办理方案" in text and "区交通委员会负责人" in text and "href=\"/tasks/" not in text


def test_the_dossier_says_who_has_each_open_task_and_by_when(browser):
    pid, clerk = to_consultation(browser)
    dossier = clerk.text(f"/proposals/{pid}")
    current = section(dossier, "当前待办")
    assert "记录沟通协商" in current and "区交通委员会经办人" in current and re.search(r"期限 \d{4}-\d{2}-\d{2}", current)
    cosign = submit(browser, cosigners=["wy_lin"])
    current = section(browser().login("wy_chen").text(f"/proposals/{cosign}"), "当前待办")
    assert "确认联名" in current and "林晓梅（委员）" in current


def test_messages_link_to_open_tasks_only_and_opening_one_marks_it_read(browser):
    pid = submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw", "is_key": "false"})
    clerk = browser().login("jtw_clerk")
    accept = task_id(clerk, "签收或退回")
    html = clerk.text("/notifications")
    [item] = [m for m in re.findall(r'<li class="notice unread">(.*?)</li>', html, re.S) if "新的待办：签收或退回" in m]
    opener = re.search(r'href="(/notifications/\d+/open[^"]*)">去办理</a>', item).group(1)
    opened = clerk.get(opener.replace("&amp;", "&"))
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tasks/{accept}")
    html = clerk.text("/notifications")
    assert "新的待办：签收或退回" in re.findall(r'<li class="notice read">(.*?)</li>', html, re.S)[-1]
    clerk.post(f"/tasks/{accept}", ACCEPT)
    html = clerk.text("/notifications")
    [item] = [m for m in re.findall(r'<li class="notice \w+">(.*?)</li>', html, re.S) if "新的待办：签收或退回" in m]
    assert "去办理" not in item and f"/tasks/{accept}" not in item  # done: the message leads to the dossier
    opener = re.search(r'href="(/notifications/\d+/open[^"]*)">查看提案</a>', item).group(1)
    assert clerk.get(opener.replace("&amp;", "&")).headers["Location"].endswith(f"/proposals/{pid}")


def test_the_api_says_what_comes_next_too(app):
    client = app.test_client()

    def token(username):
        return {"Authorization": "Bearer " + client.post("/api/auth/login", json={
            "username": username, "password": "demo123"}).get_json()["token"]}

    chen, tw = token("wy_chen"), token("tawei_li")
    pid = client.post("/api/proposals", headers=chen, json={
        "title": "关于加强停车管理的建议", "category": "urban", "body": "停车难问题日益突出，需要综合治理。",
        "suggestions": "建设立体停车库", "cosigners": []}).get_json()["id"]
    [review] = client.get("/api/tasks", headers=tw, query_string={"proposal_id": pid}).get_json()["items"]
    done = client.post(f"/api/tasks/{review['id']}/complete", headers=tw,
                       json={"data": {"review_decision": "file", "category": "urban"}}).get_json()
    [assign] = done["next"]["tasks"]
    assert assign["title"] == "交办" and assign["who"] == "提案委员会" and assign["mine"] is True
