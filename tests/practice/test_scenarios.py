"""Scenarios: inputs from an output folder or a panel, reruns, the scenario book, YAML export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from ccm_assess.edge.run import write_summary
from ccm_assess.errors import AssumptionsError
from ccm_assess.finance import fees
from ccm_assess.finance.assumptions import Assumptions, load_assumptions
from ccm_assess.finance.model import PracticeCapacity
from ccm_assess.intake.panel import read_panel
from ccm_assess.practice.assessment import assess
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.practice.scenarios import (
    ASSUMPTIONS_USED,
    BASE_NAME,
    COMPARE_METRICS,
    ScenarioBook,
    ScenarioError,
    ScenarioInputs,
    baseline_notes,
    inputs_from_assessment,
    load_inputs,
    locality_key,
    locality_labels,
    open_inputs,
    run_scenario,
    yaml_filename,
)
from ccm_assess.readiness.questionnaire import load_questionnaire

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PANEL = REPO / "sample_data" / "sunrise_family_medicine_problem_list.csv"
SAMPLE_ANSWERS = REPO / "sample_data" / "questionnaire.yaml"
AS_OF = dt.date(2026, 3, 2)

# 100 CCM-eligible patients: 80 Medicare FFS, 20 Medicare Advantage; none needs an initiating
# visit, so every consenting patient starts in the month of consent.
COUNTS = {
    "ccm_eligible": 100,
    "ccm_eligible_by_payer": {"medicare_ffs": 80, "medicare_advantage": 20},
    "complex_ccm_candidates": None,
    "pcm_candidates": 0,
    "needs_initiating_visit": 0,
    "apcm_tiers": {"G0556": 0, "G0557": 0, "G0558": 0},
    "broad_ccm_eligible": 100,
}
NATIONAL_2026 = fees.payment_rates(2026)
TX_99 = "TX 99 REST OF TEXAS"


def small_inputs(**changes: object) -> ScenarioInputs:
    inputs = ScenarioInputs(
        practice="Small Practice",
        as_of="2026-03-02",
        counts=COUNTS,
        year=2026,
        locality=fees.NATIONAL_NAME,
        rates=NATIONAL_2026,
        assumptions=Assumptions(),
        capacity=PracticeCapacity(),
        source="test",
    )
    return dataclasses.replace(inputs, **changes)


def month_one_enrolled(scenario, model: str) -> float:
    """Patients enrolled in the model's first month after its set-up months."""
    result = scenario.results[model]
    return float(result.monthly["enrolled"].iloc[result.setup_months])


# ------------------------------------------------------------------------------ run_scenario


def test_consent_change_moves_month_one_enrolment_by_hand():
    inputs = small_inputs()
    base = run_scenario(inputs, name="base")
    lower = run_scenario(inputs, {"consent_rate": 0.25}, name="Consent 25%")
    faster = {"vendor_pace_factor": 2.0}
    # pool = 100 x (1 - 3% enrolled elsewhere) = 97, offered over 12 months: 8.08333 offers a
    # month in every model (under the practice's cap of 70 hours / 30 minutes = 140):
    # 8.08333 x 35% = 2.82917 enrol in the first month after set-up.
    assert month_one_enrolled(base, "in_house") == pytest.approx(2.82917, abs=1e-5)
    assert month_one_enrolled(base, "managed") == pytest.approx(2.82917, abs=1e-5)
    # consent 25%: 8.08333 x 25% = 2.02083
    assert month_one_enrolled(lower, "in_house") == pytest.approx(2.02083, abs=1e-5)
    # a vendor twice as fast offers 16.16667 a month
    quick = run_scenario(inputs, {**faster, "consent_rate": 0.25})
    assert month_one_enrolled(quick, "managed") == pytest.approx(16.16667 * 0.25)
    assert lower.name == "Consent 25%"
    assert dict(lower.changes) == {"consent_rate": (0.35, 0.25)}
    assert base.changes == {}


def test_ma_switch_off_shrinks_the_pool_by_hand():
    scenario = run_scenario(small_inputs(), {"ma_pays_ccm": False, "vendor_pace_factor": 2.0})
    # only the 80 FFS patients are billable: 80 x 97% = 77.6, offered over 12 months at twice
    # the pace by the vendor: 2 x 77.6 / 12 = 12.93333 a month, x 35%
    assert month_one_enrolled(scenario, "managed") == pytest.approx(12.93333 * 0.35)


