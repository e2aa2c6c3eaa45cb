"""What a handler meets on the pages: attachments by name, what comes next, the region's
rules where they apply, prefilled known data, checked dates, claims."""
import io
import re

import pytest
from test_pages import submit, task_id

from engine.tooling.demo import ACCEPT, consult, plan


def to_consultation(browser, unit="jtw"):
    """A proposal filed, assigned to `unit` alone, accepted and planned: (proposal id, clerk)."""
    pid = submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": unit, "is_key": "false"})
    clerk = browser().login(f"{unit}_clerk")
    clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    clerk.post(f"/tasks/{task_id(clerk, '拟定办理方案')}", plan())
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
    done = clerk.client.post(f"/tasks/{tid}", data={**consult(more_contacts="false"), "csrf_token": clerk.token,
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
    submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    done = tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw", "is_key": "false"})
    [text] = flashes(tw.text(done.headers["Location"]))
    assert "“交办”已办理完成" in text and "下一步" in text and "签收或退回" in text and "区交通委员会经办人" in text
    assert "<a " not in text  # not the committee's own
    clerk = browser().login("jtw_clerk")
    done = clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    [text] = flashes(clerk.text(done.headers["Location"]))
    plan_task = task_id(clerk, "拟定办理方案")
    assert "下一步" in text and "拟定办理方案" in text and f'href="/tasks/{plan_task}"' in text  # the same person acts next
    assert re.search(r"期限 \d{4}-\d{2}-\d{2}", text)
    done = clerk.post(f"/tasks/{plan_task}", plan())
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


# 23. The region's rules where they apply

def notes_of(html):
    return [re.sub(r"\s+", " ", n) for n in re.findall(r'<p class="rule-note">(.*?)</p>', html, re.S)]


def field_value(html, name):
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S) or \
        re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return found.group(1).strip() if found else ""


@pytest.mark.parametrize("region", ["binhai"])
def test_three_meetings_count_and_say_so_before_the_choice(browser, region):
    pid, clerk = to_consultation(browser, unit="sjtj")
    first = clerk.text(f"/tasks/{task_id(clerk, '记录沟通协商')}")
    notes = notes_of(first)
    assert any("本次为第 1 次，共需 3 次" in n for n in notes), notes
    assert any("还须再记录 2 次" in n and "无论" in n for n in notes), notes  # said before choosing 继续协商
    done = clerk.post(f"/tasks/{task_id(clerk, '记录沟通协商')}",
                      consult(more_contacts="false", contact_content="第一次面商内容"))
    [text] = flashes(clerk.text(done.headers["Location"]))
    assert "下一步" in text and "记录沟通协商" in text and "立即办理" in text  # not a silent reopening
    second = clerk.text(f"/tasks/{task_id(clerk, '记录沟通协商')}")
    assert any("本次为第 2 次，共需 3 次" in n for n in notes_of(second))
    assert field_value(second, "contact_content") == "" and field_value(second, "contact_people") == ""  # a new record


def test_the_default_region_counts_its_one_consultation(browser):
    pid, clerk = to_consultation(browser)
    page = clerk.text(f"/tasks/{task_id(clerk, '记录沟通协商')}")
    assert any("本次为第 1 次，共需 1 次" in n for n in notes_of(page))
    assert not any("还须再记录" in n for n in notes_of(page))


@pytest.mark.parametrize("region, window, rule", [
    (None, "10 个工作日", "超过期限后仍可退回"),
    ("binhai", "5 个工作日", "本地区超过期限后不再受理退回，须签收办理"),
], ids=["default", "binhai"])
def test_the_acceptance_form_states_the_regions_return_rule(browser, region, window, rule):
    unit = "sjtj" if region else "jtw"
    submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": unit, "is_key": "false"})
    clerk = browser().login(f"{unit}_clerk")
    page = clerk.text(f"/tasks/{task_id(clerk, '签收或退回')}")
    notes = " ".join(notes_of(page))
    assert f"交办后 {window}" in notes and re.search(r"签收期限：\d{4}-\d{2}-\d{2}", notes) and rule in notes
    assert "有的地区" not in page


# 24. Known data prefilled; dates checked against today and the reply deadline

def chosen(html, name):
    found = re.search(r'<option value="([^"]+)" selected>', html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]) \
        if f'<select name="{name}"' in html or f'name="{name}"' in html else None
    radio = re.search(rf'name="{name}" value="([^"]+)" checked', html)
    return (found.group(1) if found else None) or (radio.group(1) if radio else None)


