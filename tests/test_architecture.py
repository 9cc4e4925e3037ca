"""The package's layers hold: import-linter's contracts in pyproject.toml ([tool.importlinter]).

The contracts count every import grimp sees, at module top, inside functions and under
TYPE_CHECKING: layers from the edge down to the base modules, no presentation or notebook
library in the domain, outputs never importing the edge, no import cycle between the modules of
a package nor between sibling packages. ARCHITECTURE.md draws the layers.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ccm_assess"
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["contracts"]
MAX_TOP_LEVEL_MODULES = 12
"""Modules directly under ccm_assess/ (issue 18): the rest lives in the subpackages."""

LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
)


def test_import_contracts_are_kept() -> None:
    # a subprocess: import-linter puts the working directory on sys.path and configures logging
    done = subprocess.run(
        [sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


def test_every_top_level_module_and_subpackage_has_a_layer() -> None:
    layers = next(
        c for c in CONTRACTS if c["type"] == "layers" and c["containers"] == ["ccm_assess"]
    )
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    children = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | {
        p.parent.name for p in PACKAGE.glob("*/__init__.py")
    }
    assert placed == children


def test_at_most_a_dozen_modules_directly_under_the_package() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules
