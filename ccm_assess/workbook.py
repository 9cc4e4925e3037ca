"""workbook.xlsx: the analyst's and owner's spreadsheet of one assessment (no PHI).

Sheets, in order (`SHEETS`): Summary, Funnel, Scenarios, Sensitivity, Assumptions, Rates,
Data quality, Readiness (spec/outputs.md). Money is USD (`$#,##0`; cents only on Rates).

Privacy: every patient count of a subgroup goes through `privacy.suppress_counts` (1-10 shows
as "<11", plus a complementary cell within its group); panel row counts and the panel totals
are not subgroups and stay, as in summary.json. Text from the panel (headers, payer strings,
invalid codes, provider and location names) is cut short and passed through
`privacy.excel_safe`, and every text cell is stored as text, never as a formula. No patient
id, name, phone or date is written: the data-quality date problems are counted without examples.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ccm_assess.assessment import Assessment
from ccm_assess.charts import MODEL_COLOURS
from ccm_assess.errors import ReportError
from ccm_assess.model import CCM_CODES
from ccm_assess.payers import PAYER_CLASSES
from ccm_assess.privacy import SUPPRESSED, excel_safe, format_count, is_small, suppress_counts
from ccm_assess.readiness import questionnaire_definition, round_score

SHEETS = (
    "Summary",
    "Funnel",
    "Scenarios",
    "Sensitivity",
    "Assumptions",
    "Rates",
    "Data quality",
    "Readiness",
)
USD, USD_CENTS, PCT, PCT1 = "$#,##0", "$#,##0.00", "0%", "0.0%"
COUNT, DECIMAL, FTE, DATE = "#,##0", "#,##0.0", "0.00", "yyyy-mm-dd"
EXAMPLE_LIMIT = 20
"""Characters kept of an example value from the panel (invalid code, payer text)."""
NAME_LIMIT = 40
"""Characters kept of a provider, location, header, sheet or file name from the panel."""
EXAMPLES_SHOWN = 10
UNKNOWN = "unknown"
NOT_RECORDED = "(not recorded)"
WIDTH_CAP = 60
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")
TOP, TOP_RIGHT = Alignment(vertical="top"), Alignment(vertical="top", horizontal="right")
PAYER_LABELS = {
    "medicare_ffs": "Medicare FFS",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "commercial": "Commercial",
    "self_pay": "Self-pay",
    "other": "Other",
    "unknown": "Unknown",
}
MONTHLY_LABELS = {
    "month": "Month",
    "new_enrolments": "New enrolments",
    "enrolled": "Enrolled",
    "billed_patient_months": "Billed patient-months",
    **{code: f"{code} units" for code in CCM_CODES},
    "gross_allowed": "Gross allowed",
    "collected_revenue": "Collected revenue",
    "cost_clinical_staff": "Clinical staff cost",
    "cost_outreach_consent": "Outreach and consent cost",
    "cost_program_owner": "Program owner cost",
    "cost_practitioner": "Practitioner cost",
    "cost_software": "Software cost",
    "cost_billing": "Billing cost",
    "cost_startup": "Start-up cost",
    "cost_vendor": "Vendor fees",
    "costs": "Total costs",
    "net": "Net",
    "cumulative_net": "Cumulative net",
    "clinical_ftes": "Clinical staff FTEs",
    "ftes": "Total FTEs",
}
"""Columns of `ScenarioResult.monthly` on the Scenarios sheet, in order, with their headers."""


# ------------------------------------------------------------------------------ privacy helpers


def panel_text(values: pd.Series, limit: int = EXAMPLE_LIMIT) -> pd.Series:
    """Panel text cut to `limit` characters (an ellipsis marks the cut), formula-safe."""
    text = values.astype(object).where(values.notna(), None).map(str, na_action="ignore")
    cut = text.str.len().gt(limit).fillna(False).astype(bool)
    return excel_safe(text.mask(cut, text.str.slice(0, limit - 1) + "…"))


def _safe(text: str | None, limit: int = NAME_LIMIT) -> str:
    """`panel_text` of one string (a header, a sheet or file name); None as empty."""
    return "" if text is None else str(panel_text(pd.Series([text], dtype=object), limit)[0])


def shown_counts(counts: Mapping[Any, Any], *, total_shown: bool = True) -> dict[Any, Any]:
    """Counts of one group as shown: 1-10 (and a complementary cell) "<11", None "unknown"."""
    shown = suppress_counts(counts, total_shown=total_shown)
    return {key: UNKNOWN if value is None else value for key, value in shown.items()}


def shown_count(value: float | None) -> Any:
    """One count on its own as shown (a group of counts needs `shown_counts`)."""
    return UNKNOWN if value is None else SUPPRESSED if is_small(value) else value


def _listed(frame: pd.DataFrame, value: str, count: str) -> pd.DataFrame:
    """The first rows of a `value`/`count` quality frame: text panel-safe, counts suppressed."""
    if frame.empty:
        return pd.DataFrame({value: ["(none)"], count: [0]})
    shown = shown_counts(dict(enumerate(frame["count"].astype(int).tolist())))
    return pd.DataFrame(
        {value: panel_text(frame["value"]).to_numpy(), count: list(shown.values())}
    ).head(EXAMPLES_SHOWN)


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


def _put(ws: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> Cell:
    """Write one cell; text is always stored as text (never read as a formula)."""
    cell = ws.cell(row=row, column=column, value=_plain(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    elif fmt:
        cell.number_format = fmt
    return cell


def _title(ws: Worksheet, title: str, note: str) -> None:
    _put(ws, 1, 1, title).font = Font(bold=True, size=14)
    _put(ws, 2, 1, note).font = Font(italic=True, color="52606D")


def _heading(ws: Worksheet, row: int, text: str) -> int:
    _put(ws, row, 1, text).font = Font(bold=True, size=12)
    return row + 1


def _pairs(ws: Worksheet, row: int, pairs: Sequence[tuple[str, Any, str | None]]) -> int:
    """Label / value lines (long text runs on to the right); the next row after a blank one."""
    for label, value, fmt in pairs:
        _put(ws, row, 1, label).font = Font(bold=True)
        _put(ws, row, 2, value, fmt).alignment = Alignment(horizontal="left")
        row += 1
    return row + 1


def _table(
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
        cell = _put(ws, row, j, str(header))
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(frame.astype(object).to_numpy().tolist()):
        by_row = row_formats[i] if row_formats else None
        for j, (header, value) in enumerate(zip(frame.columns, values, strict=True), start=1):
            fmt = formats.get(header) or (by_row if j > 1 else None)
            cell = _put(ws, row + 1 + i, j, value, fmt)
            cell.alignment = TOP_RIGHT if value in (SUPPRESSED, UNKNOWN) else TOP
    last = row + len(frame)
    table = Table(
        displayName=re.sub(r"\W", "", ws.title) + str(len(ws.tables) + 1),
        ref=f"A{row}:{get_column_letter(len(frame.columns))}{last}",
    )
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    ws.add_table(table)
    return last + 2


def _wrap(cell: Cell, width: float) -> None:
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


def _finish(
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
            _wrap(cell, width)
    ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "&A, page &P of &N"
    if title_rows:
        ws.print_title_rows = title_rows


def _style_chart(chart: BarChart | LineChart, title: str, y_title: str, x_title: str) -> None:
    chart.title = title
    chart.y_axis.title, chart.x_axis.title = y_title, x_title
    chart.y_axis.number_format = USD
    chart.x_axis.delete = chart.y_axis.delete = False
    if isinstance(chart, LineChart):
        chart.x_axis.tickLblSkip = 3
    chart.width, chart.height = 18, 8.5


def _colour(model: str) -> str:
    return MODEL_COLOURS.get(model, "#52606D").lstrip("#")


def _colour_lines(chart: LineChart, models: Sequence[str]) -> None:
    for key, series in zip(models, chart.series, strict=True):
        series.graphicalProperties.line.solidFill = _colour(key)
        series.graphicalProperties.line.width = 28575  # EMU: 2.25 points
        series.smooth = False


# ------------------------------------------------------------------------------------ sheets


def _horizon(assessment: Assessment) -> tuple[int, str]:
    """Horizon in months and its label ("3-year" for 36 months)."""
    months = int(assessment.assumptions["horizon_months"])
    return months, (f"{months // 12}-year" if months % 12 == 0 else f"{months}-month")


def _break_even(month: float | None, months: int) -> Any:
    missing = month is None or (isinstance(month, float) and math.isnan(month))
    return f"not within {months} months" if missing else int(month)


def _model_table(assessment: Assessment) -> tuple[pd.DataFrame, list[str | None]]:
    """Metric rows x delivery-model columns of the Summary sheet, and one format per row."""
    months, span = _horizon(assessment)
    rows: list[tuple[str, str | None, Callable[[Any], Any]]] = [
        ("Enrolled patients at steady state", COUNT, lambda r: r.enrolled_steady_state),
        ("Staff FTEs at steady state", FTE, lambda r: r.ftes_steady_state),
        ("Monthly net at steady state", USD, lambda r: r.monthly_net_steady_state),
        ("Year-1 net", USD, lambda r: r.year1_net),
        (f"{span} net", USD, lambda r: r.horizon_net),
        ("Break-even month", "0", lambda r: _break_even(r.break_even_month, months)),
        (f"ROI ({span} net / costs)", PCT, lambda r: r.roi),
        (f"{span} net, P10 (bad case)", USD, lambda r: r.p10_horizon_net),
        (f"{span} net, P90 (good case)", USD, lambda r: r.p90_horizon_net),
        ("Peak cash needed", USD, lambda r: r.peak_cash_need),
        (f"{span} collected revenue", USD, lambda r: r.horizon_revenue),
        (f"{span} costs", USD, lambda r: r.horizon_costs),
    ]
    columns = {r.label: [get(r) for _, _, get in rows] for r in assessment.scenarios.values()}
    frame = pd.DataFrame({"Metric": [label for label, _, _ in rows], **columns})
    return frame, [fmt for _, fmt, _ in rows]


def _patient_lines(assessment: Assessment) -> list[tuple[str, Any, str | None]]:
    panel, counts = assessment.counts["panel"], assessment.counts["eligibility"]
    tiers = shown_counts(counts["apcm_tiers"])
    return [
        ("Patients in the panel", panel["patients"], COUNT),
        ("Patients analysed (not deceased or in hospice)", panel["patients_analysed"], COUNT),
        ("CCM eligible (2+ chronic conditions)", shown_count(counts["ccm_eligible"]), COUNT),
        ("Complex CCM candidates", shown_count(counts["complex_ccm_candidates"]), COUNT),
        ("PCM candidates (1 chronic condition)", shown_count(counts["pcm_candidates"]), COUNT),
        *((f"APCM {tier} candidates", value, COUNT) for tier, value in tiers.items()),
        (
            "CCM eligible, needing an initiating visit",
            shown_count(counts["needs_initiating_visit"]),
            COUNT,
        ),
    ]


def _summary(ws: Worksheet, assessment: Assessment) -> None:
    rec, scenarios = assessment.recommendation, assessment.scenarios
    months, span = _horizon(assessment)
    row = _heading(ws, 4, "Practice")
    row = _pairs(
        ws,
        row,
        [
            ("Practice", _safe(assessment.practice) or "-", None),
            ("As of", assessment.as_of, DATE),
            ("Medicare locality", assessment.rate_table.locality.label, None),
            ("Fee schedule year", assessment.rate_table.year, "0"),
        ],
    )
    row = _heading(ws, row, "Recommendation")
    row = _pairs(
        ws,
        row,
        [
            ("Start with", scenarios[rec.choice].label, None),
            ("Confidence", rec.confidence, None),
            (
                "Staff hours needed a week (in-house, steady state)",
                rec.hours_needed_per_week,
                COUNT,
            ),
            (
                "Staff hours the practice can set aside a week",
                rec.hours_available_per_week or "not assessed",
                COUNT,
            ),
        ],
    )
    notes = [("Why", text) for text in rec.reasons]
    notes += [("What would change it", text) for text in rec.would_change]
    notes += [("Note", text) for result in scenarios.values() for text in result.warnings]
    for label, text in notes:
        cell = _put(ws, row, 1, label)
        cell.font, cell.alignment = Font(bold=True), TOP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        _wrap(_put(ws, row, 2, text), 3 * 16)
        row += 1
    row = _heading(ws, row + 1, "Patients (counts from 1 to 10 show as <11)")
    row = _pairs(ws, row, _patient_lines(assessment))
    row = _heading(ws, row, "Delivery models")
    frame, row_formats = _model_table(assessment)
    header, last_col = row, len(frame.columns)
    row = _table(ws, row, frame, row_formats=row_formats)
    net_row = header + 1 + frame["Metric"].tolist().index(f"{span} net")
    best = max(scenarios.values(), key=lambda r: r.horizon_net)
    bar = BarChart()
    values = Reference(ws, min_col=1, max_col=last_col, min_row=net_row, max_row=net_row)
    bar.add_data(values, from_rows=True, titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=2, max_col=last_col, min_row=header, max_row=header))
    for i, key in enumerate(scenarios):
        point = DataPoint(idx=i)
        point.graphicalProperties.solidFill = _colour(key)
        bar.series[0].dPt.append(point)
    bar.legend = None
    years = span.replace("-", " ") + "s"
    title = f"{best.label} nets the most over {years} (${best.horizon_net:,.0f})"
    _style_chart(bar, title, f"{span} net (USD)", "Delivery model")
    ws.add_chart(bar, "F4")
    row = _heading(ws, row, "Cumulative net by month (the data of the line chart)")
    cumulative = {r.label: r.monthly["cumulative_net"].to_numpy() for r in scenarios.values()}
    frame = pd.DataFrame({"Month": np.arange(1, months + 1), **cumulative})
    _table(ws, row, frame, dict.fromkeys(cumulative, USD))
    line = LineChart()
    data = Reference(ws, min_col=2, max_col=last_col, min_row=row, max_row=row + months)
    line.add_data(data, titles_from_data=True)
    line.set_categories(Reference(ws, min_col=1, min_row=row + 1, max_row=row + months))
    _colour_lines(line, list(scenarios))
    first = min(scenarios.values(), key=lambda r: r.break_even_month or months + 1)
    title = (
        f"{first.label} breaks even first (month {first.break_even_month})"
        if first.break_even_month
        else f"No model breaks even within {months} months"
    )
    _style_chart(line, title, "Cumulative net (USD)", "Month")
    ws.add_chart(line, "F22")
    _finish(ws, "A3", {"A": 46, "B": 16, "C": 16, "D": 16, "E": 3})


def _share_frame(
    label: str, counts: Mapping[str, int], total: int, *, total_shown: bool = True
) -> pd.DataFrame:
    """Label, count and share of `total`, both suppressed together (1-10 and complementary)."""
    shown = shown_counts(counts, total_shown=total_shown)
    hidden = [isinstance(shown[k], str) for k in counts]
    return pd.DataFrame(
        {
            label: list(counts),
            "Patients": list(shown.values()),
            "Share of analysed": [
                None if hide or not total else counts[k] / total
                for k, hide in zip(counts, hidden, strict=True)
            ],
        }
    )


def _payer_table(assessment: Assessment, billable: Sequence[str]) -> pd.DataFrame:
    """Eligible patients by payer class (each column suppressed as a group), with totals."""
    counts = assessment.counts["eligibility"]
    groups = {
        "CCM eligible": ("ccm_eligible", counts["ccm_eligible_by_payer"]),
        "Complex CCM candidates": (
            "complex_ccm_candidates",
            counts.get("complex_ccm_candidates_by_payer"),
        ),
        "PCM candidates": ("pcm_candidates", counts["pcm_candidates_by_payer"]),
    }
    columns = {
        name: [UNKNOWN] * len(PAYER_CLASSES)
        if group is None
        else [shown_counts(group)[c] for c in PAYER_CLASSES]
        for name, (_, group) in groups.items()
    }
    frame = pd.DataFrame(
        {
            "Payer class": [PAYER_LABELS[c] for c in PAYER_CLASSES],
            "Billable for CCM": ["yes" if c in billable else "no" for c in PAYER_CLASSES],
            **columns,
        }
    )
    totals = [shown_count(counts[key]) for key, _ in groups.values()]
    frame.loc[len(frame)] = ["All payer classes", "", *totals]
    return frame


def _by_field(assessment: Assessment, role: str) -> pd.DataFrame:
    """CCM eligible patients per provider or location (staff and site names, not patients)."""
    patients = assessment.eligibility.patients
    names = assessment.panel.patients[role].reindex(patients.index).fillna(NOT_RECORDED)
    eligible = names[patients["ccm_eligible"].to_numpy(dtype=bool)].value_counts()
    eligible = eligible.reindex(names.unique(), fill_value=0)
    eligible = eligible.sort_values(ascending=False, kind="stable")
    shown = shown_counts(eligible.to_dict())
    return pd.DataFrame(
        {
            role.capitalize(): panel_text(pd.Series(eligible.index, dtype=object), NAME_LIMIT),
            "CCM eligible": [shown[k] for k in eligible.index],
        }
    )


def _billable(assessment: Assessment) -> list[str]:
    """The payer classes the model bills CCM to (Medicare Advantage when `ma_pays_ccm`)."""
    return ["medicare_ffs"] + ["medicare_advantage"] * bool(assessment.assumptions["ma_pays_ccm"])


def shown_pool(by_payer: Mapping[str, int], billable: Sequence[str]) -> Any:
    """A group's patients in the billable classes, as shown: hidden when 1-10, or when one of
    its classes alone is hidden in the by-payer table (the sum would give that one away)."""
    hidden = sum(shown_counts(by_payer)[c] == SUPPRESSED for c in billable)
    return SUPPRESSED if hidden == 1 else shown_count(sum(by_payer[c] for c in billable))


def _funnel(ws: Worksheet, assessment: Assessment) -> None:
    counts, panel = assessment.counts["eligibility"], assessment.counts["panel"]
    billable = _billable(assessment)
    steps = [
        ("Patients in the panel", panel["patients"], "distinct patient ids in the used rows"),
        ("Analysed", panel["patients_analysed"], "not deceased or in hospice"),
        ("CCM eligible", shown_count(counts["ccm_eligible"]), "2+ chronic conditions"),
        (
            "In billable payer classes",
            shown_pool(counts["ccm_eligible_by_payer"], billable),
            " + ".join(PAYER_LABELS[c] for c in billable),
        ),
        *(
            (f"Expected enrolled: {r.label}", r.enrolled_steady_state, "model, last 12 months")
            for r in assessment.scenarios.values()
        ),
    ]
    row = _heading(ws, 4, "From panel to enrolled patients")
    frame = pd.DataFrame(steps, columns=["Step", "Patients", "Note"])
    row = _table(ws, row, frame, {"Patients": COUNT})
    excluded = shown_counts(assessment.counts["excluded"])
    row = _heading(ws, row, "Not analysed")
    frame = pd.DataFrame({"Reason": list(excluded), "Patients": list(excluded.values())})
    row = _table(ws, row, frame, {"Patients": COUNT})
    row = _heading(ws, row, "Eligible patients by primary payer class")
    frame = _payer_table(assessment, billable)
    row = _table(ws, row, frame, dict.fromkeys(frame.columns[2:], COUNT))
    analysed = panel["patients_analysed"]
    found = {k: v for k, v in assessment.counts["conditions"].items() if v}
    order = sorted(found, key=lambda k: -found[k])
    names = assessment.eligibility.display_names
    conditions = {names[k]: found[k] for k in order}
    missing = len(assessment.counts["conditions"]) - len(found)
    row = _heading(ws, row, f"Chronic conditions of analysed patients ({missing} others: none)")
    frame = _share_frame("Condition", conditions, analysed, total_shown=False)
    row = _table(ws, row, frame, {"Patients": COUNT, "Share of analysed": PCT1})
    patients = assessment.eligibility.patients
    chronic = patients.loc[patients["analysed"].to_numpy(dtype=bool), "chronic_count"]
    distribution = chronic.clip(upper=5).value_counts().reindex(range(6), fill_value=0)
    labelled = {("5+" if k == 5 else str(k)): int(v) for k, v in distribution.items()}
    row = _heading(ws, row, "Chronic conditions per analysed patient")
    frame = _share_frame("Chronic conditions", labelled, analysed)
    row = _table(ws, row, frame, {"Patients": COUNT, "Share of analysed": PCT1})
    for role in ("provider", "location"):
        row = _heading(ws, row, f"CCM eligible patients by {role}")
        if assessment.panel.has(role):
            row = _table(ws, row, _by_field(assessment, role), {"CCM eligible": COUNT})
        else:
            _put(ws, row, 1, f"The export has no {role} column.")
            row += 2
    _finish(ws, "A3", {"A": 44})


def _monthly_format(column: str) -> str:
    if column in ("gross_allowed", "collected_revenue", "net", "cumulative_net"):
        return USD
    if column.startswith("cost"):
        return USD
    return FTE if column.endswith("ftes") else "0" if column == "month" else DECIMAL


def _scenarios(ws: Worksheet, assessment: Assessment) -> None:
    scenarios = assessment.scenarios
    frames = [r.monthly.assign(model=r.label) for r in scenarios.values()]
    long = pd.concat(frames, ignore_index=True)
    columns = ["model", *(c for c in MONTHLY_LABELS if c in long)]
    table = long[columns].rename(columns={"model": "Model", **MONTHLY_LABELS})
    end = _table(ws, 4, table, {MONTHLY_LABELS[c]: _monthly_format(c) for c in columns[1:]})
    months = len(frames[0])
    row = _heading(ws, end, "Collected revenue, costs and net by year")
    money = ["collected_revenue", "costs", "net"]
    yearly = (
        long.assign(year=(long["month"] - 1) // 12 + 1)
        .groupby(["model", "year"], sort=False)[money]
        .sum()
        .reset_index()
    )
    yearly.columns = ["Model", "Year", "Collected revenue", "Costs", "Net"]
    chart_row = _table(ws, row, yearly, dict.fromkeys(yearly.columns[2:], USD))
    line = LineChart()
    enrolled = columns.index("enrolled") + 1
    for i, result in enumerate(scenarios.values()):
        first = 5 + i * months
        values = Reference(ws, min_col=enrolled, min_row=first, max_row=first + months - 1)
        line.series.append(Series(values, title=result.label))
    line.set_categories(Reference(ws, min_col=2, min_row=5, max_row=4 + months))
    _colour_lines(line, list(scenarios))
    peak = max(scenarios.values(), key=lambda r: r.monthly["enrolled"].max())
    title = f"{peak.label} enrols the most patients ({peak.monthly['enrolled'].max():,.0f} at peak)"
    _style_chart(line, title, "Enrolled patients", "Month")
    line.y_axis.number_format = COUNT
    ws.add_chart(line, f"A{chart_row}")
    _title(
        ws,
        "Scenarios: month by month, per delivery model (USD)",
        f"As of {assessment.as_of.isoformat()}. Yearly totals and a chart of enrolment are "
        f"below the table, from row {end}. Patients and code units are expected values.",
    )
    _finish(ws, "C5", {"A": 12}, title_rows="4:4")


def _unit_format(unit: str) -> str:
    return PCT1 if unit.startswith("share") else USD if unit.startswith("USD") else "General"


def _sensitivity(ws: Worksheet, assessment: Assessment) -> None:
    months, span = _horizon(assessment)
    labels = {key: r.label for key, r in assessment.scenarios.items()}
    tornado = assessment.economics.tornado
    columns = ["model", "label", "unit", "value", "low", "high", "horizon_net_low"]
    frame = tornado[[*columns, "horizon_net_high", "swing"]].assign(
        model=tornado["model"].map(labels)
    )
    frame.columns = ["Model", "Assumption", "Unit", "Value used", "Low", "High",
                     f"{span} net at low", f"{span} net at high", "Swing"]  # fmt: skip
    end = _table(ws, 4, frame, dict.fromkeys(frame.columns[-3:], USD))
    for i, unit in enumerate(tornado["unit"], start=5):
        for column in (4, 5, 6):
            ws.cell(row=i, column=column).number_format = _unit_format(unit)
    monte = assessment.economics.monte_carlo
    row = _heading(ws, end, f"Monte Carlo: {span} net and break-even month")
    summary = monte.summary
    nets = {f"P{p} {span} net": summary[f"p{p}_horizon_net"].to_numpy() for p in (10, 50, 90)}
    breaks = {
        f"P{p} break-even month": [
            _break_even(v, months) for v in summary[f"p{p}_break_even_month"]
        ]
        for p in (10, 50, 90)
    }
    frame = pd.DataFrame(
        {
            "Model": [labels[k] for k in summary.index],
            **nets,
            **breaks,
            "Share of runs breaking even": summary["share_breaking_even"].to_numpy(),
        }
    )
    formats = dict.fromkeys(nets, USD) | dict.fromkeys(breaks, "0")
    row = _table(ws, row, frame, formats | {"Share of runs breaking even": PCT})
    settings = [
        ("Seed", monte.seed),
        ("Draws", monte.draws),
        ("Distribution", f"{monte.distribution} over each plausible range"),
    ]
    _table(ws, row, pd.DataFrame(settings, columns=["Setting", "Value"]), {"Value": "0"})
    _title(
        ws,
        "Sensitivity: what moves the answer",
        f"Tornado: {span} net with one assumption at its low or high, the rest unchanged. "
        f"The Monte Carlo summary is below the table, from row {end}.",
    )
    _finish(ws, "C5", {"B": 54}, title_rows="4:4")


def _assumptions(ws: Worksheet, assessment: Assessment) -> None:
    assumptions = assessment.assumptions
    table = assumptions.table()
    changed, outside = set(assumptions.changed()), set(assumptions.outside_plausible())
    flags = {"changed from default": changed, "outside plausible range": outside}
    notes = ["; ".join(t for t, names in flags.items() if n in names) for n in table["name"]]
    columns = ["name", "group", "label", "value", "default", "unit", "low", "high", "basis"]
    frame = table[[*columns, "source"]].assign(note=notes)
    frame.columns = ["Name", "Group", "Assumption", "Value", "Default", "Unit", "Plausible low",
                     "Plausible high", "Basis", "Source", "Note"]  # fmt: skip
    _table(ws, 4, frame)
    for i, (name, unit) in enumerate(zip(table["name"], table["unit"], strict=True), start=5):
        for column in (4, 5, 7, 8):
            ws.cell(row=i, column=column).number_format = _unit_format(unit)
        if name in changed:
            for column in range(1, len(frame.columns) + 1):
                ws.cell(row=i, column=column).fill = CHANGED_FILL
    _title(
        ws,
        "Assumptions, with their sources",
        f"{len(changed)} changed from the default (highlighted). Basis: [P] primary source, "
        "[S] secondary, [V] vendor claim, [A] our assumption.",
    )
    _finish(ws, "D5", {"C": 50, "J": 60}, title_rows="4:4")


def _programs(assessment: Assessment) -> pd.DataFrame:
    """The CCM/PCM/APCM comparison with small patient counts (and what scales them) hidden.

    CCM or PCM is hidden when its billable pool is (`_pool`), and then CCM, PCM and their sum
    "CCM + PCM" all are; APCM when 1-10.
    """
    programs = assessment.economics.programs
    counts, billable = assessment.counts["eligibility"], _billable(assessment)
    groups = (counts["ccm_eligible_by_payer"], counts["pcm_candidates_by_payer"])
    hidden = (
        {"CCM", "PCM", "CCM + PCM"}
        if any(shown_pool(group, billable) == SUPPRESSED for group in groups)
        else set()
    )
    if is_small(programs.set_index("program")["patients"]["APCM"]):
        hidden.add("APCM")
    hide = programs["program"].isin(hidden)

    def masked(column: str) -> pd.Series:
        return programs[column].astype(object).mask(hide, SUPPRESSED)

    return pd.DataFrame(
        {
            "Program": programs["program"],
            "Patients": masked("patients"),
            "Expected enrolled": masked("enrolled"),
            "Billed months a year": masked("billed_months_per_year"),
            "Allowed a year": programs["allowed_per_year"],
            "Collected a year": programs["collected_per_year"],
            "Collected per enrolled month": programs["collected_per_enrolled_month"],
            "Note": programs["note"],
        }
    )


def _rates(ws: Worksheet, assessment: Assessment) -> None:
    table = assessment.rate_table
    place = table.locality
    amounts = (
        "USD per unit: Medicare allowed amount (Medicare pays 80%, the patient 20%), before the "
        "2% sequestration."
    )
    row = _pairs(
        ws,
        4,
        [
            ("Fee schedule year", table.year, "0"),
            ("Locality", place.label, None),
            ("MAC", place.mac or "-", None),
            ("GPCI work", place.pw_gpci, "0.000"),
            ("GPCI practice expense", place.pe_gpci, "0.000"),
            ("GPCI malpractice", place.mp_gpci, "0.000"),
            ("GPCI year", place.gpci_year or "-", "0"),
            ("Conversion factor (USD per RVU)", table.conversion_factor, "$#,##0.0000"),
            ("Conversion factor period", f"{table.cf_period}: {table.cf_note}", None),
            ("RVU release", table.rvu_release, None),
            ("GPCI note", table.gpci_note, None),
            ("Amounts", amounts, None),
        ],
    )
    rates = table.rates[["code", "family", "label", "non_facility", "facility"]].set_axis(
        ["Code", "Family", "Service", "Non-facility", "Facility"], axis=1
    )
    row = _heading(ws, row, "Payment per code (USD per unit)")
    row = _table(ws, row, rates, {"Non-facility": USD_CENTS, "Facility": USD_CENTS})
    row = _heading(ws, row, "CCM, PCM and APCM a year once fully enrolled (APCM replaces CCM/PCM)")
    frame = _programs(assessment)
    formats = dict.fromkeys(frame.columns[1:4], COUNT) | dict.fromkeys(frame.columns[4:6], USD)
    _table(ws, row, frame, formats | {"Collected per enrolled month": USD_CENTS})
    _title(
        ws, f"Rates: Medicare Physician Fee Schedule CY{table.year}, {place.label}", table.gpci_note
    )
    _finish(ws, "A3", {"A": 34, "B": 16, "C": 60})


def reconciliation(ledger: pd.DataFrame) -> pd.DataFrame:
    """Rows read = used + skipped (by reason) + rejected (by reason), and the check lines."""
    status = ledger["status"]
    lines = [("Rows read", len(ledger)), ("Used", int(status.eq("used").sum()))]
    for kind in ("skipped", "rejected"):
        reasons = ledger.loc[status.eq(kind), "reason"].value_counts()
        lines += [(f"{kind.capitalize()}: {reason}", int(n)) for reason, n in reasons.items()]
    accounted = sum(n for _, n in lines[1:])
    lines += [
        ("Used + skipped + rejected", accounted),
        ("Difference (0: every row accounted for)", len(ledger) - accounted),
    ]
    return pd.DataFrame(lines, columns=["Line", "Rows"])


def _quality_counts(frame: pd.DataFrame, label: str, count: str, **columns: str) -> pd.DataFrame:
    """A quality frame's `columns` (source -> header) with counts shown one by one."""
    out = {
        header: frame.get(source, pd.Series(dtype=object)).to_numpy()
        for source, header in columns.items()
    }
    out[label] = [shown_count(int(c)) for c in frame.get(count, [])]
    return pd.DataFrame(out)


