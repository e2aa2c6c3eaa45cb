"""The repository stands alone: no code, doc or message refers to files outside it."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./shared|shared/(?:DOMAIN|SPIFF|seeds)|SPIFF_NOTES|DOMAIN\.md|/work/")


def test_no_reference_to_files_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert len(files) > 100
    found = [f"{name}:{n}" for name in files if not name.endswith((".png", ".xlsx", ".ttf", ".woff", ".woff2"))
             and (ROOT / name).is_file()
             for n, line in enumerate((ROOT / name).read_text(errors="ignore").splitlines(), 1)
             if OUTSIDE.search(line) and name != "tests/unit/test_self_contained.py"]
    assert not found, found
