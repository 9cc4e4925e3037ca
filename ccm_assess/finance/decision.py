"""The decision among four options and what would change it, all on the same Monte Carlo draws.

Spec: docs/honest_numbers.md, "The decision and its tipping points". The options are the three
delivery models and "none" (don't start: net 0, no hours). Each option's figure is the median
over the draws of its horizon net after the value of the practitioners' time (`horizon_net`).
`win_share` is the share of draws in which the recommended option nets more than the runner-up
(the other option with the highest median). Tipping points use common random numbers: one
assumption is moved (every draw of it shifted by the same amount, the other assumptions keeping
their draws) until the medians of two options are equal, searched over its plausible range
only, against the runner-up and against "none" (where it stops paying; for "none": what would
have to be true to start). All grid points of one search round run in one vectorised
`simulate_metrics` call.

Longer than 400 lines because the options, the common-random-number search, the plain-words
phrasing of each tipping point and the decision record are one concept: a decision that can be
repeated and checked on the same draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.finance.assumptions import Assumptions, registry
from ccm_assess.finance.model import DELIVERY_MODELS, PracticeCapacity, simulate_metrics
from ccm_assess.finance.sensitivity import MonteCarlo, draw_range
from ccm_assess.formatting import value_text

NONE = "none"
OPTIONS = (*DELIVERY_MODELS, NONE)
"""The four options: in_house, managed, hybrid, none."""
OPTION_LABELS = {**{key: m.label for key, m in DELIVERY_MODELS.items()}, NONE: "Not starting"}
MAX_TIPPING_POINTS = 4
PER_PAIR = 2  # assumptions searched per pair of options (runner-up, none)
GRID_POINTS = 12
ROUNDS = 3
PHRASES: Mapping[str, tuple[str, str, str]] = {
    "vendor_revenue_share": ("the vendor keeps {} of collections", "more than", "less than"),
    "vendor_fee_per_patient_month": ("the vendor charges {}", "more than", "less than"),
    "vendor_fee_per_code": ("the vendor charges {}", "more than", "less than"),
    "hybrid_fee_per_patient_month": ("the partner charges {}", "more than", "less than"),
    "consent_rate": ("{} of the patients offered CCM agree", "more than", "fewer than"),
    "billable_month_rate": ("{} of enrolled months reach 20 minutes", "more than", "fewer than"),
    "clinical_minutes_per_patient_month": (
        "a billed month takes {} of staff time",
        "more than",
        "less than",
    ),
    "practitioner_cost_per_hour": (
        "your practitioners' time is worth {}",
        "more than",
        "less than",
    ),
    "supervision_minutes_per_patient_month": (
        "your practitioners spend {} per patient a month",
        "more than",
        "less than",
    ),
    "monthly_attrition": ("{} of enrolled patients stop each month", "more than", "fewer than"),
    "vendor_pace_factor": ("the vendor enrols at {} your staff's pace", "more than", "less than"),
    "outreach_hours_per_month": (
        "your staff can give {} to offering CCM",
        "more than",
        "less than",
    ),
    "ma_rate_factor": (
        "Medicare Advantage plans pay {} of the Medicare rate",
        "more than",
        "less than",
    ),
    "denial_rate": ("{} of billed amounts are denied", "more than", "less than"),
    "startup_cost": ("start-up costs {}", "more than", "less than"),
    "wage_lpn": ("an LPN earns {}", "more than", "less than"),
    "wage_rn": ("a registered nurse earns {}", "more than", "less than"),
    "wage_ma": ("a medical assistant earns {}", "more than", "less than"),
    "after_hours_cost_per_month": ("24/7 cover costs {}", "more than", "less than"),
}
"""Plain-words forms of the most decisive assumptions: template, 'above' word, 'below' word."""


@dataclass(frozen=True)
class TippingPoint:
    """The value of one assumption at which the medians of two options cross (None: no value
    in its plausible range does)."""

    assumption: str
    default: float | str
    flips_at: float | str | None
    sentence: str
    against: str = ""
    option: str = ""

    def as_dict(self) -> dict[str, Any]:
        flips = self.flips_at
        if isinstance(flips, float):
            flips = round(flips, 4)
        return {
            "assumption": self.assumption,
            "default": self.default,
            "flips_at": flips,
            "sentence": self.sentence,
            "option": self.option,
            "against": self.against,
        }


VENDOR_FEES = {"managed": "vendor_revenue_share", "hybrid": "hybrid_fee_per_patient_month"}
"""The assumption that holds the vendor's fee in each model with a vendor contract."""


