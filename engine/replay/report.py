"""The replay report: what each side did with the same cases, and the difference.

Approval steps are the user tasks whose role is an approving one (unit head,
government office, deputy head, supervision office), read from each task's
`role` property, never from task names; each is counted for its own unit, or
for the lead unit whose reply it approves. `format_report` prints the report
as Chinese tables.
"""
from __future__ import annotations

import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.replay.run import Side

APPROVAL_ROLES = ("unit_head", "gov_office", "deputy_head", "supervisor")
STATE_LABELS = {"completed": "已结束", "running": "仍在办理", "error": "出错"}


def build_report(cases: list, baseline_results: list[dict], candidate_results: list[dict], baseline: Side,
                 candidate: Side, about: dict) -> dict:
    """The full report (JSON-ready) of one replay."""
    sides = {"baseline": _summary(baseline_results), "candidate": _summary(candidate_results)}
    changed, errors, approvals_more, approvals_fewer = [], [], 0, 0
    titles = {**_titles(baseline), **_titles(candidate)}
    names = _unit_names(baseline, candidate)
    # regions with different unit directories: paths are compared by task only
    by_unit = {u["id"] for u in baseline.region.units} == {u["id"] for u in candidate.region.units}
    for case, b, c in zip(cases, baseline_results, candidate_results, strict=True):
        diff = _approvals(c) - _approvals(b)
        approvals_more += diff > 0
        approvals_fewer += diff < 0
        for key, result in (("baseline", b), ("candidate", c)):
            if result["error"]:
                errors.append({"case": case.id, "title": case.title, "side": key, "error": result["error"]})
        where = _divergence(b, c, by_unit)
        if where is not None or b["state"] != c["state"] or b["status"] != c["status"]:
            i, j = where or (None, None)
            changed.append({"case": case.id, "title": case.title, "step": None if where is None else
                            1 + next(n for n in (i, j) if n is not None),
                            "baseline": _step(b, i, titles, names) if where else "（相同）",
                            "candidate": _step(c, j, titles, names) if where else "（相同）",
                            "baseline_end": _end(b, baseline), "candidate_end": _end(c, candidate)})
    return {
        "about": about, "baseline": baseline.describe(), "candidate": candidate.describe(), "sides": sides,
        "approval_cases": {"more": approvals_more, "fewer": approvals_fewer}, "paths_by_unit": by_unit,
        "labels": {"tasks": titles, "units": names, "roles": candidate.region.catalogue.labels("roles"),
                   "kinds": candidate.region.catalogue.labels("deadline_kinds", "action"),
                   "reply_class": {**baseline.region.labels("reply_classes"), **candidate.region.labels("reply_classes")},
                   "satisfaction": {**baseline.region.labels("satisfaction_scale"),
                                    **candidate.region.labels("satisfaction_scale")},
                   "status": {**baseline.stage_labels, **candidate.stage_labels}},
        "changed": changed, "errors": errors,
        "cases": [{"case": case.as_dict(), "baseline": _plain(b), "candidate": _plain(c)}
                  for case, b, c in zip(cases, baseline_results, candidate_results, strict=True)],
    }


def _summary(results: list[dict]) -> dict:
    tasks = [t for r in results for t in r["tasks"]]
    approvals = [t for t in tasks if t["role"] in APPROVAL_ROLES]
    units: dict = {}
    for t in tasks:
        if t["unit"]:
            units.setdefault(t["unit"], {"tasks": 0, "approvals": 0})["tasks"] += 1
    for t in approvals:
        if t["for_unit"]:
            units.setdefault(t["for_unit"], {"tasks": 0, "approvals": 0})["approvals"] += 1
    replied = [(r["replied_at"] - r["tasks"][0]["ready"]).days for r in results if r["replied_at"] and r["tasks"]]
    states = Counter(r["state"] for r in results)
    return {
        "cases": len(results), "completed": states["completed"], "running": states["running"],
        "errored": states["error"], "status": dict(Counter(r["status"] for r in results if r["status"])),
        "invented_cases": sum(1 for r in results if r["invented"]),
        "invented_answers": sum(r["invented"] for r in results), "tasks": len(tasks),
        "late_tasks": dict(Counter(t["task"] for t in tasks if t["late"])),
        "escalations": dict(Counter(o["kind"] for r in results for o in r["overdue"])),
        "reminders": dict(Counter(o["kind"] for r in results for o in r["reminders"])),
        "open_overdue": sum(1 for r in results for t in r["open"] if t["overdue"]),
        "approvals": {"total": len(approvals), "by_role": dict(Counter(t["role"] for t in approvals)),
                      "by_task": dict(Counter(t["task"] for t in approvals))},
        "units": units, "roles": dict(Counter(t["role"] for t in tasks)),
        "reply_class": dict(Counter(r["reply_class"] for r in results if r["reply_class"])),
        "satisfaction": dict(Counter(r["satisfaction"] for r in results if r["satisfaction"])),
        "median_days_to_reply": statistics.median(replied) if replied else None,
    }


