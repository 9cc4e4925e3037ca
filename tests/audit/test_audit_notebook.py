"""notebooks/monthly_audit.ipynb: committed without outputs, one parameters cell, valid code."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "monthly_audit.ipynb"


def test_the_audit_notebook_is_clean_and_parameterised():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {t.id for node in ast.parse(tagged[0].source).body for t in node.targets}
    assert {"time_log", "claims", "register", "months", "plan", "year", "locality"} <= names
    for cell in code:
        ast.parse(cell.source)
        assert len(cell.source.splitlines()) <= 20  # logic lives in ccm_assess.audit
