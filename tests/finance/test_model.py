from __future__ import annotations

import numpy as np
import pytest

from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.model import (
    CCM_CODES,
    DELIVERY_MODELS,
    SUMMARY_METRICS,
    ModelInputError,
    PracticeCapacity,
    simulate,
)
from ccm_assess.finance.programs import apcm_advice, invisible_work_value, program_comparison

# 2026 national non-facility rates (docs/billing.md, National amounts)
RATES = {
    "99490": 66.13, "99439": 50.44, "99487": 144.29, "99489": 78.16, "99491": 89.18,
    "99437": 63.13, "G0506": 66.47, "99424": 87.51, "99425": 61.46, "99426": 67.80,
    "99427": 54.11, "G0556": 16.37, "G0557": 53.78, "G0558": 117.24,
}  # fmt: skip

PANEL = {
    "ccm_eligible": 1000,
    "ccm_eligible_by_payer": {
        "medicare_ffs": 600, "medicare_advantage": 250, "medicaid": 50, "commercial": 80,
        "self_pay": 5, "other": 5, "unknown": 10,
    },
    "complex_ccm_candidates": 120,
    "complex_ccm_candidates_by_payer": None,
    "pcm_candidates": 400,
    "pcm_candidates_by_payer": None,
    "needs_initiating_visit": 300,
    "apcm_tiers": {"G0556": 900, "G0557": 850, "G0558": 60},
    "broad_ccm_eligible": 1400,
}  # fmt: skip

# Medicare's share after sequestration plus the coinsurance collected, per USD allowed:
# 0.8 x 0.98 + 0.2 x (0.8 secondary + 0.2 x 0.5 collected) = 0.784 + 0.18 = 0.964
COLLECT = 0.964


def _counts(ffs: float, *, complex_: int = 0, visit: int = 0, ma: float = 0) -> dict:
    return {
        "ccm_eligible": ffs + ma,
        "ccm_eligible_by_payer": {"medicare_ffs": ffs, "medicare_advantage": ma},
        "complex_ccm_candidates": complex_,
        "needs_initiating_visit": visit,
    }


# A still program: everyone in the pool enrols in month 1 and stays, every month is billed,
# no add-on codes, no denials, no staff time: only the code lanes move money.
# No set-up months, no claims lag (cash in the service month), no QMB patients, no practitioner
# cost, no fixed software or 24/7 cost: the hand-worked money below is the service month's.
# The pace is the pool over `outreach_approach_months` (1: the whole pool in month 1), capped
# at outreach hours x 60 / (2 attempts x 15 minutes) = 2 patients an hour.
TIMELESS = dict(
    setup_months_in_house=0,
    setup_months_managed=0,
    setup_months_hybrid=0,
    claims_lag_months=0,
    qmb_share=0.0,
    practitioner_cost_per_hour=0,
    practitioner_minutes_per_enrolment=0,
    software_fixed_per_month=0,
    after_hours_cost_per_month=0,
)
STILL = Assumptions().with_values(
    **TIMELESS,
    consent_rate=1.0,
    already_enrolled_elsewhere=0.0,
    outreach_hours_per_month=500,
    outreach_approach_months=1,
    monthly_attrition=0.0,
    annual_mortality=0.0,
    pool_growth_per_year=0.0,
    billable_month_rate=1.0,
    share_99439_one=0.0,
    share_99439_two=0.0,
    share_99489=0.0,
    share_99437=0.0,
    g0506_share=0.0,
    denial_rate=0.0,
    horizon_months=12,
)


# the billable-month rate and QMB share the hand-worked program figures below were written for
LEGACY = Assumptions().with_values(billable_month_rate=0.8, qmb_share=0.0)


