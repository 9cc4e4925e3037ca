"""Report text, tables and key-number cards as HTML snippets for the report notebook.

Every function returns a string of HTML for ``IPython.display.HTML`` and uses the classes of
``templates/report/static/report.css`` (``.kpi-grid > .kpi``, ``.callout``, ``.caution``,
``.model-<key>``, ``td.text``). Text that comes from data (practice, provider, column headers,
plan and assumption texts) is escaped with ``html.escape``; patient counts for a subgroup go
through ``privacy`` (1-10 shows as "<11"). Money is whole US dollars (no cents) except the
per-unit Medicare rates. No patient-level value ever reaches these functions' output.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess import fees, staffing
from ccm_assess.assumptions import Assumptions
from ccm_assess.model import (
    COST_COLUMNS,
    DELIVERY_MODELS,
    STEADY_STATE_MONTHS,
    InvisibleWork,
    ScenarioResult,
)
from ccm_assess.panel import Panel
from ccm_assess.privacy import SUPPRESSED, format_count, is_small, suppress_counts
from ccm_assess.readiness import Readiness, questionnaire_definition, round_score
from ccm_assess.recommendation import Recommendation
from ccm_assess.sensitivity import MonteCarlo

MINUS = "\u2212"
INDENT = "\u00a0" * 4  # no-break spaces: a sub-row in a table
DASH = "\u2013"
PAYER_LABELS: Mapping[str, str] = {
    "medicare_ffs": "Medicare (traditional)",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "commercial": "Commercial",
    "self_pay": "Self-pay",
    "other": "Other (VA, TRICARE, ...)",
    "unknown": "Not recognised",
}
COST_LABELS: Mapping[str, str] = {
    "cost_clinical_staff": "Care-manager staff",
    "cost_outreach_consent": "Enrolment calls and consent",
    "cost_program_owner": "Program owner's time",
    "cost_practitioner": "Practitioner time",
    "cost_software": "Care-management software",
    "cost_billing": "Billing and reconciliation",
    "cost_vendor": "Vendor fees",
    "cost_startup": "Start-up (one time)",
}
RATE_CODES = ("99490", "99439", "99487", "99489", "99491", "99437", "G0506", "99426")
RATE_CODES += ("G0556", "G0557", "G0558")


# ------------------------------------------------------------------------------ text formats


def money(amount: float | None) -> str:
    """Whole US dollars: ``$12,400``, ``−$1,200``; unknown as a dash."""
    if amount is None or not np.isfinite(amount):
        return DASH
    rounded = round(float(amount))
    return f"{MINUS if rounded < 0 else ''}${abs(rounded):,}"


def percent(share: float | None, decimals: int = 0) -> str:
    """A fraction as a percentage: 0.354 -> ``35%``."""
    return DASH if share is None or not np.isfinite(share) else f"{share:.{decimals}%}"


def month_text(month: float | None, horizon: int) -> str:
    """``Month 7``, or ``Not within 3 years``."""
    if month is None or not np.isfinite(month):
        return f"Not within {horizon / 12:g} years"
    return f"Month {int(month)}"


def fte_text(ftes: float) -> str:
    """FTEs to one decimal; a small non-zero amount is "under 0.1", not "0.0"."""
    return "under 0.1" if 0 < ftes < 0.05 else f"{ftes:.1f}"


def value_text(value: Any, unit: str) -> str:
    """An assumption's value in words by its unit: 35%, $86,070, 35 minutes, yes."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return DASH
    if isinstance(value, bool) or unit == "bool":
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("_", " ")
    if unit.startswith("share"):
        return f"{value * 100:.3g}%"
    if unit.startswith("USD"):
        per = unit.removeprefix("USD").removeprefix("/")
        return money(value) + (f" per {per.replace('-', ' ')}" if per else "")
    return f"{value:,.4g} {unit.replace('/', ' per ')}".strip()


def range_text(low: float, high: float, unit: str) -> str:
    """A plausible range in words with the unit once: 20%-60%, $5-$25 per patient month."""
    if unit.startswith("share"):
        return f"{low * 100:.3g}%{DASH}{high * 100:.3g}%"
    if unit.startswith("USD"):
        return f"{money(low)}{DASH}{value_text(high, unit)}"
    return f"{low:,.4g}{DASH}{value_text(high, unit)}"


def _e(text: object) -> str:
    return html.escape(str(text))


def _count_text(value: Any) -> str:
    """A subgroup's patient count, suppressed when 1-10 (already suppressed text passes)."""
    return SUPPRESSED if not isinstance(value, str) and is_small(value) else format_count(value)


