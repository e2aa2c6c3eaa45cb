"""Confined evaluation of BPMN/DMN expressions and scripts.

SpiffWorkflow's default script engine runs diagram text with plain ``eval`` /
``exec`` and full builtins, so any gateway condition, DMN cell or script task
could import modules or open files. This module replaces it with:

* an AST allow-list check (:func:`check_source`) run once per distinct source;
* a small builtins allow-list (:data:`SAFE_BUILTINS`);
* runtime guards on ``*``, ``**`` and ``<<`` and a capped ``range``.

What is bounded:
  * source length (MAX_SOURCE_CHARS) and AST size (MAX_AST_NODES);
  * ``while`` loops, function/class definitions and imports are rejected;
  * ``range()`` refuses more than MAX_SEQUENCE_ITEMS items;
  * ``**`` with a constant exponent > MAX_POWER_EXPONENT is rejected at check
    time; at run time ``**``, ``*`` and ``<<`` refuse int results over
    MAX_INT_BITS bits and str/list/tuple repetition over MAX_SEQUENCE_ITEMS.

What is NOT bounded (run workflow steps in a worker with a timeout/rlimit):
  * CPU time: nested ``for`` loops over capped ranges can still run very long;
  * memory from str methods (``ljust``, ``replace``), ``%``/f-string widths
    and from building big containers in loops;
  * recursion through lambdas (only Python's recursion limit applies).
"""

import ast
import datetime
import functools
import json

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import clock

MAX_SOURCE_CHARS = 10_000
MAX_AST_NODES = 2_000
MAX_POWER_EXPONENT = 64
MAX_SEQUENCE_ITEMS = 100_000
MAX_INT_BITS = 10_000
CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8))