def test_one_patient_month_of_each_lane():
    # standard: 99490 66.13; Medicare 0.8 x 66.13 x 0.98 = 51.846, coinsurance 13.226 x 0.9
    # = 11.903; collected 63.749
    month = simulate(_counts(1), RATES, STILL)["in_house"].monthly.iloc[0]
    assert month["99490"] == 1 and month["99487"] == month["99491"] == 0
    assert month["gross_allowed"] == pytest.approx(66.13)
    assert month["collected_revenue"] == pytest.approx(51.84592 + 11.9034)
    # complex: 99487 144.29 + one 99489 in 30% of months x 78.16 = 167.738
    complex_ = STILL.with_values(complex_lane_share=1.0, share_99489=0.3)
    month = simulate(_counts(1, complex_=1), RATES, complex_)["in_house"].monthly.iloc[0]
    assert (month["99487"], month["99489"], month["99490"]) == pytest.approx((1, 0.3, 0))
    assert month["gross_allowed"] == pytest.approx(167.738)
    assert month["collected_revenue"] == pytest.approx(167.738 * COLLECT)
    # practitioner time: 99491 89.18, minus 5% denials
    physician = STILL.with_values(physician_lane_share=1.0, denial_rate=0.05)
    month = simulate(_counts(1), RATES, physician)["in_house"].monthly.iloc[0]
    assert month["99491"] == 1 and month["gross_allowed"] == pytest.approx(89.18)
    assert month["collected_revenue"] == pytest.approx(89.18 * 0.95 * COLLECT)


def test_add_on_units_and_g0506_once():
    # 10 patients; 20% of months one 99439, 5% two -> 10 x (0.2 + 0.1) = 3 units;
    # G0506 only with an initiating visit: 4 of the 10 need one (no wait here), half of those
    # visits add G0506 -> 2, in their first month only
    values = STILL.with_values(
        share_99439_one=0.2, share_99439_two=0.05, g0506_share=0.5, initiating_visit_lag_months=0
    )
    frame = simulate(_counts(10, visit=4), RATES, values)["in_house"].monthly
    assert frame["99439"].iloc[0] == pytest.approx(3.0)
    assert frame["G0506"].tolist() == [2.0] + [0.0] * 11
    # 10 x 66.13 + 3 x 50.44 + 2 x 66.47 = 661.3 + 151.32 + 132.94
    assert frame["gross_allowed"].iloc[0] == pytest.approx(945.56)
    # nobody needs a visit: no G0506 at all
    assert simulate(_counts(10), RATES, values)["in_house"].monthly["G0506"].sum() == 0


def test_ramp_and_reoffers_by_hand():
    # pool 100, 40 offers a month, half agree; those who decline or stop CCM (10% a month)
    # wait, and each month 1 in 2 of the waiting come up again (reoffer_after_months 2) and
    # agree at 0.5 x 0.5 = 25%. Offers go to never-offered patients first.
    # m1: 40 fresh -> 20 enrol, 20 wait. Enrolled 20.
    # m2: 10 of 20 waiting come up (due 10, waiting 10); 40 fresh (20 left) -> 20 enrol, 20
    #     decline; 20 x 10% = 2 stop. Waiting 10 + 20 + 2 = 32; enrolled 18 + 20 = 38.
    # m3: 16 come up (due 26, waiting 16); 20 fresh + 20 of the 26 due (6 left): 10 + 5 = 15
    #     enrol; 10 + 15 decline, 3.8 stop: waiting 44.8; enrolled 34.2 + 15 = 49.2.
    # m4: 22.4 come up (due 28.4, waiting 22.4); all 28.4 re-offered: 7.1 enrol, 21.3
    #     decline, 4.92 stop: waiting 48.62; enrolled 44.28 + 7.1 = 51.38.
    # m5: 24.31 come up and are re-offered: 6.0775 enrol; enrolled 46.242 + 6.0775 = 52.3195.
    values = STILL.with_values(
        consent_rate=0.5,
        outreach_hours_per_month=20,
        monthly_attrition=0.1,
        reoffer_after_months=2,
        reoffer_consent_share=0.5,
    )
    frame = simulate(_counts(100), RATES, values)["in_house"].monthly.iloc[:5]
    assert frame["approached"].tolist() == pytest.approx([40, 40, 40, 28.4, 24.31])
    assert frame["reoffered"].tolist() == pytest.approx([0, 0, 20, 28.4, 24.31])
    assert frame["new_enrolments"].tolist() == pytest.approx([20, 20, 15, 7.1, 6.0775])
    assert frame["enrolled"].tolist() == pytest.approx([20, 38, 49.2, 51.38, 52.3195])


