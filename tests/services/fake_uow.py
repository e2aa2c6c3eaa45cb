"""A unit of work on in-memory rows, for service tests where the database adds nothing.

The commands of engine/services take a unit of work and use two things of it: `session`
and `commit()` (engine/adapters/db.py `UnitOfWork`). `FakeUnitOfWork` offers both: its
session keeps the rows in lists per mapped class (cosmicpython's fake repositories, kept
where the services look for them) and records whether the command committed.

The fake session answers the part of SQLAlchemy's Session that the refusals and simple
writes of the services use: `get`, `get_one`, `add`, `flush` (integer keys numbered),
`scalar`/`scalars` of a `select` of one entity or one column, its WHERE clause evaluated in
Python by SQLAlchemy's own evaluator (the one `synchronize_session="evaluate"` uses),
ordered by plain columns, limited; and `connection().execute` of a plain INSERT of one mapped
table (the event log writes its rows so, engine/model/eventlog.py), kept as a row of its class
and numbered as an added one. Anything else — a join, a subquery, EXISTS, an UPDATE,
`execute` — raises `NotFaked`: a test that reaches it belongs with a real database
(tests/engine, tests/api), and never passes on a guess of what SQL would have answered.
"""
from collections import defaultdict
from typing import Any

from sqlalchemy import Integer, inspect
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.evaluator import UnevaluatableError, _EvaluatorCompiler
from sqlalchemy.sql import Insert, Select
from sqlalchemy.sql.elements import UnaryExpression


class NotFaked(AssertionError):
    """The service asked the fake session for something only a database answers."""


class FakeConnection:
    """The session's connection, for the one statement services send it: a plain INSERT."""

    def __init__(self, session: "FakeSession") -> None:
        self.session = session

    def execute(self, statement: Any, parameters: dict | None = None) -> None:
        if not isinstance(statement, Insert) or statement._values or parameters is None:
            raise NotFaked(f"only a plain INSERT with its parameters is faked: {statement}")
        model = _mapped_class(statement.table)
        row = model(**parameters)
        self.session.add(row)
        self.session.flush()


def _mapped_class(table: Any) -> type:
    from engine.model.tables import Base
    for mapper in Base.registry.mappers:
        assert isinstance(mapper, Mapper)
        if mapper.local_table is table:
            return mapper.class_
    raise NotFaked(f"no mapped class for table {table}")


class FakeSession:
    """In-memory rows per mapped class, with the Session methods listed in the module docstring."""

    def __init__(self) -> None:
        self.rows: dict[type, list] = defaultdict(list)
        self.flushes = 0

    # writing

    def add(self, obj: Any) -> None:
        rows = self.rows[type(obj)]
        if not any(row is obj for row in rows):
            rows.append(obj)

    def add_all(self, objects) -> None:
        for obj in objects:
            self.add(obj)

    def flush(self) -> None:
        """Number the new rows' integer keys, as the database's sequences would."""
        self.flushes += 1
        for model, rows in self.rows.items():
            for column in inspect(model).primary_key:
                if not isinstance(column.type, Integer) or len(inspect(model).primary_key) > 1:
                    continue
                key = inspect(model).get_property_by_column(column).key
                for row in rows:
                    if getattr(row, key) is None:
                        setattr(row, key, max((getattr(r, key) or 0 for r in rows), default=0) + 1)

    # reading

    def get(self, model: type, key: Any) -> Any:
        keys = key if isinstance(key, tuple) else (key,)
        names = [inspect(model).get_property_by_column(c).key for c in inspect(model).primary_key]
        return next((row for row in self.rows[model]
                     if tuple(getattr(row, n) for n in names) == keys), None)

    def get_one(self, model: type, key: Any) -> Any:
        row = self.get(model, key)
        if row is None:
            raise NoResultFound(f"{model.__name__} {key!r}")
        return row

    def scalars(self, statement: Select) -> "FakeResult":
        return FakeResult(self._select(statement))

    def scalar(self, statement: Select) -> Any:
        found = self._select(statement)
        return found[0] if found else None

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotFaked(f"execute() needs a database: {statement}")

    def connection(self) -> "FakeConnection":
        return FakeConnection(self)

    def get_bind(self) -> Any:
        raise NotFaked("the service asked for the database connection")

    def _select(self, statement: Select) -> list:
        if not isinstance(statement, Select):
            raise NotFaked(f"not a select: {statement}")
        if statement._setup_joins or len(statement.column_descriptions) != 1 or statement._offset_clause is not None:
            raise NotFaked(f"only a select of one entity or column, without joins: {statement}")
        described = statement.column_descriptions[0]
        model, expr = described["entity"], described["expr"]
        if model is None:
            raise NotFaked(f"no mapped class selected: {statement}")
        rows = list(self.rows[model])
        if statement.whereclause is not None:
            try:
                test = _EvaluatorCompiler(model).process(statement.whereclause)
            except UnevaluatableError as err:
                raise NotFaked(f"a WHERE clause only SQL evaluates ({err}): {statement}") from None
            rows = [row for row in rows if test(row)]
        for clause in reversed(statement._order_by_clauses):
            descending = isinstance(clause, UnaryExpression) and "desc" in str(clause.modifier)
            column = clause.element if isinstance(clause, UnaryExpression) else clause
            key = getattr(column, "key", None)
            if key is None or not hasattr(model, key):
                raise NotFaked(f"ordered by what is not a column of {model.__name__}: {clause}")
            rows.sort(key=lambda row, k=key: (getattr(row, k) is None, getattr(row, k)), reverse=descending)
        if statement._limit is not None:
            rows = rows[:statement._limit]
        if expr is model:
            return rows
        key = getattr(expr, "key", None)
        if key is None or not hasattr(model, key):
            raise NotFaked(f"selected what is not a column of {model.__name__}: {expr}")
        return [getattr(row, key) for row in rows]

    def close(self) -> None:
        pass


class FakeResult(list):
    """What `scalars()` returns: a list with the Result methods the services call."""

    def all(self) -> list:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None


class FakeUnitOfWork:
    """A unit of work on a FakeSession holding `rows`; `committed` counts the commits and
    `rows(Model)` is what a later transaction would see: the rows as of the last commit (a
    command that raised before committing added none, as UnitOfWork's rollback ensures)."""

    def __init__(self, *rows: Any) -> None:
        self.session = FakeSession()
        self.session.add_all(rows)
        self.session.flush()
        self.committed = 0
        self._seen = {model: list(found) for model, found in self.session.rows.items()}

    def __enter__(self) -> "FakeUnitOfWork":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def commit(self) -> None:
        self.session.flush()
        self.committed += 1
        self._seen = {model: list(found) for model, found in self.session.rows.items()}

    def rows(self, model: type) -> list:
        return list(self._seen.get(model, []))