def _label(model: str) -> str:
    return DELIVERY_MODELS[model].label


def _years(horizon_months: int) -> str:
    return f"{horizon_months / 12:g} years"


# ------------------------------------------------------------------------------ building blocks


@dataclass(frozen=True)
class Kpi:
    """One key-number card: value and label as plain text, optional note and model accent."""

    value: str
    label: str
    note: str = ""
    model: str | None = None


def kpi_grid(kpis: Iterable[Kpi], *, columns: int | None = None) -> str:
    """Key-number cards in a grid (``.kpi-grid``): responsive, or `columns` equal columns."""
    cards = []
    for kpi in kpis:
        accent = f" model-{kpi.model}" if kpi.model else ""
        note = f'<div class="kpi-note">{_e(kpi.note)}</div>' if kpi.note else ""
        cards.append(
            f'<div class="kpi{accent}"><div class="kpi-value">{_e(kpi.value)}</div>'
            f'<div class="kpi-label">{_e(kpi.label)}</div>{note}</div>'
        )
    style = f' style="grid-template-columns: repeat({columns}, 1fr)"' if columns else ""
    return f'<div class="kpi-grid"{style}>{"".join(cards)}</div>'


def callout(
    title: str,
    paragraphs: Iterable[str] = (),
    *,
    bullets: Iterable[str] = (),
    caution: bool = False,
    model: str | None = None,
) -> str:
    """A boxed note: a bold title, plain-text paragraphs, then an optional bullet list."""
    classes = "callout" + (" caution" if caution else "") + (f" model-{model}" if model else "")
    body = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    items = "".join(f"<li>{_e(b)}</li>" for b in bullets)
    listing = f"<ul>{items}</ul>" if items else ""
    return (
        f'<div class="{classes}"><div class="callout-title">{_e(title)}</div>{body}{listing}</div>'
    )


