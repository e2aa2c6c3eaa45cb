"""Generated plenary sessions (全会): many proposals on a dozen topics, some of them
written twice on purpose (the same concern in other words, as two members do),
for the batch-review and similarity benchmarks and tests.

`session_proposals(n, pairs, seed)` gives `n` proposals (dicts of the submission
form, plus "topic" and "twin_of": the index of the proposal a deliberate
near-duplicate restates, or None). The same seed gives the same session.
"""
import random
from typing import TypedDict

# topic: (category, remit-like subjects, sentences with {s}, suggestions with {s})
TOPICS = {
    "parking": ("urban", ["老旧小区停车", "医院周边停车", "学校门口接送停车", "商圈停车", "夜间路边停车"],
                ["{s}难的问题日益突出，车位缺口较大。", "{s}秩序混乱，占用消防通道的现象时有发生。",
                 "现有停车设施利用率不高，错时共享机制尚未建立。", "群众对{s}问题反映强烈，多次通过热线投诉。",
                 "部分路段违停严重，影响公交通行和行人安全。", "停车收费标准不统一，智慧停车平台覆盖不全。"],
                ["新建立体停车库，挖潜增加{s}泊位。", "推行机关企事业单位停车位错时共享。",
                 "建设全区统一的智慧停车信息平台。", "加强{s}的巡查执法和秩序管理。"]),
    "elderly": ("culture", ["社区居家养老", "老年助餐", "失能老人照护", "农村养老", "养老护理员队伍"],
                ["我区老龄化程度不断加深，{s}需求快速增长。", "{s}服务供给不足，专业化水平不高。",
                 "社区养老服务站点分布不均，部分站点运营困难。", "养老护理人员流失率高，待遇偏低。",
                 "子女工作繁忙，独居老人的日常照料缺少保障。", "{s}的资金投入机制尚不健全。"],
                ["加大{s}的财政补贴力度。", "推广社区嵌入式养老服务综合体。",
                 "建立护理员职业技能等级与薪酬挂钩机制。", "完善{s}的服务标准和监管评价。"]),
    "garbage": ("urban", ["生活垃圾分类", "厨余垃圾处理", "建筑垃圾管理", "垃圾分类投放点", "可回收物回收"],
                ["{s}工作推进以来取得一定成效，但居民参与度仍不稳定。", "部分小区{s}设施老化，异味扰民。",
                 "混装混运现象仍然存在，挫伤了居民分类的积极性。", "{s}的末端处理能力不足。",
                 "志愿者督导力量薄弱，宣传方式单一。", "物业企业履责不到位，考核机制缺失。"],
                ["优化{s}点位设置并实行定时定点。", "加强分类运输环节监管，杜绝混装混运。",
                 "建立{s}激励积分制度。", "将{s}纳入物业服务考核。"]),
    "education": ("culture", ["课后服务", "学前教育学位", "中小学心理健康", "校园周边安全", "教师减负"],
                  ["{s}的供需矛盾较为突出，家长反映集中。", "部分学校{s}的师资力量不足。",
                   "{s}的经费保障机制尚未建立。", "学生课业负担与{s}之间的平衡需要进一步研究。",
                   "城乡之间{s}的差距依然明显。", "社会力量参与{s}的渠道不畅。"],
                  ["扩大{s}的覆盖面，提高服务质量。", "加强{s}专业教师队伍建设。",
                   "建立{s}的多元经费保障机制。", "引入优质社会资源参与{s}。"]),
    "medical": ("culture", ["社区卫生服务中心", "家庭医生签约", "基层医疗人才", "急救站点布局", "医保异地结算"],
                ["{s}的服务能力与群众需求还有差距。", "{s}的人员编制紧张，待遇偏低。",
                 "群众看病仍然习惯去大医院，分级诊疗落实不够。", "{s}信息化水平不高，数据不能互通。",
                 "偏远片区{s}覆盖不足，服务半径过大。", "药品配备目录与上级医院衔接不畅。"],
                 ["加大对{s}的投入，改善设施条件。", "完善{s}的激励和考核机制。",
                  "推进医联体建设，促进优质资源下沉。", "加快{s}的信息平台互联互通。"]),
    "business": ("economy", ["中小企业融资", "营商环境", "民营企业减负", "个体工商户", "科技型企业"],
                 ["{s}方面仍存在不少堵点难点。", "{s}的政策知晓度不高，落地效果打折扣。",
                  "企业反映审批环节多、时间长。", "{s}的融资成本偏高，担保渠道有限。",
                  "涉企检查多头执法的问题依然存在。", "惠企政策兑现慢，申报材料繁琐。"],
                 ["建立{s}的政策直达快享机制。", "设立{s}专项扶持资金。",
                  "推行涉企检查综合查一次。", "优化{s}的审批流程，压缩办理时限。"]),
    "traffic": ("urban", ["公交线路", "交通拥堵", "慢行系统", "地铁接驳", "学校周边交通"],
                ["{s}问题在早晚高峰尤为突出。", "{s}的规划与居民出行需求不匹配。",
                 "部分路口信号配时不合理，通行效率低。", "{s}的配套设施建设滞后。",
                 "非机动车道被占用，骑行安全得不到保障。", "新建小区周边{s}覆盖不足。"],
                ["优化{s}的布局和运行组织。", "推进智能信号灯改造。",
                 "完善{s}的配套设施建设。", "加强{s}的综合治理。"]),
    "environment": ("urban", ["河道水质", "餐饮油烟", "施工噪音", "扬尘污染", "黑臭水体"],
                    ["{s}问题影响周边居民的生活质量。", "{s}的监管手段不足，执法力量薄弱。",
                     "群众多次投诉{s}问题，但反复出现。", "{s}的源头治理措施落实不到位。",
                     "相关部门职责交叉，存在推诿现象。", "{s}的在线监测设备覆盖不全。"],
                    ["建立{s}的长效治理机制。", "加大对{s}违法行为的处罚力度。",
                     "完善{s}在线监测网络。", "明确{s}治理的部门职责分工。"]),
    "employment": ("economy", ["高校毕业生就业", "灵活就业人员社保", "职业技能培训", "零工市场", "就业困难人员"],
                   ["{s}的压力持续加大。", "{s}的政策宣传不到位，群众获取信息难。",
                    "培训内容与市场需求脱节，针对性不强。", "{s}的服务平台功能单一。",
                    "用工需求与求职意愿之间存在结构性矛盾。", "{s}的权益保障存在短板。"],
                   ["搭建{s}的信息服务平台。", "开展订单式{s}。", "落实{s}的补贴政策。", "加强{s}的权益保障。"]),
    "agriculture": ("economy", ["乡村振兴", "农产品品牌", "农村人居环境", "高标准农田", "农村电商"],
                    ["{s}工作取得阶段性成效，但基础仍然薄弱。", "{s}的产业链条短，附加值低。",
                     "农村青壮年劳动力外流，人才缺乏。", "{s}的资金投入渠道单一。",
                     "部分村庄基础设施建设滞后。", "{s}的市场营销能力不足。"],
                    ["加大{s}的资金和政策支持。", "培育{s}的龙头企业和合作社。",
                     "引导人才返乡参与{s}。", "完善{s}的基础设施。"]),
    "property": ("urban", ["老旧小区改造", "加装电梯", "物业服务质量", "业主委员会", "房屋维修资金"],
                 ["{s}推进中遇到不少实际困难。", "{s}涉及居民意见难以统一。",
                  "部分物业企业服务质量不高，收费不透明。", "{s}的资金筹措渠道有限。",
                  "社区在{s}中的协调作用发挥不够。", "{s}的后续管理维护机制缺失。"],
                 ["完善{s}的居民协商机制。", "简化{s}的审批程序。",
                  "加强对物业服务企业的监督考核。", "拓宽{s}的资金来源。"]),
    "culture": ("culture", ["公共文化设施", "非遗保护", "全民健身场地", "社区图书馆", "历史文化街区"],
                ["{s}的利用率不高，开放时间与群众需求不匹配。", "{s}的经费投入不足。",
                 "{s}的专业人才匮乏。", "群众对{s}的知晓度不高。",
                 "部分{s}年久失修，存在安全隐患。", "数字化服务水平有待提升。"],
                ["延长{s}的开放时间。", "加大{s}的保护和投入力度。", "引入社会力量参与{s}的运营。",
                 "推进{s}的数字化建设。"]),
}
PLACES = ["东城街道", "西湖街道", "南门街道", "北关街道", "新河镇", "白沙镇", "青山街道", "临江街道", "开发区",
          "高新园区", "老城片区", "滨江片区", "桃源街道", "金桥镇", "梅林街道", "石门镇", "长乐街道", "和平街道",
          "城北片区", "城南片区"]
