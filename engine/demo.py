"""Demo data: the committee, the government office, a dozen handling units with
heads and clerks, leaders, proposers, and proposals standing at every stage.

Every demo account has the password `demo123`.
"""
from sqlalchemy import select

from . import cases, permissions
from .db import Database, UnitOfWork
from .directory import add_user, sync_units
from .errors import NotFound
from .models import OpenTask, User
from .runtime import Runtime

DEMO_PASSWORD = "demo123"

PEOPLE = [
    ("tawei_li", "李明（提案委）", ["committee"], None),
    ("tawei_xu", "徐静（提案委）", ["committee"], None),
    ("zfb_wang", "王芳（政府办）", ["gov_office"], None),
    ("dcs_zhou", "周强（督查室）", ["supervisor"], None),
    ("deputy_zhao", "赵建国（副区长）", ["deputy_head"], None),
    ("deputy_qian", "钱卫东（副区长）", ["deputy_head"], None),
    ("deputy_sun", "孙丽华（副区长）", ["deputy_head"], None),
    ("wy_chen", "陈思远（委员）", ["proposer"], None),
    ("wy_lin", "林晓梅（委员）", ["proposer"], None),
    ("wy_huang", "黄志刚（委员）", ["proposer"], None),
    ("wy_zhang", "张秀兰（委员）", ["proposer"], None),
]
SURNAMES = "刘杨吴郑冯蒋沈韩朱秦许何吕施"


def seed_people(session, runtime: Runtime) -> int:
    """Create the unit directory and every demo account; return accounts made."""
    sync_units(session, runtime.region)
    accounts = [*PEOPLE]
    for i, unit in enumerate(runtime.region.units):
        surname = SURNAMES[i % len(SURNAMES)]
        accounts.append((f"{unit['id']}_head", f"{surname}主任（{unit['name']}）", ["unit_head"], unit["id"]))
        accounts.append((f"{unit['id']}_clerk", f"{surname}干事（{unit['name']}）", ["unit_clerk"], unit["id"]))
    for n, (username, name, roles, unit) in enumerate(accounts):
        add_user(session, username, name, DEMO_PASSWORD, roles, unit,
                 email=f"{username}@demo.cppcc.local", phone=f"1390000{n:04d}")
    return len(accounts)


def act(database: Database, runtime: Runtime, username: str, task_name: str, data: dict, proposal_id: int) -> dict:
    """Complete the open task `task_name` of a proposal as `username` (demo and tests)."""
    with UnitOfWork(database) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        rows = uow.session.scalars(select(OpenTask).where(
            OpenTask.proposal_id == proposal_id, OpenTask.name == task_name).order_by(OpenTask.created_at))
        row = next((r for r in rows if permissions.may_do(user, r)), None)
        if row is None:
            raise NotFound(f"{username} 没有提案 {proposal_id} 的待办任务 {task_name}")
        return cases.complete_task(uow, runtime, user, row.id, data)


def submit(database, runtime, username, title, category, body, suggestions, cosigners=()):
    """Submit a proposal as `username`; return its id."""
    with UnitOfWork(database) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        proposal = cases.submit_proposal(uow, runtime, user, {
            "title": title, "category": category, "body": body, "suggestions": suggestions,
            "cosigners": list(cosigners)})
        return proposal.id


# Form data used to move demo proposals along.
FILE = {"review_decision": "file", "category": "urban"}
ACCEPT = {"accept_decision": "accept"}
PLAN = {"plan_content": "成立专班，分三步推进：调研、方案论证、组织实施。", "plan_responsible": "综合科 王科长",
        "plan_finish_date": "2027-03-31"}
APPROVE = {"approved": True, "approve_comment": "同意"}
CONSULT = {"contact_date": "2026-04-10", "contact_way": "meeting", "contact_people": "提案者、承办单位分管领导、经办人",
           "contact_content": "面商办理方案，听取提案者意见。", "proposer_view": "认可办理方案。", "more_contacts": False}
OPINION = {"opinion_text": "本单位将配合做好相关工作，具体意见如下：……", "contact_person": "刘干事"}
RATE_OK = {"satisfaction": "satisfied", "disclosure_consent": True, "assist_ratings": {}, "rate_comment": "办理认真。"}


def reply(klass, text="经研究，答复如下：……"):
    """Reply-draft form data of class `klass`."""
    return {"reply_class": klass, "reply_text": text, "adopted_points": "已采纳第一、二条建议。",
            "not_adopted_reasons": "", "involves_funds": False}