def test_census_levels_off_where_reenrolment_balances_attrition():
    # 1,000 patients, no deaths, no newly eligible: nobody leaves the pool. 35% enrol at once;
    # the waiting W (declined or stopped) come up at 1/12 a month and 0.35 x 0.5 = 17.5% agree.
    # Balance: W x 0.175 / 12 = N x 0.025 -> N / W = 7/12 -> N = 1000 x 7/19 = 368.42.
    # The census starts at 350 and climbs towards it (gap x ~0.96 a month: 366.7 at 60).
    values = STILL.with_values(consent_rate=0.35, monthly_attrition=0.025, horizon_months=60)
    frame = simulate(_counts(1000), RATES, values)["managed"].monthly
    enrolled = frame["enrolled"].to_numpy()
    assert enrolled[0] == pytest.approx(350)
    assert (np.diff(enrolled) > 0).all() and (enrolled < 1000 * 7 / 19).all()
    assert enrolled[-1] == pytest.approx(1000 * 7 / 19, rel=0.01)
    # at the plateau new enrolments about replace the 2.5% who stop
    assert frame["new_enrolments"].iloc[-1] == pytest.approx(0.025 * enrolled[-2], rel=0.02)


def test_outreach_pace_is_symmetric_unless_the_vendor_factor_says_otherwise():
    # the same pool-sized pace in every model ((600 + 250) x 0.97 / 12 months = 68.708 a
    # month, under the practice's cap of 70 h x 60 / 30 min = 140): with equal set-up months
    # in-house and managed enrol the same patients
    same = Assumptions().with_values(setup_months_in_house=2, setup_months_hybrid=2)
    results = simulate(PANEL, RATES, same)
    np.testing.assert_allclose(
        results["managed"].monthly["enrolled"], results["in_house"].monthly["enrolled"]
    )
    assert results["in_house"].monthly["approached"].iloc[2] == pytest.approx(824.5 / 12)
    # a vendor pace factor of 2.5 (171.77 offers a month) reaches the plateau sooner, not lower
    faster = simulate(PANEL, RATES, same.with_values(vendor_pace_factor=2.5))
    in_house = faster["in_house"].monthly["enrolled"].to_numpy()
    managed = faster["managed"].monthly["enrolled"].to_numpy()
    assert faster["managed"].monthly["approached"].iloc[2] == pytest.approx(2.5 * 824.5 / 12)
    # a practice with few outreach hours is capped: 10 h x 60 / 30 min = 20 offers a month
    capped = simulate(PANEL, RATES, same.with_values(outreach_hours_per_month=10))
    assert capped["in_house"].monthly["approached"].iloc[2] == pytest.approx(20)
    assert capped["managed"].monthly["approached"].iloc[2] == pytest.approx(824.5 / 12)
    assert (managed >= in_house - 1e-9).all()
    assert managed[11] > 1.3 * in_house[11]
    for enrolled in (in_house, managed):
        assert (np.diff(enrolled[-12:]) >= 0).all() and enrolled[-1] >= enrolled[11]


def test_initiating_visit_lag():
    # all 30 need a visit (30 of 30) and wait 2 months: starts in month 3
    values = STILL.with_values(initiating_visit_lag_months=2)
    frame = simulate(_counts(30, visit=30), RATES, values)["in_house"].monthly
    assert frame["new_enrolments"].iloc[0] == 30
    assert frame["enrolled"].iloc[:4].tolist() == [0, 0, 30, 30]


# no staff time, software, billing or owner: only the start-up cost moves money out
NO_RUNNING_COSTS = dict(
    clinical_minutes_per_patient_month=0,
    complex_extra_minutes=0,
    outreach_minutes_per_attempt=0,
    consent_minutes_per_enrolment=0,
    program_owner_hours_per_month=0,
    software_per_patient_month=0,
    billing_overhead_share=0,
)


