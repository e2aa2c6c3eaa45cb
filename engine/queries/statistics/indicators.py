"""The indicators of the committee's year, each defined once: a count (a flag of flags.py
summed over the handlings, or a proposal count) or a ratio of counts (numerator ÷
denominator). The 统计分析 page, the API, the Excel exports, the unit assessment and the
annual report all read them from here; docs/statistics.md explains each one.

A region renames an indicator with `statistics.labels` and adds ratios with
`statistics.extra` (numerator: counts added up; denominator: one count) in region.yaml.
"""
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, literal

from engine.profile import catalogue
from engine.profile.region import Region
from engine.queries.statistics import flags as f

# the deadline kinds of the overdue report, in the catalogue's words (processes/catalogue.json)
OVERDUE_KINDS = {code: "超期" + catalogue.base().label("deadline_kinds", code)
                 for code in catalogue.base().codes("deadline_kinds", report=True)}
FACE_TO_FACE = ("meeting", "visit", "inspection")


@dataclass(frozen=True)
class Count:
    """A count: code, label, what it counts, and the SQL (a flag over a handling, or over a proposal)."""

    code: str
    label: str
    meaning: str
    level: str  # "proposal" (each proposal once) | "handling" (each lead's handling) | "assist" | "sum"
    expression: ColumnElement[Any]  # a flag (bool); for level "sum" a number (a scalar subquery)


@dataclass(frozen=True)
class Ratio:
    """numerator (counts added up) ÷ denominator (a count), as a percentage unless `average`."""

    code: str
    label: str
    numerator: tuple
    denominator: str
    meaning: str = ""
    average: bool = False  # a mean (e.g. contacts per handling), not a percentage