@dataclass(frozen=True)
class FeeCeiling:
    """The highest vendor fee at which the recommended vendor model still makes sense, on the
    same draws: the tipping point on the fee when one is above the fee in use (the runner-up or
    not starting comes out ahead past it), else the fee at which the model's median net after
    the practitioners' time is zero (None: no fee in range)."""

    assumption: str
    default: float
    ceiling: float | None
    basis: str  # "tipping_point" | "break_even"
    against: str = NONE
    """The option that comes out ahead above the ceiling (not starting at break-even)."""

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
    """summary.json `decision`: the options, recommended vs runner-up, win share, tipping
    points, and each option's median net after time and in cash (USD over the horizon)."""

    recommended: str
    runner_up: str
    win_share: float
    tipping_points: tuple[TippingPoint, ...]
    medians: Mapping[str, float] = field(default_factory=dict)
    cash_medians: Mapping[str, float] = field(default_factory=dict)
    default_run_best: str = ""
    options: tuple[str, ...] = OPTIONS
    fee_ceiling: FeeCeiling | None = None

    @property
    def sentences(self) -> tuple[str, ...]:
        """The win share, any disagreement with the default-value run and the tipping points,
        in plain words."""
        ahead, behind = (OPTION_LABELS[m] for m in (self.recommended, self.runner_up))
        if self.recommended == NONE:
            win = (
                f"{behind}, the best way to start, loses money in {self.win_share:.0%} of the "
                "simulations, in cash as well as after your practitioners' time."
                if self.cash_medians.get(self.runner_up, 0.0) < 0
                else f"{behind}, the best way to start, brings in cash but loses money once "
                f"your practitioners' time is valued, in {self.win_share:.0%} of the "
                "simulations."
            )
        elif self.runner_up == NONE:
            win = f"{ahead} makes money in {self.win_share:.0%} of the simulations."
        else:
            win = (
                f"{ahead} nets more than {behind.lower()} in {self.win_share:.0%} of the "
                "simulations."
            )
        out = [win]
        best = max(self.medians, key=self.medians.__getitem__, default="")
        if self.default_run_best and self.default_run_best != best:
            out.append(
                f"At the default values alone {OPTION_LABELS[self.default_run_best].lower()} "
                f"would come out ahead; in the middle of the simulations "
                f"{OPTION_LABELS[best].lower()} does."
            )
        return (*out, *(t.sentence for t in self.tipping_points))

    def as_dict(self) -> dict[str, Any]:
        return {
            "options": list(self.options),
            "recommended": self.recommended,
            "runner_up": self.runner_up,
            "win_share": round(self.win_share, 3),
            "tipping_points": [t.as_dict() for t in self.tipping_points],
            "p50_horizon_net": {k: round(v, 2) for k, v in self.medians.items()},
            "p50_cash_horizon_net": {k: round(v, 2) for k, v in self.cash_medians.items()},
            "default_run_best": self.default_run_best,
            "fee_ceiling": None if self.fee_ceiling is None else self.fee_ceiling.as_dict(),
        }


def option_nets(metrics: Mapping[str, Mapping[str, np.ndarray]], key: str) -> pd.DataFrame:
    """One column per option (none = 0) of the metric `key` per draw (USD)."""
    frame = pd.DataFrame({m: np.asarray(metrics[m][key]) for m in DELIVERY_MODELS})
    frame[NONE] = 0.0
    return frame


