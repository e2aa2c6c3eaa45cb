"""The plenary rush through the API: batch review and assignment with a refused row,
similar proposals flagged and merged with a real link, the submission lookup, the
Excel export and import, and what the proposer and co-signers are told."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.model.tables import User
from engine.tooling.plenary_data import form_data, session_proposals

TW = "tw_li"


def submit_many(api, n, pairs=0, cosigners=()):
    items = session_proposals(n, pairs=pairs, seed=5)
    ids = [api.submit("wy_chen", **form_data(item), cosigners=list(cosigners)) for item in items]
    return items, ids


def batch(api, **query):
    response = api.get(TW, "/api/plenary", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_page_is_filed_and_assigned_in_one_submit_and_a_refused_row_leaves_the_others_applied(api):
    _, ids = submit_many(api, 6)
    listing = batch(api, step="review")
    assert listing["counts"] == {"review": 6, "assign": 0} and len(listing["items"]) == 6
    rows = [{"task_id": item["task_id"], "version": item["version"], "decision": "file", "category": item["category"],
             "lead_unit_ids": ["jtw"], "is_key": False} for item in listing["items"]]
    rows[2]["is_key"] = True  # a key proposal without its supervising leader: refused
    rows[3]["decision"] = "not_file"
    rows[3]["reason"] = "不属于本级职权范围"
    rows[3].pop("lead_unit_ids")

    result = api.post(TW, "/api/plenary", {"rows": rows}).get_json()

    assert (result["applied"], result["refused"]) == (5, 1)
    refused = result["rows"][2]
    assert not refused["ok"] and refused["message"].startswith("交办")
    assert any("督办领导" in e["message"] for e in refused["errors"])
    # the refused row is neither filed nor assigned: its review waits as before
    again = batch(api)
    assert [i["proposal_id"] for i in again["items"]] == [listing["items"][2]["proposal_id"]]
    assert again["items"][0]["step"] == "review"
    filed = api.get(TW, f"/api/proposals/{listing['items'][0]['proposal_id']}").get_json()
    assert filed["number"] and filed["status"] == "accepting" and filed["lead_unit"] == "jtw"
    kinds = [e["task_name"] for e in filed["timeline"] if e["kind"] == "task_completed"]
    assert kinds == ["review", "assign"]  # each step in the proposal's own record
    assert api.get(TW, f"/api/proposals/{listing['items'][3]['proposal_id']}").get_json()["status"] == "not_filed"


def test_a_duplicate_made_on_purpose_is_flagged_and_merging_links_both_proposals(api):
    items, ids = submit_many(api, 8, pairs=1)
    twin = items[-1]
    base_id, twin_id = ids[twin["twin_of"]], ids[-1]
    listing = batch(api)
    row = next(i for i in listing["items"] if i["proposal_id"] == twin_id)
    assert [d["id"] for d in row["duplicates"]] == [base_id]
    others = [d for i in listing["items"] if i["proposal_id"] not in (base_id, twin_id) for d in i["duplicates"]]
    assert others == []  # no flag between proposals that were not made alike

    result = api.post(TW, "/api/plenary", {"rows": [
        {"task_id": row["task_id"], "decision": "merge", "merge_into_id": base_id}]}).get_json()

    assert result["applied"] == 1
    merged = api.get(TW, f"/api/proposals/{twin_id}").get_json()
    assert merged["status"] == "merged"
    assert api.get(TW, f"/api/proposals/{twin_id}/related").get_json()["merged_into"]["id"] == base_id
    assert [p["id"] for p in api.get(TW, f"/api/proposals/{base_id}/related").get_json()["merged_here"]] == [twin_id]


def test_merging_into_a_proposal_that_does_not_exist_is_refused(api):
    submit_many(api, 1)
    row = batch(api)["items"][0]
    result = api.post(TW, "/api/plenary", {"rows": [
        {"task_id": row["task_id"], "decision": "merge", "merge_into_id": 9999}]}).get_json()
    assert result["refused"] == 1 and "找不到该提案" in result["rows"][0]["errors"][0]["message"]


def test_the_title_lookup_finds_earlier_alike_proposals(api):
    items, ids = submit_many(api, 5)
    found = api.get("wy_wu", "/api/proposals/similar", query_string={"title": items[0]["title"]}).get_json()["items"]
    assert found[0]["id"] == ids[0] and found[0]["visible"] is False  # another member's: title only
    assert "body" not in found[0]
    assert api.get("wy_wu", "/api/proposals/similar", query_string={"title": "无关"}).get_json() == {"items": []}


def test_the_batch_is_the_committees(api):
    assert api.get("wy_chen", "/api/plenary").status_code == 403
    row = {"task_id": "00000000-0000-4000-8000-000000000000", "decision": ""}  # well formed: refused for who asks
    assert api.post("fgw_clerk", "/api/plenary", {"rows": [row]}).status_code == 403


def test_a_search_is_exported_to_excel(api):
    _, ids = submit_many(api, 3, cosigners=["wy_lin"])
    response = api.get(TW, "/api/proposals", query_string={"format": "xlsx", "category": "urban"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["案号", "案由", "提案者", "联名人", "类别", "届次"] and "满意度" in header
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    urban = [i for i in session_proposals(3, seed=5) if i["category"] == "urban"]
    assert len(rows) == len(urban) and all(r[2] == "陈委员" and r[3] == "林委员" for r in rows)


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "提案"
    sheet.append(["案由", "类别", "提案者", "联名人", "情况和分析", "具体建议", "来源"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = ["关于加强社区养老服务的建议", "城建", "陈委员", "林委员", "社区养老服务站点分布不均，部分站点运营困难。", "推广嵌入式养老", "大会提案"]


def upload(api, content, dry_run=False):
    return api.client.post("/api/proposals/import" + ("?dry_run=1" if dry_run else ""), headers=api.headers(TW),
                           data={"file": (io.BytesIO(content), "提案.xlsx")}, content_type="multipart/form-data")


def test_an_import_with_a_bad_row_writes_nothing_and_names_row_and_column(api):
    bad = ["关于", "不存在的类别", "无名氏", "", "太短", "", ""]
    response = upload(api, workbook([GOOD, bad]))
    assert response.status_code == 422
    messages = [e["message"] for e in response.get_json()["errors"]]
    assert any(m.startswith("第 3 行 B 列（类别）") for m in messages)
    assert any(m.startswith("第 3 行 C 列（提案者）") and "无名氏" in m for m in messages)
    assert api.get(TW, "/api/proposals").get_json()["total"] == 0


def test_an_import_dry_run_checks_and_a_real_one_starts_the_cases_at_review(api):
    checked = upload(api, workbook([GOOD]), dry_run=True).get_json()
    assert checked["errors"] == [] and checked["written"] == 0
    assert checked["rows"][0]["proposer"] == "wy_chen" and checked["rows"][0]["cosigners"] == ["林委员"]
    assert api.get(TW, "/api/proposals").get_json()["total"] == 0
    done = upload(api, workbook([GOOD, GOOD[:3] + ["", GOOD[4], GOOD[5], ""]]))
    assert done.status_code == 201 and done.get_json()["written"] == 2
    assert batch(api)["counts"]["review"] == 2  # the co-signer's paper signature counts
    template = api.get(TW, "/api/proposals/import-template")
    assert load_workbook(io.BytesIO(template.data)).sheetnames == ["提案", "填写说明"]


def messages(api, username):
    return api.get(username, "/api/notifications").get_json()["items"]


def test_the_proposer_and_co_signers_are_told_of_filing_and_assignment(api):
    pid = api.submit("wy_chen", cosigners=["wy_lin"])
    api.do("wy_lin", "cosigner_confirm", pid, {"agree": True})
    row = batch(api)["items"][0]
    api.post(TW, "/api/plenary", {"rows": [{"task_id": row["task_id"], "decision": "file",
                                            "lead_unit_ids": ["fgw"], "assisting_unit_ids": ["jw"]}]})
    number = api.get(TW, f"/api/proposals/{pid}").get_json()["number"]
    for person in ("wy_chen", "wy_lin"):
        told = {m["kind"]: m for m in messages(api, person)}
        assert told["filed"]["title"] == f"您的提案已立案，案号 {number}"
        assert "区发展和改革委员会" in told["assigned_units"]["body"] and "区经济委员会" in told["assigned_units"]["body"]
    assert messages(api, "wy_wu") == []


def test_a_proposer_is_told_why_a_proposal_was_not_filed(api):
    pid = api.submit("wy_chen")
    api.do(TW, "review", pid, {"review_decision": "not_file", "category": "urban", "review_reason": "属于信访事项"})
    told = {m["kind"]: m for m in messages(api, "wy_chen")}
    assert told["not_filed"]["body"].endswith("理由：属于信访事项")


def test_the_command_line_import_checks_then_imports(app, api, tmp_path, capsys):
    from api.cli import main
    url = app.extensions["cppcc"]["settings"].database_url
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    bad.write_bytes(workbook([GOOD, ["关于", "城建", "陈委员", "", "太短", "", ""]]))
    good.write_bytes(workbook([GOOD]))
    assert main(["--database-url", url, "import-proposals", str(bad)]) == 1
    assert "第 3 行 A 列（案由）" in capsys.readouterr().err
    assert main(["--database-url", url, "import-proposals", str(good), "--dry-run"]) == 0
    assert api.get(TW, "/api/proposals").get_json()["total"] == 0
    assert main(["--database-url", url, "import-proposals", str(good), "--by", TW]) == 0
    assert "已导入 1 件提案" in capsys.readouterr().out
    assert batch(api)["counts"]["review"] == 1


def _record(api, pid):
    """The proposal's event record as a handler reads it (kind, title), in order."""
    return [(e["kind"], e["title"]) for e in api.get(TW, f"/api/proposals/{pid}").get_json()["timeline"]]