def _approvals(result: dict) -> int:
    return sum(1 for t in result["tasks"] if t["role"] in APPROVAL_ROLES)


def _divergence(b: dict, c: dict, by_unit: bool = True) -> tuple[int | None, int | None] | None:
    """Where the paths first differ: (index in b's tasks, index in c's tasks), either None when
    that side has no task there; None when the paths are the same. Each lead unit's handling
    is compared on its own (parallel handlings interleave differently when one takes longer)."""
    lanes_b, lanes_c = _lanes(b, by_unit), _lanes(c, by_unit)
    found = []
    for lane in set(lanes_b) | set(lanes_c):
        left, right = lanes_b.get(lane, []), lanes_c.get(lane, [])
        keys_b = [_key(b["tasks"][i], by_unit) for i in left]
        keys_c = [_key(c["tasks"][i], by_unit) for i in right]
        k = next((n for n, (x, y) in enumerate(zip(keys_b, keys_c, strict=False)) if x != y), min(len(left), len(right)))
        if keys_b != keys_c:
            i, j = (left[k] if k < len(left) else None), (right[k] if k < len(right) else None)
            when = min(r["tasks"][n]["done"] for r, n in ((b, i), (c, j)) if n is not None)
            found.append((when, i, j))
    return min(found, key=lambda x: x[0])[1:] if found else None


def _lanes(result: dict, by_unit: bool) -> dict:
    """{lane: [task indexes]}: the tasks of each lead unit's handling (lane None: the proposal's own)."""
    lanes: dict = {}
    order: dict = {}
    for n, task in enumerate(result["tasks"]):
        unit = task["for_unit"]
        lane = unit if by_unit or unit is None else order.setdefault(unit, len(order))
        lanes.setdefault(lane, []).append(n)
    return lanes


def _key(task: dict, by_unit: bool) -> tuple[str, str | None]:
    return task["task"], task["unit"] if by_unit else None


def _step(result: dict, index: int | None, titles: dict, names: dict) -> str:
    if index is None:
        return "（无后续步骤）"
    task = result["tasks"][index]
    unit = f"（{names.get(task['unit'], task['unit'])}）" if task["unit"] else ""
    return f"{titles.get(task['task'], task['task'])}{unit}"


def _end(result: dict, side: Side) -> str:
    status = side.stage_labels.get(result["status"], result["status"])
    return STATE_LABELS[result["state"]] + (f"（{status}）" if status and result["state"] != "error" else "")


def _titles(side: Side) -> dict:
    return {name: meta.title for name, meta in side.bundle.user_tasks.items()}


def _unit_names(*sides: Side) -> dict:
    return {u["id"]: u["name"] for side in sides for u in side.region.units}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


# -- printing -------------------------------------------------------------------------

