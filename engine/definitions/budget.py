"""The time and size budget of confined expressions, enforced at run time.

The sandbox rewrites every diagram text (engine/definitions/rewrite.py) so that
what can take time or memory goes through a `Budget`:

* every loop iteration, comprehension item and lambda call ticks: the clock
  is read and the evaluation stops once its time is up;
* every call goes through `Budget.call`, which refuses in advance what a
  single C-level call would build too big (``ljust``, ``replace``, ``join``,
  ``int.to_bytes``, ``sum`` of lists...) and charges what a call built;
* ``*``, ``+``, ``%``, ``**``, ``<<`` and the set operators go through
  `Budget.binop`, f-string format specs through `Budget.format`;
* every value stored into a container (comprehension items, displays,
  ``x[k] = v``, ``append``...) is charged with its *deep* size, so that no
  structure holds more items than the budget, even through shared references
  (``[big] * n``); C-level work that walks a structure (``str``, ``==``,
  ``in``, ``sorted``) is therefore bounded by the budget too;
* integers are kept to MAX_INT_BITS bits (no huge arithmetic, and no
  hash-colliding keys that would make a set or dict quadratic).

A C-level call cannot be interrupted; these checks make sure no single one
is given more than the budget to work on. The residual overshoot is the
cost of one call on at most `max_size` items (milliseconds).
"""
import operator
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import BuiltinFunctionType, FunctionType, MethodDescriptorType, ModuleType
from typing import Any

from engine.model.expressions import MAX_INT_BITS

MAX_INSTANCES = 1000  # a multi-instance task's loopCardinality
DEFAULT_SECONDS = 1.0
DEFAULT_MAX_SIZE = 1_000_000
_FLAT = (str, bytes)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_NESTED = frozenset({str, bytes, *_CONTAINERS})
# CPU time of the evaluating thread: what the expression itself spends, whatever the load of
# the machine or the other threads of the server (a busy machine does not make a diagram fail)
_clock = time.thread_time
TICKS_PER_READ = 32


class ExpressionLimit(Exception):
    """An expression ran out of its time or size budget (the message is for people)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # "time" | "size" | "int" | "value"


@dataclass(frozen=True)
class Limits:
    """How long one step's expressions may run and how much they may build."""

    seconds: float = DEFAULT_SECONDS
    max_size: int = DEFAULT_MAX_SIZE  # items built in total: characters, elements, keys and values

    def time_message(self) -> str:
        return f"表达式运行时间超出上限（{self.seconds:g} 秒）"

    def size_message(self) -> str:
        return f"表达式构造的数据超出大小上限（{self.max_size} 项）"


def int_too_big() -> ExpressionLimit:
    return ExpressionLimit(f"整数超出范围（不能超过 {MAX_INT_BITS} 位二进制，约 19 位十进制）", "int")


def deep_size(value: Any, cap: int) -> int:
    """Items in `value`, counting shared parts every time they appear; stops once above `cap`.

    A string counts its characters, a container 1 plus its elements; the
    element types are read at C speed, and only nested texts and containers
    are walked further.
    """
    total, stack = 1, [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bytes:
            total += len(item) - 1 if item else 0
        elif kind is dict:
            total += 2 * len(item)
            for part in (item.keys(), item.values()):
                if not _NESTED.isdisjoint(set(map(type, part))):
                    stack.extend(x for x in part if type(x) in _NESTED)
        elif kind in _CONTAINERS:
            total += len(item)
            if not _NESTED.isdisjoint(set(map(type, item))):
                stack.extend(x for x in item if type(x) in _NESTED)
        if total > cap:
            return total
    return total


# Methods whose result aliases what is already there (charging it again would be wrong).
_ALIASING = frozenset({"get", "pop", "popitem", "setdefault", "index", "count", "find", "rfind", "rindex",
                       "keys", "values", "items", "startswith", "endswith", "isdigit", "isalpha", "isspace",
                       "isupper", "islower", "isnumeric", "isdecimal", "isalnum", "istitle", "isascii",
                       "isidentifier", "isprintable", "bit_length", "bit_count", "issubset", "issuperset",
                       "isdisjoint", "remove", "discard", "clear", "reverse", "sort", "__contains__"})
_BUILTIN_ALIASING = frozenset({"max", "min", "len", "isinstance", "all", "any", "abs", "divmod", "round"})
# In-place methods that store their arguments.
_STORING = frozenset({"append", "insert", "extend", "add", "update", "setdefault", "intersection_update",
                      "difference_update", "symmetric_difference_update"})
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_KEY_CALLERS = frozenset({"sorted", "max", "min", "sort"})
# %-format conversion: %[(name)][flags][width][.precision][length]type
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d+)?[,_]?(?:\.(\d+))?[a-zA-Z%]?$")


