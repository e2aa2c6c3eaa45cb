"""What task data can keep: it is stored as JSON (PostgreSQL JSONB refuses NaN too)."""
import math
from typing import Any

MAX_DATA_DEPTH = 64


def unstorable(value: Any, depth: int = 0) -> str | None:
    """Why `value` cannot be kept in task data (stored as JSON), or None if it can."""
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return None
    if kind is float:
        return None if math.isfinite(value) else "非有限小数（NaN 或无穷大）"
    if depth >= MAX_DATA_DEPTH:
        return f"嵌套超过 {MAX_DATA_DEPTH} 层"
    if kind in (list, tuple):
        return next((why for why in (unstorable(v, depth + 1) for v in value) if why), None)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return f"键 {key!r} 不是文本"
            why = unstorable(item, depth + 1)
            if why:
                return why
        return None
    return _KIND_NAMES.get(kind.__name__, f"无法保存的值（{kind.__name__}）")


_KIND_NAMES = {"set": "集合（set）", "frozenset": "集合（frozenset）", "generator": "生成器",
               "function": "函数", "builtin_function_or_method": "函数", "module": "模块",
               "range": "range 对象", "bytes": "字节串（bytes）", "dict_keys": "字典视图", "dict_values": "字典视图",
               "dict_items": "字典视图", "enumerate": "enumerate 对象", "zip": "zip 对象",
               "list_reverseiterator": "迭代器", "reversed": "迭代器", "complex": "复数"}
