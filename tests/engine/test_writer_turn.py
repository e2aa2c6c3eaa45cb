"""SQLite writers of one process take turns before the database's write lock (engine/adapters/db.py
`writer_turn`): the turn ends with the transaction however it ends, a second writer waits for it,
and a session that already writes takes none (it holds the database's lock: waiting would deadlock)."""
import threading

import pytest
from sqlalchemy import text

from engine.adapters.db import UnitOfWork, writer_turn


@pytest.fixture
def sqlite_database(database):
    if database.writers is None:
        pytest.skip("SQLite only: PostgreSQL locks the case row itself")
    return database


def test_the_turn_ends_with_the_transaction(sqlite_database):
    with UnitOfWork(sqlite_database) as uow:
        writer_turn(uow.session)
        writer_turn(uow.session)  # a second case in the same transaction: still this session's turn
        assert sqlite_database.writers.locked()
        uow.commit()
    assert not sqlite_database.writers.locked()
    with UnitOfWork(sqlite_database) as uow:  # left without commit: rolled back, turn over too
        writer_turn(uow.session)
        assert sqlite_database.writers.locked()
    assert not sqlite_database.writers.locked()


def test_a_second_writer_waits_for_the_first(sqlite_database):
    order, first_in = [], threading.Event()

    def second():
        first_in.wait()
        with UnitOfWork(sqlite_database) as uow:
            writer_turn(uow.session)
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with UnitOfWork(sqlite_database) as uow:
        writer_turn(uow.session)
        first_in.set()
        thread.join(timeout=0.3)
        assert thread.is_alive()  # waiting for the turn
        order.append("first")
        uow.commit()
    thread.join(timeout=10)
    assert order == ["first", "second"]


def test_a_session_that_already_writes_takes_no_turn(sqlite_database):
    with UnitOfWork(sqlite_database) as uow:
        uow.session.execute(text("UPDATE units SET name = name WHERE id IS NULL"))  # holds the write lock now
        writer_turn(uow.session)
        assert not sqlite_database.writers.locked()
