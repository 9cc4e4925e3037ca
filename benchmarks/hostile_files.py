"""Time and peak memory of the kit on each hostile input file of issue 24.

Builds the files in a temporary folder (sparse files take no disk space), runs each command in
its own process under `/usr/bin/time -v` (address space capped at 6 GiB, killed after 60 s) and
prints: attack, exit status, seconds, peak MiB, and the first line of the kit's answer.
Target: each refused or handled within 10 s and 1 GiB.

    .venv/bin/python benchmarks/hostile_files.py [--only WORD]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from hostile import usage  # benchmarks/hostile.py: issue 13's attacks

AS_OF = ["--as-of", "2026-11-20"]
CAP_BYTES = 6 << 30
TIMEOUT = 60
PANEL = "MRN,Dx,Primary Insurance\n" + "".join(f"{i},E11.9;I10,Medicare\n" for i in range(40))


def _panel(folder: Path) -> Path:
    path = folder / "panel.csv"
    path.write_text(PANEL, encoding="utf-8")
    return path


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def form_parts(sheet: bytes, strings: bytes = b"") -> dict[str, bytes]:
    """The parts of a minimal one-sheet workbook named Questionnaire, with `sheet` as its
    worksheet XML and `strings` (if any) as its shared strings."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/content-types"><Default Extension="xml" ContentType="application/'
        b'xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        b'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
        b'"xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="'
        + main
        + b'" xmlns:r="'
        + rel
        + b'"><sheets><sheet name="Questionnaire" sheetId="1" r:id="rId1"/></sheets>'
        b"</workbook>",
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        b' Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings:
        parts["xl/sharedStrings.xml"] = strings
    return parts


def sheet_xml(body: bytes, dimension: bytes = b"A1:B2") -> bytes:
    return (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><dimension ref="' + dimension + b'"/><sheetData>'
        + body + b"</sheetData></worksheet>"
    )  # fmt: skip


def far_cell(reference: bytes) -> bytes:
    """A worksheet with no `<dimension>`: A1 and one cell at `reference` (e.g. XFD1048576)."""
    row = reference.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return sheet_xml(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>Question ID</t></is></c></row><row r="'
        + row
        + b'"><c r="'
        + reference
        + b'"><v>1</v></c></row>'
    ).replace(b'<dimension ref="A1:B2"/>', b"")


def dense_rows(rows: int, columns: int) -> bytes:
    """`rows` x `columns` numeric cells with no `r` attributes (the most cells per byte)."""
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    return row * rows


def _sparse(path: Path, size: int, head: str) -> Path:
    path.write_text(head, encoding="utf-8")
    os.truncate(path, max(size, len(head)))
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


Attack = Callable[[Path], list[str]]


def _run(d: Path, *extra: str) -> list[str]:
    """`ccm-assess run` of a small panel into `d/out` (workbooks only) with `extra` options."""
    return ["run", str(_panel(d)), "--out", str(d / "out"), "--formats", "xlsx", *AS_OF, *extra]


def _check(path: Path, *extra: str) -> list[str]:
    return ["check", str(path), *AS_OF, *extra]


def _questionnaire_form(name: str, parts: Callable[[], dict[str, bytes]]) -> Attack:
    return lambda d: _run(d, "--questionnaire", str(_zip(d / name, parts())))


ATTACKS: dict[str, Attack] = {
    "csv of 400 KB, one line of 400,000 commas": lambda d: _check(
        _sparse(d / "wide.csv", 0, PANEL + "," * 400_000 + "\n")
    ),
    "sparse csv: 4 KB on disk, 2.1 GB long": lambda d: _check(
        _sparse(d / "sparse.csv", 2_100_000_000, PANEL)
    ),
    "sparse csv: 4 KB on disk, 900 MB long": lambda d: _check(
        _sparse(d / "sparse900.csv", 900_000_000, PANEL)
    ),
    "/dev/zero as the panel": lambda d: _check(Path("/dev/zero")),
    "/dev/zero as --assumptions": lambda d: _run(d, "--assumptions", "/dev/zero"),
    "named pipe as --assumptions": lambda d: _run(
        d, "--assumptions", str(_fifo(d / "assumptions.yaml"))
    ),
    "named pipe as --mapping": lambda d: _check(
        _panel(d), "--mapping", str(_fifo(d / "mapping.yaml"))
    ),
    "named pipe as --questionnaire": lambda d: _run(
        d, "--questionnaire", str(_fifo(d / "questionnaire.yaml"))
    ),
    "sparse questionnaire.yaml, 2 GB": lambda d: _run(
        d, "--questionnaire", str(_sparse(d / "questionnaire.yaml", 2 << 30, "practice: x\n"))
    ),
    "questionnaire.xlsx declaring A1:XFD1048576": _questionnaire_form(
        "extent.xlsx", lambda: form_parts(sheet_xml(dense_rows(2, 2), b"A1:XFD1048576"))
    ),
    "questionnaire.xlsx holding 4,000,000 cells (no dimension)": _questionnaire_form(
        "cells.xlsx", lambda: form_parts(sheet_xml(dense_rows(200_000, 20), b"A1:B2"))
    ),
    "questionnaire.xlsx with 600 MB of shared strings": _questionnaire_form(
        "strings.xlsx",
        lambda: form_parts(
            sheet_xml(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
            b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml'
            b'/2006/main"><si><t>' + b"x" * 600_000_000 + b"</t></si></sst>",
        ),
    ),
    "questionnaire.xlsx of 1 KB, one cell at XFD1048576 (no dimension)": _questionnaire_form(
        "far.xlsx", lambda: form_parts(far_cell(b"XFD1048576"))
    ),
    "questionnaire.xlsx of 1 KB, one cell at Z1000000 (no dimension)": _questionnaire_form(
        "farz.xlsx", lambda: form_parts(far_cell(b"Z1000000"))
    ),
    "panel.xlsx of 1 KB, one cell at Z1000000 (no dimension)": lambda d: _check(
        _zip(d / "farz.xlsx", form_parts(far_cell(b"Z1000000")))
    ),
    "questionnaire.xlsx nested 1,000,000 deep": _questionnaire_form(
        "deep.xlsx", lambda: form_parts(sheet_xml(b"<x>" * 1_000_000 + b"</x>" * 1_000_000))
    ),
    "panel.xlsx of 4.5 MB holding 30,000,000 cells": lambda d: _check(
        _zip(d / "cells.xlsx", form_parts(sheet_xml(dense_rows(1_000_000, 30), b"A1:B2")))
    ),
}


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


def measure(argv: list[str]) -> tuple[str, float, float, str]:
    """(exit status, wall seconds, peak MiB, first line of the answer) of one command."""
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "ccm_assess", *argv]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_cap,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "hung", float(TIMEOUT), float("nan"), f"killed after {TIMEOUT} s"
    return str(done.returncode), *usage(done.stderr, done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the attacks naming this word")
    args = parser.parse_args()
    for attack, build in ATTACKS.items():
        if args.only.lower() not in attack.lower():
            continue
        with tempfile.TemporaryDirectory() as folder:
            status, seconds, mib, answer = measure(build(Path(folder)))
        print(f"{attack} | exit {status} | {seconds:.1f} s | {mib:.0f} MiB | {answer[:150]}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