def field_error(html, name):
    found = re.search(rf'<div class="field has-error">(?:(?!<div class="field).)*?name="{name}".*?<p class="error" role="alert">(.*?)</p>',
                      html, re.S)
    return found.group(1) if found else None


def test_review_and_supervision_review_start_from_what_is_known(browser):
    submit(browser, category="social")
    tw = browser().login("tawei_li")
    assert chosen(tw.text(f"/tasks/{task_id(tw, '审查立案')}"), "category") == "social"
    pid, clerk = to_consultation(browser)
    clerk.post(f"/tasks/{task_id(clerk, '记录沟通协商')}", consult(more_contacts="false"))
    clerk.post(f"/tasks/{task_id(clerk, '起草答复')}", {"reply_class": "B", "reply_text": "列入明年计划。",
                                                        "involves_funds": "false"})
    head = browser().login("jtw_head")
    head.post(f"/tasks/{task_id(head, '单位负责人审签')}", {"approved": "true"})
    dcs = browser().login("dcs_zhou")
    assert chosen(dcs.text(f"/tasks/{task_id(dcs, '督查室审核答复')}"), "final_class") == "B"


def test_dates_are_checked_against_today_and_the_reply_deadline(browser):
    submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": "jtw", "is_key": "false"})
    clerk = browser().login("jtw_clerk")
    clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    plan_task = task_id(clerk, "拟定办理方案")
    past = clerk.post(f"/tasks/{plan_task}", plan(-3))
    assert past.status_code == 422 and "不能早于今天" in field_error(past.get_data(as_text=True), "plan_finish_date")
    late = clerk.post(f"/tasks/{plan_task}", plan(200))  # the reply is due within 3 months
    error = field_error(late.get_data(as_text=True), "plan_finish_date")
    assert late.status_code == 422 and re.search(r"不能晚于答复期限（\d{4}-\d{2}-\d{2}）", error), error
    assert clerk.post(f"/tasks/{plan_task}", plan()).status_code == 302
    head = browser().login("jtw_head")
    head.post(f"/tasks/{task_id(head, '审批办理方案')}", {"approved": "true"})
    future = clerk.post(f"/tasks/{task_id(clerk, '记录沟通协商')}", consult(more_contacts="false", contact_date="2099-01-01"))
    assert future.status_code == 422 and "联系日期：不能晚于今天" in field_error(future.get_data(as_text=True), "contact_date")


# 26. Claiming a task when a unit has several clerks

def test_claim_release_and_reassign_through_the_pages(app, browser):
    from engine.adapters.db import UnitOfWork
    from engine.services.directory import add_user
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        add_user(uow.session, "jtw_clerk2", "王干事（区交通委员会）", "demo123", ["unit_clerk"], "jtw")
        uow.commit()
    pid, clerk = to_consultation(browser)
    tid = task_id(clerk, "记录沟通协商")
    page = clerk.text(f"/tasks/{tid}")
    assert ">认领</button>" in page
    done = clerk.post(f"/tasks/{tid}/claim", {})
    assert done.status_code == 302 and "已认领" in " ".join(flashes(clerk.text(done.headers["Location"])))
    colleague = browser().login("jtw_clerk2")
    inbox = colleague.text("/tasks")
    assert "已由 郑干事（区交通委员会） 认领" in inbox  # still visible to colleagues, marked
    page = colleague.text(f"/tasks/{tid}")
    assert "只有认领人可以办理" in page and 'class="primary" disabled' in page
    refused = colleague.post(f"/tasks/{tid}", consult(more_contacts="false"))
    assert "已由郑干事（区交通委员会）认领" in refused.get_data(as_text=True)
    # the committee gives it to the colleague from the dossier
    tw = browser().login("tawei_li")
    dossier = tw.text(f"/proposals/{pid}")
    assert "改派给" in section(dossier, "当前待办") and "（已由 郑干事（区交通委员会） 认领）" in dossier
    moved = tw.post(f"/proposals/{pid}/tasks/{tid}/reassign", {"username": "jtw_clerk2"})
    assert moved.status_code == 302
    assert "我已认领" in colleague.text(f"/tasks/{tid}")
    assert colleague.post(f"/tasks/{tid}", consult(more_contacts="false")).status_code == 302
    assert 'class="reassign-form"' not in browser().login("jtw_head").text(f"/proposals/{pid}")  # only the committee
