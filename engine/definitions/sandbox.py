"""Confined evaluation of BPMN/DMN expressions and scripts.

SpiffWorkflow's default script engine runs diagram text with plain ``eval`` /
``exec`` and full builtins, so any gateway condition, DMN cell or script task
could import modules or open files. This module replaces it with:

* an AST allow-list check (:func:`check_source`) run once per distinct source;
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
from types import FunctionType

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.model import clock
from engine.definitions.budget import MAX_INSTANCES, MAX_INT_BITS, Budget, ExpressionLimit, Limits, _clock
from engine.definitions.rewrite import BINOP, CALL, FORMAT, HELPERS, KEEP, TICK, rewrite
from engine.model.storable import unstorable

MAX_SOURCE_CHARS = 10_000
MAX_AST_NODES = 2_000
MAX_POWER_EXPONENT = 64
MAX_SEQUENCE_ITEMS = 100_000

# Node types a diagram may not use, with the wording shown to the designer.
_FORBIDDEN_NODES = {
    ast.Import: "不允许 import 语句",
    ast.ImportFrom: "不允许 import 语句",
    ast.Global: "不允许 global 语句",
    ast.Nonlocal: "不允许 nonlocal 语句",
    ast.While: "不允许 while 循环（请用 for 遍历有限的范围）",
    ast.FunctionDef: "不允许定义函数（def）",
    ast.AsyncFunctionDef: "不允许定义函数（async def）",
    ast.ClassDef: "不允许定义类（class）",
    ast.AsyncFor: "不允许 async for",
    ast.AsyncWith: "不允许 async with",
    ast.Await: "不允许 await",
    ast.Yield: "不允许 yield",
    ast.YieldFrom: "不允许 yield from",
    ast.With: "不允许 with 语句",
    ast.Try: "不允许 try 语句",
    ast.TryStar: "不允许 try 语句",
    ast.Raise: "不允许 raise 语句",
}
# Attributes without a leading '_' that still reach frames, code or globals.
_FORBIDDEN_ATTRS = frozenset({
    "format", "format_map", "mro", "gi_frame", "gi_code", "gi_yieldfrom",
    "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "tb_frame",
    "tb_next", "func_globals", "func_code",
})
# Builtins that are never callable from a diagram (checked at call sites; any
# other name outside SAFE_BUILTINS simply raises NameError at run time).
FORBIDDEN_CALLS = frozenset({
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr",
    "hasattr", "globals", "locals", "vars", "type", "object", "dir", "input",
    "print", "memoryview", "breakpoint", "help", "super", "classmethod",
    "staticmethod", "property", "exit", "quit", "id", "iter", "next",
})


class ExpressionRejected(Exception):
    """A diagram expression or script uses something that is not allowed.

    ``source`` holds the offending text and ``lineno`` the line (or None);
    ``message`` is the Chinese text for people.
    """

    def __init__(self, message, source=None, lineno=None):
        self.message = message
        self.source = source
        self.lineno = lineno
        super().__init__(f"{message}（第 {lineno} 行）" if lineno else message)


def _reject(message, node=None, source=None):
    raise ExpressionRejected(message, source, getattr(node, "lineno", None))


def _capped_range(*args):
    """range() that refuses more than MAX_SEQUENCE_ITEMS items."""
    r = range(*args)
    try:
        size = len(r)
    except OverflowError:
        size = MAX_SEQUENCE_ITEMS + 1
    if size > MAX_SEQUENCE_ITEMS:
        raise ExpressionRejected(f"range() 的元素不能超过 {MAX_SEQUENCE_ITEMS} 个")
    return r


def today():
    """Today's date in China (+08:00) as an ISO string, e.g. '2024-05-01'."""
    return clock.now().astimezone(clock.CHINA).date().isoformat()


def now():
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


def _parse(source, mode):
    if not isinstance(source, str):
        raise ExpressionRejected(f"应为文本，实际是 {type(source).__name__}", source)
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionRejected(f"表达式长 {len(source)} 个字符，超过上限 {MAX_SOURCE_CHARS}", source[:200])
    try:
        return ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        near = f"（第 {err.offset} 个字符附近）" if err.offset else ""
        raise ExpressionRejected(f"语法错误{near}", source, err.lineno) from None
    except (ValueError, MemoryError, RecursionError):  # NUL characters, absurd nesting
        raise ExpressionRejected("无法解析的表达式", source[:200]) from None