# Node types a diagram may not use, with the wording shown to the designer.
_FORBIDDEN_NODES = {
    ast.Import: "import statements are not allowed",
    ast.ImportFrom: "import statements are not allowed",
    ast.Global: "'global' statements are not allowed",
    ast.Nonlocal: "'nonlocal' statements are not allowed",
    ast.While: "'while' loops are not allowed (use 'for' over a bounded range)",
    ast.FunctionDef: "function definitions ('def') are not allowed",
    ast.AsyncFunctionDef: "function definitions ('async def') are not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.AsyncFor: "'async for' is not allowed",
    ast.AsyncWith: "'async with' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield from' is not allowed",
    ast.With: "'with' statements are not allowed",
    ast.Try: "'try' statements are not allowed",
    ast.TryStar: "'try' statements are not allowed",
    ast.Raise: "'raise' statements are not allowed",
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
_GUARD = "__sandbox_binop"
_GUARDED_OPS = {ast.Mult: "mul", ast.Pow: "pow", ast.LShift: "lshift"}


class ExpressionRejected(Exception):
    """A diagram expression or script uses something that is not allowed.

    ``source`` holds the offending text and ``lineno`` the line (or None).
    """

    def __init__(self, message, source=None, lineno=None):
        self.message = message
        self.source = source
        self.lineno = lineno
        super().__init__(f"{message} (line {lineno})" if lineno else message)


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
        raise ExpressionRejected(f"range() of more than {MAX_SEQUENCE_ITEMS} items is not allowed")
    return r


def _guarded_binop(op, left, right):
    """Compute ``left <op> right`` refusing results that would be huge."""
    ints = isinstance(left, int) and isinstance(right, int)
    if op == "pow":
        if ints and right > 0 and abs(left) > 1 and right * left.bit_length() > MAX_INT_BITS:
            raise ExpressionRejected(f"power result exceeds {MAX_INT_BITS} bits")
        return left ** right
    if op == "lshift":
        if ints and left and right + left.bit_length() > MAX_INT_BITS:
            raise ExpressionRejected(f"shift result exceeds {MAX_INT_BITS} bits")
        return left << right
    if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise ExpressionRejected(f"product exceeds {MAX_INT_BITS} bits")
    for seq, n in ((left, right), (right, left)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE_ITEMS:
            raise ExpressionRejected(f"repetition of more than {MAX_SEQUENCE_ITEMS} items is not allowed")
    return left * right


def today():
    """Today's date in China (+08:00) as an ISO string, e.g. '2024-05-01'."""
    return clock.now().astimezone(CHINA_TZ).date().isoformat()


def now():
    """The current time in China as an ISO string with '+08:00' offset."""
    return clock.now().astimezone(CHINA_TZ).isoformat(timespec="seconds")


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
        raise ExpressionRejected(f"expected text, got {type(source).__name__}", source)
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionRejected(f"source is {len(source)} characters long, the limit is {MAX_SOURCE_CHARS}", source[:200])
    try:
        return ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        raise ExpressionRejected(f"syntax error: {err.msg}", source, err.lineno) from None


def _walk(tree, source, allowed_names):
    """Walk ``tree`` and raise ExpressionRejected on the first forbidden node."""
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_AST_NODES:
            _reject(f"expression is too complex (more than {MAX_AST_NODES} syntax nodes)", None, source)
        if type(node) in _FORBIDDEN_NODES:
            _reject(_FORBIDDEN_NODES[type(node)], node, source)
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                _reject(f"attribute '{node.attr}' is not allowed (names starting with '_' are forbidden)", node, source)
            if node.attr in _FORBIDDEN_ATTRS:
                hint = " (use an f-string)" if node.attr.startswith("format") else ""
                _reject(f"attribute '{node.attr}' is not allowed{hint}", node, source)
        elif isinstance(node, ast.Name) and node.id.startswith("_") and node.id != "_":
            _reject(f"name '{node.id}' is not allowed (names starting with '_' are forbidden)", node, source)
        elif isinstance(node, ast.arg) and node.arg.startswith("_") and node.arg != "_":
            _reject(f"name '{node.arg}' is not allowed (names starting with '_' are forbidden)", node, source)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in FORBIDDEN_CALLS and node.func.id not in allowed_names:
            _reject(f"name '{node.func.id}' is not defined in diagram expressions", node, source)
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Pow):
            exp = node.right if isinstance(node, ast.BinOp) else node.value
            if isinstance(exp, ast.Constant) and isinstance(exp.value, (int, float)) \
                    and exp.value > MAX_POWER_EXPONENT:
                _reject(f"exponent {exp.value} is too large (the limit is {MAX_POWER_EXPONENT})", node, source)


class _GuardInserter(ast.NodeTransformer):
    """Route ``*``, ``**`` and ``<<`` (also augmented) through _guarded_binop."""

    def _call(self, op, left, right, node):
        call = ast.Call(ast.Name(_GUARD, ast.Load()), [ast.Constant(op), left, right], [])
        return ast.copy_location(call, node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        return self._call(op, node.left, node.right, node) if op else node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if not op:
            return node
        load = ast.fix_missing_locations(ast.copy_location(_as_load(node.target), node))
        return ast.copy_location(ast.Assign([node.target], self._call(op, load, node.value, node)), node)


def _as_load(target):
    """A Load-context copy of an assignment target expression."""
    copy = ast.parse(ast.unparse(target), mode="eval").body
    for n in ast.walk(copy):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return copy


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
    tree = ast.fix_missing_locations(_GuardInserter().visit(tree))
    return compile(tree, "<string>", mode)


class ConfinedEnvironment(BasePythonScriptEngineEnvironment):
    """Script environment that checks every source and runs it with SAFE_BUILTINS.

    ``functions`` are extra helpers visible by name; ``services`` maps service
    task operation names to callables (see :meth:`call_service`).
    """

    def __init__(self, functions: dict | None = None, services: dict | None = None):
        super().__init__(dict(functions or {}))
        self.services = dict(services or {})
        self.allowed_names = frozenset(self.globals)

    def compiled(self, source, mode):
        """Checked and compiled code for ``source`` (cached per source text)."""
        return _compile(source, mode, self.allowed_names)

    def _namespace(self, context, external_context):
        return {"__builtins__": SAFE_BUILTINS, **self.globals, **(external_context or {}),
                **context, _GUARD: _guarded_binop}

    def evaluate(self, expression, context, external_context=None):
        """Evaluate an expression against task data ``context``."""
        code = self.compiled(expression, "eval")
        return eval(code, self._namespace(context, external_context))

    def execute(self, script, context, external_context=None):
        """Run a script; its assignments and deletions land in ``context``."""
        external_context = external_context or {}
        clash = (set(self.globals) | set(external_context)) & set(context)
        if clash:
            raise ValueError(f"You have task data that overwrites a predefined function(s). "
                             f"Please change the following variable or field name(s) to something else: {clash}")
        code = self.compiled(script, "exec")
        namespace = self._namespace(context, external_context)
        try:
            exec(code, namespace)
        finally:
            self._copy_back(namespace, context, external_context)
        return True

    def _copy_back(self, namespace, context, external_context):
        hidden = {"__builtins__", _GUARD, *self.globals, *external_context}
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
            raise ExpressionRejected(f"unknown service operation '{operation_name}'")
        values = {name: param["value"] for name, param in (operation_params or {}).items()}
        return json.dumps(service(**values))


class ConfinedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine that runs every diagram text in a ConfinedEnvironment."""

    def __init__(self, functions=None, services=None):
        super().__init__(environment=ConfinedEnvironment(functions, services))

    def validate(self, expression):
        """Raise SyntaxError like ast.parse (DMN relies on it), then check the allow-list."""
        ast.parse(expression.strip() if isinstance(expression, str) else expression, mode="eval")
        self.environment.compiled(expression, "eval")

    def evaluate(self, task, expression, external_context=None):
        """Evaluate ``expression`` for ``task``; errors name the real problem."""
        try:
            return self.environment.evaluate(expression, task.data, external_context)
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
            return WorkflowTaskException(_describe(err), task=task, exception=err,
                                         line_number=err.lineno, error_line=line)
        if isinstance(err, SpiffWorkflowException):
            return super().create_task_exec_exception(task, script, err)
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        return WorkflowTaskException(_describe(err), task=task, exception=err,
                                     line_number=line_number, error_line=error_line)


def _describe(err):
    return f"{err.__class__.__name__}: {err}"