# sentences any proposal may carry, with its own place, numbers and people
GENERIC = ["据{place}居委会反映，近{n}年来相关投诉累计达{m}件。", "笔者走访了{n}户居民，其中{m}户表示困扰已久。",
           "{place}常住人口约{n}万人，配套服务明显滞后于人口增长。", "今年{n}月以来，区长热线共受理此类诉求{m}件。",
           "有居民在座谈会上直言，希望政府拿出切实可行的办法。", "这一情况在早晚时段和节假日期间尤为明显。",
           "相关部门虽已开展专项整治，但效果难以持续。", "兄弟城区已有成熟做法，值得我区学习借鉴。",
           "{place}地处城乡接合部，历史遗留问题较多。", "调查问卷显示，{n}%的受访者认为亟须改进。",
           "有关单位之间的协调机制尚不顺畅，存在多头管理。", "社区干部人手紧张，难以兼顾日常管理。",
           "财政投入有限，社会资本参与的积极性不高。", "群众对此期盼已久，社会关注度较高。",
           "去年区人大代表也提出过类似意见，但尚未根本解决。", "{place}的{m}个小区建成于上世纪{n}0年代。"]
VERBS = ["加强", "推进", "完善", "优化", "解决", "改善", "规范", "破解"]
OPENERS = ["近年来，", "据调研，", "目前，", "随着城市发展，", "从走访情况看，"]
SWAPS = [("问题", "难题"), ("加强", "强化"), ("部分", "一些"), ("不足", "欠缺"), ("建立", "健全"),
         ("群众", "居民"), ("推进", "推动"), ("较为", "比较"), ("不高", "偏低"), ("完善", "改进")]