def _walk(tree, source, allowed_names):
    """Walk ``tree`` and raise ExpressionRejected on the first forbidden node."""
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_AST_NODES:
            _reject(f"表达式过于复杂（超过 {MAX_AST_NODES} 个语法节点）", None, source)
        if type(node) in _FORBIDDEN_NODES:
            _reject(_FORBIDDEN_NODES[type(node)], node, source)
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                _reject(f"不允许使用属性 '{node.attr}'（以 _ 开头的名称一律禁止）", node, source)
            if node.attr in _FORBIDDEN_ATTRS:
                hint = "（请用 f-string）" if node.attr.startswith("format") else ""
                _reject(f"不允许使用属性 '{node.attr}'{hint}", node, source)
        elif isinstance(node, ast.Name) and node.id.startswith("_") and node.id != "_":
            _reject(f"不允许使用名称 '{node.id}'（以 _ 开头的名称一律禁止）", node, source)
        elif isinstance(node, ast.arg) and node.arg.startswith("_") and node.arg != "_":
            _reject(f"不允许使用名称 '{node.arg}'（以 _ 开头的名称一律禁止）", node, source)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in FORBIDDEN_CALLS and node.func.id not in allowed_names:
            _reject(f"流程表达式中没有 '{node.func.id}'", node, source)
        elif isinstance(node, ast.Constant) and type(node.value) is int and node.value.bit_length() > MAX_INT_BITS:
            _reject(f"整数常量超出范围（不能超过 {MAX_INT_BITS} 位二进制）", node, source)
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Pow):
            exp = node.right if isinstance(node, ast.BinOp) else node.value
            if isinstance(exp, ast.Constant) and isinstance(exp.value, (int, float)) \
                    and exp.value > MAX_POWER_EXPONENT:
                _reject(f"指数 {exp.value} 过大（上限 {MAX_POWER_EXPONENT}）", node, source)


def check_source(source: str, mode: str = "eval", allowed_names=frozenset()) -> None:
    """Raise ExpressionRejected unless ``source`` passes the allow-list.

    ``mode`` is 'eval' for expressions and 'exec' for scripts; names in
    ``allowed_names`` (host helper functions) may be called even if they
    shadow a forbidden builtin.
    """
    _walk(_parse(source, mode), source, frozenset(allowed_names))


def check_script(source: str, allowed_names=frozenset()) -> None:
    """check_source() in 'exec' mode, for script tasks and pre/post scripts."""
    check_source(source, "exec", allowed_names)


def compile_check(source: str, mode: str = "eval", allowed_names=frozenset()) -> list:
    """Like check_source() but return a list of problem strings (empty if OK)."""
    try:
        check_source(source, mode, allowed_names)
    except ExpressionRejected as err:
        return [str(err)]
    return []


@functools.lru_cache(maxsize=4096)
def _compile(source, mode, allowed_names):
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
                 limits: Limits | None = None, per_step: bool = False):
        super().__init__(dict(functions or {}))
        self.services = dict(services or {})
        self.allowed_names = frozenset(self.globals)
        self.limits = limits or Limits()
        self.per_step = per_step
        self.spent_seconds = 0.0
        self.built = 0
        self._hosts = frozenset(f for f in self.globals.values() if isinstance(f, FunctionType))

    def compiled(self, source, mode):
        """Checked and compiled code for ``source`` (cached per source text)."""
        return _compile(source, mode, self.allowed_names)

    def _budget(self):
        if self.per_step:
            return Budget(self.limits, self.limits.seconds - self.spent_seconds,
                          self.limits.max_size - self.built, self._hosts)
        return Budget(self.limits, self.limits.seconds, self.limits.max_size, self._hosts)

    def _spend(self, budget):
        if self.per_step:
            self.spent_seconds += max(_clock() - budget.started - budget.hosted, 0.0)
            self.built = self.limits.max_size - max(budget.left, 0)

    def _namespace(self, context, external_context, budget):
        return {"__builtins__": SAFE_BUILTINS, **self.globals, **(external_context or {}), **context,
                TICK: budget.tick, CALL: budget.call, BINOP: budget.binop, FORMAT: budget.format, KEEP: budget.keep}

    def evaluate(self, expression, context, external_context=None):
        """Evaluate an expression against task data ``context``."""
        code = self.compiled(expression, "eval")
        budget = self._budget()
        try:
            return eval(code, self._namespace(context, external_context, budget))
        except MemoryError:
            raise ExpressionLimit(self.limits.size_message(), "size") from None
        finally:
            self._spend(budget)

    def execute(self, script, context, external_context=None):
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

    def _copy_back(self, namespace, context, external_context):
        hidden = {"__builtins__", *HELPERS, *self.globals, *external_context}
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

    def call_service(self, context, operation_name, operation_params, task_data=None, **kwargs):
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

    def __init__(self, functions=None, services=None, limits: Limits | None = None, per_step: bool = False):
        super().__init__(environment=ConfinedEnvironment(functions, services, limits, per_step))

    def validate(self, expression):
        """Raise SyntaxError like ast.parse (DMN relies on it), then check the allow-list."""
        ast.parse(expression.strip() if isinstance(expression, str) else expression, mode="eval")
        self.environment.compiled(expression, "eval")

    def evaluate(self, task, expression, external_context=None):
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

    def call_service(self, task, **kwargs):
        """Call a service; unlike 3.2.0 the error path reports the real message."""
        try:
            return self.environment.call_service(task.data, **kwargs)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"Service operation '{name}' failed: {_describe(err)}",
                                        task=task, exception=err) from err

    def create_task_exec_exception(self, task, script, err):
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


def _describe(err):
    return f"{err.__class__.__name__}: {err}"
