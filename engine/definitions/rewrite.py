"""Rewrite a checked diagram text so that its run is bounded (engine/definitions/budget.py).

After the allow-list check the syntax tree is transformed:

* ``for`` bodies, comprehension clauses and lambda bodies start with a tick;
* every call ``f(a, b)`` becomes ``CALL(f, a, b)``;
* ``* ** << + - % | & ^`` (and their augmented forms) become ``BINOP('op', l, r)``;
* f-string fields with a format spec become ``FORMAT(value, spec, conversion)``;
* values stored into containers (comprehension items, displays, ``x[k] = v``,
  slices, f-strings) are wrapped in ``KEEP(value)``, which charges their size.

The helper names start with ``__`` so diagram text can never name them.
"""
import ast
from collections.abc import Callable, Iterable
from typing import Any

TICK, CALL, BINOP, FORMAT, KEEP = "__sb_tick", "__sb_call", "__sb_binop", "__sb_format", "__sb_keep"
HELPERS = (TICK, CALL, BINOP, FORMAT, KEEP)
_OPS = {ast.Mult: "mul", ast.Pow: "pow", ast.LShift: "lshift", ast.Add: "add", ast.Sub: "sub",
        ast.Mod: "mod", ast.BitOr: "or", ast.BitAnd: "and", ast.BitXor: "xor"}


def _helper(name: str, args: Iterable[ast.expr], where: ast.AST) -> ast.Call:
    return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), list(args), []), where)


def _tick(where: ast.AST) -> ast.Call:
    return _helper(TICK, [], where)


def _keep(value: ast.expr) -> ast.Call:
    return _helper(KEEP, [value], value)


def _constant(node: ast.AST | None) -> bool:
    return node is None or isinstance(node, ast.Constant)


def _stores_into_container(target: ast.expr) -> bool:
    if isinstance(target, ast.Subscript):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_stores_into_container(t) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _stores_into_container(target.value)
    return False


def _as_load(target: ast.expr) -> ast.expr:
    """A Load-context copy of an assignment target expression."""
    copy = ast.parse(ast.unparse(target), mode="eval").body
    for node in ast.walk(copy):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return copy


class BudgetRewriter(ast.NodeTransformer):
    """Insert the budget's ticks, call and operator guards and size charges."""

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_tick(node)), node))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.ifs.insert(0, _tick(node.target))
        return node

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp) -> ast.AST:
        self.generic_visit(node)
        node.elt = _keep(node.elt)
        return node

    visit_SetComp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        self.generic_visit(node)
        node.key, node.value = _keep(node.key), _keep(node.value)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.generic_visit(node)
        node.body = ast.copy_location(ast.BoolOp(ast.And(), [_tick(node.body), node.body]), node.body)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.Call(ast.Name(CALL, ast.Load()), [node.func, *node.args], node.keywords), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        op = _OPS.get(type(node.op))
        return _helper(BINOP, [ast.Constant(op), node.left, node.right], node) if op else node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        op = _OPS.get(type(node.op))
        if not op:
            return node
        load = ast.fix_missing_locations(ast.copy_location(_as_load(node.target), node))
        value = _helper(BINOP, [ast.Constant(f"i{op}"), load, node.value], node)
        return ast.copy_location(ast.Assign([node.target], value), node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        if any(_stores_into_container(t) for t in node.targets):
            node.value = _keep(node.value)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        if node.format_spec is None:
            return node
        value = _helper(FORMAT, [node.value, node.format_spec, ast.Constant(node.conversion)], node)
        return ast.copy_location(ast.FormattedValue(value, -1, None), node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        return _keep(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Slice):
            return _keep(node)
        return node

    def _display(self, node: ast.expr, parts: Callable[[Any], list]) -> ast.AST:
        self.generic_visit(node)
        if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) and not all(_constant(p) for p in parts(node)):
            return _keep(node)
        return node

    def visit_List(self, node: ast.List | ast.Tuple | ast.Set) -> ast.AST:
        return self._display(node, lambda n: n.elts)

    visit_Tuple = visit_Set = visit_List

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        return self._display(node, lambda n: [*n.keys, *n.values] if None not in n.keys else [ast.Name("x")])


def rewrite(tree: ast.AST) -> ast.Module | ast.Expression:
    """The tree with every guard in place (locations fixed, ready to compile)."""
    return ast.fix_missing_locations(BudgetRewriter().visit(tree))
