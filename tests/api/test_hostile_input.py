"""Out-of-range, hostile, big and deep values never give 500, in the API and the pages:
ids and page numbers beyond the columns' range, NUL characters, deeply nested or
huge JSON, long lists. They get 404, or 400/413/422 naming the field."""
import io
import json

import pytest
from page_client import Browser

PASSWORD = "pw-测试"  # the test people's password (tests/api/conftest.py)
BIG = [str(2**31), str(2**63), "9" * 30]
SUBMISSION = {"title": "关于加强停车管理的建议", "category": "urban", "body": "停车难问题日益突出，需要综合治理。",
              "suggestions": "建设立体停车库"}


def status_of(response, *allowed):
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:500])
    return response


def fields_of(response, status) -> list:
    """The field names of a JSON error response."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    return [e["field"] for e in response.get_json()["error"].get("errors", [])]


def page_browser(app, username):
    return Browser(app.test_client()).login(username, PASSWORD)


# -- ids and page numbers beyond the range of the columns (item 6, 12)

@pytest.mark.parametrize("number", BIG)
@pytest.mark.parametrize("method, path", [
    ("get", "/api/proposals/{}"), ("get", "/api/proposals/{}/attachments"), ("get", "/api/attachments/{}"),
    ("get", "/api/supervision/samples/{}"), ("post", "/api/proposals/{}/extensions"),
    ("post", "/api/proposals/{}/attachments")])
def test_big_ids_in_api_paths_are_not_found(api, number, method, path):
    response = getattr(api, method)("tw_li", path.format(number), *([{}] if method == "post" else []))
    status_of(response, 404)
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize("number", BIG)
@pytest.mark.parametrize("path", ["/proposals/{}", "/attachments/{}", "/proposals/{}/extension",
                                  "/supervision/samples/{}"])
def test_big_ids_in_page_paths_are_not_found(app, api, number, path):
    status_of(page_browser(app, "tw_li").get(path.format(number)), 404)


@pytest.mark.parametrize("number", BIG + ["²", "-1"])
@pytest.mark.parametrize("path", ["/api/proposals", "/api/tasks", "/api/notifications"])
def test_big_page_numbers_in_the_api(api, world, path, number):
    assert fields_of(api.get("tw_li", path, query_string={"page": number}), 400) == ["page"]
    assert fields_of(api.get("tw_li", path, query_string={"per_page": number}), 400) == ["per_page"]


@pytest.mark.parametrize("number", BIG + ["²"])
@pytest.mark.parametrize("path", ["/tasks", "/proposals", "/notifications"])
def test_big_page_numbers_on_pages(app, world, path, number):
    response = status_of(page_browser(app, "tw_li").get(path, query_string={"page": number}), 400)
    assert "页码" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", BIG + ["²"])
def test_big_proposal_id_filter(api, world, number):
    assert fields_of(api.get("tw_li", "/api/tasks", query_string={"proposal_id": number}), 400) == ["proposal_id"]


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_big_ids_in_json_bodies(api, world, form_data, number):
    assert fields_of(api.post("tw_li", "/api/notifications/read", {"ids": [number]}), 400) == ["ids/0"]
    consultation = world["tasks"]["consultation"]
    response = api.post("fgw_clerk", f"/api/tasks/{consultation}/complete",
                        {"data": {**form_data["consultation"], "attachments": [number]}})
    assert fields_of(response, 422) == ["attachments/0"]


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_big_case_ids_in_a_migration(app, api, number):
    from engine.adapters.db import UnitOfWork
    from engine.services.directory import add_user
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        add_user(uow.session, "designer", "设计员", PASSWORD, ["designer"])
        uow.commit()
    assert fields_of(api.post("designer", "/api/migrations", {"case_ids": [number]}), 400) == ["case_ids/0"]


def test_a_page_form_version_in_unicode_digits(app, world, form_data):
    b = page_browser(app, "tw_li")
    b.get(f"/tasks/{world['tasks']['review']}")
    response = b.post(f"/tasks/{world['tasks']['review']}", {"review_decision": "file", "category": "urban",
                                                              "version": "²"})
    status_of(response, 302, 400, 409, 422)


# -- NUL characters (item 6): PostgreSQL refuses them, SQLite would store them

NUL = "停车\x00管理"


def test_nul_in_a_json_body_names_the_field(api):
    assert fields_of(api.post("wy_chen", "/api/proposals", {**SUBMISSION, "title": NUL}), 400) == ["title"]
    assert len(fields_of(api.post("wy_chen", "/api/proposals", {**SUBMISSION, NUL: "x"}), 400)) == 1  # a key
    assert api.get("tw_li", "/api/proposals").get_json()["total"] == 0  # nothing stored


def test_nul_in_nested_json(api, world, form_data):
    review = world["tasks"]["review"]
    response = api.post("tw_li", f"/api/tasks/{review}/complete",
                        {"data": {**form_data["review"], "review_reason": NUL}})
    assert fields_of(response, 400) == ["data/review_reason"]
    response = api.post("wy_chen", "/api/proposals", {**SUBMISSION, "cosigners": ["wy_lin", NUL]})
    assert fields_of(response, 400) == ["cosigners/1"]


@pytest.mark.parametrize("body, field", [({"username": NUL, "password": "x"}, "username"),
                                         ({"username": "wy_chen", "password": NUL}, "password")])
def test_nul_in_login(api, body, field):
    assert fields_of(api.client.post("/api/auth/login", json=body), 400) == [field]


@pytest.mark.parametrize("path, key", [("/api/proposals", "q"), ("/api/proposals", "status"),
                                       ("/api/proposals", "unit"), ("/api/tasks", "name"),
                                       ("/api/tasks", "stage"), ("/api/reports/overdue", "from"),
                                       ("/api/notifications", "unread"), ("/api/proposals", "page")])
def test_nul_in_a_query_parameter(api, world, path, key):
    assert fields_of(api.get("tw_li", path, query_string={key: NUL}), 400) == [key]


@pytest.mark.parametrize("path", ["/api/tasks/{}", "/api/tasks/{}/complete", "/api/definitions/{}"])
def test_nul_in_a_path_parameter(app, api, world, path):
    url = path.format("ab%00cd")
    response = api.post("tw_li", url, {"data": {}}) if url.endswith("complete") else api.get("tw_li", url)
    status_of(response, 400, 403, 404)


def test_nul_in_a_task_id_of_an_upload(api, world):
    response = api.client.post(f"/api/proposals/{world['p3']}/attachments", headers=api.headers("tw_li"),
                               data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf"), "task_id": NUL},
                               content_type="multipart/form-data")
    assert fields_of(response, 400) == ["task_id"]


def test_nul_in_an_upload_file_name_is_cleaned(api, world):
    response = api.client.post(f"/api/proposals/{world['p3']}/attachments", headers=api.headers("tw_li"),
                               data={"file": (io.BytesIO(b"%PDF-1.4 x"), "答\x00复.pdf")},
                               content_type="multipart/form-data")
    status_of(response, 201, 400)
    if response.status_code == 201:
        assert "\x00" not in response.get_json()["filename"]


def test_nul_in_page_forms(app, world):
    b = Browser(app.test_client())
    b.get("/login")
    response = status_of(b.post("/login", {"username": NUL, "password": "x"}), 400)
    assert "username" in response.get_data(as_text=True) or "用户名" in response.get_data(as_text=True)
    b = page_browser(app, "wy_chen")
    b.get("/proposals/new")
    response = b.post("/proposals/new", {**SUBMISSION, "title": NUL})
    status_of(response, 400, 422)
    assert "案由" in response.get_data(as_text=True) or "title" in response.get_data(as_text=True)
    status_of(b.get("/proposals", query_string={"q": NUL}), 400)
    status_of(b.get("/tasks", query_string={"name": NUL}), 400)
    status_of(b.get("/tasks/ab%00cd"), 400, 404)
    lin = page_browser(app, "tw_li")
    lin.get(f"/tasks/{world['tasks']['review']}")
    response = lin.post(f"/tasks/{world['tasks']['review']}",
                        {"review_decision": "not_file", "category": "urban", "review_reason": NUL})
    status_of(response, 400, 422)
    status_of(lin.get("/reports/overdue", query_string={"from": NUL}), 400)


# -- deep and big JSON (item 12)

@pytest.mark.parametrize("depth", [5000, 100000])
def test_deeply_nested_json(api, world, depth):
    for body in ("[" * depth + "]" * depth, '{"data":' + '{"a":' * depth + "1" + "}" * depth + "}"):
        response = api.client.post(f"/api/tasks/{world['tasks']['review']}/complete", data=body,
                                   content_type="application/json", headers=api.headers("tw_li"))
        status_of(response, 400)
        assert "层" in response.get_json()["error"]["message"]


def test_json_constants_that_are_not_numbers(api):
    for text in ("NaN", "Infinity", "-Infinity", "1e999"):
        response = api.client.post("/api/supervision/samples", data=f'{{"rate_percent": {text}}}',
                                   content_type="application/json", headers=api.headers("tw_li"))
        status_of(response, 400)


def test_a_hundred_thousand_attachment_ids(api, world, form_data):
    consultation = world["tasks"]["consultation"]
    response = api.post("fgw_clerk", f"/api/tasks/{consultation}/complete",
                        {"data": {**form_data["consultation"], "attachments": list(range(1, 100001))}})
    assert fields_of(response, 422) == ["attachments"]


def test_field_errors_are_capped(api):
    response = api.post("wy_chen", "/api/proposals", {**SUBMISSION, "cosigners": list(range(10000))})
    error = response.get_json()["error"]
    assert response.status_code == 422 and len(error["errors"]) == 51, len(error["errors"])
    assert len(response.get_data()) < 20000
    assert "还有 9951 处" in error["errors"][-1]["message"], error["errors"][-1]


def test_long_unit_lists_are_capped(api, world):
    review = world["tasks"]["review"]
    api.post("tw_li", f"/api/tasks/{review}/complete", {"data": {"review_decision": "file", "category": "urban"}})
    assign = api.task_id("tw_li", "assign", world["p3"])
    response = api.post("tw_li", f"/api/tasks/{assign}/complete", {"data": {
        "assign_mode": "joint", "lead_unit_ids": ["fgw"], "assisting_unit_ids": [f"u{n}" for n in range(10000)],
        "is_key": False}})
    error = response.get_json()["error"]
    assert response.status_code == 422 and len(error["errors"]) <= 51, len(error["errors"])


def test_every_form_array_has_max_items(runtime):
    def arrays(node, path):
        if isinstance(node, dict):
            if node.get("type") == "array":
                yield path, node
            for key, value in node.items():
                yield from arrays(value, f"{path}/{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                yield from arrays(value, f"{path}/{n}")

    found = [(name, path, node) for name, schema in runtime.forms.schemas.items() for path, node in arrays(schema, "")]
    assert found
    missing = [(name, path) for name, path, node in found if not isinstance(node.get("maxItems"), int)]
    assert not missing


def test_json_bodies_are_bounded(api):
    body = json.dumps({**SUBMISSION, "body": "长" * (3 * 1024 * 1024)})
    response = api.client.post("/api/proposals", data=body, content_type="application/json",
                               headers=api.headers("wy_chen"))
    status_of(response, 413)
    assert response.get_json()["error"]["status"] == 413


def test_query_parameters_named_like_url_for_arguments(app, api, world):
    """The pager keeps the query: a parameter named `endpoint` or `_external` must not reach url_for."""
    for n in range(21):
        api.submit("wy_wu", title=f"关于第{n}个问题的建议")
    b = page_browser(app, "tw_li")
    response = status_of(b.get("/tasks", query_string={"endpoint": "x", "_external": "1", "_scheme": "javascript"}), 200)
    text = response.get_data(as_text=True)
    assert "下一页" in text and "javascript:" not in text
    assert 'href="/tasks?endpoint=x&amp;_external=1&amp;_scheme=javascript&amp;page=2"' in text


@pytest.mark.parametrize("query, field", [({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
                                          ({"from": "9999-12-30", "to": "9999-12-31"}, "from"),
                                          ({"to": "9999-12-31"}, "to")])
def test_report_dates_at_the_ends_of_the_calendar(app, api, query, field):
    assert field in fields_of(api.get("tw_li", "/api/reports/overdue", query_string=query), 400)
    status_of(page_browser(app, "tw_li").get("/reports/overdue", query_string=query), 200, 400, 422)
