"""Check the model against Basu et al., Ann Intern Med 2015;163:580-588 (doi 10.7326/M14-2677).

The paper (abstract) estimates net revenue per enrolled patient per year of about $332 (95% CI
234-429) with RNs, $372 (276-468) with LPNs and $385 (286-485) with medical assistants
delivering CCM, and that 131 (115-140) Medicare patients must enrol to recoup the salary and
overhead of one full-time RN. This script runs the normal model code (`model.simulate`, the
in-house delivery model) on the paper's inputs as far as they can be sourced
(`basu2015_inputs.yaml`, each line with its source) and a 2015 fee for 99490, and prints our
figures beside the paper's. Nothing is tuned to land inside the intervals: docs/honest_numbers.md
lists the inputs and explains the gaps.

It also prints what the abstract's own figures imply at the 2015 fee with every enrolled month
billed (`abstract_arithmetic`, derived [D], no model): the staff cost per enrolled patient-year
and per hour behind each net figure, and the yearly cost that 131 enrolled patients' fees cover.

Usage: python benchmarks/replicate_basu2015.py [--json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from ccm_assess.finance.assumptions import load_assumptions
from ccm_assess.finance.model import CCM_CODES, PracticeCapacity, simulate, stack_values
from ccm_assess.finance.staffing import loaded_annual_cost

INPUTS = Path(__file__).with_name("basu2015_inputs.yaml")
FEE_99490_2015 = 43.0  # [P] Wilson et al., J Gen Intern Med 2018: "The rate for ... 99490 is $43"
PAPER_NET = {"RN": (332, 234, 429), "LPN": (372, 276, 468), "MA": (385, 286, 485)}
PAPER_RN_BREAK_EVEN = (131, 115, 140)
PAPER_NURSING_HOURS_PER_WEEK = 12  # [P] abstract, "if 50% of eligible patients enroll"
PAPER_NET_PER_PHYSICIAN = 75_000  # [P] abstract: "more than $75 000" per FTE physician a year
POOL = 1000  # Medicare FFS patients eligible; per-patient results do not depend on it
EVERY_HOUR_COVERED = PracticeCapacity(dedicated_hours_per_week=1e6)  # paid by the hour used


def replicate(inputs: Path = INPUTS) -> dict[str, object]:
    """Net per enrolled patient-year by role and the enrolment that recoups one RN (USD)."""
    assumptions = load_assumptions(inputs)
    rates = dict.fromkeys(CCM_CODES, 0.0) | {"99490": FEE_99490_2015}
    counts = {"ccm_eligible": POOL, "ccm_eligible_by_payer": {"medicare_ffs": POOL}}
    net, revenue = {}, 0.0
    for role in PAPER_NET:
        values = assumptions.with_values(care_manager_role=role)
        result = simulate(counts, rates, values, EVERY_HOUR_COVERED)["in_house"]
        patient_years = float(result.monthly["enrolled"].sum()) / 12
        net[role] = round(result.horizon_net / patient_years, 2)
        revenue = result.horizon_revenue / patient_years
    rn_cost = float(loaded_annual_cost("RN", stack_values(assumptions))[0])
    return {
        "net_per_enrolled_patient_year": net,
        "rn_break_even_enrolled": round(rn_cost / revenue, 1),
        "collected_per_enrolled_patient_year": round(revenue, 2),
        "rn_salary_and_benefits": round(rn_cost, 2),
    }


@dataclass(frozen=True)
class AbstractArithmetic:
    """What the abstract's own figures imply (USD; derived [D], no model)."""

    gross_per_enrolled_patient_year: float  # 12 x the 2015 fee, every enrolled month billed
    cost_per_enrolled_patient_year: dict[str, float]  # gross - the paper's net, by role
    cost_per_hour: dict[str, float]  # that cost over the staff hours a patient-year
    rn_cost_recouped: tuple[float, float, float]  # 131 (115-140) x gross: one RN's yearly cost
    rn_cost_over_wage: float  # that cost over the RN wage in the inputs
    rn_hours_covered: float  # hours a year it buys at the RN's implied hourly cost
    nursing_minutes_per_enrolled_month: float  # 12 h a week over >$75,000 / $332 patients


