"""Proposals from an Excel workbook (.xlsx): paper proposals collected at the plenary,
or a previous system's list.

The template (`template_workbook`) has the sheet 提案 (one proposal per row,
from row 2) and a 填写说明 sheet saying what each column takes. `import_workbook`
checks every row first, each problem named 第 N 行 X 列（列名）; if any row is
wrong nothing is written. Otherwise every proposal is submitted in one
transaction as its proposer (matched by account or by name; an unmatched or
ambiguous name is a problem of its row), its co-signers' paper signatures are
taken as their confirmations, and each case starts at 审查立案. `dry_run`
checks and reports without writing.
"""
import io
import re
import zipfile
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.model.errors import EngineError, Forbidden, InvalidForm
from engine.model.eventlog import log
from engine.model.tables import OpenTask, User
from engine.rules.permissions import may_review_in_batch
from engine.services import cases
from engine.workflow.runtime import Runtime

SHEET, HELP_SHEET = "提案", "填写说明"
# key: (header, required, what to write)
COLUMNS = [
    ("title", "案由", True, "提案的标题，4–200 字"),
    ("category", "类别", True, "提案类别的名称或代码：{categories}"),
    ("proposer", "提案者", True, "第一提案人：委员的姓名或登录账号（须已有账号）"),
    ("cosigners", "联名人", False, "其他联名委员的姓名或账号，用“、”或“,”分隔；以纸质签名为准，视为已确认"),
    ("body", "情况和分析", True, "至少 10 字"),
    ("suggestions", "具体建议", True, "至少 1 字"),
    ("source", "来源", False, "大会提案 或 平时提案（空为平时提案）"),
]
SOURCES = {"大会提案": "plenary", "大会": "plenary", "plenary": "plenary", "平时提案": "ordinary", "平时": "ordinary",
           "ordinary": "ordinary", "": "ordinary"}
MAX_ROWS = 2000
COSIGN_FORM = "cosigner_confirm"


def template_workbook(rt: Runtime) -> bytes:
    """The template: sheet 提案 with the header row and sheet 填写说明."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([header for _, header, _, _ in COLUMNS])
    for n, cell in enumerate(sheet[1], 1):
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(n)].width = 40 if n in (1, 5, 6) else 16
    categories = "、".join(rt.region.labels("categories").values())
    notes = book.create_sheet(HELP_SHEET)
    notes.append(["列", "列名", "必填", "填写说明"])
    for n, (_, header, required, text) in enumerate(COLUMNS, 1):
        notes.append([get_column_letter(n), header, "是" if required else "否", text.format(categories=categories)])
    notes.append([])
    notes.append(["", "说明", "", "从第 2 行起每行一件提案；有任何一行出错时整个文件都不导入，请按提示改正后重新上传。"
                                   "导入的提案直接进入审查立案。"])
    notes.column_dimensions["D"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    """[(row number, {key: text})] of the 提案 sheet; a file that is not a workbook, or has
    no 提案 sheet or header, is an InvalidForm."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InvalidForm("文件不是有效的 Excel 工作簿（.xlsx）", [{"field": "file", "message": "请使用下载的模板"}]) from err
    if SHEET not in book.sheetnames:
        raise InvalidForm(f"工作簿中没有“{SHEET}”工作表", [{"field": "file", "message": "请使用下载的模板"}])
    rows = book[SHEET].iter_rows(values_only=True)
    header = [str(v or "").strip() for v in next(rows, ())]
    where = {h: i for i, h in enumerate(header)}
    missing = [h for _, h, required, _ in COLUMNS if required and h not in where]
    if missing:
        raise InvalidForm("第 1 行缺少列：" + "、".join(missing), [{"field": "file", "message": "第 1 行应为模板的列名"}])
    out = []
    for number, values in enumerate(rows, 2):
        cells = {key: _text(values[where[h]]) if h in where and where[h] < len(values) else ""
                 for key, h, _, _ in COLUMNS}
        if any(cells.values()):
            out.append((number, cells))
        if len(out) > MAX_ROWS:
            raise InvalidForm(f"一次最多导入 {MAX_ROWS} 件提案", [{"field": "file", "message": "请分批导入"}])
    return out


