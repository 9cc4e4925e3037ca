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
    "year1_net",
    "roi",
    "break_even_month",
    "enrolled_steady_state",
    "ftes_steady_state",
    "monthly_net_steady_state",
    "peak_cash_need",
    "net_per_enrolled_month",
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
    for i, spec in enumerate(specs):
        column = np.full(draws, float(assumptions.value(spec.name)))
        column[2 * i : 2 * i + 2] = (spec.low, spec.high)
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
                    "low": [s.low for s in specs],
                    "high": [s.high for s in specs],
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


def _sample(
    specs: list[Assumption],
    assumptions: Assumptions,
    draws: int,
    rng: np.random.Generator,
    distribution: str,
) -> dict[str, np.ndarray]:
    """Draws per assumption over [low, high], widened to include the value in use."""
    out = {}
    for spec in specs:
        value = float(assumptions.value(spec.name))
        low, high = spec.plausible_range()
        low, high = min(low, value), max(high, value)
        if distribution == "triangular":
            column = rng.triangular(low, value, high, draws)
        else:
            column = rng.uniform(low, high, draws)
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

    Each varied assumption is drawn independently, triangular with its mode at the value in use
    (or uniform), over its plausible range widened to include that value; whole-number ones are
    rounded. Choices and true/false assumptions stay as set.
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
