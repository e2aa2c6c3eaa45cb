"""What a batch of steps in one transaction reads once (engine/services/plenary.py, the timer
worker's batches in engine/services/timers.py).

A batch (批量审查交办: up to 50 rows, each its own case step, in one transaction; a timer
round's batch of due cases) changes no units and no accounts, so the unit names a message
names and the people a new task, a reminder or an overdue notice is told to are the same for
all its steps. The batch marks its
session (`start`); `batch_shared` then keeps what a step read for the next
steps of the same transaction. Outside a batch it reads every time.
Imports: nothing of the project.
"""
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

BATCH_CACHE = "cppcc_batch_cache"  # session.info key


def start(session: Session) -> None:
    """Mark `session` as a batch's: reference data read by its steps is kept until it closes."""
    session.info[BATCH_CACHE] = {}


def batch_shared(session: Session, key: tuple, read: Callable[[], Any]) -> Any:
    """`read()`, or what it gave before in this transaction when the session is a batch's."""
    cache = session.info.get(BATCH_CACHE)
    if cache is None:
        return read()
    if key not in cache:
        cache[key] = read()
    return cache[key]
