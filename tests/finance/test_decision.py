"""The decision among four options on one basis: the same Monte Carlo draws for the
recommendation, the win share and the tipping points; draws centred on the values in use."""

from __future__ import annotations

import numpy as np
import pytest

from ccm_assess.errors import AssumptionsError
from ccm_assess.finance.assumptions import Assumptions, load_assumptions, registry
from ccm_assess.finance.decision import NONE, OPTIONS, _Basis, decide, flip_value
from ccm_assess.finance.model import PracticeCapacity, simulate
from ccm_assess.finance.sensitivity import draw_range, monte_carlo, tornado

# 600 FFS + 250 MA eligible patients (docs/billing.md national 2026 rates)
COUNTS = {
    "ccm_eligible": 850,
    "ccm_eligible_by_payer": {"medicare_ffs": 600, "medicare_advantage": 250},
    "complex_ccm_candidates": 120,
    "needs_initiating_visit": 300,
}
RATES = dict.fromkeys(("99490", "99439", "99487", "99489", "99491", "99437", "G0506"), 0.0)
RATES |= {"99490": 66.13, "99439": 50.44, "99487": 144.29, "99489": 78.16, "G0506": 66.47}
READY = PracticeCapacity(ehr_has_care_tools=True, has_24_7_access=True)
DRAWS = 40


def _decision(values: Assumptions, recommended: str, capacity=READY):
    monte = monte_carlo(COUNTS, RATES, values, DRAWS, capacity=capacity)
    table = tornado(COUNTS, RATES, values, capacity=capacity)
    return monte, decide(recommended, COUNTS, RATES, values, monte, table, capacity=capacity)


# ------------------------------------------------------------------ draws around the value


def test_the_median_of_every_draw_is_the_value_in_use():
    values = Assumptions().with_values(
        clinical_minutes_per_patient_month=20, billable_month_rate=0.95, consent_rate=0.5
    )
    monte = monte_carlo(COUNTS, RATES, values, 400)
    for name in ("clinical_minutes_per_patient_month", "billable_month_rate", "consent_rate"):
        assert np.median(monte.samples[name]) == pytest.approx(values.value(name), rel=0.02)
    # the practice's 20 minutes are not pulled into the registry's 25-50: drawn 14.3-28.6
    minutes = monte.samples["clinical_minutes_per_patient_month"]
    assert minutes.min() >= 20 * 25 / 35 - 1e-9 and minutes.max() <= 20 * 50 / 35 + 1e-9
    # a billed-month rate of 95% is never drawn above 100%
    assert monte.samples["billable_month_rate"].max() <= 1.0


def test_practitioner_time_absorbed_stays_zero_in_every_draw():
    values = Assumptions().with_values(practitioner_cost_per_hour=0)
    spec = registry()["practitioner_cost_per_hour"]
    assert draw_range(spec, values) == (0.0, 0.0)
    monte = monte_carlo(COUNTS, RATES, values, 50)
    assert (monte.samples["practitioner_cost_per_hour"] == 0).all()
    assert (monte.outcomes["practitioner_time_value"] == 0).all()


