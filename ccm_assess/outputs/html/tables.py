"""Report tables and key-number cards as HTML snippets for the report notebook.

Every function returns a string of HTML for ``IPython.display.HTML``, built from the blocks of
html/blocks.py (the classes of ``templates/report/static/report.css``). Text that comes from data
(practice, provider, plan texts) is escaped; patient counts for a subgroup go through ``privacy``
(1-10 shows as "<11"). Money is whole US dollars (no cents) except the per-unit Medicare rates.
No patient-level value ever reaches these functions' output. The prose is in text.py and
the appendix tables in appendix.py.

Longer than 400 lines because it holds every table and key-number card of the report, one short
function each, over shared money and band formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ccm_assess.finance import fees, staffing
from ccm_assess.finance.model import (
    COST_COLUMNS,
    DELIVERY_MODELS,
    ScenarioResult,
)
from ccm_assess.finance.programs import InvisibleWork
from ccm_assess.finance.sensitivity import MonteCarlo
from ccm_assess.formatting import (
    DASH,
    count_text,
    fte_text,
    level_text,
    money,
    month_text,
    percent,
    plan_when,
    value_text,
    years_text,
)
from ccm_assess.outputs.html.blocks import (
    callout,
    esc,
    html_table,
    model_label,
    paragraphs,
)
from ccm_assess.privacy import suppress_counts
from ccm_assess.readiness.questionnaire import questionnaire_definition
from ccm_assess.readiness.recommendation import Recommendation
from ccm_assess.readiness.scoring import Readiness

COST_LABELS: Mapping[str, str] = {
    "cost_clinical_staff": "Care-manager staff",
    "cost_outreach_consent": "Enrolment calls and consent",
    "cost_program_owner": "Program owner's time",
    "cost_practitioner": "Practitioner time",
    "cost_software": "Care-management software",
    "cost_after_hours": "24/7 access cover",
    "cost_billing": "Billing and reconciliation",
    "cost_vendor": "Vendor fees",
    "cost_startup": "Start-up (one time)",
}
RATE_CODES: tuple[str, ...]
RATE_CODES = ("99490", "99439", "99487", "99489", "99491", "99437", "G0506", "99426")
RATE_CODES += ("G0556", "G0557", "G0558")


# ------------------------------------------------------------------------------ executive summary


def final_year_text(horizon_months: int) -> str:
    """The last 12 months of the horizon in words: "year 3" for 36 months."""
    years = horizon_months / 12
    return f"year {years:g}" if years == int(years) else "the last 12 months"


def central_money(result: ScenarioResult, metric: str) -> str:
    """The Monte Carlo median of a money metric, whole dollars (the headline figure)."""
    return money(result.central(metric))


def whole(value: float | None) -> str:
    """A modelled (not counted) number of patients, whole: 1,234."""
    return DASH if value is None else f"{value:,.0f}"


def band_text(
    result: ScenarioResult, metric: str, fmt: Callable[[float | None], str] = money
) -> str:
    """ "8 in 10 simulations $a to $b" for a metric's P10-P90 band (empty when not simulated)."""
    low, high = result.band(metric)
    if low is None or high is None:
        return ""
    return f"8 in 10 simulations {fmt(low)} to {fmt(high)}"


def practice_hours_text(result: ScenarioResult) -> str:
    """Every hour a week the practice spends in the final year, the medians of the simulations
    where run: "staff + practitioners = total" (rounded parts that add up to the rounded
    total)."""
    total = round(
        result.uncertainty.get("p50_staff_hours_per_week")
        or float(result.staff_hours_per_week.get("final_year_average", 0.0))
    )
    practitioners = round(
        result.uncertainty.get("p50_practitioner_hours_per_week")
        or result.practitioner_hours_per_week
    )
    return f"{total - practitioners} + {practitioners} = {total} h a week"


CONFIDENCE_TEXT = {
    "high": "High: the choice comes out ahead in 8 or more of 10 simulations.",
    "medium": "Medium: the choice comes out ahead in 6 to 8 of 10 simulations.",
    "low": "Low: the choice comes out ahead in fewer than 6 of 10 simulations, or no model "
    "earns money; treat this as a starting point.",
}


def recommendation_html(recommendation: Recommendation) -> str:
    """The recommendation in plain words: what (in three sentences), why, how sure and what
    would flip it; "don't start now" when no way of starting pays."""
    choice = recommendation.choice
    what = DELIVERY_MODELS[choice]
    title = (
        f"Our recommendation: start with a {what.label.lower()} CCM program"
        if recommendation.start_now
        else "Our recommendation: don't start CCM now"
    )
    lead = " ".join(recommendation.why[:2]) if recommendation.why else what.description
    out = callout(
        title,
        [lead, "How sure we are: " + CONFIDENCE_TEXT[recommendation.confidence]],
        bullets=recommendation.reasons,
        model=choice,
    )
    if recommendation.decision_sentences:
        out += callout("What would flip the choice", bullets=recommendation.decision_sentences)
    return out


def would_change_html(recommendation: Recommendation) -> str:
    """What would change the recommendation, as a short list."""
    items = "".join(f"<li>{esc(t)}</li>" for t in recommendation.would_change)
    return f"<p><strong>What would change our recommendation:</strong></p><ul>{items}</ul>"


def next_steps_html(plan: pd.DataFrame, recommendation: Recommendation, n: int = 3) -> str:
    """The first `n` steps of the 90-day plan as a numbered list; when the recommendation is not
    to start now, they are the first steps if the practice starts anyway, in the best way."""
    heading = (
        "Next steps"
        if recommendation.start_now
        else f"If you start anyway ({model_label(recommendation.choice).lower()}), the first steps"
    )
    items = [
        f"<li><strong>{esc(plan_when(a, b, weeks))}:</strong> {esc(action)} "
        f"<em>({esc(owner)})</em></li>"
        for a, b, weeks, action, owner in plan[
            ["start_date", "end_date", "weeks", "action", "owner"]
        ]
        .head(n)
        .to_numpy()
    ]
    return f"<p><strong>{esc(heading)}:</strong></p><ol>{''.join(items)}</ol>"


# ------------------------------------------------------------------------------ your patients


def programs_table(counts: Mapping[str, Any]) -> str:
    """Patients per program beyond standard CCM (small counts suppressed; unknown said so);
    conditions counted on the run's list (`conditions_level`)."""
    eligibility = counts["eligibility"]
    tiers = suppress_counts(eligibility["apcm_tiers"])
    level = level_text(counts["conditions_level"])
    rows = [
        (f"Eligible for CCM (2 or more chronic conditions, {level})", eligibility["ccm_eligible"]),
        (
            "Candidates for complex CCM (3 or more conditions and a hospital stay or 2+ ER visits)",
            eligibility["complex_ccm_candidates"],
        ),
        (
            "Need an initiating visit first (not seen in the last 12 months)",
            eligibility["needs_initiating_visit"],
        ),
        (
            "One high-risk chronic condition only: candidates for PCM instead",
            eligibility["pcm_candidates"],
        ),
        ("Medicare patients in APCM tier G0556 (0 or 1 condition)", tiers["G0556"]),
        ("Medicare patients in APCM tier G0557 (2 or more conditions)", tiers["G0557"]),
        ("Medicare patients in APCM tier G0558 (2 or more, with Medicaid too)", tiers["G0558"]),
        (
            "Eligible under a broader list of chronic conditions (an upper bound)",
            eligibility["broad_ccm_eligible"],
        ),
    ]
    frame = pd.DataFrame(
        {
            "Group": [r[0] for r in rows],
            "Patients": ["not known" if r[1] is None else count_text(r[1]) for r in rows],
        }
    )
    return html_table(frame, text_columns=("Group",))


# ------------------------------------------------------------------------------ staffing


HOUR_LABELS: Mapping[str, str] = {
    "care": "Monthly care",
    "enrolment": "Enrolment calls and consent",
    "owner": "Program owner",
    "practitioner": "Billing practitioner",
}
"""model.HOUR_KINDS -> how the report names them."""


