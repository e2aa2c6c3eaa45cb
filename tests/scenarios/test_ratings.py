"""Every rating counts (under each region's rule), and every unit's rating is kept.

Under 示范区's rule the proposer's rating is the proposal's, and a co-signer's 不满意
still sends the reply to a second handling (regions/default: processes/feedback_outcome.dmn);
under 滨海市's the worst rating counts (settings.rating_counts: worst). Each rater's
rating of the reply and of each assisting unit is stored per unit and round, shown in the
dossier, and the rating a unit gets under the region's rule is on its row.
"""
import re

from test_lifecycle import COMMITTEE, consult, draft_and_head, file_and_assign, supervise

from engine.tooling.demo import ACCEPT, APPROVE, OPINION, RATE_OK, plan


def rating(code, assists=None):
    return {**RATE_OK, "satisfaction": code, "assist_ratings": dict(assists or {})}


def counted(api, proposer, others):
    """The rating the region counts: the proposer's, or the worst of all."""
    if api.runtime.region.setting("rating_counts") == "proposer":
        return proposer
    scale = api.runtime.region.codes("satisfaction_scale")
    return max([proposer, *others], key=scale.index)


def replied(api, cosigners=("wy_lin",), assists=()):
    f = api.facts
    pid = api.submit("wy_chen", cosigners=list(cosigners))
    for c in cosigners:
        api.do(c, "cosigner_confirm", pid, {"agree": True})
    file_and_assign(api, pid, "joint" if assists else "single", (f.lead,), assists)
    api.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    api.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    api.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    consult(api, pid, f.lead)
    for unit in assists:
        api.do(f"{unit}_clerk", "assist_opinion", pid, OPINION)
    draft_and_head(api, pid, f.lead, f.plain, assists)
    supervise(api, pid, f.plain)
    return pid


def test_a_cosigners_unsatisfied_rating_is_not_dropped(api, services):
    f = api.facts
    pid = replied(services)
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    api.do("wy_lin", "rate_reply", pid, rating(f.bad))
    p = api.proposal(pid)
    assert api.open(pid) == ["second_handling"], "a co-signer's 不满意 leads to a second handling"
    assert p["satisfaction"] == counted(api, f.good, [f.bad])
    assert p["status"] == "rehandling"


def test_accepted_ratings_of_every_rater_make_the_counted_one(api, services):
    f = api.facts
    pid = replied(services)
    api.do("wy_lin", "rate_reply", pid, rating(f.fair))
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["satisfaction"] == counted(api, f.good, [f.fair])
    lead = next(u for u in p["units"] if u["role"] == "lead")
    assert lead["satisfaction"] == p["satisfaction"]


def test_each_raters_rating_of_each_assisting_unit_is_stored_per_unit(api, services):
    f = api.facts
    first, second = f.assists
    pid = replied(services, assists=f.assists)
    api.do("wy_chen", "rate_reply", pid, rating(f.good, {first: f.good, second: f.fair}))
    api.do("wy_lin", "rate_reply", pid, rating(f.good, {first: f.fair, second: f.fair}))
    p = api.proposal(pid)
    rows = sorted((r["unit_id"], r["rater"], r["satisfaction"], r["round"]) for r in p["ratings"])
    assert rows == sorted([(f.lead, "wy_chen", f.good, 1), (first, "wy_chen", f.good, 1),
                           (second, "wy_chen", f.fair, 1), (f.lead, "wy_lin", f.good, 1),
                           (first, "wy_lin", f.fair, 1), (second, "wy_lin", f.fair, 1)])
    units = {u["unit_id"]: u["satisfaction"] for u in p["units"]}
    assert units == {f.lead: f.good, first: counted(api, f.good, [f.fair]), second: f.fair}
    # the dossier shows each unit's ratings, rater by rater
    html = dossier(api, pid)
    labels = api.runtime.region.labels("satisfaction_scale")
    unit_names = {u["id"]: u["name"] for u in api.runtime.region.units}
    section = html[html.index("各评价人的评价"):]
    for unit in (first, second):
        assert unit_names[unit] in section
    assert labels[f.fair] in section and "林晓梅" in section


def dossier(api, pid) -> str:
    """The dossier page as the committee sees it (logged in through the login form)."""
    client = api.client
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": COMMITTEE, "password": "demo123", "csrf_token": token})
    response = client.get(f"/proposals/{pid}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_second_handling_is_due_by_the_regions_own_rule(api, services):
    """二次办理 is due by the region's second_reply rule from the decision (3 months in 示范区,
    2 in 滨海市), and so is every step of the second reply."""
    from datetime import datetime
    f = api.facts
    pid = replied(services, cosigners=())
    api.do("wy_chen", "rate_reply", pid, rating(f.bad))
    task = api.tasks(f"{f.lead}_clerk", pid, "second_handling")[0]
    decided = datetime.fromisoformat(task["created_at"])
    expected = api.runtime.deadlines.due("second_reply", decided)
    assert datetime.fromisoformat(task["due_at"]) == expected
    api.do(f"{f.lead}_clerk", "second_handling", pid, {"rehandle_analysis": "x", "rehandle_measures": "y"})
    draft = api.tasks(f"{f.lead}_clerk", pid, "reply_draft")[0]
    assert datetime.fromisoformat(draft["due_at"]) == expected