def test_a_batch_row_is_recorded_as_the_two_tasks_done_one_by_one_without_telling_anyone_of_the_passing_task(api):
    _, (by_hand, in_batch) = submit_many(api, 2)
    api.do(TW, "review", by_hand, {"review_decision": "file", "category": "urban"})
    api.do(TW, "assign", by_hand, {"assign_mode": "single", "lead_unit_ids": ["jtw"], "assisting_unit_ids": [],
                                   "is_key": False})
    row = batch(api)["items"][0]
    assert row["proposal_id"] == in_batch
    result = api.post(TW, "/api/plenary", {"rows": [{"task_id": row["task_id"], "version": row["version"],
                                                     "decision": "file", "category": "urban",
                                                     "lead_unit_ids": ["jtw"]}]}).get_json()
    assert result["applied"] == 1 and result["rows"][0]["status"] == "accepting"

    # one case step, yet each task its own event and the stage it passed through (交办) in the record
    assert _record(api, in_batch) == _record(api, by_hand)
    assert ("status_changed", "进入“待交办”") in _record(api, in_batch)
    # the assignment task was done at once: nobody was told of it as a new task
    told = [(m["title"], m["proposal_id"]) for m in messages(api, TW)]
    assert ("新的待办：交办", by_hand) in told and ("新的待办：交办", in_batch) not in told