def test_vendor_share_moves_only_the_managed_model():
    inputs = small_inputs()
    base = run_scenario(inputs)
    cheaper = run_scenario(inputs, {"vendor_revenue_share": 0.45})
    fee = base.results["managed"].monthly["cost_vendor"].sum()
    # the fee is 50% of collected CCM revenue; at 45% the practice keeps 5/50 = 10% of it more
    gained = cheaper.results["managed"].horizon_net - base.results["managed"].horizon_net
    assert fee > 0
    assert gained == pytest.approx(0.1 * fee)
    for model in ("in_house", "hybrid"):
        assert cheaper.results[model].horizon_net == pytest.approx(base.results[model].horizon_net)


def test_rn_instead_of_lpn_scales_in_house_care_cost_by_the_wage_ratio():
    inputs = small_inputs()
    base = run_scenario(inputs).results["in_house"].monthly
    rn = run_scenario(inputs, {"care_manager_role": "RN"}).results["in_house"].monthly
    cost = ["cost_clinical_staff", "cost_program_owner"]
    # same hours and FTEs; each hour costs wage x (1 + benefits) / productive hours, so the
    # cost scales by 86,070 / 62,340 (BLS RN / LPN medians in the registry)
    assert rn["ftes"].tolist() == pytest.approx(base["ftes"].tolist())
    assert rn[cost].sum().sum() == pytest.approx(base[cost].sum().sum() * 93600 / 62340)


def test_rates_come_from_the_inputs_until_year_or_locality_change():
    doubled = {code: 2 * usd for code, usd in NATIONAL_2026.items()}
    inputs = small_inputs(rates=doubled)
    same = run_scenario(inputs).results["in_house"].monthly["gross_allowed"]
    national = run_scenario(small_inputs()).results["in_house"].monthly["gross_allowed"]
    # the inputs' own rates (here doubled) are used as they are: revenue doubles
    assert same.tolist() == pytest.approx((2 * national).tolist())
    moved = run_scenario(inputs, locality=TX_99, year=2025)
    direct = run_scenario(small_inputs(rates=fees.payment_rates(2025, "TX 99")))
    assert moved.results["in_house"].horizon_net == pytest.approx(
        direct.results["in_house"].horizon_net
    )
    assert (moved.year, moved.locality) == (2025, TX_99)
    assert dict(moved.changes) == {"year": (2026, 2025), "locality": (fees.NATIONAL_NAME, TX_99)}


def test_bad_changes_raise_the_assumptions_error():
    with pytest.raises(AssumptionsError, match="Did you mean consent_rate"):
        run_scenario(small_inputs(), {"consent_rat": 0.3})
    with pytest.raises(AssumptionsError, match="consent_rate = 1.5"):
        run_scenario(small_inputs(), {"consent_rate": 1.5})


def test_metrics_one_row_per_model():
    frame = run_scenario(small_inputs()).metrics()
    assert list(frame.index) == ["in_house", "managed", "hybrid"]
    assert list(frame.columns) == list(COMPARE_METRICS)


# ---------------------------------------------------------------------------- locality helpers


def test_locality_key_and_labels():
    assert locality_key(TX_99) == "TX 99"
    assert locality_key("NY 1 MANHATTAN") == "NY 1"
    assert locality_key(fees.NATIONAL_NAME) is None
    labels = locality_labels()
    assert labels[0] == fees.NATIONAL_NAME
    assert TX_99 in labels
    assert fees.find_locality(locality_key(labels[1])).label == labels[1]


def test_yaml_filename():
    assert yaml_filename("Consent 25%!") == "assumptions_consent_25.yaml"
    assert yaml_filename("???") == "assumptions_scenario.yaml"


# ------------------------------------------------------------------------------- from a folder


@pytest.fixture(scope="module")
def sample_assessment():
    return assess(
        read_panel(SAMPLE_PANEL),
        AssessmentRequest(as_of=AS_OF, practice="Sunrise Family Medicine"),
        answers=load_questionnaire(SAMPLE_ANSWERS),
    )


