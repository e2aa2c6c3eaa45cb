"""A CJK font for the browser: bin/cjk-font installs Debian's fonts-noto-cjk where no
Chinese font is found (as root with apt-get), hints in Chinese otherwise, never fails;
bin/setup and .ci/run (before the browser tests) run it."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "cjk-font"


def _fake(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def _run(tmp_path, *, fonts: str, uid: int, apt: bool):
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    _fake(bin_dir, "fc-list", f"printf '%s' '{fonts}'")
    _fake(bin_dir, "id", f"echo {uid}")
    _fake(bin_dir, "fc-cache", "true")
    if apt:
        _fake(bin_dir, "apt-get", f'echo "$*" >> {calls}')
    result = subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True, timeout=30,
                            env={"PATH": str(bin_dir), "HOME": str(tmp_path)})
    return result, (calls.read_text(encoding="utf-8") if calls.exists() else "")


def test_installs_the_debian_font_when_no_chinese_font_is_found(tmp_path):
    result, calls = _run(tmp_path, fonts="", uid=0, apt=True)
    assert result.returncode == 0, result.stderr
    assert "install" in calls and "fonts-noto-cjk" in calls
    assert "fonts-noto-cjk" in result.stdout + result.stderr


def test_does_nothing_when_a_chinese_font_is_there(tmp_path):
    result, calls = _run(tmp_path, fonts="Noto Sans CJK SC", uid=0, apt=True)
    assert result.returncode == 0 and calls == "" and result.stdout == "" and result.stderr == ""


@pytest.mark.parametrize("uid, apt", [(1000, True), (0, False)], ids=["not-root", "no-apt"])
def test_only_hints_in_chinese_without_root_or_apt(tmp_path, uid, apt):
    result, calls = _run(tmp_path, fonts="", uid=uid, apt=apt)
    assert result.returncode == 0
    assert calls == ""
    assert "中文字体" in result.stderr and "fonts-noto-cjk" in result.stderr


def test_setup_and_ci_install_it_before_the_browser_tests():
    assert os.access(SCRIPT, os.X_OK)
    assert "bin/cjk-font" in (ROOT / "bin" / "setup").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bin/cjk-font" in ci and ci.index("bin/cjk-font") < ci.index("bin/test")
