"""The PHI worklist: CCM-eligible and PCM-candidate patients for practice staff to call.

This is the kit's only output that holds patient identifiers (docs/outputs.md). It is written
owner-only (0o600), through a temporary file renamed into place, so that no half-written or
world-readable copy is ever left. Panel text that a spreadsheet could read as a formula
(starting with `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with an apostrophe.

Sheets: the whole list (calling order, docs/outputs.md "The worklist"), the column notes, then
one print-ready sheet per provider. Longer than 400 lines because the column definitions with
their staff-facing notes, the calling order and the streamed XML writer (rows of every sheet
spliced in column-wise, for panels of a million rows) belong to one file format.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ccm_assess.clinical.eligibility import INITIATING_VISIT_DAYS, Eligibility
from ccm_assess.formatting import PAYER_LABELS
from ccm_assess.intake.panel import Panel

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

SHEET = "PHI worklist"
ABOUT_SHEET = "About these columns"
TITLE = "Contains PHI - CCM outreach worklist"
HEADER_ROW = 3
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
OUTCOMES = (
    "Enrolled",
    "Declined",
    "No answer",
    "Call back",
    "Wrong number",
    "Needs visit first",
    "Not eligible",
    "Enrolled elsewhere",
)
"""The Outcome column's choices (a drop-down in the sheet)."""

NEXT_STEPS = ("Call to enrol", "Book a visit first", "Not billed: see why")
"""The Next step column, in calling order within a provider: billable patients seen in the last
year, billable patients who need an initiating visit first, then the rest."""

# (header, role the panel must have or None (None: always present), width, meaning)
COLUMNS: tuple[tuple[str, str | None, int, str], ...] = (
    ("Provider", "provider", 20, "Provider, as exported; the list is sorted by provider (A to Z)."),
    (
        "Call order",
        None,
        8,
        "Order to call within the provider: the Next step blocks in turn (call to enrol, book a "
        "visit first, not billed), and within a block complex CCM candidates first, then most "
        "chronic conditions, then most recent visit.",
    ),
    ("Name", "name", 24, "Patient name, as exported."),
    (
        "Phone",
        None,
        16,
        "Patient phone, as exported (always present; empty when the export has no phone column).",
    ),
    (
        "Next step",
        None,
        18,
        "Call to enrol: billable and seen in the last year. Book a visit first: billable, but "
        "CMS requires an initiating visit (E/M, AWV or IPPE) before CCM starts, so offer CCM at "
        "that visit. Not billed: see why: the program does not bill this patient's insurance.",
    ),
    (
        "First month",
        None,
        9,
        "Yes for the patients to offer CCM in the first month of outreach: as many billable "
        "patients as the model approaches in its first month (its outreach pace), taken in "
        "call order across the providers.",
    ),
    ("Outreach attempts", None, 10, "For staff: number of calls or letters so far (0-20)."),
    ("Consent date", None, 12, "For staff: date consent was given and recorded in the chart."),
    ("Outcome", None, 20, "For staff: pick from the list (" + ", ".join(OUTCOMES) + ")."),
    (
        "Date of birth",
        "birth_date",
        12,
        "Date of birth, as exported: confirm identity on the call.",
    ),
    ("Patient ID", None, 14, "The patient's id in the practice's export."),
    (
        "Program",
        None,
        22,
        "CCM: 2 or more chronic conditions. Complex CCM candidate: 3 or more and, in the last "
        "12 months, 1+ inpatient admission or 2+ ED visits. PCM: exactly 1 chronic condition, of a "
        "kind the catalog marks high risk (not a risk factor such as high cholesterol alone).",
    ),
    ("Chronic conditions", None, 10, "Number of distinct chronic condition categories found."),
    ("Conditions", None, 40, "The chronic conditions found."),
    (
        "Evidence codes",
        None,
        48,
        "The ICD-10-CM codes behind each condition (condition: codes), for clinical review.",
    ),
    (
        "Needs initiating visit",
        None,
        12,
        "Yes when not seen in the 365 days before the as-of date (or never): CMS requires an "
        "initiating visit (E/M, AWV or IPPE) before CCM or PCM starts. Unknown when the export "
        "has no last-visit column.",
    ),
    ("Last visit", "last_visit_date", 12, "Last visit date, as exported."),
    ("Payer", None, 22, "Primary insurance in words, as the kit classified it."),
    (
        "Billable",
        None,
        10,
        "Yes when the program bills the patient's main insurance (traditional Medicare, and "
        "Medicare Advantage unless the plan counts on MA plans not paying for CCM); No otherwise.",
    ),
    ("Why not billable", None, 36, "For rows marked No: why, in plain words."),
    ("Payer as exported", "primary_payer", 24, "Primary payer, as exported."),
    ("Secondary payer", "secondary_payer", 22, "Secondary insurance, as exported."),
    ("Location", "location", 18, "Location, as exported."),
)
FROZEN = ("Provider", "Call order", "Name", "Phone")
"""Columns kept in view while staff scroll right (the freeze pane ends after the last one)."""
PRINT_COLUMNS = (
    "Call order", "Name", "Phone", "Next step", "First month", "Outreach attempts",
    "Consent date", "Outcome", "Date of birth", "Program", "Conditions", "Last visit", "Payer",
)  # fmt: skip
"""The columns of each provider's print sheet (landscape, fitted to the page width)."""
PRINT_PREFIX = "Print "
MAX_PRINT_SHEETS = 50
"""Providers beyond the 49th share the last print sheet (a workbook stays easy to browse)."""
ENTRY_HELP = {
    "Outreach attempts": "a whole number from 0 to 20",
    "Consent date": "a date (yyyy-mm-dd)",
    "Outcome": "pick one of the list",
}
ENTRY_COLUMNS = tuple(ENTRY_HELP)
"""Empty columns staff fill in, with data validation."""
_PANEL_TEXT = (
    "Patient ID",
    "Name",
    "Phone",
    "Payer as exported",
    "Secondary payer",
    "Provider",
    "Location",
)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
"""Characters XML 1.0 does not allow (RE2 syntax, for Arrow)."""
_ROWS_PER_CHUNK = 20_000
NO_PHONE_WARNING = (
    "The panel has no phone column: the worklist's Phone column is empty, so staff must look "
    "numbers up in the EHR (export a phone column next time)."
)


