"""The decision and what would flip it: the recommended model against the runner-up.

Spec: docs/honest_numbers.md, "The decision and its tipping points".
`win_share` is the share of Monte Carlo draws in which the recommended model nets more over the
horizon than the runner-up (the other model with the highest median). The tipping points are the
two to four assumptions that move the difference between the two most in the tornado; for each,
a root search on the deterministic model (every other assumption at the value in use) finds the
value at which the two models net the same, within the assumption's allowed range. All grid
points of one search round run in one vectorised `simulate_metrics` call.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.finance.assumptions import Assumptions, registry
from ccm_assess.finance.model import DELIVERY_MODELS, PracticeCapacity, simulate_metrics
from ccm_assess.finance.sensitivity import MonteCarlo
from ccm_assess.formatting import value_text

MAX_TIPPING_POINTS = 4
MIN_TIPPING_POINTS = 2
MIN_RELATIVE_INFLUENCE = 0.2  # a third or fourth point must move the gap 20% as much as the first
GRID_POINTS = 24
ROUNDS = 4


@dataclass(frozen=True)
class TippingPoint:
    """The value of one assumption at which the choice flips (None: no value in range does)."""

    assumption: str
    default: float
    flips_at: float | None
    sentence: str

    def as_dict(self) -> dict[str, Any]:
        flips = None if self.flips_at is None else round(self.flips_at, 4)
        return {
            "assumption": self.assumption,
            "default": self.default,
            "flips_at": flips,
            "sentence": self.sentence,
        }


VENDOR_FEES = {"managed": "vendor_revenue_share", "hybrid": "hybrid_fee_per_patient_month"}
"""The assumption that holds the vendor's fee in each model with a vendor contract."""


