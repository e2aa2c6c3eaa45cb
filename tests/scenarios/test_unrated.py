"""A reply the member never rates does not keep the proposal open for ever: once the
rating window (deadline rule feedback, with its reminder and overdue notice) and then the
region's feedback_close rule have passed, the committee closes the rating as 未评价 or
asks again (settings.close_unrated_after_window; processes/handling.bpmn). A proposal
closed so is counted as 未评价: a code of its own, searchable, labelled in the dossier.

Runs under both regions, on the engine's movable clock, with the timer worker.
"""
from datetime import datetime, timedelta

import pytest
from test_lifecycle import COMMITTEE, draft_and_head, file_and_assign, handle, supervise
from test_ratings import dossier

from engine.model import clock
from engine.services import timers
from engine.tooling.demo import RATE_OK


@pytest.fixture
def moving():
    moving = clock.MovableClock(clock.now())
    clock.use(moving)
    yield moving
    clock.use(clock.SystemClock())


def replied(api, cosigners=()):
    f = api.facts
    pid = api.submit("wy_chen", cosigners=list(cosigners))
    for c in cosigners:
        api.do(c, "cosigner_confirm", pid, {"agree": True})
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.plain)
    supervise(api, pid, f.plain)
    return pid


def past_the_window(app, api, moving, pid):
    """Move the clock past the rating deadline and then past feedback_close; run the worker."""
    rt = app.extensions["cppcc"]["runtime"]
    task = api.tasks("wy_chen", pid, "rate_reply")[0]

    rating_due = datetime.fromisoformat(task["due_at"])
    moving.set(rating_due + timedelta(seconds=5))
    assert timers.run_once(app.extensions["cppcc"]["db"], rt)["failed"] == 0
    closing = rt.deadlines.due("feedback_close", rating_due)
    moving.set(closing + timedelta(seconds=5))
    assert timers.run_once(app.extensions["cppcc"]["db"], rt)["failed"] == 0


def test_a_rating_never_given_is_closed_by_the_committee_as_unrated(app, api, moving, services):
    pid = replied(services)
    past_the_window(app, api, moving, pid)
    assert api.open(pid) == ["close_unrated"]
    assert api.tasks("wy_chen", pid) == []  # the window is over
    api.do(COMMITTEE, "close_unrated", pid, {"unrated_decision": "close", "unrated_note": "多次联系未予评价"})
    p = api.proposal(pid)
    unrated = api.runtime.region.unrated
    assert p["status"] == "closed" and p["satisfaction"] == unrated["code"] == "unrated"
    assert {u["unit_id"]: u["satisfaction"] for u in p["units"]} == {api.facts.lead: "unrated"}
    found = api.get(COMMITTEE, "/api/proposals", query_string={"satisfaction": "unrated"}).get_json()
    assert [x["id"] for x in found["items"]] == [pid]
    html = dossier(api, pid)
    assert unrated["label"] in html and "按未评价办结" in html
    search = api.client.get("/proposals?satisfaction=unrated").get_data(as_text=True)
    assert f'<option value="unrated" selected>{unrated["label"]}</option>' in search
    assert f"/ {unrated['label']}" in search
    # what the member sees: the closing step and the result, as every other public step
    timeline = api.proposal(pid, "wy_chen")["timeline"]
    assert "close_unrated" in [e["task_name"] for e in timeline]


def test_the_ratings_given_count_and_the_committee_may_ask_again(app, api, moving, services):
    f = api.facts
    pid = replied(services, cosigners=["wy_lin"])
    api.do("wy_lin", "rate_reply", pid, {**RATE_OK, "satisfaction": f.fair})
    past_the_window(app, api, moving, pid)
    assert api.open(pid) == ["close_unrated"]
    api.do(COMMITTEE, "close_unrated", pid, {"unrated_decision": "ask_again"})
    assert api.open(pid) == ["rate_reply"]  # the one who had not rated, with a new window
    again = api.tasks("wy_chen", pid, "rate_reply")[0]

    assert datetime.fromisoformat(again["due_at"]) > moving.now()
    assert api.tasks("wy_lin", pid) == []
    api.do("wy_chen", "rate_reply", pid, {**RATE_OK, "satisfaction": f.good})
    p = api.proposal(pid)
    counted = f.good if api.runtime.region.setting("rating_counts") == "proposer" else f.fair
    assert p["status"] == "closed" and p["satisfaction"] == counted
    assert sorted((r["rater"], r["satisfaction"]) for r in p["ratings"]) == sorted(
        [("wy_lin", f.fair), ("wy_chen", f.good)])


def test_a_region_that_does_not_close_unrated_ratings_keeps_asking(app, api, moving, monkeypatch, services):
    rt = app.extensions["cppcc"]["runtime"]
    monkeypatch.setitem(rt.region.raw["settings"], "close_unrated_after_window", False)
    pid = replied(services)
    past_the_window(app, api, moving, pid)
    assert api.open(pid) == ["rate_reply"]