def test_break_even_month_and_metrics_by_hand():
    # 10 patients billed 99490 every month: 10 x 63.74932 = 637.4932 collected a month;
    # the only cost is a 2,000 start-up in month 1 (no staff time, software, billing or owner).
    # Cumulative: -1362.51, -725.01, -87.52, +549.97 -> break-even in month 4.
    values = STILL.with_values(**NO_RUNNING_COSTS, startup_cost=2000)
    result = simulate(_counts(10), RATES, values)["in_house"]
    assert result.monthly["cumulative_net"].iloc[:4].tolist() == pytest.approx(
        [-1362.5068, -725.0136, -87.5204, 549.9728]
    )
    assert result.break_even_month == 4
    # 12 x 637.4932 - 2000 = 5649.92; ROI 5649.92 / 2000 = 2.82496
    assert result.horizon_net == pytest.approx(5649.9184)
    assert result.year1_net == pytest.approx(5649.9184)
    assert result.roi == pytest.approx(2.82496, abs=1e-5)
    assert result.peak_cash_need == pytest.approx(1362.5068)
    assert result.enrolled_steady_state == 10 and result.ftes_steady_state == 0
    assert result.net_per_enrolled_month == pytest.approx(5649.9184 / 120)


def test_two_month_set_up_and_one_month_claims_lag_by_hand():
    # The break-even example again, with 2 set-up months and a 1-month claims lag: the 10
    # patients are enrolled and served from month 3; the claims of month m are paid in m + 1,
    # so cash (637.4932 a month) comes from month 4. Start-up 2,000 in month 1.
    # Cumulative: -2000 (m1-m3), -1362.5068, -725.0136, -87.5204, +549.9728 -> month 7.
    values = STILL.with_values(
        **NO_RUNNING_COSTS, startup_cost=2000, setup_months_in_house=2, claims_lag_months=1
    )
    result = simulate(_counts(10), RATES, values)["in_house"]
    frame = result.monthly
    assert frame["enrolled"].iloc[:4].tolist() == [0, 0, 10, 10]
    assert frame["gross_allowed"].iloc[2] == pytest.approx(661.3)
    assert frame["collected_revenue"].iloc[:4].tolist() == pytest.approx([0, 0, 0, 637.4932])
    assert frame["cumulative_net"].iloc[2:7].tolist() == pytest.approx(
        [-2000, -1362.5068, -725.0136, -87.5204, 549.9728]
    )
    assert (result.setup_months, result.first_payment_month) == (2, 4)
    assert result.break_even_month == 7
    # 12 months: 10 service months, 9 of them paid within the year
    assert result.horizon_net == pytest.approx(9 * 637.4932 - 2000)
    # a lag of 1.5 months pays half of each month's claims one month later and half two
    half = simulate(_counts(10), RATES, values.with_values(claims_lag_months=1.5))["in_house"]
    assert half.monthly["collected_revenue"].iloc[3:6].tolist() == pytest.approx(
        [318.7466, 637.4932, 637.4932]
    )
    assert half.first_payment_month == 4
    assert half.horizon_net == pytest.approx(8.5 * 637.4932 - 2000)


def test_no_break_even_before_the_first_payment():
    # nothing costs anything: the running total is 0 from month 1, but the program has not
    # been paid before month 2 + 1 + 2 = 5
    free = STILL.with_values(
        **NO_RUNNING_COSTS, startup_cost=0, setup_months_in_house=2, claims_lag_months=2
    )
    result = simulate(_counts(10), RATES, free)["in_house"]
    assert result.first_payment_month == 5 and result.break_even_month == 5


