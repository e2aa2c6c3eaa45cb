"""Confined evaluation of BPMN/DMN expressions and scripts.

SpiffWorkflow's default script engine runs diagram text with plain ``eval`` /
``exec`` and full builtins, so any gateway condition, DMN cell or script task
could import modules or open files. This module replaces it with:

* an AST allow-list check (:func:`check_source`, engine/model/expressions.py) run once per
  distinct source;
* a small builtins allow-list (:data:`SAFE_BUILTINS`);
* a time and size budget (engine/definitions/budget.py) enforced by rewriting the
  checked tree (engine/definitions/rewrite.py): every loop iteration ticks a
  deadline, every call and operator that can build something big is checked
  before it runs and charged after, integers stay within 64 bits.

What is bounded, per step of a case (one request) and per evaluation elsewhere:
  * source length (MAX_SOURCE_CHARS) and AST size (MAX_AST_NODES);
  * ``while`` loops, function/class definitions and imports are rejected;
  * run time (Limits.seconds, 1 s by default: CPPCC_EXPRESSION_SECONDS);
  * what is built (Limits.max_size items, 1,000,000 by default:
    CPPCC_EXPRESSION_MAX_SIZE), counting shared parts every time they appear;
  * recursion through lambdas (Python's recursion limit, and the deadline).
The messages a person sees are Chinese.
"""

import ast
import functools
import json
from types import CodeType, FunctionType
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task as SpiffTask

from engine.definitions.budget import MAX_INSTANCES, Budget, ExpressionLimit, Limits, _clock
from engine.definitions.rewrite import BINOP, CALL, FORMAT, HELPERS, KEEP, TICK, rewrite
from engine.model import clock
from engine.model.expressions import (  # the allow-list's checks, re-exported for the engine's callers
    ExpressionRejected,
    _parse,
    _walk,
    check_script as check_script,
    check_source as check_source,
    compile_check as compile_check,
)
from engine.model.storable import unstorable

MAX_SEQUENCE_ITEMS = 100_000


def _capped_range(*args: int) -> range:
    """range() that refuses more than MAX_SEQUENCE_ITEMS items."""
    r = range(*args)
    try:
        size = len(r)
    except OverflowError:
        size = MAX_SEQUENCE_ITEMS + 1
    if size > MAX_SEQUENCE_ITEMS:
        raise ExpressionRejected(f"range() 的元素不能超过 {MAX_SEQUENCE_ITEMS} 个")
    return r


def today() -> str:
    """Today's date in China (+08:00) as an ISO string, e.g. '2024-05-01'."""
    return clock.now().astimezone(clock.CHINA).date().isoformat()


def now() -> str:
    """The current time in China as an ISO string with '+08:00' offset."""
    return clock.now().astimezone(clock.CHINA).isoformat(timespec="seconds")


SAFE_BUILTINS = {
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "divmod": divmod,
    "enumerate": enumerate, "float": float, "int": int, "isinstance": isinstance,
    "len": len, "list": list, "max": max, "min": min, "range": _capped_range,
    "reversed": reversed, "round": round, "set": set, "sorted": sorted, "str": str,
    "sum": sum, "tuple": tuple, "zip": zip, "True": True, "False": False, "None": None,
    "today": today, "now": now,
}



@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str, allowed_names: frozenset) -> CodeType:
    tree = _parse(source, mode)
    _walk(tree, source, allowed_names)
    return compile(rewrite(tree), "<string>", mode)


