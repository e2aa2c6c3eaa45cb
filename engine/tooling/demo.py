"""Demo data: the committee, the government office, the region's leaders and
handling units with heads and clerks, proposers, a process designer, and
proposals standing at every stage.

Which proposals, with which units, classes and ratings, is the region's
demo.yaml (regions/<code>/demo.yaml); the accounts other than the leaders and
the units are the same in every region. Every demo account has the password
`demo123`.
"""
import functools
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.db import Database, UnitOfWork
from engine.model import clock
from engine.model.errors import DefinitionError, NotFound
from engine.model.tables import OpenTask, User
from engine.profile.region import Region
from engine.rules import permissions
from engine.services import cases
from engine.services.accounts import hash_password
from engine.services.directory import add_user, sync_units
from engine.tooling.demo_clock import mark_demo
from engine.workflow.runtime import Runtime

DEMO_PASSWORD = "demo123"
DEMO_FILE = "demo.yaml"

PEOPLE = [
    ("tawei_li", "李明（提案委）", ["committee"], None),
    ("tawei_xu", "徐静（提案委）", ["committee"], None),
    ("zfb_wang", "王芳（政府办）", ["gov_office"], None),
    ("dcs_zhou", "周强（督查室）", ["supervisor"], None),
    ("wy_chen", "陈思远（委员）", ["proposer"], None),
    ("wy_lin", "林晓梅（委员）", ["proposer"], None),
    ("wy_huang", "黄志刚（委员）", ["proposer"], None),
    ("wy_zhang", "张秀兰（委员）", ["proposer"], None),
    ("designer", "郑伟（流程设计员）", ["designer"], None),
]
PROPOSERS = [username for username, _, roles, _ in PEOPLE if "proposer" in roles]
SURNAMES = "刘杨吴郑冯蒋沈韩朱秦许何吕施"
STAGES = ("cosigning", "review", "assignment", "accepting", "joint", "key", "feedback", "follow_up", "closed",
          "separate", "not_filed")
# what each stage needs in demo.yaml besides title, proposer and category
_NEEDS = {"accepting": ("lead",), "joint": ("lead", "assists"), "key": ("lead", "leader"), "feedback": ("lead",),
          "follow_up": ("lead",), "closed": ("lead",), "separate": ("leads",), "not_filed": ("reason",)}
_KEYS = {"stage", "title", "proposer", "category", "source", "cosigners", "lead", "leads", "assists", "leader",
         "reply_class", "rating", "reason"}
MAX_CONSULTATIONS = 20  # a demo walk never loops for ever on a region's minimum


def seed_people(session: Session, runtime: Runtime) -> int:
    """Create the unit directory and every demo account; return accounts made."""
    sync_units(session, runtime.region)
    accounts = [*PEOPLE]
    accounts += [(leader["username"], f"{leader['name']}（{leader['title']}）", ["deputy_head"], None)
                 for leader in runtime.region.leaders]
    for i, unit in enumerate(runtime.region.units):
        surname = SURNAMES[i % len(SURNAMES)]
        accounts.append((f"{unit['id']}_head", f"{surname}主任（{unit['name']}）", ["unit_head"], unit["id"]))
        accounts.append((f"{unit['id']}_clerk", f"{surname}干事（{unit['name']}）", ["unit_clerk"], unit["id"]))
    shared = hash_password(DEMO_PASSWORD)  # one (slow) hash for all: they share the published demo password
    for n, (username, name, roles, unit_id) in enumerate(accounts):
        add_user(session, username, name, DEMO_PASSWORD, roles, unit_id,
                 email=f"{username}@demo.cppcc.local", phone=f"1390000{n:04d}", password_hash=shared)
    return len(accounts)