def test_vendor_pricing_revenue_share_fee_and_per_code():
    # Managed, 10 patients: care revenue 637.4932 a month; G0506 (half of 10 x 66.47 x 0.964
    # = 320.39 in month 1) is the practice's own and not shared.
    base = STILL.with_values(
        initiating_visit_lag_months=0,
        g0506_share=0.5,
        share_99439_one=0.2,
        share_99439_two=0.05,
        vendor_onboarding_fee=0,
        consent_minutes_per_enrolment=0,
        managed_oversight_hours_per_month=0,
        vendor_covers_billing=True,
    )
    share = base.with_values(vendor_pricing="revenue_share", vendor_revenue_share=0.4)
    month = simulate(_counts(10, visit=10), RATES, share)["managed"].monthly.iloc[0]
    care = (10 * 66.13 + 3 * 50.44) * COLLECT  # 99490 + 3 units of 99439
    assert month["collected_revenue"] == pytest.approx(care + 5 * 66.47 * COLLECT)
    assert month["cost_vendor"] == pytest.approx(0.4 * care)
    assert month["net"] == pytest.approx(0.6 * care + 5 * 66.47 * COLLECT)
    fee = base.with_values(vendor_pricing="per_enrolled_month", vendor_fee_per_patient_month=35)
    assert simulate(_counts(10), RATES, fee)["managed"].monthly["cost_vendor"].iloc[0] == 350
    # per billed code: 10 x 99490 + 3 x 99439 = 13 codes x 25
    per_code = base.with_values(vendor_pricing="per_billed_code", vendor_fee_per_code=25)
    cost = simulate(_counts(10), RATES, per_code)["managed"].monthly["cost_vendor"].iloc[0]
    assert cost == pytest.approx(325)


def test_ma_pays_switch_and_rate_factor():
    # pool: (600 FFS + 250 MA) x (1 - 0.03) = 824.5 when MA pays; 600 x 0.97 = 582 when not
    values = STILL.with_values(already_enrolled_elsewhere=0.03, ma_rate_factor=0.8)
    counts = _counts(600, ma=250)
    paid = simulate(counts, RATES, values)["in_house"].monthly.iloc[0]
    unpaid = simulate(counts, RATES, values.with_values(ma_pays_ccm=False))["in_house"]
    assert paid["enrolled"] == pytest.approx(824.5)
    assert unpaid.monthly["enrolled"].iloc[0] == pytest.approx(582)
    # MA at 80% of FFS: 824.5 x 66.13 x (600 + 250 x 0.8) / 850
    assert paid["gross_allowed"] == pytest.approx(824.5 * 66.13 * 800 / 850)
    assert unpaid.monthly["gross_allowed"].iloc[0] == pytest.approx(582 * 66.13)


def test_more_consent_more_enrolled_in_every_model():
    low = simulate(PANEL, RATES, Assumptions().with_values(consent_rate=0.3))
    high = simulate(PANEL, RATES, Assumptions().with_values(consent_rate=0.5))
    for key in DELIVERY_MODELS:
        assert high[key].monthly["enrolled"].sum() > low[key].monthly["enrolled"].sum()
        assert high[key].enrolled_steady_state > low[key].enrolled_steady_state


def test_zero_consent_no_revenue_and_a_loss_of_the_fixed_costs():
    # pool 100 x 0.97 = 97, plus 97 x 0.1 / 12 = 0.80833 newly eligible a month from month 2;
    # everyone declines and waits W; 1/12 of W come up for a re-offer each month.
    # m1: 60 offers (the pace), W1 = 60. m2: 5 come up; 37.80833 fresh + 5 = 42.80833 offers,
    # W2 = 55 + 42.80833 = 97.80833. From m3 all fresh and due are offered and decline again,
    # so W grows by the newly eligible: Wk = 97.80833 + (k - 2) x 0.80833, and the offers in
    # month k are 0.80833 + W(k-1) / 12. Months 3-36: 34 x 0.80833 + (34 x 97.80833 + 0.80833
    # x (0 + ... + 33) = 561) / 12 = 27.48333 + 314.91319. Total 445.20486 offers x 2 x 15 min
    # = 222.60243 h of MA time x 34.53125 = 7,686.74. Owner 16 h x 67.2422 x 36 = 38,731.50.
    results = simulate(
        _counts(100),
        RATES,
        Assumptions().with_values(
            **TIMELESS,
            consent_rate=0.0,
            care_manager_role="RN",
            outreach_hours_per_month=30,
            outreach_approach_months=1,
            wage_rn=86070,
            benefits_load=0.30,
        ),
    )
    assert results["in_house"].monthly["approached"].sum() == pytest.approx(445.20486)
    for result in results.values():
        assert result.monthly["collected_revenue"].sum() == 0
        assert result.horizon_revenue == 0 and result.break_even_month is None
    assert -results["in_house"].horizon_net == pytest.approx(15000 + 38731.5 + 7686.74, abs=0.01)
    # managed: 2,500 onboarding + 4 h x 67.2422 x 36 oversight = 12,182.875
    assert -results["managed"].horizon_net == pytest.approx(12182.875)
    # hybrid: 15,000 x 0.5 start-up + 2,500 onboarding + owner 38,731.50
    assert -results["hybrid"].horizon_net == pytest.approx(48731.5)


