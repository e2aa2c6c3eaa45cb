"""Designers' scenarios: a YAML file lists the steps of one proposal (which
task, by whom, with what data) and how it must end; running it walks a fresh
case through the engine and says which step diverged and how.

Where they are: processes/scenarios/*.yaml are shared by every region (a file
may name the regions it applies to with `regions:`), and regions/<code>/scenarios/*.yaml
are one region's own (its classes, scale, units, deadlines). `scenarios_for(settings)`
gives the files of the settings' region.

File format:

    name: 单独承办，A类答复，满意后办结
    regions: [default]          # optional (shared files): the regions it applies to; all when absent
    start: 2026-03-02T09:00+08:00  # optional: the clock at submission; it stands still until a step moves it
    submit: {as: wy_chen, data: {title: …, category: urban, body: …, suggestions: …}}
    steps:
      - {task: review, user: tawei_li, data: {review_decision: file, category: urban}}
      - {task: assign, user: tawei_li, data: {…}, refused: 表单}  # must be refused; the reason contains the text
      - {at: 2026-03-10T10:00+08:00}   # move the clock there and fire the timers due by then
      - {wait: {working_days: 6}}      # or move it on (working_days, days or hours) and fire them
      - {check: {open_tasks: [accept], due: {accept: 2026-03-09}}}   # expectations at this point
    expect:
      status: closed            # any proposal field: status, number, reply_class, satisfaction, is_key, lead_unit
      open_tasks: []            # names of the tasks open at the end, in any order
      due: {plan_draft: 2026-08-02}  # the due date (China) of open tasks
      events: [提交提案, 审查立案] # step titles that must appear in the timeline, in this order
      no_events: [签收超期]       # step titles that must not appear in it

Dates written without quotes are read as dates and given to forms as
YYYY-MM-DD text. Each scenario runs on its own temporary SQLite database with
the demo people of the region.
"""
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.errors import DefinitionError, EngineError, InvalidForm
from engine.model.settings import Settings
from engine.model.tables import Event, OpenTask, Proposal, User
from engine.profile.region import REGIONS_ROOT, load_region, region_codes
from engine.rules import permissions
from engine.services import cases, timers
from engine.tooling.demo import seed_people
from engine.workflow.runtime import Runtime

PROPOSAL_FIELDS = ("status", "number", "category", "reply_class", "satisfaction", "is_key", "lead_unit",
                   "supervising_leader", "source")
EXPECT_KEYS = {*PROPOSAL_FIELDS, "open_tasks", "events", "no_events", "due"}
Spec = dict[str, Any]  # a scenario, a step or an expectation as read from YAML
WAIT_UNITS = {"working_days", "days", "hours"}


