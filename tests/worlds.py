"""The worlds tests start from, built through the service layer (engine/services), not HTTP.

A world is the state a test needs before it does what it tests: proposals walked to some
step, with open tasks of several kinds. Building it through the HTTP API costs a login per
person and a request, a JSON round trip and the contract check per step; the commands the
API calls (`cases.submit_proposal`, `cases.complete_task`, with a UnitOfWork) build the same
rows without any of that. `Services` drives them with the same verbs as the HTTP drivers
(`submit`, `task_id`, `do`), so a walk written once runs on either, and
tests/api/test_worlds.py checks once that both build the same world (proposals, cases,
open tasks, events, notifications).

The tests themselves keep exercising HTTP where HTTP is what they test.
"""
import io

from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.model.tables import User
from engine.queries import task_list
from engine.services import attachments, cases
from engine.services.directory import add_user, sync_units
from engine.tooling.demo import on_day
from engine.workflow.runtime import Runtime

PASSWORD = "pw-测试"
# username: (name, roles, unit)
PEOPLE = {
    "wy_chen": ("陈委员", ["proposer"], None),       # author of p1 and p2
    "wy_lin": ("林委员", ["proposer"], None),        # co-signer of p1 and p2
    "wy_wu": ("吴委员", ["proposer"], None),         # author of p3 only
    "tw_li": ("提案委李", ["committee"], None),
    "zfb_wang": ("政府办王", ["gov_office"], None),
    "dcs_zhou": ("督查室周", ["supervisor"], None),
    "deputy_zhao": ("赵副区长", ["deputy_head"], None),
    "fgw_clerk": ("发改委经办人", ["unit_clerk"], "fgw"),  # lead unit of p1
    "fgw_head": ("发改委负责人", ["unit_head"], "fgw"),
    "jw_clerk": ("经委经办人", ["unit_clerk"], "jw"),      # assisting unit of p1
    "jtw_clerk": ("交通委经办人", ["unit_clerk"], "jtw"),  # no part in any proposal
}
PROPOSAL = {"title": "关于加强停车管理的建议", "category": "urban",
            "body": "停车难问题日益突出，需要综合治理。", "suggestions": "建设立体停车库"}
# Valid form data for every task the world leaves open.
FORM_DATA = {
    "cosigner_confirm": {"agree": True},
    "review": {"review_decision": "file", "category": "urban"},
    "consultation": {"contact_date": "2026-11-01", "contact_way": "phone", "contact_people": "张科长",
                     "contact_content": "电话沟通办理思路", "proposer_view": "赞同", "more_contacts": False},
    "assist_opinion": {"opinion_text": "同意主办单位意见", "contact_person": "王科长"},
}


def seed_people(database: Database, runtime: Runtime, people: dict = PEOPLE) -> None:
    """The region's units and `people` (username: (name, roles, unit)), password PASSWORD."""
    with UnitOfWork(database) as uow:
        sync_units(uow.session, runtime.region)
        for username, (name, roles, unit) in people.items():
            add_user(uow.session, username, name, PASSWORD, roles, unit)
        uow.commit()


