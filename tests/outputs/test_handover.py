"""Hand-over material: per-provider view, other programs, starter kit, prepared-by."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook

from ccm_assess.edge.cli import main
from ccm_assess.edge.run import PREPARED_BY, RunOptions, prepared_by, run_assessment
from ccm_assess.outputs.starter_kit import KIT, write_starter_kit
from ccm_assess.outputs.worklist import NO_PHONE_WARNING
from ccm_assess.practice.other_programs import other_programs
from ccm_assess.practice.providers import NOT_RECORDED, TOTAL, ProviderView, by_provider
from ccm_assess.privacy import SUPPRESSED, WITHHELD

RATES = {"99484": 57.45, "99495": 220.11, "99496": 298.60}


def eligibility_frame() -> pd.DataFrame:
    index = pd.Index([f"p{i}" for i in range(1, 7)], name="patient_id")
    return pd.DataFrame(
        {
            "ccm_eligible": [True, True, True, True, True, False],
            "payer_class": [
                "medicare_ffs", "medicare_advantage", "medicare_ffs", "medicare_ffs",
                "commercial", "medicare_ffs",
            ],
            "needs_initiating_visit": pd.array([True, False, False, True, True, False], "boolean"),
        },
        index=index,
    )  # fmt: skip


def scenario(enrolled: float = 40.0, monthly_revenue: float = 1000.0, median: float = 40.0):
    months = pd.DataFrame({"month": range(1, 37), "collected_revenue": monthly_revenue})
    return SimpleNamespace(
        monthly=months, enrolled_steady_state=enrolled, central=lambda metric: median
    )


PROVIDERS = pd.Series(
    ["Dr B", "Dr B", "dr a", None, "Dr B", "dr a"],
    index=pd.Index([f"p{i}" for i in range(1, 7)], name="patient_id"),
)


def test_per_provider_totals_equal_the_practice_totals():
    # Billable = eligible with Medicare FFS or MA: Dr B p1, p2 (p5 is commercial), dr a p3
    # (p6 not eligible), not recorded p4: 2 + 1 + 1 = 4. Initiating visits among them: p1, p4.
    # Year-3 revenue 12 x $1,000 = $12,000 and 40 enrolled, shared 2/4, 1/4, 1/4.
    view = by_provider(PROVIDERS, eligibility_frame(), scenario(), ma_pays_ccm=True)
    rows = view.rows
    assert rows["provider"].tolist() == ["dr a", "Dr B", NOT_RECORDED]  # A to Z, blank last
    assert rows["billable"].tolist() == [1, 2, 1]
    assert rows["needs_initiating_visit"].tolist() == [0, 1, 1]
    assert rows["expected_enrolled"].tolist() == pytest.approx([10.0, 20.0, 10.0])
    assert rows["revenue_year"].tolist() == pytest.approx([3000.0, 6000.0, 3000.0])
    for column in ("billable", "needs_initiating_visit", "expected_enrolled", "revenue_year"):
        assert rows[column].sum() == pytest.approx(view.totals[column])
    assert view.totals == {
        "billable": 4, "needs_initiating_visit": 2, "expected_enrolled": 40.0,
        "revenue_year": 12000.0,
    }  # fmt: skip
    # Without Medicare Advantage paying, p2 drops out: Dr B has 1 billable patient.
    alone = by_provider(PROVIDERS, eligibility_frame(), scenario(), ma_pays_ccm=False)
    assert alone.rows["billable"].tolist() == [1, 1, 1]


def test_provider_enrolment_is_the_headline_median():
    # 40 enrolled at the default values, median of the simulations 30: the table shows 30
    # enrolled and $12,000 x 30 / 40 = $9,000 a year, shared 1/4, 2/4, 1/4
    view = by_provider(PROVIDERS, eligibility_frame(), scenario(median=30.0), ma_pays_ccm=True)
    assert view.totals["expected_enrolled"] == pytest.approx(30.0)
    assert view.totals["revenue_year"] == pytest.approx(9000.0)
    assert view.rows["revenue_year"].tolist() == pytest.approx([2250.0, 4500.0, 2250.0])


def test_shown_rows_hide_small_counts_and_what_they_reveal():
    rows = pd.DataFrame(
        {
            "provider": ["A", "B", "C"],
            "billable": [40, 5, 20],
            "needs_initiating_visit": [12, 0, 15],
            "expected_enrolled": [16.0, 2.0, 8.0],
            "revenue_year": [8000.0, 1000.0, 4000.0],
        }
    )
    totals = {"billable": 65, "needs_initiating_visit": 27, "expected_enrolled": 26.0,
              "revenue_year": 13000.0}  # fmt: skip
    shown = ProviderView(rows, totals, visit_known=True).shown()
    # B (5) is small; C (20) is its complement, else 65 - 40 - 20 would give B away. Their
    # enrolment and revenue are proportional to the count, so they go too.
    assert shown["billable"].tolist() == [40, SUPPRESSED, WITHHELD, 65]
    assert shown["revenue_year"].tolist() == [8000.0, WITHHELD, WITHHELD, 13000.0]
    assert shown["needs_initiating_visit"].tolist() == [12, 0, 15, 27]
    assert shown["provider"].tolist()[-1] == TOTAL
    unknown = ProviderView(rows, totals, visit_known=False).shown()
    assert unknown["needs_initiating_visit"].isna().all()


def test_bhi_and_tcm_sized_from_the_panel():
    index = pd.Index([f"p{i}" for i in range(1, 6)], name="patient_id")
    eligibility = pd.DataFrame(
        {
            "categories": [
                "depression;diabetes", "anxiety", "hypertension", "bipolar", "depression",
            ],
            "payer_class": ["medicare_ffs", "medicare_advantage", "medicare_ffs", "commercial",
                            "medicare_ffs"],
            "analysed": [True, True, True, True, False],
        },
        index=index,
    )  # fmt: skip
    patients = pd.DataFrame({"inpatient_admits_12m": [2, 1, 3, 5, 4]}, index=index)
    bhi, tcm = other_programs(
        eligibility, patients, RATES, consent_rate=0.35, billable_month_rate=0.8,
        ma_pays_ccm=True, admissions_known=True,
    )  # fmt: skip
    # BHI: p1 and p2 (p4 commercial, p5 not analysed); 2 x 0.35 x 0.8 x 12 x $57.45
    assert bhi.count == 2 and bhi.per_year == pytest.approx(386.064)
    # TCM: stays of Medicare patients analysed: 2 + 1 + 3 = 6; ceiling 6 x $220.11
    assert tcm.count == 6 and tcm.per_year == pytest.approx(1320.66)
    assert bhi.hidden and tcm.hidden  # 1-10: shown as <11, with the money
    bhi, tcm = other_programs(
        eligibility, patients, RATES, consent_rate=0.35, billable_month_rate=0.8,
        ma_pays_ccm=False, admissions_known=False,
    )  # fmt: skip
    assert bhi.count == 1 and tcm.count is None and tcm.per_year is None


def test_templates_writes_the_starter_kit(tmp_path: Path, capsys):
    assert main(["templates", str(tmp_path / "kit"), "--practice", "Oak Clinic"]) == 0
    files = sorted(p.name for p in (tmp_path / "kit").iterdir() if p.is_file())
    assert len(files) >= 4 and files == sorted(k.name for k in KIT)
    assert len(capsys.readouterr().out.splitlines()) == len(KIT)
    consent = (tmp_path / "kit" / "consent_script.md").read_text()
    assert "Oak Clinic" in consent and "{practice}" not in consent
    for point in ("20% coinsurance", "Only one doctor or practitioner", "stop at any time"):
        assert point in consent
    for name in ("consent_script.md", "patient_letter.md", "care_plan_outline.md"):
        text = (tmp_path / "kit" / name).read_text()
        assert "**Satisfies:**" in text and "MLN909188" in text
    book = load_workbook(tmp_path / "kit" / "monthly_time_log.xlsx")
    assert book.sheetnames == ["Time log", "Register", "Month summary"]
    assert [c.value for c in book["Time log"][1]][:3] == ["Patient ID", "Date", "Minutes"]
    assert len(book["Time log"].data_validations.dataValidation) == 5


def test_templates_default_practice(tmp_path: Path):
    written = write_starter_kit(tmp_path)
    assert "your practice" in (tmp_path / "patient_letter.md").read_text()
    assert all(path.parent == tmp_path for path in written)


def test_prepared_by_option_then_questionnaire_consultant_then_the_kit():
    def assessment(consultant: str):
        return SimpleNamespace(
            readiness=SimpleNamespace(answers=SimpleNamespace(consultant=consultant))
        )

    given = RunOptions(panel=Path("p.csv"), out=Path("o"), prepared_by="Jane Doe, Care Advisors")
    plain = RunOptions(panel=Path("p.csv"), out=Path("o"))
    assert prepared_by(given, assessment("Sample Consultant")) == "Jane Doe, Care Advisors"
    assert prepared_by(plain, assessment("Sample Consultant")) == "Sample Consultant"
    assert prepared_by(plain, assessment("")) == PREPARED_BY


def test_a_run_without_phone_numbers_says_so(tmp_path: Path):
    # xlsx only: summary, workbook and worklist, no notebook
    panel = tmp_path / "p.csv"
    panel.write_text(
        "MRN,Dx,Insurance\n1,E11.9,Medicare\n1,I10,Medicare\n2,I50.9,Medicare\n2,E11.9,Medicare\n",
        encoding="utf-8",
    )
    result = run_assessment(RunOptions(panel=panel, out=tmp_path / "out", formats=("xlsx",)))
    assert NO_PHONE_WARNING in result.notes
    book = load_workbook(result.files["worklist.xlsx"], read_only=True)
    header = next(book.worksheets[0].iter_rows(min_row=3, max_row=3, values_only=True))
    assert "Phone" in header
