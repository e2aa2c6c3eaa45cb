"""The one API contract (api/http/contract.py): requests are refused from the document's own
schemas, in Chinese and naming the field; responses that differ from the document are caught."""
import re

import pytest

from api.http.contract import Contract
from api.http.openapi import document

CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(response, status=400):
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert CJK.search(error["message"]) and all(CJK.search(e["message"]) for e in error["errors"])
    assert not re.search(r"\b(is|not|of|valid|required|Additional)\b", response.get_data(as_text=True))
    return [e["field"] for e in error["errors"]]


def test_a_body_is_checked_against_the_documents_schema(api, world):
    task = world["tasks"]["review"]
    assert fields(api.post("tw_li", f"/api/tasks/{task}/complete", {"version": "3"})) == ["data", "version"]
    assert fields(api.post("tw_li", f"/api/tasks/{task}/complete", {"data": {}, "extra": 1})) == ["extra"]
    assert fields(api.post("tw_li", f"/api/tasks/{task}/assign", {"username": "  "})) == ["username"]
    assert fields(api.post("tw_li", "/api/supervision/samples", {"rate_percent": 0})) == ["rate_percent"]


def test_a_body_that_is_a_form_is_left_to_the_form(api):
    """A proposal is a form: its fields are answered by the form's validation (422, the form's titles)."""
    response = api.post("wy_chen", "/api/proposals", {"title": "短", "category": "urban", "body": "正文足够长的一段文字",
                                                      "suggestions": "建议"})
    assert fields(response, 422) == ["title"] and "案由" in response.get_json()["error"]["errors"][0]["message"]
    assert fields(api.post("wy_chen", "/api/proposals", [1])) == ["body"]


def test_query_parameters_are_checked_against_the_document(api):
    assert fields(api.get("tw_li", "/api/tasks", query_string={"proposal_id": "0"})) == ["proposal_id"]
    assert fields(api.get("tw_li", "/api/incidents", query_string={"resolved": "maybe"})) == ["resolved"]
    assert fields(api.get("tw_li", "/api/tasks", query_string={"sort": "x"})) == ["sort"]
    assert api.get("tw_li", "/api/incidents", query_string={"resolved": ""}).status_code == 200


def test_an_unauthenticated_bad_request_hears_401_first(api):
    assert api.client.post("/api/tasks/x/complete", json={"nope": 1}).status_code == 401
    assert api.client.get("/api/tasks", query_string={"page": "x"}).status_code == 401


def test_a_response_the_document_does_not_describe_is_caught(app, api, responses_keep_to_the_document):
    app.view_functions["auth.me"] = lambda: ({"username": 1}, 200)
    app.view_functions["tasks.my_tasks"] = lambda: ({"items": []}, 418)
    api.get("tw_li", "/api/me")
    api.get("tw_li", "/api/tasks")
    problems = list(responses_keep_to_the_document)
    responses_keep_to_the_document.clear()  # caught: this test's own responses are the wrong ones
    assert any("GET /api/me → 200" in p and "username" in p for p in problems), problems
    assert any("GET /api/tasks → 418" in p for p in problems), problems


@pytest.mark.parametrize("status, body, ok", [
    (200, {"username": "u", "name": "n", "unit_id": None, "unit_name": None, "roles": ["committee"]}, True),
    (200, {"username": "u", "name": "n", "unit_id": None, "unit_name": None, "roles": ["king"]}, False),
    (401, {"error": {"status": 401, "message": "请先登录"}}, True),
    (401, {"message": "请先登录"}, False),
    (418, None, False)])
def test_the_response_check(status, body, ok):
    contract = Contract(document())
    problems = contract.response_problems(contract.operations[("/api/me", "get")], status, "application/json", body)
    assert (problems == []) is ok, problems
