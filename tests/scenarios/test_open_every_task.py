"""Every kind of user task of every process (proposal, handling, extension) can be
opened, through the API (GET /api/tasks/<id>) and the task page (GET /tasks/<id>),
by the person whose task it is, under each example region.

Two proposals are walked through the branches that between them open every
user task the diagrams have; before and after each step, every open task of the
proposal is opened both ways and must answer 200 (and the dossier page too).
"""
from datetime import timedelta

from page_client import Browser
from sqlalchemy import select
from test_lifecycle import COMMITTEE, consult, draft_and_head, file_and_assign, supervise
from test_unrated import past_the_window, replied

from engine.adapters.db import UnitOfWork
from engine.model import clock
from engine.model.tables import OpenTask, User
from engine.rules import permissions
from engine.tooling.demo import ACCEPT, APPROVE, OPINION, plan, rating


class Opener:
    """Opens every open task of a proposal as a person who may do it, both ways."""

    def __init__(self, app, api):
        self.app, self.api = app, api
        self.database = app.extensions["cppcc"]["db"]
        self.browsers = {}
        self.opened = set()

    def _browser(self, username):
        if username not in self.browsers:
            self.browsers[username] = Browser(self.app.test_client()).login(username)
        return self.browsers[username]

    def open_all(self, proposal_id):
        with UnitOfWork(self.database) as uow:
            rows = uow.session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id)).all()
            users = uow.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
            todo = [(row.id, row.name, next(u.username for u in users if permissions.may_do(u, row)))
                    for row in rows]
        for task_id, name, username in todo:
            response = self.api.get(username, f"/api/tasks/{task_id}")
            assert response.status_code == 200, (name, username, response.get_json())
            assert response.get_json()["name"] == name
            page = self._browser(username).get(f"/tasks/{task_id}")
            if page.status_code == 302:  # the moved clock outlived the page session: log in again
                del self.browsers[username]
                page = self._browser(username).get(f"/tasks/{task_id}")
            assert page.status_code == 200, (name, username, page.status_code)
            assert 'name="csrf_token"' in page.get_data(as_text=True)  # the form is there
            self.opened.add(name)
        dossier = self._browser(COMMITTEE).get(f"/proposals/{proposal_id}")  # with its diagram marks
        if dossier.status_code == 302:
            del self.browsers[COMMITTEE]
            dossier = self._browser(COMMITTEE).get(f"/proposals/{proposal_id}")
        assert dossier.status_code == 200, dossier.status_code

    def wrap(self):
        """Make api.do open every open task of the proposal before and after each step."""
        original = self.api.do

        def do(username, name, proposal_id, data, expect=200):
            self.open_all(proposal_id)
            result = original(username, name, proposal_id, data, expect)
            self.open_all(proposal_id)
            return result

        self.api.do = do


def test_every_task_of_every_process_opens(app, api, moving):
    f = api.facts
    opener = Opener(app, api)
    opener.wrap()
    # 1: co-signed, returned and reassigned, deadline extended, rated badly until mediated
    pid = api.submit("wy_chen", cosigners=["wy_lin"])
    api.do("wy_lin", "cosigner_confirm", pid, {"agree": True})
    file_and_assign(api, pid, leads=(f.wrong_unit,))
    api.do(f"{f.wrong_unit}_clerk", "accept", pid, {"accept_decision": "return", "return_reason": "不属于本单位职责"})
    api.do(COMMITTEE, "reassign", pid, {"new_lead_unit": f.lead, "reassign_note": "改由交通部门办理"})
    api.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    api.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    api.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    consult(api, pid, f.lead)
    wanted = (clock.now() + timedelta(days=120)).astimezone(clock.CHINA).date().isoformat()
    asked = api.post(f"{f.lead}_clerk", f"/api/proposals/{pid}/extensions",
                     json={"requested_due": wanted, "reason": "需要跨部门协调资金安排"})
    assert asked.status_code == 201, asked.get_json()
    api.do(COMMITTEE, "committee_decide", pid, {"approved": True})
    api.do("zfb_wang", "gov_decide", pid, {"approved": True})
    for _ in range(f.rehandles + 1):
        draft_and_head(api, pid, f.lead, f.plain)
        supervise(api, pid, f.plain)
        api.do("wy_lin", "rate_reply", pid, rating(f.bad))  # the co-signer rates too
        api.do("wy_chen", "rate_reply", pid, rating(f.bad))
        if "second_handling" in api.open(pid):
            api.do(f"{f.lead}_clerk", "second_handling", pid, {"rehandle_analysis": "答复笼统", "rehandle_measures": "细化"})
    api.do(COMMITTEE, "mediate", pid, {"mediation_result": "经协调，提案者理解有关困难"})
    assert api.proposal(pid)["status"] == "closed"
    # 2: a key proposal in joint handling, followed up until closed
    leader = next(x["username"] for x in api.runtime.region.leaders if x["username"] != api.deputies[f.lead])
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "joint", (f.lead,), f.assists[:1], key=True, leader=leader)
    api.do(f"{f.lead}_clerk", "accept", pid, ACCEPT)
    api.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    api.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    api.do(f"{f.assists[0]}_clerk", "assist_opinion", pid, OPINION)
    consult(api, pid, f.lead)
    draft_and_head(api, pid, f.lead, f.follow, assists=f.assists[:1])
    for name in f.key_chain:
        api.do(leader if name == "deputy_approve" else "zfb_wang", name, pid, APPROVE)
    supervise(api, pid, f.follow)
    api.do("wy_chen", "rate_reply", pid, rating(f.good))
    api.do(f"{f.lead}_clerk", "followup_plan", pid, {"followup_plan": "分两期实施", "followup_responsible": "赵科长",
                                                     "followup_deadline": "2027-06-30"})
    api.do(f"{f.lead}_clerk", "progress_report", pid, {"report_date": "2027-06-01", "report_progress": "已完工",
                                                       "report_done": True})
    api.do(COMMITTEE, "close_confirm", pid, {"close_approved": True})
    assert api.proposal(pid)["status"] == "closed"
    # 3: a reply nobody rates, closed by the committee as 未评价 after the window
    pid = replied(api)
    past_the_window(app, api, moving, pid)
    opener.open_all(pid)
    api.do(COMMITTEE, "close_unrated", pid, {"unrated_decision": "close", "unrated_note": "多次联系未予评价"})
    assert api.proposal(pid)["status"] == "closed"
    # every user task of every diagram was open at least once (the region's approval chain
    # decides whether the government office reviews replies)
    every = set(api.runtime.current.user_tasks)
    unreachable = {"gov_review"} - set(f.key_chain)
    assert opener.opened == every - unreachable