def import_workbook(uow: UnitOfWork, rt: Runtime, clerk: User, content: bytes, dry_run: bool = False) -> dict:
    """Check every row and, unless `dry_run` or a row is wrong, submit them all.
    Returns {"rows": [{"row", "title", "proposer", "proposer_name", "cosigners"}], "errors": [{"row",
    "column", "field", "message"}], "written": n, "dry_run", "proposal_ids"}."""
    if not may_review_in_batch(clerk):
        raise Forbidden("只有提案委员会可以导入提案")
    rows = read_rows(content)
    if not rows:
        raise InvalidForm("文件中没有提案", [{"field": "file", "message": "从第 2 行起每行填写一件提案"}])
    session = uow.session
    members = [u for u in session.scalars(select(User).where(User.active.is_(True))) if "proposer" in u.role_set]
    checked, errors = [], []
    for number, cells in rows:
        data, problems = _row_data(rt, members, cells)
        if not problems:
            try:
                rt.forms.validate(cases.SUBMISSION_FORM, data["form"])
            except InvalidForm as err:
                problems = [(_key_of(e["field"]), e["message"]) for e in err.errors]
        errors += [_problem(number, key, message) for key, message in problems]
        checked.append((number, data))
    summary = [{"row": n, "title": d["form"].get("title"), "proposer": getattr(d.get("proposer"), "username", None),
                "proposer_name": getattr(d.get("proposer"), "name", None),
                "cosigners": [u.name for u in d.get("cosigners", [])]} for n, d in checked]
    result: dict[str, Any] = {"rows": summary, "errors": errors, "written": 0, "dry_run": dry_run, "proposal_ids": []}
    if errors or dry_run:
        return result
    for number, data in checked:
        try:
            proposal = cases.submit_proposal(uow, rt, data["proposer"], data["form"], commit=False)
        except EngineError as err:  # checked above; a refusal here still writes nothing
            raise InvalidForm(f"第 {number} 行：{err.message}", [_problem(number, "title", err.message)]) from None
        log(session, proposal, "imported", clerk, "从 Excel 导入（纸质提案）",
            data={"row": number, "cosigners_signed_on_paper": [u.username for u in data["cosigners"]]})
        for member in data["cosigners"]:  # their signature on the paper is their confirmation
            task = session.scalar(select(OpenTask).where(OpenTask.proposal_id == proposal.id,
                                                         OpenTask.form == COSIGN_FORM,
                                                         OpenTask.assignee == member.username))
            if task is not None:
                cases.complete_task(uow, rt, member, task.id, {"agree": True, "comment": "纸质提案签名"}, commit=False)
        result["proposal_ids"].append(proposal.id)
    uow.commit()
    result["written"] = len(checked)
    return result


def _row_data(rt: Runtime, members: list[User], cells: dict) -> tuple[dict, list]:
    problems = []
    categories = {**{label: code for code, label in rt.region.labels("categories").items()},
                  **{code: code for code in rt.region.codes("categories")}}
    category = categories.get(cells["category"])
    if cells["category"] and category is None:
        problems.append(("category", f"没有“{cells['category']}”这个类别（可填：{'、'.join(rt.region.labels('categories').values())}）"))
    source = SOURCES.get(cells["source"])
    if source is None:
        problems.append(("source", "应为“大会提案”或“平时提案”"))
    proposer, why = _member(members, cells["proposer"]) if cells["proposer"] else (None, None)
    if why:
        problems.append(("proposer", why))
    cosigners = []
    for name in [n.strip() for n in cells["cosigners"].replace("，", "、").replace(",", "、").split("、") if n.strip()]:
        member, why = _member(members, name)
        if why:
            problems.append(("cosigners", why))
        elif member is not None and member is not proposer and member not in cosigners:
            cosigners.append(member)
    form = {"title": cells["title"], "category": category or cells["category"], "body": cells["body"],
            "suggestions": cells["suggestions"], "source": source or "ordinary",
            "cosigners": [u.username for u in cosigners]}
    form = {k: v for k, v in form.items() if v not in ("", None)}
    return {"form": form, "proposer": proposer, "cosigners": cosigners}, problems


def _member(members: list[User], text: str) -> tuple[User | None, str | None]:
    """(the member account a name or username names, None) or (None, why not)."""
    by_account = [u for u in members if u.username == text]
    found = by_account or [u for u in members if u.name == text] or [
        u for u in members if _plain_name(u.name) == _plain_name(text)]
    if not found:
        return None, f"找不到委员“{text}”（填姓名或登录账号；没有账号的请先开户）"
    if len(found) > 1:
        return None, f"有 {len(found)} 位委员叫“{text}”，请改填登录账号"
    return found[0], None


def _plain_name(name: str) -> str:
    """A name without what is written in brackets after it: 陈思远（委员） is 陈思远."""
    return re.sub(r"[（(][^）)]*[）)]", "", name or "").strip()


def _key_of(field: str) -> str:
    head = field.split("/")[0]
    return head if head in {k for k, *_ in COLUMNS} else "title"


def _problem(number: int, key: str, message: str) -> dict:
    index = next(i for i, (k, *_) in enumerate(COLUMNS) if k == key)
    column, header = get_column_letter(index + 1), COLUMNS[index][1]
    return {"row": number, "column": column, "field": key,
            "message": f"第 {number} 行 {column} 列（{header}）：{message}"}


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