@dataclass
class Outcome:
    """The result of one scenario: passed, or the first divergence and what differs at the end."""

    name: str
    file: str
    problems: list = field(default_factory=list)
    region: str = ""

    @property
    def passed(self) -> bool:
        """True when every step ran and every expectation held."""
        return not self.problems


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files of a folder, sorted (none if there is no folder)."""
    return sorted(Path(folder).glob("*.yaml")) if Path(folder).is_dir() else []


def applies_to(path: Path, region_code: str) -> bool:
    """Whether a shared scenario file applies to a region (its `regions:` list, all when absent)."""
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return True  # run it, so the syntax error is reported
    regions = spec.get("regions") if isinstance(spec, dict) else None
    return not regions or region_code in regions


def scenarios_for(settings: Settings) -> list[Path]:
    """The scenarios of the settings' region: the shared ones that apply, then the region's own."""
    code = load_region(settings.region_dir).code
    shared = [p for p in scenario_files(Path(settings.processes_dir) / "scenarios") if applies_to(p, code)]
    return shared + scenario_files(Path(settings.region_dir) / "scenarios")


def region_settings_list(base: Settings, root: Path = REGIONS_ROOT) -> list[Settings]:
    """`base` once per region folder under `root` (for running every region's scenarios)."""
    return [replace(base, region_dir=Path(root) / code) for code in region_codes(root)]


def run_all(settings: Settings, files: Iterable[Path] | None = None) -> list[Outcome]:
    """Run `files` (default: the region's scenarios) under `settings`."""
    return [run_file(path, settings) for path in (files if files is not None else scenarios_for(settings))]


def run_file(path: Path, settings: Settings | None = None) -> Outcome:
    """Run one scenario file on a fresh temporary database."""
    path = Path(path)
    base = settings or Settings.from_env()
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        return Outcome(path.stem, path.name, [f"YAML 格式错误：{err}"])
    try:
        region = load_region(base.region_dir)
    except DefinitionError as err:
        return Outcome(path.stem, path.name, [err.message])
    outcome = Outcome(spec.get("name") or path.stem if isinstance(spec, dict) else path.stem, path.name,
                      region=region.code)
    problems = _check_shape(spec)
    shared = Path(path).resolve().parent == (Path(base.processes_dir) / "scenarios").resolve()
    if not problems and shared and spec.get("regions") and region.code not in spec["regions"]:
        problems = [f"此场景只适用于地区 {', '.join(spec['regions'])}，当前地区为 {region.code}"]
    if problems:
        outcome.problems = problems
        return outcome
    previous_clock = clock.current()
    start = spec.get("start")
    if start is not None or any(isinstance(s, dict) and ("at" in s or "wait" in s) for s in spec.get("steps") or []):
        clock.use(clock.MovableClock(_moment(start) if start is not None else clock.now()))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_settings = replace(base, database_url=f"sqlite:///{tmp}/scenario.db", upload_dir=Path(tmp) / "uploads")
            database = Database(run_settings.database_url)
            database.create_schema()
            try:
                outcome.problems = _run(spec, database, Runtime(run_settings))
            finally:
                database.engine.dispose()
    finally:
        clock.use(previous_clock)
    return outcome


def _check_shape(spec: object) -> list[str]:
    problems: list[str] = []
    if not isinstance(spec, dict):
        return ["文件内容应为一个对象（name、submit、steps、expect）"]
    submit = spec.get("submit")
    if not isinstance(submit, dict) or not submit.get("as") or not isinstance(submit.get("data"), dict):
        problems.append("submit 应写明 as（提交的委员账号）和 data（提案内容）")
    regions = spec.get("regions")
    if regions is not None and (not isinstance(regions, list) or not all(isinstance(r, str) for r in regions)):
        problems.append("regions 应为地区代码的列表，如 [default, binhai]")
    if spec.get("start") is not None:
        try:
            _moment(spec["start"])
        except ValueError as err:
            problems.append(f"start：{err}")
    for n, step in enumerate(spec.get("steps") or [], 1):
        problems += [f"第 {n} 步{p}" for p in _step_shape(step)]
    if not isinstance(spec.get("expect", {}), dict):
        problems.append("expect 应为一个对象")
    else:
        problems += [f"expect：{p}" for p in _expect_shape(spec.get("expect") or {})]
    return problems


def _step_shape(step: object) -> list[str]:
    if not isinstance(step, dict):
        return ["应写明 task 和 user（或 at、wait、check）"]
    if "at" in step:
        try:
            _moment(step["at"])
        except ValueError as err:
            return [f"at：{err}"]
        return []
    if "wait" in step:
        wait = step["wait"]
        if (not isinstance(wait, dict) or not wait or set(wait) - WAIT_UNITS
                or not all(isinstance(v, int) and v >= 0 for v in wait.values())):
            return [f"wait 应写成 {{working_days: 5}}、{{days: 3}} 或 {{hours: 2}}（非负整数），现在是 {wait!r}"]
        return []
    if "check" in step:
        if not isinstance(step["check"], dict):
            return ["check 应为一个对象（与 expect 的写法相同）"]
        return [f"check：{p}" for p in _expect_shape(step["check"])]
    if not step.get("task") or not step.get("user"):
        return ["应写明 task 和 user"]
    return []


def _expect_shape(expect: dict[str, Any]) -> list[str]:
    unknown = sorted(set(expect) - EXPECT_KEYS)
    problems = [f"不认识的检查项：{', '.join(unknown)}（可用：{', '.join(sorted(EXPECT_KEYS))}）"] if unknown else []
    if "due" in expect and not isinstance(expect["due"], dict):
        problems.append("due 应写成 {任务名: YYYY-MM-DD}")
    return problems


def _run(spec: Spec, database: Database, rt: Runtime) -> list[str]:
    with UnitOfWork(database) as uow:
        seed_people(uow.session, rt)
        uow.commit()
    submit = spec["submit"]
    try:
        with UnitOfWork(database) as uow:
            proposer = _user(uow.session, submit["as"])
            if proposer is None:
                return [f"提交提案（{submit['as']}）失败：没有这个账号"]
            proposal_id = cases.submit_proposal(uow, rt, proposer, _plain(submit["data"])).id
    except EngineError as err:
        return [f"提交提案（{submit['as']}）失败：{_why(err)}"]
    for n, step in enumerate(spec.get("steps") or [], 1):
        if "at" in step or "wait" in step:
            _move_clock(step, rt)
            timers.run_once(database, rt)
            continue
        if "check" in step:
            problems = _compare(database, proposal_id, step["check"], when="此时")
            if problems:
                return [f"第 {n} 步（检查）：{p}" for p in problems]
            continue
        problem = _do(database, rt, proposal_id, n, step)
        if problem:
            return [problem]
    return _compare(database, proposal_id, spec.get("expect") or {})


def _do(database: Database, rt: Runtime, proposal_id: int, n: int, step: Spec) -> str | None:
    """Complete one task step; the problem as text, or None."""
    label = f"第 {n} 步（{step['task']}，{step['user']}）"
    with UnitOfWork(database) as uow:
        user = _user(uow.session, step["user"])
        rows = uow.session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id,
                                                          OpenTask.name == step["task"]))
        row = next((r for r in rows if user is not None and permissions.may_do(user, r)), None)
        if row is None or user is None:
            return f"{label}：此人没有这个待办；当前待办：{_open(uow.session, proposal_id) or '无'}"
        try:
            cases.complete_task(uow, rt, user, row.id, _plain(step.get("data") or {}))
        except EngineError as err:
            if "refused" in step:
                wanted = str(step["refused"] or "")
                return None if wanted in _why(err) else f"{label}被拒绝，但理由“{_why(err)}”不含“{wanted}”"
            return f"{label}被拒绝：{_why(err)}"
    if "refused" in step:
        return f"{label}应被拒绝，却办理成功了"
    return None


