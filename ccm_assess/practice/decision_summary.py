"""The decision on one page: the figures an owner asks for before signing (docs/outputs.md,
"The decision summary").

What to start (and the runner-up), cash to the practice in year 1 and in a full year (the final
year of the horizon), the worst cash exposure (the median peak cash need), the first payment and
break-even as calendar months (model month 1 is the month after the as-of date), the billing
practitioner's hours a week per practitioner, the chance of losing money over the horizon (the
share of Monte Carlo draws with a negative horizon net) and three things to verify before
signing. Money and months are the Monte Carlo medians, as everywhere in the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.decision import OPTION_LABELS
from ccm_assess.finance.model import ScenarioResult
from ccm_assess.formatting import money, percent, value_text, years_text
from ccm_assess.practice.assessment import Assessment
from ccm_assess.privacy import format_count

CASH_BASIS = "cash"
"""What "cash to the practice" counts. "cash": money in and out of the practice's bank account
(collections minus every program cost), without the value of the practitioners' time, which
the page shows beside it; `cash_per_year` reads the metrics named here."""
CASH_METRICS = {"year1": "cash_year1_net", "monthly_final_year": "monthly_cash_net_steady_state"}
"""The ScenarioResult metrics behind `cash_per_year` (medians via `ScenarioResult.central`)."""
CHECKS = 3


@dataclass(frozen=True)
class DecisionSummary:
    """The decision page's figures (USD, hours a week, shares 0-1; months as the calendar
    month's first day; None: not reached or not known)."""

    recommended: str
    runner_up: str | None
    cash_year1: float | None
    cash_full_year: float | None
    cash_basis: str
    horizon_months: int
    peak_cash_need: float | None
    first_payment: dt.date
    break_even: dt.date | None
    practitioner_hours_per_week: float
    billing_practitioners: int | None
    hours_per_practitioner: float | None
    share_losing: float | None
    checks: tuple[str, ...]


def plan_month(as_of: dt.date, month: int) -> dt.date:
    """The first day of model month `month` (month 1 is the calendar month after `as_of`).

    >>> plan_month(dt.date(2026, 11, 20), 18)
    datetime.date(2028, 5, 1)
    """
    period = pd.Period(as_of, freq="M") + month
    return dt.date(period.year, period.month, 1)


def cash_per_year(result: ScenarioResult) -> tuple[float | None, float | None]:
    """Median cash to the practice in year 1 and in a full (the final) year, USD (`CASH_BASIS`).

    The final year is the median monthly figure of the last 12 months, times 12.
    """
    year1 = result.central(CASH_METRICS["year1"])
    monthly = result.central(CASH_METRICS["monthly_final_year"])
    return year1, None if monthly is None else 12 * monthly


def _vendor_fee(model: str, assumptions: Assumptions) -> str:
    """The vendor's price the model assumed, in words."""
    if model == "hybrid":
        return f"{money(assumptions.hybrid_fee_per_patient_month)} per enrolled patient a month"
    pricing = assumptions.vendor_pricing
    if pricing == "per_enrolled_month":
        return f"{money(assumptions.vendor_fee_per_patient_month)} per enrolled patient a month"
    if pricing == "per_billed_code":
        return f"{money(assumptions.vendor_fee_per_code)} per CCM code billed"
    return f"{percent(assumptions.vendor_revenue_share)} of the CCM revenue collected"


def _fee_ceiling(assessment: Assessment) -> str:
    """The fee above which the runner-up comes out ahead, when a vendor-fee tipping point flips."""
    decision = assessment.decision
    if decision is None:
        return ""
    for point in decision.tipping_points:
        if point.assumption.startswith(("vendor_", "hybrid_fee")) and point.flips_at is not None:
            unit = assessment.assumptions.spec(point.assumption).unit
            other = OPTION_LABELS[point.against or decision.runner_up].lower()
            return f"; above {value_text(point.flips_at, unit)}, {other} comes out ahead"
    return ""


def checks_before_signing(assessment: Assessment) -> tuple[str, ...]:
    """The `CHECKS` things to verify before signing, most specific first: the vendor's fee (or,
    in-house, the staff hours), that Medicare Advantage contracts pay CCM, and the assumption
    that moves the recommended model's result most (tornado)."""
    choice = assessment.recommendation.choice
    assumptions = assessment.assumptions
    items = []
    if choice == "in_house":
        rec = assessment.recommendation
        said = rec.hours_available_per_week
        have = "not assessed" if said is None else f"{said:g} hours"
        items.append(
            f"That your staff can give about {rec.hours_needed_per_week:.0f} hours a week to "
            f"the program (you said you can set aside {have})."
        )
    else:
        items.append(
            f"The vendor's fee, in writing: we assumed {_vendor_fee(choice, assumptions)}"
            f"{_fee_ceiling(assessment)}."
        )
    eligibility = assessment.shown_counts["eligibility"]
    advantage = eligibility["ccm_eligible_by_payer"].get("medicare_advantage")
    if assumptions.ma_pays_ccm and advantage:
        items.append(
            f"That your Medicare Advantage contracts pay for CCM: {format_count(advantage)} of "
            f"the {format_count(eligibility['ccm_billable'])} billable patients are in those "
            "plans, and the figures assume their plans pay."
        )
    tornado = assessment.economics.tornado
    top = tornado[tornado["model"] == choice].head(1)
    for row in top.itertuples(index=False):  # at most one row: the largest swing
        low, high = sorted((row.horizon_net_low, row.horizon_net_high))
        items.append(
            f"{str(row.label).split(' (')[0]} (we assumed {value_text(row.value, row.unit)}): "
            f"across its plausible range, the net over {years_text(assumptions.horizon_months)} "
            "runs from "
            f"{money(low)} to {money(high)}, the widest swing of any assumption."
        )
    items.append(
        "That only one practitioner bills CCM for each patient a month, and who it is "
        "(each provider reviews their own patients on the worklist)."
    )
    return tuple(items[:CHECKS])


def decision_summary(assessment: Assessment) -> DecisionSummary:
    """The decision page's figures for `assessment` (medians of its simulations)."""
    choice = assessment.recommendation.choice
    chosen = assessment.scenarios[choice]
    year1, full_year = cash_per_year(chosen)
    break_even = chosen.central("break_even_month")
    practitioners = assessment.readiness.billing_practitioners
    hours = chosen.central("practitioner_hours_per_week") or chosen.practitioner_hours_per_week
    summary = assessment.economics.monte_carlo.summary
    decision = assessment.decision
    runner = None if decision is None or decision.runner_up == choice else decision.runner_up
    losing = summary["share_losing"].get(choice) if "share_losing" in summary else None
    return DecisionSummary(
        recommended=choice,
        runner_up=runner,
        cash_year1=year1,
        cash_full_year=full_year,
        cash_basis=CASH_BASIS,
        horizon_months=assessment.assumptions.horizon_months,
        peak_cash_need=chosen.central("peak_cash_need"),
        first_payment=plan_month(assessment.as_of, chosen.first_payment_month),
        break_even=None if break_even is None else plan_month(assessment.as_of, int(break_even)),
        practitioner_hours_per_week=hours,
        billing_practitioners=practitioners,
        hours_per_practitioner=hours / practitioners if practitioners else None,
        share_losing=None if losing is None else float(losing),
        checks=checks_before_signing(assessment),
    )