class Budget:
    """The budget of one evaluation: a deadline and the items it may still build."""

    __slots__ = ("limits", "deadline", "left", "hosts", "started", "hosted", "ticks")

    def __init__(self, limits: Limits, seconds_left: float, size_left: int, hosts: frozenset = frozenset()) -> None:
        self.limits = limits
        self.started = _clock()
        self.deadline = self.started + max(seconds_left, 0.0)
        self.left = size_left
        self.hosts = hosts  # host helpers: their own time (database reads) is not the expression's
        self.hosted = 0.0
        self.ticks = 0

    # -- time ---------------------------------------------------------------------
    def tick(self) -> bool:
        """One loop iteration: stop once the deadline has passed (always True otherwise).
        The clock is read every TICKS_PER_READ iterations (reading CPU time costs ~1 µs)."""
        self.ticks += 1
        if not self.ticks % TICKS_PER_READ and _clock() > self.deadline:
            raise ExpressionLimit(self.limits.time_message(), "time")
        return True

    # -- size ---------------------------------------------------------------------
    def charge(self, items: int) -> None:
        """Count `items` built; refuse once the budget is spent."""
        self.left -= items
        if self.left < 0:
            raise ExpressionLimit(self.limits.size_message(), "size")

    def keep(self, value: Any) -> Any:
        """Charge a value stored into a container (or built by copying) with its deep size."""
        kind = type(value)
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise int_too_big()
            self.charge(1)
        elif kind in _FLAT or kind in _CONTAINERS:
            self.charge(deep_size(value, self.left))
        else:
            self.charge(1)
        return value

    # -- calls --------------------------------------------------------------------
    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call `func` from diagram code, refusing or charging what the call builds."""
        self.tick()
        kind = type(func)
        if kind is FunctionType:
            if func in self.hosts:
                start = _clock()
                try:
                    return func(*args, **kwargs)
                finally:
                    spent = _clock() - start
                    self.deadline += spent
                    self.hosted += spent
            return func(*args, **kwargs)  # a lambda: its body ticks
        if kind is BuiltinFunctionType:
            owner, name = func.__self__, func.__name__
            if type(owner) is ModuleType:  # a builtin function
                return self._builtin(func, name, args, kwargs)
            return self._method(func, owner, name, args, kwargs)
        if kind is MethodDescriptorType and args:  # str.ljust('a', 9): the owner comes first
            return self._method(func, args[0], func.__name__, args[1:], kwargs, unbound=True)
        if kind is type:
            return self._result(func(*self._stored(args), **kwargs))
        return self._result(func(*args, **kwargs))

    def _builtin(self, func: Any, name: str, args: tuple, kwargs: dict) -> Any:
        if name == "sum":
            start = args[1] if len(args) > 1 else kwargs.get("start", 0)
            if type(start) not in (int, float, bool):
                raise ExpressionLimit("sum() 只能对数字求和", "value")
        if name in _KEY_CALLERS:
            kwargs = self._wrapped_key(kwargs)
        if name in _BUILTIN_ALIASING:
            return self._checked_int(func(*args, **kwargs))
        return self._result(func(*args, **kwargs))

    def _method(self, func: Any, owner: Any, name: str, args: Sequence, kwargs: dict, unbound: bool = False) -> Any:
        call_args = (owner, *args) if unbound else args
        if isinstance(owner, _FLAT):
            self._before_text(owner, name, args, kwargs)
            if name == "join" and args:
                items = list(args[0])
                self.charge(sum(len(i) for i in items if isinstance(i, _FLAT)) + len(owner) * len(items))
                call_args = (owner, items) if unbound else (items,)
        elif type(owner) is int and name == "to_bytes":
            length = args[0] if args else kwargs.get("length", 1)
            if isinstance(length, int):
                self.charge(length)
        if name in _STORING:
            call_args = (owner, *self._stored(args)) if unbound else self._stored(args)
        if name in _KEY_CALLERS:
            kwargs = self._wrapped_key(kwargs)
        result = func(*call_args, **kwargs)
        if name in _ALIASING or name in _STORING:
            return self._checked_int(result)
        return self._result(result)

    def _before_text(self, text: Any, name: str, args: Sequence, kwargs: dict) -> None:
        """Refuse a str/bytes method whose result would be too big, before C builds it."""
        if name in _WIDTH_METHODS:
            width = args[0] if args else kwargs.get("width", 0)
            if isinstance(width, int):
                self.charge(max(width - len(text), 0))
        elif name == "replace" and len(args) >= 2 and isinstance(args[0], _FLAT) and isinstance(args[1], _FLAT):
            old, new = args[0], args[1]
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            found = text.count(old) if old else len(text) + 1
            if isinstance(count, int) and count >= 0:
                found = min(found, count)
            self.charge(max(found * (len(new) - len(old)), 0))
        elif name == "expandtabs":
            size = args[0] if args else kwargs.get("tabsize", 8)
            tabs = text.count("\t" if isinstance(text, str) else b"\t")
            if isinstance(size, int):
                self.charge(tabs * max(size, 0))
        elif name == "translate" and args:
            table = args[0]
            values = table.values() if isinstance(table, dict) else table if isinstance(table, (list, tuple)) else ()
            longest = max((len(v) for v in values if isinstance(v, _FLAT)), default=1)
            self.charge(len(text) * max(longest - 1, 0))

    def _wrapped_key(self, kwargs: dict) -> dict:
        key = kwargs.get("key")
        if key is None or type(key) is FunctionType:
            return kwargs
        return {**kwargs, "key": lambda value: self.call(key, value)}

    def _stored(self, args: Iterable) -> list:
        """Arguments a call stores (list(...), append, update...): iterators made lists, all charged."""
        out = []
        for arg in args:
            if not isinstance(arg, (*_FLAT, *_CONTAINERS, int, float, bool, type(None))):
                arg = list(arg) if _iterable(arg) else arg
            out.append(self.keep(arg))
        return out

    def _checked_int(self, value: Any) -> Any:
        if type(value) is int and value.bit_length() > MAX_INT_BITS:
            raise int_too_big()
        return value

    def _result(self, value: Any) -> Any:
        """A value a builtin call made: charged with its deep size, integers kept small."""
        return self.keep(value)

    # -- operators ------------------------------------------------------------------
    def binop(self, op: str, left: Any, right: Any) -> Any:
        """``left <op> right`` for the operators that can build big values."""
        self.tick()
        ints = type(left) is int and type(right) is int
        if op in ("mul", "imul"):
            if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise int_too_big()
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (*_FLAT, list, tuple)) and isinstance(n, int) and n > 0:
                    self.charge(deep_size(seq, self.left // n + 1) * n)
        elif op in ("pow", "ipow"):
            if ints and right > 0 and abs(left) > 1 and right * (left.bit_length() - 1) > MAX_INT_BITS:
                raise int_too_big()
        elif op in ("lshift", "ilshift"):
            if ints and left and right > 0 and right + left.bit_length() > MAX_INT_BITS:
                raise int_too_big()
        elif op in ("add", "iadd"):
            if isinstance(left, (*_FLAT, list, tuple)) and isinstance(right, (*_FLAT, list, tuple)):
                self.charge(deep_size(left, self.left) + deep_size(right, self.left))
        elif op in ("mod", "imod") and isinstance(left, _FLAT):
            self._before_percent(left, right)
        result = _OPERATORS[op](left, right)
        if type(result) is int:
            return self._checked_int(result)
        if op in ("mod", "imod", "or", "ior", "and", "iand", "xor", "ixor", "sub", "isub") and \
                isinstance(result, (*_FLAT, *_CONTAINERS)):
            self.charge(deep_size(result, self.left))
        return result

    def _before_percent(self, template: Any, args: Any) -> None:
        """Refuse ``'%0*d' % (10**9, 1)``-like formatting before it runs."""
        text = template.decode("latin-1") if isinstance(template, bytes) else template
        values = list(args) if isinstance(args, tuple) else [args]
        position, wide = 0, 0
        for match in _PERCENT_SPEC.finditer(text):
            for part in match.group(1), match.group(2):
                if part == "*":
                    value = values[position] if position < len(values) else 0
                    position += 1
                    wide += value if isinstance(value, int) and value > 0 else 0
                elif part:
                    wide += int(part)
            if match.group(3) != "%":
                position += 1
        self.charge(wide)

    def format(self, value: Any, spec: str, conversion: int) -> str:
        """An f-string field ``{value!conversion:spec}`` with the width and precision checked."""
        self.tick()
        if conversion == 115:
            value = str(value)
        elif conversion == 114:
            value = repr(value)
        elif conversion == 97:
            value = ascii(value)
        match = _FORMAT_SPEC.match(spec) if isinstance(spec, str) else None
        if match is None:
            self.charge(len(spec))  # not a spec format() knows: let it refuse it
        else:
            self.charge(sum(int(g) for g in match.groups() if g))
        return format(value, spec)


def _iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


_OPERATORS = {name: getattr(operator, f"{name}_" if name in ("or", "and") else name)
              for name in ("mul", "pow", "lshift", "add", "sub", "mod", "or", "and", "xor")}
_OPERATORS.update({f"i{name}": getattr(operator, f"i{name}") for name in list(_OPERATORS)})