def escape_formulas(text: pd.Series) -> pd.Series:
    """Prefix an apostrophe to text a spreadsheet would read as a formula (OWASP CSV injection)."""
    risky = text.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
    return text.mask(risky, "'" + text)


def contact_warnings(panel: Panel) -> list[str]:
    """What the consultant must know about the worklist's contact columns (no panel content)."""
    return [] if panel.has("phone") else [NO_PHONE_WARNING]


def needs_visit(panel: Panel, eligibility: Eligibility) -> pd.Series:
    """Yes, No or Unknown per patient: not seen in the `INITIATING_VISIT_DAYS` before
    the as-of date (or never), for every program (CCM and PCM both need an initiating visit;
    docs/launch_plan.md); "Unknown" when the export has no last-visit column."""
    if not panel.has("last_visit_date"):
        return pd.Series("Unknown", index=panel.patients.index, dtype="str")
    last = panel.patients["last_visit_date"].dt.normalize()
    as_of = pd.Timestamp(eligibility.as_of)
    stale = last.isna() | ((as_of - last).dt.days > INITIATING_VISIT_DAYS)
    return pd.Series(np.where(stale, "Yes", "No"), index=panel.patients.index, dtype="str")


def worklist_frame(
    panel: Panel, eligibility: Eligibility, first_batch: int | None = None
) -> pd.DataFrame:
    """The worklist rows in calling order: by provider (A to Z, blank last), then the
    `NEXT_STEPS` blocks (billable, billable after an initiating visit, the rest), then complex
    CCM candidates first, then most chronic conditions, then most recent visit.

    `first_batch` is the number of patients the model approaches in its first outreach month:
    that many billable rows, block by block and in call order across the providers (every
    provider's first, then every provider's second, ...), are marked Yes in First month (None:
    no such column).
    Columns are `COLUMNS` headers, minus panel fields the export did not have (the phone and
    the staff entry columns are always there).
    """
    frame = eligibility.patients
    chosen = (frame["ccm_eligible"] | frame["pcm_candidate"]).to_numpy(dtype=bool)
    rows = frame.loc[chosen]
    people = panel.patients.loc[rows.index]
    complex_candidate = rows["complex_candidate"].fillna(False).astype(bool)
    program = (
        pd.Series("PCM", index=rows.index, dtype="str")
        .mask(rows["ccm_eligible"], "CCM")
        .mask(complex_candidate, "Complex CCM candidate")
    )
    visit = needs_visit(panel, eligibility).loc[rows.index]
    billable = rows["not_billable_reason"].isna()
    block = np.select([billable & visit.ne("Yes"), billable], [0, 1], 2)
    empty = pd.Series(pd.NA, index=rows.index, dtype="str")
    values = {
        "Provider": people["provider"],
        "Name": people["name"],
        "Phone": people["phone"] if panel.has("phone") else empty,
        "Next step": pd.Series(np.array(NEXT_STEPS)[block], index=rows.index, dtype="str"),
        "First month": empty,
        "Date of birth": people["birth_date"].dt.normalize(),
        "Patient ID": pd.Series(rows.index, index=rows.index, dtype="str"),
        "Program": program,
        "Chronic conditions": rows["chronic_count"],
        "Conditions": rows["condition_names"],
        "Evidence codes": rows["evidence_names"],
        "Needs initiating visit": visit,
        "Last visit": people["last_visit_date"].dt.normalize(),
        "Payer": rows["payer_class"].map(PAYER_LABELS).astype("str"),
        "Billable": billable.map({True: "Yes", False: "No"}),
        "Why not billable": rows["not_billable_reason"],
        "Payer as exported": people["primary_payer"],
        "Secondary payer": people["secondary_payer"],
        "Location": people["location"],
        **{header: empty for header in ENTRY_COLUMNS},
    }
    kept = [
        header
        for header, role, _, _ in COLUMNS
        if header != "Call order"
        and (role is None or panel.has(role))
        and (header != "First month" or first_batch is not None)
    ]
    table = pd.DataFrame({header: values[header] for header in kept})
    for header in _PANEL_TEXT:
        if header in table:
            text = table[header].astype("str")
            table[header] = escape_formulas(text.where(table[header].notna()))
    provider = people["provider"].astype("str").str.strip().str.casefold()
    order = table.assign(
        _provider=provider.where(people["provider"].notna() & provider.ne(""), None),
        _block=block,
        _complex=complex_candidate,
        _visit=people["last_visit_date"],
    ).sort_values(
        ["_provider", "_block", "_complex", "Chronic conditions", "_visit", "Patient ID"],
        ascending=[True, True, False, False, False, True],
        na_position="last",
        kind="stable",
    )
    call_order = order.groupby("_provider", dropna=False, sort=False).cumcount() + 1
    order.insert(1 if "Provider" in order else 0, "Call order", call_order.astype("int64"))
    if first_batch is not None:
        billable_rows = order.loc[order["_block"].lt(2), ["_block", "Call order"]]
        ranked = billable_rows.sort_values(["_block", "Call order"], kind="stable")
        batch = ranked.index[: max(first_batch, 0)]
        order.loc[batch, "First month"] = "Yes"
    hidden = ["_provider", "_block", "_complex", "_visit"]
    return order.drop(columns=hidden).reset_index(drop=True)


