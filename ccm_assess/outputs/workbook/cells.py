"""What every sheet of workbook.xlsx shares: cell formats, privacy helpers, cell and table writing.

The sheet modules (`money_sheets`, `panel_sheets`, `handover_sheets`, and the audit's
`audit.workbooks`) import these; `book` assembles the sheets and writes the file.

Privacy: every patient count of a subgroup goes through `privacy.suppress_counts` (1-10 shows
as "<11", plus a complementary cell within its group); panel row counts and the panel totals
are not subgroups and stay, as in summary.json. Text from the panel (headers, payer strings,
invalid codes, provider and location names) is cut short and passed through
`privacy.excel_safe`, and every text cell is stored as text, never as a formula. No patient
id, name, phone or date is written: the data-quality date problems are counted without examples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ccm_assess.practice.assessment import Assessment
from ccm_assess.privacy import (
    SUPPRESSED,
    excel_safe,
    is_hidden,
    is_small,
    shown_sum,
    suppress_counts,
)

USD, USD_CENTS, PCT, PCT1 = "$#,##0", "$#,##0.00", "0%", "0.0%"
COUNT, DECIMAL, FTE, DATE = "#,##0", "#,##0.0", "0.00", "yyyy-mm-dd"
EXAMPLE_LIMIT = 20
"""Characters kept of an example value from the panel (invalid code, payer text)."""
NAME_LIMIT = 40
"""Characters kept of a provider, location, header, sheet or file name from the panel."""
EXAMPLES_SHOWN = 10
UNKNOWN = "unknown"
WIDTH_CAP = 60
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")
TOP, TOP_RIGHT = Alignment(vertical="top"), Alignment(vertical="top", horizontal="right")


# ------------------------------------------------------------------------------ privacy helpers


def panel_text(values: pd.Series, limit: int = EXAMPLE_LIMIT) -> pd.Series:
    """Panel text cut to `limit` characters (an ellipsis marks the cut), formula-safe."""
    text = values.astype(object).where(values.notna(), None).map(str, na_action="ignore")
    cut = text.str.len().gt(limit).fillna(False).astype(bool)
    return excel_safe(text.mask(cut, text.str.slice(0, limit - 1) + "…"))


def safe_name(text: str | None, limit: int = NAME_LIMIT) -> str:
    """`panel_text` of one string (a header, a sheet or file name); None as empty."""
    return "" if text is None else str(panel_text(pd.Series([text], dtype=object), limit)[0])


def shown_counts(counts: Mapping[Any, Any], *, total_shown: bool = True) -> dict[Any, Any]:
    """Counts of one group as shown: 1-10 "<11", a complementary cell `WITHHELD`, None
    "unknown"."""
    shown = suppress_counts(counts, total_shown=total_shown)
    return {key: UNKNOWN if value is None else value for key, value in shown.items()}


def shown_count(value: float | None) -> Any:
    """One count on its own as shown (a group of counts needs `shown_counts`)."""
    if value is None:
        return UNKNOWN
    return SUPPRESSED if is_small(value) else value


def billable_classes(assessment: Assessment) -> list[str]:
    """The payer classes the model bills CCM to (Medicare Advantage when `ma_pays_ccm`)."""
    return list(assessment.eligibility.billed_payer_classes)


def shown_pool(by_payer: Mapping[str, Any], billable: Sequence[str]) -> Any:
    """A group's patients in the billable classes, as shown (`by_payer` as published): hidden
    when any of its classes is (the sum would give the hidden ones away), unknown when None."""
    if by_payer is None:
        return UNKNOWN
    return shown_count(shown_sum(by_payer[c] for c in billable))


# ---------------------------------------------------------------------------- cell writing


def _plain(value: Any) -> Any:
    """A value openpyxl can store: numpy scalars unwrapped, NaN/NA/NaT as an empty cell."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or isinstance(value, str):
        return value
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return str(value)


