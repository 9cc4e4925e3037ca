"""The model sheets of workbook.xlsx: Summary, Scenarios, Sensitivity, Assumptions, Rates and
Readiness (docs/outputs.md), each a writer `(worksheet, assessment) -> None` in `WRITERS`.

Money is USD; patient counts of subgroups are shown through `cells.shown_counts` (1-10 as
"<11"). Cell, table and sheet layout helpers are in `cells`.

Longer than 400 lines because each of its six sheets is a writer with its own tables, formats and
charts; the panel and hand-over sheets are separate modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ccm_assess.finance.model import CCM_CODES
from ccm_assess.formatting import level_text
from ccm_assess.outputs.palette import MODEL_COLOURS, NEUTRAL
from ccm_assess.outputs.workbook.cells import (
    CHANGED_FILL,
    COUNT,
    DATE,
    DECIMAL,
    FTE,
    PCT,
    PCT1,
    TOP,
    USD,
    USD_CENTS,
    billable_classes,
    finish_sheet,
    put_cell,
    put_heading,
    put_pairs,
    put_table,
    put_title,
    safe_name,
    shown_count,
    shown_counts,
    shown_pool,
    wrap_cell,
)
from ccm_assess.practice.assessment import Assessment
from ccm_assess.privacy import WITHHELD, excel_safe, is_hidden, is_small, shown_sum
from ccm_assess.readiness.questionnaire import questionnaire_definition
from ccm_assess.readiness.scoring import round_score

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


# ------------------------------------------------------------------------------------ charts


def _style_chart(chart: BarChart | LineChart, title: str, y_title: str, x_title: str) -> None:
    chart.title = title
    chart.y_axis.title, chart.x_axis.title = y_title, x_title
    chart.y_axis.number_format = USD
    chart.x_axis.delete = chart.y_axis.delete = False
    if isinstance(chart, LineChart):
        chart.x_axis.tickLblSkip = 3
    chart.width, chart.height = 18, 8.5


def _colour(model: str) -> str:
    return MODEL_COLOURS.get(model, NEUTRAL["series"]).lstrip("#")


def _colour_lines(chart: LineChart, models: Sequence[str]) -> None:
    for key, series in zip(models, chart.series, strict=True):
        series.graphicalProperties.line.solidFill = _colour(key)
        series.graphicalProperties.line.width = 28575  # EMU: 2.25 points
        series.smooth = False


# ------------------------------------------------------------------------------------ sheets


def _horizon(assessment: Assessment) -> tuple[int, str]:
    """Horizon in months and its label ("3-year" for 36 months)."""
    months = assessment.assumptions.horizon_months
    return months, (f"{months // 12}-year" if months % 12 == 0 else f"{months}-month")


def _break_even(month: float | None, months: int) -> Any:
    if month is None or math.isnan(month):
        return f"not within {months} months"
    return int(month)


def _model_table(assessment: Assessment) -> tuple[pd.DataFrame, list[str | None]]:
    """Metric rows x delivery-model columns of the Summary sheet, and one format per row."""
    months, span = _horizon(assessment)
    default = "at the default values"
    rows: list[tuple[str, str | None, Callable[[Any], Any]]] = [
        (
            "Enrolled patients at steady state, median",
            COUNT,
            lambda r: r.central("enrolled_steady_state"),
        ),
        ("Year-1 net, median", USD, lambda r: r.central("year1_net")),
        (f"{span} net", USD, lambda r: r.central("horizon_net")),
        (
            "Break-even month, median",
            "0",
            lambda r: _break_even(r.central("break_even_month"), months),
        ),
        ("First payment month", "0", lambda r: r.first_payment_month),
        (f"Enrolled patients at steady state {default}", COUNT, lambda r: r.enrolled_steady_state),
        (f"Staff FTEs at steady state {default}", FTE, lambda r: r.ftes_steady_state),
        (f"Monthly net at steady state {default}", USD, lambda r: r.monthly_net_steady_state),
        (f"Year-1 net {default}", USD, lambda r: r.year1_net),
        (f"{span} net {default}", USD, lambda r: r.horizon_net),
        (f"Break-even month {default}", "0", lambda r: _break_even(r.break_even_month, months)),
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
    panel, counts = assessment.shown_counts["panel"], assessment.shown_counts["eligibility"]
    tiers = shown_counts(counts["apcm_tiers"])
    level = level_text(assessment.eligibility.conditions_level)
    return [
        ("Patients in the panel", panel["patients"], COUNT),
        ("Patients analysed (not deceased or in hospice)", panel["patients_analysed"], COUNT),
        (
            "CCM billable (eligible, with a payer the model bills)",
            shown_pool(counts["ccm_eligible_by_payer"], billable_classes(assessment)),
            COUNT,
        ),
        (
            f"CCM eligible (2+ chronic conditions, {level})",
            shown_count(counts["ccm_eligible"]),
            COUNT,
        ),
        ("Complex CCM candidates", shown_count(counts["complex_ccm_candidates"]), COUNT),
        ("PCM candidates (1 high-risk condition)", shown_count(counts["pcm_candidates"]), COUNT),
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
    row = put_heading(ws, 4, "Practice")
    row = put_pairs(
        ws,
        row,
        [
            ("Practice", safe_name(assessment.practice) or "-", None),
            ("As of", assessment.as_of, DATE),
            ("Medicare locality", assessment.rate_table.locality.label, None),
            ("Fee schedule year", assessment.rate_table.year, "0"),
        ],
    )
    row = put_heading(ws, row, "Recommendation")
    row = put_pairs(
        ws,
        row,
        [
            (
                "Decision",
                f"Start with {scenarios[rec.choice].label.lower()}"
                if rec.start_now
                else "Don't start now",
                None,
            ),
            ("Best way to start", scenarios[rec.choice].label, None),
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
    notes = [("In three sentences", text) for text in rec.why]
    notes += [("Why", text) for text in rec.reasons]
    notes += [("What would change it", text) for text in rec.would_change]
    notes += [("Note", text) for result in scenarios.values() for text in result.warnings]
    for label, text in notes:
        cell = put_cell(ws, row, 1, label)
        cell.font, cell.alignment = Font(bold=True), TOP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        wrap_cell(put_cell(ws, row, 2, text), 3 * 16)
        row += 1
    row = put_heading(ws, row + 1, "Patients (counts from 1 to 10 show as <11)")
    row = put_pairs(ws, row, _patient_lines(assessment))
    row = put_heading(ws, row, "Delivery models")
    frame, row_formats = _model_table(assessment)
    header, last_col = row, len(frame.columns)
    row = put_table(ws, row, frame, row_formats=row_formats)
    net_row = header + 1 + frame["Metric"].tolist().index(f"{span} net")
    best = max(scenarios.values(), key=lambda r: r.central("horizon_net") or 0.0)
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
    title = f"{best.label} nets the most over {years} (median ${best.central('horizon_net'):,.0f})"
    _style_chart(bar, title, f"{span} net (USD)", "Delivery model")
    ws.add_chart(bar, "F4")
    row = put_heading(ws, row, "Cumulative net by month (the data of the line chart)")
    cumulative = {r.label: r.monthly["cumulative_net"].to_numpy() for r in scenarios.values()}
    frame = pd.DataFrame({"Month": np.arange(1, months + 1), **cumulative})
    put_table(ws, row, frame, dict.fromkeys(cumulative, USD))
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
    finish_sheet(ws, "A3", {"A": 46, "B": 16, "C": 16, "D": 16, "E": 3})


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
    end = put_table(ws, 4, table, {MONTHLY_LABELS[c]: _monthly_format(c) for c in columns[1:]})
    months = len(frames[0])
    row = put_heading(ws, end, "Collected revenue, costs and net by year")
    yearly = pd.concat(
        [r.yearly.assign(model=r.label) for r in scenarios.values()], ignore_index=True
    )[["model", "year", "collected_revenue", "costs", "net"]]
    yearly.columns = ["Model", "Year", "Collected revenue", "Costs", "Net"]
    chart_row = put_table(ws, row, yearly, dict.fromkeys(yearly.columns[2:], USD))
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
    put_title(
        ws,
        "Scenarios: month by month, per delivery model (USD)",
        f"As of {assessment.as_of.isoformat()}. Yearly totals and a chart of enrolment are "
        f"below the table, from row {end}. Patients and code units are expected values.",
    )
    finish_sheet(ws, "C5", {"A": 12}, title_rows="4:4")


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
    end = put_table(ws, 4, frame, dict.fromkeys(frame.columns[-3:], USD))
    for i, unit in enumerate(tornado["unit"], start=5):
        for column in (4, 5, 6):
            ws.cell(row=i, column=column).number_format = _unit_format(unit)
    monte = assessment.economics.monte_carlo
    row = put_heading(ws, end, f"Monte Carlo: {span} net and break-even month")
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
    row = put_table(ws, row, frame, formats | {"Share of runs breaking even": PCT})
    settings = [
        ("Seed", monte.seed),
        ("Draws", monte.draws),
        ("Distribution", f"{monte.distribution} over each plausible range"),
    ]
    put_table(ws, row, pd.DataFrame(settings, columns=["Setting", "Value"]), {"Value": "0"})
    put_title(
        ws,
        "Sensitivity: what moves the answer",
        f"Tornado: {span} net with one assumption at its low or high, the rest unchanged. "
        f"The Monte Carlo summary is below the table, from row {end}.",
    )
    finish_sheet(ws, "C5", {"B": 54}, title_rows="4:4")


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
    put_table(ws, 4, frame)
    for i, (name, unit) in enumerate(zip(table["name"], table["unit"], strict=True), start=5):
        for column in (4, 5, 7, 8):
            ws.cell(row=i, column=column).number_format = _unit_format(unit)
        if name in changed:
            for column in range(1, len(frame.columns) + 1):
                ws.cell(row=i, column=column).fill = CHANGED_FILL
    put_title(
        ws,
        "Assumptions, with their sources",
        f"{len(changed)} changed from the default (highlighted). Basis: [P] primary source, "
        "[S] secondary, [V] vendor claim, [A] our assumption.",
    )
    finish_sheet(ws, "D5", {"C": 50, "J": 60}, title_rows="4:4")


def _programs(assessment: Assessment) -> pd.DataFrame:
    """The CCM/PCM/APCM comparison with small patient counts (and what scales them) hidden.

    CCM or PCM is hidden when its billable pool is (`cells.shown_pool`), and then CCM, PCM
    and their sum "CCM + PCM" all are; APCM when a tier is hidden or the sum is 1-10.
    """
    programs = assessment.economics.programs
    counts, billable = assessment.shown_counts["eligibility"], billable_classes(assessment)
    groups = (counts["ccm_eligible_by_payer"], counts["pcm_candidates_by_payer"])
    hidden = (
        {"CCM", "PCM", "CCM + PCM"}
        if any(is_hidden(shown_pool(group, billable)) for group in groups)
        else set()
    )
    tiers = counts["apcm_tiers"].values()
    if is_hidden(shown_sum(v or 0 for v in tiers)) or is_small(
        programs.set_index("program")["patients"]["APCM"]
    ):
        hidden.add("APCM")
    hide = programs["program"].isin(hidden)

    def masked(column: str) -> pd.Series:
        return programs[column].astype(object).mask(hide, WITHHELD)

    return pd.DataFrame(
        {
            "Program": programs["program"],
            "Patients": masked("patients"),
            "Expected enrolled": masked("enrolled"),
            "Billed months a year": masked("billed_months_per_year"),
            "Allowed a year": programs["allowed_per_year"],
            "Collected a year": programs["collected_per_year"],
            "Collected per enrolled month": programs["collected_per_enrolled_month"],
            "Staff cost a year": programs["staff_cost_per_year"],
            "Net a year (after staff time)": programs["net_per_year"],
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
    row = put_pairs(
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
    row = put_heading(ws, row, "Payment per code (USD per unit)")
    row = put_table(ws, row, rates, {"Non-facility": USD_CENTS, "Facility": USD_CENTS})
    row = put_heading(
        ws, row, "CCM, PCM and APCM a year once fully enrolled (APCM replaces CCM/PCM; compare net)"
    )
    frame = _programs(assessment)
    formats = dict.fromkeys(frame.columns[1:4], COUNT) | dict.fromkeys(frame.columns[4:6], USD)
    net = {"Staff cost a year": USD, "Net a year (after staff time)": USD}
    put_table(ws, row, frame, formats | net | {"Collected per enrolled month": USD_CENTS})
    put_title(
        ws, f"Rates: Medicare Physician Fee Schedule CY{table.year}, {place.label}", table.gpci_note
    )
    finish_sheet(ws, "A3", {"A": 34, "B": 16, "C": 60})


def _readiness(ws: Worksheet, assessment: Assessment) -> None:
    readiness = assessment.readiness
    definition = questionnaire_definition()
    open_items = ", ".join(definition.question(q).label for q in readiness.not_assessed)
    score = round_score(readiness.score)
    row = put_pairs(
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
    row = put_heading(ws, row, "Scores by domain")
    row = put_table(ws, row, frame, {"Weight": PCT, "Score (0-100)": "0"})
    gaps = readiness.gaps
    frame = pd.DataFrame(
        {
            "Action": [g.action_for(assessment.recommendation.choice) for g in gaps],
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
    row = put_heading(ws, row, "Gaps and the actions that close them (CMS-required first)")
    row = put_table(ws, row, frame, {"Points lost": "0.0"})
    chosen = assessment.scenarios[assessment.recommendation.choice].label
    plan = assessment.plan.rename(columns=str.capitalize)[
        ["Action", "Owner", "Weeks", "Domain", "Why"]
    ]
    row = put_heading(ws, row, f"Launch plan ({chosen}); weeks and milestones: sheet Launch plan")
    row = put_table(ws, row, plan)
    row = put_heading(ws, row, "Invisible work: coordination already done, valued as standard CCM")
    work = assessment.economics.invisible_work
    if work is None:
        put_cell(ws, row, 1, "Not assessed: the questionnaire gives no coordination hours a week.")
    else:
        put_pairs(
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
                ("Collected a year", work.collected_per_year, USD),
            ],
        )
    put_title(
        ws,
        "Readiness: scorecard, gaps and the 90-day plan",
        f"From the questionnaire. Recommendation: start {chosen.lower()}.",
    )
    finish_sheet(ws, "A3", {"A": 48, "B": 20, "C": 10, "D": 26, "E": 48})


WRITERS: dict[str, Callable[[Worksheet, Assessment], None]] = {
    "Summary": _summary,
    "Scenarios": _scenarios,
    "Sensitivity": _sensitivity,
    "Assumptions": _assumptions,
    "Rates": _rates,
    "Readiness": _readiness,
}
"""Sheet name -> writer, for `workbook.build_workbook`."""
