"""What a person is told when the database refuses a step: a lost race (deadlock,
serialization failure, lock timeout, SQLite busy, a stale version) is 409 in Chinese;
any other database error is the plain 500 message. Neither ever carries SQL, parameters
or lock details, even when it happens inside a diagram's service task."""
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.adapters.db import CONFLICT_MESSAGE, UnitOfWork, lost_to_concurrent, unavailable
from engine.model.errors import Conflict
from engine.workflow.runtime import Runtime

SQL = "UPDATE counters SET value=%(value)s WHERE counters.name = %(name)s"


class DriverError(Exception):
    """A database driver's error with its SQLSTATE, as psycopg gives it."""

    def __init__(self, message, sqlstate=None):
        super().__init__(message)
        self.sqlstate = sqlstate


def deadlock():
    return OperationalError(SQL, {"value": 3, "name": "proposal_number:2026"}, DriverError(
        "deadlock detected\nDETAIL: Process 4711 waits for ShareLock on transaction 999; blocked by process 4712.",
        "40P01"))


@pytest.mark.parametrize("error, lost", [
    (StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s); 0 were matched."), True),
    (deadlock(), True),
    (OperationalError(SQL, {}, DriverError("could not serialize access", "40001")), True),
    (OperationalError(SQL, {}, DriverError("canceling statement due to lock timeout", "55P03")), False),
    (OperationalError(SQL, {}, DriverError("database is locked")), False),
    (IntegrityError(SQL, {}, DriverError("duplicate key value violates unique constraint", "23505")), False),
    (ValueError("not a database error"), False),
], ids=["stale", "deadlock", "serialization", "lock-timeout", "sqlite-locked", "integrity", "other"])
def test_which_errors_are_lost_races(error, lost):
    """A lost race is a 409; a lock not had in time is the database being busy (503, see
    engine.adapters.db.unavailable), never both."""
    assert lost_to_concurrent(error) is lost
    if isinstance(error, OperationalError) and not lost:
        assert unavailable(error)
    wrapped = RuntimeError("a service task failed")
    wrapped.__cause__ = error
    assert lost_to_concurrent(wrapped) is lost


def test_a_lost_race_leaves_a_unit_of_work_as_conflict(app):
    with pytest.raises(Conflict) as caught:
        with UnitOfWork(app.extensions["cppcc"]["db"]):
            raise deadlock()
    assert caught.value.message == CONFLICT_MESSAGE and caught.value.status == 409


@pytest.fixture
def failing_number(monkeypatch):
    """Make the proposal-number service task raise `error` (set the returned dict's "error")."""
    chosen = {}
    original = Runtime.script_engine

    def script_engine(self, session, services=None, extension_due=None, proposal=None):
        engine = original(self, session, services, extension_due, proposal)

        def broken():
            raise chosen["error"]

        engine.environment.services["next_proposal_number"] = broken
        return engine

    monkeypatch.setattr(Runtime, "script_engine", script_engine)
    return chosen


@pytest.mark.parametrize("kind, status", [("deadlock", 409), ("integrity", 500)])
def test_a_database_error_inside_a_service_task_never_shows_sql(api, failing_number, kind, status):
    pid = api.submit("wy_chen")
    failing_number["error"] = deadlock() if kind == "deadlock" else IntegrityError(
        SQL, {"name": "x"}, DriverError("duplicate key value violates unique constraint \"counters_pkey\"", "23505"))
    task_id = api.task_id("tw_li", "review", pid)
    response = api.post("tw_li", f"/api/tasks/{task_id}/complete",
                        {"data": {"review_decision": "file", "category": "urban"}})
    body = response.get_json()
    assert response.status_code == status, body
    text = str(body)
    for internal in ("UPDATE", "counters", "Process 4711", "ShareLock", "40P01", "23505", "OperationalError",
                     "IntegrityError", "Service operation", "sqlalche.me"):
        assert internal not in text, body
    assert body["error"]["message"] == (CONFLICT_MESSAGE if status == 409 else "服务器内部错误，请稍后重试或联系管理员")
    assert api.my_tasks("tw_li", proposal_id=pid)[0]["name"] == "review"  # nothing of the step was kept
