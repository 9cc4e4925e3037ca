"""How much the answer depends on the assumptions: a tornado and a seeded Monte Carlo.

Spec: docs/model.md, "Sensitivity and uncertainty". Both move every assumption whose
plausible range is not a single point (`Assumption.varies`: numbers with low < high). All the
variants run in one vectorised call per delivery model (model.simulate_metrics), so a tornado
and 500 Monte Carlo draws take a few hundredths of a second.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.errors import ModelInputError
from ccm_assess.finance.assumptions import Assumption, Assumptions, registry
from ccm_assess.finance.model import (
    DELIVERY_MODELS,
    PracticeCapacity,
    ScenarioResult,
    simulate_metrics,
)

DEFAULT_SEED = 2026
DISTRIBUTIONS = ("triangular", "uniform")
OUTCOMES = (
    "horizon_net",
    "cash_horizon_net",
    "cash_year1_net",
    "monthly_cash_net_steady_state",
    "practitioner_time_value",
    "year1_net",
    "roi",
    "break_even_month",
    "enrolled_steady_state",
    "ftes_steady_state",
    "monthly_net_steady_state",
    "peak_cash_need",
    "net_per_enrolled_month",
    "staff_hours_per_week",
    "practitioner_hours_per_week",
)
"""Metrics kept per draw; each gets P10/P50/P90 in `MonteCarlo.summary`."""
PERCENTILE_COLUMNS = tuple(f"p{p}_{name}" for name in OUTCOMES for p in (10, 50, 90))
"""The `MonteCarlo.summary` columns a ScenarioResult carries as `uncertainty`."""


def varied_assumptions(names: Iterable[str] | None = None) -> list[Assumption]:
    """The assumptions the tornado and the Monte Carlo move, in registry order."""
    wanted = None if names is None else set(names)
    return [s for s in registry().values() if s.varies and (wanted is None or s.name in wanted)]


def _models(model: str | None) -> list[str]:
    return list(DELIVERY_MODELS) if model is None else [DELIVERY_MODELS[model].key]


def tornado(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    model: str | None = None,
    *,
    names: Iterable[str] | None = None,
    capacity: PracticeCapacity | None = None,
    drop_zero: bool = True,
) -> pd.DataFrame:
    """Horizon net (USD) with each assumption at its low and at its high, the rest unchanged.

    One row per (model, assumption): `value` (the one used), `low`, `high`, `base_horizon_net`,
    `horizon_net_low`, `horizon_net_high`, `swing` = |high - low effect|. Sorted by model then
    swing, largest first. `model=None` gives all delivery models; `drop_zero` leaves out
    assumptions that do not move that model (e.g. vendor fees for in-house).
    """
    specs = varied_assumptions(names)
    draws = 2 * len(specs) + 1  # the last draw is the base case
    varied = {}
    ranges = [draw_range(spec, assumptions) for spec in specs]
    for i, spec in enumerate(specs):
        column = np.full(draws, float(assumptions.value(spec.name)))
        column[2 * i : 2 * i + 2] = ranges[i]
        varied[spec.name] = column
    metrics = simulate_metrics(counts, rates, assumptions, varied, draws, capacity)
    frames = []
    for key in _models(model):
        net = metrics[key]["horizon_net"]
        frames.append(
            pd.DataFrame(
                {
                    "model": key,
                    "name": [s.name for s in specs],
                    "label": [s.label for s in specs],
                    "unit": [s.unit for s in specs],
                    "value": [float(assumptions.value(s.name)) for s in specs],
                    "low": [low for low, _ in ranges],
                    "high": [high for _, high in ranges],
                    "base_horizon_net": net[-1],
                    "horizon_net_low": net[0:-1:2],
                    "horizon_net_high": net[1:-1:2],
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    table["swing"] = (table["horizon_net_high"] - table["horizon_net_low"]).abs()
    if drop_zero:
        table = table[table["swing"] > 0.005]
    order = table["model"].map({key: i for i, key in enumerate(DELIVERY_MODELS)})
    table = table.assign(order=order).sort_values(["order", "swing"], ascending=[True, False])
    return table.drop(columns="order").reset_index(drop=True)


@dataclass(frozen=True)
class MonteCarlo:
    """Monte Carlo draws and their percentiles per delivery model (USD, months).

    samples: one row per draw, one column per varied assumption. outcomes: one row per
    (draw, model) with the `OUTCOMES` metrics (break_even_month NaN = never).
    summary: one row per model (index) with p10/p50/p90 of every outcome (`p50_horizon_net`,
    ...; a break-even percentile is NaN when that share of draws never breaks even),
    `share_breaking_even` and the `net_spread` columns (`p25_horizon_net`, `p75_horizon_net`,
    `share_earning`, `share_losing`).
    """

    seed: int
    draws: int
    distribution: str
    samples: pd.DataFrame
    outcomes: pd.DataFrame
    summary: pd.DataFrame


def draw_range(spec: Assumption, assumptions: Assumptions) -> tuple[float, float]:
    """(low, high) of the draws of `spec` around its value in use: the range the user gave,
    else the registry's range moved with the value (relative for a positive default on a
    non-negative range: 20 minutes with a registry 25-50 around 35 draws 14.3-28.6; otherwise
    shifted), kept inside the allowed range. A value of 0 with a relative range stays 0."""
    value = float(assumptions.value(spec.name))
    given = assumptions.ranges.get(spec.name)
    if given is not None:
        return min(given[0], value), max(given[1], value)
    low, high = spec.plausible_range()
    default = float(spec.default)
    if default > 0 and low >= 0:
        low, high = value * low / default, value * high / default
    else:
        low, high = value + low - default, value + high - default
    minimum, maximum = spec.allowed_range()
    return max(min(low, value), minimum), min(max(high, value), maximum)


def _sample(
    specs: list[Assumption],
    assumptions: Assumptions,
    draws: int,
    rng: np.random.Generator,
    distribution: str,
) -> dict[str, np.ndarray]:
    """Draws per assumption whose median is the value in use: half of them below it, half
    above, each half over its side of `draw_range` (a two-piece triangular with its mode at the
    value, or a two-piece uniform). Stratified: one uniform number in each 1/draws of 0-1, in
    random order, so even a few hundred draws have their median at the value."""
    out = {}
    for spec in specs:
        value = float(assumptions.value(spec.name))
        low, high = draw_range(spec, assumptions)
        u = (rng.permutation(draws) + rng.random(draws)) / draws  # one draw per 1/draws
        below = u < 0.5
        side = 2 * np.where(below, u, 1 - u)  # 0-1 within each half
        reach = np.sqrt(side) if distribution == "triangular" else side
        column = np.where(below, low + (value - low) * reach, high - (high - value) * reach)
        out[spec.name] = np.round(column) if spec.kind == "int" else column
    return out


def _quantiles(values: np.ndarray, *, months: bool) -> list[float]:
    """P10, P50, P90; for months, draws that never break even count as later than any month."""
    if months:
        never_as_inf = np.where(np.isnan(values), np.inf, values)
        points = np.quantile(never_as_inf, [0.1, 0.5, 0.9], method="inverted_cdf")
        return [float(p) if np.isfinite(p) else np.nan for p in points]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [np.nan] * 3
    return [float(p) for p in np.percentile(finite, [10, 50, 90])]


def net_spread(horizon_net: np.ndarray) -> dict[str, float]:
    """The quartiles of the horizon net over the draws (`p25_horizon_net`, `p75_horizon_net`,
    USD), `share_earning`: the share of draws whose horizon net is above zero, and
    `share_losing`: the share below zero (0-1; a net of exactly zero is neither)."""
    p25, p75 = np.percentile(horizon_net, [25, 75])
    return {
        "p25_horizon_net": float(p25),
        "p75_horizon_net": float(p75),
        "share_earning": float(np.mean(horizon_net > 0)),
        "share_losing": float(np.mean(horizon_net < 0)),
    }


def monte_carlo(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    draws: int = 500,
    seed: int = DEFAULT_SEED,
    *,
    capacity: PracticeCapacity | None = None,
    distribution: str = "triangular",
) -> MonteCarlo:
    """Seeded Monte Carlo over the plausible ranges: same seed, same numbers.

    Each varied assumption is drawn independently around its value in use (`_sample`: the
    median of its draws is that value) over `draw_range`; whole-number ones are rounded.
    Choices and true/false assumptions stay as set.
    """
    if distribution not in DISTRIBUTIONS:
        raise ModelInputError(f"distribution must be one of {DISTRIBUTIONS}, not {distribution!r}")
    specs = varied_assumptions()
    samples = _sample(specs, assumptions, draws, np.random.default_rng(seed), distribution)
    metrics = simulate_metrics(counts, rates, assumptions, samples, draws, capacity)
    outcomes = pd.concat(
        [
            pd.DataFrame(
                {
                    "draw": np.arange(draws),
                    "model": key,
                    **{m: metrics[key][m] for m in OUTCOMES},
                }
            )
            for key in DELIVERY_MODELS
        ],
        ignore_index=True,
    )
    rows: dict[str, dict[str, float]] = {}
    for key in DELIVERY_MODELS:
        rows[key] = {}
        for name in OUTCOMES:
            points = _quantiles(metrics[key][name], months=name == "break_even_month")
            rows[key] |= {f"p{p}_{name}": v for p, v in zip((10, 50, 90), points, strict=True)}
        rows[key]["share_breaking_even"] = float(
            np.mean(~np.isnan(metrics[key]["break_even_month"]))
        )
        rows[key] |= net_spread(metrics[key]["horizon_net"])
    summary = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    return MonteCarlo(
        seed=seed,
        draws=draws,
        distribution=distribution,
        samples=pd.DataFrame(samples),
        outcomes=outcomes,
        summary=summary,
    )


def with_uncertainty(
    results: Mapping[str, ScenarioResult], monte: MonteCarlo
) -> dict[str, ScenarioResult]:
    """Copies of `results` with the Monte Carlo percentiles filled in (`uncertainty`; NaN
    becomes None: a break-even month that share of draws never reaches)."""
    out = {}
    for key, result in results.items():
        row = monte.summary.loc[key, list(PERCENTILE_COLUMNS)]
        spread = {name: None if np.isnan(v) else float(v) for name, v in row.items()}
        out[key] = dataclasses.replace(
            result,
            p10_horizon_net=spread["p10_horizon_net"],
            p90_horizon_net=spread["p90_horizon_net"],
            uncertainty=spread,
        )
    return out