class Generated(TypedDict):
    """A generated proposal: the submission's fields, what it was made from, and the index of
    the earlier proposal of the list it restates (None for an original)."""

    title: str
    category: str
    body: str
    suggestions: str
    topic: str
    subject: str
    place: str
    twin_of: int | None


def _one(rng: random.Random, topic: str) -> Generated:
    category, subjects, sentences, suggestions = TOPICS[topic]
    s, place = rng.choice(subjects), rng.choice(PLACES)
    mixed = [x.format(s=s) for x in rng.sample(sentences, 2)] + [
        x.format(place=place, n=rng.randint(2, 9), m=rng.randint(10, 300)) for x in rng.sample(GENERIC, 3)]
    rng.shuffle(mixed)
    body = f"{rng.choice(OPENERS)}{place}{rng.randint(2, 30)}个小区走访发现，" + "".join(mixed)
    tips = "；".join(x.format(s=s).rstrip("。") for x in rng.sample(suggestions, 2)) + "。"
    return {"title": f"关于{rng.choice(VERBS)}{place}{s}工作的建议", "category": category, "body": body,
            "suggestions": tips, "topic": topic, "subject": s, "place": place, "twin_of": None}


def restate(rng: random.Random, base: Generated, index: int) -> Generated:
    """The same concern in other words: the sentences reordered and partly reworded,
    one left out and one of the topic's added, the title reworded."""
    category, subjects, sentences, suggestions = TOPICS[base["topic"]]
    s = base["subject"]
    parts = [p + "。" for p in base["body"].split("。") if p]
    rng.shuffle(parts)
    parts = parts[:-1] + [rng.choice(sentences).format(s=s)]
    text = "".join(parts)
    for old, new in rng.sample(SWAPS, 5):
        text = text.replace(old, new)
    title = f"关于进一步{rng.choice(VERBS)}{base['place']}{s}的建议"
    tips = base["suggestions"].replace("加强", "切实加强").replace("建立", "加快建立")
    return {"title": title, "category": category, "body": text, "suggestions": tips,
            "topic": base["topic"], "subject": s, "place": base["place"], "twin_of": index}


def session_proposals(n: int, pairs: int = 0, seed: int = 12) -> list[Generated]:
    """`n` proposals of which `pairs` restate an earlier one of the list (placed after it)."""
    rng = random.Random(seed)
    topics = sorted(TOPICS)
    out = [_one(rng, rng.choice(topics)) for _ in range(n - pairs)]
    for base_index in sorted(rng.sample(range(len(out)), pairs)):
        out.append(restate(rng, out[base_index], base_index))
    return out


def form_data(item: Generated) -> dict[str, str]:
    """The submission form's fields of a generated proposal."""
    return {"title": item["title"], "category": item["category"], "body": item["body"],
            "suggestions": item["suggestions"], "source": "plenary"}