@dataclass(frozen=True)
class _Basis:
    """What the searches share: the model inputs and the Monte Carlo draws."""

    counts: Mapping[str, Any]
    rates: Mapping[str, float]
    assumptions: Assumptions
    capacity: PracticeCapacity | None
    samples: pd.DataFrame

    def role_gap(self, role: str, pair: tuple[str, str]) -> float:
        """Median net of pair[0] minus pair[1] (USD) with the care manager in `role`, on the
        same draws."""
        varied = {col: self.samples[col].to_numpy() for col in self.samples}
        metrics = simulate_metrics(
            self.counts,
            self.rates,
            self.assumptions.with_values(care_manager_role=role),
            varied,
            len(self.samples),
            self.capacity,
        )
        nets = option_nets(metrics, "horizon_net").median()
        return float(nets[pair[0]] - nets[pair[1]])

    def median_gaps(self, name: str, points: np.ndarray, pair: tuple[str, str]) -> np.ndarray:
        """Median net of pair[0] minus median net of pair[1] (USD) with the draws of `name`
        shifted so that its value in use becomes each of `points` (the other draws kept)."""
        draws = len(self.samples)
        value = float(self.assumptions.value(name))
        low, high = registry()[name].allowed_range()
        varied = {col: np.tile(self.samples[col].to_numpy(), points.size) for col in self.samples}
        base = varied.get(name, np.full(draws * points.size, value))
        varied[name] = np.clip(base + np.repeat(points - value, draws), low, high)
        metrics = simulate_metrics(
            self.counts, self.rates, self.assumptions, varied, draws * points.size, self.capacity
        )
        nets = option_nets(metrics, "horizon_net")
        medians = {
            m: np.median(nets[m].to_numpy().reshape(points.size, draws), axis=1) for m in pair
        }
        gap: np.ndarray = medians[pair[0]] - medians[pair[1]]
        return gap


TIME_RATE = "practitioner_cost_per_hour"
"""Searched from 0: practitioners with room in their schedules value their time at 0 (the
questionnaire's answer), so 0 is within reach of any practice."""


def _search_range(name: str, assumptions: Assumptions) -> tuple[float, float]:
    """The registry's plausible range, widened to the value in use and the draws' range."""
    spec = registry()[name]
    low, high = spec.plausible_range()
    low = 0.0 if name == TIME_RATE else low
    draw_low, draw_high = draw_range(spec, assumptions)
    return min(low, draw_low), max(high, draw_high)


def flip_value(name: str, pair: tuple[str, str], basis: _Basis) -> float | None:
    """The value of `name` nearest its value in use at which the medians of the two options
    are equal (first grid point past it, refined `ROUNDS` times), within `_search_range`;
    None if no value there changes which one is ahead."""
    spec = registry()[name]
    integer = spec.kind == "int"
    value = float(basis.assumptions.value(name))
    low, high = _search_range(name, basis.assumptions)
    points = np.linspace(low, high, GRID_POINTS)
    points = np.unique(np.round(points)) if integer else points
    points = np.unique(np.append(points, value))
    gaps = basis.median_gaps(name, points, pair)
    ahead = gaps[np.argmin(np.abs(points - value))] > 0
    flipped = (gaps > 0) != ahead
    if not flipped.any():
        return None
    nearest = int(np.argmin(np.where(flipped, np.abs(points - value), np.inf)))
    far = float(points[nearest])
    same_side = points[((points - value) * (far - value) > 0) & ~flipped]
    closer = same_side[np.abs(same_side - value) < abs(far - value)]
    near = float(closer[np.argmax(np.abs(closer - value))]) if closer.size else value
    if integer:
        return far
    for _ in range(ROUNDS):
        points = np.linspace(near, far, GRID_POINTS)
        gaps = basis.median_gaps(name, points, pair)
        first = int(np.argmax((gaps > 0) != ahead))
        near, far = float(points[max(first - 1, 0)]), float(points[first])
    return far


