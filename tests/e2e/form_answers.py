"""Valid answers for every form in forms/, as a handler who moves the case on would give them.

`answers(form, schema, data)` gives {field: value} for a task's form: the choices
that carry a case forward (file it, accept it, approve, agree, the best rating,
the last progress report) and plausible text and dates for the rest. It reads
the region's lists (categories, classes, units, the rating scale) from the
task's own schema, so it works under every region. `fill(page, ...)` puts the
answers into the page's form the way a person would (radios, checkboxes,
selects, dates, text), including one select per key of a keyed field.
"""
from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def today() -> date:
    return datetime.now(CHINA).date()


def _first(schema, name):
    prop = schema["properties"][name]
    return (prop.get("enum") or prop.get("items", {}).get("enum") or [None])[0]


def _text(label):
    return f"{label}：按照办理要求认真研究，已形成具体意见。"


# form name -> function(schema, data) -> {field: value}; every form in forms/ has one
FORMS = {
    "submission": lambda s, d: {"title": "关于完善社区公共服务设施的建议", "category": _first(s, "category"),
                                "body": _text("现状与问题"), "suggestions": "一是加强规划；二是加大投入。"},
    "cosigner_confirm": lambda s, d: {"agree": True, "comment": "同意联名"},
    "review": lambda s, d: {"review_decision": "file", "category": d.get("category") or _first(s, "category")},
    "assign": lambda s, d: {"assign_mode": "single", "lead_unit_ids": [_first(s, "lead_unit_ids")], "is_key": False},
    "reassign": lambda s, d: {"new_lead_unit": _first(s, "new_lead_unit"), "reassign_note": "改由该单位办理"},
    "accept": lambda s, d: {"accept_decision": "accept"},
    "plan_draft": lambda s, d: {"plan_content": _text("办理方案"), "plan_responsible": "综合科 王科长",
                                "plan_finish_date": (today() + timedelta(days=30)).isoformat()},
    "approve": lambda s, d: {"approved": True, "approve_comment": "同意"},
    "consultation": lambda s, d: {"contact_date": today().isoformat(), "contact_way": "meeting",
                                  "contact_people": "提案者、承办单位经办人", "contact_content": _text("沟通内容"),
                                  "proposer_view": "认可办理思路。", "more_contacts": False},
    "assist_opinion": lambda s, d: {"opinion_text": _text("协办意见"), "contact_person": "刘干事"},
    "reply_draft": lambda s, d: {"reply_class": d.get("reply_class") or _first(s, "reply_class"),
                                 "reply_text": _text("答复"), "adopted_points": "已采纳主要建议。",
                                 "involves_funds": False},
    "cosign": lambda s, d: {"agree": True, "cosign_comment": "同意"},
    "supervise": lambda s, d: {"final_class": d.get("final_class") or _first(s, "final_class"), "approved": True},
    "rate": lambda s, d: {"satisfaction": _first(s, "satisfaction"), "assist_ratings": "best",
                          "disclosure_consent": True, "rate_comment": "办理认真。"},
    "second_handling": lambda s, d: {"rehandle_analysis": _text("原因分析"), "rehandle_measures": _text("改进措施")},
    "mediate": lambda s, d: {"mediation_result": "经协调，提案者理解有关困难。"},
    "followup_plan": lambda s, d: {"followup_plan": _text("跟踪落实计划"), "followup_responsible": "规划科 赵科长",
                                   "followup_deadline": (today() + timedelta(days=180)).isoformat()},
    "progress_report": lambda s, d: {"report_date": today().isoformat(), "report_progress": "已全部落实。",
                                     "report_done": True},
    "close_confirm": lambda s, d: {"close_approved": True, "close_comment": "同意办结"},
    "close_unrated": lambda s, d: {"unrated_decision": "close", "unrated_note": "多次联系未予评价，按未评价办结。"},
    "extension_request": lambda s, d: {"requested_due": (today() + timedelta(days=60)).isoformat(),
                                       "reason": "需跨部门协调资金"},
    "extension_decision": lambda s, d: {"approved": True, "decision_comment": "同意延期"},
}


def answers(form: str, schema: dict, data: dict) -> dict:
    """{field: value} for one task's form (KeyError: a form without answers here)."""
    return FORMS[form](schema, data or {})


# The kind of each named field: the type of its first element (radio, checkbox, text, date...) or,
# without one, its tag (select, textarea); read for every field of the form in one call (one round trip
# to the browser instead of one or two a field: a tenth of the demo walk's time went there).
KINDS = """names => Object.fromEntries(names.map(n => {
    const e = document.querySelector(`[name="${CSS.escape(n)}"]`);
    return [n, e ? (e.getAttribute('type') || e.tagName.toLowerCase()) : null];
}))"""


def fill(page, values: dict) -> None:
    """Fill the page's form fields by name, as a person would."""
    kinds = page.evaluate(KINDS, [name for name, value in values.items() if value != "best"])
    for name, value in values.items():
        if value == "best":  # a keyed field: one select per key, each the first (best) choice
            for select in page.locator(f'select[name^="{name}."]').all():
                options = [o for o in select.locator("option").evaluate_all("os => os.map(o => o.value)") if o]
                select.select_option(options[0])
            continue
        kind = kinds[name]
        if kind is None:  # not (yet) on the page: wait for it as the locator does
            target = page.locator(f'[name="{name}"]').first
            kind = target.get_attribute("type") or target.evaluate("e => e.tagName.toLowerCase()")
        for one in value if isinstance(value, list) else [value]:
            one = {True: "true", False: "false"}.get(one, one)
            if kind in ("radio", "checkbox"):
                page.check(f'[name="{name}"][value="{one}"]')
            elif kind == "select":
                page.locator(f'[name="{name}"]').first.select_option(str(one))
            else:
                page.locator(f'[name="{name}"]').first.fill(str(one))
