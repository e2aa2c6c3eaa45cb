"""The SQL cost of one call, from PostgreSQL's own plan timings (bench.scale).

`Plans(engine).cost(run)` records the statements `run()` sends, then runs each SELECT again
under EXPLAIN (ANALYZE, BUFFERS) with the same parameters and adds up the server's execution
times and the shared buffers touched. On a shared, loaded machine these move far less than
wall-clock times: they show what the plan costs (a scan or a sort too many), not the queue
for the CPU. The buffers are a count of work that does not depend on the load at all.
"""
import statistics
from dataclasses import dataclass, field

from sqlalchemy import event


@dataclass
class Cost:
    """The statements of one call: execution ms and shared buffers summed, the costliest one."""

    ms: float = 0.0
    buffers: int = 0
    statements: int = 0
    worst_ms: float = 0.0
    worst_sql: str = ""
    worst_plan: list[str] = field(default_factory=list)


class Plans:
    """Records the statements sent on `engine` while a call runs, and times their plans."""

    def __init__(self, engine) -> None:
        self.engine, self.recording, self.sent = engine, False, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.recording and not executemany and statement.lstrip()[:6].upper() in ("SELECT", "WITH R"):
            self.sent.append((statement, parameters))

    def cost(self, run, rounds: int = 3) -> Cost:
        """The SQL cost of `run()`: each statement's plan timed `rounds` times, the median kept."""
        self.sent, self.recording = [], True
        try:
            run()
        finally:
            self.recording = False
        sent, self.sent = self.sent, []
        cost = Cost(statements=len(sent))
        with self.engine.connect() as conn:
            for statement, parameters in sent:
                timings, buffers, plan = [], 0, None
                for _ in range(rounds):
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                                                parameters).scalar()[0]
                    timings.append(plan["Execution Time"])
                    buffers = plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)
                ms = statistics.median(timings)
                cost.ms += ms
                cost.buffers += buffers
                if ms >= cost.worst_ms:
                    cost.worst_ms, cost.worst_sql = ms, statement
                    text = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                    cost.worst_plan = [line for (line,) in text]
            conn.rollback()
        return cost
