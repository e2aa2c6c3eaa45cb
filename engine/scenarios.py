"""Designers' scenarios: a YAML file beside the diagrams lists the steps of one
proposal (which task, by whom, with what data) and how it must end; running it
walks a fresh case through the engine and says which step diverged and how.

File format (processes/scenarios/*.yaml):

    name: 单独承办，A类答复，满意后办结
    submit: {as: wy_chen, data: {title: …, category: urban, body: …, suggestions: …}}
    steps:
      - {task: review, user: tawei_li, data: {review_decision: file, category: urban}}
    expect:
      status: closed            # any proposal field: status, number, reply_class, satisfaction, is_key, lead_unit
      open_tasks: []            # names of the tasks open at the end, in any order
      events: [提交提案, 审查立案] # step titles that must appear in the timeline, in this order

Each scenario runs on its own temporary SQLite database with the demo people.
"""
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from . import cases, permissions
from .config import Settings
from .db import Database, UnitOfWork
from .demo import seed_people
from .errors import EngineError, InvalidForm
from .models import Event, OpenTask, Proposal, User
from .runtime import Runtime

PROPOSAL_FIELDS = ("status", "number", "category", "reply_class", "satisfaction", "is_key", "lead_unit",
                   "supervising_leader")


@dataclass
class Outcome:
    """The result of one scenario: passed, or the first divergence and what differs at the end."""

    name: str
    file: str
    problems: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every step ran and every expectation held."""
        return not self.problems


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files of a folder, sorted."""
    return sorted(Path(folder).glob("*.yaml"))


def run_file(path: Path, settings: Settings | None = None) -> Outcome:
    """Run one scenario file on a fresh temporary database."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        return Outcome(path.stem, path.name, [f"YAML 格式错误：{err}"])
    outcome = Outcome(spec.get("name") or path.stem, path.name)
    problems = _check_shape(spec)
    if problems:
        outcome.problems = problems
        return outcome
    with tempfile.TemporaryDirectory() as tmp:
        base = settings or Settings.from_env()
        run_settings = Settings(**{**base.__dict__, "database_url": f"sqlite:///{tmp}/scenario.db",
                                   "upload_dir": Path(tmp) / "uploads"})
        database = Database(run_settings.database_url)
        database.create_schema()
        try:
            outcome.problems = _run(spec, database, Runtime(run_settings))
        finally:
            database.engine.dispose()
    return outcome


def _check_shape(spec) -> list[str]:
    problems = []
    if not isinstance(spec, dict):
        return ["文件内容应为一个对象（name、submit、steps、expect）"]
    submit = spec.get("submit")
    if not isinstance(submit, dict) or not submit.get("as") or not isinstance(submit.get("data"), dict):
        problems.append("submit 应写明 as（提交的委员账号）和 data（提案内容）")
    for n, step in enumerate(spec.get("steps") or [], 1):
        if not isinstance(step, dict) or not step.get("task") or not step.get("user"):
            problems.append(f"第 {n} 步应写明 task 和 user")
    if not isinstance(spec.get("expect", {}), dict):
        problems.append("expect 应为一个对象")
    return problems


def _run(spec, database, rt) -> list[str]:
    with UnitOfWork(database) as uow:
        seed_people(uow.session, rt)
        uow.commit()
    submit = spec["submit"]
    try:
        with UnitOfWork(database) as uow:
            proposal_id = cases.submit_proposal(uow, rt, _user(uow.session, submit["as"]), submit["data"]).id
    except EngineError as err:
        return [f"提交提案（{submit['as']}）失败：{_why(err)}"]
    for n, step in enumerate(spec.get("steps") or [], 1):
        with UnitOfWork(database) as uow:
            user = _user(uow.session, step["user"])
            rows = uow.session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id,
                                                              OpenTask.name == step["task"]))
            row = next((r for r in rows if user is not None and permissions.may_do(user, r)), None)
            if row is None:
                return [f"第 {n} 步（{step['task']}，{step['user']}）：此人没有这个待办；"
                        f"当前待办：{_open(uow.session, proposal_id) or '无'}"]
            try:
                cases.complete_task(uow, rt, user, row.id, step.get("data") or {})
            except EngineError as err:
                return [f"第 {n} 步（{step['task']}，{step['user']}）被拒绝：{_why(err)}"]
    return _compare(database, proposal_id, spec.get("expect") or {})


def _compare(database, proposal_id, expect) -> list[str]:
    problems = []
    with UnitOfWork(database) as uow:
        proposal = uow.session.get(Proposal, proposal_id)
        for key in PROPOSAL_FIELDS:
            if key in expect and getattr(proposal, key) != expect[key]:
                problems.append(f"结束时 {key} 应为 {expect[key]!r}，实际为 {getattr(proposal, key)!r}")
        if "open_tasks" in expect:
            actual = sorted(uow.session.scalars(select(OpenTask.name).where(OpenTask.proposal_id == proposal_id)))
            if actual != sorted(expect["open_tasks"]):
                problems.append(f"结束时的待办应为 {sorted(expect['open_tasks'])}，实际为 {actual}")
        if "events" in expect:
            titles = list(uow.session.scalars(select(Event.title).where(Event.proposal_id == proposal_id)
                                              .order_by(Event.id)))
            position = 0
            for wanted in expect["events"]:
                try:
                    position = titles.index(wanted, position) + 1
                except ValueError:
                    problems.append(f"办理经过中缺少“{wanted}”（或顺序不对）；实际为：{'、'.join(titles)}")
                    break
    return problems


def _user(session, username):
    return session.scalar(select(User).where(User.username == username))


def _open(session, proposal_id) -> str:
    rows = session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id))
    return "、".join(f"{r.name}（{r.assignee or r.unit_id or r.role}）" for r in rows)


def _why(err: EngineError) -> str:
    if isinstance(err, InvalidForm):
        return "；".join(f"{e['field']}：{e['message']}" for e in err.errors)
    return err.message
