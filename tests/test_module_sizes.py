"""No module over ~400 lines without the reason in its docstring (issue 18, ARCHITECTURE.md).

A module that grows past `MAX_LINES` is split where it holds two concepts; where it holds one,
its docstring says why in a sentence starting "Longer than 400 lines because".
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ccm_assess"
MAX_LINES = 400
REASON = "Longer than 400 lines because "
MIN_REASON_WORDS = 5  # a reason, not the bare phrase


def long_modules_without_reason(package: Path) -> list[str]:
    """`path (n lines)` of every module of `package` over MAX_LINES whose docstring gives no
    reason (relative to the package's parent folder, sorted)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines <= MAX_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        reason = docstring.partition(REASON)[2]
        if len(reason.split()) < MIN_REASON_WORDS:
            found.append(f"{path.relative_to(package.parent).as_posix()} ({lines} lines)")
    return found


def test_every_module_over_400_lines_says_why_in_its_docstring() -> None:
    assert long_modules_without_reason(PACKAGE) == []


def test_the_check_finds_long_modules_without_a_reason(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    body = "x = 1\n" * MAX_LINES  # with the docstring line: 401 lines
    (package / "short.py").write_text('"""Short."""\n' + "x = 1\n" * 10, encoding="utf-8")
    (package / "at_limit.py").write_text('"""At the limit."""\n' + body[6:], encoding="utf-8")
    (package / "long.py").write_text('"""Long, no reason given."""\n' + body, encoding="utf-8")
    (package / "sub" / "bare.py").write_text(f'"""{REASON.strip()}."""\n' + body, encoding="utf-8")
    explained = f'"""Long.\n\n{REASON}its six tables share one layout."""\n'
    (package / "explained.py").write_text(explained + body, encoding="utf-8")
    assert long_modules_without_reason(package) == [
        "pkg/long.py (401 lines)",
        "pkg/sub/bare.py (401 lines)",
    ]
