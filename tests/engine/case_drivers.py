"""Ways to drive a proposal's case in engine tests, shared by the test modules.

`Walk` goes through the service layer and the database, as people would;
`Flow` runs the workflow directly on SpiffWorkflow, without engine or database.
(A module of its own, not conftest.py, so that test modules can import it
whichever other conftest.py files pytest has loaded.)
"""
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.adapters.db import Database, UnitOfWork
from engine.definitions.sandbox import ConfinedScriptEngine
from engine.model.settings import Settings
from engine.model.tables import Case, Event, OpenTask, Proposal, User
from engine.profile.region import load_region
from engine.rules import permissions
from engine.services import cases
from engine.tooling.demo import on_day
from engine.workflow import state
from engine.workflow.runtime import Runtime, detached_script_engine

UNITS = ("fgw", "jw", "kw")
DEPUTIES = ("deputy_zhao", "deputy_qian", "deputy_sun")
PLAN = {"plan_content": "方案", "plan_responsible": "张科长", "plan_finish_date": "2026-12-01"}  # Flow: no date checks
CONTACT = {"contact_date": "2026-11-01", "contact_way": "phone", "contact_people": "张",
           "contact_content": "电话沟通", "proposer_view": "同意"}
REPLY_B = {"reply_class": "B", "reply_text": "答复", "involves_funds": False}
FOLLOWUP = {"followup_plan": "计划", "followup_responsible": "张科长", "followup_deadline": "2027-01-01"}
REPORT = {"report_date": "2026-12-01", "report_progress": "进展", "report_done": False}


def plan() -> dict:
    """PLAN finishing two weeks from the clock's today (a step checks it is not in the past)."""
    return {**PLAN, "plan_finish_date": on_day(14)}


def contact(**changes) -> dict:
    """CONTACT dated the clock's today (a step checks it is not in the future)."""
    return {**CONTACT, "contact_date": on_day(), **changes}


PROPOSAL = {"title": "关于加强停车管理的建议", "category": "urban",
            "body": "停车难问题日益突出，需要综合治理。", "suggestions": "建设立体停车库"}


