"""The text report of `ccm-assess check` (ccm_assess.edge.check)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl

from ccm_assess.edge.check import format_check
from ccm_assess.intake.panel import read_panel

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_report_of_the_long_fixture() -> None:
    panel = read_panel(FIXTURES / "one_row_per_diagnosis.csv")
    lines = format_check(panel).splitlines()
    assert lines[0] == f"Panel check: {FIXTURES / 'one_row_per_diagnosis.csv'}"
    # 11 rows: title, header, 7 data rows (A1 x3, A2 x2, A3, A4), 1 without MRN (row 8), footer;
    # 4 patients from 7 used rows -> 3 merged; valid pairs A1 E119, A1 I10, A2 J449, A4 N1830;
    # A3 has only DM2 -> 1 patient without a valid code
    assert lines[1:] == [
        "Header row: 2",
        "Shape: long (one row per patient and diagnosis)",
        "",
        "Columns (role: header)",
        "  patient_id            MRN",
        "  diagnosis             ICD10 Code",
        "  birth_date            DOB",
        "  primary_payer         Primary Insurance",
        "  secondary_payer       Secondary Insurance",
        "  last_visit_date       Last Visit",
        "  name                  Patient Name",
        "  not in the file: sex, provider, location, deceased, death_date, hospice, "
        "inpatient_admits_12m, ed_visits_12m, phone, address",
        "  columns not used: 'Problem Description'",
        "",
        "How each column was read (header, role, found by: map/header/content, evidence)",
        # 8 sampled cells per column (the footer "Total rows: 8" among them): 7 MRNs of 8,
        # 7 payers of 8; 6 codes that exist of 8 cells (DM2, 250.00 do not); the 3 secondary
        # payers are all Medicaid
        "  MRN                  patient_id            header    88% of cells fit",
        "  Patient Name         name                  header",
        "  DOB                  birth_date            header   100% of cells fit",
        "  Primary Insurance    primary_payer         header    88% of cells fit",
        "  Secondary Insurance  secondary_payer       header   100% of cells fit",
        "  Last Visit           last_visit_date       header   100% of cells fit",
        "  ICD10 Code           diagnosis             header    75% of cells fit",
        "  Problem Description  (not read)",
        "",
        "Rows",
        "  rows read: 11 = 7 used + 3 skipped + 1 rejected",
        "  skipped: title row above the header: 1",
        "  skipped: header row: 1",
        "  skipped: total or subtotal row: 1",
        "  rejected: no patient id: 1 (row 8)",
        "  patients: 4 from 7 used rows (3 rows merged into patients seen before)",
        "",
        "Diagnosis codes",
        "  valid ICD-10-CM: 4 patient-code pairs (4 distinct codes); "
        "1 patient without a valid code",
        "  ICD-9 (not used): 1 entry, e.g. 250.00 (1)",
        "  invalid (not used): 1 entry, e.g. (text not shown) (1)",
        "  not in the FY2026 ICD-10-CM code set (still read by their first characters): none",
        "  retired (valid in an earlier year) (still read by their first characters): none",
        "",
        "Payers",
        "  primary payer class (patients): medicare_ffs 1, medicare_advantage 1, self_pay 1, "
        "unknown 1",
        "  dual eligible (Medicare + Medicaid): 1",
        "  unrecognised payer text (1 distinct, patients): Acme Health Plan (1)",
        "",
        "Dates, values and conflicts",
        "  birth_date: 1 patient whose rows disagree (first non-blank value kept)",
    ]


def test_report_names_sheets_and_keeps_patients_out(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Criteria"
    workbook.active.append(["Run by", "front desk"])
    sheet = workbook.create_sheet("Patients")
    sheet.append(["Patient Panel Report"])
    sheet.append(["MRN", "Patient Name", "DOB", "Insurance", "Dx 1", "Dx 2"])
    sheet.append(["M-501", "Zed Quill", dt.datetime(1951, 2, 3), "Medicare", "E11.9", "I10"])
    sheet.append(["M-502", "Ann Vale", "2098-05-06", "Plan 0047", "DM2", ""])
    sheet.append(["M-503", "Bo Kerr", "31/31/1950", "Medicaid", "401.9", "J44.9"])
    workbook.save(tmp_path / "panel.xlsx")
    text = format_check(read_panel(tmp_path / "panel.xlsx"))
    assert "Sheet used: 'Patients' (other sheets: 'Criteria')" in text
    assert "Header row: 2" in text
    assert "rows read: 5 = 3 used + 2 skipped + 0 rejected" in text
    # unparseable dates show examples; an impossible but real-looking birth date does not
    assert "birth_date: 1 unparseable, set to blank (e.g. (text not shown))" in text
    assert "31/31/1950" not in text
    assert "birth_date: 1 in the future, set to blank\n" in text + "\n"
    assert "unrecognised payer text (1 distinct, patients): Plan 0047 (1)" in text
    for phi in ("M-501", "M-502", "M-503", "Zed", "Quill", "Vale", "Kerr", "1951", "2098"):
        assert phi not in text


def test_long_lists_are_cut_to_five_examples(tmp_path: Path) -> None:
    # 7 distinct invalid codes (DM0..DM6 once each) on 7 rows, 1 valid row, 7 rows without MRN
    rows = ["MRN,Name,Dx", "1,a,E11.9"] + [f"{i + 2},b,DM{i}" for i in range(7)]
    rows += [",c,I10" for _ in range(7)] + ["9,d,I10"]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(rows) + "\n")
    text = format_check(read_panel(path))
    # DM0.. are invalid in shape (second character must be a digit), so not code-shaped:
    # counted, never quoted (issue 13: a name typed into a code cell must not reach a message)
    assert "invalid (not used): 7 entries, e.g. (text not shown) (7)" in text
    assert "DM0" not in text
    # the rows without MRN are file rows 10..16
    assert "rejected: no patient id: 7 (rows 10, 11, 12, 13, 14, ...)" in text
    assert re.search(r"rows read: 17 = 9 used \+ 1 skipped \+ 7 rejected", text)
