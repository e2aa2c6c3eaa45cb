"""The `cppcc` command's argument parser, in Chinese: usage, help and every error it prints.

The standard library's argparse writes its own words in English ("usage:", "error:",
"the following arguments are required", "invalid int value"); the people who run `cppcc`
(a region's administrators and process designers) read Chinese. `CommandParser` is argparse
with those words said in Chinese: a help option of its own, Chinese section titles and usage
prefix, and the error messages argparse makes rephrased (`chinese`). Subcommands made with
`add_subparsers` are of the same class, so every command says the same.

May import: the standard library only.
"""
import argparse
import re
import sys
import unicodedata
from typing import NoReturn

USAGE = "用法："

# the type names argparse puts in "invalid <type> value" (the `type=` function's name)
_TYPE_NAMES = {"int": "整数", "float": "数字", "Path": "路径", "str": "文本"}

_INVALID_CHOICE = re.compile(r"invalid choice: (.+?) \(choose from (.+)\)", re.S)
# argparse's messages (Python 3.11's wording), each with its Chinese form; tried in order
_MESSAGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"the following arguments are required: (.+)", re.S), "缺少必需的参数：{0}"),
    (re.compile(r"unrecognized arguments: (.+)", re.S), "无法识别的参数：{0}"),
    (_INVALID_CHOICE, "无效的取值 {0}（可选：{1}）"),
    (re.compile(r"invalid (\S+) value: (.+)", re.S), "取值 {1} 无效：应为{type}"),
    (re.compile(r"expected one argument"), "需要一个取值"),
    (re.compile(r"expected at most one argument"), "最多只能有一个取值"),
    (re.compile(r"expected at least one argument"), "至少需要一个取值"),
    (re.compile(r"expected (\d+) arguments?"), "需要 {0} 个取值"),
    (re.compile(r"not allowed with argument (.+)", re.S), "不能与参数 {0} 同时使用"),
    (re.compile(r"one of the arguments (.+) is required", re.S), "参数 {0} 必须给出其中一个"),
    (re.compile(r"ambiguous option: (\S+) could match (.+)", re.S), "选项 {0} 不明确，可能是：{1}"),
    (re.compile(r"ignored explicit argument (.+)", re.S), "此选项不接受取值 {0}"),
]
_ARGUMENT = re.compile(r"argument (\S+): (.+)", re.S)
COMMAND = "命令"  # the subcommand's name in messages (its metavar)


def chinese(message: str) -> str:
    """argparse's error `message` said in Chinese (a message it does not make is kept as it is:
    our own `type=` functions and `parser.error` calls already speak Chinese)."""
    about = _ARGUMENT.fullmatch(message)
    if about:
        name, what = about.groups()
        unknown = _INVALID_CHOICE.fullmatch(what) if name == COMMAND else None
        if unknown:  # cppcc nosuch
            return f"没有命令 {unknown.group(1)}（可用的命令：{unknown.group(2)}）"
        return f"参数 {name}：{chinese(what)}"
    for pattern, text in _MESSAGES:
        found = pattern.fullmatch(message)
        if found:
            parts = found.groups()
            kind = _TYPE_NAMES.get(parts[0], parts[0]) if parts else ""
            return text.format(*parts, type=kind)
    return message


class CommandFormatter(argparse.HelpFormatter):
    """argparse's help layout in Chinese: the usage prefix, Chinese colons after the section
    titles (argparse writes "选项:"), and the help column aligned where an argument's name is
    Chinese (argparse pads by characters; a Chinese character takes two columns)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._headings: set[str] = set()

    def add_usage(self, usage, actions, groups, prefix=None) -> None:  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, USAGE if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(heading)
        if heading:
            self._headings.add(heading)

    def format_help(self) -> str:
        text = super().format_help()
        for heading in self._headings:
            text = re.sub(rf"^( *){re.escape(heading)}:$", rf"\1{heading}：", text, flags=re.M)
        return _ACTION_LINE.sub(_aligned, text)


_ACTION_LINE = re.compile(r"^(  +)(\S.*?)( {3,})(?=\S)", re.M)


def _aligned(line: re.Match) -> str:
    indent, name, gap = line.groups()
    wide = sum(1 for ch in name if unicodedata.east_asian_width(ch) in "WF")
    return f"{indent}{name}{' ' * max(2, len(gap) - wide)}"


class CommandParser(argparse.ArgumentParser):
    """argparse.ArgumentParser whose usage, help and errors are in Chinese."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", CommandFormatter)
        helps = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        if helps:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        """Print the usage and the Chinese message to stderr and exit with status 2 (as argparse does)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{chinese(message)}\n")
