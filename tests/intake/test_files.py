"""Issue 24: every input is a regular file, size-checked before it is read (`intake.files`), and
the hostile files of the tester's list are refused before they cost time or memory: named
pipes, /dev/zero, sparse files, a CSV line of delimiters, questionnaire workbook bombs (huge
extent, far cells, huge shared strings, many cells, deep nesting). Time and memory of each are
measured by benchmarks/hostile_files.py, not here.
"""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ccm_assess.edge.cli import main
from ccm_assess.errors import AssumptionsError, PanelError, QuestionnaireError
from ccm_assess.finance.assumptions import load_assumptions
from ccm_assess.intake import files
from ccm_assess.intake.mapping_file import load_mapping
from ccm_assess.intake.panel import read_panel
from ccm_assess.intake.sources import Limits
from ccm_assess.readiness.questionnaire import load_questionnaire

PANEL = "MRN,Dx,Primary Insurance\n" + "".join(f"{i},E11.9;I10,Medicare\n" for i in range(40))
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """The exception `call` raised, run in a thread that must end within `seconds` (a read
    that blocks on a pipe fails the test instead of hanging the suite)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # the test inspects it
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still reading after {seconds} s"
    return outcome[0]


def workbook(path: Path, sheet: bytes, strings: bytes = b"") -> Path:
    """A minimal one-sheet workbook (sheet `Questionnaire`) holding `sheet` as its XML."""
    rels = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = b"http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "_rels/.rels": b'<Relationships xmlns="' + package + b'"><Relationship Id="rId1" Type="'
        + rels + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<workbook xmlns="' + MAIN + b'" xmlns:r="' + rels + b'"><sheets>'
        b'<sheet name="Questionnaire" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="' + package + b'"><Relationship '
        b'Id="rId1" Type="' + rels + b'/worksheet" Target="worksheets/sheet1.xml"/>'
        b"</Relationships>",
        "xl/worksheets/sheet1.xml": b'<worksheet xmlns="' + MAIN + b'"><sheetData>' + sheet
        + b"</sheetData></worksheet>",
    }  # fmt: skip
    if strings:
        parts["xl/sharedStrings.xml"] = strings
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def far_cell(reference: str) -> bytes:
    row = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (f'<row r="1"><c r="A1" t="inlineStr"><is><t>MRN</t></is></c></row>'
            f'<row r="{row}"><c r="{reference}"><v>1</v></c></row>').encode()  # fmt: skip


def sparse(path: Path, size: int) -> Path:
    path.write_text(PANEL, encoding="utf-8")
    os.truncate(path, size)
    return path


# ------------------------------------------------------------------ regular files only


@pytest.mark.parametrize(
    ("kind", "load", "error"),
    [
        ("panel file", lambda p: read_panel(p), PanelError),
        ("assumptions file", lambda p: load_assumptions(p), AssumptionsError),
        ("mapping file", lambda p: load_mapping(p), PanelError),
        ("questionnaire file", lambda p: load_questionnaire(p), QuestionnaireError),
    ],
)
def test_a_named_pipe_is_refused_at_once(tmp_path, kind, load, error) -> None:
    fifo = tmp_path / ("input.csv" if kind == "panel file" else "input.yaml")
    os.mkfifo(fifo)
    failure = within(10, lambda: load(fifo))
    assert isinstance(failure, error)
    assert str(failure) == (
        f"the {kind} '{fifo}' is a named pipe (FIFO), not a file; pass the file itself"
    )


def test_a_named_pipe_does_not_hang_a_run_or_check(tmp_path, capsys) -> None:
    panel = tmp_path / "panel.csv"
    panel.write_text(PANEL, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.yaml")
    run = ["run", str(panel), "--out", str(tmp_path / "out"), "--as-of", "2026-11-20",
           "--formats", "xlsx", "--assumptions", str(tmp_path / "pipe.yaml")]  # fmt: skip
    check = ["check", str(panel), "--mapping", str(tmp_path / "pipe.yaml")]
    statuses: list[int] = []
    assert within(20, lambda: statuses.extend([main(run), main(check)])) is None
    assert statuses == [2, 2]
    err = capsys.readouterr().err
    assert "assumptions file" in err and "mapping file" in err and "is a named pipe" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_unread() -> None:
    for load, kind in ((read_panel, "panel file"), (load_assumptions, "assumptions file"),
                       (load_mapping, "mapping file")):  # fmt: skip
        with pytest.raises(Exception, match=f"the {kind} '/dev/zero' is a character device"):
            load(Path("/dev/zero"))


def test_a_sparse_file_is_refused_before_it_is_read(tmp_path) -> None:
    path = sparse(tmp_path / "sparse.csv", 900_000_000)
    with pytest.raises(PanelError, match="is a sparse file \\(858 MiB long, .* KiB on disk\\)"):
        read_panel(path)
    with pytest.raises(QuestionnaireError, match="larger than the 3.8 MiB"):
        load_questionnaire(sparse(tmp_path / "answers.yaml", 2 << 30))
    (tmp_path / "answers.yaml").write_bytes(b"#" * (1 << 20))
    assert files.check_input(tmp_path / "answers.yaml", "x", 1 << 20) == 1 << 20  # not sparse


def test_the_size_is_checked_before_reading_and_while_reading(tmp_path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(PanelError, match="is 2 KiB, larger than the 1,000 bytes such a file"):
        files.read_input(path, "mapping file", 1000)
    assert files.read_input(path, "mapping file", 2000) == b"x" * 2000


def test_same_file_sees_links(tmp_path) -> None:
    panel = tmp_path / "panel.csv"
    panel.write_text(PANEL)
    (tmp_path / "soft.csv").symlink_to(panel)
    os.link(panel, tmp_path / "hard.csv")
    assert files.same_file(tmp_path / "soft.csv", panel)
    assert files.same_file(tmp_path / "hard.csv", panel)
    assert files.same_file(tmp_path / "sub" / ".." / "panel.csv", panel)
    assert not files.same_file(tmp_path / "new.csv", panel)


# ------------------------------------------------------------------ bounded reading


def test_a_csv_line_of_delimiters_is_refused_before_parsing(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(PANEL + "," * 400_000 + "\n", encoding="utf-8")
    with pytest.raises(PanelError, match="has too many columns: 400,001, above the limit of 2,000"):
        read_panel(path)
    quoted = tmp_path / "quoted.csv"  # delimiters inside quotes are one cell, not columns
    quoted.write_text(PANEL + '41,"' + "," * 5_000 + '",Medicare\n', encoding="utf-8")
    assert "41" in read_panel(quoted).patients.index


def test_more_lines_than_rows_allowed_is_refused_before_parsing(tmp_path) -> None:
    path = tmp_path / "panel.csv"
    path.write_text(PANEL, encoding="utf-8")
    with pytest.raises(PanelError, match="has too many rows: 42, above the limit of 30"):
        read_panel(path, limits=Limits(rows=30))


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        (far_cell("XFD1048576"), "holds too many columns: 16,384"),
        (far_cell("Z1000000"), "holds too many cells: 26,000,000, above the limit of 12,000,000"),
        (far_cell("L900000"), "writes 2 cells spread over 900,000 rows x 12 columns"),
        (
            b"<row>" + b"<c><v>1</v></c>" * 10 + b"</row>" * 1 + b"<row><c><v>1</v></c></row>" * 20,
            "holds too many cells: 30, above the limit of 20",
        ),
    ],
)
def test_workbook_extent_is_judged_on_what_the_sheet_holds(tmp_path, sheet, expected) -> None:
    limits = Limits(sheet_cells=20) if b"<row>" in sheet else Limits()
    with pytest.raises(PanelError, match=expected):
        read_panel(workbook(tmp_path / "panel.xlsx", sheet), limits=limits)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda p: workbook(p, far_cell("XFD1048576")), id="cell at XFD1048576"),
        pytest.param(lambda p: workbook(p, far_cell("Z1000000")), id="cell at Z1000000"),
        pytest.param(
            lambda p: workbook(p, b"<row><c><v>1</v></c></row>" * 200_000), id="200,000 cells"
        ),  # fmt: skip
        pytest.param(
            lambda p: workbook(
                p,
                far_cell("A2"),
                b'<sst xmlns="' + MAIN + b'"><si><t>' + b"x" * (9 << 20) + b"</t></si></sst>",
            ),
            id="9 MiB of shared strings",
        ),  # fmt: skip
        pytest.param(
            lambda p: workbook(p, b"<x>" * 1_000_000 + b"</x>" * 1_000_000),
            id="nested 1,000,000 deep",
        ),  # fmt: skip
    ],
)
def test_questionnaire_workbook_bombs_are_refused(tmp_path, build) -> None:
    path = build(tmp_path / "questionnaire.xlsx")
    failure = within(20, lambda: load_questionnaire(path))
    assert isinstance(failure, QuestionnaireError)
    assert str(failure).startswith("questionnaire.xlsx: ")
