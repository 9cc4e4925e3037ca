"""workbook.xlsx: the analyst's and owner's spreadsheet of one assessment (no PHI).

Sheets, in order (`SHEETS`): Summary, Funnel, Scenarios, Sensitivity, Assumptions, Rates,
Data quality, Readiness (docs/outputs.md), then Launch plan, By provider, Vendor questions and
Other programs. Money is USD (`$#,##0`; cents only on Rates). This module assembles the sheets
and writes the file; the sheets are `money_sheets` (Summary, Scenarios, Sensitivity,
Assumptions, Rates, Readiness), `panel_sheets` (Funnel, Data quality) and `handover_sheets` (the
rest), over the shared formats and cell helpers of `cells` (which also says how counts and
panel text are kept private).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook

from ccm_assess.errors import ReportError
from ccm_assess.outputs.workbook import handover_sheets, money_sheets, panel_sheets
from ccm_assess.outputs.workbook.cells import put_title
from ccm_assess.practice.assessment import Assessment

SHEETS = (
    "Summary",
    "Funnel",
    "Scenarios",
    "Sensitivity",
    "Assumptions",
    "Rates",
    "Data quality",
    "Readiness",
    "Launch plan",
    "By provider",
    "Vendor questions",
    "Other programs",
)


def build_workbook(assessment: Assessment) -> Workbook:
    """The workbook of `assessment` in memory, one sheet per name of `SHEETS`."""
    writers = money_sheets.WRITERS | panel_sheets.WRITERS | handover_sheets.WRITERS
    book = Workbook()
    book.remove(book.active)
    practice = assessment.practice or "CCM assessment"  # consultant input, stored as text
    for name in SHEETS:
        write = writers[name]
        ws = book.create_sheet(name)
        put_title(
            ws,
            f"{name}: {practice}",
            f"As of {assessment.as_of.isoformat()}. No patient-level data; counts from 1 to 10 "
            "show as <11. Estimates, not billing advice.",
        )
        write(ws, assessment)
    return book


def write_workbook(assessment: Assessment, path: Path) -> Path:
    """Write workbook.xlsx atomically (a temporary name in the same folder, then renamed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = build_workbook(assessment)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        book.save(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ReportError(
                f"Cannot write the workbook {target}: {error.strerror or error}. Check that the "
                "folder is writable and the file is not open in Excel."
            ) from error
        raise
    return target