def test_a_refused_row_in_the_middle_of_a_transaction_is_undone_whole_even_its_number(api, monkeypatch):
    from engine.services import plenary
    monkeypatch.setattr(plenary, "CHUNK_ROWS", 3)  # rows 1-3 and 4-5 in two transactions
    _, ids = submit_many(api, 5)
    listing = batch(api, step="review")
    rows = [{"task_id": item["task_id"], "decision": "file", "lead_unit_ids": ["jtw"]} for item in listing["items"]]
    rows[1]["is_key"] = True  # filed (a number taken), then its assignment refused: no supervising leader

    result = api.post(TW, "/api/plenary", {"rows": rows}).get_json()

    assert [r["ok"] for r in result["rows"]] == [True, False, True, True, True]
    numbers = [r["number"] for r in result["rows"] if r["ok"]]
    serials = [int("".join(ch for ch in n if ch.isdigit())[-3:]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 4))  # no number lost to the refused row
    refused = api.get(TW, f"/api/proposals/{listing['items'][1]['proposal_id']}").get_json()
    assert refused["status"] == "review" and refused["number"] is None
    assert [k for k, _ in _record(api, refused["id"])].count("task_completed") == 0


def test_a_fault_in_a_row_leaves_the_rows_before_it_in_the_same_transaction_unwritten(app, api, monkeypatch):
    from engine.services import plenary
    submit_many(api, 3)
    listing = batch(api, step="review")
    rows = [{"task_id": item["task_id"], "decision": "file", "lead_unit_ids": ["jtw"]} for item in listing["items"]]
    real = plenary._apply

    def third_fails(uow, rt, user, row, result):
        if row is rows[2]:
            raise RuntimeError("断电")
        return real(uow, rt, user, row, result)

    monkeypatch.setattr(plenary, "_apply", third_fails)
    services = app.extensions["cppcc"]
    with UnitOfWork(services["db"]) as uow:
        clerk = uow.session.scalar(select(User).where(User.username == TW))
    with pytest.raises(RuntimeError):
        plenary.apply_page(services["db"], services["runtime"], clerk, rows)
    # the first rows' savepoints were released, not committed: nothing of the chunk was written
    assert batch(api, step="review")["counts"] == {"review": 3, "assign": 0}