def weekly_hours(scenario: ScenarioResult) -> dict[str, float]:
    """Average practice hours a week in the last 12 months, by kind of work, labelled
    (`ScenarioResult.hours_per_week_by_kind`)."""
    return {HOUR_LABELS[kind]: h for kind, h in scenario.hours_per_week_by_kind.items()}


def staffing_table(scenarios: Mapping[str, ScenarioResult]) -> str:
    """Practice staff per model at steady state: FTEs, hours a week, caseload."""
    rows = {}
    for key, result in scenarios.items():
        hours = weekly_hours(result)
        peak = result.staff_hours_per_week
        rows[model_label(key)] = {
            "Care-manager FTE": fte_text(result.clinical_ftes_steady_state),
            "All practice staff FTE": fte_text(result.ftes_steady_state),
            **{f"{k}, h/week": f"{v:.0f}" for k, v in hours.items()},
            "All practice hours, h/week": f"{peak.get('final_year_average', 0):.0f}",
            "Peak, h/week (month)": f"{peak.get('peak', 0):.0f} ({peak.get('peak_month', 1)})",
            "Patients per care manager": (
                DASH if result.caseload_per_fte is None else f"{result.caseload_per_fte:.0f}"
            ),
        }
    horizon = len(next(iter(scenarios.values())).monthly)
    heading = f"Average, {final_year_text(horizon)}"
    frame = pd.DataFrame(rows).rename_axis(heading).reset_index()
    return html_table(frame, text_columns=(heading,))


def _staff_roles(readiness: Readiness) -> str:
    if readiness.staff_roles is None:
        return "not assessed"
    question = questionnaire_definition().question("staff_roles")
    return next((o.label for o in question.options if o.key == readiness.staff_roles), "")


def _answered(value: float | None) -> str:
    return "not assessed" if value is None else f"{value:g}"


def capacity_html(
    readiness: Readiness, recommendation: Recommendation, scenarios: Mapping[str, ScenarioResult]
) -> str:
    """What the practice said it can dedicate, against the need, with the capacity warnings."""
    have = readiness.dedicated_hours_per_week
    need = recommendation.hours_needed_per_week
    said = [
        f"Staff hours a week set aside for CCM: {_answered(have)}",
        "Staff hours a week already spent on between-visit coordination: "
        + _answered(readiness.coordination_hours_per_week),
        f"Billing practitioners: {_answered(readiness.billing_practitioners)}",
        f"Clinical staff available: {_staff_roles(readiness)}",
    ]
    out = callout("What the practice told us", bullets=said)
    if have is None or have < need:
        horizon = len(scenarios["in_house"].monthly)
        lead = (
            f"Run in-house, the program needs about {need:.0f} staff hours a week (besides the "
            f"billing practitioner's) in {final_year_text(horizon)}"
            + ("." if have is None else f"; the practice can set aside {have:g}.")
        )
        warnings = [w for result in scenarios.values() for w in result.warnings]
        out += callout("Staff capacity", [lead], bullets=warnings, caution=True)
    return out


def caseload_html(scenarios: Mapping[str, ScenarioResult]) -> str:
    """Patients per care manager per model against the published caseload benchmarks."""
    source = f" ({staffing.CASELOAD_SOURCE})"
    caseloads = [
        f"{model_label(key)}: {r.caseload_note.replace(source, '')}"
        for key, r in scenarios.items()
        if r.caseload_per_fte is not None
    ]
    if not caseloads:
        return ""
    return callout(
        "Caseload per care manager, against published benchmarks",
        [f"Benchmarks: {staffing.CASELOAD_SOURCE}."],
        bullets=caseloads,
    )


# ------------------------------------------------------------------------------ money