def test_a_range_the_user_gives_is_the_range_drawn(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(
        "vendor_revenue_share: {value: 0.4, low: 0.3, high: 0.45}\n"
        "consent_rate: {low: 0.3, high: 0.4}\n"
    )
    values = load_assumptions(path)
    assert values.vendor_revenue_share == 0.4 and values.consent_rate == 0.35
    assert values.ranges["vendor_revenue_share"] == (0.3, 0.45)
    spec = registry()["vendor_revenue_share"]
    assert draw_range(spec, values) == (0.3, 0.45)
    samples = monte_carlo(COUNTS, RATES, values, 200).samples["vendor_revenue_share"]
    assert samples.min() >= 0.3 and samples.max() <= 0.45
    assert np.median(samples) == pytest.approx(0.4, abs=0.01)
    bad = tmp_path / "b.yaml"
    bad.write_text("consent_rate: {low: 0.6, high: 0.3}\n")
    with pytest.raises(AssumptionsError, match="low 0.6 is above high 0.3"):
        load_assumptions(bad)


# ------------------------------------------------------------------ the decision


def test_four_options_one_basis():
    values = Assumptions().with_values(practitioner_cost_per_hour=0)
    monte, decision = _decision(values, "managed")
    assert decision.options == OPTIONS and NONE in decision.as_dict()["options"]
    nets = monte.outcomes.pivot(index="draw", columns="model", values="horizon_net")
    nets[NONE] = 0.0
    # the medians, runner-up and win share are those of the same draws
    assert decision.medians == pytest.approx(nets.median().to_dict())
    others = nets.median().drop("managed")
    assert decision.runner_up == others.idxmax()
    assert decision.win_share == pytest.approx(
        float((nets["managed"] > nets[decision.runner_up]).mean())
    )
    # cash is never below the net after the practitioners' time (here they are equal: 0 a h)
    for key in ("in_house", "managed", "hybrid"):
        assert decision.cash_medians[key] >= decision.medians[key] - 1e-6


def test_tipping_points_cross_on_the_same_draws():
    # at the defaults managed is close to paying once the practitioners' time is valued
    values = Assumptions()
    monte, decision = _decision(values, "managed")
    basis = _Basis(COUNTS, RATES, values, READY, monte.samples)
    assert 2 <= len(decision.tipping_points) <= 4
    for point in decision.tipping_points:
        if point.flips_at is None:
            continue
        if point.assumption == "care_manager_role":  # a role: the medians cross between roles
            pair = (point.option, point.against)
            before = basis.role_gap(str(point.default), pair)
            assert np.sign(before) != np.sign(basis.role_gap(str(point.flips_at), pair))
            continue
        spec = registry()[point.assumption]
        low, high = spec.plausible_range()
        assert min(low, point.default) - 1e-9 <= point.flips_at <= max(high, point.default) + 1e-9
        step = 1.0 if spec.kind == "int" else max(abs(point.flips_at) * 0.01, 1e-4)
        side = np.sign(point.flips_at - point.default)
        pair = (point.option, point.against)
        gaps = basis.median_gaps(
            point.assumption, np.array([point.default, point.flips_at + side * step]), pair
        )
        assert np.sign(gaps[0]) != np.sign(gaps[1])
        assert "_" not in point.sentence
    assert sum(point.flips_at is not None for point in decision.tipping_points) >= 2


def test_managed_pays_below_a_vendor_share_found_on_the_draws():
    # against "none": the vendor share at which managed's median net after the practitioners'
    # time reaches 0 (it loses a little at 50%)
    values = Assumptions()
    monte = monte_carlo(COUNTS, RATES, values, DRAWS, capacity=READY)
    basis = _Basis(COUNTS, RATES, values, READY, monte.samples)
    share = flip_value("vendor_revenue_share", ("managed", NONE), basis)
    assert share is not None and 0.35 <= share < 0.5
    below, above = basis.median_gaps(
        "vendor_revenue_share", np.array([share - 0.01, share + 0.01]), ("managed", NONE)
    )
    assert below > 0 > above


def test_every_option_losing_recommends_none_with_what_would_have_to_be_true():
    # practitioners' time at a displaced visit's value and a vendor keeping 85%: nothing pays
    values = Assumptions().with_values(vendor_revenue_share=0.85, consent_rate=0.2)
    _, decision = _decision(values, NONE, capacity=PracticeCapacity())
    assert all(decision.medians[m] < 0 for m in ("in_house", "managed", "hybrid"))
    assert decision.recommended == NONE and decision.runner_up != NONE
    assert decision.as_dict()["recommended"] == "none"
    sentences = " ".join(decision.sentences)
    assert "starts to pay if" in sentences or "does not pay whichever" in sentences


def test_default_run_and_median_disagreeing_is_said():
    values = Assumptions().with_values(practitioner_cost_per_hour=0)
    _, decision = _decision(values, "managed")
    best = max(decision.medians, key=decision.medians.__getitem__)
    said = any("At the default values alone" in s for s in decision.sentences)
    assert said == (decision.default_run_best != best)
    default = simulate(COUNTS, RATES, values, READY)
    nets = {k: r.horizon_net for k, r in default.items()} | {NONE: 0.0}
    assert decision.default_run_best == max(nets, key=nets.__getitem__)


def test_the_care_managers_role_can_be_a_tipping_point():
    # an MA-run in-house program against managed, on the same draws
    values = Assumptions().with_values(practitioner_cost_per_hour=0, care_manager_role="RN")
    monte, decision = _decision(values, "managed")
    basis = _Basis(COUNTS, RATES, values, READY, monte.samples)
    pair = ("managed", "in_house")
    at_rn, at_ma = basis.role_gap("RN", pair), basis.role_gap("MA", pair)
    assert at_ma < at_rn  # a cheaper care manager helps in-house
    roles = [p for p in decision.tipping_points if p.assumption == "care_manager_role"]
    for point in roles:
        assert "your care manager is" in point.sentence and "_" not in point.sentence


def test_user_ranges_survive_assumptions_used_yaml(tmp_path):
    values = Assumptions({"consent_rate": 0.4}, ranges={"consent_rate": (0.3, 0.45)})
    path = tmp_path / "assumptions_used.yaml"
    path.write_text(values.to_yaml(changed_only=False))
    again = load_assumptions(path)
    assert again == values and again.ranges == {"consent_rate": (0.3, 0.45)}
    assert hash(again) == hash(values)


def test_fee_ceiling_on_the_same_draws():
    # managed's vendor share past which it stops being the choice (a tipping point above the
    # share in use), else the share at which its median net reaches zero, on the same draws
    values = Assumptions()
    monte, decision = _decision(values, "managed")
    gate = decision.fee_ceiling
    assert gate is not None and gate.assumption == "vendor_revenue_share"
    if gate.basis == "break_even" and gate.ceiling is not None:
        basis = _Basis(COUNTS, RATES, values, READY, monte.samples)
        below, above = basis.median_gaps(
            "vendor_revenue_share", np.array([gate.ceiling - 0.01, gate.ceiling + 0.01]),
            ("managed", NONE),
        )  # fmt: skip
        assert below > 0 > above
    assert decision.as_dict()["fee_ceiling"]["assumption"] == "vendor_revenue_share"
    # in-house has no vendor contract: no fee gate
    assert _decision(values, "in_house")[1].fee_ceiling is None