@pytest.fixture()
def run_folder(tmp_path, sample_assessment):
    """What `ccm-assess run` leaves for the explorer: summary.json and assumptions_used.yaml."""
    write_summary(sample_assessment, tmp_path / "summary.json")
    (tmp_path / ASSUMPTIONS_USED).write_text(
        sample_assessment.assumptions.to_yaml(changed_only=False), encoding="utf-8"
    )
    return tmp_path


def test_load_inputs_reproduces_the_reported_scenarios(run_folder, sample_assessment):
    inputs = load_inputs(run_folder)
    assert inputs.practice == "Sunrise Family Medicine"
    assert inputs.as_of == "2026-03-02"
    assert (inputs.year, inputs.locality) == (2026, fees.NATIONAL_NAME)
    assert inputs.rates["99490"] == 66.13  # national CY2026 (docs/billing.md)
    # questionnaire: 10 dedicated and 14 coordination hours a week
    capacity = inputs.capacity
    assert (capacity.dedicated_hours_per_week, capacity.coordination_hours_per_week) == (10, 14)
    assert capacity == sample_assessment.capacity  # EHR tools, 24/7 access, first model month
    assert inputs.counts["ccm_eligible"] == sample_assessment.counts["eligibility"]["ccm_eligible"]
    # Only PCM candidates of payers the model does not bill are small enough to be suppressed
    # (PCM needs one high-risk condition), so the scenarios still match the report exactly.
    (note,) = inputs.notes
    hidden = note.split(": ", 1)[1].split(". Build")[0].split(", ")
    assert hidden and all(
        path.startswith("eligibility.pcm_candidates_by_payer.")
        and not path.endswith(("medicare_ffs", "medicare_advantage"))
        for path in hidden
    )
    baseline = ScenarioBook.start(inputs)[BASE_NAME]
    for model, result in sample_assessment.scenarios.items():
        assert baseline.results[model].metrics() == result.metrics()
    assert baseline_notes(inputs, baseline) == ()
    from_memory = inputs_from_assessment(sample_assessment)
    assert dict(from_memory.counts) == sample_assessment.economics.counts  # as the model ran


def test_missing_assumptions_used_means_defaults_and_a_note(run_folder):
    (run_folder / ASSUMPTIONS_USED).unlink()
    summary = json.loads((run_folder / "summary.json").read_text())
    summary["scenarios"]["managed"]["horizon_net"] += 100.0
    (run_folder / "summary.json").write_text(json.dumps(summary))
    inputs = load_inputs(run_folder)
    assert inputs.assumptions == Assumptions()
    assert any("No assumptions_used.yaml" in note for note in inputs.notes)
    notes = baseline_notes(inputs, ScenarioBook.start(inputs)[BASE_NAME])
    # the rerun is 100 USD below what the report says for managed, so it is flagged
    assert len(notes) == 2 and notes[0].startswith("Managed: the rerun gives")


def test_suppressed_counts_are_noted_and_count_as_zero(tmp_path):
    summary = {
        "schema_version": 3,
        "practice": "Tiny",
        "as_of": "2026-03-02",
        "eligibility": {
            **COUNTS,
            "ccm_eligible_by_payer": {"medicare_ffs": 80, "medicare_advantage": None},
        },
        "rates": {"year": 2026, "locality": fees.NATIONAL_NAME, **NATIONAL_2026},
        "suppressed": ["eligibility.ccm_eligible_by_payer.medicare_advantage"],
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    inputs = load_inputs(tmp_path)
    assert any("medicare_advantage" in note for note in inputs.notes)
    assert inputs.capacity == PracticeCapacity()
    # MA counted as 0: the pool is 80 x 97% = 77.6; a vendor twice as fast offers CCM to
    # 2 x 77.6 / 12 = 12.93333 a month; 35% enrol
    scenario = run_scenario(inputs, {"vendor_pace_factor": 2.0})
    assert month_one_enrolled(scenario, "managed") == pytest.approx(12.93333 * 0.35)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No summary.json in"),
        ("{not json", "is not valid JSON"),
        ('{"schema_version": 1}', "schema_version 1"),
        ('{"schema_version": 3, "rates": {}}', "no eligibility section"),
    ],
)
def test_load_inputs_errors(tmp_path, content, message):
    if content is not None:
        (tmp_path / "summary.json").write_text(content)
    with pytest.raises(ScenarioError, match=message):
        load_inputs(tmp_path)