def _data_quality(ws: Worksheet, assessment: Assessment) -> None:
    panel, counts = assessment.panel, assessment.counts
    source, quality = panel.source, panel.quality
    sheets = ", ".join(_safe(s) for s in source.sheets)
    row = _pairs(
        ws,
        4,
        [
            ("File", _safe(source.path.name), None),
            ("Sheet", _safe(source.sheet) if source.sheet else "(text file)", None),
            ("Sheets in the file", sheets or "-", None),
            ("Header row", source.header_row, "0"),
            ("Layout", source.shape, None),
        ],
    )
    mapping = pd.DataFrame(
        {
            "Role": list(panel.mapping),
            "Column(s) in the file": [
                ", ".join(_safe(h) for h in v) for v in panel.mapping.values()
            ],
        }
    )
    row = _heading(ws, row, "Column mapping")
    row = _table(ws, row, mapping)
    row = _heading(ws, row, "Row reconciliation")
    row = _table(ws, row, reconciliation(panel.ledger), {"Rows": COUNT})
    excluded = shown_counts(counts["excluded"])
    lines = [
        ("Patients (distinct ids in the used rows)", counts["panel"]["patients"]),
        *((f"Not analysed: {reason}", n) for reason, n in excluded.items()),
        ("Patients analysed", counts["panel"]["patients_analysed"]),
    ]
    row = _table(ws, row, pd.DataFrame(lines, columns=["Patients", "Count"]), {"Count": COUNT})
    for title, frame, value, count in (
        ("Invalid diagnosis codes (entries)", quality.invalid_codes, "Code as written", "Entries"),
        (
            "ICD-9 codes (entries; export ICD-10-CM)",
            quality.icd9_codes,
            "Code as written",
            "Entries",
        ),
        ("Payer text not recognised (patients)", quality.unknown_payers, "Payer text", "Patients"),
        (
            "Codes CCIR cannot place (patients)",
            assessment.eligibility.ccir_unknown,
            "Code",
            "Patients",
        ),
    ):
        total = shown_count(int(frame["count"].sum()) if len(frame) else 0)
        row = _heading(ws, row, f"{title}: {format_count(total)} in all")
        row = _table(ws, row, _listed(frame, value, count), {count: COUNT})
    row = _heading(ws, row, "Dates set to empty (no examples: dates are patient data)")
    frame = _quality_counts(quality.bad_dates, "Cells", "count", column="Column", problem="Problem")
    row = _table(ws, row, frame, {"Cells": COUNT})
    row = _heading(ws, row, "Yes/no and count cells that could not be read")
    bad = quality.bad_values
    frame = _quality_counts(bad, "Cells", "count", column="Column").assign(
        Examples=panel_text(bad.get("examples", pd.Series(dtype=object))).to_numpy()
    )
    row = _table(ws, row, frame, {"Cells": COUNT})
    row = _heading(ws, row, "Patients whose rows disagree (the first non-blank value is kept)")
    frame = _quality_counts(quality.conflicts, "Patients", "patients", column="Field")
    row = _table(ws, row, frame, {"Patients": COUNT})
    if panel.notes:
        row = _heading(ws, row, "Reader notes")
        _table(ws, row, pd.DataFrame({"Note": [_safe(n, 120) for n in panel.notes]}))
    _title(
        ws,
        "Data quality: how the panel file was read",
        "Counts from 1 to 10 show as <11. Example values are cut to 20 characters; dates are "
        "never shown.",
    )
    _finish(ws, "A3", {"A": 46})