def _move_clock(step: Spec, rt: Runtime) -> None:
    current = clock.moving()
    if "at" in step:
        current.set(_moment(step["at"]))
        return
    wait = step["wait"]
    moment = current.now()
    if wait.get("working_days"):
        china = moment.astimezone(clock.CHINA)
        day = rt.calendar.add_working_days(china.date(), int(wait["working_days"]))
        moment = datetime.combine(day, china.timetz())
    moment += timedelta(days=int(wait.get("days", 0)), hours=int(wait.get("hours", 0)))
    current.set(moment)


def _compare(database: Database, proposal_id: int, expect: Spec, when: str = "结束时") -> list[str]:
    problems: list[str] = []
    with UnitOfWork(database) as uow:
        proposal = uow.session.get(Proposal, proposal_id)
        for key in PROPOSAL_FIELDS:
            if key in expect and getattr(proposal, key) != expect[key]:
                problems.append(f"{when} {key} 应为 {expect[key]!r}，实际为 {getattr(proposal, key)!r}")
        open_rows = list(uow.session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id)))
        if "open_tasks" in expect:
            actual = sorted(r.name for r in open_rows)
            if actual != sorted(expect["open_tasks"]):
                problems.append(f"{when}的待办应为 {sorted(expect['open_tasks'])}，实际为 {actual}")
        for task, wanted in (expect.get("due") or {}).items():
            days = sorted({_china_day(r.due_at) for r in open_rows if r.name == task})
            if not days:
                problems.append(f"没有待办 {task}，无法检查其期限")
            elif days != [str(wanted)]:
                problems.append(f"待办 {task} 的期限应为 {wanted}，实际为 {'、'.join(days)}")
        titles = list(uow.session.scalars(select(Event.title).where(Event.proposal_id == proposal_id).order_by(Event.id)))
        if "events" in expect:
            position = 0
            for wanted in expect["events"]:
                try:
                    position = titles.index(wanted, position) + 1
                except ValueError:
                    problems.append(f"办理经过中缺少“{wanted}”（或顺序不对）；实际为：{'、'.join(titles)}")
                    break
        for unwanted in expect.get("no_events") or []:
            if unwanted in titles:
                problems.append(f"办理经过中不应有“{unwanted}”；实际为：{'、'.join(titles)}")
    return problems


def _china_day(moment: datetime | None) -> str:
    return "无期限" if moment is None else moment.astimezone(clock.CHINA).date().isoformat()


def _moment(value: object) -> datetime:
    """A scenario time: ISO text (with or without offset: China time), a datetime or a date (09:00)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9, 0))
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"时间“{value}”格式不正确，应写成 2026-03-02T09:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.CHINA)


def _plain(value: Any) -> Any:
    """Form data with YAML dates and times as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _open(session: Session, proposal_id: int) -> str:
    rows = session.scalars(select(OpenTask).where(OpenTask.proposal_id == proposal_id))
    return "、".join(f"{r.name}（{r.assignee or r.unit_id or r.role}）" for r in rows)


def _why(err: EngineError) -> str:
    if isinstance(err, InvalidForm):
        return "；".join(f"{e['field']}：{e['message']}" for e in err.errors)
    return err.message
