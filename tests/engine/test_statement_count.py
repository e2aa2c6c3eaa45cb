"""How many SQL statements one task completion sends (issue 13: a completion in a few
statements). A progress report, the step bench/completions.py repeats: the count must not grow
past today's figure, and the definition's stored files are not read to find its hash."""
from case_drivers import REPORT
from sqlalchemy import event, select

from engine.adapters.db import UnitOfWork
from engine.model.tables import Notification, OpenTask, User
from engine.services import cases

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