def _readiness(ws: Worksheet, assessment: Assessment) -> None:
    readiness = assessment.readiness
    definition = questionnaire_definition()
    open_items = ", ".join(definition.question(q).label for q in readiness.not_assessed)
    score = round_score(readiness.score)
    row = _pairs(
        ws,
        4,
        [
            (
                "Overall readiness score (0-100)",
                "not enough answers" if score is None else score,
                "0",
            ),
            ("Maturity", readiness.maturity, None),
            ("Questions answered", readiness.assessed_share, PCT),
            ("Not assessed", open_items or "-", None),
        ],
    )
    domains = list(readiness.domains.values())
    frame = pd.DataFrame(
        {
            "Domain": [d.title for d in domains],
            "Weight": [d.weight for d in domains],
            "Score (0-100)": [round_score(d.score) for d in domains],
            "Questions answered": [f"{d.assessed} of {d.questions}" for d in domains],
        }
    )
    row = _heading(ws, row, "Scores by domain")
    row = _table(ws, row, frame, {"Weight": PCT, "Score (0-100)": "0"})
    gaps = readiness.gaps
    frame = pd.DataFrame(
        {
            "Action": [g.action for g in gaps],
            "Owner": [g.owner for g in gaps],
            "Weeks": [g.weeks_text for g in gaps],
            "Domain": [readiness.domains[g.domain].title for g in gaps],
            "Why": [g.why for g in gaps],
            "Item": [g.label for g in gaps],
            "Answer": excel_safe(pd.Series([g.answer for g in gaps], dtype=object)),
            "CMS required": ["yes" if g.cms_required else "" for g in gaps],
            "Points lost": [g.impact for g in gaps],
        }
    )
    row = _heading(ws, row, "Gaps and the actions that close them (CMS-required first)")
    row = _table(ws, row, frame, {"Points lost": "0.0"})
    chosen = assessment.scenarios[assessment.recommendation.choice].label
    plan = assessment.plan.rename(columns=str.capitalize)[
        ["Action", "Owner", "Weeks", "Domain", "Why"]
    ]
    row = _heading(ws, row, f"90-day launch plan ({chosen})")
    row = _table(ws, row, plan)
    row = _heading(ws, row, "Invisible work: coordination already done, valued as standard CCM")
    work = assessment.economics.invisible_work
    if work is None:
        _put(ws, row, 1, "Not assessed: the questionnaire gives no coordination hours a week.")
    else:
        _pairs(
            ws,
            row,
            [
                ("Coordination hours a month", work.hours_per_month, DECIMAL),
                ("Share of those hours that would bill", work.billable_share, PCT),
                ("Billable hours a month", work.billable_hours_per_month, DECIMAL),
                ("Patients supported", work.patients_supported, COUNT),
                ("Billed patient-months a month", work.billed_patient_months, COUNT),
                ("Allowed a month (99490 + 99439)", work.allowed_per_month, USD),
                ("Collected a month", work.collected_per_month, USD),
                ("Collected a year", 12 * work.collected_per_month, USD),
            ],
        )
    _title(
        ws,
        "Readiness: scorecard, gaps and the 90-day plan",
        f"From the questionnaire. Recommendation: start {chosen.lower()}.",
    )
    _finish(ws, "A3", {"A": 48, "B": 20, "C": 10, "D": 26, "E": 48})


# ------------------------------------------------------------------------------------ public

_WRITERS = (
    _summary,
    _funnel,
    _scenarios,
    _sensitivity,
    _assumptions,
    _rates,
    _data_quality,
    _readiness,
)


def build_workbook(assessment: Assessment) -> Workbook:
    """The workbook of `assessment` in memory, one sheet per name of `SHEETS`."""
    book = Workbook()
    book.remove(book.active)
    practice = assessment.practice or "CCM assessment"  # consultant input, stored as text
    for name, write in zip(SHEETS, _WRITERS, strict=True):
        ws = book.create_sheet(name)
        _title(
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