def test_doubling_rates_doubles_gross_revenue():
    once = simulate(PANEL, RATES, Assumptions())
    twice = simulate(PANEL, {code: 2 * rate for code, rate in RATES.items()}, Assumptions())
    for key in DELIVERY_MODELS:
        assert twice[key].horizon_gross_allowed == pytest.approx(
            2 * once[key].horizon_gross_allowed
        )
        assert twice[key].horizon_revenue == pytest.approx(2 * once[key].horizon_revenue)


def test_managed_without_fees_earns_the_in_house_revenue():
    values = Assumptions().with_values(
        vendor_revenue_share=0.0, vendor_onboarding_fee=0, setup_months_managed=4
    )
    results = simulate(PANEL, RATES, values)
    in_house, managed = results["in_house"].monthly, results["managed"].monthly
    np.testing.assert_allclose(managed["collected_revenue"], in_house["collected_revenue"])
    assert managed["cost_vendor"].sum() == 0


def test_results_have_the_summary_metrics_and_frame():
    results = simulate(PANEL, RATES, Assumptions(), PracticeCapacity(dedicated_hours_per_week=5))
    assert list(results) == ["in_house", "managed", "hybrid"]
    for result in results.values():
        metrics = result.metrics()
        assert set(SUMMARY_METRICS) <= set(metrics)
        assert metrics["p10_horizon_net"] is None  # filled by the Monte Carlo
        frame = result.monthly
        assert len(frame) == 36 and frame["month"].tolist() == list(range(1, 37))
        assert set(CCM_CODES) <= set(frame.columns)
        np.testing.assert_allclose(frame["net"], frame["collected_revenue"] - frame["costs"])
        np.testing.assert_allclose(frame["cumulative_net"].iloc[-1], result.horizon_net)
    # 5 h a week is far below what in-house needs; a vendor leaves the practice consent only
    assert "5" in results["in_house"].warnings[0]
    assert results["managed"].warnings == ()
    assert results["managed"].monthly["clinical_hours"].sum() == 0


def test_bad_inputs_raise_model_input_error():
    with pytest.raises(ModelInputError, match="99487"):
        simulate(PANEL, {"99490": 66.13}, Assumptions())
    with pytest.raises(ModelInputError, match="ccm_eligible_by_payer"):
        simulate({"ccm_eligible": 10}, RATES, Assumptions())


