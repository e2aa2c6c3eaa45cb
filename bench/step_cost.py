"""Cost of one step of a case as it ages: flat with the engine, growing without compaction.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.step_cost [--repeat 50] [--levels 10,100,1000]
                                                     [--database-url URL]

One step is one full request cycle as the engine does it: load the case state
from the database, complete a user task with form data, run engine steps,
compact, serialize and write back (engine.services.cases.complete_task in a committed
UnitOfWork). For each level a fresh case is walked to its follow-up stage and
fed progress reports (report_done false) until Case.completed_tasks reaches
the level; then --repeat further progress-report steps are timed. The case
reaches its first progress report after about 55 tasks, so lower levels are
measured from there: the table shows the actual count.

For comparison the same cycle is done naively, in memory: SpiffWorkflow's own
serializer (BpmnWorkflowSerializer with SPIFF_CONFIG, whole workflow with its
spec, no compaction): deserialize, complete the task, run engine steps,
serialize. Each naive cycle starts from the same snapshot taken at the level.
Without compaction SpiffWorkflow loses the READY task once the task chain is
about 1000 deep (SpiffWorkflow 3.2.0 stops iterating a task tree there); a naive level past that point is measured
on the last snapshot where the task could still be found, and marked.

The database is a temporary SQLite file unless --database-url is given; that
database is emptied (all tables dropped and re-created) first.
"""
import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.adapters.db import Database, UnitOfWork
from engine.definitions.sandbox import ConfinedScriptEngine
from engine.model.settings import Settings
from engine.model.tables import Case, OpenTask, User
from engine.profile.region import load_region
from engine.rules import permissions
from engine.services import cases
from engine.services.directory import add_user, sync_units
from engine.tooling.demo import on_day
from engine.workflow.runtime import Runtime, detached_script_engine

REPORT = {"report_date": "2026-12-01", "report_progress": "按计划推进", "report_done": False}
# (task, who does it, form data): submission to the first progress report, one lead unit, class B
TO_FOLLOW_UP = [
    ("review", "tw", {"review_decision": "file", "category": "urban"}),
    ("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "assisting_unit_ids": [], "is_key": False}),
    ("accept", "fgw_clerk", {"accept_decision": "accept"}),
    ("plan_draft", "fgw_clerk", {"plan_content": "方案", "plan_responsible": "张科长", "plan_finish_date": on_day(14)}),
    ("plan_approve", "fgw_head", {"approved": True}),
    ("consultation", "fgw_clerk", {"contact_date": on_day(), "contact_way": "phone", "contact_people": "张",
                                   "contact_content": "电话沟通", "proposer_view": "同意", "more_contacts": False}),
    ("reply_draft", "fgw_clerk", {"reply_class": "B", "reply_text": "答复", "involves_funds": False}),
    ("head_approve", "fgw_head", {"approved": True}),
    ("supervise_review", "dcs", {"final_class": "B", "approved": True}),
    ("rate_reply", "wy", {"satisfaction": "satisfied", "disclosure_consent": True}),
    ("followup_plan", "fgw_clerk", {"followup_plan": "计划", "followup_responsible": "张科长",
                                    "followup_deadline": "2027-01-01"}),
]
SUBMISSION = {"title": "关于加强停车管理的建议", "category": "urban", "body": "停车难问题日益突出，需要综合治理。",
              "suggestions": "建设立体停车库"}


def summarize(times_s: list[float]) -> tuple[float, float]:
    """Median and 90th percentile of durations in seconds, in ms."""
    ms = sorted(t * 1000 for t in times_s)
    p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) > 1 else ms[0]
    return statistics.median(ms), p90


# --- with the engine ---------------------------------------------------------

class EngineCase:
    """One case driven through engine.services.cases, one committed UnitOfWork per step."""

    def __init__(self, db: Database, rt: Runtime):
        self.db, self.rt = db, rt
        with UnitOfWork(db) as uow:
            author = uow.session.scalar(select(User).where(User.username == "wy"))
            self.proposal_id = cases.submit_proposal(uow, rt, author, SUBMISSION).id

    def open_task(self, name: str, username: str) -> tuple[str, int]:
        """The id of the open task `name` that `username` may do, and the user's id."""
        with UnitOfWork(self.db) as uow:
            user = uow.session.scalar(select(User).where(User.username == username))
            rows = uow.session.scalars(select(OpenTask).where(OpenTask.proposal_id == self.proposal_id,
                                                              OpenTask.name == name))
            row = next(r for r in rows if permissions.may_do(user, r))
            return row.id, user.id

    def step(self, name: str, username: str, data: dict) -> float:
        """Complete a task as one request does; return the seconds the request took."""
        task_id, user_id = self.open_task(name, username)
        start = time.perf_counter()
        with UnitOfWork(self.db) as uow:
            cases.complete_task(uow, self.rt, uow.session.get(User, user_id), task_id, data)
        return time.perf_counter() - start

    def case(self) -> Case:
        """The case row, freshly read."""
        with UnitOfWork(self.db) as uow:
            return uow.session.scalar(select(Case).where(Case.proposal_id == self.proposal_id, Case.process == "proposal"))