def _influence(tornado: pd.DataFrame, pair: tuple[str, str]) -> pd.Series:
    """How far each assumption moves net(pair[0]) - net(pair[1]) between its low and high."""
    frames = {}
    for key in pair:
        if key == NONE:
            continue
        rows = tornado[tornado["model"] == key].set_index("name")
        frames[key] = rows[["horizon_net_low", "horizon_net_high"]]
    names = pd.Index(sorted(set().union(*(f.index for f in frames.values()))))
    zero = pd.DataFrame(0.0, index=names, columns=["horizon_net_low", "horizon_net_high"])
    filled = {}
    for key in pair:
        if key == NONE:
            filled[key] = zero
            continue
        base = float(tornado.loc[tornado["model"] == key, "base_horizon_net"].iloc[0])
        filled[key] = frames[key].reindex(names).fillna(base)
    gap = filled[pair[0]] - filled[pair[1]]
    return (gap["horizon_net_high"] - gap["horizon_net_low"]).abs().sort_values(ascending=False)


def _condition(name: str, flips: float, value: float) -> str:
    """'the vendor keeps more than 73% of collections' for `name` past `flips`."""
    spec = registry()[name]
    above = flips > value
    digits = 2 if abs(flips) < 10 else 3  # 4.3 minutes, $149 an hour, 73.4%
    rounded = flips if spec.unit.startswith("share") else float(f"{flips:.{digits}g}")
    shown = value_text(rounded, spec.unit)
    if name in PHRASES:
        template, more, less = PHRASES[name]
        return template.format(f"{more if above else less} {shown}")
    short = spec.label.split("(")[0].split(";")[0].strip().rstrip(",")
    label = short[0].lower() + short[1:]
    return f"{label} is {'above' if above else 'below'} {shown}"


def _sentence(name: str, pair: tuple[str, str], flips: float, ahead_now: bool, value: float) -> str:
    """A tipping point in plain words, e.g. "Managed stops paying if the vendor keeps more
    than 73% of collections (we assumed 50%)"."""
    spec = registry()[name]
    winner, loser = pair if ahead_now else pair[::-1]
    condition = _condition(name, flips, value)
    room = "; it is worth nothing when their schedules have room" if name == TIME_RATE else ""
    assumed = f" (we assumed {value_text(value, spec.unit)}{room})"
    if loser == NONE:
        return f"{OPTION_LABELS[winner]} stops paying if {condition}{assumed}."
    if winner == NONE:
        return f"{OPTION_LABELS[loser]} starts to pay if {condition}{assumed}."
    return (
        f"{OPTION_LABELS[loser]} comes out ahead of {OPTION_LABELS[winner].lower()} if "
        f"{condition}{assumed}."
    )


def _pairs(recommended: str, medians: pd.Series) -> list[tuple[str, str]]:
    """The pairs whose crossing matters, most important first: the recommended option against
    the best other model and against "none"; for "none", the two best models against it
    (what would have to be true to start)."""
    models = medians.drop(NONE).sort_values(ascending=False)
    if recommended == NONE:
        return [(str(m), NONE) for m in models.index[:2]]
    best_other = str(models.drop(recommended).idxmax())
    pairs = [(recommended, best_other), (recommended, NONE)]
    return sorted(pairs, key=lambda pair: -float(medians[pair[1]]))


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
    """The decision block for `recommended` (one of OPTIONS; see the module docstring)."""
    pivot = monte.outcomes.pivot(index="draw", columns="model", values="horizon_net")
    cash = monte.outcomes.pivot(index="draw", columns="model", values="cash_horizon_net")
    nets = pivot.assign(**{NONE: 0.0})[list(OPTIONS)]
    medians = nets.median()
    runner_up = str(medians.drop(recommended).idxmax())
    win_share = float((nets[recommended] > nets[runner_up]).mean())
    basis = _Basis(counts, rates, assumptions, capacity, monte.samples)
    points: list[TippingPoint] = []
    for pair in _pairs(recommended, medians):
        ahead = bool(medians[pair[0]] > medians[pair[1]])
        influence = _influence(tornado, pair)
        names = [str(n) for n in influence[influence > 0.005].index[: 2 * PER_PAIR]]
        if NONE in pair and float(assumptions.value(TIME_RATE)) > 0:
            names = [TIME_RATE, *(n for n in names if n != TIME_RATE)]
        found = 0
        for name in names:
            if found == PER_PAIR or len(points) == MAX_TIPPING_POINTS:
                break
            flips = flip_value(str(name), pair, basis)
            if flips is None:
                continue
            value = float(assumptions.value(str(name)))
            sentence = _sentence(str(name), pair, flips, ahead, value)
            points.append(TippingPoint(str(name), value, flips, sentence, pair[1], pair[0]))
            found += 1
        role = _role_point(pair, ahead, basis)
        if role is not None and len(points) < MAX_TIPPING_POINTS:
            points.append(role)
            found += 1
        if not found and not points:
            points.append(_steady(pair, ahead))
    default = simulate_metrics(counts, rates, assumptions, capacity=capacity)
    default_nets = option_nets(default, "horizon_net").iloc[0]
    return Decision(
        recommended=recommended,
        runner_up=runner_up,
        win_share=win_share,
        tipping_points=tuple(points),
        medians={k: float(v) for k, v in medians.items()},
        cash_medians={
            **{k: float(cash[k].median()) for k in DELIVERY_MODELS},
            NONE: 0.0,
        },
        default_run_best=str(default_nets.idxmax()),
        fee_ceiling=_fee_ceiling(recommended, points, basis),
    )