def test_open_inputs_needs_a_folder_or_a_panel(run_folder):
    with pytest.raises(ScenarioError, match="Give assessment_dir"):
        open_inputs()
    assert open_inputs(str(run_folder), panel_path="ignored.csv").source == str(run_folder)


# ---------------------------------------------------------------------------------- the book


def book_with_two() -> ScenarioBook:
    inputs = small_inputs()
    book = ScenarioBook.start(inputs)
    book = book.save(run_scenario(inputs, {"consent_rate": 0.25}), "Consent 25%")
    return book.save(run_scenario(inputs, {"vendor_revenue_share": 0.45}, name="Vendor 45%"))


def test_book_saves_replaces_and_removes():
    book = book_with_two()
    assert book.names == (BASE_NAME, "Consent 25%", "Vendor 45%")
    again = book.save(run_scenario(book.inputs, {"consent_rate": 0.3}), "Consent 25%")
    assert again.names == (BASE_NAME, "Vendor 45%", "Consent 25%")
    assert again["Consent 25%"].assumptions.consent_rate == 0.3
    assert book["Consent 25%"].assumptions.consent_rate == 0.25  # the old book is unchanged
    assert book.remove("Vendor 45%").names == (BASE_NAME, "Consent 25%")
    with pytest.raises(ScenarioError, match="No scenario named 'Nope'"):
        book["Nope"]
    with pytest.raises(ScenarioError, match="needs a name"):
        book.save(book["Consent 25%"], "  ")
    with pytest.raises(ScenarioError, match="is the assessment itself"):
        book.save(book["Consent 25%"], BASE_NAME)


def test_compare_side_by_side():
    book = book_with_two()
    frame = book.compare(["Vendor 45%", BASE_NAME])
    assert frame.index.names == ["model", "scenario"]
    assert list(frame.index) == [
        (model, name)
        for model in ("in_house", "managed", "hybrid")
        for name in ("Vendor 45%", BASE_NAME)
    ]
    assert list(frame.columns) == list(COMPARE_METRICS)
    for name in ("Vendor 45%", BASE_NAME):
        metrics = book[name].results["managed"].metrics()
        assert frame.loc[("managed", name), "horizon_net"] == metrics["horizon_net"]
    assert len(book.compare()) == 9
    assert book.compare([]).empty


def test_differences_list_what_each_scenario_changes():
    frame = book_with_two().differences()
    assert list(frame.columns) == [BASE_NAME, "Consent 25%", "Vendor 45%"]
    assert frame.loc["consent_rate"].tolist() == [0.35, 0.25, 0.35]
    assert frame.loc["vendor_revenue_share"].tolist() == [0.5, 0.5, 0.45]


def test_export_yaml_reads_back_for_ccm_assess_run(tmp_path):
    # the assessment itself ran with consent 40%: the export must carry it too
    inputs = small_inputs(assumptions=Assumptions({"consent_rate": 0.4}))
    scenario = run_scenario(inputs, {"vendor_revenue_share": 0.45}, locality=TX_99)
    book = ScenarioBook.start(inputs).save(scenario, "Vendor 45% in Texas")
    path = book.export_yaml("Vendor 45% in Texas", tmp_path)
    assert path == tmp_path / "assumptions_vendor_45_in_texas.yaml"
    loaded = load_assumptions(path)
    assert loaded.changed() == {"consent_rate": 0.4, "vendor_revenue_share": 0.45}
    text = path.read_text()
    assert text.startswith("# ccm-assess assumptions: scenario 'Vendor 45% in Texas'")
    assert '--year 2026 --locality "TX 99"' in text
    assert "vendor_revenue_share: 0.45  # Managed vendor's share" in text
    base_file = book.export_yaml(BASE_NAME, tmp_path / "base.yaml")
    assert load_assumptions(base_file).changed() == {"consent_rate": 0.4}