def act(database: Database, runtime: Runtime, username: str, task_name: str, data: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Complete the open task `task_name` of a proposal as `username` (demo and tests)."""
    with UnitOfWork(database) as uow:
        user = _user(uow, username)
        rows = uow.session.scalars(select(OpenTask).where(
            OpenTask.proposal_id == proposal_id, OpenTask.name == task_name).order_by(OpenTask.created_at))
        row = next((r for r in rows if permissions.may_do(user, r)), None)
        if row is None:
            raise NotFound(f"{username} 没有提案 {proposal_id} 的待办任务 {task_name}")
        return cases.complete_task(uow, runtime, user, row.id, data)


def act_as_anyone(database: Database, runtime: Runtime, task_name: str, data: dict[str, Any], proposal_id: int) -> str:
    """Complete the open task `task_name` as the first account allowed to; returns its username."""
    with UnitOfWork(database) as uow:
        row = uow.session.scalar(select(OpenTask).where(
            OpenTask.proposal_id == proposal_id, OpenTask.name == task_name).order_by(OpenTask.created_at))
        if row is None:
            raise NotFound(f"提案 {proposal_id} 没有待办任务 {task_name}")
        users = uow.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
        user = next((u for u in users if permissions.may_do(u, row)), None)
        if user is None:
            raise NotFound(f"没有人能办理提案 {proposal_id} 的待办任务 {task_name}")
        username = user.username
    act(database, runtime, username, task_name, data, proposal_id)
    return username


def open_task_names(database: Database, proposal_id: int) -> list[str]:
    """Names of a proposal's open tasks, sorted."""
    with UnitOfWork(database) as uow:
        return sorted(uow.session.scalars(select(OpenTask.name).where(OpenTask.proposal_id == proposal_id)))


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    return user


def submit(database: Database, runtime: Runtime, username: str, title: str, category: str, body: str,
           suggestions: str, cosigners: Iterable[str] = (), source: str = "ordinary") -> int:
    """Submit a proposal as `username`; return its id."""
    with UnitOfWork(database) as uow:
        proposal = cases.submit_proposal(uow, runtime, _user(uow, username), {
            "title": title, "category": category, "body": body, "suggestions": suggestions,
            "cosigners": list(cosigners), "source": source})
        return proposal.id


# Form data used to move demo proposals along.
FILE = {"review_decision": "file", "category": "urban"}
ACCEPT = {"accept_decision": "accept"}
PLAN_TEXT = {"plan_content": "成立专班，分三步推进：调研、方案论证、组织实施。", "plan_responsible": "综合科 王科长"}
APPROVE = {"approved": True, "approve_comment": "同意"}
CONSULT_TEXT = {"contact_way": "meeting", "contact_people": "提案者、承办单位分管领导、经办人",
           "contact_content": "面商办理方案，听取提案者意见。", "proposer_view": "认可办理方案。", "more_contacts": False}
OPINION = {"opinion_text": "本单位将配合做好相关工作，具体意见如下：……", "contact_person": "刘干事"}
RATE_OK = {"satisfaction": "satisfied", "disclosure_consent": True, "assist_ratings": {}, "rate_comment": "办理认真。"}
FOLLOWUP = {"followup_plan": "分两期实施，年内完成第一期。", "followup_responsible": "规划科 赵科长",
            "followup_deadline": "2027-06-30"}
PROGRESS = {"report_date": "2026-09-30", "report_progress": "第一期已完成选址和设计。", "report_done": False}


def on_day(days: int = 0) -> str:
    """The date `days` after today on the engine's clock, ISO (form dates must be current)."""
    return (clock.now().astimezone(clock.CHINA).date() + timedelta(days=days)).isoformat()


def plan(days: int = 14) -> dict[str, Any]:
    """A handling plan finishing `days` from today (never in the past, before the reply deadline)."""
    return {**PLAN_TEXT, "plan_finish_date": on_day(days)}


def consult(**changes: Any) -> dict[str, Any]:
    """A consultation record of today (never in the future)."""
    return {"contact_date": on_day(), **CONSULT_TEXT, **changes}


def reply(klass: str, text: str = "经研究，答复如下：……") -> dict[str, Any]:
    """Reply-draft form data of class `klass`."""
    return {"reply_class": klass, "reply_text": text, "adopted_points": "已采纳第一、二条建议。",
            "not_adopted_reasons": "", "involves_funds": False}


def rating(code: str, comment: str = "办理认真。") -> dict[str, Any]:
    """Rating form data with satisfaction `code`."""
    return {**RATE_OK, "satisfaction": code, "rate_comment": comment}


def load_story(runtime: Runtime) -> list[dict[str, Any]]:
    """The region's demo.yaml, checked against its profile (DefinitionError naming file, entry and field)."""
    region = runtime.region
    path = Path(runtime.settings.region_dir) / DEMO_FILE
    if not path.is_file():
        raise DefinitionError([{"file": f"regions/{path.parent.name}/{DEMO_FILE}", "element": None,
                                "message": "这个地区没有演示数据文件（可复制 regions/default/demo.yaml 后修改）"}])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise DefinitionError([{"file": DEMO_FILE, "element": None, "message": f"YAML 格式错误：{err}"}]) from None
    entries = raw.get("proposals") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DefinitionError([{"file": DEMO_FILE, "element": "proposals", "message": "应列出演示提案（proposals:）"}])
    problems = []
    for n, entry in enumerate(entries):
        problems += [{"file": DEMO_FILE, "element": f"proposals/{n}/{key}" if key else f"proposals/{n}",
                      "message": message} for key, message in _entry_problems(region, entry)]
    if problems:
        raise DefinitionError(problems)
    return entries


def _entry_problems(region: Region, entry: object) -> list[tuple[str | None, str]]:
    """[(key or None, message)] of one demo.yaml entry checked against the region's profile."""
    if not isinstance(entry, dict):
        return [(None, "应为一个对象（stage、title、proposer、category …）")]
    problems: list[tuple[str | None, str]] = [(key, f"不认识的项（可用：{', '.join(sorted(_KEYS))}）")
                                              for key in sorted(set(entry) - _KEYS)]
    if entry.get("stage") not in STAGES:
        return [*problems, ("stage", f"阶段“{entry.get('stage')}”无效，可选：{', '.join(STAGES)}")]
    problems += [(key, f"阶段 {entry['stage']} 需要写明 {key}")
                 for key in ("title", "proposer", "category", *_NEEDS.get(entry["stage"], ())) if not entry.get(key)]
    return problems + _people_problems(region, entry) + _code_problems(region, entry)


def _people_problems(region: Region, entry: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The entry's proposer, co-signers, units and supervising leader, checked."""
    problems: list[tuple[str | None, str]] = []
    if entry.get("proposer") and entry["proposer"] not in PROPOSERS:
        problems.append(("proposer", f"提案者应为演示委员账号之一：{', '.join(PROPOSERS)}"))
    problems += [("cosigners", f"联名人“{other}”应为提案者以外的演示委员账号") for other in entry.get("cosigners") or []
                 if other not in PROPOSERS or other == entry.get("proposer")]
    units = {u["id"] for u in region.units}
    for key in ("lead", "leads", "assists"):
        value = entry.get(key)
        problems += [(key, f"单位“{unit}”不在本地区的单位名录中")
                     for unit in ([value] if isinstance(value, str) else value or []) if unit not in units]
    if entry.get("leader") and entry["leader"] not in {x["username"] for x in region.leaders}:
        problems.append(("leader", f"督办领导“{entry['leader']}”不在 region.yaml 的 leaders 中"))
    return problems


def _code_problems(region: Region, entry: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The entry's category, reply class and rating, checked against the region's lists."""
    lists = {"category": set(region.codes("categories")), "reply_class": set(region.codes("reply_classes")),
             "rating": set(region.codes("satisfaction_scale"))}
    return [(key, f"“{entry[key]}”不在本地区的列表中（可选：{', '.join(sorted(codes))}）")
            for key, codes in lists.items() if entry.get(key) is not None and entry[key] not in codes]


def load_demo(database: Database, runtime: Runtime) -> list[int]:
    """Seed people, then walk each proposal of the region's demo.yaml to its stage; return the proposal ids."""
    story = load_story(runtime)
    with UnitOfWork(database) as uow:
        seed_people(uow.session, runtime)
        mark_demo(uow.session)  # `cppcc run-timers --at` may move this database's clock
        uow.commit()
    return [_walk(database, runtime, entry) for entry in story]


def _walk(database: Database, runtime: Runtime, entry: dict[str, Any]) -> int:
    region = runtime.region
    stage, category = entry["stage"], entry["category"]
    klass = entry.get("reply_class") or region.codes("reply_classes")[0]
    rated = entry.get("rating") or region.codes("satisfaction_scale")[0]
    pid = submit(database, runtime, entry["proposer"], entry["title"], category,
                 f"{entry['title']}。近年来群众反映较多，现状和问题分析如下：……", "一是……；二是……；三是……。",
                 entry.get("cosigners") or (), entry.get("source") or "ordinary")
    a = functools.partial(act, database, runtime, proposal_id=pid)
    anyone = functools.partial(act_as_anyone, database, runtime, proposal_id=pid)

    if stage == "cosigning":
        return pid
    for cosigner in entry.get("cosigners") or ():
        a(cosigner, "cosigner_confirm", {"agree": True, "comment": "同意联名"})
    if stage == "review":
        return pid
    if stage == "not_filed":
        a("tawei_li", "review", {"review_decision": "not_file", "category": category, "review_reason": entry["reason"]})
        return pid
    a("tawei_li", "review", {**FILE, "category": category})
    if stage == "assignment":
        return pid
    leads = entry.get("leads") or [entry["lead"]]
    assists = entry.get("assists") or []
    mode = "separate" if stage == "separate" else "joint" if assists else "single"
    a("tawei_li", "assign", {"assign_mode": mode, "lead_unit_ids": leads, "assisting_unit_ids": assists,
                             "is_key": stage == "key", **({"supervising_leader": entry["leader"]} if stage == "key" else {})})
    if stage in ("accepting", "separate"):
        return pid
    lead = leads[0]
    a(f"{lead}_clerk", "accept", ACCEPT)
    a(f"{lead}_clerk", "plan_draft", plan())
    a(f"{lead}_head", "plan_approve", APPROVE)
    if stage == "joint":
        a(f"{assists[0]}_clerk", "assist_opinion", OPINION)
        return pid
    for _ in range(MAX_CONSULTATIONS):  # as many contacts as the region's minimum asks
        if "consultation" not in open_task_names(database, pid):
            break
        a(f"{lead}_clerk", "consultation", consult())
    a(f"{lead}_clerk", "reply_draft", reply(klass))
    a(f"{lead}_head", "head_approve", APPROVE)
    if stage == "key":
        return pid  # waiting for the leaders the approval chain names
    for _ in range(5):  # whatever the region's approval chain asks, in turn
        waiting = [t for t in open_task_names(database, pid) if t in ("gov_review", "deputy_approve")]
        if not waiting:
            break
        anyone(waiting[0], APPROVE)
    a("dcs_zhou", "supervise_review", {"final_class": klass, "approved": True})
    if stage == "feedback":
        return pid
    a(entry["proposer"], "rate_reply", rating(rated))
    if stage == "follow_up":
        a(f"{lead}_clerk", "followup_plan", FOLLOWUP)
        a(f"{lead}_clerk", "progress_report", PROGRESS)
    return pid
