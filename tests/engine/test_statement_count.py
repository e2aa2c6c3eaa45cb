"""How many SQL statements one task completion sends (issue 13: a completion in a few
statements). A progress report, the step bench/completions.py repeats: the count must not grow
past today's figure, and the definition's stored files are not read to find its hash."""
from case_drivers import REPORT, UNITS
from sqlalchemy import event, select

from engine.adapters.db import UnitOfWork
from engine.model.tables import Notification, OpenTask, Proposal, User
from engine.queries import plenary as page_rows
from engine.services import cases, plenary

# open task; case locked and read with its definition hash (SQLite: the write lock, then the row;
# PostgreSQL: one SELECT ... FOR UPDATE of a proposal's own case); proposal; event; open task ids;
# delete; insert; recipients; notification; case; proposal
MAX_STATEMENTS = {"sqlite": 12, "postgresql": 11}


def _statements_of_report(database, runtime, proposal_id) -> list[str]:
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    with UnitOfWork(database) as uow:
        user = uow.session.scalar(select(User).where(User.username == "fgw_clerk"))
        task_id = uow.session.scalar(select(OpenTask.id).where(OpenTask.proposal_id == proposal_id,
                                                               OpenTask.name == "progress_report"))
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            cases.complete_task(uow, runtime, user, task_id, REPORT)
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
    return seen


def test_a_progress_report_costs_at_most_the_counted_statements(walk, database, runtime):
    proposal_id = walk.to_follow_up()
    walk.do("progress_report", "fgw_clerk", REPORT)  # a report that follows a report, as the bench does
    statements = _statements_of_report(database, runtime, proposal_id)
    assert len(statements) <= MAX_STATEMENTS[database.engine.dialect.name], "\n".join(statements)
    assert not [s for s in statements if "process_definitions.files" in s]  # the stored files are not read
    # what the step still does: the next report is open, its notification is written
    assert walk.open_tasks() == ["progress_report"]
    with UnitOfWork(database) as uow:
        next_id = uow.session.scalar(select(OpenTask.id).where(OpenTask.proposal_id == proposal_id))
        assert uow.session.scalar(select(Notification.recipient).where(Notification.task_id == next_id)) == "fgw_clerk"


# a row of 批量审查交办 (filed and assigned in one case step, in a savepoint of the page's
# transaction): savepoint; open task with its proposal; case with its definition hash; events (review
# done, status, assignment done, status); number counter; the people told and their message;
# unit rows; extensions; open task ids; delete; insert; notification; case; proposal; unit rows
# written; savepoint released. On SQLite the page's transaction holds the write lock from its
# start, so the row takes no lock of its own. Read once per page: the clerk's account, the unit
# names, the recipients of the new task.
MAX_ROW_STATEMENTS, PAGE_READS = 21, 3


def test_a_plenary_row_is_filed_and_assigned_in_the_counted_statements_with_one_write_of_each_row(walk, database, runtime):
    for n in range(3):
        walk.submit(title=f"关于改善第{n + 1}条公交线路的建议")
    with UnitOfWork(database) as uow:
        clerk = uow.session.scalar(select(User).where(User.username == "tw"))
        listing = page_rows.list_page(uow.session, runtime, clerk, step="review", per_page=10)
    rows = [{"task_id": item["task_id"], "version": item["version"], "decision": "file", "category": item["category"],
             "lead_unit_ids": [UNITS[0]], "is_key": False} for item in listing["items"]]
    plenary.apply_page(database, runtime, clerk, rows[:1])  # what a page reads once is read
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        result = plenary.apply_page(database, runtime, clerk, rows[1:])
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert result["applied"] == 2
    per_row = [s for s in seen if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(per_row) <= PAGE_READS + 2 * MAX_ROW_STATEMENTS, "\n".join(per_row)
    # the step's changes are flushed once: one write of the case, of the proposal, of its unit rows
    for table in ("UPDATE cases", "UPDATE proposals", "INSERT INTO proposal_units"):
        assert sum(s.startswith(table) for s in per_row) == 2, table
    assert sum(s.startswith("INSERT INTO counters") for s in per_row) == 2  # the number in one statement
    with UnitOfWork(database) as uow:
        numbers = [uow.session.get(Proposal, item["proposal_id"]).number for item in listing["items"]]
    assert len(set(numbers)) == 3 and all(numbers)
