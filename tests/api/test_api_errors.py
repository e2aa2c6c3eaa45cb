"""Every error is JSON with a status and a Chinese message; and the OpenAPI
document describes exactly the routes the app has."""
import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from api.http.openapi import document

CJK = re.compile(r"[\u4e00-\u9fff]")


def error_of(response, status: int) -> dict:
    """The `error` object of a JSON error response, after checking its shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == status and CJK.search(error["message"]), error
    return error


# 400

def test_body_that_is_not_json(api):
    response = api.client.post("/api/proposals", data="{title: 1", content_type="application/json",
                               headers=api.headers("wy_chen"))
    assert error_of(response, 400)["message"] == "请求体不是有效的 JSON"


def test_body_that_is_not_an_object(api):
    error_of(api.post("wy_chen", "/api/proposals", ["title"]), 400)


@pytest.mark.parametrize("body, field", [({}, "data"), ({"data": ["x"]}, "data"),
                                         ({"data": {}, "version": "3"}, "version")])
def test_complete_without_form_data(api, world, body, field):
    response = api.post("tw_li", f"/api/tasks/{world['tasks']['review']}/complete", body)
    assert [e["field"] for e in error_of(response, 400)["errors"]] == [field]


@pytest.mark.parametrize("path", ["/api/proposals", "/api/tasks"])
@pytest.mark.parametrize("query, field", [({"page": "0"}, "page"), ({"page": "x"}, "page"),
                                          ({"per_page": "0"}, "per_page"), ({"per_page": "101"}, "per_page"),
                                          ({"per_page": "1.5"}, "per_page")])
def test_bad_paging(api, path, query, field):
    error = error_of(api.get("tw_li", path, query_string=query), 400)
    assert [e["field"] for e in error["errors"]] == [field]


def test_paging_limits(api, world):
    body = api.get("tw_li", "/api/proposals", query_string={"per_page": 2, "page": 2}).get_json()
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (3, 2, 2, 1)
    assert api.get("tw_li", "/api/proposals", query_string={"per_page": 100}).status_code == 200


def test_search_filters(api, world):
    def ids(**query):
        return {p["id"] for p in api.get("tw_li", "/api/proposals", query_string=query).get_json()["items"]}

    p1, p2, p3 = world["p1"], world["p2"], world["p3"]
    number = api.get("tw_li", f"/api/proposals/{p1}").get_json()["number"]
    assert ids(q=number) == {p1} and ids(q="养老") == {p2} and ids(q="100%") == set()
    assert ids(status="review") == {p3} and ids(status="cosigning") == {p2}
    assert ids(category="urban") == {p1, p2, p3} and ids(category="economy") == set()
    assert ids(is_key="false") == {p1, p2, p3} and ids(is_key="true") == set()
    assert ids(unit="jw") == {p1} and ids(unit="jtw") == set()


def test_bad_filter_values(api):
    error_of(api.get("tw_li", "/api/proposals", query_string={"is_key": "maybe"}), 400)
    error_of(api.get("tw_li", "/api/tasks", query_string={"proposal_id": "abc"}), 400)


# 401

@pytest.mark.parametrize("method, path", [("get", "/api/me"), ("get", "/api/proposals"), ("post", "/api/proposals"),
                                          ("get", "/api/proposals/1"), ("get", "/api/tasks"),
                                          ("get", "/api/tasks/x"), ("post", "/api/tasks/x/complete")])
def test_no_token(api, method, path):
    response = getattr(api.client, method)(path, json={})
    assert error_of(response, 401)["message"] == "请先登录"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic dXNlcjpwdw==", "Bearer "])
def test_invalid_token(api, authorization):
    error_of(api.client.get("/api/me", headers={"Authorization": authorization}), 401)


def test_token_signed_with_another_secret(api):
    forged = URLSafeTimedSerializer("guessed-secret", salt="cppcc-api-token").dumps({"uid": 1})
    error_of(api.client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_wrong_password(api):
    response = api.client.post("/api/auth/login", json={"username": "wy_chen", "password": "wrong"})
    assert error_of(response, 401)["message"] == "用户名或密码不正确"
    response = api.client.post("/api/auth/login", json={"username": "nobody", "password": "wrong"})
    error_of(response, 401)


def test_login_without_fields(api):
    error = error_of(api.client.post("/api/auth/login", json={"username": "wy_chen"}), 400)
    assert [e["field"] for e in error["errors"]] == ["password"]


def test_login_and_me(api, people):
    response = api.client.post("/api/auth/login", json={"username": "fgw_clerk", "password": "pw-测试"})
    assert response.status_code == 200
    assert response.get_json()["user"] == {"username": "fgw_clerk", "name": people["fgw_clerk"][0],
                                           "unit_id": "fgw", "unit_name": "区发展和改革委员会",
                                           "roles": ["unit_clerk"]}
    assert api.get("fgw_clerk", "/api/me").get_json() == response.get_json()["user"]
    assert "区发展和改革委员会" in api.get("fgw_clerk", "/api/me").get_data(as_text=True)  # not \u-escaped


# 403

def test_task_of_another_role_is_not_found(api, world):
    for method in ("get", "post"):
        path = f"/api/tasks/{world['tasks']['review']}" + ("/complete" if method == "post" else "")
        response = getattr(api, method)("fgw_clerk", path, *([{"data": {}}] if method == "post" else []))
        error_of(response, 404)  # the same answer as for a task that does not exist


def test_only_proposers_submit(api):
    body = {"title": "关于加强停车管理的建议", "category": "urban", "body": "停车难问题日益突出，需要综合治理。",
            "suggestions": "建设立体停车库"}
    error_of(api.post("tw_li", "/api/proposals", body), 403)
    assert api.post("wy_chen", "/api/proposals", body).status_code == 201


# 404

def test_unknown_proposal_and_task(api):
    error_of(api.get("tw_li", "/api/proposals/424242"), 404)
    error_of(api.get("tw_li", "/api/tasks/00000000-0000-0000-0000-000000000000"), 404)
    error_of(api.post("tw_li", "/api/tasks/not-a-uuid/complete", {"data": {}}), 404)


def test_proposal_not_visible_looks_unknown(api, world):
    hidden = api.get("jtw_clerk", f"/api/proposals/{world['p1']}")
    unknown = api.get("jtw_clerk", "/api/proposals/424242")
    assert error_of(hidden, 404) == error_of(unknown, 404)


@pytest.mark.parametrize("path", ["/api/nope", "/api/proposals/abc"])
def test_unknown_route(api, path):
    error_of(api.client.get(path), 404)


def test_unknown_page_is_an_html_page(api):
    response = api.client.get("/nope")
    assert response.status_code == 404 and response.mimetype == "text/html"


# 405

def test_wrong_method(api):
    response = api.client.delete("/api/proposals")
    error_of(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


# 409

def test_completing_a_task_twice(api, world, form_data):
    task_id = world["tasks"]["review"]
    assert api.post("tw_li", f"/api/tasks/{task_id}/complete", {"data": form_data["review"]}).status_code == 200
    error = error_of(api.post("tw_li", f"/api/tasks/{task_id}/complete", {"data": form_data["review"]}), 409)
    assert error["completed_by"] == "提案委李"
    error_of(api.get("tw_li", f"/api/tasks/{task_id}"), 409)


def test_stale_version(api, world, form_data):
    consultation, opinion = world["tasks"]["consultation"], world["tasks"]["assist_opinion"]
    version = api.get("fgw_clerk", f"/api/tasks/{consultation}").get_json()["case_version"]
    # someone else moves the same case on
    assert api.post("jw_clerk", f"/api/tasks/{opinion}/complete",
                    {"data": form_data["assist_opinion"], "version": version}).status_code == 200
    response = api.post("fgw_clerk", f"/api/tasks/{consultation}/complete",
                        {"data": form_data["consultation"], "version": version})
    assert error_of(response, 409)["current_version"] > version
    assert consultation in {t["id"] for t in api.my_tasks("fgw_clerk")}  # nothing was done


# 422

def test_form_field_errors(api, world):
    task_id = world["tasks"]["review"]
    response = api.post("tw_li", f"/api/tasks/{task_id}/complete", {"data": {"category": "urban"}})
    errors = error_of(response, 422)["errors"]
    assert [e["field"] for e in errors] == ["review_decision"]
    assert CJK.search(errors[0]["message"])
    response = api.post("tw_li", f"/api/tasks/{task_id}/complete",
                        {"data": {"review_decision": "not_file", "category": "urban"}})
    assert [e["field"] for e in error_of(response, 422)["errors"]] == ["review_reason"]


def test_submission_field_errors(api):
    response = api.post("wy_chen", "/api/proposals", {"title": "短", "category": "nope", "body": "正文太短",
                                                      "suggestions": "建议", "cosigners": ["nobody"]})
    assert {e["field"] for e in error_of(response, 422)["errors"]} == {"title", "category", "body"}


# 500

def test_unexpected_error_is_generic_json(app, caplog):
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/boom", "boom", boom)
    response = app.test_client().get("/api/boom")
    error = error_of(response, 500)
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert error == {"status": 500, "message": error["message"]}
    assert "secret internals" in caplog.text  # logged for the operators


# OpenAPI

def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_openapi_describes_every_route(app, api):
    served = api.client.get("/api/openapi.json")
    assert served.status_code == 200
    doc = served.get_json()
    assert doc == document() and doc["openapi"].startswith("3.1")
    routes = {(_openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routes == described


def test_openapi_operations_are_complete(api):
    doc = api.client.get("/api/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == set(re.findall(r"{(\w+)}", path)), (path, method)
            assert any(code.startswith("2") for code in op["responses"]), (path, method)
            if op.get("security") != []:  # every authenticated operation documents 401
                assert "401" in op["responses"], (path, method)
            if method == "post" and path != "/api/openapi.json":
                assert "requestBody" in op, (path, method)
    bearer = doc["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer") and doc["security"] == [{"bearer": []}]


def test_openapi_refs_resolve(api):
    doc = api.client.get("/api/openapi.json").get_json()

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in set(refs(doc)):
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref
