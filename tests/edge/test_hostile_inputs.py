"""Hostile and broken panels (issue 7): the kit never crashes and never loses a row.

Each unusable file stops `ccm-assess check` with one message and exit status 2, no traceback;
each usable-but-odd file is read with every row in the ledger and a note or count saying what
was odd. Files are built in tmp_path (the big ones are sparse or repetitive, so cheap to build).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from test_panel import pairs, statuses, write_text, write_xlsx
from test_sources import password_protected

from ccm_assess.edge.cli import main
from ccm_assess.intake.panel import Panel, read_panel

AS_OF = "2026-11-26"


def check(path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str, str]:
    """`ccm-assess check PATH`: exit status, stdout, stderr."""
    status = main(["check", str(path), "--as-of", AS_OF, *options])
    out, err = capsys.readouterr()
    return status, out, err


def counts(panel: Panel) -> dict[str, int]:
    return panel.ledger["status"].value_counts().to_dict()


def formulas_only(path: Path) -> Path:
    """ids typed, codes as formulas (`="E11.9"`): openpyxl saves no computed values."""
    workbook = openpyxl.Workbook()
    for row in (["MRN", "Dx"], [1, '="E11.9"'], [2, "=B2"]):
        workbook.active.append(row)
    workbook.save(path)
    return path


# --- files the kit cannot use: one message, exit 2 -------------------------------------------

UNUSABLE = [
    ("empty.csv", lambda d: write_text(d / "empty.csv", ""),
     "'empty.csv' is empty (0 bytes); export the panel again"),
    ("header only", lambda d: write_text(d / "header.csv", "MRN,DOB,Dx\n"),
     "no patient rows below the header (row 1) of 'header.csv'; check that the export holds "
     "the patients, not only a title or summary"),
    ("binary garbage named .xlsx",
     lambda d: (d / "garbage.xlsx").write_bytes(np.random.default_rng(7).bytes(5000))
     and d / "garbage.xlsx",
     "cannot read 'garbage.xlsx': it is not a valid Excel workbook (damaged, or another kind "
     "of file renamed); open it in Excel and save it again as .xlsx, or export the panel as "
     ".csv"),
    ("binary garbage named .csv",
     lambda d: (d / "garbage.csv").write_bytes(np.random.default_rng(7).bytes(5000))
     and d / "garbage.csv",
     "'garbage.csv' is not a text file: it holds binary data; export the panel again as .csv "
     "or .xlsx"),
    ("password-protected workbook", lambda d: password_protected(d / "locked.xlsx"),
     "'locked.xlsx' is password-protected; open it in Excel, remove the password (File > Info "
     "> Protect Workbook > Encrypt with Password, clear it), save it and run again"),
    ("only title rows",
     lambda d: write_text(d / "titles.csv", "Patient Panel Report\nRun date: 11/26/2026\n\n"
                          "Confidential\n"),
     "'titles.csv' does not look like a table: no row has more than one filled cell; export "
     "the panel with one column per field (patient id, diagnosis codes, ...)"),
    ("formulas without computed values", lambda d: formulas_only(d / "formulas.xlsx"),
     "the diagnosis column(s) 'Dx' are empty; pass --map diagnosis=<header> for the column "
     "that holds the ICD-10-CM codes; note: 2 formula cell(s) of sheet 'Sheet' have no "
     "computed value and read as blank (the program that wrote the file did not calculate "
     "them); open the file in Excel, save it and run again"),
    ("unsupported extension", lambda d: write_text(d / "panel.docx", "MRN,Dx\n1,E11.9\n"),
     "cannot read 'panel.docx': unsupported file type '.docx'; export the panel as one of "
     ".xlsx, .xlsm, .xls, .csv, .tsv, .txt, .parquet"),
    ("a directory", lambda d: (d / "exports").mkdir() or d / "exports",
     "'{d}/exports' is a folder, not a file; pass the panel file itself"),
    ("a missing file", lambda d: d / "nowhere.csv",
     "panel file not found: {d}/nowhere.csv; check the path"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "make", "message"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_unusable_files_stop_with_one_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str, make, message: str
) -> None:
    status, out, err = check(make(tmp_path), capsys)
    assert status == 2
    assert out == ""
    assert err == f"ccm-assess: {message.format(d=tmp_path)}\n"
    assert "Traceback" not in err


# --- odd files that are read, with every row accounted for -----------------------------------


def test_cp1252_with_smart_quotes_and_stray_bytes(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    # \x93 \x94 smart quotes, \x96 en dash, \xe9 é; \x81 and \x9d are undefined in cp1252
    path.write_bytes(b"MRN,Patient Name,Dx\r\n1,\x93Ren\xe9e\x94 \x96 Smith\x81,E11.9\r\n"
                     b"2,O\x9dBrien,I10\r\n")  # fmt: skip
    panel = read_panel(path)
    assert panel.patients["name"].tolist() == ["\u201cRenée\u201d \u2013 Smith", "OBrien"]
    assert pairs(panel) == [("1", "E119", 2), ("2", "I10", 3)]
    assert panel.notes == (
        "'cp1252.csv' is not UTF-8: read as Windows-1252 (cp1252); 2 stray bytes with no "
        "meaning there dropped",
    )


def test_nul_bytes_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"MRN,Dx\n1\x00,E11.9\x00\n\x002,I10\n3,J44.9\n" + bytes(300))  # padding
    panel = read_panel(path)
    assert statuses(panel) == {1: "skipped: header row", 2: "used", 3: "used", 4: "used"}
    assert pairs(panel) == [("1", "E119", 2), ("2", "I10", 3), ("3", "J449", 4)]


def test_codes_with_emoji_and_control_characters(tmp_path: Path) -> None:
    text = "MRN,Dx\n1,E11.9\x00\n2,I10\u200b\n3,J44.9🙂\n4,\x1bN18.30\n5,🙂\n"
    panel = read_panel(write_text(tmp_path / "odd_codes.csv", text))
    assert pairs(panel) == [("1", "E119", 2), ("2", "I10", 3), ("3", "J449", 4),
                            ("4", "N1830", 5)]  # fmt: skip
    assert panel.quality.invalid_codes.to_dict("list") == {"value": ["🙂"], "count": [1]}
    assert counts(panel) == {"used": 5, "skipped": 1}  # patient 5 exists, without a code


def test_a_date_column_full_of_text(tmp_path: Path) -> None:
    text = "MRN,DOB,Last Visit,Dx\n1,unknown,soon,E11.9\n2,see chart,n/a,I10\n3,?,TBD,J44.9\n"
    panel = read_panel(write_text(tmp_path / "dates.csv", text))
    assert panel.patients["birth_date"].isna().all()
    assert panel.quality.bad_dates.to_dict("records") == [
        {"column": "birth_date", "problem": "unparseable", "count": 3,
         "examples": "(text not shown)"},
        {"column": "last_visit_date", "problem": "unparseable", "count": 3,
         "examples": "(text not shown)"},
    ]  # fmt: skip
    assert len(panel.patients) == 3


def test_duplicate_headers(tmp_path: Path) -> None:
    # two Dx columns: both read; two MRN columns: the one with more ids (B: 3 > A: 1)
    text = "MRN,MRN,Dx,Dx\n,A1,E11.9,I10\n99,A2,J44.9,\n,A3,,N18.30\n"
    panel = read_panel(write_text(tmp_path / "dups.csv", text))
    assert panel.patients.index.tolist() == ["A1", "A2", "A3"]
    assert [code for _, code, _ in pairs(panel)] == ["E119", "I10", "J449", "N1830"]
    assert "2 columns are headed 'MRN' (A, B): patient_id is read from column B" in panel.notes


def test_rows_with_inconsistent_numbers_of_cells(tmp_path: Path) -> None:
    text = "MRN,Name,Dx\n1,Ann,E11.9\n2,Doe, Jane,I10\n3\n4,Bo,J44.9,,,,x\n5,Cy\n"
    panel = read_panel(write_text(tmp_path / "ragged.csv", text))
    assert counts(panel) == {"used": 5, "skipped": 1}
    # row 3: the unquoted comma shifts I10 into a column without a header: a code next to the
    # diagnosis column, so it is still read; row 5: "x" under no header is not read, and said
    assert pairs(panel) == [("1", "E119", 2), ("2", "I10", 3), ("4", "J449", 5)]
    assert panel.quality.invalid_codes.to_dict("list") == {"value": ["Jane"], "count": [1]}
    assert panel.notes == (
        "1 filled cell(s) under no header (column(s) G; row(s) 5) were not read; in a CSV "
        "file, a value with an unquoted delimiter shifts the cells after it",
    )


def test_merged_cells_in_the_title_and_header_area(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "Patient Panel Report — Main Street Clinic"
    sheet.merge_cells("A1:F1")
    sheet["A2"], sheet["C2"] = "Patient", "Diagnoses"  # a two-level header
    sheet.merge_cells("A2:B2")
    sheet.merge_cells("C2:F2")
    for row in (["MRN", "DOB", "Dx1", "Dx2", "Dx3", "Dx4"],
                [1, "1950-01-01", "E11.9", "I10", None, None],
                [2, "1948-05-06", "J44.9", None, None, "N18.30"]):  # fmt: skip
        sheet.append(row)
    workbook.save(tmp_path / "merged.xlsx")
    panel = read_panel(tmp_path / "merged.xlsx")
    assert panel.source.header_row == 3
    assert statuses(panel) == {1: "skipped: title row above the header",
                               2: "skipped: title row above the header",
                               3: "skipped: header row", 4: "used", 5: "used"}  # fmt: skip
    assert pairs(panel) == [("1", "E119", 4), ("1", "I10", 4), ("2", "J449", 5),
                            ("2", "N1830", 5)]  # fmt: skip


def test_a_thousand_columns(tmp_path: Path) -> None:
    header = ["MRN", *(f"Dx{i}" for i in range(1, 13)), *(f"Field {i}" for i in range(987))]
    rows = [[str(r), "E11.9", "I10", *[""] * 10, *["x"] * 987] for r in range(1, 21)]
    text = "\n".join(",".join(row) for row in [header, *rows]) + "\n"
    panel = read_panel(write_text(tmp_path / "wide.csv", text))
    assert len(header) == 1000
    assert counts(panel) == {"used": 20, "skipped": 1}
    assert len(panel.diagnoses) == 40  # 20 patients x (E119, I10)
    # Dx3..Dx12 are empty: set aside, one note each; unused: those 10 + 987 = 997 = 30 + 967
    assert panel.notes[:2] == ("column 'Dx3' holds no diagnosis codes; not used",
                               "column 'Dx4' holds no diagnosis codes; not used")  # fmt: skip
    assert panel.notes[10].startswith("columns not used: 'Dx3', 'Dx4'")
    assert panel.notes[10].endswith(", 'Field 19' and 967 more")
    assert len(panel.notes) == 11


def test_a_50_mb_file(tmp_path: Path) -> None:
    # 50,000 patients with a 1,000-character note each: 51.9 MB (a realistic 1M-row, 59 MB
    # long panel reads the same way, only slower)
    note = "x" * 1000
    lines = (f"{i},E11.9; I10,Medicare,03/04/1950,{note}\n" for i in range(1, 50_001))
    path = write_text(tmp_path / "big.csv", "MRN,Dx,Primary Insurance,DOB,Notes\n" + "".join(lines))
    assert path.stat().st_size > 50_000_000
    panel = read_panel(path)
    assert counts(panel) == {"used": 50_000, "skipped": 1}
    assert len(panel.patients) == 50_000
    assert len(panel.diagnoses) == 100_000
    assert panel.patients["payer_class"].eq("medicare_ffs").all()


def test_a_sheet_with_1048576_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Excel's last row, 1,048,576, holds a patient; rows 4 to 1,048,575 are blank (sparse)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["MRN", "Dx"], [1, "E11.9"], [2, "I10"]):
        sheet.append(row)
    sheet.cell(row=1_048_576, column=1, value=3)
    sheet.cell(row=1_048_576, column=2, value="J44.9")
    workbook.save(tmp_path / "tall.xlsx")
    status, out, err = check(tmp_path / "tall.xlsx", capsys)
    assert status == 0, err
    # 1 header + 3 used + 1,048,572 blank = 1,048,576: each row counted once, blank rows in bulk
    assert "rows read: 1,048,576 = 3 used + 1,048,573 skipped + 0 rejected" in out
    assert "skipped: blank row: 1,048,572" in out
    assert "patients: 3 from 3 used rows" in out


def test_check_json_adds_up_on_a_hostile_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ("Report\n\nMRN,Dx\n1,E11.9;I10\n\x00\n,J44.9\nMRN,Dx\n2,I10\u200b\n"
            "Total patients: 2\n")  # fmt: skip
    status, out, _ = check(write_text(tmp_path / "mixed.csv", text), capsys, "--json")
    assert status == 0
    panel = json.loads(out)["panel"]
    # 9 rows: title, blank, header, used, blank (NUL only), rejected, repeated header, used, footer
    assert panel == {"rows_read": 9, "rows_used": 2, "rows_skipped": 6, "rows_rejected": 1,
                     "patients": 2, "patients_analysed": 2}  # fmt: skip


def test_a_workbook_with_formulas_and_typed_values_reads_the_values(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "some.xlsx", {"Panel": [["MRN", "Dx"], [1, "E11.9"], [2, "=B2"]]})
    panel = read_panel(path)
    assert pairs(panel) == [("1", "E119", 2)]
    assert panel.patients.index.tolist() == ["1", "2"]  # patient 2's only code is a formula
    assert panel.notes[0].startswith("1 formula cell(s) of sheet 'Panel' have no computed value")
