"""What the domain results carry for the outputs (issue 18): year sums, hours a week by kind,
care-manager FTEs, allowed a month by code, costs by kind, the share of draws that earn money.

Hand-worked: the outputs (tables, figures, workbook) only format these numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model import PANEL, RATES, STILL, _counts

from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.model import CCM_CODES, COST_COLUMNS, simulate, year_sums
from ccm_assess.finance.sensitivity import (
    PERCENTILE_COLUMNS,
    monte_carlo,
    net_spread,
    with_uncertainty,
)


def test_year_sums_bucket_months_into_model_years():
    # 30 months: net 100 a month in year 1, -50 in year 2, 10 in the 6 months of year 3
    net = [100.0] * 12 + [-50.0] * 12 + [10.0] * 6
    monthly = pd.DataFrame(
        {"month": np.arange(1, 31), "net": net, "gross_allowed": 2.0, "collected_revenue": 1.5}
    )
    monthly["costs"] = monthly["collected_revenue"] - monthly["net"]
    yearly = year_sums(monthly)
    assert yearly["year"].tolist() == [1, 2, 3]
    assert yearly["net"].tolist() == pytest.approx([1200, -600, 60])
    assert yearly["gross_allowed"].tolist() == pytest.approx([24, 24, 12])
    assert yearly["collected_revenue"].tolist() == pytest.approx([18, 18, 9])
    assert yearly["costs"].tolist() == pytest.approx([18 - 1200, 18 + 600, 9 - 60])


# 52 patients, all enrolled in month 13 after 12 set-up months, 80 minutes of care a month,
# billed 99490 every month and 99439 for half of them; horizon 24 months.
SETUP_YEAR = STILL.with_values(
    horizon_months=24,
    setup_months_in_house=12,
    clinical_minutes_per_patient_month=80,
    complex_extra_minutes=0,
    physician_lane_share=0.0,
    consent_minutes_per_enrolment=0,
    program_owner_hours_per_month=13,
    supervision_minutes_per_patient_month=5,
    share_99439_one=0.5,
    startup_cost=2000,
)


def test_final_year_staff_hours_and_ftes_by_hand():
    result = simulate(_counts(52), RATES, SETUP_YEAR)["in_house"]
    hours = result.hours_per_week_by_kind
    # care: 52 x 80 min = 69.33 h a month in months 13-24 / (52 / 12 weeks) = 16 h a week
    assert hours["care"] == pytest.approx(16.0)
    # outreach only in month 13: 52 x 2 attempts x 15 min = 26 h; / 12 months / 4.333 = 0.5
    assert hours["enrolment"] == pytest.approx(0.5)
    # the owner's 13 h a month = 3 h a week; supervision 52 x 5 min = 4.33 h a month = 1 h
    assert (hours["owner"], hours["practitioner"]) == pytest.approx((3.0, 1.0))
    assert sum(hours.values()) == pytest.approx(
        result.staff_hours_per_week["final_year_average"], abs=0.05
    )
    # one FTE gives 2,080 x 0.8 / 12 = 138.67 h a month: 69.33 h is 0.5 FTE, all final year
    # (the first year, before enrolment, does not dilute it)
    assert result.clinical_ftes_steady_state == pytest.approx(0.5)


def test_allowed_a_month_by_code_by_hand():
    result = simulate(_counts(52), RATES, SETUP_YEAR)["in_house"]
    allowed = result.allowed_per_month_by_code
    assert list(allowed) == list(CCM_CODES)
    # 52 x $66.13 = $3,438.76 of 99490 and 26 x $50.44 = $1,311.44 of 99439 a month
    assert allowed["99490"] == pytest.approx(3438.76)
    assert allowed["99439"] == pytest.approx(1311.44)
    assert allowed["G0506"] == 0 and allowed["99487"] == 0
    assert sum(allowed.values()) == pytest.approx(result.monthly["gross_allowed"].iloc[-1])


def test_costs_by_kind_and_year_sums_of_a_run():
    result = simulate(_counts(52), RATES, SETUP_YEAR)["in_house"]
    costs = result.horizon_costs_by_kind
    assert list(costs) == list(COST_COLUMNS)
    assert costs["cost_startup"] == pytest.approx(2000)
    assert sum(costs.values()) == pytest.approx(result.horizon_costs)
    # year 1 is set-up only: no revenue; the two years add up to the horizon
    yearly = result.yearly
    assert yearly["year"].tolist() == [1, 2]
    assert yearly["collected_revenue"].iloc[0] == 0
    assert yearly["net"].tolist() == pytest.approx(
        [result.year1_net, result.horizon_net - result.year1_net]
    )


def test_share_of_draws_that_earn_money_by_hand():
    # 3 draws, 2 above zero: 2 / 3; sorted -5, 10, 20: P25 at position 0.5 = 2.5, P75 at
    # 1.5 = 15
    spread = net_spread(np.array([-5.0, 10.0, 20.0]))
    assert spread["share_earning"] == pytest.approx(0.667, abs=5e-4)
    assert (spread["p25_horizon_net"], spread["p75_horizon_net"]) == pytest.approx((2.5, 15.0))
    assert spread["share_losing"] == pytest.approx(1 / 3)
    # a net of exactly zero neither earns nor loses money
    zeros = net_spread(np.array([0.0, 0.0, 1.0]))
    assert (zeros["share_earning"], zeros["share_losing"]) == pytest.approx((1 / 3, 0.0))


def test_monte_carlo_summary_carries_the_share_and_results_keep_only_percentiles():
    assumptions = Assumptions()
    monte = monte_carlo(PANEL, RATES, assumptions, draws=20, seed=7)
    for key, draws in monte.outcomes.groupby("model"):
        net = draws["horizon_net"]
        assert monte.summary.loc[key, "share_earning"] == (net > 0).mean()
        assert monte.summary.loc[key, "share_losing"] == (net < 0).mean()
        assert monte.summary.loc[key, "p25_horizon_net"] == pytest.approx(net.quantile(0.25))
    results = with_uncertainty(simulate(PANEL, RATES, assumptions), monte)
    # summary.json's scenario keys: the P10/P50/P90 of every outcome, nothing else
    assert all(list(r.uncertainty) == list(PERCENTILE_COLUMNS) for r in results.values())
