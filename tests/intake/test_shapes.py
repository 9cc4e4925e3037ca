"""Issue 25's export shapes (tests/intake/shapes.py) read to the counts their generator drew,
without a mapping; and the rules behind them on small hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ccm_assess.clinical.eligibility import assess_eligibility
from ccm_assess.intake.panel import Panel, read_panel, tidy_panel
from tests.intake import shapes


def counts(panel: Panel) -> tuple[int, int, int]:
    """(patients, excluded, CCM eligible) as the kit counts them."""
    result = assess_eligibility(panel, shapes.AS_OF).patients
    excluded = int(result["excluded_reason"].notna().sum())
    return len(panel.patients), excluded, int(result["ccm_eligible"].sum())


def expected(truth: shapes.Truth) -> tuple[int, int, int]:
    return truth.patients, truth.excluded, truth.eligible


def grid(rows: list[list[object]]) -> pd.DataFrame:
    width = max(len(r) for r in rows)
    return pd.DataFrame([[*r, *[None] * (width - len(r))] for r in rows], dtype=object)


def test_claim_lines_read_by_member_number_with_the_latest_visit(tmp_path: Path) -> None:
    path, truth = shapes.write_claim_lines(tmp_path)
    panel = read_panel(path)
    assert panel.mapping["patient_id"] == ["Member Nbr"]  # not POS ("11" on every row)
    assert counts(panel) == expected(truth) == (300, 0, 143)
    assert panel.ledger["status"].eq("used").sum() == truth.rows_used
    latest = panel.patients["last_visit_date"]
    assert latest.to_dict() == truth.last_visit
    assert panel.quality.conflicts.query("column == 'last_visit_date'").empty


def test_a_constant_column_is_never_the_patient_id() -> None:
    rows = [["ID", "Visit", "Dx", "DOB"]] + [
        ["11", f"V{i}", "E11.9; I10", f"01/0{1 + i % 5}/1950"] for i in range(8)
    ]
    panel = tidy_panel(grid(rows))
    assert panel.mapping["patient_id"] == ["Visit"]
    assert any("too few distinct values" in n for n in panel.notes)


def test_last_visit_is_the_latest_date_of_a_patients_rows() -> None:
    rows = [["MRN", "ICD10", "Last Visit"], ["A1", "E11.9", "2024-01-05"],
            ["A1", "I10", "2026-03-01"], ["A1", "N18.30", "2025-02-02"]]  # fmt: skip
    panel = tidy_panel(grid(rows))
    assert panel.patients.loc["A1", "last_visit_date"] == pd.Timestamp("2026-03-01")
