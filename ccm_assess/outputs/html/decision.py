"""The report's page 2: the decision on one page (figures from practice.decision_summary).

What to start and the runner-up, cash to the practice in year 1 and in a full year, the
horizon net, the worst exposure and break-even (both with the practitioners' time counted), the
first payment as a calendar month, the chance it does not pay, the billing practitioner's and
the staff's hours a week, and the three things to verify before signing. Money is whole
dollars, the Monte Carlo medians.
"""

from __future__ import annotations

import datetime as dt

from ccm_assess.finance.decision import NONE
from ccm_assess.formatting import money, percent, years_text
from ccm_assess.outputs.html.blocks import Kpi, esc, kpi_grid, model_label
from ccm_assess.outputs.html.tables import (
    band_text,
    central_money,
    final_year_text,
    practice_hours_text,
    whole,
)
from ccm_assess.practice.assessment import Assessment
from ccm_assess.practice.decision_summary import DecisionSummary, decision_summary
from ccm_assess.privacy import format_count
from ccm_assess.readiness.scoring import round_score

CASH_WORDS = {
    "cash": (
        "Cash to the practice is money in and out of your bank account: what Medicare and "
        "patients pay, less every program cost. The billing practitioners' time is not cash: "
        "its value is shown beside the net, and the recommendation counts it."
    ),
    "net": (
        "Cash to the practice is the net: what Medicare and patients pay, less every program "
        "cost, the billing practitioner's time counted at its assumed cost per hour."
    ),
}
"""What `DecisionSummary.cash_basis` means, in words (one entry per basis)."""


def calendar_month(month: dt.date | None, horizon_months: int) -> str:
    """ "May 2028", or "Not within 3 years"."""
    if month is None:
        return f"Not within {years_text(horizon_months)}"
    return f"{month:%B %Y}"


def _hours_per_practitioner(summary: DecisionSummary) -> Kpi:
    total = f"{summary.practitioner_hours_per_week:.0f} h a week in all"
    if summary.hours_per_practitioner is None:
        return Kpi(
            f"{summary.practitioner_hours_per_week:.0f} h a week",
            "Billing practitioners' time",
            "all billing practitioners together (how many was not assessed): care-plan review "
            "and supervision",
            summary.recommended,
        )
    return Kpi(
        f"{summary.hours_per_practitioner:.1f} h a week",
        "Each billing practitioner",
        f"{total} across {summary.billing_practitioners}: care-plan review and supervision",
        summary.recommended,
    )


def decision_cards(assessment: Assessment, summary: DecisionSummary) -> str:
    """The nine key numbers of the decision page, three by three."""
    choice = summary.recommended
    chosen = assessment.scenarios[choice]
    horizon = summary.horizon_months
    years = f"{horizon / 12:g}-year"
    final = final_year_text(horizon)
    worst = band_text(chosen, "peak_cash_need").replace("8 in 10 simulations", "8 in 10 between")
    said = assessment.recommendation.hours_available_per_week
    set_aside = "not assessed" if said is None else f"{said:g} h a week"
    draws = assessment.economics.monte_carlo.draws
    decision = assessment.decision
    ahead = (
        ""
        if decision is None or NONE in (decision.recommended, decision.runner_up)
        else f"; {model_label(choice).lower()} nets more than "
        f"{model_label(decision.runner_up).lower()} in {decision.win_share:.0%} of them"
    )
    return kpi_grid(
        [
            Kpi(money(summary.cash_year1), "Cash to the practice, year 1",
                "set-up months and start-up costs come first", choice),
            Kpi(money(summary.cash_full_year), "Cash in a full year",
                f"{final}, when enrolment has settled", choice),
            Kpi(central_money(chosen, "cash_horizon_net"), f"{years} net, cash",
                f"after the value of your practitioners' time "
                f"{central_money(chosen, 'horizon_net')} ({band_text(chosen, 'horizon_net')})",
                choice),
            Kpi(money(summary.peak_cash_need), "Worst exposure",
                f"the most the program is behind before it pays back, your practitioners' time "
                f"counted; {worst}", choice),
            Kpi(f"{summary.first_payment:%B %Y}", "First payment",
                f"Medicare pays for the first billed month (month {chosen.first_payment_month})",
                choice),
            Kpi(calendar_month(summary.break_even, horizon), "Break-even",
                "the running total after your practitioners' time turns positive", choice),
            Kpi(percent(summary.share_losing), "Chance it does not pay",
                f"the {years} net after your practitioners' time is below zero in this share of "
                f"{draws} simulations{ahead}"),
            _hours_per_practitioner(summary),
            Kpi(practice_hours_text(chosen), "Your staff needed",
                f"{final}: staff + practitioners = total; you set aside {set_aside}", choice),
        ],
        columns=3,
    )  # fmt: skip


def decision_page_html(assessment: Assessment) -> str:
    """Page 2: the recommendation and runner-up, the key numbers, the three checks."""
    summary = decision_summary(assessment)
    choice = summary.recommended
    counts = assessment.shown_counts
    eligibility = counts["eligibility"]
    chosen = assessment.scenarios[choice]
    score = round_score(assessment.readiness.score)
    readiness = "not scored" if score is None else f"{score}/100"
    runner = (
        ""
        if summary.runner_up is None
        else f" Runner-up: {model_label(summary.runner_up).lower()}."
    )
    what = (
        f"start a {model_label(choice).lower()} CCM program.{runner}"
        if assessment.recommendation.start_now
        else f"don't start CCM now. The best way to start later: {model_label(choice).lower()}."
    )
    head = (
        f'<div class="callout decision model-{choice}"><div class="callout-title">Our '
        f"recommendation: {esc(what)}</div>"
        "<p>Medicare pays monthly for the care between visits your staff already give "
        "patients with two or more chronic conditions. "
        f"{esc(format_count(eligibility['ccm_billable']))} of your patients qualify "
        "for CCM with insurance that pays for it; about "
        f"{esc(whole(chosen.central('enrolled_steady_state')))} would be enrolled in "
        f"{esc(final_year_text(summary.horizon_months))}. Your readiness score today: "
        f"{esc(readiness)} ({esc(assessment.readiness.maturity.lower())}).</p></div>"
    )
    checks = "".join(f"<li>{esc(item)}</li>" for item in summary.checks)
    verify = (
        '<div class="callout caution"><div class="callout-title">Verify before you sign</div>'
        f"<ol>{checks}</ol></div>"
    )
    basis = (
        f'<p class="kpi-footnote">{esc(CASH_WORDS[summary.cash_basis])} Each figure is the '
        f"middle of {assessment.economics.monte_carlo.draws} simulations with every assumption "
        "varied over its plausible range. The next page explains the recommendation; the rest of "
        "the report is the detail behind each figure.</p>"
    )
    body = head + decision_cards(assessment, summary) + verify + basis
    return f'<div class="decision-page">{body}</div>'