def abstract_arithmetic(inputs: Path = INPUTS) -> AbstractArithmetic:
    """The abstract's figures at the 2015 fee with every enrolled month billed [D].

    Each role's net leaves gross - net a year for staff (and any other) cost, i.e. that cost
    per hour of the minutes a month in `inputs`. 131 enrolled patients' gross fees are the
    yearly cost of the full-time RN they recoup. The abstract's 12 nursing hours a week and
    $75,000 per physician at $332 per enrolled patient give nursing minutes per patient-month.
    """
    values = stack_values(load_assumptions(inputs))
    hours_per_patient_year = 12 * float(values["clinical_minutes_per_patient_month"][0]) / 60
    gross = 12 * FEE_99490_2015
    cost = {role: gross - point for role, (point, _, _) in PAPER_NET.items()}
    point, low, high = (n * gross for n in PAPER_RN_BREAK_EVEN)
    enrolled_per_physician = PAPER_NET_PER_PHYSICIAN / PAPER_NET["RN"][0]
    nursing_hours = PAPER_NURSING_HOURS_PER_WEEK * 52 / enrolled_per_physician
    return AbstractArithmetic(
        gross_per_enrolled_patient_year=gross,
        cost_per_enrolled_patient_year=cost,
        cost_per_hour={role: c / hours_per_patient_year for role, c in cost.items()},
        rn_cost_recouped=(point, low, high),
        rn_cost_over_wage=point / float(values["wage_rn"][0]),
        rn_hours_covered=point / (cost["RN"] / hours_per_patient_year),
        nursing_minutes_per_enrolled_month=nursing_hours * 60 / 12,
    )


def _inside(value: float, interval: tuple[float, float, float]) -> str:
    return "inside" if interval[1] <= value <= interval[2] else "OUTSIDE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    out = replicate()
    if parser.parse_args().json:
        keys = ("net_per_enrolled_patient_year", "rn_break_even_enrolled")
        print(json.dumps({key: out[key] for key in keys}))
        return
    print("Net revenue per enrolled patient-year (USD): ours vs Basu 2015 (95% CI)")
    for role, value in out["net_per_enrolled_patient_year"].items():  # type: ignore[attr-defined]
        point, low, high = PAPER_NET[role]
        verdict = _inside(value, PAPER_NET[role])
        print(f"  {role:<4} {value:8.0f}   paper {point} ({low}-{high})  {verdict}")
    n = float(out["rn_break_even_enrolled"])  # type: ignore[arg-type]
    point, low, high = PAPER_RN_BREAK_EVEN
    print(
        f"Enrolled patients to recoup one full-time RN: {n:.0f}   paper {point} ({low}-{high})  "
        f"{_inside(n, PAPER_RN_BREAK_EVEN)}"
    )
    print(
        f"  (RN salary and benefits {out['rn_salary_and_benefits']:,.0f} / collected "
        f"{out['collected_per_enrolled_patient_year']:,.2f} per enrolled patient-year)"
    )
    _print_abstract_arithmetic(abstract_arithmetic())


def _print_abstract_arithmetic(implied: AbstractArithmetic) -> None:
    gross = implied.gross_per_enrolled_patient_year
    print(
        f"Implied by the abstract alone [D] (12 x ${FEE_99490_2015:.0f} = ${gross:,.0f} a year, "
        "every enrolled month billed):"
    )
    for role, cost in implied.cost_per_enrolled_patient_year.items():
        hourly = implied.cost_per_hour[role]
        print(f"  {role:<4} cost {cost:6.0f} a year = {hourly:6.2f} per staff hour")
    point, low, high = implied.rn_cost_recouped
    print(f"  131 (115-140) enrolled patients' fees: {point:,.0f} ({low:,.0f}-{high:,.0f}) a year")
    print(
        f"    = {implied.rn_cost_over_wage:.3f} x the RN wage, or {implied.rn_hours_covered:,.0f} h"
        f" at the RN's implied {implied.cost_per_hour['RN']:.2f} an hour"
    )
    print(
        "  12 h of nursing a week for >$75,000 at $332 per enrolled patient: "
        f"{implied.nursing_minutes_per_enrolled_month:.1f} min per enrolled patient-month"
    )


if __name__ == "__main__":
    main()