def put_cell(ws: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> Cell:
    """Write one cell; text is always stored as text (never read as a formula)."""
    cell = ws.cell(row=row, column=column, value=_plain(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    elif fmt:
        cell.number_format = fmt
    return cell


def put_title(ws: Worksheet, title: str, note: str) -> None:
    """The sheet title in row 1 (bold) and a note under it in row 2 (italic)."""
    put_cell(ws, 1, 1, title).font = Font(bold=True, size=14)
    put_cell(ws, 2, 1, note).font = Font(italic=True, color="52606D")


def put_heading(ws: Worksheet, row: int, text: str) -> int:
    """A bold section heading at `row`; returns the row after it."""
    put_cell(ws, row, 1, text).font = Font(bold=True, size=12)
    return row + 1


def put_pairs(ws: Worksheet, row: int, pairs: Sequence[tuple[str, Any, str | None]]) -> int:
    """Label / value lines (long text runs on to the right); the next row after a blank one."""
    for label, value, fmt in pairs:
        put_cell(ws, row, 1, label).font = Font(bold=True)
        put_cell(ws, row, 2, value, fmt).alignment = Alignment(horizontal="left")
        row += 1
    return row + 1


def put_table(
    ws: Worksheet,
    row: int,
    frame: pd.DataFrame,
    formats: Mapping[str, str] | None = None,
    *,
    row_formats: Sequence[str | None] = (),
) -> int:
    """`frame` under a bold filled header at `row`, as an Excel table with filter buttons.

    `formats`: column -> number format; `row_formats`: one format per row for the cells after
    the first column. Returns the next free row after one blank row.
    """
    formats = formats or {}
    if frame.empty:
        frame = pd.DataFrame({frame.columns[0]: ["(none)"]}, columns=frame.columns)
    for j, header in enumerate(frame.columns, start=1):
        cell = put_cell(ws, row, j, str(header))
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(frame.astype(object).to_numpy().tolist()):
        by_row = row_formats[i] if row_formats else None
        for j, (header, value) in enumerate(zip(frame.columns, values, strict=True), start=1):
            fmt = formats.get(header) or (by_row if j > 1 else None)
            cell = put_cell(ws, row + 1 + i, j, value, fmt)
            cell.alignment = TOP_RIGHT if is_hidden(value) or value == UNKNOWN else TOP
    last = row + len(frame)
    table = Table(
        displayName=re.sub(r"\W", "", ws.title) + str(len(ws.tables) + 1),
        ref=f"A{row}:{get_column_letter(len(frame.columns))}{last}",
    )
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    ws.add_table(table)
    return last + 2


def wrap_cell(cell: Cell, width: float) -> None:
    """Wrap a long text cell and make its row tall enough for it (15 points a line)."""
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = math.ceil(len(str(cell.value)) / max(width - 2, 1))
    dimension = cell.parent.row_dimensions[cell.row]
    dimension.height = max(dimension.height or 15, 15 * lines)


def _width(value: Any) -> int:
    """Characters a value takes on screen (numbers as formatted with separators)."""
    if isinstance(value, int | float):
        return max(len(f"{value:,.0f}") + 3, 8)
    return 0 if value is None else len(str(value))


def finish_sheet(
    ws: Worksheet, freeze: str, widths: Mapping[str, float] | None = None, title_rows: str = ""
) -> None:
    """Column widths from the tables (capped; longer text wraps), panes, print setup.

    A header counts with its longest word only: long headers wrap rather than widen a column.
    """
    rows = [row for table in ws.tables.values() for row in ws[table.ref]]
    cells = [cell for row in rows for cell in row]
    headers = {ws[table.ref][0][0].row for table in ws.tables.values()}
    sizes: dict[int, int] = {}
    for cell in cells:
        words = str(cell.value).split() if cell.row in headers else [cell.value]
        width = max(_width(word) for word in words or [None])
        sizes[cell.column] = max(sizes.get(cell.column, 10), width)
    for column in range(1, ws.max_column + 1):
        letter = get_column_letter(column)
        given = (widths or {}).get(letter)
        ws.column_dimensions[letter].width = given or min(sizes.get(column, 10) + 2, WIDTH_CAP)
    for cell in cells:
        width = ws.column_dimensions[cell.column_letter].width
        if isinstance(cell.value, str) and len(cell.value) > width:
            wrap_cell(cell, width)
    ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "&A, page &P of &N"
    if title_rows:
        ws.print_title_rows = title_rows