def _cell(
    sheet: WriteOnlyWorksheet,
    value: object,
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
    wrap: bool = False,
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _fill_sheet(sheet: WriteOnlyWorksheet, table: pd.DataFrame, title: str, note: str) -> None:
    """Title, note and header (row 3), frozen through the `FROZEN` columns; write-only, so
    layout is set first. The patient rows go in afterwards as XML (`_row_xml`), spliced in by
    `_save`."""
    widths = {header: width for header, _, width, _ in COLUMNS}
    for column, header in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = widths[header]
    kept = sum(header in FROZEN for header in table.columns)
    sheet.freeze_panes = f"{get_column_letter(kept + 1)}{HEADER_ROW + 1}"
    last = f"{get_column_letter(len(table.columns))}{HEADER_ROW + len(table)}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}"
    sheet.append([_cell(sheet, title, font=Font(bold=True, size=14, color="9C0006"))])
    sheet.append([_cell(sheet, note, font=Font(italic=True))])
    fill = PatternFill("solid", fgColor="DDEBF7")
    entry_fill = PatternFill("solid", fgColor="FFF2CC")
    bold = Font(bold=True)
    sheet.append(
        [
            _cell(sheet, h, font=bold, fill=entry_fill if h in ENTRY_COLUMNS else fill, wrap=True)
            for h in table.columns
        ]
    )
    for validation in _validations(table):
        sheet.data_validations.append(validation)


def _note(first_batch: int | None) -> str:
    batch = (
        f" First month = Yes: the {first_batch:,} patients to offer CCM in the first month "
        "(the model's outreach pace)."
        if first_batch is not None
        else ""
    )
    return (
        "Call each provider's patients in call order: Call to enrol, then Book a visit first "
        f"(offer CCM at the visit), then the rest.{batch} Candidates found from diagnosis "
        "codes; confirm eligibility and consent clinically. Keep this file on an encrypted, "
        "access-controlled drive; do not email it."
    )


def _print_sheets(table: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(sheet name, provider shown, rows) of each provider's print sheet, in list order: a
    provider's rows start where Call order restarts at 1; providers beyond
    `MAX_PRINT_SHEETS - 1` share the last sheet."""
    group = table["Call order"].eq(1).cumsum().clip(upper=MAX_PRINT_SHEETS)
    columns = [c for c in PRINT_COLUMNS if c in table]
    out = []
    for number, rows in table.groupby(group, sort=True):
        if "Provider" not in table:
            provider = "All providers"
        elif number == MAX_PRINT_SHEETS and rows["Provider"].nunique(dropna=False) > 1:
            provider = "Other providers"
        else:
            first = rows["Provider"].iloc[0]
            provider = "No provider" if pd.isna(first) else str(first).lstrip("'")
        name = re.sub(r"[\[\]:*?/\\']", "", f"{PRINT_PREFIX}{number} {provider}")[:31].strip()
        out.append((name, provider, rows[columns].reset_index(drop=True)))
    return out


def _print_layout(sheet: WriteOnlyWorksheet) -> None:
    """Landscape, fitted to the page width, title and header rows repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{HEADER_ROW}"
    sheet.print_options.gridLines = True


def _validations(table: pd.DataFrame) -> list[DataValidation]:
    """Data validation for the staff entry columns, over every patient row."""
    first, last = HEADER_ROW + 1, HEADER_ROW + max(len(table), 1)
    rules = {
        "Outreach attempts": DataValidation(
            type="whole", operator="between", formula1="0", formula2="20"
        ),
        "Consent date": DataValidation(
            type="date", operator="greaterThan", formula1="DATE(2015,1,1)"
        ),
        "Outcome": DataValidation(type="list", formula1='"' + ",".join(OUTCOMES) + '"'),
    }
    out = []
    for header, rule in rules.items():
        letter = get_column_letter(table.columns.get_loc(header) + 1)
        rule.add(f"{letter}{first}:{letter}{last}")
        rule.error = f"{header}: {ENTRY_HELP[header]}"
        rule.showErrorMessage = True
        out.append(rule)
    return out


def _text_xml(values: pd.Series) -> pa.Array:
    """Text as XML character data: `&`, `<`, `>` escaped, CR kept as a reference, characters
    XML 1.0 forbids (other control characters) dropped."""
    text = pa.array(values.astype("str"), pa.string())
    text = pc.replace_substring_regex(text, _ILLEGAL_XML, "")
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        text = pc.replace_substring(text, raw, escaped)
    return text


def _row_xml(
    table: pd.DataFrame, date_style: int, first_row: int, text_style: int | None = None
) -> pa.Array:
    """SpreadsheetML `<row>` elements of `table`, one string per row, built column-wise.

    Text goes in as inline strings (with `text_style`, e.g. wrapped, when given), whole numbers
    as numbers, datetimes as Excel serial days with `date_style` (the workbook's `yyyy-mm-dd`
    cell format); missing values leave no cell.
    """
    numbers = pa.array(np.arange(first_row, first_row + len(table)).astype(str), pa.string())
    cells = []
    for position, header in enumerate(table.columns, start=1):
        values = table[header]
        if pd.api.types.is_datetime64_any_dtype(values):
            days = (values.dt.normalize() - _EXCEL_EPOCH).dt.days.astype("Int64").astype("str")
            kind, body, close = f'" s="{date_style}" t="n"><v>', days, "</v></c>"
        elif pd.api.types.is_integer_dtype(values):
            kind, body, close = '" t="n"><v>', values.astype("Int64").astype("str"), "</v></c>"
        else:
            style = "" if text_style is None else f' s="{text_style}"'
            kind, body, close = (
                f'"{style} t="inlineStr"><is><t xml:space="preserve">',
                values,
                "</t></is></c>",
            )
        reference = f'<c r="{get_column_letter(position)}'
        cell = pc.binary_join_element_wise(reference, numbers, kind, _text_xml(body), close, "")
        cells.append(pc.fill_null(cell, ""))
    return pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")


def _fill_about(sheet: WriteOnlyWorksheet, table: pd.DataFrame) -> None:
    meaning = {header: text for header, _, _, text in COLUMNS}
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 100
    bold = Font(bold=True)
    sheet.append([_cell(sheet, "Column", font=bold), _cell(sheet, "Meaning", font=bold)])
    for header in table.columns:
        sheet.append([_cell(sheet, header), _cell(sheet, meaning[header], wrap=True)])
    sheet.append([])
    sheet.append(["Note", "A leading apostrophe marks panel text kept from acting as a formula."])


def _save(workbook: Workbook, rows: Mapping[int, pa.Array], path: str) -> None:
    """Save `workbook` to `path` with `rows[n]` (XML) appended to the rows of its n-th sheet
    (1-based, the order the sheets were created in)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    parts = {f"xl/worksheets/sheet{n}.xml": body for n, body in rows.items()}
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename not in parts:
                out.writestr(info, data)
                continue
            head, end, tail = data.partition(b"</sheetData>")
            if not end:
                raise ValueError(f"no </sheetData> in {info.filename} as openpyxl wrote it")
            body = parts[info.filename]
            with out.open(info.filename, "w") as sheet:
                sheet.write(head)
                for start in range(0, len(body), _ROWS_PER_CHUNK):
                    chunk = body.slice(start, _ROWS_PER_CHUNK)
                    joined = pc.binary_join(pa.ListArray.from_arrays([0, len(chunk)], chunk), "")
                    sheet.write(joined[0].as_py().encode("utf-8"))
                sheet.write(end + tail)


def write_worklist(
    panel: Panel,
    eligibility: Eligibility,
    path: str | Path,
    *,
    as_of: dt.date,
    first_batch: int | None = None,
) -> Path:
    """Write the PHI worklist workbook to `path` (owner-only, atomic) and return its path: the
    whole list, the column notes, then one print-ready sheet per provider. `first_batch`: see
    `worklist_frame`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    table = worklist_frame(panel, eligibility, first_batch)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    note = _note(first_batch)
    _fill_sheet(sheet, table, f"{TITLE} (as of {as_of.isoformat()}; {len(table)} patients)", note)
    _fill_about(workbook.create_sheet(ABOUT_SHEET), table)
    date_style = WriteOnlyCell(sheet, value=dt.date(2000, 1, 1)).style_id  # yyyy-mm-dd
    wrap_style = _cell(sheet, "", wrap=True).style_id
    rows = {1: _row_xml(table, date_style, HEADER_ROW + 1)}
    for number, (name, provider, part) in enumerate(_print_sheets(table), start=3):
        printed = workbook.create_sheet(name)
        title = f"{TITLE}: {provider} ({len(part)} patients; as of {as_of.isoformat()})"
        _print_layout(printed)  # before the first row: write-only sheets stream their header
        _fill_sheet(printed, part, title, note)
        rows[number] = _row_xml(part, date_style, HEADER_ROW + 1, wrap_style)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(handle)  # mkstemp made it 0o600; openpyxl reopens it by name
    try:
        _save(workbook, rows, temporary)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