def format_report(report: dict, limit: int = 20) -> str:
    """The report as readable Chinese tables; at most `limit` changed cases listed."""
    b, c, labels = report["sides"]["baseline"], report["sides"]["candidate"], report["labels"]
    out = ["提案办理回放报告", f"基线：{_side(report['baseline'])}", f"候选：{_side(report['candidate'])}",
           f"案件：{report['about'].get('cases_label', '')}", ""]

    def section(title: str, rows: list, first: str = "项目") -> None:
        out.extend([title, _table([first, "基线", "候选", "变化"], rows), ""])

    def rows_of(key: str, names: dict, keys: Iterable | None = None) -> list:
        keys = keys or sorted(set(b[key]) | set(c[key]), key=lambda k: (-(b[key].get(k, 0) + c[key].get(k, 0)), k))
        return [_row(names.get(k, k), b[key].get(k, 0), c[key].get(k, 0)) for k in keys]

    statuses = sorted(set(b["status"]) | set(c["status"]), key=lambda k: (-b["status"].get(k, 0), k))
    section("一、总体", [
        *[_row(label, b[k], c[k]) for k, label in (
            ("cases", "回放案件"), ("completed", "已结束"), ("running", "仍在办理"), ("errored", "出错"),
            ("tasks", "完成的任务"), ("invented_cases", "需要补充答案的案件"), ("invented_answers", "补充的答案"))],
        *[_row(f"结果：{labels['status'].get(k, k)}", b["status"].get(k, 0), c["status"].get(k, 0)) for k in statuses],
        ["提交至答复的天数（中位数）", _days(b["median_days_to_reply"]), _days(c["median_days_to_reply"]),
         _days_diff(b["median_days_to_reply"], c["median_days_to_reply"])]])
    section("二、期限：超期完成的任务", [_row("合计", sum(b["late_tasks"].values()), sum(c["late_tasks"].values())),
                                *rows_of("late_tasks", labels["tasks"])], "任务")
    section("三、期限：超期督办（超期后触发）", [
        _row("合计", sum(b["escalations"].values()), sum(c["escalations"].values())),
        *rows_of("escalations", labels["kinds"]),
        _row("期满前提醒", sum(b["reminders"].values()), sum(c["reminders"].values())),
        _row("结束时仍未完成且已超期的任务", b["open_overdue"], c["open_overdue"])], "期限")
    ab, ac = b["approvals"], c["approvals"]
    keys = sorted(set(ab["by_task"]) | set(ac["by_task"]))
    section("四、审批环节", [
        _row("合计", ab["total"], ac["total"]),
        *[_row(f"按角色：{labels['roles'].get(r, r)}", ab["by_role"].get(r, 0), ac["by_role"].get(r, 0))
          for r in sorted(set(ab["by_role"]) | set(ac["by_role"]))],
        *[_row(f"按任务：{labels['tasks'].get(k, k)}", ab["by_task"].get(k, 0), ac["by_task"].get(k, 0)) for k in keys]])
    out.insert(-1, f"  审批环节增加的案件 {report['approval_cases']['more']} 件，减少的案件 {report['approval_cases']['fewer']} 件")
    zero = {"tasks": 0, "approvals": 0}
    units = sorted(set(b["units"]) | set(c["units"]), key=lambda u: (
        -b["units"].get(u, zero)["tasks"] - c["units"].get(u, zero)["tasks"], labels["units"].get(u, u)))
    out.extend(["五、各单位工作量（承办任务数；审批环节数：本单位负责人审签及对本单位答复的审批）", _table(
        ["单位", "任务 基线", "候选", "变化", "审批 基线", "候选", "变化"],
        [[labels["units"].get(u, u), *_row("", b["units"].get(u, zero)["tasks"], c["units"].get(u, zero)["tasks"])[1:],
          *_row("", b["units"].get(u, zero)["approvals"], c["units"].get(u, zero)["approvals"])[1:]] for u in units]), ""])
    section("六、各角色工作量（任务数）", rows_of("roles", labels["roles"]), "角色")
    section("七、答复类别分布", rows_of("reply_class", labels["reply_class"]), "类别")
    section("八、满意度分布", rows_of("satisfaction", labels["satisfaction"]), "评价")
    changed = report["changed"]
    out.append(f"九、路径变化的案件：共 {len(changed)} 件" + (f"，列出前 {limit} 件" if len(changed) > limit else "")
               + ("" if report["paths_by_unit"] else "（两个地区的单位名录不同，只比较任务，不比较单位）"))
    if changed:
        out.append(_table(["案件", "标题", "第几步", "基线", "候选", "结果（基线 → 候选）"], [
            [x["case"], _cut(x["title"], 18), "-" if x["step"] is None else str(x["step"]), x["baseline"],
             x["candidate"], f"{x['baseline_end']} → {x['candidate_end']}"] for x in changed[:limit]]))
    if report["errors"]:
        out.extend(["", f"十、出错的案件：共 {len(report['errors'])} 件"])
        out.extend(f"  {e['case']}（{'基线' if e['side'] == 'baseline' else '候选'}）：{e['error']}"
                   for e in report["errors"][:limit])
    return "\n".join(out)


def _side(side: dict) -> str:
    text = f"版本 {side['version']}，地区 {side['region_name']}（{side['region']}）"
    return f"{text}，{side['description']}" if side.get("description") else text


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _days_diff(left: float | None, right: float | None) -> str:
    return "-" if left is None or right is None else f"{right - left:+g}" if right != left else "0"


def _row(label: str, left: int, right: int) -> list:
    return [label, str(left), str(right), f"{right - left:+d}" if right != left else "0"]


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: list, rows: list) -> str:
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Iterable) -> str:
        return "  " + "  ".join(str(x) + " " * (w - _width(str(x))) for x, w in zip(cells, widths, strict=False)).rstrip()

    return "\n".join([line(headers), "  " + "  ".join("-" * w for w in widths), *map(line, rows)])
