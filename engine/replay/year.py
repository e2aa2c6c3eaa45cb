"""A generated year of proposals for replay, drawn from published figures of
proposal handling (the shares below), reproducible from a seed.

Per case: plenary (80 %, submitted in the plenary week: five working days
from the first working day on or after 8 January) or ordinary (any working
day from then to 30 November); co-signers (none 70 %, one 20 %, two 7 %,
three 3 %); the review (filed 90 %, not filed 5 %, merged 3 %, turned into an
opinion 2 %); a key proposal 20 %; single lead 70 %, lead plus one or two
assisting units 22 %, two separate leads 8 %; contacts with the proposer (1,
2 or 3: 50 / 35 / 15 %); a reply involving funds 8 %; follow-up reports (1, 2
or 3); and one quantile each for the category, the units and the reply
class. Per task, drawn when it is reached (keyed by case, task, unit or person
and occurrence, so both versions get the same draw): a unit returns the
proposal 5 % (once per case), an approval is refused 5 % (unit head) or 3 %
(others) the first time, a co-signature or closing refused 3 % / 5 % the
first time, each rating a satisfaction quantile, and the working days the
handler takes: a median by role and stage (below), spread log-normally
(sigma 0.45), and 7 % of steps late: two to three and a half times longer.
"""
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.model import clock
from engine.profile.forms import FormCatalog
from engine.profile.region import Region
from engine.replay.answers import Answer, TaskView, pick, region_list
from engine.rules.workcal import WorkCalendar

PLENARY_SHARE, KEY_SHARE, FUNDS_SHARE, RETURN_SHARE, LATE_SHARE = 0.8, 0.2, 0.08, 0.05, 0.07
REVIEW = (("file", 90), ("not_file", 5), ("merge", 3), ("opinion", 2))
MODES = (("single", 70), ("joint", 22), ("separate", 8))
COSIGNERS = ((0, 70), (1, 20), (2, 7), (3, 3))
CONTACTS = ((1, 50), (2, 35), (3, 15))
REPORTS = ((1, 40), (2, 40), (3, 20))
REFUSE = {"unit_head": 0.05}
REFUSE_OTHERS = 0.03
MEMBERS = 240  # proposers wy001 … wy240
# Median working days a handler takes, by (role, stage) of the task, else by role.
STAGE_DAYS: dict[tuple[str, str | None], int] = {("proposer", "cosigning"): 2, ("committee", "review"): 3, ("committee", "assignment"): 4,
              ("unit_clerk", "accepting"): 2, ("unit_clerk", "handling"): 3, ("unit_head", "handling"): 1,
              ("unit_clerk", "replying"): 12, ("unit_head", "replying"): 2, ("proposer", "feedback"): 6,
              ("unit_clerk", "rehandling"): 10, ("committee", "rehandling"): 10, ("unit_clerk", "follow_up"): 15,
              ("committee", "follow_up"): 4}
ROLE_DAYS = {"gov_office": 3, "deputy_head": 3, "supervisor": 2, "committee": 4, "unit_head": 2, "unit_clerk": 6,
             "proposer": 5}
TOPICS = ("加强停车管理", "推进老旧小区加装电梯", "完善社区养老服务", "优化营商环境", "加强中小学生心理健康教育",
          "缓解学校周边交通拥堵", "推进生活垃圾分类", "增设新能源汽车充电桩", "加强河道综合治理", "规范校外培训机构",
          "支持科技型中小企业融资", "提升基层医疗服务能力", "保护历史文化街区", "发展乡村特色产业", "完善公共文化设施",
          "加强食品安全监管", "推进智慧城市建设", "改善农村人居环境", "促进高校毕业生就业", "加强公园绿地建设")
TEXT = "经研究，现答复如下：……"