def pnl_table(scenarios: Mapping[str, ScenarioResult]) -> str:
    """Profit and loss per model over the horizon (USD, whole dollars): revenue, costs, net."""
    columns: dict[str, dict[str, str]] = {}
    used = [
        c
        for c in COST_COLUMNS
        if any(abs(r.horizon_costs_by_kind[c]) > 0.5 for r in scenarios.values())
    ]
    for key, result in scenarios.items():
        column = {
            "Billed (Medicare allowed amount)": money(result.horizon_gross_allowed),
            "Collected (after coinsurance, sequestration, denials; paid within the period)": money(
                result.horizon_revenue
            ),
            **{f"{DASH} {COST_LABELS[c]}": money(-result.horizon_costs_by_kind[c]) for c in used},
            "Total costs": money(-result.horizon_costs),
            "Net": money(result.horizon_net),
        }
        for year, net in zip(result.yearly["year"], result.yearly["net"], strict=True):
            column[f"Net in year {year}"] = money(net)
        columns[model_label(key)] = column
    horizon = len(next(iter(scenarios.values())).monthly)
    frame = pd.DataFrame(columns).rename_axis(f"Over {years_text(horizon)}").reset_index()
    return html_table(frame, text_columns=(frame.columns[0],))


SETTING_TEXT = {
    "office": "office (non-facility) rates",
    "facility": "facility rates (hospital-based clinic)",
    "rhc_fqhc": "national office (non-facility) rates, as CMS pays rural health clinics and "
    "FQHCs for care management",
}


def rates_html(
    table: fees.RateTable, codes: Sequence[str] = RATE_CODES, setting: str = "office"
) -> str:
    """The Medicare rates used (USD per unit, with cents) with year, locality and caveats."""
    column = "facility" if setting == "facility" else "non_facility"
    rates = table.rates.set_index("code").reindex(list(codes)).dropna(subset=[column])
    frame = pd.DataFrame(
        {
            "Code": rates.index,
            "What it pays for": rates["label"].to_numpy(),
            "Payment": [f"${v:,.2f}" for v in rates[column]],
        }
    )
    place = table.locality
    where = (
        "national amounts (no geographic adjustment)"
        if place.state is None
        else f"Medicare locality {place.label}"
    )
    notes = [
        f"Medicare Physician Fee Schedule {table.year}, {where}, {SETTING_TEXT[setting]}. "
        "Medicare pays 80% and the patient 20%, before the federal sequestration cut."
    ]
    if place.gpci_year is not None and place.gpci_year != table.year:
        notes.append(
            f"Caveat: the {table.year} rates are adjusted for your locality with the "
            f"{place.gpci_year} locality cost indices (GPCIs), the latest CMS file available to "
            f"us; the {table.year} amounts CMS pays in your locality may differ slightly."
        )
    return html_table(frame, text_columns=("Code", "What it pays for")) + paragraphs(*notes)


# ------------------------------------------------------------------------------ models side by side


def comparison_table(scenarios: Mapping[str, ScenarioResult], monte: MonteCarlo) -> str:
    """The three delivery models side by side on the same patients and assumptions: the
    medians of the simulations with their 8-in-10 bands, and the run at the default values."""
    horizon = len(next(iter(scenarios.values())).monthly)
    years, final = years_text(horizon), final_year_text(horizon)
    rows: dict[str, dict[str, str]] = {}
    for key, r in scenarios.items():
        breaking_even = float(monte.summary.loc[key, "share_breaking_even"])
        low, high = r.band("horizon_net")
        rows[model_label(key)] = {
            f"Enrolled patients, {final} average": whole(r.central("enrolled_steady_state")),
            f"Your staff needed, {final}: staff + practitioners": practice_hours_text(r),
            f"Net per month, {final}": central_money(r, "monthly_net_steady_state"),
            "Net in year 1": central_money(r, "year1_net"),
            f"Net over {years}, cash": central_money(r, "cash_horizon_net"),
            "Value of your practitioners' time": central_money(r, "practitioner_time_value"),
            f"Net over {years} after that time": central_money(r, "horizon_net"),
            "Range, 8 in 10 simulations": f"{money(low)} to {money(high)}",
            "Set-up before the first enrolment": f"{r.setup_months} months",
            "First payment": f"Month {r.first_payment_month}",
            "Break-even": month_text(r.central("break_even_month"), horizon),
            f"Chance of breaking even within {years}": percent(breaking_even),
            "Most cash tied up before break-even": central_money(r, "peak_cash_need"),
            "Return on costs (ROI)": percent(r.central("roi")),
            "Net per enrolled patient a month": central_money(r, "net_per_enrolled_month"),
        }
    frame = pd.DataFrame(rows).rename_axis("").reset_index()
    note = paragraphs(
        "Money, months and patients are the middle (median) of 500 simulations over the "
        "plausible range of every assumption, each drawn around the value in use; the range is "
        "where 8 in 10 of them fall (net after the practitioners' time). Cash is money in and "
        "out of your bank account; the practitioners' time is valued at the visits it "
        "displaces, or at nothing when their schedules have room. The single run at the "
        "default values is in the appendix and the workbook."
    )
    return html_table(frame, text_columns=("",)) + note