class Indicators:
    """The counts and ratios of one region (its classes, scale, face-to-face ways, labels)."""

    def __init__(self, region: Region) -> None:
        self.region = region
        config = region.raw.get("statistics") or {}
        scale = region.codes("satisfaction_scale")
        unrated = region.unrated["code"]
        worst = region.setting("rating_counts") == "worst"
        self.face_to_face = tuple(config.get("face_to_face", FACE_TO_FACE))
        self.satisfied = tuple(config.get("satisfied", scale[:1]))
        self.acceptable = tuple(config.get("acceptable", scale[:2]))
        renamed = config.get("labels") or {}
        classes, ratings = region.labels("reply_classes"), region.labels("satisfaction_scale")
        sat_names = "、".join(ratings[c] for c in self.satisfied if c in ratings)
        ok_names = "、".join(ratings[c] for c in self.acceptable if c in ratings)
        counts = [
            Count("submitted", "收到提案", "提交的提案（含未立案、并案、转为意见的）", "proposal", literal(True)),
            Count("filed", "立案", "审查后立案、编了案号的提案", "proposal", f.filed()),
            Count("not_filed", "不予立案", "审查决定不立案的提案", "proposal", f.P.status == "not_filed"),
            Count("merged", "并案", "并入其他提案的提案", "proposal", f.P.status == "merged"),
            Count("converted", "转为意见", "转为社情民意等意见的提案", "proposal", f.P.status == "converted"),
            Count("reviewing", "待审查", "尚未作出审查结论的提案", "proposal",
                  f.P.number.is_(None) & f.P.status.not_in(f.FILED_STATUSES_OUT)),
            Count("handlings", "应办件数", "立案提案的办理件数：每个主办单位一件（分别主办的提案按主办单位分别计；"
                  "尚未交办的计一件）", "handling", literal(True)),
            Count("assigned", "已交办", "已交办给主办单位的办理件", "handling", f.L.unit_id.is_not(None)),
            Count("replied", "已答复", "主办单位已正式答复提案者的办理件", "handling", f.replied()),
            Count("on_time", "按时答复", "在答复期限（含经批准的延期）内答复的办理件", "handling", f.on_time()),
            Count("replied_late", "超期答复", "答复期限（含延期）已过才答复的办理件", "handling", f.replied() & f.late_reply()),
            Count("closed", "已办结", "提案已办结的办理件", "handling", f.closed()),
            Count("met", "答复前见面", "答复前至少有一次面对面沟通（座谈、登门走访、实地察看等本地区计为见面的联系方式）的已答复件",
                  "handling", f.met(self.face_to_face)),
            Count("rated", "已评价", "提案者已对答复作出评价的办理件（未评价的不计）", "handling", f.rated(unrated)),
            Count("first_rated", "首次评价", "第一轮答复已评价的办理件", "handling", f.first_rated(scale, worst)),
            Count("second", "二次办理", "因不满意而二次办理的办理件", "handling", f.second_handled()),
            Count("key", "重点提案", "重点提案的办理件", "handling", f.key()),
            Count("satisfied", renamed.get("satisfied", "满意"), f"评价为{sat_names}的办理件（二次办理的按最终评价）",
                  "handling", f.satisfaction(self.satisfied)),
            Count("acceptable", renamed.get("acceptable", "满意和基本满意"), f"评价为{ok_names}的办理件",
                  "handling", f.satisfaction(self.acceptable)),
            Count("first_satisfied", "首次满意", f"第一轮答复即评价为{sat_names}的办理件", "handling",
                  f.first_satisfaction(scale, self.satisfied, worst)),
            Count("first_acceptable", "首次满意和基本满意", f"第一轮答复即评价为{ok_names}的办理件", "handling",
                  f.first_satisfaction(scale, self.acceptable, worst)),
            Count("contacts", "沟通次数", "主办单位记录的与提案者沟通协商次数之和", "sum", f.contacts()),
        ]
        counts += [Count(f"class:{code}", label, f"答复类别为{label}的办理件", "handling", f.reply_class(code))
                   for code, label in classes.items()]
        counts += [Count(f"sat:{code}", label, f"评价为“{label}”的办理件", "handling", f.satisfaction([code]))
                   for code, label in region.satisfaction_labels().items()]
        counts += [Count(f"first:{code}", f"首次{label}", f"第一轮答复评价为“{label}”的办理件", "handling",
                         f.first_satisfaction(scale, [code], worst)) for code, label in ratings.items()]
        counts += [Count(f"overdue:{kind}", label, f"有{label}记录的办理件", "handling", f.overdue(kind))
                   for kind, label in OVERDUE_KINDS.items()]
        counts += [
            Count("assist_parts", "协办件数", "作为协办单位参与办理的件数", "assist", literal(True)),
            Count("assist_opinions", "已提交协办意见", "协办单位已提交协办意见的件数", "assist", f.opinion_given()),
            Count("assist_on_time", "按时提交协办意见", "协办意见已提交且未超期的件数", "assist",
                  f.opinion_given() & ~f.opinion_late()),
            Count("assist_rated", "协办已评价", "提案者已评价该协办单位的件数", "assist", f.assist_rated(unrated)),
            Count("assist_acceptable", "协办满意和基本满意", f"提案者对协办单位评价为{ok_names}的件数", "assist",
                  f.A.satisfaction.in_(list(self.acceptable))),
        ]
        self.counts = {c.code: Count(c.code, renamed.get(c.code, c.label), c.meaning, c.level, c.expression)
                       for c in counts}
        ratios = [
            Ratio("filing_rate", "立案率", ("filed",), "submitted", "立案提案 ÷ 收到提案"),
            Ratio("reply_rate", "办复率", ("replied",), "handlings", "已答复 ÷ 应办件数"),
            Ratio("on_time_rate", "按时办复率", ("on_time",), "handlings", "按时答复 ÷ 应办件数（延期经批准的按延期后的期限）"),
            Ratio("close_rate", "办结率", ("closed",), "handlings", "已办结 ÷ 应办件数"),
            Ratio("meeting_rate", "见面率", ("met",), "replied", "答复前至少面对面沟通一次的件数 ÷ 已答复"),
            Ratio("contacts_avg", "平均沟通次数", ("contacts",), "assigned", "沟通协商次数之和 ÷ 已交办件数", average=True),
            Ratio("satisfied_rate", "满意率", ("satisfied",), "rated", f"评价为{sat_names}的 ÷ 已评价"),
            Ratio("acceptable_rate", "满意和基本满意率", ("acceptable",), "rated", f"评价为{ok_names}的 ÷ 已评价"),
            Ratio("first_satisfied_rate", "首次满意率", ("first_satisfied",), "first_rated", "第一轮即满意的 ÷ 第一轮已评价"),
            Ratio("first_acceptable_rate", "首次满意和基本满意率", ("first_acceptable",), "first_rated",
                  "第一轮即满意或基本满意的 ÷ 第一轮已评价"),
            Ratio("second_rate", "二次办理率", ("second",), "replied", "二次办理 ÷ 已答复"),
            Ratio("assist_on_time_rate", "协办意见按时率", ("assist_on_time",), "assist_parts", "按时提交协办意见 ÷ 协办件数"),
            Ratio("assist_acceptable_rate", "协办满意和基本满意率", ("assist_acceptable",), "assist_rated",
                  "对协办单位评价为满意或基本满意的 ÷ 已评价协办单位"),
        ]
        ratios += [Ratio(f"class_share:{code}", label, (f"class:{code}",), "replied", f"答复类别为{label}的 ÷ 已答复")
                   for code, label in classes.items()]
        ratios += [Ratio(f"sat_share:{code}", label, (f"sat:{code}",), "rated", f"评价为“{label}”的 ÷ 已评价")
                   for code, label in ratings.items()]
        unknown = sorted({c for x in config.get("extra") or [] for c in (*x["numerator"], x["denominator"])}
                         - set(self.counts))
        if unknown:
            raise ValueError(f"地区配置 {region.code} 的 statistics.extra 引用了不存在的计数：{', '.join(unknown)}")
        named = {code: c.label for code, c in self.counts.items()}
        ratios += [Ratio(x["code"], x["label"], tuple(x["numerator"]), x["denominator"],
                         x.get("meaning") or f"{'＋'.join(named[n] for n in x['numerator'])} ÷ {named[x['denominator']]}")
                   for x in config.get("extra") or []]
        self.ratios = {r.code: Ratio(r.code, renamed.get(r.code, r.label), r.numerator, r.denominator, r.meaning,
                                     r.average) for r in ratios}
        unknown = sorted({c for r in self.ratios.values() for c in (*r.numerator, r.denominator)} - set(self.counts))
        if unknown:
            raise ValueError(f"地区配置 {region.code} 的 statistics.extra 引用了不存在的计数：{', '.join(unknown)}")

    def of_level(self, level: str) -> dict[str, Count]:
        """The counts of one level (proposal, handling, assist, sum)."""
        return {code: c for code, c in self.counts.items() if c.level == level}

    def listable(self, code: str) -> bool:
        """Whether the proposals behind count `code` can be listed (every count but sums)."""
        return code in self.counts and self.counts[code].level != "sum"


_BUILT: dict = {}


def indicators_of(region: Region) -> "Indicators":
    """The region's indicators, built once per loaded profile (building them compiles their SQL)."""
    found = _BUILT.get(id(region))
    if found is None or found[0] is not region:
        found = _BUILT[id(region)] = (region, Indicators(region))
    return found[1]


def ratio_value(ratio: Ratio, counts: dict) -> float | None:
    """The ratio over `counts` (None when the denominator is 0): a percentage rounded to
    0.1, or the mean rounded to 0.01."""
    denominator = counts.get(ratio.denominator) or 0
    if not denominator:
        return None
    value = sum(counts.get(c) or 0 for c in ratio.numerator) / denominator
    return round(value, 2) if ratio.average else round(value * 100, 1)


def percent(part: int, whole: int) -> str:
    """"81%" as the report writes shares (whole percent; "—" of nothing)."""
    return f"{round(part * 100 / whole)}%" if whole else "—"