def _fee_ceiling(recommended: str, points: list[TippingPoint], basis: _Basis) -> FeeCeiling | None:
    """The vendor fee ceiling of the recommended model (`FeeCeiling`); None for in-house or
    not starting."""
    name = VENDOR_FEES.get(recommended)
    if name is None:
        return None
    value = float(basis.assumptions.value(name))
    for point in points:
        flips = point.flips_at
        if point.assumption == name and isinstance(flips, float) and flips > value:
            return FeeCeiling(name, value, flips, "tipping_point", point.against)
    return FeeCeiling(name, value, flip_value(name, (recommended, NONE), basis), "break_even")


ROLE_WORDS = {"MA": "a medical assistant", "LPN": "an LPN", "RN": "a registered nurse"}
ROLE = "care_manager_role"


def _role_point(pair: tuple[str, str], ahead_now: bool, basis: _Basis) -> TippingPoint | None:
    """The care manager's role that changes which of the pair is ahead (cheapest role first),
    where one of them has practice staff giving the care; None if no role does."""
    if not any(m in pair and DELIVERY_MODELS[m].clinical_by_practice for m in DELIVERY_MODELS):
        return None
    current = str(basis.assumptions.care_manager_role)
    for role in ("MA", "LPN", "RN"):
        if role == current or (basis.role_gap(role, pair) > 0) == ahead_now:
            continue
        winner, loser = pair if ahead_now else pair[::-1]
        condition = f"your care manager is {ROLE_WORDS[role]} (we assumed {ROLE_WORDS[current]})"
        if loser == NONE:
            sentence = f"{OPTION_LABELS[winner]} stops paying if {condition}."
        elif winner == NONE:
            sentence = f"{OPTION_LABELS[loser]} starts to pay if {condition}."
        else:
            sentence = (
                f"{OPTION_LABELS[loser]} comes out ahead of {OPTION_LABELS[winner].lower()} if "
                f"{condition}."
            )
        return TippingPoint(ROLE, current, role, sentence, pair[1], pair[0])
    return None


def _steady(pair: tuple[str, str], ahead_now: bool) -> TippingPoint:
    """The sentence when no single figure in its plausible range makes the two cross."""
    winner, loser = pair if ahead_now else pair[::-1]
    if loser == NONE:
        what = f"{OPTION_LABELS[winner]} keeps paying whichever single figure moves"
    elif winner == NONE:
        what = f"{OPTION_LABELS[loser]} does not pay whichever single figure moves"
    else:
        what = (
            f"{OPTION_LABELS[winner]} stays ahead of {OPTION_LABELS[loser].lower()} whichever "
            "single figure moves"
        )
    sentence = f"{what} within its plausible range; only several moving together change that."
    return TippingPoint("", 0.0, None, sentence, pair[1], pair[0])
