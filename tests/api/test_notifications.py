"""In-app messages through the JSON API (/api/notifications) and the pages
(/notifications and the 消息 badge in the nav)."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.adapters import outbox as notify
from engine.adapters.db import UnitOfWork
from engine.model.tables import Notification, User

PASSWORD = "pw-测试"  # tests/api/conftest.py (not importable by name next to tests/engine/conftest.py)
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def send(app, usernames, title, kind="task", at=NOW, proposal_id=None, task_id=None) -> None:
    """Put one message of `kind` into the outbox for `usernames` (the region decides the channels)."""
    ext = app.extensions["cppcc"]
    with UnitOfWork(ext["db"]) as uow:
        users = list(uow.session.scalars(select(User).where(User.username.in_(usernames))))
        notify.enqueue(uow.session, ext["runtime"].region, users, kind, title, "正文：" + title,
                       proposal_id=proposal_id, task_id=task_id, now=at)
        uow.commit()


@pytest.fixture
def inbox(app):
    """fgw_clerk has three messages (newest: 第三条), jw_clerk one; returns their ids by title."""
    send(app, ["fgw_clerk", "jw_clerk"], "第一条", kind="assigned")
    send(app, ["fgw_clerk"], "第二条", kind="reminder", at=NOW + timedelta(hours=1))
    send(app, ["fgw_clerk"], "第三条", kind="overdue", at=NOW + timedelta(hours=2))
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        rows = uow.session.scalars(select(Notification).where(Notification.channel == "inapp"))
        return {(n.recipient, n.title): n.id for n in rows}


# JSON API

def test_needs_a_login(api):
    assert api.client.get("/api/notifications").status_code == 401
    assert api.client.post("/api/notifications/read", json={}).status_code == 401


def test_list_newest_first_with_unread_count(api, inbox):
    body = api.get("fgw_clerk", "/api/notifications").get_json()
    assert [i["title"] for i in body["items"]] == ["第三条", "第二条", "第一条"]
    assert (body["total"], body["unread"]) == (3, 3)
    first = body["items"][-1]
    assert first["kind"] == "assigned" and first["body"] == "正文：第一条" and first["read"] is False
    assert first["read_at"] is None and first["created_at"].startswith("2026-11-02T01:00")
    # e-mail and sms rows of the same messages are not in-app messages
    assert {i["id"] for i in body["items"]} == {v for (who, _), v in inbox.items() if who == "fgw_clerk"}
    paged = api.get("fgw_clerk", "/api/notifications", query_string={"page": 2, "per_page": 2}).get_json()
    assert [i["title"] for i in paged["items"]] == ["第一条"] and paged["total"] == 3
    other = api.get("jw_clerk", "/api/notifications").get_json()
    assert [i["title"] for i in other["items"]] == ["第一条"] and other["unread"] == 1
    assert api.get("tw_li", "/api/notifications").get_json() == {
        "items": [], "total": 0, "unread": 0, "page": 1, "per_page": 20}


def test_mark_some_then_all_read(api, inbox):
    mine, theirs = inbox[("fgw_clerk", "第二条")], inbox[("jw_clerk", "第一条")]
    response = api.post("fgw_clerk", "/api/notifications/read", {"ids": [mine, theirs]})
    assert response.status_code == 200
    assert response.get_json() == {"marked": 1, "unread": 2}  # someone else's message is left alone
    assert api.get("jw_clerk", "/api/notifications").get_json()["unread"] == 1
    unread = api.get("fgw_clerk", "/api/notifications", query_string={"unread": "1"}).get_json()
    assert [i["title"] for i in unread["items"]] == ["第三条", "第一条"] and unread["total"] == 2
    read = [i for i in api.get("fgw_clerk", "/api/notifications").get_json()["items"] if i["read"]]
    assert [i["title"] for i in read] == ["第二条"] and read[0]["read_at"]
    assert api.post("fgw_clerk", "/api/notifications/read", {}).get_json() == {"marked": 2, "unread": 0}
    assert api.post("fgw_clerk", "/api/notifications/read").get_json() == {"marked": 0, "unread": 0}  # no body
    assert api.get("jw_clerk", "/api/notifications").get_json()["unread"] == 1


@pytest.mark.parametrize("body, field, message", [
    ({"ids": "all"}, "ids", "应为列表"), ({"ids": [1, "2"]}, "ids/1", "应为整数"), ({"ids": [True]}, "ids/0", "应为整数"),
    ({"ids": {"a": 1}}, "ids", "应为列表"), ({"ids": [0]}, "ids/0", "不能小于 1"), ({"idz": []}, "idz", "不支持的字段")])
def test_bad_ids(api, inbox, body, field, message):
    response = api.post("fgw_clerk", "/api/notifications/read", body)
    assert response.status_code == 400
    assert response.get_json()["error"]["errors"] == [{"field": field, "message": message}]


def test_bad_queries(api):
    assert api.get("fgw_clerk", "/api/notifications", query_string={"unread": "maybe"}).status_code == 400
    assert api.get("fgw_clerk", "/api/notifications", query_string={"per_page": "500"}).status_code == 400
    response = api.client.post("/api/notifications/read", data="{not json", headers={
        **api.headers("fgw_clerk"), "Content-Type": "application/json"})
    assert response.status_code == 400


# Pages

class Browser:
    """A test client used like a browser: logs in with the form, keeps the CSRF token."""

    def __init__(self, app):
        self.client, self.token = app.test_client(), None

    def get(self, path):
        response = self.client.get(path)
        found = TOKEN.search(response.get_data(as_text=True))
        self.token = found.group(1) if found else self.token
        return response

    def login(self, username):
        self.get("/login")
        response = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                                    "csrf_token": self.token})
        assert response.status_code == 302
        return self


def badge(html):
    """The unread count shown next to 消息 in the nav, or None."""
    nav = html.split('<nav class="nav">', 1)[1].split("</nav>", 1)[0]
    assert "消息" in nav
    found = re.search(r'<span class="badge unread-count">(\d+)</span>', nav)
    return int(found.group(1)) if found else None


def test_messages_page_and_badge(app, inbox):
    browser = Browser(app).login("fgw_clerk")
    tasks = browser.get("/tasks").get_data(as_text=True)
    assert badge(tasks) == 3
    page = browser.get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "我的消息" in html and "未读 3 条" in html and badge(html) == 3
    assert html.index("第三条") < html.index("第二条") < html.index("第一条")
    assert html.count('class="notice unread"') == 3 and "催办提醒" in html and "逾期" in html
    assert "全部标为已读" in html

    refused = browser.client.post("/notifications/read", data={})  # no CSRF token
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    done = browser.client.post("/notifications/read", data={"csrf_token": browser.token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/notifications")
    html = browser.get("/notifications").get_data(as_text=True)
    assert "已将 3 条消息标为已读" in html
    assert html.count('class="notice read"') == 3 and 'class="notice unread"' not in html
    assert badge(html) is None and "全部标为已读" not in html
    # jw_clerk's message is still unread
    assert badge(Browser(app).login("jw_clerk").get("/tasks").get_data(as_text=True)) == 1


def test_messages_link_to_open_tasks_only(app):
    send(app, ["fgw_clerk"], "请签收", proposal_id=None, task_id="0f8e6a52-1111-4c3b-9d2a-000000000001")
    browser = Browser(app).login("fgw_clerk")
    html = browser.get("/notifications").get_data(as_text=True)
    assert "请签收" in html and "去办理" not in html  # no such task (done, or gone): nothing to do there
    opener = re.search(r'href="(/notifications/(\d+)/open)"', html)
    assert opener is None  # neither a task nor a proposal to lead to
    [item] = api_items(app, "fgw_clerk")
    assert browser.get(f"/notifications/{item['id']}/open").status_code == 302  # marks it read
    assert api_items(app, "fgw_clerk")[0]["read"] is True
    assert Browser(app).login("jw_clerk").get(f"/notifications/{item['id']}/open").status_code == 404  # not hers


def api_items(app, username):
    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).get_json()["token"]
    return client.get("/api/notifications", headers={"Authorization": f"Bearer {token}"}).get_json()["items"]


def test_messages_page_needs_a_login(app):
    client = app.test_client()
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login = client.get("/login").get_data(as_text=True)
    assert "unread-count" not in login and "/notifications" not in login  # no nav when logged out


def test_badge_absent_without_messages(app):
    html = Browser(app).login("tw_li").get("/tasks").get_data(as_text=True)
    assert badge(html) is None
