"""Loading panel files into raw grids (ccm_assess.intake.sources): formats, encodings, delimiters,
sheets, workbooks that cannot be read, and cells as text.

Workbooks are built with openpyxl into tmp_path; small text exports live in tests/fixtures/.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from test_panel import FIXTURES, T, pairs, statuses, write_text, write_xlsx

from ccm_assess.errors import CcmAssessError, PanelError
from ccm_assess.intake import files, sources
from ccm_assess.intake.panel import read_panel
from ccm_assess.intake.sources import INVISIBLE, blank_formulas, cell_text, decode, read_grid


def compound_file(path: Path, streams: tuple[str, ...]) -> Path:
    """A minimal valid OLE2 compound file (CFB version 3, 512-byte sectors) whose root holds
    empty streams with these names (at most 3): header, one FAT sector, one directory sector.

    Excel saves a password-protected .xlsx as such a file with `EncryptionInfo` and
    `EncryptedPackage` streams; a legacy .xls holds a `Workbook` stream. (Checked against
    olefile 0.47, which lists the streams.)"""
    free, end, fat_sector, none = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6),
        0, 1, 1, 0, 0x1000, end, 0, end, 0,
    ) + struct.pack("<109I", 0, *[free] * 108)  # fmt: skip
    fat = struct.pack("<128I", fat_sector, end, *[free] * 126)  # sector 0 FAT, 1 directory

    def entry(name: str, kind: int, right: int = none, child: int = none) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, none, right, child,
            bytes(16), 0, 0, 0, end if name else 0, 0,
        )  # fmt: skip

    entries = [entry("Root Entry", 5, child=1 if streams else none)]
    for i, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(streams) else none))
    entries += [entry("", 0)] * (4 - len(entries))
    path.write_bytes(header + fat + b"".join(entries))
    return path


def password_protected(path: Path) -> Path:
    return compound_file(path, ("EncryptionInfo", "EncryptedPackage"))


# --- sheets ----------------------------------------------------------------------------------


def test_picks_the_sheet_that_looks_like_a_patient_table(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "two_sheets.xlsx",
        {
            "Report Criteria": [["Provider", "All"], ["Run date", "11/26/2026"]],
            "Patients": [["MRN", "DOB", "ICD10"], ["7", "1950-01-01", "I10"]],
        },
    )
    panel = read_panel(path)
    assert panel.source.sheet == "Patients"
    assert panel.source.sheets == ("Report Criteria", "Patients")
    assert pairs(panel) == [("7", "I10", 2)]
    assert read_panel(path, sheet=" patients ").source.sheet == "Patients"
    with pytest.raises(PanelError) as error:
        read_panel(path, sheet="Data")
    assert str(error.value) == (
        "no sheet named 'Data' in 'two_sheets.xlsx'; sheets: 'Report Criteria', 'Patients'; "
        "pass --sheet with one of them"
    )
    with pytest.raises(PanelError) as error:
        read_panel(
            write_xlsx(tmp_path / "blank.xlsx", {"Blank": [], "Patients": []}), sheet="Blank"
        )
    assert str(error.value) == (
        "sheet 'Blank' of 'blank.xlsx' is empty: there are no rows to read; pass --sheet with "
        "the sheet that holds the patients (sheets: 'Blank', 'Patients')"
    )


def test_read_grid_ranks_sheets_with_the_callers_score(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", {"A": [["x", "y"], ["1", "2"]], "B": [["z"]]})
    assert read_grid(path).sheet == "A"  # default score: filled cells (4 > 1)
    assert read_grid(path, score=lambda head: float(head.eq("z").any().any())).sheet == "B"


def test_a_sheet_starting_below_and_right_of_a1_keeps_its_row_numbers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"], sheet["C4"], sheet["D4"] = "MRN", "Dx", 5, "I10"
    workbook.save(tmp_path / "offset.xlsx")
    grid = read_grid(tmp_path / "offset.xlsx").cells
    assert grid.shape == (4, 4)  # rows 1-4, columns A-D, as Excel shows them
    panel = read_panel(tmp_path / "offset.xlsx")
    assert panel.source.header_row == 3
    assert pairs(panel) == [("5", "I10", 4)]


def test_falls_back_to_openpyxl_when_calamine_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {"S": [["MRN", "Dx"], [1, "E11.9"]]})

    def broken(data: bytes) -> dict[str, pd.DataFrame]:
        raise ValueError("calamine broke")

    monkeypatch.setattr(sources, "_calamine_sheets", broken)
    assert pairs(read_panel(path)) == [("1", "E119", 2)]


def test_formula_cells_without_a_computed_value_are_counted(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Panel"
    for row in (["MRN", "Dx", "Src"], ["=C3", '="E11.9"', 1], [2, "I10", 2]):
        sheet.append(row)
    workbook.create_sheet("Other").append(["=A1"])
    workbook.save(tmp_path / "f.xlsx")
    data = (tmp_path / "f.xlsx").read_bytes()
    assert blank_formulas(data, "Panel") == 2  # openpyxl saves formulas, never their values
    assert blank_formulas(data, "Other") == 1
    assert blank_formulas(data, "Missing") == 0
    assert blank_formulas(b"not a zip", "Panel") == 0
    panel = read_panel(tmp_path / "f.xlsx")
    assert panel.patients.index.tolist() == ["2"]  # row 2's id is a formula: read as blank
    assert panel.notes[0] == (
        "2 formula cell(s) of sheet 'Panel' have no computed value and read as blank (the "
        "program that wrote the file did not calculate them); open the file in Excel, save it "
        "and run again"
    )


# --- text formats ----------------------------------------------------------------------------


def test_semicolon_delimited_csv_with_title() -> None:
    panel = read_panel(FIXTURES / "semicolon_delimited.csv")
    assert panel.source.header_row == 3
    assert panel.mapping["patient_id"] == ["Person Nbr"]
    assert panel.mapping["primary_payer"] == ["Financial Class"]
    assert pairs(panel) == [("9001", "E119", 4), ("9002", "I10", 5)]


def test_tab_delimited_txt_with_yyyymmdd_and_serial_dates() -> None:
    panel = read_panel(FIXTURES / "tab_delimited_with_title.txt")
    assert panel.mapping["patient_id"] == ["Enterprise ID"]
    # 19500101 -> 1950-01-01; serial 45123 -> 2023-07-16 (see test_messy_workbook_patients)
    assert panel.patients["birth_date"].tolist() == [T("1950-01-01"), T("2023-07-16")]
    assert panel.patients["payer_class"].tolist() == ["medicare_advantage", "self_pay"]


@pytest.mark.parametrize(
    ("encoding", "suffix", "sep"),
    [("utf-8-sig", ".csv", ","), ("cp1252", ".csv", ","), ("utf-16", ".txt", "\t"),
     ("utf-16-le", ".txt", "\t"), ("utf-16-be", ".csv", ","), ("utf-8", ".tsv", "\t")],
)  # fmt: skip
def test_text_encodings(tmp_path: Path, encoding: str, suffix: str, sep: str) -> None:
    # utf-16 writes a BOM; utf-16-le/-be do not (told apart by where the NUL bytes fall)
    rows = [["MRN", "Patient Name", "ICD10"], ["1", '"Peña, José"', "E11.9"]]
    text = "\n".join(sep.join(row) for row in rows)
    panel = read_panel(write_text(tmp_path / f"panel{suffix}", text + "\n", encoding))
    assert panel.patients.loc["1", "name"] == "Peña, José"
    assert pairs(panel) == [("1", "E119", 2)]


def test_cp1252_with_stray_bytes(tmp_path: Path) -> None:
    # 0x93/0x94 are cp1252 smart quotes, 0xE9 is é; 0x81 and 0x9D mean nothing in cp1252
    path = tmp_path / "odd.csv"
    path.write_bytes(b"MRN,Patient Name,ICD10\n1,\x93Jo\x81s\xe9\x9d\x94,E11.9\n")
    panel = read_panel(path)
    assert panel.patients.loc["1", "name"] == "\u201cJosé\u201d"
    assert panel.notes == (
        "'odd.csv' is not UTF-8: read as Windows-1252 (cp1252); 2 stray bytes with no meaning "
        "there dropped",
    )


def test_decode() -> None:
    assert decode("a,é".encode(), "x") == ("a,é", ())
    assert decode(b"a,\xe9\x00\x00", "x") == ("a,é", ())  # trailing NUL padding dropped
    with pytest.raises(PanelError, match="^'x' is not a text file: it holds binary data"):
        decode(bytes(range(256)) * 4, "x")  # 29 of 256 bytes are controls: 11% > 5%


@pytest.mark.parametrize(
    "text",
    [
        'MRN,Name,Dx\n1,"Doe,E11.9\n2,Roe,I10\n3,Poe,J44.9\n',  # open to the end of the file
        'MRN,Name,Dx\n1,"Doe,E11.9\n2,Roe,I10\n3,"Poe",J44.9\n',  # closed by row 4's quote
    ],
)
def test_an_unbalanced_quote_does_not_fold_rows_into_one_cell(tmp_path: Path, text: str) -> None:
    panel = read_panel(write_text(tmp_path / "quote.csv", text))
    assert len(panel.ledger) == 4  # 4 lines, 4 rows: none folded into the quoted cell
    assert pairs(panel) == [("1", "E119", 2), ("2", "I10", 3), ("3", "J449", 4)]
    assert panel.notes[0] == (
        "'quote.csv' has a quote (\") that is never closed, or that folds several rows into "
        "one cell; it was read with quotes as plain characters, so a value holding the "
        "delimiter may be split: check the rows with quotes"
    )


def test_a_quoted_cell_over_several_lines_stays_one_cell(tmp_path: Path) -> None:
    # a code list with line breaks and commas: its lines hold 1 comma, a row of 3 columns 2
    text = 'MRN,Name,Dx\n1,Ann,"E11.9, I10\nN18.30, E78.5"\n2,Bo,J44.9\n'
    panel = read_panel(write_text(tmp_path / "lines.csv", text))
    assert len(panel.ledger) == 3
    assert [code for _, code, _ in pairs(panel)] == ["E119", "I10", "N1830", "E785", "J449"]
    assert panel.notes == ()


def test_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "MRN": [10, 11],
            "DOB": pd.to_datetime(["1950-01-02", "1960-03-04"]),
            "ICD10": ["E11.9", "I10"],
        }
    )
    frame.to_parquet(tmp_path / "panel.parquet")
    panel = read_panel(tmp_path / "panel.parquet")
    assert panel.source.header_row == 1
    assert statuses(panel) == {1: "skipped: header row", 2: "used", 3: "used"}
    assert panel.patients["birth_date"].tolist() == [T("1950-01-02"), T("1960-03-04")]
    assert pairs(panel) == [("10", "E119", 2), ("11", "I10", 3)]


def test_a_text_file_with_an_excel_name_is_read_as_text(tmp_path: Path) -> None:
    panel = read_panel(write_text(tmp_path / "export.xls", "MRN\tDx\n1\tE11.9\n"))
    assert pairs(panel) == [("1", "E119", 2)]
    assert panel.notes == (
        "'export.xls' is a text file with an Excel name: read as delimited text",
    )


# --- cells as text ---------------------------------------------------------------------------


def test_cell_text() -> None:
    cells = pd.Series(
        [1001, 1001.0, 250.5, "  00123 ", "", None, dt.datetime(2024, 3, 5, 14, 30), True, np.nan],
        dtype=object,
    )
    out = cell_text(cells)
    assert out.fillna("<NA>").tolist() == [
        "1001", "1001", "250.5", "00123", "<NA>", "<NA>", "2024-03-05", "True", "<NA>"]  # fmt: skip


def test_cell_text_drops_control_and_invisible_characters() -> None:
    cells = pd.Series(["E11.9\x00", "I10\u200b", "\ufeffMRN", "J44.9🙂", "\x07", "a\u202eb",
                       "E11.9\nI10"], dtype="str")  # fmt: skip
    assert cell_text(cells).fillna("<NA>").tolist() == [
        "E11.9", "I10", "MRN", "J44.9🙂", "<NA>", "ab", "E11.9\nI10"]  # fmt: skip


# --- files the kit cannot read ---------------------------------------------------------------


def not_a_workbook_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.csv", "panel file not found: {d}/missing.csv; check the path"),
        (
            lambda d: d,
            "'{d}' is a folder, not a file; pass the panel file itself",
        ),
        (
            lambda d: write_text(d / "panel.pdf", "%PDF"),
            "cannot read 'panel.pdf': unsupported file type '.pdf'; export the panel as one of "
            ".xlsx, .xlsm, .xls, .csv, .tsv, .txt, .parquet",
        ),
        (
            lambda d: write_text(d / "empty.csv", ""),
            "'empty.csv' is empty (0 bytes); export the panel again",
        ),
        (
            lambda d: password_protected(d / "locked.xlsx"),
            "'locked.xlsx' is password-protected; open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password, clear it), save it and "
            "run again",
        ),
        (
            lambda d: compound_file(d / "legacy.xlsx", ("Workbook",)),
            "'legacy.xlsx' holds no worksheet (only charts, or nothing); export the panel "
            "again as .xlsx or .csv",
        ),
        (
            lambda d: write_text(d / "page.xls", "<html><table><tr><td>MRN</td></tr></table>"),
            "'page.xls' is a web page (HTML/XML) saved with an Excel name; open it in Excel and "
            "save it as .xlsx, or export the panel as .csv",
        ),
        (
            lambda d: write_xlsx(d / "workbook.csv", {"S": [["MRN", "Dx"]]}),
            "'workbook.csv' is an Excel workbook, not a text file; rename it to .xlsx (or "
            "export the panel as CSV again)",
        ),
        (
            lambda d: not_a_workbook_zip(d / "archive.csv"),
            "'archive.csv' is a zip archive, not a text file; unpack it, or export the panel "
            "again as .csv or .xlsx",
        ),
    ],
)
def test_unreadable_files_raise_one_clear_panel_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(PanelError) as error:
        read_panel(make(tmp_path))
    assert str(error.value) == message.format(d=tmp_path)
    assert isinstance(error.value, CcmAssessError)


def test_a_folder_lists_the_panel_like_files_in_it(tmp_path: Path) -> None:
    write_text(tmp_path / "b.xlsx", "")
    write_text(tmp_path / "a.csv", "")
    write_text(tmp_path / "notes.docx", "")
    with pytest.raises(PanelError) as error:
        read_panel(tmp_path)
    assert str(error.value).endswith("; panel-like files there: 'a.csv', 'b.xlsx'")


def test_a_zip_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(PanelError, match=r"^cannot read 'broken.xlsx' \(calamine: .*save it again"):
        read_panel(not_a_workbook_zip(tmp_path / "broken.xlsx"))


def test_a_file_that_cannot_be_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_text(tmp_path / "locked.csv", "MRN,Dx\n1,E11.9\n")

    def denied(*args: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "open", denied)
    with pytest.raises(PanelError) as error:
        read_panel(path)
    monkeypatch.undo()
    assert str(error.value) == (
        f"the panel file '{path}' cannot be opened (Permission denied); check that you may read "
        "it and that no other program holds it locked"
    )


def _pandas_grid(text: str, width: int) -> pd.DataFrame:
    """The grid pandas' C parser makes of `text` (the reader's fallback path)."""
    return pd.read_csv(
        io.StringIO(text), sep=",", names=range(width), header=None, skip_blank_lines=False,
        dtype=str, keep_default_na=False, na_values=[""],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # plain rectangle; quoted empty cell and a cell spanning two lines
        ('id,dx\n1,""\n"2","E11.9\nI10"\n', [["id", "dx"], ["1", None], ["2", "E11.9\nI10"]]),
        # title rows and a blank line above the header, CRLF line ends, blank line inside
        (
            'Clinic export\r\n\r\n"Run: 1,2"\r\nid,dx\r\n1,E11.9\r\n\r\n2,I10\r\n',
            [
                ["Clinic export", None],
                [None, None],
                ["Run: 1,2", None],
                ["id", "dx"],
                ["1", "E11.9"],
                [None, None],
                ["2", "I10"],
            ],
        ),  # fmt: skip
        # footers below the table: a quoted total, a blank line, a page line without newline
        (
            'id,dx\n1,E11.9\n"Total rows: 1,234"\n\nPage 1',
            [
                ["id", "dx"],
                ["1", "E11.9"],
                ["Total rows: 1,234", None],
                [None, None],
                ["Page 1", None],
            ],
        ),  # fmt: skip
    ],
)
def test_arrow_reader_matches_pandas(text: str, rows: list[list[str | None]]) -> None:
    grid = sources._arrow_grid(text, ",", 2)
    assert grid is not None
    assert grid.astype("str").equals(_pandas_grid(text, 2))  # Arrow's columns are categorical
    assert grid.astype(object).where(grid.notna(), None).to_numpy().tolist() == rows


def test_arrow_reader_takes_utf8_bytes_as_they_are(tmp_path: Path) -> None:
    # the file's bytes go to Arrow without re-encoding; a BOM (3 bytes) and "é" (2 bytes, 1
    # character) in the title and footer make byte offsets differ from character offsets, so a
    # wrong conversion would cut into the first or last row
    text = "Liste é\nid,dx\n1,É11.9\n2,I10\nTotal é: 2\n"
    rows = [["Liste é", None], ["id", "dx"], ["1", "É11.9"], ["2", "I10"], ["Total é: 2", None]]
    grid = sources._arrow_grid(text, ",", 2, b"\xef\xbb\xbf" + text.encode())
    assert grid is not None
    assert grid.astype(object).where(grid.notna(), None).to_numpy().tolist() == rows
    assert grid.equals(sources._arrow_grid(text, ",", 2))
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_grid(path).cells.equals(grid)


def test_arrow_reader_codes_each_column_once_across_its_blocks(tmp_path: Path) -> None:
    # 1,000,000 rows of ~15 bytes (15 MB) span two of Arrow's 8 MiB read blocks; the title row
    # and the footer are joined to them: each column is one categorical whose distinct texts
    # are listed once, in order of first appearance, whichever block they first appear in
    body = "".join(f"{i},E11.{i % 10}\n" for i in range(1_000_000))
    path = write_text(tmp_path / "p.csv", f"Title\nid,dx\n{body}Total rows: 1000000\n")
    cells = read_grid(path).cells
    assert cells.shape == (1_000_003, 2)
    assert [str(cells[c].dtype) for c in cells.columns] == ["category", "category"]
    assert cells[1].cat.categories.tolist() == ["dx", *(f"E11.{i}" for i in range(10))]
    assert len(cells[0].cat.categories) == 1_000_003  # title, header, ids and footer: all distinct
    assert cells.iloc[[0, 2, 1_000_002], 0].tolist() == ["Title", "0", "Total rows: 1000000"]
    assert cells.iloc[[0, 2, 1_000_001], 1].tolist()[1:] == ["E11.0", "E11.9"]


@pytest.mark.parametrize(
    "text",
    [
        "id,dx\n1,E11.9\n2\n3,I10\n",  # a short row inside the table
        'T\n"a title\nover two lines"\nid,dx\n1,E11.9\n',  # a quoted title spanning lines
        "Title\rid,dx\n1,E11.9\n",  # a lone carriage return above the header
        'id,dx\n1,"E11.9\n',  # an unbalanced quote
        "id,dx\n1,E11\x009\n",  # a NUL
    ],
)
def test_arrow_reader_leaves_irregular_text_to_pandas(tmp_path: Path, text: str) -> None:
    assert sources._arrow_grid(text, ",", 2) is None
    # the fallback still reads the file: the first cell is the header's
    assert read_grid(write_text(tmp_path / "p.csv", text)).cells.iloc[:, 0].dropna().iloc[0] in (
        "id", "T", "Title",
    )  # fmt: skip


def test_invisible_prefilter_sees_every_invisible_character() -> None:
    # bytes 0xC2/0xE2/0xEF lead U+0080-9F, U+200B-2069 and U+FEFF-FFFB in UTF-8
    hits = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000 and INVISIBLE.match(chr(c))]
    missed = [c for c in hits if not sources._may_hold_invisible(pd.Series([f"a{chr(c)}"]))]
    assert len(hits) > 60 and missed == []
    assert not sources._may_hold_invisible(pd.Series(["E11.9", "café\t", None]))


def test_row_limit_refuses_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 6 lines (header + 5 records) against a limit of 4: refused from the count of line breaks,
    # before any parser runs
    path = write_text(tmp_path / "p.csv", "id,dx\n" + "".join(f"{i},I10\n" for i in range(5)))
    monkeypatch.setattr(sources.pa_csv, "read_csv", None)  # never reached
    with pytest.raises(PanelError, match="has too many rows: 6, above the limit of 4"):
        read_grid(path, limits=sources.Limits(rows=4))


def test_row_limit_counts_records_not_line_breaks(tmp_path: Path) -> None:
    # 4 records over 7 lines (quoted cells with line breaks): within a limit of 4, above 3
    text = 'id,note\n1,"a\nb"\n2,"c\nd"\n3,"e\nf"\n'
    path = write_text(tmp_path / "p.csv", text)
    assert read_grid(path, limits=sources.Limits(rows=4)).cells.shape == (4, 2)
    with pytest.raises(PanelError, match="too many rows"):
        read_grid(path, limits=sources.Limits(rows=3))


def test_line_stats_across_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # steps of 4 bytes: lines of 0, 9, 2 and 3 bytes, the 9-byte one over three steps
    monkeypatch.setattr(sources, "_STEP", 4)
    assert sources.line_stats(b"\n123456789\nab\ncde") == (3, 9)
    assert sources.line_stats(b"abc") == (0, 3)
    assert sources.line_stats(b"ab\n") == (1, 2)
    assert sources.line_stats(b"") == (0, 0)


def test_count_byte_across_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_STEP", 4)
    assert sources.count_byte(b'a"b\n""\n\n"', b'"') == 4
    assert sources.count_byte(b'a"b\n""\n\n"', b"\n") == 3
    assert sources.count_byte(b"", b"\n") == 0
