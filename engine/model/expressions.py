"""The expression language of diagrams, decision tables and forms: what a source may
contain (an AST allow-list), checked before anything runs. Shared by the forms
(engine/profile/forms.py), the definitions' checks and the sandbox that runs the
checked text (engine/definitions/sandbox.py, with its time and size budget).

May import: the standard library only.
"""
import ast
import functools
from typing import Any, Never

MAX_SOURCE_CHARS = 10_000
MAX_AST_NODES = 2_000
MAX_POWER_EXPONENT = 64
MAX_INT_BITS = 64  # integer constants here; the budget keeps computed ones to it too

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

    def __init__(self, message: str, source: str | None = None, lineno: int | None = None) -> None:
        self.message = message
        self.source = source
        self.lineno = lineno
        super().__init__(f"{message}（第 {lineno} 行）" if lineno else message)


def _reject(message: str, node: ast.AST | None = None, source: str | None = None) -> Never:
    raise ExpressionRejected(message, source, getattr(node, "lineno", None))


def _parse(source: str, mode: str) -> ast.AST:
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


def _walk(tree: ast.AST, source: str, allowed_names: frozenset[str] | set[str]) -> None:
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


def check_source(source: str, mode: str = "eval", allowed_names: frozenset[str] | set[str] = frozenset()) -> None:
    """Raise ExpressionRejected unless ``source`` passes the allow-list.

    ``mode`` is 'eval' for expressions and 'exec' for scripts; names in
    ``allowed_names`` (host helper functions) may be called even if they
    shadow a forbidden builtin.
    """
    _walk(_parse(source, mode), source, frozenset(allowed_names))


def check_script(source: str, allowed_names: frozenset[str] | set[str] = frozenset()) -> None:
    """check_source() in 'exec' mode, for script tasks and pre/post scripts."""
    check_source(source, "exec", allowed_names)


def compile_check(source: str, mode: str = "eval", allowed_names: frozenset[str] | set[str] = frozenset()) -> list:
    """Like check_source() but return a list of problem strings (empty if OK)."""
    if not isinstance(source, str):
        return _problems(source, mode, frozenset(allowed_names))
    return list(_cached_problems(source, mode, frozenset(allowed_names)))


def _problems(source: Any, mode: str, allowed_names: frozenset) -> list:
    try:
        check_source(source, mode, allowed_names)
    except ExpressionRejected as err:
        return [str(err)]
    return []


@functools.lru_cache(maxsize=4096)
def _cached_problems(source: str, mode: str, allowed_names: frozenset) -> tuple:
    """The verdict on one text, once per process: every app start and every deploy checks the
    same few hundred expressions of the diagrams and forms again."""
    return tuple(_problems(source, mode, allowed_names))
