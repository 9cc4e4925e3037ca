"""The documentation in docs/: the site builds without a warning, and code and tests cite it
(not files outside the repository)."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a spec file cited by path or by name (the spec lives outside the repository)
OUTSIDE = re.compile(
    r"\bspec[/ ]\w+\.md|\.\./shared\b|\b(?:ccm_rules|financial_model|panel_contract|icd_data)\.md"
)


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
    )
    assert done.returncode == 0, done.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "run_assessment" in api and "assess" in api


def _nav_pages(entries: object) -> list[str]:
    """The page files of a mkdocs `nav` (nested sections included)."""
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [page for entry in entries for page in _nav_pages(entry)]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in _nav_pages(value)]
    return []


def test_every_docs_page_is_in_the_site_navigation() -> None:
    import yaml

    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    pages = sorted(p.relative_to(ROOT / "docs").as_posix() for p in ROOT.glob("docs/**/*.md"))
    assert sorted(nav) == pages
    assert _nav_pages([{"A": "a.md"}, {"B": [{"C": "c.md"}]}]) == ["a.md", "c.md"]


def test_code_and_tests_cite_docs_inside_the_repository() -> None:
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("ccm_assess", "tests", "benchmarks", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert cited == []
    assert OUTSIDE.search("see spec" + "/outputs.md") and OUTSIDE.search("ccm_rules" + ".md")
    assert not OUTSIDE.search("see docs/outputs.md")


def test_every_import_in_the_docs_resolves() -> None:
    """Each `from ccm_assess... import name` in a docs/ or README code block names a real object."""
    pattern = re.compile(r"^from (ccm_assess[\w.]*) import (?:\(([^)]*)\)|([\w, ]+)$)", re.M)
    checked = 0
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for module, listed, inline in pattern.findall(page.read_text(encoding="utf-8")):
            imported = importlib.import_module(module)
            for name in filter(None, (n.strip() for n in (listed or inline).split(","))):
                assert hasattr(imported, name), f"{page.name}: {module} has no {name}"
                checked += 1
    assert checked >= 7  # the API page's worked example at least