def load_demo(database: Database, runtime: Runtime) -> list[int]:
    """Seed people and proposals at every stage; return the proposal ids."""
    with UnitOfWork(database) as uow:
        seed_people(uow.session, runtime)
        uow.commit()
    a = lambda who, task, data, pid: act(database, runtime, who, task, data, pid)  # noqa: E731
    ids = []

    def new(who, title, category, cosigners=()):
        pid = submit(database, runtime, who, title, category,
                     f"{title}。近年来群众反映较多，现状和问题分析如下：……", "一是……；二是……；三是……。", cosigners)
        ids.append(pid)
        return pid

    def filed_and_assigned(pid, mode="single", leads=("jtw",), assists=(), key=False, category="urban"):
        a("tawei_li", "review", {**FILE, "category": category}, pid)
        a("tawei_li", "assign", {"assign_mode": mode, "lead_unit_ids": list(leads),
                                 "assisting_unit_ids": list(assists), "is_key": key,
                                 **({"supervising_leader": "deputy_qian"} if key else {})}, pid)

    def handled(pid, unit, assists=()):
        a(f"{unit}_clerk", "accept", ACCEPT, pid)
        a(f"{unit}_clerk", "plan_draft", PLAN, pid)
        a(f"{unit}_head", "plan_approve", APPROVE, pid)
        a(f"{unit}_clerk", "consultation", CONSULT, pid)
        for other in assists:
            a(f"{other}_clerk", "assist_opinion", OPINION, pid)

    def replied(pid, unit, klass, assists=(), key=False):
        a(f"{unit}_clerk", "reply_draft", reply(klass), pid)
        for other in assists:
            a(f"{other}_head", "cosign_reply", {"agree": True}, pid)
        a(f"{unit}_head", "head_approve", APPROVE, pid)
        if key:
            a("zfb_wang", "gov_review", APPROVE, pid)
        if key or klass == "C":
            deputy = "deputy_qian" if key else next(u["deputy"] for u in runtime.region.units if u["id"] == unit)
            a(deputy, "deputy_approve", APPROVE, pid)
        a("dcs_zhou", "supervise_review", {"final_class": klass, "approved": True}, pid)

    # 1. waiting for a co-signer to confirm
    new("wy_chen", "关于推进老旧小区加装电梯的建议", "urban", cosigners=["wy_lin"])
    # 2. waiting for review
    new("wy_lin", "关于加强中小学生心理健康教育的建议", "culture")
    # 3. filed, waiting for assignment
    pid = new("wy_huang", "关于优化营商环境支持民营企业发展的建议", "economy")
    a("tawei_li", "review", {**FILE, "category": "economy"}, pid)
    # 4. assigned, waiting for the unit to accept
    pid = new("wy_zhang", "关于缓解学校周边交通拥堵的建议", "urban")
    filed_and_assigned(pid)
    # 5. joint handling under way: consultation and assisting opinions
    pid = new("wy_chen", "关于建设社区嵌入式养老服务设施的建议", "social", cosigners=["wy_zhang"])
    a("wy_zhang", "cosigner_confirm", {"agree": True, "comment": "同意联名"}, pid)
    filed_and_assigned(pid, "joint", ("mzj",), ("wjw", "ghzy"), category="social")
    a("mzj_clerk", "accept", ACCEPT, pid)
    a("mzj_clerk", "plan_draft", PLAN, pid)
    a("mzj_head", "plan_approve", APPROVE, pid)
    a("wjw_clerk", "assist_opinion", OPINION, pid)
    # 6. key proposal, reply waiting for the government office
    pid = new("wy_lin", "关于加快推进垃圾分类收运体系建设的重点提案", "urban")
    filed_and_assigned(pid, leads=("lhsr",), key=True)
    handled(pid, "lhsr")
    a("lhsr_clerk", "reply_draft", reply("A"), pid)
    a("lhsr_head", "head_approve", APPROVE, pid)
    # 7. replied, waiting for the proposer's rating
    pid = new("wy_huang", "关于完善科技型中小企业融资支持的建议", "economy")
    filed_and_assigned(pid, leads=("kw",), category="economy")
    handled(pid, "kw")
    replied(pid, "kw", "A")
    # 8. class B in follow-up
    pid = new("wy_zhang", "关于增设新能源汽车公共充电桩的建议", "urban")
    filed_and_assigned(pid, leads=("jsgl",))
    handled(pid, "jsgl")
    replied(pid, "jsgl", "B")
    a("wy_zhang", "rate_reply", RATE_OK, pid)
    a("jsgl_clerk", "followup_plan", {"followup_plan": "2027 年上半年完成 20 处充电站点建设。",
                                      "followup_responsible": "基建科 赵科长", "followup_deadline": "2027-06-30"}, pid)
    a("jsgl_clerk", "progress_report", {"report_date": "2026-09-30", "report_progress": "已完成选址 12 处。",
                                        "report_done": False}, pid)
    # 9. closed with class A
    pid = new("wy_chen", "关于规范校外培训机构管理的建议", "culture")
    filed_and_assigned(pid, leads=("jyj",), category="culture")
    handled(pid, "jyj")
    replied(pid, "jyj", "A")
    a("wy_chen", "rate_reply", RATE_OK, pid)
    # 10. separate leads, each replying on its own
    pid = new("wy_lin", "关于加强河道综合治理的建议", "urban")
    filed_and_assigned(pid, "separate", ("sthj", "jsgl"))
    # 11. not filed
    pid = new("wy_huang", "关于调整个人所得税起征点的建议", "economy")
    a("tawei_li", "review", {"review_decision": "not_file", "category": "economy",
                             "review_reason": "属于国家立法权限，不属于本区职权范围，建议通过其他渠道反映。"}, pid)
    return ids
