from __future__ import annotations

import numpy as np
import pytest
from test_model import PANEL, RATES

from ccm_assess.finance.assumptions import Assumptions, registry
from ccm_assess.finance.model import ModelInputError, simulate
from ccm_assess.finance.sensitivity import (
    monte_carlo,
    tornado,
    varied_assumptions,
    with_uncertainty,
)


def test_varied_assumptions_are_the_numbers_with_a_range():
    names = [spec.name for spec in varied_assumptions()]
    assert "consent_rate" in names and "billable_month_rate" in names
    # fixed by law or not a number: not varied
    for fixed in (
        "sequestration",
        "coinsurance",
        "horizon_months",
        "ma_pays_ccm",
        "vendor_pricing",
    ):
        assert fixed not in names
    assert len(names) == sum(spec.varies for spec in registry().values())


def test_tornado_start_up_cost_moves_only_the_first_month():
    base = Assumptions()
    table = tornado(PANEL, RATES, base)
    in_house = table[table["model"] == "in_house"].set_index("name")
    row = in_house.loc["startup_cost"]
    # start-up 40,000 instead of 15,000: horizon net 25,000 lower; 5,000: 10,000 higher
    assert row["horizon_net_high"] - row["base_horizon_net"] == pytest.approx(-25000)
    assert row["horizon_net_low"] - row["base_horizon_net"] == pytest.approx(10000)
    assert row["swing"] == pytest.approx(35000)
    # the base equals the single run, and so does a low/high (vectorised path = single path)
    single = simulate(PANEL, RATES, base)
    assert row["base_horizon_net"] == pytest.approx(single["in_house"].horizon_net)
    consent = table[(table["model"] == "managed") & (table["name"] == "consent_rate")].iloc[0]
    at_low = simulate(PANEL, RATES, base.with_values(consent_rate=0.2))["managed"].horizon_net
    assert consent["horizon_net_low"] == pytest.approx(at_low)
    # more consent pays managed when the practitioners' time is absorbed (worth 0)
    free = base.with_values(practitioner_cost_per_hour=0)
    consent = tornado(PANEL, RATES, free, model="managed", names=["consent_rate"]).iloc[0]
    assert consent["horizon_net_high"] > consent["horizon_net_low"]


def test_tornado_sorted_by_swing_and_without_irrelevant_rows():
    table = tornado(PANEL, RATES, Assumptions())
    assert list(table["model"].unique()) == ["in_house", "managed", "hybrid"]
    for _, rows in table.groupby("model"):
        assert rows["swing"].is_monotonic_decreasing
    managed = set(table.loc[table["model"] == "managed", "name"])
    assert "startup_cost" not in managed and "software_per_patient_month" not in managed
    assert "vendor_revenue_share" in managed
    one = tornado(
        PANEL, RATES, Assumptions(), model="hybrid", names=["hybrid_fee_per_patient_month"]
    )
    assert one["model"].tolist() == ["hybrid"] and one["name"].tolist() == [
        "hybrid_fee_per_patient_month"
    ]


def test_monte_carlo_is_seeded_and_ordered():
    first = monte_carlo(PANEL, RATES, Assumptions(), draws=200, seed=7)
    again = monte_carlo(PANEL, RATES, Assumptions(), draws=200, seed=7)
    other = monte_carlo(PANEL, RATES, Assumptions(), draws=200, seed=8)
    assert first.summary.equals(again.summary)
    assert not first.summary.equals(other.summary)
    assert len(first.samples) == 200 and len(first.outcomes) == 600
    for spec in varied_assumptions():
        column = first.samples[spec.name]
        assert column.between(spec.low, spec.high).all(), spec.name
        if spec.kind == "int":
            assert (column == column.round()).all()
    summary = first.summary
    assert (summary["p10_horizon_net"] <= summary["p50_horizon_net"]).all()
    assert (summary["p50_horizon_net"] <= summary["p90_horizon_net"]).all()
    assert summary["share_breaking_even"].between(0, 1).all()


def test_monte_carlo_draw_equals_a_single_run():
    base = Assumptions()
    mc = monte_carlo(PANEL, RATES, base, draws=5, seed=3, distribution="uniform")
    draw = mc.samples.iloc[2]
    changes = {
        name: int(value) if base.spec(name).kind == "int" else float(value)
        for name, value in draw.items()
    }
    single = simulate(PANEL, RATES, base.with_values(**changes))
    outcomes = mc.outcomes[mc.outcomes["draw"] == 2].set_index("model")
    for key, result in single.items():
        assert outcomes.loc[key, "horizon_net"] == pytest.approx(result.horizon_net)
        expected = result.break_even_month
        got = outcomes.loc[key, "break_even_month"]
        assert (np.isnan(got) and expected is None) or got == expected


def test_sampling_range_includes_a_value_set_outside_it():
    mc = monte_carlo(PANEL, RATES, Assumptions().with_values(consent_rate=0.75), draws=300)
    assert mc.samples["consent_rate"].max() > 0.6


def test_with_uncertainty_fills_p10_p90():
    base = Assumptions()
    mc = monte_carlo(PANEL, RATES, base, draws=100)
    results = with_uncertainty(simulate(PANEL, RATES, base), mc)
    for key, result in results.items():
        assert result.p10_horizon_net == mc.summary.loc[key, "p10_horizon_net"]
        assert result.metrics()["p90_horizon_net"] == round(
            mc.summary.loc[key, "p90_horizon_net"], 2
        )
    with pytest.raises(ModelInputError, match="distribution"):
        monte_carlo(PANEL, RATES, base, distribution="normal")