@dataclass(frozen=True)
class FeeCeiling:
    """The highest vendor fee at which the recommended vendor model still makes sense: the
    tipping point on the fee when one is in range (above it the runner-up nets more), else the
    fee at which the model's own horizon net (deterministic, every other assumption as used)
    is zero (below the assumed fee when the model loses money at it; None: no fee in range)."""

    assumption: str
    default: float
    ceiling: float | None
    basis: str  # "tipping_point" | "break_even"

    def as_dict(self) -> dict[str, Any]:
        ceiling = None if self.ceiling is None else round(self.ceiling, 4)
        return {
            "assumption": self.assumption,
            "default": self.default,
            "ceiling": ceiling,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class Decision:
    """summary.json `decision`: recommended vs runner-up, win share, tipping points, and the
    vendor fee ceiling of a model with a vendor contract."""

    recommended: str
    runner_up: str
    win_share: float
    tipping_points: tuple[TippingPoint, ...]
    fee_ceiling: FeeCeiling | None = None

    @property
    def sentences(self) -> tuple[str, ...]:
        """The win share and tipping points in plain words, for the executive summary."""
        ahead, behind = (DELIVERY_MODELS[m].label for m in (self.recommended, self.runner_up))
        win = f"{ahead} nets more than {behind.lower()} in {self.win_share:.0%} of the simulations."
        return (win, *(t.sentence for t in self.tipping_points))

    def as_dict(self) -> dict[str, Any]:
        return {
            "recommended": self.recommended,
            "runner_up": self.runner_up,
            "win_share": round(self.win_share, 3),
            "tipping_points": [t.as_dict() for t in self.tipping_points],
            "fee_ceiling": None if self.fee_ceiling is None else self.fee_ceiling.as_dict(),
        }


def _gap(
    name: str,
    points: np.ndarray,
    pair: tuple[str, str],
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None,
) -> np.ndarray:
    """Horizon net of pair[0] minus pair[1] with `name` at each of `points` (USD)."""
    metrics = simulate_metrics(counts, rates, assumptions, {name: points}, points.size, capacity)
    gap: np.ndarray = metrics[pair[0]]["horizon_net"] - metrics[pair[1]]["horizon_net"]
    return gap


def _grid(low: float, high: float, integer: bool) -> np.ndarray:
    points = np.linspace(low, high, GRID_POINTS)
    return np.unique(np.round(points)) if integer else points


def _root(name: str, gaps: Callable[[np.ndarray], np.ndarray], value: float) -> float | None:
    """The value of `name` nearest `value` at which `gaps` changes sign (first grid point past
    it, refined `ROUNDS` times), searched over the plausible range, then the allowed range;
    None if no value in range changes it."""
    spec = registry()[name]
    integer = spec.kind == "int"
    ahead = gaps(np.array([value]))[0] > 0
    for low, high in (spec.plausible_range(), spec.allowed_range()):
        points = _grid(min(low, value), max(high, value), integer)
        flipped = (gaps(points) > 0) != ahead
        if not flipped.any():
            continue
        nearest = int(np.argmin(np.where(flipped, np.abs(points - value), np.inf)))
        far = points[nearest]
        between = points[(points - value) * (far - value) > 0]  # same side as `far`
        near_side = between[np.abs(between - value) < abs(far - value)]
        near = near_side[np.argmax(np.abs(near_side - value))] if near_side.size else value
        if integer:
            return float(far)
        for _ in range(ROUNDS):
            points = np.linspace(near, far, GRID_POINTS)
            first = int(np.argmax((gaps(points) > 0) != ahead))
            near, far = points[max(first - 1, 0)], points[first]
        return float(far)
    return None


def flip_value(
    name: str,
    pair: tuple[str, str],
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None = None,
) -> float | None:
    """The value of `name` nearest its value in use at which the two models' horizon nets are
    equal (`_root`); None if no value flips the sign of the gap."""

    def gaps(points: np.ndarray) -> np.ndarray:
        return _gap(name, points, pair, counts, rates, assumptions, capacity)

    return _root(name, gaps, float(assumptions.value(name)))


def fee_ceiling(
    decision: Decision,
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None = None,
) -> FeeCeiling | None:
    """The vendor fee ceiling of the recommended model (`FeeCeiling`); None for a model without
    a vendor contract (in-house)."""
    name = VENDOR_FEES.get(decision.recommended)
    if name is None:
        return None
    value = float(assumptions.value(name))
    tipping = next((t for t in decision.tipping_points if t.assumption == name), None)
    if tipping is not None and tipping.flips_at is not None and tipping.flips_at > value:
        return FeeCeiling(name, value, tipping.flips_at, "tipping_point")

    def nets(points: np.ndarray) -> np.ndarray:
        metrics = simulate_metrics(
            counts, rates, assumptions, {name: points}, points.size, capacity
        )
        net: np.ndarray = metrics[decision.recommended]["horizon_net"]
        return net

    return FeeCeiling(name, value, _root(name, nets, value), "break_even")


def _influence(tornado: pd.DataFrame, pair: tuple[str, str]) -> pd.Series:
    """How far each assumption moves net(pair[0]) - net(pair[1]) between its low and high."""
    nets = {}
    for key in pair:
        rows = tornado[tornado["model"] == key].set_index("name")
        nets[key] = rows[["horizon_net_low", "horizon_net_high"]]
    names = nets[pair[0]].index.union(nets[pair[1]].index)
    base = {
        key: float(tornado.loc[tornado["model"] == key, "base_horizon_net"].iloc[0]) for key in pair
    }
    filled = {key: nets[key].reindex(names).fillna(base[key]) for key in pair}
    gap = filled[pair[0]] - filled[pair[1]]
    return (gap["horizon_net_high"] - gap["horizon_net_low"]).abs().sort_values(ascending=False)


def _sentence(
    name: str, pair: tuple[str, str], flips: float | None, ahead_now: bool, value: float
) -> str:
    spec = registry()[name]
    winner, loser = (DELIVERY_MODELS[m].label for m in (pair if ahead_now else pair[::-1]))
    short = re.split(r"[(;]", spec.label, maxsplit=1)[0].strip().rstrip(",")
    label = short[0].lower() + short[1:]
    if flips is None:
        return (
            f"No value of {label} from {value_text(spec.minimum, spec.unit)} to "
            f"{value_text(spec.maximum, spec.unit)} would put {loser.lower()} ahead "
            f"of {winner.lower()} (we assumed {value_text(value, spec.unit)})."
        )
    direction = "above" if flips > value else "below"
    return (
        f"{loser} would come out ahead of {winner.lower()} if "
        f"{label} were {direction} {value_text(flips, spec.unit)} "
        f"(we assumed {value_text(value, spec.unit)})."
    )


def decide(
    recommended: str,
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    monte: MonteCarlo,
    tornado: pd.DataFrame,
    *,
    capacity: PracticeCapacity | None = None,
) -> Decision:
    """The decision block for `recommended` (see the module docstring)."""
    medians = monte.summary["p50_horizon_net"].drop(recommended)
    runner_up = str(medians.idxmax())
    pair = (recommended, runner_up)
    nets = monte.outcomes.pivot(index="draw", columns="model", values="horizon_net")
    win_share = float((nets[recommended] > nets[runner_up]).mean())
    influence = _influence(tornado, pair)
    influence = influence[influence > 0.005]
    keep = (
        influence[influence >= MIN_RELATIVE_INFLUENCE * influence.iloc[0]]
        if len(influence)
        else influence
    )
    names = list(influence.index[: max(min(len(keep), MAX_TIPPING_POINTS), MIN_TIPPING_POINTS)])
    metrics = simulate_metrics(counts, rates, assumptions, capacity=capacity)
    ahead = bool(metrics[recommended]["horizon_net"][0] > metrics[runner_up]["horizon_net"][0])
    points = []
    for name in names:
        value = float(assumptions.value(name))
        flips = flip_value(name, pair, counts, rates, assumptions, capacity)
        points.append(TippingPoint(name, value, flips, _sentence(name, pair, flips, ahead, value)))
    decision = Decision(recommended, runner_up, win_share, tuple(points))
    return dataclasses.replace(
        decision, fee_ceiling=fee_ceiling(decision, counts, rates, assumptions, capacity)
    )