class Walk:
    """Drives cases through the service layer as the people who own each task."""

    def __init__(self, database: Database, runtime: Runtime):
        self.db, self.rt = database, runtime
        self.user_tasks = 0  # user tasks completed through do()

    def user(self, session, username: str) -> User:
        """The account `username` in `session`."""
        return session.scalar(select(User).where(User.username == username))

    def submit(self, username: str = "wy", **fields) -> int:
        """Submit a proposal as `username`; return its id."""
        with UnitOfWork(self.db) as uow:
            proposal = cases.submit_proposal(uow, self.rt, self.user(uow.session, username), {**PROPOSAL, **fields})
            return proposal.id

    def open_tasks(self) -> list[str]:
        """Names of all open tasks, sorted."""
        with UnitOfWork(self.db) as uow:
            return sorted(uow.session.scalars(select(OpenTask.name)))

    def do(self, task_name: str, username: str, data: dict) -> dict:
        """Complete the open task `task_name` that `username` may do, with form data."""
        with UnitOfWork(self.db) as uow:
            user = self.user(uow.session, username)
            rows = uow.session.scalars(select(OpenTask).where(OpenTask.name == task_name).order_by(OpenTask.id))
            row = next((t for t in rows if permissions.may_do(user, t)), None)
            assert row is not None, f"{username} has no open task {task_name}; open: {self.open_tasks()}"
            result = cases.complete_task(uow, self.rt, user, row.id, data)
        self.user_tasks += 1
        return result

    def to_follow_up(self) -> int:
        """Submit a proposal and walk it to its first progress report (one lead unit, class B)."""
        proposal_id = self.submit()
        self.do("review", "tw", {"review_decision": "file", "category": "urban"})
        self.do("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "is_key": False})
        self.do("accept", "fgw_clerk", {"accept_decision": "accept"})
        self.do("plan_draft", "fgw_clerk", plan())
        self.do("plan_approve", "fgw_head", {"approved": True})
        self.do("consultation", "fgw_clerk", contact(more_contacts=False))
        self.do("reply_draft", "fgw_clerk", REPLY_B)
        self.do("head_approve", "fgw_head", {"approved": True})
        self.do("supervise_review", "dcs", {"final_class": "B", "approved": True})
        self.do("rate_reply", "wy", {"satisfaction": "satisfied", "disclosure_consent": True})
        self.do("followup_plan", "fgw_clerk", FOLLOWUP)
        return proposal_id

    def case(self, proposal_id: int) -> Case:
        """The case row of a proposal (detached, readable)."""
        with UnitOfWork(self.db) as uow:
            return uow.session.scalar(select(Case).where(Case.proposal_id == proposal_id, Case.process == "proposal"))

    def proposal(self, proposal_id: int) -> Proposal:
        """The proposal row (detached, readable)."""
        with UnitOfWork(self.db) as uow:
            return uow.session.get(Proposal, proposal_id)

    def events(self, proposal_id: int, kind: str) -> int:
        """How many events of `kind` a proposal has."""
        with UnitOfWork(self.db) as uow:
            return uow.session.scalar(select(func.count()).select_from(Event).where(
                Event.proposal_id == proposal_id, Event.kind == kind))


REGION_DIR = Settings().region_dir


def script_engine() -> ConfinedScriptEngine:
    """A confined script engine for workflows run without a database (default region)."""
    return detached_script_engine(load_region(REGION_DIR))


class Flow:
    """A proposal workflow run directly on SpiffWorkflow, without the engine or a database.

    `do` completes a ready user task the way the engine does (form data under the
    task's `result` variable, or merged), then runs engine steps; `roundtrip`
    stores and reloads it through engine.workflow.state (which compacts it).
    """

    def __init__(self, bundle, cosigners=()):
        self.bundle = bundle
        self.workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=script_engine())
        self.workflow.task_tree.data.update({"proposal_id": 1, "title": PROPOSAL["title"], "category": "urban",
                                             "source": "ordinary",
                                             "proposer": "wy", "cosigners": {c: c for c in cosigners}})
        self.workflow.do_engine_steps()

    def ready(self) -> list:
        """READY user tasks, as SpiffWorkflow finds them."""
        return self.workflow.get_tasks(state=TaskState.READY, manual=True)

    def ready_names(self) -> list[str]:
        """Names of the READY user tasks, sorted."""
        return sorted(t.task_spec.bpmn_id for t in self.ready())

    def do(self, name: str, data: dict, **match):
        """Complete the ready task `name` whose data contains `match` (e.g. assist_unit='jw')."""
        found = [t for t in self.ready() if t.task_spec.bpmn_id == name
                 and all(t.data.get(k) == v for k, v in match.items())]
        assert found, f"no ready task {name} {match}; ready: {self.ready_names()}"
        task = found[0]
        result = self.bundle.user_tasks[name].result
        if result:
            task.data[result] = dict(data)
        else:
            task.data.update(data)
        task.run()
        self.workflow.do_engine_steps()
        return task

    def roundtrip(self) -> dict:
        """Store the workflow with engine.workflow.state (compacting it) and reload it; return the stored state."""
        stored = state.dump(self.workflow)
        self.workflow = state.load(stored, self.bundle.spec, self.bundle.subprocess_specs, script_engine())
        return stored

    def task_count(self) -> int:
        """Tasks held in memory: the top workflow's plus every subprocess's."""
        return len(self.workflow.tasks) + sum(len(s.tasks) for s in self.workflow.subprocesses.values())


def to_follow_up(flow: Flow) -> Flow:
    """Walk a fresh Flow to its first progress report: one lead unit, class B, satisfied."""
    flow.do("review", {"review_decision": "file", "category": "urban"})
    flow.do("assign", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "assisting_unit_ids": [], "is_key": False})
    flow.do("accept", {"accept_decision": "accept"})
    flow.do("plan_draft", PLAN)
    flow.do("plan_approve", {"approved": True})
    flow.do("consultation", {**CONTACT, "more_contacts": False})
    flow.do("reply_draft", REPLY_B)
    flow.do("head_approve", {"approved": True})
    flow.do("supervise_review", {"final_class": "B", "approved": True})
    flow.do("rate_reply", {"satisfaction": "satisfied", "disclosure_consent": True})
    flow.do("followup_plan", FOLLOWUP)
    return flow