def html_table(
    frame: pd.DataFrame, *, text_columns: Sequence[str] = (), caption: str | None = None
) -> str:
    """A plain HTML table of already formatted cells (index ignored), every cell escaped.

    Columns named in `text_columns` are left-aligned (``td.text``); the others are numbers.
    """
    left = ' style="text-align:left"'
    head = "".join(f"<th{left if c in text_columns else ''}>{_e(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):  # formatted report rows, not patients
        cells = "".join(
            f"<td{' class=text' if column in text_columns else ''}>{_e(value)}</td>"
            for column, value in zip(frame.columns, record, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    top = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{top}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def paragraphs(*texts: str) -> str:
    """Plain-text paragraphs as HTML."""
    return "".join(f"<p>{_e(t)}</p>" for t in texts if t)


# ------------------------------------------------------------------------------ executive summary


def hours_per_week(ftes: float, assumptions: Assumptions) -> float:
    """Staff hours a week for `ftes` FTE (productive hours a month / weeks a month)."""
    per_month = staffing.PAID_HOURS_PER_YEAR * float(assumptions["productive_share"]) / 12
    return ftes * per_month / staffing.WEEKS_PER_MONTH


def executive_kpis(
    counts: Mapping[str, Any],
    scenarios: Mapping[str, ScenarioResult],
    recommendation: Recommendation,
    assumptions: Assumptions,
    readiness: Readiness,
) -> str:
    """The key numbers: eligible, expected enrolled, 3-year net, break-even, staff, readiness."""
    choice = recommendation.choice
    chosen = scenarios[choice]
    horizon = len(chosen.monthly)
    eligibility = counts["eligibility"]
    analysed = counts["panel"]["patients_analysed"]
    ftes = chosen.ftes_steady_state
    staff = (
        f"{ftes:.1f} FTE" if ftes >= 0.25 else f"{hours_per_week(ftes, assumptions):.0f} h a week"
    )
    score = round_score(readiness.score)
    in_house = scenarios["in_house"].ftes_steady_state
    have = recommendation.hours_available_per_week
    said = "not assessed" if have is None else f"{have:g} h a week"
    name = _label(choice).lower()
    return kpi_grid(
        [
            Kpi(
                format_count(eligibility["ccm_eligible"]),
                "Eligible for CCM",
                f"of {format_count(analysed)} patients analysed",
            ),
            Kpi(
                f"{chosen.enrolled_steady_state:,.0f}",
                "Expected enrolled",
                f"year {horizon // 12} average, {name}",
                choice,
            ),
            Kpi(
                money(chosen.horizon_net),
                f"{horizon / 12:g}-year net",
                f"{name}; 8 in 10 simulations {money(chosen.p10_horizon_net)} to "
                f"{money(chosen.p90_horizon_net)}",
                choice,
            ),
            Kpi(
                month_text(chosen.break_even_month, horizon).replace("Not within", "None in"),
                "Break-even",
                f"{name}: the running total turns positive",
                choice,
            ),
            Kpi(
                staff,
                "Your staff needed",
                f"{name}; in-house {in_house:.1f} FTE; you set aside {said}",
                choice,
            ),
            Kpi("not scored" if score is None else f"{score}/100", "Readiness", readiness.maturity),
        ],
        columns=3,
    )


CONFIDENCE_TEXT = {
    "high": "High: the numbers and the answers point the same way.",
    "medium": "Medium: one point argues the other way (see below).",
    "low": "Low: several points are uncertain; treat this as a starting point.",
}


def recommendation_html(recommendation: Recommendation) -> str:
    """The recommendation in plain words: what, why and how sure."""
    choice = recommendation.choice
    what = DELIVERY_MODELS[choice]
    return callout(
        f"Our recommendation: start with a {what.label.lower()} CCM program",
        [what.description, "How sure we are: " + CONFIDENCE_TEXT[recommendation.confidence]],
        bullets=recommendation.reasons,
        model=choice,
    )


def would_change_html(recommendation: Recommendation) -> str:
    """What would change the recommendation, as a short list."""
    items = "".join(f"<li>{_e(t)}</li>" for t in recommendation.would_change)
    return f"<p><strong>What would change our recommendation:</strong></p><ul>{items}</ul>"


def next_steps_html(plan: pd.DataFrame, n: int = 3) -> str:
    """The first `n` steps of the 90-day plan as a numbered list."""
    items = [
        f"<li><strong>Week {_e(weeks)}:</strong> {_e(action)} <em>({_e(owner)})</em></li>"
        for weeks, action, owner in plan[["weeks", "action", "owner"]].head(n).to_numpy()
    ]
    return f"<p><strong>Next steps:</strong></p><ol>{''.join(items)}</ol>"


# ------------------------------------------------------------------------------ your patients


def programs_table(counts: Mapping[str, Any]) -> str:
    """Patients per program beyond standard CCM (small counts suppressed; unknown said so)."""
    eligibility = counts["eligibility"]
    tiers = suppress_counts(eligibility["apcm_tiers"])
    rows = [
        ("Eligible for CCM (2 or more chronic conditions)", eligibility["ccm_eligible"]),
        (
            "Candidates for complex CCM (3 or more conditions and a hospital stay or 2+ ER visits)",
            eligibility["complex_ccm_candidates"],
        ),
        (
            "Need an initiating visit first (not seen in the last 12 months)",
            eligibility["needs_initiating_visit"],
        ),
        ("One chronic condition: candidates for PCM instead", eligibility["pcm_candidates"]),
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
            "Patients": ["not known" if r[1] is None else _count_text(r[1]) for r in rows],
        }
    )
    return html_table(frame, text_columns=("Group",))


# ------------------------------------------------------------------------------ staffing


def _steady(scenario: ScenarioResult) -> pd.DataFrame:
    return scenario.monthly.tail(STEADY_STATE_MONTHS)


def weekly_hours(scenario: ScenarioResult) -> dict[str, float]:
    """Average practice hours a week in the last 12 months, by kind of work."""
    steady = _steady(scenario)
    kinds = {
        "Monthly care": "clinical_hours",
        "Enrolment calls and consent": ("outreach_hours", "consent_hours"),
        "Program owner": "owner_hours",
        "Billing practitioner": "practitioner_hours",
    }
    out = {}
    for label, columns in kinds.items():
        names = [columns] if isinstance(columns, str) else list(columns)
        out[label] = float(steady[names].sum(axis=1).mean()) / staffing.WEEKS_PER_MONTH
    return out


def staffing_table(scenarios: Mapping[str, ScenarioResult]) -> str:
    """Practice staff per model at steady state: FTEs, hours a week, caseload."""
    rows = {}
    for key, result in scenarios.items():
        hours = weekly_hours(result)
        steady = _steady(result)
        rows[_label(key)] = {
            "Care-manager FTE": fte_text(steady["clinical_ftes"].mean()),
            "All practice staff FTE": fte_text(result.ftes_steady_state),
            **{f"{k}, h/week": f"{v:.0f}" for k, v in hours.items()},
            "Patients per care manager": (
                DASH if result.caseload_per_fte is None else f"{result.caseload_per_fte:.0f}"
            ),
        }
    frame = pd.DataFrame(rows).rename_axis("Year 3 average").reset_index()
    return html_table(frame, text_columns=("Year 3 average",))


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
        lead = (
            f"Run in-house, the program needs about {need:.0f} clinical staff hours a week in "
            "year 3" + ("." if have is None else f"; the practice can set aside {have:g}.")
        )
        warnings = [w for result in scenarios.values() for w in result.warnings]
        out += callout("Staff capacity", [lead], bullets=warnings, caution=True)
    return out


def caseload_html(scenarios: Mapping[str, ScenarioResult]) -> str:
    """Patients per care manager per model against the published caseload benchmarks."""
    source = f" ({staffing.CASELOAD_SOURCE})"
    caseloads = [
        f"{_label(key)}: {r.caseload_note.replace(source, '')}"
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


def year_sums(monthly: pd.DataFrame, column: str) -> list[float]:
    """Sums of a monthly column per 12-month year."""
    return [float(v) for v in monthly[column].groupby((monthly["month"] - 1) // 12).sum()]


def pnl_table(scenarios: Mapping[str, ScenarioResult]) -> str:
    """Profit and loss per model over the horizon (USD, whole dollars): revenue, costs, net."""
    columns: dict[str, dict[str, str]] = {}
    used = [
        c for c in COST_COLUMNS if any(r.monthly[c].abs().sum() > 0.5 for r in scenarios.values())
    ]
    for key, result in scenarios.items():
        m = result.monthly
        column = {
            "Billed (Medicare allowed amount)": money(m["gross_allowed"].sum()),
            "Collected (after coinsurance, 2% cut, denials)": money(m["collected_revenue"].sum()),
            **{f"{DASH} {COST_LABELS[c]}": money(-m[c].sum()) for c in used},
            "Total costs": money(-m["costs"].sum()),
            "Net": money(m["net"].sum()),
        }
        for year, net in enumerate(year_sums(m, "net"), start=1):
            column[f"Net in year {year}"] = money(net)
        columns[_label(key)] = column
    horizon = len(next(iter(scenarios.values())).monthly)
    frame = pd.DataFrame(columns).rename_axis(f"Over {_years(horizon)}").reset_index()
    return html_table(frame, text_columns=(frame.columns[0],))


def rates_html(table: fees.RateTable, codes: Sequence[str] = RATE_CODES) -> str:
    """The Medicare rates used (USD per unit, with cents) with year, locality and caveats."""
    rates = table.rates.set_index("code").reindex(list(codes)).dropna(subset=["non_facility"])
    frame = pd.DataFrame(
        {
            "Code": rates.index,
            "What it pays for": rates["label"].to_numpy(),
            "Payment": [f"${v:,.2f}" for v in rates["non_facility"]],
        }
    )
    place = table.locality
    where = (
        "national amounts (no geographic adjustment)"
        if place.state is None
        else f"Medicare locality {place.label}"
    )
    notes = [
        f"Medicare Physician Fee Schedule {table.year}, {where}, office (non-facility) rates. "
        "Medicare pays 80% and the patient 20%, before the 2% federal sequestration cut."
    ]
    if place.gpci_year is not None and place.gpci_year != table.year:
        notes.append(
            f"Caveat: the {table.year} rates are adjusted for your locality with the "
            f"{place.gpci_year} locality cost indices (GPCIs), the latest CMS file available to "
            f"us; the {table.year} amounts CMS pays in your locality may differ slightly."
        )
    return html_table(frame, text_columns=("Code", "What it pays for")) + paragraphs(*notes)


# ------------------------------------------------------------------------------ models side by side


def models_explained() -> str:
    """One line per delivery model, with its colour."""
    items = "".join(
        f'<li><strong class="model-{key}">{_e(m.label)}:</strong> {_e(m.description)}</li>'
        for key, m in DELIVERY_MODELS.items()
    )
    return f"<ul>{items}</ul>"


def comparison_table(scenarios: Mapping[str, ScenarioResult], monte: MonteCarlo) -> str:
    """The three delivery models side by side on the same patients and assumptions."""
    horizon = len(next(iter(scenarios.values())).monthly)
    years = _years(horizon)
    rows: dict[str, dict[str, str]] = {}
    for key, r in scenarios.items():
        breaking_even = float(monte.summary.loc[key, "share_breaking_even"])
        rows[_label(key)] = {
            "Enrolled patients, year 3 average": f"{r.enrolled_steady_state:,.0f}",
            "Your staff needed (FTE)": fte_text(r.ftes_steady_state),
            "Net per month, year 3": money(r.monthly_net_steady_state),
            "Net in year 1": money(r.year1_net),
            f"Net over {years}": money(r.horizon_net),
            "Range, 8 in 10 simulations": (
                f"{money(r.p10_horizon_net)} to {money(r.p90_horizon_net)}"
            ),
            "Break-even": month_text(r.break_even_month, horizon),
            f"Chance of breaking even within {years}": percent(breaking_even),
            "Most cash tied up before break-even": money(r.peak_cash_need),
            "Return on costs (ROI)": percent(r.roi),
            "Net per enrolled patient a month": money(r.net_per_enrolled_month),
        }
    frame = pd.DataFrame(rows).rename_axis("").reset_index()
    return html_table(frame, text_columns=("",))


# ------------------------------------------------------------------------------ sensitivity


def sensitivity_html(tornado: pd.DataFrame, monte: MonteCarlo, model: str) -> str:
    """The few assumptions that matter most for `model`, and how often each model pays back."""
    rows = tornado[tornado["model"] == model].head(3)
    top = [
        f"{label}: {value_text(low, unit)} to {value_text(high, unit)} moves the net from "
        f"{money(net_low)} to {money(net_high)}."
        for label, unit, low, high, net_low, net_high in rows[
            ["label", "unit", "low", "high", "horizon_net_low", "horizon_net_high"]
        ].to_numpy()
    ]
    outcomes = monte.outcomes
    earning = outcomes.assign(earns=outcomes["horizon_net"] > 0).groupby("model")["earns"].mean()
    odds = [
        f"{_label(key)} earns money in {percent(float(earning[key]))} of {monte.draws} simulations."
        for key in DELIVERY_MODELS
    ]
    return callout(
        f"What matters most for the {_label(model).lower()} model", bullets=top
    ) + callout("How often each model earns money over the period", bullets=odds)


# ------------------------------------------------------------------------------ readiness and plan


def gaps_table(readiness: Readiness, *, cms_required: bool) -> str:
    """The gaps that are CMS requirements (or the others), most points lost first."""
    heading = (
        "<h4>CMS requirements: in place before the first claim</h4>"
        if cms_required
        else "<h4>What keeps the program running month after month</h4>"
    )
    gaps = [g for g in readiness.gaps if g.cms_required == cms_required]
    if not gaps:
        return heading + paragraphs("None: every answered question here is fully in place.")
    frame = pd.DataFrame(
        {
            "Gap": [g.label for g in gaps],
            "Today": [g.answer for g in gaps],
            "Action": [g.action for g in gaps],
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
            f"{money(work.collected_per_month)} a month or {money(12 * work.collected_per_month)} "
            "a year collected.",
            "That is revenue for work already being done: it needs tracking, consent and a care "
            "plan, not new effort.",
        ],
    )


def plan_table(plan: pd.DataFrame) -> str:
    """The 90-day launch plan (weeks, action, owner, why)."""
    frame = plan.rename(
        columns={"weeks": "Weeks", "action": "Action", "owner": "Who", "why": "Why it matters"}
    )[["Weeks", "Action", "Who", "Why it matters"]]
    return html_table(frame, text_columns=("Action", "Who", "Why it matters"))


# ------------------------------------------------------------------------------ appendix

GROUP_TITLES: Mapping[str, str] = {
    "enrolment": "Enrolment",
    "billing": "Billing",
    "payer": "Payers and collection",
    "staffing": "Staffing",
    "costs": "Costs",
    "vendor": "Vendors",
    "model": "Model",
}
BASIS_TEXT = (
    "Basis: [P] primary source (CMS, a federal agency or a peer-reviewed study), [S] secondary "
    "source, [V] a vendor's claim, [A] our assumption where no source gives a number (these get "
    "a wide plausible range and move in the sensitivity analysis)."
)


def assumptions_appendix(assumptions: Assumptions, rows_per_part: int = 5) -> list[str]:
    """Every model assumption by group: value used, plausible range, basis and source.

    Parts of at most `rows_per_part` rows, each meant to be its own output, so that a printed
    page can break between them."""
    table = assumptions.table()
    changed = set(assumptions.changed())
    outside = set(assumptions.outside_plausible())
    notes = [BASIS_TEXT]
    if changed:
        notes.append(
            "Values marked * were changed from our defaults for this practice"
            + ("; those marked ! lie outside the plausible range." if outside else ".")
        )
    parts = []
    for group, rows in table.groupby("group", sort=False):
        marks = ["*" * (n in changed) + "!" * (n in outside) for n in rows["name"]]
        frame = pd.DataFrame(
            {
                "Assumption": rows["label"].to_numpy(),
                "Value": [
                    value_text(v, u) + m
                    for v, u, m in zip(rows["value"], rows["unit"], marks, strict=True)
                ],
                "Plausible range": [
                    DASH if pd.isna(lo) or lo == hi else range_text(lo, hi, u)
                    for lo, hi, u in zip(rows["low"], rows["high"], rows["unit"], strict=True)
                ],
                "Basis and source": rows["source"].to_numpy(),
            }
        )
        title = f"<h4>{_e(GROUP_TITLES.get(str(group), str(group)))}</h4>"
        for start in range(0, len(frame), rows_per_part):
            chunk = frame.iloc[start : start + rows_per_part]
            table_html = html_table(chunk, text_columns=("Assumption", "Basis and source"))
            parts.append((title if start == 0 else "") + table_html)
    parts[0] = paragraphs(*notes) + parts[0]
    return parts


ROLE_LABELS: Mapping[str, str] = {
    "patient_id": "Patient ID",
    "diagnosis": "Diagnosis codes",
    "primary_payer": "Primary insurance",
    "secondary_payer": "Secondary insurance",
    "last_visit_date": "Last visit",
    "provider": "Provider",
    "location": "Location",
    "deceased": "Deceased",
    "death_date": "Date of death",
    "hospice": "Hospice",
    "inpatient_admits_12m": "Hospital admissions (12 months)",
    "ed_visits_12m": "ER visits (12 months)",
    "sex": "Sex",
    "birth_date": "Date of birth",
    "name": "Patient name",
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "address": "Address",
}
WORKLIST_ONLY = frozenset({"birth_date", "name", "first_name", "last_name", "phone", "address"})


def reconciliation_table(counts: Mapping[str, Any], ledger: pd.DataFrame) -> str:
    """From the rows in the file to the patients analysed; every subtotal adds up."""
    panel, excluded = counts["panel"], counts["excluded"]
    rows: list[tuple[str, int]] = [("Rows in the file", panel["rows_read"])]
    rows.append((f"{INDENT}used", panel["rows_used"]))
    for status in ("skipped", "rejected"):
        reasons = ledger.loc[ledger["status"] == status, "reason"].value_counts(sort=True)
        rows += [(f"{INDENT}{status}: {reason}", int(n)) for reason, n in reasons.items()]
    left_out = sum(v or 0 for v in excluded.values())
    rows += [
        ("Patients in the used rows (rows of one patient are combined)", panel["patients"]),
        (f"{INDENT}left out: deceased or in hospice", left_out),
        ("Patients analysed", panel["patients_analysed"]),
    ]
    frame = pd.DataFrame({"": [r[0] for r in rows], "Count": [format_count(r[1]) for r in rows]})
    adds_up = (
        panel["rows_used"] + panel["rows_skipped"] + panel["rows_rejected"] == panel["rows_read"]
        and panel["patients"] - left_out == panel["patients_analysed"]
    )
    check = (
        "Check: used + skipped + rejected rows = rows in the file, and patients − left out = "
        "patients analysed."
        if adds_up
        else "Warning: the row counts do not add up; please tell the preparer."
    )
    return html_table(frame, text_columns=("",)) + paragraphs(check)


def quality_table(panel: Panel, ccir_unknown: pd.DataFrame) -> str:
    """What could not be used in the file (counts only, no values from the file)."""
    q = panel.quality
    rows = [
        (
            "Diagnosis entries that are not ICD-10 codes (abbreviations, typos)",
            format_count(int(q.invalid_codes["count"].sum())),
            "ignored",
        ),
        ("Old ICD-9 codes", format_count(int(q.icd9_codes["count"].sum())), "ignored: recode"),
        (
            "Patients whose insurance name was not recognised",
            _count_text(int(q.unknown_payers["count"].sum())),
            "treated as not billable",
        ),
        (
            "Dates that could not be used",
            format_count(int(q.bad_dates["count"].sum())),
            "left blank",
        ),
        (
            "Yes/no or count cells that could not be read",
            format_count(int(q.bad_values["count"].sum())),
            "left blank",
        ),
    ]
    rows += [
        (
            f"Patients whose rows disagree on {ROLE_LABELS.get(c, c).lower()}",
            _count_text(int(n)),
            "first value kept",
        )
        for c, n in q.conflicts[["column", "patients"]].to_numpy()
    ]
    rows.append(
        (
            "Codes the broader chronic-condition list could not place",
            format_count(len(ccir_unknown)),
            "not counted as chronic",
        )
    )
    frame = pd.DataFrame(rows, columns=["Issue", "Count", "What we did"])
    return html_table(frame, text_columns=("Issue", "What we did"))


def columns_table(panel: Panel) -> str:
    """Which column of the file fed each piece of information (headers escaped)."""
    rows = []
    for role, label in ROLE_LABELS.items():
        headers = panel.mapping.get(role)
        if headers:
            use = "worklist only, not in this report" if role in WORKLIST_ONLY else "used"
            rows.append((label, ", ".join(map(str, headers)), use))
        elif role not in WORKLIST_ONLY:
            rows.append((label, "not in the file", "not used"))
    frame = pd.DataFrame(rows, columns=["Information", "Column in your file", "Use"])
    return html_table(frame, text_columns=tuple(frame.columns))


def method_html(
    as_of: dt.date, table: fees.RateTable, assumptions: Assumptions, monte: MonteCarlo
) -> str:
    """How the numbers were made, in plain words."""
    horizon = int(assumptions["horizon_months"])
    return paragraphs(
        "Patients: we read the practice's panel export and looked at every patient alive and not "
        f"in hospice on {as_of:%B} {as_of.day}, {as_of.year}. Diagnosis codes were grouped into "
        "chronic conditions with a published list based on the CMS Chronic Conditions "
        "Warehouse; a patient with two or more of them is eligible for CCM. Complex CCM, PCM and "
        "APCM follow the CMS rules for each program.",
        f"Money: each delivery model is simulated month by month for {horizon} months: patients "
        "are offered CCM at the pace the outreach staff allow, some agree, some stop or die, "
        "and a share of enrolled months reach the billing time threshold. Payments use the "
        f"Medicare Physician Fee Schedule {table.year} for {table.locality.label}, less the "
        "patient's 20% share where it goes uncollected, the 2% sequestration cut and denials. "
        "Staff time and costs follow the assumptions listed above; no number was invented "
        "without a label.",
        f"Uncertainty: the tornado moves one assumption at a time to the ends of its plausible "
        f"range. The simulations draw all of them at once, {monte.draws} times (seed "
        f"{monte.seed}, so the same inputs always give the same answer).",
        "Privacy: the report shows counts only. Any group of 1 to 10 patients shows as <11, and "
        "no name, date of birth or identifier leaves the practice's worklist.",
    )


GLOSSARY: Mapping[str, str] = {
    "CCM (Chronic Care Management)": (
        "Medicare payment for at least 20 minutes a month of care between visits for a "
        "patient with two or more chronic conditions expected to last 12 months or more "
        "(codes 99490, 99439)."
    ),
    "Complex CCM": (
        "CCM for patients needing at least 60 minutes a month and a substantial care plan "
        "change (codes 99487, 99489)."
    ),
    "Practitioner CCM": (
        "CCM time spent by the physician or practitioner personally (codes 99491, 99437)."
    ),
    "G0506": (
        "A one-time add-on when the practitioner does an extended assessment and care plan at"
        " the start of CCM."
    ),
    "PCM (Principal Care Management)": (
        "Like CCM, for a patient with one serious chronic condition (codes 99424-99427)."
    ),
    "APCM (Advanced Primary Care Management)": (
        "Monthly payment, with no time threshold, for a practice responsible for all of a "
        "patient's primary care (codes G0556-G0558). It replaces CCM and PCM for the same "
        "patient and month."
    ),
    "Initiating visit": (
        "A visit (office visit, annual wellness visit or Welcome to Medicare visit) needed "
        "before CCM can start for a patient new to the practice or not seen in the last year."
    ),
    "Consent": (
        "The patient's agreement to CCM, recorded in the chart, after being told about the "
        "20% coinsurance and that only one practitioner can bill CCM a month."
    ),
    "FFS (fee-for-service) Medicare": (
        "Traditional Medicare, which pays the fee schedule for each service."
    ),
    "MA (Medicare Advantage)": (
        "Medicare run by a private plan; it pays for CCM under its contract with the practice."
    ),
    "Medicaid / dual eligible": (
        "State coverage for low-income patients; a dual-eligible patient has both Medicare "
        "and Medicaid."
    ),
    "Allowed amount": (
        "What Medicare allows for a service: Medicare pays 80%, the patient (or their "
        "secondary insurance) 20%."
    ),
    "Coinsurance": ("The patient's 20% share of the allowed amount."),
    "Sequestration": ("A 2% federal cut to Medicare's share of each payment."),
    "Denials": ("Claims not paid, or paid only after rework."),
    "GPCI (Geographic Practice Cost Index)": (
        "The factors that adjust Medicare rates to the cost of practising in a locality."
    ),
    "Locality": ("One of Medicare's payment areas (for example a state or a large city)."),
    "Fee schedule, RVU and conversion factor": (
        "Medicare's price list: each code has relative value units (RVUs), adjusted by GPCIs "
        "and multiplied by the yearly conversion factor in dollars."
    ),
    "CMS": ("The Centers for Medicare & Medicaid Services, the federal agency that runs Medicare."),
    "QMB (Qualified Medicare Beneficiary)": (
        "A Medicare patient whose Medicaid pays the Medicare costs; it decides the highest APCM "
        "tier."
    ),
    "RN, LPN, medical assistant": (
        "Registered nurse, licensed practical nurse, medical assistant (MA as a staff role): the "
        "clinical staff who can give CCM time."
    ),
    "BLS": "The U.S. Bureau of Labor Statistics, source of the staff wages.",
    "Business associate agreement": (
        "The contract HIPAA requires before a vendor may handle your patients' information."
    ),
    "Delivery model": (
        "Who does the work: in-house (your staff), managed (a vendor) or hybrid (your staff "
        "with a vendor running enrolment, software and billing)."
    ),
    "Vendor revenue share": ("A managed vendor's fee taken as a share of what CCM collects."),
    "FTE (full-time equivalent)": (
        "One full-time employee's paid hours (2,080 a year); 0.5 FTE is half-time."
    ),
    "Care manager": ("The nurse or medical assistant who makes the monthly CCM contacts."),
    "Caseload": ("Enrolled patients per full-time care manager."),
    "Billable month": (
        "A month in which an enrolled patient reaches the time threshold, so CCM can be billed."
    ),
    "Steady state / year 3": (
        "The last 12 months of the simulation, when enrolment has grown and staffing has settled."
    ),
    "Net": ("Money collected minus all program costs."),
    "Cumulative net": ("The running total of net since launch."),
    "Break-even month": (
        "The first month in which the cumulative net is zero or more: start-up costs have "
        "been paid back."
    ),
    "ROI (return on costs)": (
        "Net over the period as a share of the costs: 20% means every $100 spent brings back $120."
    ),
    "Simulation (Monte Carlo)": (
        "Rerunning the model many times with every assumption drawn at random from its "
        "plausible range, to see the spread of outcomes."
    ),
    "P10 / P50 / P90": (
        "1 in 10 simulations ends below P10, half below P50, 9 in 10 below P90. 8 in 10 fall "
        "between P10 and P90."
    ),
    "Tornado chart": (
        "Shows how far the result moves when one assumption at a time goes to the low or high"
        " end of its range; the longest bars matter most."
    ),
    "Readiness score": (
        "0-100 per area from the questionnaire; an unanswered question is left out, not "
        "counted as yes."
    ),
    "Certified EHR": (
        "An electronic health record certified by the federal government; CMS requires CCM "
        "care plans to be kept in one."
    ),
    "24/7 access": (
        "Patients can reach a clinician who can see their care plan at any hour; a CMS "
        "requirement for CCM."
    ),
    "Care plan": (
        "The written plan of problems, goals, medicines and who does what; each CCM patient "
        "must have one and get a copy."
    ),
    "Worklist": (
        "The separate spreadsheet, kept inside the practice, listing the eligible patients by"
        " name for staff to enrol. It is the only output with patient details."
    ),
    "<11": (
        "A group of 1 to 10 patients, not shown exactly to protect privacy (CMS cell-size rule)."
    ),
}


def glossary_html() -> str:
    """Every term the report uses, in plain words."""
    frame = pd.DataFrame({"Term": list(GLOSSARY), "Meaning": list(GLOSSARY.values())})
    return html_table(frame, text_columns=("Term", "Meaning"))


def disclaimer_html(practice: str, prepared_by: str) -> str:
    """The closing disclaimer: an estimate, not billing or legal advice."""
    return callout(
        "Important",
        [
            f"This report estimates what a Chronic Care Management program could mean for "
            f"{practice}. It rests on the practice's own data as exported, published Medicare "
            "rates and the assumptions listed in this appendix; real results depend on how the "
            "program is run.",
            "It is not billing, coding, compliance or legal advice. Confirm coverage and rules "
            "with Medicare, your Medicare Advantage contracts and your advisers before billing.",
            f"Prepared by {prepared_by}.",
        ],
        caution=True,
    )
