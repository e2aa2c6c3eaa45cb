"""Query parameters of a list's filters, read the same way by the search and the statistics:
unknown names and repeated values are errors naming the field.

May import: the standard library only.
"""
from collections.abc import Collection, Mapping


def single_values(args: Mapping[str, object], allowed: Collection[str], labels: Mapping[str, str],
                  errors: list[dict[str, str]]) -> dict[str, str]:
    """{name: text} of the filters given in `args` ({name: text, or a list of texts as a query
    string gives them}), leaving out empty ones; appends to `errors` one entry per unknown name
    (not in `allowed`) and per name given more than once (`labels` names it in Chinese)."""
    values = {}
    for key, value in args.items():
        if key not in allowed:
            errors.append({"field": key, "message": f"不支持的筛选条件“{key}”"})
            continue
        if isinstance(value, (list, tuple)):
            if len(value) > 1:
                errors.append({"field": key, "message": f"{labels[key]}只能给一个值"})
                continue
            value = value[0] if value else None
        if value is not None and str(value) != "":
            values[key] = str(value)
    return values