# ------------------------------------------------------------------------------ sensitivity


def sensitivity_html(tornado: pd.DataFrame, monte: MonteCarlo, model: str) -> str:
    """The few assumptions that matter most for `model`, and how often each model pays back."""
    rows = tornado[tornado["model"] == model].head(3)
    top = [
        f"{label}: {value_text(low, unit)} to {value_text(high, unit)} moves the net at the "
        f"default values from {money(net_low)} to {money(net_high)}."
        for label, unit, low, high, net_low, net_high in rows[
            ["label", "unit", "low", "high", "horizon_net_low", "horizon_net_high"]
        ].to_numpy()
    ]
    earning = monte.summary["share_earning"]
    odds = [
        f"{model_label(key)} earns money in {percent(float(earning[key]))} "
        f"of {monte.draws} simulations."
        for key in DELIVERY_MODELS
    ]
    return callout(
        f"What matters most for the {model_label(model).lower()} model", bullets=top
    ) + callout("How often each model earns money over the period", bullets=odds)


# ------------------------------------------------------------------------------ readiness and plan


def gaps_table(readiness: Readiness, *, cms_required: bool, model: str | None = None) -> str:
    """The gaps that are CMS requirements (or the others), most points lost first; actions
    phrased for the delivery `model` (in-house wording when None)."""
    heading = (
        "<h4>CMS requirements: in place before the first claim</h4>"
        if cms_required
        else "<h4>What keeps the program running month after month</h4>"
    )
    gaps = [g for g in readiness.gaps if g.cms_required == cms_required]
    if not gaps and readiness.assessed_share == 0:
        return heading + paragraphs("Not assessed: the readiness questionnaire was not answered.")
    if not gaps:
        return heading + paragraphs("None: every answered question here is fully in place.")
    frame = pd.DataFrame(
        {
            "Gap": [g.label for g in gaps],
            "Today": [g.answer for g in gaps],
            "Action": [g.action_for(model) for g in gaps],
            "Who": [g.owner for g in gaps],
        }
    )
    return heading + html_table(frame, text_columns=tuple(frame.columns))


def invisible_work_html(readiness: Readiness, work: InvisibleWork | None) -> str:
    """The between-visit work already done, valued as CCM (None: hours not assessed)."""
    if work is None:
        return callout(
            "Not valued",
            ["Hours spent on between-visit coordination were not assessed, so this is not valued."],
        )
    hours = readiness.coordination_hours_per_week
    return callout(
        "Already happening, not yet billed",
        [
            f"Your staff already spend about {hours:g} hours a week on calls after labs, "
            "medication checks, specialist coordination and follow-up after discharge. "
            f"Organised as CCM, about {percent(work.billable_share)} of that time would be "
            f"billable: roughly {work.patients_supported:,.0f} patients a month, "
            f"{money(work.collected_per_month)} a month or {money(work.collected_per_year)} "
            "a year collected.",
            "That is revenue for work already being done: it needs tracking, consent and a care "
            "plan, not new effort.",
        ],
    )