def engine_rows(db: Database, rt: Runtime, levels: list[int], repeat: int) -> list[tuple]:
    """(level, completed tasks at start, median ms, p90 ms, state KB) for each level."""
    rows = []
    for level in levels:
        case = EngineCase(db, rt)
        for name, username, data in TO_FOLLOW_UP:
            case.step(name, username, data)
        while case.case().completed_tasks < level:
            case.step("progress_report", "fgw_clerk", REPORT)
        start = case.case().completed_tasks
        times = [case.step("progress_report", "fgw_clerk", REPORT) for _ in range(repeat)]
        size = len(json.dumps(case.case().state)) / 1024
        rows.append((level, start, *summarize(times), size))
    return rows


# (username, name, role, unit): the accounts a walk of one case needs
WALK_ACCOUNTS = (("wy", "wy", "proposer", None), ("tw", "tw", "committee", None), ("dcs", "dcs", "supervisor", None),
                 ("fgw_clerk", "经办人", "unit_clerk", "fgw"), ("fgw_head", "负责人", "unit_head", "fgw"))


def prepare_database(url: str, rt: Runtime, accounts=WALK_ACCOUNTS, password: str = "bench") -> Database:
    """An emptied database with the region's units and `accounts` (username, name, role, unit)."""
    db = Database(url)
    db.drop_schema()
    db.create_schema()
    with UnitOfWork(db) as uow:
        sync_units(uow.session, rt.region)
        for username, name, role, unit in accounts:
            add_user(uow.session, username, name, password, [role], unit)
        uow.commit()
    return db


# --- naively, with SpiffWorkflow's own serializer ----------------------------

def _script_engine() -> ConfinedScriptEngine:
    return detached_script_engine(load_region(Settings.from_env().region_dir))


class NaiveCase:
    """The same case kept whole in memory, counting completed tasks as the engine does."""

    def __init__(self, bundle):
        self.bundle = bundle
        self.completed = 0
        self.workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=_script_engine())
        self.workflow.task_tree.data.update({"proposal_id": 1, "proposer": "wy", "cosigners": {}, "source": "ordinary",
                                             **SUBMISSION})
        self.advance()

    def advance(self):
        """Run engine steps, counting them."""
        self.workflow.do_engine_steps(did_complete_task=lambda task: self._count())

    def _count(self):
        self.completed += 1

    def ready(self, name: str):
        """The READY user task `name`, as SpiffWorkflow finds it (None if it cannot)."""
        return next((t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                     if t.task_spec.bpmn_id == name), None)

    def complete(self, task, data: dict):
        """Complete a user task the way the engine does, then run engine steps."""
        result = self.bundle.user_tasks[task.task_spec.bpmn_id].result
        if result:
            task.data[result] = dict(data)
        else:
            task.data.update(data)
        task.run()
        self.completed += 1
        self.advance()


def naive_cycle(serializer, snapshot: str, task_id, data: dict) -> float:
    """Deserialize, complete the task, run engine steps, serialize; return seconds."""
    start = time.perf_counter()
    workflow = serializer.deserialize_json(snapshot)
    workflow.script_engine = _script_engine()
    task = workflow.get_task_from_id(task_id)
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()
    serializer.serialize_json(workflow)
    return time.perf_counter() - start


def naive_rows(bundle, levels: list[int], repeat: int) -> list[tuple]:
    """(level, completed tasks at the snapshot, median ms, p90 ms, JSON KB, stuck) for each level."""
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    case = NaiveCase(bundle)
    for name, _, data in TO_FOLLOW_UP:
        case.complete(case.ready(name), data)
    rows = []
    for level in levels:
        stuck = False
        while True:
            task = case.ready("progress_report")
            if task is None:  # past depth 1000: the READY task is no longer found
                stuck = True  # measure on the last snapshot where it was
                break
            snapshot = (case.completed, serializer.serialize_json(case.workflow), task.id)
            if case.completed >= level:
                break
            case.complete(task, REPORT)
        count, text, task_id = snapshot
        times = [naive_cycle(serializer, text, task_id, REPORT) for _ in range(repeat)]
        rows.append((level, count, *summarize(times), len(text) / 1024, stuck))
        if stuck:
            break
    return rows


# --- report ------------------------------------------------------------------

def table(title: str, rows: list[tuple]) -> str:
    """The rows as a small fixed-width table."""
    lines = [title, " target | completed tasks | median ms |  p90 ms | state KB"]
    for level, count, median, p90, size, *flag in rows:
        note = "  (next step loses the READY task: bug 1)" if flag and flag[0] else ""
        lines.append(f" {level:6d} | {count:15d} | {median:9.1f} | {p90:7.1f} | {size:8.1f}{note}")
    return "\n".join(lines)


def main(argv=None):
    """Run the benchmark and print both tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.step_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="timed steps per level (default 50)")
    parser.add_argument("--levels", default="10,100,1000", help="completed-task levels (default 10,100,1000)")
    parser.add_argument("--database-url", help="database to use (EMPTIED first); default a temporary SQLite file")
    args = parser.parse_args(argv)
    levels = sorted(int(x) for x in args.levels.split(","))
    os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")  # throwaway accounts

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings.from_env(database_url=url)
        rt = Runtime(settings)
        db = prepare_database(url, rt)
        try:
            rows = engine_rows(db, rt, levels, args.repeat)
        finally:
            db.engine.dispose()
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(table(f"Engine: complete_task, committed, on {backend} (state compacted, no spec); "
                f"{args.repeat} progress-report steps per level", rows))
    print()
    print(table(f"Naive: SpiffWorkflow serializer, whole workflow with spec, in memory, no database; "
                f"{args.repeat} cycles per level", naive_rows(rt.current, levels, args.repeat)))


if __name__ == "__main__":
    main()