class Services:
    """Acts as any account through the service layer: each call one UnitOfWork, the command
    the HTTP route calls, the task found by the query the task list uses (most urgent first)."""

    def __init__(self, database: Database, runtime: Runtime, proposal: dict = PROPOSAL):
        self.db, self.rt, self.proposal = database, runtime, proposal

    @staticmethod
    def user(session, username: str) -> User:
        found = session.scalar(select(User).where(User.username == username))
        assert found is not None, f"no account {username}"
        return found

    def submit(self, username: str, **fields) -> int:
        """Submit a proposal as `username` (PROPOSAL with `fields`); return its id."""
        with UnitOfWork(self.db) as uow:
            return cases.submit_proposal(uow, self.rt, self.user(uow.session, username),
                                         {**self.proposal, **fields}).id

    def task_id(self, username: str, name: str, proposal_id: int) -> str:
        """The id of the open task `name` of a proposal first in `username`'s task list."""
        with UnitOfWork(self.db) as uow:
            items = task_list.list_tasks(uow.session, self.rt, self.user(uow.session, username), name=name,
                                       proposal_id=proposal_id)["items"]
        assert items, f"{username} has no task {name} on proposal {proposal_id}"
        return items[0]["id"]

    def do(self, username: str, name: str, proposal_id: int, data: dict) -> dict:
        """Complete `username`'s task `name` on a proposal; return the command's result."""
        task_id = self.task_id(username, name, proposal_id)
        with UnitOfWork(self.db) as uow:
            return cases.complete_task(uow, self.rt, self.user(uow.session, username), task_id, data)

    def upload(self, username: str, proposal_id: int, filename: str, content: bytes,
               task_name: str | None = None) -> int:
        """Attach a file to a proposal as `username` (to the user's open task `task_name`, as a
        form's upload does), into the runtime's settings' upload folder; return its id."""
        task_id = self.task_id(username, task_name, proposal_id) if task_name else None
        with UnitOfWork(self.db) as uow:
            [info] = attachments.upload_attachments(uow, self.rt.settings, self.user(uow.session, username),
                                                    proposal_id, [(filename, io.BytesIO(content), None)],
                                                    task_id=task_id)
        return info["id"]


def api_world(driver) -> dict:
    """The world of tests/api (its `world` fixture), walked by `driver` (Services, or the HTTP
    Api of tests/api/conftest.py): three proposals leaving four kinds of open task.

    p1 (陈委员, co-signed by 林委员): filed and assigned to fgw (lead) with jw
       assisting; open: consultation (fgw clerk), assist_opinion (jw clerk).
    p2 (陈委员, co-signer 林委员 invited): open: cosigner_confirm (林委员 only).
    p3 (吴委员): open: review (committee).
    Returns {"p1": id, ..., "tasks": {task name: task id}}.
    """
    p1 = driver.submit("wy_chen", cosigners=["wy_lin"])
    driver.do("wy_lin", "cosigner_confirm", p1, {"agree": True})
    driver.do("tw_li", "review", p1, FORM_DATA["review"])
    driver.do("tw_li", "assign", p1, {"assign_mode": "joint", "lead_unit_ids": ["fgw"],
                                      "assisting_unit_ids": ["jw"], "is_key": False})
    driver.do("fgw_clerk", "accept", p1, {"accept_decision": "accept"})
    driver.do("fgw_clerk", "plan_draft", p1, {"plan_content": "分步建设立体停车库", "plan_responsible": "张科长",
                                              "plan_finish_date": on_day(14)})
    driver.do("fgw_head", "plan_approve", p1, {"approved": True})
    p2 = driver.submit("wy_chen", title="关于增设社区养老服务点的建议", cosigners=["wy_lin"])
    p3 = driver.submit("wy_wu", title="关于改善菜市场环境的建议")
    tasks = {
        "consultation": driver.task_id("fgw_clerk", "consultation", p1),
        "assist_opinion": driver.task_id("jw_clerk", "assist_opinion", p1),
        "cosigner_confirm": driver.task_id("wy_lin", "cosigner_confirm", p2),
        "review": driver.task_id("tw_li", "review", p3),
    }
    return {"p1": p1, "p2": p2, "p3": p3, "tasks": tasks}


def fuzzed_world(driver) -> None:
    """The small world tests/api/test_schemathesis.py fuzzes the API on: one proposal filed
    and assigned to fgw alone (its 签收 open), one waiting for the committee's review."""
    first = driver.submit("wy_chen", cosigners=["wy_lin"])
    driver.do("wy_lin", "cosigner_confirm", first, {"agree": True})
    driver.do("tw_li", "review", first, {"review_decision": "file", "category": "urban"})
    driver.do("tw_li", "assign", first, {"assign_mode": "single", "lead_unit_ids": ["fgw"], "is_key": False})
    driver.submit("wy_chen", title="关于增设社区养老服务点的建议")
