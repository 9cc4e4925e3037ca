"""Honest numbers (docs/honest_numbers.md): headline figures
are the Monte Carlo medians of summary.json, the run at the default values is labelled, the
decision block, the `assumptions` command and the fee level by service year."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ccm_assess.edge import cli
from ccm_assess.edge.sample import write_ehr_xlsx
from ccm_assess.edge.sample_panel import generate_panel
from ccm_assess.finance.assumptions import Assumptions, registry
from ccm_assess.finance.model import Calendar, fee_index, stack_values
from ccm_assess.formatting import money
from ccm_assess.intake.panel import read_panel
from ccm_assess.outputs.figures import finance as figures_money
from ccm_assess.outputs.html import decision, tables
from ccm_assess.practice.assessment import assess, first_model_month
from ccm_assess.practice.decision_summary import decision_summary, plan_month
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.readiness.questionnaire import load_questionnaire

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PANEL = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
SAMPLE_ANSWERS = ROOT / "sample_data" / "questionnaire.yaml"
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def sample():
    return assess(
        read_panel(SAMPLE_PANEL),
        AssessmentRequest(as_of=AS_OF, practice="Sunrise", locality="TX 99"),
        answers=load_questionnaire(SAMPLE_ANSWERS),
    )


@pytest.fixture(scope="module")
def ma_heavy(tmp_path_factory):
    """A generated panel where most Medicare patients are in Medicare Advantage, with an EHR set
    up for CCM and 24/7 access (no software or 24/7 cost), at facility rates."""
    frame = generate_panel(1200, seed=31)
    ffs = frame.index[frame["payer_class"] == "medicare_ffs"]
    moved = ffs[: int(len(ffs) * 0.7)]
    frame.loc[moved, "primary_payer"] = "Humana Gold Plus"
    frame.loc[moved, "payer_class"] = "medicare_advantage"
    path = tmp_path_factory.mktemp("ma") / "ma_heavy.xlsx"
    write_ehr_xlsx(frame, path, seed=31)
    answers = load_questionnaire(SAMPLE_ANSWERS)
    values = dict(answers.values) | {"certified_ehr": "certified_set_up", "access_24_7": "full"}
    from ccm_assess.readiness.questionnaire import Answers

    return assess(
        read_panel(path),
        AssessmentRequest(as_of=dt.date(2026, 6, 30), practice="MA heavy", setting="facility"),
        answers=Answers.from_dict(values),
    )


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("which", ["sample", "ma_heavy"])
def test_headline_figures_are_the_medians_of_summary_json(which, request):
    a = request.getfixturevalue(which)
    summary = a.summary()
    scenarios = summary["scenarios"]
    choice = a.recommendation.choice
    chosen = scenarios[choice]
    # the decision page (executive summary): median net, its band, the base case labelled,
    # median enrolled, break-even as a calendar month, staff hours
    page = _text(decision.decision_page_html(a))
    assert money(chosen["p50_horizon_net"]) in page
    band = f"{money(chosen['p10_horizon_net'])} to {money(chosen['p90_horizon_net'])}"
    assert band in page
    assert f"{money(chosen['horizon_net'])} at the default values" in page
    assert f"{chosen['p50_enrolled_steady_state']:,.0f}" in page
    month = chosen["p50_break_even_month"]
    when = plan_month(a.as_of, month) if month else None
    assert (f"{when:%B %Y}" if when else "Not within") in page
    hours = chosen["staff_hours_per_week"]["final_year_average"]
    assert f"{hours:.0f} h a week" in page
    assert money(chosen["p50_year1_net"]) in page
    assert money(chosen["p50_peak_cash_need"]) in page
    # comparison table: every model's medians and base case
    table = _text(tables.comparison_table(a.scenarios, a.economics.monte_carlo))
    for metrics in scenarios.values():
        for key in ("p50_horizon_net", "p50_year1_net", "horizon_net"):
            assert money(metrics[key]) in table
    assert "at the default values" in table
    # chart: bars are the medians, diamonds the base case
    fig = figures_money.net_comparison(a.scenarios)
    bars = [t.y[0] for t in fig.data if t.type == "bar"]
    assert bars == pytest.approx([m["p50_horizon_net"] for m in scenarios.values()])
    # no model breaks even before it is first paid, in any summary figure
    for metrics in scenarios.values():
        for key in ("break_even_month", "p50_break_even_month"):
            if metrics[key] is not None:
                assert metrics[key] >= metrics["first_payment_month"]
        assert metrics["first_payment_month"] > metrics["setup_months"]
        staff = metrics["staff_hours_per_week"]
        assert staff["peak"] >= staff["final_year_average"]
    # the hours chart and the staffing table add up to the same series
    for key, result in a.scenarios.items():
        by_kind = sum(tables.weekly_hours(result).values())
        assert by_kind == pytest.approx(
            scenarios[key]["staff_hours_per_week"]["final_year_average"], abs=0.05
        )
    for metrics in scenarios.values():
        staff = metrics["staff_hours_per_week"]
        assert metrics["practitioner_hours_per_week"] <= staff["final_year_average"]


def test_summary_json_v2_keys_and_decision(sample):
    summary = json.loads(json.dumps(sample.summary()))
    assert summary["schema_version"] == 2
    for metrics in summary["scenarios"].values():
        for key in ("horizon_net", "p10_horizon_net", "p90_horizon_net", "break_even_month",
                    "p50_horizon_net", "p50_year1_net", "p50_break_even_month", "setup_months",
                    "first_payment_month", "practitioner_hours_per_week"):  # fmt: skip
            assert key in metrics
        assert set(metrics["staff_hours_per_week"]) == {"final_year_average", "peak", "peak_month"}
    decision = summary["decision"]
    assert decision["recommended"] == summary["recommendation"]
    assert decision["runner_up"] != decision["recommended"]
    assert 0 <= decision["win_share"] <= 1
    assert 2 <= len(decision["tipping_points"]) <= 4
    for point in decision["tipping_points"]:
        assert set(point) == {"assumption", "default", "flips_at", "sentence"}
        assert point["assumption"] in registry()
    # the executive summary prints the same sentences
    html = tables.recommendation_html(sample.recommendation)
    for point in decision["tipping_points"]:
        assert point["sentence"].split(" (")[0].replace("'", "&#x27;") in html


def test_tipping_point_is_where_the_two_models_net_the_same(sample):
    # for each found value, the deterministic gap changes sign across it
    from ccm_assess.finance.decision import _gap

    e = sample.economics
    decision = sample.decision
    pair = (decision.recommended, decision.runner_up)
    for point in decision.tipping_points:
        if point.flips_at is None:
            continue
        spec = registry()[point.assumption]
        step = 1.0 if spec.kind == "int" else max(abs(point.flips_at) * 0.01, 1e-4)
        side = np.sign(point.flips_at - point.default)
        points = np.array([point.default, point.flips_at + side * step])
        gaps = _gap(point.assumption, points, pair, e.counts, e.rates, e.assumptions, e.capacity)
        assert np.sign(gaps[0]) != np.sign(gaps[1])


def test_assumptions_command_lists_every_assumption(capsys):
    assert cli.main(["assumptions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(registry())
    for row in rows:
        assert {"name", "default", "unit", "low", "high", "basis", "source"} <= set(row)
        assert row["label"]
    assert cli.main(["assumptions"]) == 0
    assert "claims_lag_months = 1.5 months  range 1-2.5  [P]" in capsys.readouterr().out


def test_fees_follow_the_conversion_factor_of_the_service_year():
    # month 1 = December 2026 (as of 20 Nov 2026): 2026 rates; 2027 at -1.68% (proposed rule);
    # 2028 a further +0.25%
    calendar = first_model_month(AS_OF, 2026)
    assert calendar == Calendar(2026, 12, 2026)
    assert first_model_month(dt.date(2026, 6, 30), 2026) == Calendar(2026, 7, 2026)
    index = fee_index(stack_values(Assumptions()), calendar, 26)[0]
    assert index[0] == 1.0
    assert index[1:13] == pytest.approx([1 - 0.0168] * 12)
    assert index[13:25] == pytest.approx([(1 - 0.0168) * 1.0025] * 12)
    assert index[25] == pytest.approx((1 - 0.0168) * 1.0025**2)
    assert (fee_index(stack_values(Assumptions()), None, 3) == 1).all()


def test_facility_setting_uses_facility_rates(ma_heavy):
    summary = ma_heavy.summary()
    assert summary["rates"]["setting"] == "facility"
    assert summary["rates"]["99490"] == pytest.approx(43.76)  # national 2026 facility rate
    # the questionnaire says the EHR has the tools and 24/7 access exists: no such costs
    in_house = ma_heavy.scenarios["in_house"].monthly
    assert in_house["cost_software"].sum() == 0 and in_house["cost_after_hours"].sum() == 0


def test_basu_2015_replication_runs_the_model_on_the_papers_inputs(monkeypatch):
    import importlib.util
    import sys

    path = ROOT / "benchmarks" / "replicate_basu2015.py"
    spec = importlib.util.spec_from_file_location("replicate_basu2015", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    out = module.replicate()
    # by hand, RN: 12 months x $43 x collected share (0.95 x (0.784 + 0.2 x 0.88 x 0.9)) =
    # 461.96; 4 h of RN time x 66,640 x 1.29 / 1,664 = 206.64 -> 255.32
    assert out["collected_per_enrolled_patient_year"] == pytest.approx(461.96, abs=0.01)
    assert out["net_per_enrolled_patient_year"]["RN"] == pytest.approx(255.32, abs=0.01)
    for role, (_, low, high) in module.PAPER_NET.items():
        assert low <= out["net_per_enrolled_patient_year"][role] <= high
    # the RN break-even is outside the paper's 115-140 (a documented gap: salary + benefits
    # over collected revenue, docs/honest_numbers.md): 85,966 / 461.96
    assert out["rn_break_even_enrolled"] == pytest.approx(186.1, abs=0.1)
    # the abstract's own figures at 12 x $43 = $516 a year (docs/honest_numbers.md): RN net
    # $332 leaves $184 = $46.00 per hour of 4 h a year; 131 x 516 = 67,596 = 1.014 x the RN
    # wage 66,640 = 1,469 h at $46; 12 h a week over 75,000 / 332 = 225.9 patients = 13.8 min
    implied = module.abstract_arithmetic()
    assert implied.cost_per_enrolled_patient_year == {"RN": 184, "LPN": 144, "MA": 131}
    assert implied.cost_per_hour == pytest.approx({"RN": 46.0, "LPN": 36.0, "MA": 32.75})
    assert implied.rn_cost_recouped == pytest.approx((67_596, 59_340, 72_240))
    assert implied.rn_cost_over_wage == pytest.approx(1.0143, abs=1e-4)
    assert implied.rn_hours_covered == pytest.approx(1469.5, abs=0.1)
    assert implied.nursing_minutes_per_enrolled_month == pytest.approx(13.81, abs=0.01)


def _small_panel():
    """Counts, rates, assumptions and capacity of a small panel: 600 FFS + 250 MA eligible
    patients, EHR tools and 24/7 in place, practitioner time absorbed, 25 clinical minutes."""
    from ccm_assess.finance.model import PracticeCapacity

    counts = {
        "ccm_eligible": 850,
        "ccm_eligible_by_payer": {"medicare_ffs": 600, "medicare_advantage": 250},
        "complex_ccm_candidates": 120,
        "needs_initiating_visit": 300,
    }
    rates = dict.fromkeys(("99490", "99439", "99487", "99489", "99491", "99437", "G0506"), 0.0)
    rates |= {"99490": 66.13, "99439": 50.44, "99487": 144.29, "99489": 78.16, "G0506": 66.47}
    values = Assumptions().with_values(
        practitioner_cost_per_hour=0, clinical_minutes_per_patient_month=25
    )
    return counts, rates, values, PracticeCapacity(ehr_has_care_tools=True, has_24_7_access=True)


def test_flip_value_by_root_search_on_a_small_panel():
    # 600 FFS + 250 MA eligible patients, EHR tools and 24/7 in place, practitioner time
    # absorbed, 25 clinical minutes: managed nets more than in-house at the defaults; in-house
    # would win if the vendor kept more than about 94% of collections
    from ccm_assess.finance.decision import _gap, flip_value

    counts, rates, values, capacity = _small_panel()
    pair = ("managed", "in_house")
    share = flip_value("vendor_revenue_share", pair, counts, rates, values, capacity)
    assert share is not None and 0.9 < share < 0.97
    gaps = _gap("vendor_revenue_share", np.array([0.5, share - 0.002, share + 0.002]), pair,
                counts, rates, values, capacity)  # fmt: skip
    assert gaps[0] > 0 and gaps[1] > 0 and gaps[2] < 0
    # the billable-month rate moves both alike: no value from 0 to 1 flips the choice
    assert flip_value("billable_month_rate", pair, counts, rates, values, capacity) is None


def test_fee_ceiling_tipping_point_else_break_even():
    # the small panel above: managed ahead; its tipping point on the vendor share is ~94%
    from ccm_assess.finance.decision import Decision, TippingPoint, fee_ceiling
    from ccm_assess.finance.model import simulate_metrics

    counts, rates, values, capacity = _small_panel()
    tipping = TippingPoint("vendor_revenue_share", 0.5, 0.93, "...")
    decided = Decision("managed", "in_house", 0.9, (tipping,))
    gate = fee_ceiling(decided, counts, rates, values, capacity)
    assert (gate.assumption, gate.ceiling, gate.basis) == (
        "vendor_revenue_share",
        0.93,
        "tipping_point",
    )
    # no tipping point on the fee: the vendor share at which managed's own horizon net is zero
    gate = fee_ceiling(Decision("managed", "in_house", 0.9, ()), counts, rates, values, capacity)
    assert gate.basis == "break_even" and 0.5 < gate.ceiling < 1
    around = {"vendor_revenue_share": np.array([gate.ceiling - 0.002, gate.ceiling + 0.002])}
    nets = simulate_metrics(counts, rates, values, around, 2, capacity)["managed"]["horizon_net"]
    assert nets[0] > 0 > nets[1]
    # in-house has no vendor contract, so no fee gate
    assert fee_ceiling(Decision("in_house", "managed", 0.9, ()), counts, rates, values) is None


def test_decision_summary_of_the_sample_in_calendar_months_and_shares(sample):
    # as of 2026-11-20, model month 1 is December 2026: month 4 is March 2027, month 18 May 2028
    facts = decision_summary(sample)
    managed = sample.summary()["scenarios"]["managed"]
    assert (facts.recommended, facts.runner_up) == ("managed", "in_house")
    assert managed["first_payment_month"] == 4 and facts.first_payment == dt.date(2027, 3, 1)
    assert managed["p50_break_even_month"] == 18 and facts.break_even == dt.date(2028, 5, 1)
    # cash: the median year-1 net; a full year is 12 x the median final-year month
    assert facts.cash_year1 == pytest.approx(managed["p50_year1_net"], abs=0.01)
    assert facts.cash_full_year == pytest.approx(
        12 * managed["p50_monthly_net_steady_state"], abs=1
    )
    assert facts.peak_cash_need == pytest.approx(managed["p50_peak_cash_need"], abs=0.01)
    # 4 billing practitioners (questionnaire) share the practitioner hours
    assert facts.billing_practitioners == 4
    assert facts.hours_per_practitioner == pytest.approx(
        managed["practitioner_hours_per_week"] / 4, abs=0.05
    )
    # the share of the 500 draws whose 3-year net is below zero (issue 26: 19%)
    assert facts.share_losing == pytest.approx(0.188)
    assert len(facts.checks) == 3
    assert "50% of the CCM revenue collected" in facts.checks[0]
    assert "344 of the 1,044 billable patients" in facts.checks[1]


def test_decision_page_without_a_practitioner_count_or_break_even(ma_heavy):
    # the same figures with the questionnaire's practitioner count and the break-even removed
    import dataclasses

    readiness = dataclasses.replace(ma_heavy.readiness, billing_practitioners=None)
    choice = ma_heavy.recommendation.choice
    chosen = ma_heavy.scenarios[choice]
    never = dataclasses.replace(
        chosen, uncertainty={**chosen.uncertainty, "p50_break_even_month": None}
    )
    economics = dataclasses.replace(
        ma_heavy.economics, scenarios={**ma_heavy.scenarios, choice: never}
    )
    a = dataclasses.replace(ma_heavy, readiness=readiness, economics=economics)
    facts = decision_summary(a)
    assert facts.hours_per_practitioner is None and facts.break_even is None
    page = _text(decision.decision_page_html(a))
    assert "Not within 3 years" in page
    assert f"{chosen.practitioner_hours_per_week:.0f} h a week" in page
    assert "how many was not assessed" in page
    assert len(facts.checks) == 3