@dataclass
class GeneratedCase:
    """One generated proposal: what it is and the draws that decide its answers."""

    id: str
    proposal_id: int
    seed: str
    title: str
    source: str
    submitted_at: datetime
    proposer: str
    cosigners: list
    draws: dict = field(default_factory=dict)
    running: bool = False  # a generated case is always played to its end
    horizon: datetime | None = None
    source_region: Region | None = None  # answers are drawn in each side's own region

    def submission(self, region: Region) -> dict:
        """The submission form data in `region` (its category drawn from the region's list)."""
        codes, _, shares = region_list(region, "categories")
        return {"title": self.title, "category": pick(self.draws["category_q"], codes, shares), "source": self.source,
                "body": f"{self.title}。近年来群众反映较多，现状和问题分析如下：……", "suggestions": "一是……；二是……；三是……。",
                "cosigners": list(self.cosigners)}

    def answers(self, forms: FormCatalog, known: set) -> "GeneratedAnswers":
        """A fresh source of this case's answers for one run (`known`: task names the case answers)."""
        return GeneratedAnswers(self, forms.region, known)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "source": self.source, "submitted_at": self.submitted_at.isoformat(),
                "proposer": self.proposer, "cosigners": self.cosigners, "draws": self.draws}


def generate_year(region: Region, n: int, year: int, seed: int | str | None) -> list[GeneratedCase]:
    """`n` proposals of `year`, the same for the same seed (dates by `region`'s working days)."""
    calendar = WorkCalendar.for_region(region)
    start = calendar.add_working_days(date(year, 1, 8), 0)
    plenary = [calendar.add_working_days(start, i) for i in range(5)]
    ordinary, day = [], plenary[-1] + timedelta(days=1)
    while day <= date(year, 11, 30):
        if calendar.is_workday(day):
            ordinary.append(day)
        day += timedelta(days=1)
    cases = []
    for i in range(n):
        rng = random.Random(f"{seed}|year|{year}|{i}")
        source = "plenary" if rng.random() < PLENARY_SHARE else "ordinary"
        day = rng.choice(plenary if source == "plenary" else ordinary)
        at = datetime.combine(day, time(9), clock.CHINA) + timedelta(minutes=rng.randrange(480))
        proposer = rng.randrange(MEMBERS)
        others = [m for m in rng.sample(range(MEMBERS), 4) if m != proposer][:_weighted(rng, COSIGNERS)]
        mode = _weighted(rng, MODES)
        units = {"single": 1, "separate": 2, "joint": 1 + rng.choice((1, 1, 2))}[mode]
        draws = {"category_q": rng.random(), "review": _weighted(rng, REVIEW), "mode": mode,
                 "unit_qs": [rng.random() for _ in range(units)], "key": rng.random() < KEY_SHARE,
                 "class_q": rng.random(), "funds": rng.random() < FUNDS_SHARE, "contacts": _weighted(rng, CONTACTS),
                 "reports": _weighted(rng, REPORTS)}
        cases.append(GeneratedCase(id=f"{year}-{i + 1:04d}", proposal_id=i + 1, seed=f"{seed}|{year}|{i}",
                                   title=f"关于{rng.choice(TOPICS)}的建议", source=source, submitted_at=at,
                                   proposer=f"wy{proposer + 1:03d}", cosigners=[f"wy{m + 1:03d}" for m in others],
                                   draws=draws))
    return sorted(cases, key=lambda c: (c.submitted_at, c.id))


def handler_days(rng: random.Random, role: str, stage: str | None) -> int:
    """Working days a handler takes for a task of `role` at `stage` (module docstring)."""
    days = STAGE_DAYS.get((role, stage), ROLE_DAYS.get(role, 5)) * math.exp(rng.gauss(0, 0.45))
    if rng.random() < LATE_SHARE:
        days *= rng.uniform(2.0, 3.5)
    return max(0, round(days))


def median_days(role: str, stage: str | None) -> int:
    """The median working days for a task of `role` at `stage` (for invented answers)."""
    return STAGE_DAYS.get((role, stage), ROLE_DAYS.get(role, 5))


