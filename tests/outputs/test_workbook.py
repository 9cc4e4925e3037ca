"""workbook.xlsx: sheets, numbers, formats, charts, suppression and no PHI, read back with openpyxl.

The panel is a small raw grid read by `tidy_panel`, so the ledger and the data-quality frames are
the reader's own. Hand counts (all patients have a last visit, none deceased or in hospice):

    CCM eligible (E11.9 diabetes + I10 hypertension = 2 conditions):
        Medicare FFS 30 (Dr Alpha), Humana Gold Plus = MA 20 (Dr Beta), Texas Medicaid 4
        (Dr Beta), BCBS PPO = commercial 15 (12 Dr Beta, 3 Dr Gamma)  -> 69
    PCM candidate (I50.9 heart failure only): 1 patient whose payer is "=1+2" (unknown class)
    Patients 70, analysed 70.
    CCM eligible by payer: 30, 20, 4, 15, 0, 0, 0 -> Medicaid 4 is small ("<11"); the smallest
        other non-zero cell, commercial 15, is suppressed with it (complementary).
    By provider: Alpha 30, Beta 20 + 4 + 12 = 36, Gamma 3 -> Gamma "<11" and Alpha (30 < 36).
    Rows: 1 title, 1 header, 70 patients, 1 blank, 1 row without an id (rejected), 1 footer
        -> read 75 = used 70 + skipped 4 + rejected 1.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook
from openpyxl.worksheet.worksheet import Worksheet

from ccm_assess.errors import ReportError
from ccm_assess.finance.assumptions import load_assumptions
from ccm_assess.intake.panel import tidy_panel
from ccm_assess.outputs.workbook.book import SHEETS, write_workbook
from ccm_assess.outputs.workbook.cells import CHANGED_FILL, panel_text, shown_counts, shown_pool
from ccm_assess.outputs.workbook.panel_sheets import reconciliation
from ccm_assess.practice.assessment import Assessment, assess
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.readiness.questionnaire import load_questionnaire

AS_OF = dt.date(2026, 6, 30)
QUESTIONNAIRE = Path(__file__).resolve().parents[2] / "sample_data" / "questionnaire.yaml"
LONG_TOKEN = "NOTACODEBUTAVERYLONGTOKEN123"  # 28 characters, one invalid diagnosis entry
HEADER = ["MRN", "Patient Name", "Phone", "DOB", "Dx", "Primary Insurance", "PCP", "Last Visit"]
GROUPS = (  # (count, payer text, provider, codes)
    (30, "Medicare", "Dr Alpha", "E11.9; I10"),
    (20, "Humana Gold Plus", "Dr Beta", "E11.9; I10"),
    (4, "Texas Medicaid", "Dr Beta", "E11.9; I10"),
    (12, "BCBS PPO", "Dr Beta", "E11.9; I10"),
    (3, "BCBS PPO", "Dr Gamma", "E11.9; I10"),
    (1, "=1+2", "Dr Beta", "I50.9"),
)


def _grid() -> pd.DataFrame:
    rows: list[list[object]] = [["Sunrise panel export"] + [None] * 7, HEADER]
    n = 0
    for count, payer, provider, codes in GROUPS:
        for _ in range(count):
            n += 1
            name, phone = f"Zqxname{n:03d}, Patient", f"555-01{n:02d}"
            rows.append([f"MRN-Q{n:03d}", name, phone, "1950-03-04", codes, payer, provider,
                         "2026-05-01"])  # fmt: skip
    rows[2][4] = f"E11.9; I10; {LONG_TOKEN}; 250.00"  # one invalid and one ICD-9 entry
    rows.insert(40, [None] * 8)  # blank row
    rows.insert(41, [None, None, None, None, "I10", "Medicare", "Dr Alpha", None])  # no id
    rows.append(["Total patients: 70"] + [None] * 7)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    panel = tidy_panel(_grid(), today=pd.Timestamp(AS_OF))
    return assess(
        panel,
        AssessmentRequest(as_of=AS_OF, practice="Test Practice", start=dt.date(2026, 7, 1)),
        assumptions=load_assumptions(overrides={"consent_rate": 0.5}),
        answers=load_questionnaire(QUESTIONNAIRE),
    )


@pytest.fixture(scope="module")
def book(assessment: Assessment, tmp_path_factory: pytest.TempPathFactory) -> OpenpyxlWorkbook:
    path = write_workbook(assessment, tmp_path_factory.mktemp("wb") / "workbook.xlsx")
    return load_workbook(path)


def _row_of(ws: Worksheet, label: str, column: int = 1) -> int:
    """The one row whose cell in `column` holds `label`."""
    rows = [
        cell.row for (cell,) in ws.iter_rows(min_col=column, max_col=column) if cell.value == label
    ]
    assert len(rows) == 1, f"{label!r} found {len(rows)} times in {ws.title}"
    return rows[0]


def _value(ws: Worksheet, label: str, column: int = 2) -> Cell:
    """The cell in `column` of the row labelled `label` in column 1."""
    return ws.cell(row=_row_of(ws, label), column=column)


def test_hand_counts_hold(assessment: Assessment) -> None:
    eligibility = assessment.counts["eligibility"]
    assert eligibility["ccm_eligible"] == 69
    assert eligibility["ccm_eligible_by_payer"]["medicaid"] == 4
    assert eligibility["pcm_candidates_by_payer"]["unknown"] == 1
    assert assessment.counts["panel"]["patients"] == 70


def test_sheet_names_in_order(book: OpenpyxlWorkbook) -> None:
    assert book.sheetnames == list(SHEETS)
    assert SHEETS == (
        "Summary", "Funnel", "Scenarios", "Sensitivity", "Assumptions", "Rates", "Data quality",
        "Readiness", "Launch plan", "By provider", "Vendor questions", "Other programs",
    )  # fmt: skip


def test_summary_numbers_and_formats(book: OpenpyxlWorkbook, assessment: Assessment) -> None:
    ws = book["Summary"]
    # 69 eligible, but the one patient with a single condition would be 70 - 69 (no patient
    # has none, the panel's 70 are public): the eligible count is withheld (issue 24)
    label = "CCM eligible (2+ chronic conditions, standard list: our catalog)"
    assert _value(ws, label).value == "withheld"
    # 30 Medicare + 20 Humana Gold Plus (MA pays by default); not Medicaid or BCBS
    assert _value(ws, "CCM billable (eligible, with a payer the model bills)").value == 50
    assert _value(ws, "Patients in the panel").value == 70
    rec = assessment.recommendation
    assert _value(ws, "Best way to start").value == assessment.scenarios[rec.choice].label
    assert _value(ws, "Decision").value == (
        f"Start with {assessment.scenarios[rec.choice].label.lower()}"
        if rec.start_now
        else "Don't start now"
    )
    header = _row_of(ws, "Metric")
    labels = [ws.cell(row=header, column=c).value for c in (2, 3, 4)]
    assert labels == [r.label for r in assessment.scenarios.values()]
    net = _row_of(ws, "3-year net")  # the median of the simulations
    base = _row_of(ws, "3-year net at the default values")
    roi = _row_of(ws, "ROI (3-year net / costs)")
    for column, result in zip((2, 3, 4), assessment.scenarios.values(), strict=True):
        assert ws.cell(row=net, column=column).value == pytest.approx(
            result.uncertainty["p50_horizon_net"]
        )
        assert ws.cell(row=base, column=column).value == pytest.approx(result.horizon_net)
        assert ws.cell(row=net, column=column).number_format == "$#,##0"
        assert ws.cell(row=roi, column=column).value == pytest.approx(result.roi)
        assert ws.cell(row=roi, column=column).number_format == "0%"


def test_native_charts_on_summary_and_scenarios(book: OpenpyxlWorkbook) -> None:
    kinds = [type(chart) for chart in book["Summary"]._charts]
    assert kinds == [BarChart, LineChart]
    assert [type(chart) for chart in book["Scenarios"]._charts] == [LineChart]
    assert len(book["Summary"]._charts[1].series) == 3  # one line per delivery model


def test_every_sheet_has_frozen_panes_filters_and_landscape_print(book: OpenpyxlWorkbook) -> None:
    for ws in book.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.tables, ws.title
        assert all(table.autoFilter is not None for table in ws.tables.values()), ws.title
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws["A1"].font.bold
    assert book["Scenarios"].freeze_panes == "C5"
    assert book["Scenarios"]["A4"].value == "Model"


def test_scenarios_table_matches_monthly_frames(
    book: OpenpyxlWorkbook, assessment: Assessment
) -> None:
    ws = book["Scenarios"]
    headers = [c.value for c in ws[4]]
    cumulative, month = headers.index("Cumulative net") + 1, headers.index("Month") + 1
    months = assessment.assumptions.horizon_months
    for i, result in enumerate(assessment.scenarios.values()):
        last = 4 + (i + 1) * months  # the model's month 36 row
        assert ws.cell(row=last, column=1).value == result.label
        assert ws.cell(row=last, column=month).value == months
        assert ws.cell(row=last, column=cumulative).value == pytest.approx(result.horizon_net)
        assert ws.cell(row=last, column=cumulative).number_format == "$#,##0"


def test_payer_suppression_with_complementary_cell(book: OpenpyxlWorkbook) -> None:
    ws = book["Funnel"]
    assert _value(ws, "Medicaid", 3).value == "<11"  # 4 patients
    assert _value(ws, "Commercial", 3).value == "withheld"  # 15, complementary: not "<11"
    assert _value(ws, "Medicare FFS", 3).value == 30
    assert _value(ws, "Medicare Advantage", 3).value == 20
    assert _value(ws, "All payer classes", 3).value == "withheld"  # 69: see the Summary
    assert _value(ws, "Unknown", 5).value == "<11"  # the one PCM candidate
    assert _value(ws, "Dr Gamma").value == "<11"  # 3 patients
    assert _value(ws, "Dr Alpha").value == "withheld"  # 30, complementary
    assert _value(ws, "Dr Beta").value == 36


def test_no_patient_identifier_and_no_formula_anywhere(
    book: OpenpyxlWorkbook, assessment: Assessment
) -> None:
    grid = _grid()
    secrets = {str(v) for column in (0, 1, 2) for v in grid[column].dropna()} - {
        "Sunrise panel export", "Total patients: 70", *HEADER,
    }  # fmt: skip
    assert len(secrets) == 3 * 70
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    leaked = [t for t in texts for s in ("MRN-Q", "Zqxname", "555-01", "1950") if s in t]
    assert leaked == []
    dates = {cell.value for cell in cells if isinstance(cell.value, dt.date)}
    plan = {
        d.to_pydatetime() for d in (*assessment.plan["start_date"], *assessment.plan["end_date"])
    }
    # the as-of date and the launch plan's dates only: no birth or visit date
    assert dates - plan == {dt.datetime(2026, 6, 30)}
    assert min(plan) == dt.datetime(2026, 7, 1)  # the decision date given: week 1
    assert all(
        cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row
    )


def test_payer_text_is_not_shown_only_counted(book: OpenpyxlWorkbook) -> None:
    ws = book["Data quality"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [t for t in texts if "=1+2" in t]  # payer text can name a person: never shown
    assert any(t.startswith("Payer text not recognised: <11 patients") for t in texts)


def test_billable_pool_hidden_when_it_would_give_a_class_away() -> None:
    billable = ["medicare_ffs", "medicare_advantage"]
    # counts as the run's plan publishes them: MA hidden, so FFS + MA would give MA away
    hidden_ma = {"medicare_ffs": 30, "medicare_advantage": "<11", "commercial": "<11"}
    assert shown_pool(hidden_ma, billable) == "withheld"
    # a sum of hidden cells is hidden too (the plan never published it), and may be 11+
    assert shown_pool({"medicare_ffs": "<11", "medicare_advantage": "<11"}, billable) == "withheld"
    assert shown_pool({"medicare_ffs": 30, "medicare_advantage": 20}, billable) == 50
    assert shown_pool({"medicare_ffs": 30, "medicare_advantage": "<11"}, billable[:1]) == 30
    assert shown_pool({"medicare_ffs": 6, "medicare_advantage": 0}, billable[:1]) == "<11"


def test_invalid_code_text_is_not_shown_but_code_shaped_tokens_are(book: OpenpyxlWorkbook) -> None:
    ws = book["Data quality"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [t for t in texts if LONG_TOKEN[:10] in t]
    assert _value(ws, "(text not shown)", 1).offset(column=1).value == "<11"
    assert _value(ws, "250.00", 1).offset(column=1).value == "<11"


def test_row_reconciliation_adds_up(book: OpenpyxlWorkbook) -> None:
    ws = book["Data quality"]
    rows = {label: _value(ws, label).value for label in ("Rows read", "Used")}
    assert rows == {"Rows read": 75, "Used": 70}
    skipped = [
        ws.cell(row=r, column=2).value
        for r in range(1, ws.max_row + 1)
        if str(ws.cell(row=r, column=1).value).startswith(("Skipped:", "Rejected:"))
    ]
    assert sorted(skipped) == [1, 1, 1, 1, 1]  # title, header, blank, footer; no id
    assert rows["Used"] + sum(skipped) == rows["Rows read"]
    assert _value(ws, "Difference (0: every row accounted for)").value == 0


def test_reconciliation_frame_by_reason() -> None:
    ledger = pd.DataFrame(
        {
            "row": range(1, 7),
            "status": ["skipped", "used", "used", "rejected", "skipped", "used"],
            "reason": ["header row", "", "", "no patient id", "blank row", ""],
        }
    )
    frame = reconciliation(ledger).set_index("Line")["Rows"]
    # 6 read = 3 used + 2 skipped (1 header, 1 blank) + 1 rejected
    assert frame["Rows read"] == 6 and frame["Used"] == 3
    assert frame["Skipped: header row"] == 1 and frame["Rejected: no patient id"] == 1
    assert frame["Used + skipped + rejected"] == 6
    assert frame["Difference (0: every row accounted for)"] == 0


def test_changed_assumption_is_highlighted(book: OpenpyxlWorkbook) -> None:
    ws = book["Assumptions"]
    row = _row_of(ws, "consent_rate")
    assert ws.cell(row=row, column=4).value == 0.5
    assert ws.cell(row=row, column=4).number_format == "0.0%"
    assert ws.cell(row=row, column=1).fill.fgColor.rgb.endswith(CHANGED_FILL.fgColor.rgb[-6:])
    assert "changed from default" in ws.cell(row=row, column=11).value
    other = _row_of(ws, "already_enrolled_elsewhere")
    assert ws.cell(row=other, column=1).fill.fill_type is None


def test_rates_in_cents(book: OpenpyxlWorkbook, assessment: Assessment) -> None:
    ws = book["Rates"]
    cell = _value(ws, "99490", 4)
    assert cell.value == pytest.approx(assessment.rates["99490"])
    assert cell.number_format == "$#,##0.00"
    assert _value(ws, "Fee schedule year").value == 2026


def test_readiness_and_invisible_work(book: OpenpyxlWorkbook, assessment: Assessment) -> None:
    ws = book["Readiness"]
    score = assessment.readiness.score
    assert _value(ws, "Overall readiness score (0-100)").value == int(score + 0.5)
    work = assessment.economics.invisible_work
    assert _value(ws, "Coordination hours a month").value == pytest.approx(work.hours_per_month)
    assert _value(ws, "Collected a year").value == pytest.approx(12 * work.collected_per_month)
    assert _value(ws, "Collected a year").number_format == "$#,##0"


def test_panel_text_is_cut_and_formula_safe() -> None:
    text = panel_text(pd.Series(["=SUM(A1)", "x" * 25, None, "DM2"], dtype=object))
    assert text[[0, 1, 3]].tolist() == ["'=SUM(A1)", "x" * 19 + "…", "DM2"]
    assert pd.isna(text[2])


def test_shown_counts_marks_small_and_unknown() -> None:
    # 7 is small; the smallest other non-zero (58) goes with it; None is unknown.
    shown = shown_counts({"a": 412, "b": 7, "c": 58, "d": 0, "e": None})
    assert shown == {"a": 412, "b": "<11", "c": "withheld", "d": 0, "e": "unknown"}


def test_write_replaces_atomically_and_reports_errors(
    assessment: Assessment, tmp_path: Path
) -> None:
    target = tmp_path / "workbook.xlsx"
    target.write_bytes(b"old")
    assert write_workbook(assessment, target) == target
    assert load_workbook(target).sheetnames == list(SHEETS)
    assert os.listdir(tmp_path) == ["workbook.xlsx"]  # no temporary file left
    blocked = tmp_path / "blocked.xlsx"
    blocked.mkdir()  # a folder where the file should go: os.replace fails
    with pytest.raises(ReportError, match="Cannot write the workbook"):
        write_workbook(assessment, blocked)
    assert sorted(os.listdir(tmp_path)) == ["blocked.xlsx", "workbook.xlsx"]
