"""questionnaire.xlsx: the blank Excel answer form of the readiness questionnaire.

`ccm-assess questionnaire DIR` writes it next to the YAML template; `readiness.questionnaire`
reads the answered form back (through pandas) by the sheet name, header row and meta labels it
shares with this writer (`FORM_SHEET`, `FORM_COLUMNS`, `FORM_META`).
"""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from ccm_assess.readiness.questionnaire import (
    FORM_COLUMNS,
    FORM_META,
    FORM_SHEET,
    YES_PARTLY_NO,
    questionnaire_definition,
)


def write_questionnaire_form(path: str | Path) -> Path:
    """Write the Excel form: questions grouped by domain, drop-downs and number checks in the
    Answer column, help text beside each question, sheet protected except the answer cells."""
    definition = questionnaire_definition()
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    wrap, bold = Alignment(wrap_text=True, vertical="top"), Font(bold=True)
    unlocked, answer_fill = Protection(locked=False), PatternFill("solid", fgColor="FFF2CC")
    ws["A1"] = "CCM readiness questionnaire"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (
        "Fill in the yellow cells during the meeting. Pick an answer from the drop-down (yes, "
        "partly, no or one of the listed options) or type a number. Leave a cell blank if it was "
        "not discussed: it is reported as 'not assessed', never counted as yes. Only the yellow "
        "cells can be edited. Load the file with: ccm-assess run PANEL --questionnaire FILE."
    )
    ws.merge_cells("A2:F2")
    ws["A2"].alignment = wrap
    ws.row_dimensions[2].height = 62
    for offset, label in enumerate(FORM_META, start=3):
        ws.cell(offset, 2, label).font = bold
        cell = ws.cell(offset, 3)
        cell.protection, cell.fill = unlocked, answer_fill
    ws.cell(5, 3).number_format = "yyyy-mm-dd"
    header_row = 7
    for col, title in enumerate(FORM_COLUMNS, start=1):
        ws.cell(header_row, col, title).font = bold
        ws.cell(header_row, col).fill = PatternFill("solid", fgColor="D9E1F2")
    validations: dict[tuple, DataValidation] = {}
    row = header_row
    for domain in definition.domains.values():
        row += 1
        ws.cell(row, 1, domain.title).font = Font(bold=True, size=12)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(FORM_COLUMNS))
        for q in (q for q in definition.questions if q.domain == domain.id):
            row += 1
            for col, value in enumerate((q.id, q.text, None, q.allowed(), q.help, None), start=1):
                ws.cell(row, col, value).alignment = wrap
            for col in (3, 6):
                ws.cell(row, col).protection, ws.cell(row, col).fill = unlocked, answer_fill
            texts = ((q.text, 58), (q.allowed(), 28), (q.help, 58))  # ~characters per line
            ws.row_dimensions[row].height = 15 * max(math.ceil(len(t) / w) for t, w in texts)
            spec: tuple[str, str | float | None, float | None]  # kind, formula1 or low, high
            if q.type == "number":
                spec = ("whole" if q.integer else "decimal", q.min, q.max)
            else:
                labels = (
                    YES_PARTLY_NO if q.type == "yes_partly_no" else [o.label for o in q.options]
                )
                spec = ("list", '"' + ",".join(labels) + '"', None)
            if spec not in validations:
                kind, low, high = spec
                dv = (
                    DataValidation(type="list", formula1=low)
                    if kind == "list"
                    else DataValidation(
                        type=kind, operator="between", formula1=str(low), formula2=str(high)
                    )
                )
                dv.allow_blank, dv.showErrorMessage = True, True
                dv.error = f"Use {q.allowed()}, or leave blank (not assessed)."
                ws.add_data_validation(dv)
                validations[spec] = dv
            validations[spec].add(ws.cell(row, 3))
    for letter, width in zip("ABCDEF", (26, 60, 22, 30, 60, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False  # resizing stays allowed
    path = Path(path)
    wb.save(path)
    return path