class GeneratedAnswers:
    """Answers of one generated case in one run, made per form from its draws."""

    def __init__(self, case: GeneratedCase, region: Region, known: set) -> None:
        self.case, self.region, self.known = case, region, known
        self.state: dict = {}
        # a unit's place in the case (1st drawn unit, 2nd, ...) keys its draws: the same in any region
        self.slots = {unit: f"u{i}" for i, unit in enumerate(draw_units(region, case.draws["unit_qs"]))}

    def take(self, view: TaskView) -> Answer | None:
        """The answer to a ready task, or None when the case has none (a task it does not know)."""
        maker = FORM_ANSWERS.get(view.form)
        if maker is None or view.name not in self.known:
            return None
        who = self.slots.get(view.unit, view.unit) if view.unit else view.assignee if view.role == "proposer" else view.role
        rng = random.Random(f"{self.case.seed}|{view.name}|{who}|{view.occurrence}")
        days, minute = handler_days(rng, view.role, view.stage), rng.randrange(480)
        return Answer(build=lambda at: maker(_Draw(self, view, rng, at)), days=days, minute=minute,
                      actor=view.assignee or view.who)

    def waits(self, view: TaskView) -> bool:
        """A generated case never leaves a task waiting."""
        return False


class _Draw:
    """What a form's answer maker may use: the case's draws, the task, its random draws, the day."""

    def __init__(self, source: GeneratedAnswers, view: TaskView, rng: random.Random, at: datetime) -> None:
        self.source, self.d, self.region, self.state, self.view, self.rng, self.at = (
            source, source.case.draws, source.region, source.state, view, rng, at)

    def day(self, plus: int = 0) -> str:
        """The day of the answer (plus `plus` days), ISO."""
        return (self.at.astimezone(clock.CHINA).date() + timedelta(days=plus)).isoformat()

    def coded(self, key: str, q: float) -> str:
        """The code of the region list `key` for quantile q."""
        codes, _, shares = region_list(self.region, key)
        return pick(q, codes, shares)

    def units(self, qs: Iterable[float], exclude: Iterable = ()) -> list:
        """Distinct units of the region for quantiles `qs`."""
        return draw_units(self.region, qs, exclude)

    def deputy(self, unit: str) -> str | None:
        """The deputy head in charge of `unit` (else any deputy of the directory)."""
        found = [u.get("deputy") for u in self.region.units if u["id"] == unit and u.get("deputy")]
        return found[0] if found else next((u["deputy"] for u in self.region.units if u.get("deputy")), None)

    def first(self) -> bool:
        """Whether the task is reached for the first time in the case."""
        return self.view.occurrence == 1

    def chance(self, share: float) -> bool:
        """True with probability `share` (the task's own draw)."""
        return self.rng.random() < share


def _review(c: _Draw) -> dict:
    data = {"review_decision": c.d["review"], "category": c.coded("categories", c.d["category_q"])}
    if c.d["review"] in ("not_file", "opinion"):
        data["review_reason"] = "所提问题不属于本级职权范围，建议通过其他渠道反映。"
    if c.d["review"] == "merge":
        data["merge_into"], data["merge_into_id"] = "内容相近的提案", 1  # replay has no other proposal to point at
    return data


def _assign(c: _Draw) -> dict:
    units = c.units(c.d["unit_qs"])
    leads = units[:2] if c.d["mode"] == "separate" else units[:1]
    data = {"assign_mode": c.d["mode"], "lead_unit_ids": leads,
            "assisting_unit_ids": units[1:] if c.d["mode"] == "joint" else [], "is_key": c.d["key"]}
    leader = c.deputy(leads[0]) if c.d["key"] and leads else None
    if leader:
        data["supervising_leader"] = leader
    data["is_key"] = bool(leader)
    return data


def _accept(c: _Draw) -> dict:
    if c.first() and not c.state.get("returned") and c.chance(RETURN_SHARE):
        c.state["returned"] = True
        return {"accept_decision": "return", "return_reason": "该提案所提事项不属于本单位职责范围。"}
    return {"accept_decision": "accept"}


def _reassign(c: _Draw) -> dict:
    taken = [c.view.data.get("lead_unit"), *(c.view.data.get("assisting_units") or {})]
    new = c.units([c.rng.random()], exclude=[u for u in taken if u])
    if new:
        c.source.slots.setdefault(new[0], f"r{len(c.source.slots)}")
    return {"new_lead_unit": new[0] if new else c.view.data.get("lead_unit"), "reassign_note": "按职能改办"}


