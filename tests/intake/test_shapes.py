"""Issue 25's export shapes (tests/intake/shapes.py) read to the counts their generator drew,
without a mapping; and the rules behind them on small hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.clinical.eligibility import assess_eligibility
from ccm_assess.errors import PanelError
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


def test_a_one_patient_file_keeps_its_id_column() -> None:
    rows = [["MRN", "Dx", "DOB"]] + [["A1", code, "01/02/1950"] for code in
                                      ("E11.9", "I10", "N18.30", "J44.9", "E78.5")]  # fmt: skip
    panel = tidy_panel(grid(rows))
    assert panel.mapping["patient_id"] == ["MRN"] and len(panel.patients) == 1


def test_last_visit_is_the_latest_date_of_a_patients_rows() -> None:
    rows = [["MRN", "ICD10", "Last Visit"], ["A1", "E11.9", "2024-01-05"],
            ["A1", "I10", "2026-03-01"], ["A1", "N18.30", "2025-02-02"]]  # fmt: skip
    panel = tidy_panel(grid(rows))
    assert panel.patients.loc["A1", "last_visit_date"] == pd.Timestamp("2026-03-01")


def test_grouped_report_fills_the_patient_down_and_names_every_skipped_row(
    tmp_path: Path,
) -> None:
    path, truth = shapes.write_grouped_report(tmp_path)
    panel = read_panel(path)
    assert counts(panel) == expected(truth) == (300, 0, 166)
    reasons = panel.ledger.groupby(["status", "reason"]).size().to_dict()
    assert panel.ledger["status"].eq("used").sum() == truth.rows_used
    assert reasons[("skipped", "page row")] == truth.skipped["page"]
    assert reasons[("skipped", "total or subtotal row")] == truth.skipped["total"]
    assert reasons[("skipped", "repeated header row")] == truth.skipped["header"] - 1
    assert reasons[("skipped", "title row above the header")] == truth.skipped["title"]
    assert ("rejected", "no patient id") not in reasons


GROUPED = [["MRN", "DOB", "ICD10"], ["A1", "01/02/1950", "E11.9"], [None, None, "I10"],
           ["Page 1"], ["MRN", "DOB", "ICD10"], [None, None, "N18.30"]]  # fmt: skip


def test_grouped_rows_join_the_patient_above_across_a_page_break() -> None:
    panel = tidy_panel(grid(GROUPED))
    assert sorted(panel.diagnoses["code"]) == ["E119", "I10", "N1830"]
    assert set(panel.diagnoses["patient_id"]) == {"A1"}
    assert panel.ledger["reason"].tolist()[5].endswith("(grouped report)")


def test_a_patient_row_without_an_id_or_a_subtotal_closes_the_group() -> None:
    rows = [*GROUPED, [None, "03/04/1960", "J44.9"], [None, None, "I10"],
            ["B2", "05/06/1955", "E78.5"], ["Subtotal: 1"], [None, None, "F32.9"],
            ["C3", "07/08/1944", "I10"]]  # fmt: skip
    status = tidy_panel(grid(rows)).ledger["status"].tolist()
    assert status[6:] == ["rejected", "rejected", "used", "skipped", "rejected", "used"]


def test_codes_without_any_patient_row_above_are_refused() -> None:
    rows = [["MRN", "DOB", "ICD10"], *[[None, None, "I10"]] * 8, ["A1", "01/02/1950", "E11.9"]]
    with pytest.raises(PanelError, match="grouping of rows by patient cannot be told"):
        tidy_panel(grid(rows))


def test_several_problems_in_one_cell_in_any_written_form(tmp_path: Path) -> None:
    path, truth = shapes.write_problem_cells(tmp_path)
    panel = read_panel(path)
    assert counts(panel) == expected(truth) == (300, 0, 159)
    assert panel.quality.icd9_codes.empty  # `500 mg` and list numbers are not ICD-9 codes
    assert panel.quality.text_code_cells == truth.text_code_cells == 180


@pytest.mark.parametrize("header", ["Exp", "Exp.", "EXPD", "Deceased?"])
def test_spanish_flags_abbreviated_expired_header_and_title_rows(
    tmp_path: Path, header: str
) -> None:
    path, truth = shapes.write_spanish_flags(tmp_path, header=header)
    panel = read_panel(path)
    assert counts(panel) == expected(truth) == (300, 25, 161)  # no phantom patient
    assert panel.source.header_row == 5
    assert panel.mapping["deceased"] == [header]
    assert panel.ledger["status"].value_counts().to_dict() == {"used": 300, "skipped": 5}
    bad = panel.quality.bad_values.set_index("column")["count"].to_dict()
    assert bad == {"deceased": truth.unreadable_flags} and truth.unreadable_flags == 4
    assert any("4 deceased cell(s) could not be read" in n for n in panel.notes)


def test_a_title_row_naming_roles_is_not_the_header() -> None:
    flags = [("No", "Sí"), ("Sí", "No"), ("falso", "verdadero"), ("SI", "NO"), ("no", "?")]
    rows = [["Provider", "All", "Location", "Main"], [],
            ["Expediente", "Dx", "Exp", "Hospice"],
            *[[f"2041{k}7", "E11.9; I10", d, h] for k, (d, h) in enumerate(flags)]]  # fmt: skip
    panel = tidy_panel(grid(rows))
    assert panel.source.header_row == 3
    assert panel.patients["deceased"].tolist() == [False, True, False, True, False]
    assert panel.patients["hospice"].tolist() == [True, False, True, False, pd.NA]
    assert any("1 hospice cell(s) could not be read" in n for n in panel.notes)
