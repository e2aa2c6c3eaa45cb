"""The `cppcc` command speaks Chinese: its usage, its help and argparse's own errors."""
import argparse
import re

import pytest

from api import cli
from api.cli.parser import CommandParser, chinese

# argparse's English words: none may reach the person at the terminal
ENGLISH = re.compile(r"usage:|error:|options:|positional arguments|show this help|argument|invalid|"
                     r"required|unrecognized|expected|choose from|not allowed|ambiguous")


def run(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        cli.main(list(argv))
    out = capsys.readouterr()
    return stopped.value.code, out.out + out.err


@pytest.mark.parametrize("argv, said", [
    ((), "缺少必需的参数：命令"),
    (("nosuch",), "没有命令 'nosuch'（可用的命令：'init-db'"),
    (("--bogus", "check"), "无法识别的参数：--bogus"),
    (("replay", "--workers", "x", "--generate", "3"), "参数 --workers：取值 'x' 无效：应为整数"),
    (("replay", "--generate", "3", "--recorded"), "参数 --recorded：不能与参数 --generate 同时使用"),
    (("replay",), "参数 --generate --recorded 必须给出其中一个"),
    (("add-user", "wy"), "缺少必需的参数：姓名, --role"),
    (("serve", "--port"), "参数 --port：需要一个取值"),
    (("run-timers", "--at"), "参数 --at：需要一个取值"),
])
def test_errors_are_in_chinese(capsys, argv, said):
    code, text = run(capsys, *argv)
    assert code == 2
    assert said in text
    assert text.startswith("用法：cppcc")
    assert "：错误：" in text
    assert not ENGLISH.search(text), text


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, as `cppcc` builds them (by asking for the top-level help
    would print; the parser is rebuilt here the way main builds it)."""
    built: dict[str, argparse.ArgumentParser] = {}
    real = CommandParser.parse_args

    def capture(self, args=None, namespace=None):  # main builds the parser, then parses: keep it
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                built.update(action.choices)
        raise SystemExit(0)

    CommandParser.parse_args = capture  # type: ignore[method-assign]
    try:
        with pytest.raises(SystemExit):
            cli.main([])
    finally:
        CommandParser.parse_args = real  # type: ignore[method-assign]
    return built


def test_every_command_helps_in_chinese():
    parsers = commands()
    assert {"serve", "replay", "deploy", "add-user", "import-proposals", "sweep-uploads"} <= set(parsers)
    for name, parser in parsers.items():
        text = parser.format_help()
        assert text.startswith(f"用法：cppcc {name}"), name
        assert "选项：" in text and "显示本帮助并退出" in text, name
        assert not ENGLISH.search(text), (name, text)
        for action in parser._actions:  # every argument says what it is for
            assert action.help and re.search(r"[\u4e00-\u9fff]", action.help), (name, action.dest)


def test_help_columns_line_up_with_chinese_names():
    parser = CommandParser(prog="cppcc demo")
    parser.add_argument("username", metavar="登录名", help="账号")
    parser.add_argument("--unit", help="单位")
    lines = parser.format_help().splitlines()

    def column(line: str) -> int:  # where the help text starts, in terminal columns
        head = line[:line.index(line.split()[-1])]
        return sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in head)

    assert column(next(x for x in lines if "账号" in x)) == column(next(x for x in lines if "单位" in x))


def test_a_message_argparse_does_not_make_is_kept():
    assert chinese("时间格式应为 ISO") == "时间格式应为 ISO"
    assert chinese("argument --at: 时间格式应为 ISO") == "参数 --at：时间格式应为 ISO"