def _approve(c: _Draw) -> dict:
    if c.first() and c.chance(REFUSE.get(c.view.role, REFUSE_OTHERS)):
        return {"approved": False, "approve_comment": "请补充完善后重新报送。"}
    return {"approved": True, "approve_comment": "同意。"}


def _consultation(c: _Draw) -> dict:
    way = c.rng.choices(("phone", "meeting", "visit", "online", "inspection"), (30, 35, 15, 10, 10))[0]
    return {"contact_date": c.day(), "contact_way": way, "contact_people": "提案者、承办单位分管领导、经办人",
            "contact_content": "沟通办理思路和进展，听取提案者意见。", "proposer_view": "认可办理工作。",
            "more_contacts": c.view.occurrence < c.d["contacts"]}


def _reply(c: _Draw) -> dict:
    return {"reply_class": c.coded("reply_classes", c.d["class_q"]), "reply_text": TEXT,
            "adopted_points": "已采纳主要建议。", "involves_funds": c.d["funds"]}


def _supervise(c: _Draw) -> dict:
    codes = region_list(c.region, "reply_classes")[0]
    current = c.view.data.get("reply_class")
    data = {"final_class": current if current in codes else c.coded("reply_classes", c.d["class_q"]), "approved": True}
    if c.first() and c.chance(REFUSE_OTHERS):
        data.update(approved=False, approve_comment="答复类别与内容不符，请修改。")
    return data


def _rate(c: _Draw) -> dict:
    satisfaction = c.coded("satisfaction_scale", c.rng.random())
    units = region_list(c.region, "units")[0]
    rated = {u: satisfaction for u in (c.view.data.get("assisting_units") or {}) if u in units}
    return {"satisfaction": satisfaction, "assist_ratings": rated, "disclosure_consent": c.chance(0.9),
            "rate_comment": "办理认真。"}


def _agree(field: str, comment: str, share: float) -> Callable[[_Draw], dict]:
    def make(c: _Draw) -> dict:
        if c.first() and c.chance(share):
            return {field: False, comment: "有不同意见，请再研究。"}
        return {field: True}
    return make


FORM_ANSWERS = {
    "cosigner_confirm": lambda c: {"agree": not c.chance(0.05), "comment": ""},
    "review": _review, "assign": _assign, "accept": _accept, "reassign": _reassign,
    "plan_draft": lambda c: {"plan_content": "成立专班，调研论证后分步实施。", "plan_responsible": "办公室 王科长",
                             "plan_finish_date": c.day(14)},  # before the reply deadline (the form checks it)
    "approve": _approve, "consultation": _consultation,
    "assist_opinion": lambda c: {"opinion_text": "本单位将配合做好相关工作，意见如下：……", "contact_person": "协办联络员"},
    "reply_draft": _reply, "cosign": _agree("agree", "cosign_comment", 0.03), "supervise": _supervise, "rate": _rate,
    "second_handling": lambda c: {"rehandle_analysis": "重新研究提案者意见。", "rehandle_measures": "调整办理措施，再次面商。"},
    "mediate": lambda c: {"mediation_result": "提案委与政府办协调后形成办理意见。"},
    "followup_plan": lambda c: {"followup_plan": "按计划分阶段落实。", "followup_responsible": "办公室 王科长",
                                "followup_deadline": c.day(180)},
    "progress_report": lambda c: {"report_date": c.day(), "report_progress": "按计划推进。",
                                  "report_done": c.view.occurrence >= c.d["reports"]},
    "close_confirm": _agree("close_approved", "close_comment", 0.05),
    # a rating still missing once its window closed: the committee closes it as 未评价
    "close_unrated": lambda c: {"unrated_decision": "close", "unrated_note": "评价期满，按未评价办结。"},
}


def draw_units(region: Region, qs: Iterable[float], exclude: Iterable = ()) -> list:
    """Distinct units of `region`'s directory for quantiles `qs` (Zipf shares), leaving out `exclude`."""
    codes, _, shares = region_list(region, "units")
    chosen: list = []
    for q in qs:
        unit = pick(q, codes, shares, exclude=[*exclude, *chosen])
        if unit is not None:
            chosen.append(unit)
    return chosen


def _weighted(rng: random.Random, table: Iterable[tuple[Any, float]]) -> Any:
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]
