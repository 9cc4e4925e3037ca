"""summary.json of the bundled sample: checks that hold whatever an honest model change does.

- It validates against docs/summary.schema.json (national rates; TX 99 with the questionnaire).
- It foots: rows read = used + skipped + rejected, eligible patients by payer add up to the
  eligible, each model's yearly sums add up to its horizon totals, monthly.csv rows give
  revenue - costs = net.
- Hand-worked headline cases: who is eligible on the sample (clinical counts, not model
  figures: they must not move, so they alone are pinned byte for byte in
  tests/golden/sample_counts.json) and the Medicare rates to the cent.

The model's dollars are not pinned: a change of the model changes them (docs/model.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ccm_assess.clinical.eligibility import summarise
from ccm_assess.edge.run import RunOptions, prepare
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.intake.panel import read_panel
from ccm_assess.practice.assessment import Assessment
from ccm_assess.practice.monthly_plan import monthly_medians
from ccm_assess.practice.request import AssessmentRequest

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
QUESTIONNAIRE = ROOT / "sample_data" / "questionnaire.yaml"
COUNTS = ROOT / "tests" / "golden" / "sample_counts.json"
AS_OF = dt.date(2026, 11, 20)
CASES = {"national": {}, "tx99_questionnaire": {"locality": "TX 99"}}


def _assess(case: str, tmp: Path) -> Assessment:
    questionnaire = QUESTIONNAIRE if case == "tx99_questionnaire" else None
    request = AssessmentRequest(as_of=AS_OF, **CASES[case])
    options = RunOptions(panel=PANEL, out=tmp, request=request, questionnaire=questionnaire)
    return prepare(options, lambda _: None)


@pytest.fixture(scope="module", params=sorted(CASES))
def assessment(request: pytest.FixtureRequest, tmp_path_factory) -> Assessment:
    return _assess(request.param, tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def summary(assessment: Assessment) -> dict[str, Any]:
    """The sample's summary.json before suppression, as JSON reads it back."""
    written: dict[str, Any] = json.loads(json.dumps(assessment.summary()))
    return written


def sample_counts(conditions: str = "standard") -> dict[str, Any]:
    """The clinical part of the sample's summary.json (panel, exclusions, conditions,
    eligibility) on the list of conditions `conditions`, unsuppressed."""
    panel = read_panel(PANEL)
    request = AssessmentRequest(as_of=AS_OF, conditions=conditions)
    counts: dict[str, Any] = json.loads(
        json.dumps(summarise(panel, request.eligibility(panel, Assumptions())))
    )
    return counts


# ------------------------------------------------------------------------------------ schema


def test_summary_json_validates_against_the_documented_schema(assessment: Assessment) -> None:
    schema = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    published = json.loads(json.dumps(assessment.published.summary(assessment.summary())))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(published)]
    assert errors == []


# ------------------------------------------------------------------------------------ footing


def test_the_funnel_foots(summary: dict[str, Any], assessment: Assessment) -> None:
    panel, excluded, eligible = summary["panel"], summary["excluded"], summary["eligibility"]
    assert panel["rows_read"] == panel["rows_used"] + panel["rows_skipped"] + panel["rows_rejected"]
    assert panel["patients_analysed"] == (
        panel["patients"] - excluded["deceased"] - excluded["hospice"]
    )
    by_payer = eligible["ccm_eligible_by_payer"]
    assert sum(by_payer.values()) == eligible["ccm_eligible"]
    billed = ["medicare_ffs"] + ["medicare_advantage"] * assessment.assumptions.ma_pays_ccm
    assert eligible["ccm_billable"] == sum(by_payer[payer] for payer in billed)
    assert (
        eligible["ccm_eligible_strict"]
        <= eligible["ccm_eligible"]
        <= eligible["broad_ccm_eligible"]
    )
    assert eligible["complex_ccm_candidates"] <= eligible["ccm_eligible"]
    assert eligible["needs_initiating_visit"] <= eligible["ccm_eligible"]
    for scenario in summary["scenarios"].values():
        assert scenario["enrolled_steady_state"] <= eligible["ccm_billable"]