def test_program_comparison_by_hand():
    counts = {
        **_counts(100),
        "pcm_candidates_by_payer": {"medicare_ffs": 40, "commercial": 9},
        "apcm_tiers": {"G0556": 50, "G0557": 100, "G0558": 10},
    }
    table = program_comparison(counts, RATES, LEGACY).set_index("program")
    assert list(table.index) == ["CCM", "PCM", "CCM + PCM", "APCM"]
    # enrolled: 100 x 0.35 x 0.97 = 33.95; 12 x 0.8 billed months each = 325.92;
    # 99490 + 0.3 x 99439 = 81.262 -> 26,484.91 allowed; collected x 0.95 x (0.784 + 0.2 x
    # 0.9 x 10/11): the 10 of 110 patients with 2+ conditions in tier G0558 are QMB duals
    # whose coinsurance cannot be collected
    ccm = table.loc["CCM"]
    assert ccm["enrolled"] == pytest.approx(33.95)
    assert ccm["allowed_per_year"] == pytest.approx(325.92 * 81.262)
    collect = 0.95 * (0.784 + 0.2 * 0.9 * 10 / 11)
    assert ccm["collected_per_year"] == pytest.approx(325.92 * 81.262 * collect)
    # PCM: 40 FFS x 0.3395 x 9.6 months x 67.80
    assert table.loc["PCM", "allowed_per_year"] == pytest.approx(40 * 0.3395 * 9.6 * 67.80)
    # APCM: every month, no threshold: 0.3395 x 12 x (50 x 16.37 + 100 x 53.78 + 10 x 117.24)
    assert table.loc["APCM", "allowed_per_year"] == pytest.approx(0.3395 * 12 * 7368.9)
    assert table.loc["CCM + PCM", "allowed_per_year"] == pytest.approx(
        ccm["allowed_per_year"] + table.loc["PCM", "allowed_per_year"]
    )
    # net after staff time: CCM 33.95 x 12 months x (0.8 x 35 + 0.2 x 10 = 30 min LPN + 5 min
    # practitioner) / 60; LPN 62,340 x 1.29 / 1,664 = 48.32836 an hour, practitioner 215
    hours = 33.95 * 12 * 30 / 60, 33.95 * 12 * 5 / 60
    cost = hours[0] * 62340 * 1.29 / 1664 + hours[1] * 215
    assert ccm["staff_hours_per_year"] == pytest.approx(sum(hours))
    # the delivery models' other cost lines: 5% billing, software $5 a patient-month plus $300
    # a month and 24/7 cover $800 a month (no EHR tools, no 24/7 access assessed)
    other = ccm["collected_per_year"] * 0.05 + 33.95 * 12 * 5 + 12 * (300 + 800)
    assert ccm["other_costs_per_year"] == pytest.approx(other)
    assert ccm["net_per_year"] == pytest.approx(ccm["collected_per_year"] - cost - other)
    # CCM + PCM carry the fixed costs once
    both = table.loc["CCM + PCM"]
    pcm = table.loc["PCM"]
    assert both["other_costs_per_year"] == pytest.approx(
        ccm["other_costs_per_year"] + pcm["other_costs_per_year"] - 12 * 1100
    )
    ready = program_comparison(
        counts, RATES, LEGACY, PracticeCapacity(ehr_has_care_tools=True, has_24_7_access=True)
    ).set_index("program")
    assert ready.loc["CCM", "other_costs_per_year"] == pytest.approx(
        ccm["collected_per_year"] * 0.05
    )
    # one sentence: APCM or not, and why
    advice = apcm_advice(table.reset_index())
    apcm_net, both_net = table.loc["APCM", "net_per_year"], both["net_per_year"]
    if apcm_net > max(0, both_net + 0.1 * abs(both_net)):
        assert advice.startswith("Consider APCM instead")
    else:
        assert advice.startswith("Stay with CCM")
    # APCM: 15 minutes a month, no threshold
    apcm = table.loc["APCM"]
    apcm_hours = apcm["enrolled"] * 12 * 15 / 60
    assert apcm["staff_cost_per_year"] == pytest.approx(
        apcm_hours * 62340 * 1.29 / 1664 + apcm["enrolled"] * 12 * 5 / 60 * 215
    )


def test_invisible_work_by_hand():
    # 20 h a week = 86.667 h a month; 60% on eligible patients at 35 min each = 89.14 patients;
    # 80% billed = 71.31 months x (66.13 + 0.3 x 50.44 = 81.262); billed minutes 71.31 x 26
    # = 1,854 of 5,200 = 35.66%
    work = invisible_work_value(20, RATES, LEGACY)
    assert work.hours_per_month == pytest.approx(86.6667, abs=1e-4)
    assert work.patients_supported == pytest.approx(89.1429, abs=1e-4)
    assert work.billed_patient_months == pytest.approx(71.3143, abs=1e-4)
    assert work.billable_share == pytest.approx(0.356571, abs=1e-6)
    assert work.allowed_per_month == pytest.approx(71.3143 * 81.262, abs=0.01)
    assert work.collected_per_month == pytest.approx(71.3143 * 81.262 * 0.95 * 0.964, abs=0.01)
    assert work.collected_per_year == pytest.approx(12 * 71.3143 * 81.262 * 0.95 * 0.964, abs=0.1)
    assert invisible_work_value(0, RATES, Assumptions()).collected_per_month == 0