class ConfinedEnvironment(BasePythonScriptEngineEnvironment):
    """Script environment that checks every source and runs it with SAFE_BUILTINS
    within a time and size budget.

    ``functions`` are extra helpers visible by name; ``services`` maps service
    task operation names to callables (see :meth:`call_service`). With
    ``per_step`` the budget is shared by every evaluation this environment
    runs (one engine is made per step of a case); otherwise each evaluation
    has the whole budget.
    """

    def __init__(self, functions: dict | None = None, services: dict | None = None,
                 limits: Limits | None = None, per_step: bool = False) -> None:
        super().__init__(dict(functions or {}))
        self.services = dict(services or {})
        self.allowed_names = frozenset(self.globals)
        self.limits = limits or Limits()
        self.per_step = per_step
        self.spent_seconds = 0.0
        self.built = 0
        self._hosts = frozenset(f for f in self.globals.values() if isinstance(f, FunctionType))

    def compiled(self, source: str, mode: str) -> CodeType:
        """Checked and compiled code for ``source`` (cached per source text)."""
        return _compile(source, mode, self.allowed_names)

    def _budget(self) -> Budget:
        if self.per_step:
            return Budget(self.limits, self.limits.seconds - self.spent_seconds,
                          self.limits.max_size - self.built, self._hosts)
        return Budget(self.limits, self.limits.seconds, self.limits.max_size, self._hosts)

    def _spend(self, budget: Budget) -> None:
        if self.per_step:
            self.spent_seconds += max(_clock() - budget.started - budget.hosted, 0.0)
            self.built = self.limits.max_size - max(budget.left, 0)

    def _namespace(self, context: dict, external_context: dict | None, budget: Budget) -> dict:
        return {"__builtins__": SAFE_BUILTINS, **self.globals, **(external_context or {}), **context,
                TICK: budget.tick, CALL: budget.call, BINOP: budget.binop, FORMAT: budget.format, KEEP: budget.keep}

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """Evaluate an expression against task data ``context``."""
        code = self.compiled(expression, "eval")
        budget = self._budget()
        try:
            return eval(code, self._namespace(context, external_context, budget))
        except MemoryError:
            raise ExpressionLimit(self.limits.size_message(), "size") from None
        finally:
            self._spend(budget)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run a script; its assignments and deletions land in ``context``.

        A value task data cannot keep (a set, a generator, a range...) is refused
        here, naming the variable, so that the step fails before anything is stored.
        """
        external_context = external_context or {}
        clash = (set(self.globals) | set(external_context)) & set(context)
        if clash:
            raise ExpressionRejected(f"任务数据中的变量与内置函数同名，请改名：{', '.join(sorted(clash))}")
        code = self.compiled(script, "exec")
        budget = self._budget()
        namespace = self._namespace(context, external_context, budget)
        try:
            exec(code, namespace)
        except MemoryError:
            raise ExpressionLimit(self.limits.size_message(), "size") from None
        finally:
            self._spend(budget)
            self._copy_back(namespace, context, external_context)
        for key, value in context.items():
            why = unstorable(value)
            if why:
                raise ExpressionRejected(f"脚本在任务数据中留下了无法保存的值：变量 {key} 是{why}")
        return True

    def _copy_back(self, namespace: dict, context: dict, external_context: dict | None) -> None:
        hidden = {"__builtins__", *HELPERS, *self.globals, *(external_context or {})}
        for key in list(context):
            if key not in namespace:
                del context[key]
        for key, value in namespace.items():
            if key in hidden:
                continue
            if callable(value):
                context.pop(key, None)
            else:
                context[key] = value

    def call_service(self, context: dict, operation_name: str, operation_params: dict | None,
                     task_data: dict | None = None, **kwargs: Any) -> str:
        """Call ``services[operation_name]`` with the parameter values as keywords.

        In SpiffWorkflow 3.2.0 the ServiceTask evaluates the parameter
        expressions itself (through this engine) before calling, so
        ``operation_params`` is ``{name: {'type': ..., 'value': <value>}}``.
        The service returns a plain Python value; it is returned as JSON text
        because the ServiceTask ``json.loads`` the result.
        """
        service = self.services.get(operation_name)
        if service is None:
            raise ExpressionRejected(f"没有服务操作 '{operation_name}'")
        values = {name: param["value"] for name, param in (operation_params or {}).items()}
        return json.dumps(service(**values))


class ConfinedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine that runs every diagram text in a ConfinedEnvironment."""

    def __init__(self, functions: dict | None = None, services: dict | None = None, limits: Limits | None = None,
                 per_step: bool = False) -> None:
        super().__init__(environment=ConfinedEnvironment(functions, services, limits, per_step))

    def validate(self, expression: str) -> None:
        """Raise SyntaxError like ast.parse (DMN relies on it), then check the allow-list."""
        ast.parse(expression.strip() if isinstance(expression, str) else expression, mode="eval")
        self.environment.compiled(expression, "eval")

    def evaluate(self, task: SpiffTask, expression: str, external_context: dict | None = None) -> Any:
        """Evaluate ``expression`` for ``task``; errors name the real problem.

        A multi-instance task's cardinality must be an integer up to MAX_INSTANCES
        (SpiffWorkflow would otherwise create as many tasks as it says)."""
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
            if expression == getattr(task.task_spec, "cardinality", None) and \
                    not (type(value) is int and 0 <= value <= MAX_INSTANCES):
                raise ExpressionRejected(f"多实例次数（loopCardinality）应为 0 到 {MAX_INSTANCES} 的整数，"
                                         f"实际是 {str(value)[:20]}")
            return value
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {_describe(err)}",
                                        task=task, exception=err, line_number=getattr(err, "lineno", None)) from err

    def call_service(self, task: SpiffTask, **kwargs: Any) -> Any:
        """Call a service; unlike 3.2.0 the error path reports the real message."""
        try:
            return self.environment.call_service(task.data, **kwargs)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"Service operation '{name}' failed: {_describe(err)}",
                                        task=task, exception=err) from err

    def create_task_exec_exception(self, task: SpiffTask, script: str, err: Exception) -> WorkflowTaskException:
        """Build the script-task error, using the line of a rejected script."""
        if isinstance(err, ExpressionRejected) and err.lineno:
            lines = script.splitlines()
            line = lines[err.lineno - 1] if 0 < err.lineno <= len(lines) else ""
            exc = WorkflowTaskException(_describe(err), task=task, exception=err,
                                        line_number=err.lineno, error_line=line)
        elif isinstance(err, SpiffWorkflowException):
            return super().create_task_exec_exception(task, script, err)
        else:
            line_number, error_line = self.get_error_line_number_and_content(script, err)
            exc = WorkflowTaskException(_describe(err), task=task, exception=err,
                                        line_number=line_number, error_line=error_line)
        exc.__cause__ = err
        return exc


def _describe(err: BaseException) -> str:
    return f"{err.__class__.__name__}: {err}"
