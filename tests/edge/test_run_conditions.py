"""`run --conditions` counts the list it is given, as `check` does (issue 23: it was ignored).

One run of the command on the bundled sample, without the report notebook (xlsx only).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from ccm_assess.edge import cli

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
STRICT_ELIGIBLE = 1136
"""CCM-eligible patients of the sample on CMS's chronic conditions list only (`check`)."""


def test_run_strict_counts_what_check_strict_counts_and_says_so(tmp_path, capsys):
    common = [str(PANEL), "--as-of", "2026-11-20", "--conditions", "strict"]
    assert cli.main(["check", *common, "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)["eligibility"]["ccm_eligible"]
    assert checked == STRICT_ELIGIBLE

    out = tmp_path / "out"
    assert cli.main(["run", *common, "--out", str(out), "--formats", "xlsx", "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["eligibility"]["ccm_eligible"] == STRICT_ELIGIBLE
    assert summary["conditions_level"] == "strict"
    book = openpyxl.load_workbook(out / "workbook.xlsx", read_only=True)
    cells = [str(c) for row in book["Funnel"].iter_rows(values_only=True) for c in row if c]
    assert "2+ chronic conditions, strict list: CMS's chronic conditions list only" in cells