def test_each_models_years_add_up_to_its_horizon(assessment: Assessment) -> None:
    months = assessment.assumptions.horizon_months
    for result in assessment.scenarios.values():
        years = result.yearly.set_index("year")
        assert list(years.index) == list(range(1, months // 12 + 1))
        totals = {
            "net": result.horizon_net,
            "collected_revenue": result.horizon_revenue,
            "costs": result.horizon_costs,
            "gross_allowed": result.horizon_gross_allowed,
        }
        for column, total in totals.items():
            assert years[column].sum() == pytest.approx(total, abs=0.01), (result.model, column)
        assert years.loc[1, "net"] == pytest.approx(result.year1_net, abs=0.01)
        assert result.horizon_revenue - result.horizon_costs == pytest.approx(
            result.horizon_net, abs=0.01
        )
        assert sum(result.horizon_costs_by_kind.values()) == pytest.approx(
            result.horizon_costs, abs=0.01
        )


def test_monthly_csv_rows_foot_to_a_dollar(assessment: Assessment) -> None:
    table = monthly_medians(assessment)
    gap = (table["revenue"] - table["costs"] - table["net"]).abs()
    assert gap.max() <= 1.0, f"{int((gap > 1.0).sum())} of {len(table)} rows do not foot"


# ------------------------------------------------------------------------ hand-worked headline


def test_who_is_eligible_on_the_sample_does_not_move() -> None:
    expected = json.loads(COUNTS.read_text(encoding="utf-8"))
    assert sample_counts() == expected
    eligible = expected["eligibility"]
    # CMS's list only / our catalog / the catalog or AHRQ-chronic; billable: traditional
    # Medicare and Medicare Advantage (ma_pays_ccm, default yes)
    assert (eligible["ccm_eligible_strict"], eligible["ccm_eligible"]) == (1136, 1359)
    assert (eligible["broad_ccm_eligible"], eligible["ccm_billable"]) == (1634, 1044)


@pytest.mark.parametrize(("level", "eligible"), [("strict", 1136), ("broad", 1634)])
def test_the_other_lists_count_what_the_standard_summary_says(level: str, eligible: int) -> None:
    assert sample_counts(level)["eligibility"]["ccm_eligible"] == eligible


def test_rates_are_the_fee_schedule_to_the_cent(summary: dict[str, Any]) -> None:
    """(work RVU x work GPCI + non-facility PE RVU x PE GPCI + MP RVU x MP GPCI) x $33.4009,
    the CY2026 non-QP conversion factor; RVUs of CMS RVU26C, GPCIs of CY2025 Addendum E
    (docs/billing.md). National: every GPCI 1.0."""
    rvus = {  # work, non-facility PE, MP
        "99490": (1.00, 0.91, 0.07),
        "99439": (0.70, 0.76, 0.05),
        "99487": (1.81, 2.38, 0.13),
        "99491": (1.50, 1.08, 0.09),
        "G0506": (0.87, 1.06, 0.06),
    }
    national = {"99490": 66.13, "99439": 50.44, "99487": 144.29, "99491": 89.18, "G0506": 66.47}
    # e.g. 99490: 1.98 x 33.4009 = 66.1338 -> $66.13; in TX 99 (Rest of Texas: work 1.000,
    # PE 0.945, MP 0.934): (1.00 + 0.91 x 0.945 + 0.07 x 0.934) x 33.4009 = 64.3078 -> $64.31
    gpci = (1.0, 0.945, 0.934) if summary["rates"]["locality"].startswith("TX 99") else (1, 1, 1)
    for code, parts in rvus.items():
        by_hand = round(sum(r * g for r, g in zip(parts, gpci, strict=True)) * 33.4009, 2)
        assert summary["rates"][code] == by_hand, code
        if gpci == (1, 1, 1):
            assert by_hand == national[code], code
    assert summary["rates"]["year"] == 2026 and summary["rates"]["setting"] == "office"


if __name__ == "__main__":  # only for an intended change of who is eligible: say so in the commit
    text = json.dumps(sample_counts(), indent=2) + "\n"
    (Path(sys.argv[1]) if len(sys.argv) > 1 else COUNTS).write_text(text, encoding="utf-8")
