"""Month-by-month simulation of a CCM program under three delivery models, and its metrics.

Spec: docs/model.md. Inputs are the `eligibility` counts of summary.json (never patient
rows), a rates mapping code -> Medicare allowed amount in USD per unit (fees.payment_rates),
an `Assumptions` object, and optional practice capacity from the questionnaire.

Per month m = 1..horizon (month 1 is the calendar month after the as-of date): nothing happens
during a model's set-up months (`setup_months_<model>`) but its fixed costs; then the target pool
(CCM-eligible Medicare FFS, plus Medicare Advantage when `ma_pays_ccm`, less those enrolled
elsewhere, plus newly eligible patients) is approached at the outreach pace, which is the same
outreach hours in every model divided by the minutes per patient approached (times
`vendor_pace_factor` where a vendor does the outreach); `consent_rate` of those approached
enrol; those needing an initiating visit start after a lag; enrolled patients drop out and
die. Patients who declined or stopped CCM are offered it again, on average
`reoffer_after_months` later, with the outreach capacity left after the never-approached
patients, and agree at `reoffer_consent_share` x `consent_rate`. So
enrolment rises, then levels off where new enrolments balance attrition (sooner with more
outreach capacity) and grows with the pool. `billable_month_rate` of enrolled months
are billed, each in one lane (99490+99439, 99487+99489 or 99491+99437); G0506 once, with a share
of the initiating visits. Fees follow the conversion factor of the service year (later years by
`cf_change_2027` and `cf_change_per_year_after_2027`). Collected = allowed x (1 - denials) x
[80% x (1 - sequestration) + 20% coinsurance paid by secondary cover or, without it, partly
uncollected; never from Qualified Medicare Beneficiaries]. Cash arrives `claims_lag_months` after
the service month (a fractional lag splits it over two months), so cash in month m is for
service months before m, and break-even cannot come before the first payment.

Everything runs on arrays shaped (draws, months): `simulate` is one draw; sensitivity.py runs
hundreds through `simulate_metrics`.

Longer than 400 lines because the monthly flows, the three delivery models' costs and the metrics
share the (draws, months) arrays of one vectorised pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.errors import ModelInputError
from ccm_assess.finance import staffing
from ccm_assess.finance.assumptions import Assumptions, Values

CCM_CODES = ("99490", "99439", "99487", "99489", "99491", "99437", "G0506")
CARE_CODES = CCM_CODES[:-1]  # the monthly codes (G0506 is billed once, at initiation)
PCM_CODE = "99426"  # PCM, first 30 minutes of clinical staff time
APCM_CODES = ("G0556", "G0557", "G0558")
STEADY_STATE_MONTHS = 12
CASH_COST_COLUMNS = (
    "cost_clinical_staff",
    "cost_outreach_consent",
    "cost_program_owner",
    "cost_software",
    "cost_after_hours",
    "cost_billing",
    "cost_startup",
    "cost_vendor",
)
"""Money that leaves the practice's bank account (USD a month)."""
TIME_VALUE_COLUMN = "cost_practitioner"
"""The value of the billing practitioners' CCM time (not cash; USD a month)."""
COST_COLUMNS = (*CASH_COST_COLUMNS[:3], TIME_VALUE_COLUMN, *CASH_COST_COLUMNS[3:])
SUMMARY_METRICS = (
    "enrolled_steady_state",
    "ftes_steady_state",
    "monthly_net_steady_state",
    "year1_net",
    "horizon_net",
    "break_even_month",
    "roi",
    "p10_horizon_net",
    "p90_horizon_net",
)

LAST_PUBLISHED_CF_YEAR = 2026  # later service years follow the cf_change_* assumptions


@dataclass(frozen=True)
class Calendar:
    """The calendar month of model month 1 and the fee-schedule year of the rates passed in."""

    year: int
    month: int
    rate_year: int


@dataclass(frozen=True)
class PracticeCapacity:
    """Questionnaire answers the model uses (hours a week; None when not answered).

    `ehr_has_care_tools`: the EHR is set up for care plans and CCM time (no software to buy);
    `has_24_7_access`: patients can already reach a clinician with the care plan 24/7.
    None (not assessed) counts as "no": the cost is included. `spare_hours_per_week`: clinical
    staff hours the practice already pays for and has free: they cost nothing until used up.
    `calendar`: when model month 1 is, for fees by service year (None: the rates passed in
    throughout).
    """

    dedicated_hours_per_week: float | None = None
    coordination_hours_per_week: float | None = None
    ehr_has_care_tools: bool | None = None
    has_24_7_access: bool | None = None
    calendar: Calendar | None = None
    spare_hours_per_week: float | None = None


def fee_index(values: Values, calendar: Calendar | None, months: int) -> np.ndarray:
    """Fee level by service month relative to the rates passed in, (draws, months).

    Years up to LAST_PUBLISHED_CF_YEAR are paid at the rates given (1.0); 2027 at
    1 + `cf_change_2027`, later years a further `cf_change_per_year_after_2027` a year.
    No calendar: 1.0 throughout.
    """
    change = values.cf_change_2027
    index = np.ones((change.shape[0], months))
    if calendar is None:
        return index
    years = calendar.year + (calendar.month - 1 + np.arange(months)) // 12
    later = np.maximum(years - 2027, 0)
    level = (1 + change[:, None]) * (1 + values.cf_change_per_year_after_2027[:, None]) ** later
    base_year = max(calendar.rate_year, LAST_PUBLISHED_CF_YEAR)
    return np.where(years > base_year, level, index)


@dataclass(frozen=True)
class PanelInputs:
    """The panel counts the model needs (CCM-eligible patients by billable payer class)."""

    ffs: float
    ma: float
    complex_share: float | None  # share of the billable pool that is a complex candidate
    visit_share: float | None  # share of eligible patients needing an initiating visit
    qmb_share: float | None = None  # share of Medicare 2+ condition patients who are QMB duals


def count_in(mapping: Mapping[str, Any] | None, key: str) -> float:
    """`mapping[key]` as a float (patients); missing or None counts as 0."""
    value = (mapping or {}).get(key)
    return float(value) if value is not None else 0.0


def panel_inputs(counts: Mapping[str, Any], ma_pays_ccm: bool) -> PanelInputs:
    """Pool sizes and shares from the summary.json `eligibility` dict; None = use a fallback."""
    by_payer = counts.get("ccm_eligible_by_payer")
    if by_payer is None:
        raise ModelInputError(
            "The eligibility counts have no `ccm_eligible_by_payer`: the model needs the "
            "CCM-eligible patients by payer class (run the eligibility step first)."
        )
    ffs = count_in(by_payer, "medicare_ffs")
    ma = count_in(by_payer, "medicare_advantage")
    pool = ffs + ma * ma_pays_ccm
    complex_share = None
    if counts.get("complex_ccm_candidates_by_payer") is not None and pool > 0:
        cx = counts["complex_ccm_candidates_by_payer"]
        complex_share = (
            count_in(cx, "medicare_ffs") + count_in(cx, "medicare_advantage") * ma_pays_ccm
        ) / pool
    elif counts.get("complex_ccm_candidates") is not None and counts.get("ccm_eligible"):
        complex_share = counts["complex_ccm_candidates"] / counts["ccm_eligible"]
    visit_share = None
    if counts.get("needs_initiating_visit") is not None and counts.get("ccm_eligible"):
        visit_share = counts["needs_initiating_visit"] / counts["ccm_eligible"]
    tiers = counts.get("apcm_tiers") or {}
    two_plus = count_in(tiers, "G0557") + count_in(tiers, "G0558")
    qmb_share = count_in(tiers, "G0558") / two_plus if two_plus > 0 else None
    return PanelInputs(
        ffs=ffs, ma=ma, complex_share=complex_share, visit_share=visit_share, qmb_share=qmb_share
    )


def check_rates(rates: Mapping[str, float], codes: tuple[str, ...]) -> dict[str, float]:
    """The rates for `codes` as floats, or a ModelInputError naming the missing ones."""
    missing = [code for code in codes if code not in rates]
    if missing:
        raise ModelInputError(
            f"The rates have no payment for {', '.join(missing)}: pass the full fee schedule "
            "of fees.payment_rates(year, locality)."
        )
    return {code: float(rates[code]) for code in codes}


def stack_values(
    assumptions: Assumptions, draws: int = 1, varied: Mapping[str, np.ndarray] | None = None
) -> Values:
    """Assumptions as arrays of shape (draws,) for numbers (scalars for bool/choice); `varied`
    gives some numbers one value per draw instead."""
    columns: dict[str, Any] = {}
    for name, value in assumptions.as_dict().items():
        numeric = assumptions.spec(name).kind in ("float", "int")
        columns[name] = np.full(draws, float(value)) if numeric else value
    for name, column in (varied or {}).items():
        columns[assumptions.spec(name).name] = np.asarray(column, dtype=float)
    return Values(**columns)


def collection_factor(values: Values, qmb_share: float | None = None) -> np.ndarray:
    """Collected USD per USD allowed: (1 - denials) x (Medicare share + coinsurance collected).

    Qualified Medicare Beneficiaries (`qmb_share`, the panel's or the assumption's) may not be
    billed coinsurance: none is collected for them.
    """
    coins = values.coinsurance
    covered = values.secondary_cover_share
    qmb = values.qmb_share if qmb_share is None else qmb_share
    coinsurance_paid = (1 - qmb) * (covered + (1 - covered) * (1 - values.uncollected_share))
    medicare = (1 - coins) * (1 - values.sequestration)
    collected: np.ndarray = (1 - values.denial_rate) * (medicare + coins * coinsurance_paid)
    return collected


def payer_factor(inputs: PanelInputs, values: Values) -> np.ndarray:
    """Average payment per USD of the FFS rate over the pool (MA at `ma_rate_factor`)."""
    ma = inputs.ma * values.ma_pays_ccm
    pool = inputs.ffs + ma
    if pool == 0:
        return np.ones_like(values.ma_rate_factor)
    return (inputs.ffs + ma * values.ma_rate_factor) / pool


def lane_shares(inputs: PanelInputs, values: Values) -> dict[str, np.ndarray]:
    """Share of billed months in each lane: complex, physician (practitioner time), standard."""
    complex_share = (
        values.complex_candidate_share if inputs.complex_share is None else inputs.complex_share
    )
    complex_lane = complex_share * values.complex_lane_share
    physician = (1 - complex_lane) * values.physician_lane_share
    return {
        "complex": complex_lane,
        "physician": physician,
        "standard": 1 - complex_lane - physician,
    }


def units_per_billed_month(
    lanes: Mapping[str, np.ndarray], values: Values
) -> dict[str, np.ndarray]:
    """Units of each monthly code per billed patient-month (one lane per patient-month)."""
    standard, complex_lane, physician = lanes["standard"], lanes["complex"], lanes["physician"]
    return {
        "99490": standard,
        "99439": standard * (values.share_99439_one + 2 * values.share_99439_two),
        "99487": complex_lane,
        "99489": complex_lane * values.share_99489,
        "99491": physician,
        "99437": physician * values.share_99437,
    }


@dataclass(frozen=True)
class Flows:
    """Patients, codes and revenue by month, all (draws, months); USD for money."""

    approached: np.ndarray  # offers made: first offers plus re-offers
    reoffered: np.ndarray  # of which re-offers to patients who declined or stopped CCM
    new_enrolments: np.ndarray
    starts: np.ndarray
    enrolled: np.ndarray
    billed: np.ndarray
    units: dict[str, np.ndarray]
    gross_allowed: np.ndarray  # by service month
    earned: np.ndarray  # what the service month's claims will collect
    collected: np.ndarray  # cash received in the month (claims of earlier service months)
    collected_care: np.ndarray  # cash from the monthly codes only (not G0506)
    care_units: np.ndarray  # units of the monthly codes
    allowed: dict[str, np.ndarray]  # Medicare allowed amount by code (USD), by service month


def target_pool(inputs: PanelInputs, values: Values) -> np.ndarray:
    """Patients the program can offer CCM at the start (draws,): the billable pool less those
    enrolled elsewhere."""
    pool: np.ndarray = (inputs.ffs + inputs.ma * values.ma_pays_ccm) * (
        1 - values.already_enrolled_elsewhere
    )
    return pool


def _funnel(
    inputs: PanelInputs, values: Values, pace: np.ndarray, setup: np.ndarray, months: int
) -> dict[str, np.ndarray]:
    """Offered, consented, started and enrolled patients by month (loop over months).

    Patients (per draw) are in one of: `fresh` (never offered CCM: the starting pool plus the
    newly eligible), `waiting` (declined, or stopped CCM: each month 1 / `reoffer_after_months`
    of them become `due`, so a re-offer comes on average that many months later), `due`
    (waiting for outreach capacity), consented (starting now or after the initiating-visit
    lag) and enrolled. Each month the outreach pace goes to fresh patients first, then to due
    ones. Fresh patients agree at `consent_rate`, re-offered ones at `reoffer_consent_share` of
    it; those who decline go to waiting, and so do enrolled patients who stop CCM
    (`monthly_attrition`). Only enrolled patients die (`annual_mortality`). No one is
    approached during the `setup` months (draws,).
    """
    pool = target_pool(inputs, values)
    draws = pool.shape[0]
    visit = (
        values.needs_initiating_visit_share
        if inputs.visit_share is None
        else np.full(draws, inputs.visit_share)
    )
    lag = values.initiating_visit_lag_months.astype(int)
    attrition = values.monthly_attrition
    survive = (1 - attrition) * (1 - values.annual_mortality) ** (1 / 12)
    newly_eligible = pool * values.pool_growth_per_year / 12
    consent = values.consent_rate
    consent_again = consent * values.reoffer_consent_share
    come_up = 1 / values.reoffer_after_months
    rows = np.arange(draws)
    starts = np.zeros((draws, months + int(lag.max(initial=0)) + 1))
    visit_starts = np.zeros_like(starts)
    approached, reoffered, consented, enrolled = (np.zeros((draws, months)) for _ in range(4))
    fresh, waiting, due, current = pool.copy(), np.zeros(draws), np.zeros(draws), np.zeros(draws)
    for m in range(months):
        if m:
            fresh += newly_eligible
        due += waiting * come_up
        waiting *= 1 - come_up
        offers = np.where(m >= setup, pace, 0.0)
        first = np.minimum(offers, fresh)
        again = np.minimum(offers - first, due)
        fresh -= first
        due -= again
        agreed = first * consent + again * consent_again
        starts[:, m] += agreed * (1 - visit)
        starts[rows, m + lag] += agreed * visit
        visit_starts[rows, m + lag] += agreed * visit
        waiting += first + again - agreed + current * attrition
        current = current * survive + starts[:, m]
        approached[:, m], reoffered[:, m] = first + again, again
        consented[:, m], enrolled[:, m] = agreed, current
    return {
        "approached": approached,
        "reoffered": reoffered,
        "new_enrolments": consented,
        "starts": starts[:, :months],
        "visit_starts": visit_starts[:, :months],
        "enrolled": enrolled,
    }


def delayed(flow: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """`flow` (draws, months) shifted `lag` (draws,) months later; a fractional lag splits each
    month's amount over two months (lag 1.5: half one month later, half two). Amounts shifted
    past the horizon drop out."""
    out = np.zeros_like(flow)
    months = flow.shape[1]
    whole = np.floor(lag).astype(int)
    part = lag - whole
    for k in np.unique(whole):
        rows = whole == k
        for shift, weight in ((k, 1 - part[rows]), (k + 1, part[rows])):
            if shift < months:
                out[rows, shift:] += flow[rows, : months - shift] * weight[:, None]
    return out


def program_flows(
    inputs: PanelInputs,
    rates: Mapping[str, float],
    values: Values,
    pace: np.ndarray,
    setup: np.ndarray,
    months: int,
    calendar: Calendar | None = None,
) -> Flows:
    """Funnel, code units and revenue by month for an outreach pace (patients a month) that
    starts after `setup` months (draws,)."""
    funnel = _funnel(inputs, values, pace, setup, months)
    billed = funnel["enrolled"] * values.billable_month_rate[:, None]
    per_month = units_per_billed_month(lane_shares(inputs, values), values)
    units = {code: billed * share[:, None] for code, share in per_month.items()}
    units["G0506"] = funnel["visit_starts"] * values.g0506_share[:, None]
    to_usd = payer_factor(inputs, values)[:, None] * fee_index(values, calendar, months)
    allowed = {code: units[code] * rates[code] * to_usd for code in CCM_CODES}
    care_allowed = sum(allowed[code] for code in CARE_CODES)
    gross = care_allowed + allowed["G0506"]
    collect = collection_factor(values, inputs.qmb_share)[:, None]
    lag = values.claims_lag_months
    return Flows(
        approached=funnel["approached"],
        reoffered=funnel["reoffered"],
        new_enrolments=funnel["new_enrolments"],
        starts=funnel["starts"],
        enrolled=funnel["enrolled"],
        billed=billed,
        units=units,
        gross_allowed=gross,
        earned=gross * collect,
        collected=delayed(gross * collect, lag),
        collected_care=delayed(care_allowed * collect, lag),
        care_units=sum(units[code] for code in CARE_CODES),
        allowed=allowed,
    )


def _once(amount: np.ndarray, months: int) -> np.ndarray:
    """A one-time amount (draws,) paid in month 1, as (draws, months)."""
    out = np.zeros((amount.shape[0], months))
    out[:, 0] = amount
    return out


def _service_months(flows: Flows, setup: np.ndarray) -> np.ndarray:
    """1.0 from the first service month on (after `setup` months), else 0; (draws, months)."""
    months = np.arange(flows.enrolled.shape[1])
    return (months[None, :] >= setup[:, None]).astype(float)


def _after_hours(
    flows: Flows, values: Values, practice: PracticeCapacity, setup: np.ndarray
) -> np.ndarray:
    """24/7 access cost a month once patients are served, when the practice lacks it."""
    if practice.has_24_7_access:
        return np.zeros_like(flows.enrolled)
    serving = _service_months(flows, setup)
    cost: np.ndarray = serving * values.after_hours_cost_per_month[:, None]
    return cost


def _software(flows: Flows, values: Values, practice: PracticeCapacity) -> np.ndarray:
    """Care-management software a month: none when the EHR has the tools, else a fixed part
    plus a part per enrolled patient-month."""
    if practice.ehr_has_care_tools:
        return np.zeros_like(flows.enrolled)
    software = (
        values.software_fixed_per_month[:, None]
        + flows.enrolled * values.software_per_patient_month[:, None]
    )
    return np.broadcast_to(software, flows.enrolled.shape).copy()


def _billing(flows: Flows, values: Values) -> np.ndarray:
    """Claim submission and reconciliation: a share of the cash collected."""
    cost: np.ndarray = flows.collected * values.billing_overhead_share[:, None]
    return cost


def _in_house_costs(
    flows: Flows, values: Values, practice: PracticeCapacity
) -> dict[str, np.ndarray]:
    months = flows.enrolled.shape[1]
    return {
        "cost_software": _software(flows, values, practice),
        "cost_after_hours": _after_hours(flows, values, practice, values.setup_months_in_house),
        "cost_billing": _billing(flows, values),
        "cost_startup": _once(values.startup_cost, months),
    }


def _managed_costs(
    flows: Flows, values: Values, practice: PracticeCapacity
) -> dict[str, np.ndarray]:
    """The vendor's fee and onboarding, plus billing, 24/7 cover and software wherever the
    vendor contract does not cover them (`vendor_covers_*`)."""
    pricing = values.vendor_pricing
    if pricing == "revenue_share":
        fee = flows.collected_care * values.vendor_revenue_share[:, None]
    elif pricing == "per_enrolled_month":
        fee = flows.enrolled * values.vendor_fee_per_patient_month[:, None]
    else:
        fee = flows.care_units * values.vendor_fee_per_code[:, None]
    months = flows.enrolled.shape[1]
    zero = np.zeros_like(flows.enrolled)
    setup = values.setup_months_managed
    return {
        "cost_vendor": fee,
        "cost_startup": _once(values.vendor_onboarding_fee, months),
        "cost_billing": zero if values.vendor_covers_billing else _billing(flows, values),
        "cost_after_hours": (
            zero
            if values.vendor_covers_after_hours
            else _after_hours(flows, values, practice, setup)
        ),
        "cost_software": zero
        if values.vendor_covers_software
        else _software(flows, values, practice),
    }


def _hybrid_costs(
    flows: Flows, values: Values, practice: PracticeCapacity
) -> dict[str, np.ndarray]:
    months = flows.enrolled.shape[1]
    one_time = values.startup_cost * values.hybrid_startup_share
    return {
        "cost_vendor": flows.enrolled * values.hybrid_fee_per_patient_month[:, None],
        "cost_after_hours": _after_hours(flows, values, practice, values.setup_months_hybrid),
        "cost_startup": _once(one_time + values.vendor_onboarding_fee, months),
    }


@dataclass(frozen=True)
class DeliveryModel:
    """Who does what in a delivery model, and the costs only it has."""

    key: str
    label: str
    description: str
    clinical_by_practice: bool
    outreach_by_practice: bool
    owner_hours: str  # the assumption giving the practice's management hours a month
    setup: str  # the assumption giving the set-up months before the first enrolment
    costs: Callable[[Flows, Values, PracticeCapacity], dict[str, np.ndarray]]

    def pace(self, values: Values, pool: np.ndarray) -> np.ndarray:
        """Patients approached a month (draws,): the pool over `outreach_approach_months`,
        capped where practice staff do the outreach by the hours they have
        (`outreach_hours_per_month` over the minutes per patient approached); a vendor works
        the same pool at its pace factor."""
        sized: np.ndarray = pool / values.outreach_approach_months
        if not self.outreach_by_practice:
            vendor: np.ndarray = sized * values.vendor_pace_factor
            return vendor
        minutes = values.outreach_attempts_per_patient * values.outreach_minutes_per_attempt
        cap = values.outreach_hours_per_month * 60 / np.maximum(minutes, 1e-9)
        capped: np.ndarray = np.minimum(sized, cap)
        return capped


DELIVERY_MODELS: dict[str, DeliveryModel] = {
    model.key: model
    for model in (
        DeliveryModel(
            "in_house",
            "In-house",
            "The practice assigns or hires care managers, pays software and billing, keeps all "
            "revenue.",
            clinical_by_practice=True,
            outreach_by_practice=True,
            owner_hours="program_owner_hours_per_month",
            setup="setup_months_in_house",
            costs=_in_house_costs,
        ),
        DeliveryModel(
            "managed",
            "Managed",
            "A vendor supplies care managers, enrolment and operations for a fee; the practice "
            "keeps supervision, initiating visits and consent.",
            clinical_by_practice=False,
            outreach_by_practice=False,
            owner_hours="managed_oversight_hours_per_month",
            setup="setup_months_managed",
            costs=_managed_costs,
        ),
        DeliveryModel(
            "hybrid",
            "Hybrid",
            "Practice staff deliver care; a vendor supplies enrolment, software, documentation "
            "and billing operations for a per-patient fee.",
            clinical_by_practice=True,
            outreach_by_practice=False,
            owner_hours="program_owner_hours_per_month",
            setup="setup_months_hybrid",
            costs=_hybrid_costs,
        ),
    )
}


def _run(
    model: DeliveryModel,
    inputs: PanelInputs,
    rates: Mapping[str, float],
    values: Values,
    months: int,
    capacity: PracticeCapacity | None,
) -> tuple[Flows, staffing.StaffingPlan, dict[str, np.ndarray]]:
    """Flows, staffing and monthly money columns (draws, months) for one delivery model, plus
    `setup_months` and `first_payment_month` (1-based), each (draws,)."""
    practice = capacity or PracticeCapacity()
    setup = np.round(values.array(model.setup)).astype(int)
    pace = model.pace(values, target_pool(inputs, values))
    flows = program_flows(inputs, rates, values, pace, setup, months, practice.calendar)
    spare = practice.spare_hours_per_week or 0.0
    weekly = max(practice.dedicated_hours_per_week or 0.0, spare)
    lanes = lane_shares(inputs, values)
    visit = (
        values.needs_initiating_visit_share if inputs.visit_share is None else inputs.visit_share
    )
    plan = staffing.plan_staffing(
        staffing.Caseload(
            enrolled=flows.enrolled,
            billed=flows.billed,
            approached=flows.approached,
            new_enrolments=flows.new_enrolments,
            complex_months=flows.billed * lanes["complex"][:, None],
            practitioner_lane_share=lanes["physician"],
            setup_paid_share=visit * values.g0506_share,
        ),
        values.array(model.owner_hours),
        values,
        clinical_by_practice=model.clinical_by_practice,
        outreach_by_practice=model.outreach_by_practice,
        dedicated_hours_per_month=weekly * staffing.WEEKS_PER_MONTH,
        spare_hours_per_month=spare * staffing.WEEKS_PER_MONTH,
    )
    money = {name: np.zeros_like(flows.enrolled) for name in COST_COLUMNS}
    money.update(
        cost_clinical_staff=plan.cost_clinical_staff,
        cost_outreach_consent=plan.cost_outreach_consent,
        cost_program_owner=plan.cost_program_owner,
        cost_practitioner=plan.cost_practitioner,
    )
    money.update(model.costs(flows, values, practice))
    zero = np.zeros_like(flows.enrolled)
    money["cash_costs"] = sum((money[name] for name in CASH_COST_COLUMNS), zero)
    money["cash_net"] = flows.collected - money["cash_costs"]
    money["costs"] = money["cash_costs"] + money[TIME_VALUE_COLUMN]
    money["net"] = flows.collected - money["costs"]
    money["cumulative_net"] = np.cumsum(money["net"], axis=1)
    money["cumulative_cash_net"] = np.cumsum(money["cash_net"], axis=1)
    money["setup_months"] = setup.astype(float)
    money["first_payment_month"] = setup + 1 + np.floor(values.claims_lag_months)
    return flows, plan, money


def _run_all(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None,
    draws: int = 1,
    varied: Mapping[str, np.ndarray] | None = None,
) -> dict[str, tuple[Flows, staffing.StaffingPlan, dict[str, np.ndarray]]]:
    """`_run` for every delivery model on the same inputs."""
    inputs = panel_inputs(counts, assumptions.ma_pays_ccm)
    values = stack_values(assumptions, draws, varied)
    usd = check_rates(rates, CCM_CODES)
    months = assumptions.horizon_months
    return {
        key: _run(model, inputs, usd, values, months, capacity)
        for key, model in DELIVERY_MODELS.items()
    }


def _metrics(
    flows: Flows, plan: staffing.StaffingPlan, money: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Scenario metrics per draw, each of shape (draws,); NaN where undefined."""
    window = slice(-STEADY_STATE_MONTHS, None)
    cumulative = money["cumulative_net"]
    month = np.arange(1, cumulative.shape[1] + 1)
    reached = (cumulative >= 0) & (month[None, :] >= money["first_payment_month"][:, None])
    weekly = plan.practice_hours / staffing.WEEKS_PER_MONTH
    costs = money["costs"].sum(axis=1)
    horizon_net = money["net"].sum(axis=1)
    cash = money["cumulative_cash_net"]
    cash_reached = (cash >= 0) & (month[None, :] >= money["first_payment_month"][:, None])
    patient_months = flows.enrolled.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "enrolled_steady_state": flows.enrolled[:, window].mean(axis=1),
            "ftes_steady_state": plan.ftes[:, window].mean(axis=1),
            "monthly_net_steady_state": money["net"][:, window].mean(axis=1),
            "year1_net": money["net"][:, :12].sum(axis=1),
            "monthly_cash_net_steady_state": money["cash_net"][:, window].mean(axis=1),
            "staff_hours_per_week": weekly[:, window].mean(axis=1),
            "practitioner_hours_per_week": (
                plan.practitioner_hours[:, window].mean(axis=1) / staffing.WEEKS_PER_MONTH
            ),
            "horizon_net": horizon_net,
            "cash_horizon_net": cash[:, -1],
            "cash_year1_net": money["cash_net"][:, :12].sum(axis=1),
            "practitioner_time_value": money[TIME_VALUE_COLUMN].sum(axis=1),
            "break_even_month": np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, np.nan),
            "cash_break_even_month": np.where(
                cash_reached.any(axis=1), cash_reached.argmax(axis=1) + 1, np.nan
            ),
            "roi": np.where(costs > 0, horizon_net / costs, np.nan),
            "net_per_enrolled_month": np.where(
                patient_months > 0, horizon_net / patient_months, np.nan
            ),
            "peak_cash_need": np.maximum(-cumulative.min(axis=1), 0),
            "horizon_revenue": flows.collected.sum(axis=1),
            "horizon_gross_allowed": flows.gross_allowed.sum(axis=1),
            "horizon_costs": costs,
        }


def simulate_metrics(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    varied: Mapping[str, np.ndarray] | None = None,
    draws: int = 1,
    capacity: PracticeCapacity | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Metrics per delivery model for `draws` variants of `assumptions` (arrays in `varied`)."""
    runs = _run_all(counts, rates, assumptions, capacity, draws, varied)
    return {key: _metrics(*run) for key, run in runs.items()}


@dataclass(frozen=True)
class ScenarioResult:
    """One delivery model's simulation: the monthly frame and the summary metrics (USD).

    What the outputs show, computed here once (at the default values): `clinical_ftes_steady_state`
    (care-manager FTEs, final-year average), `hours_per_week_by_kind` (`weekly_hours_by_kind`),
    `allowed_per_month_by_code` (USD a month, `allowed_by_code`), `horizon_costs_by_kind` (USD
    over the horizon per COST_COLUMNS) and `yearly` (USD per year, `year_sums`).
    """

    model: str
    label: str
    monthly: pd.DataFrame
    enrolled_steady_state: float
    ftes_steady_state: float
    monthly_net_steady_state: float
    year1_net: float
    horizon_net: float
    break_even_month: int | None
    roi: float | None
    net_per_enrolled_month: float | None
    peak_cash_need: float
    horizon_revenue: float
    horizon_gross_allowed: float
    horizon_costs: float
    caseload_per_fte: float | None
    caseload_note: str
    clinical_ftes_steady_state: float
    hours_per_week_by_kind: Mapping[str, float]
    allowed_per_month_by_code: Mapping[str, float]
    horizon_costs_by_kind: Mapping[str, float]
    yearly: pd.DataFrame
    setup_months: int = 0
    first_payment_month: int = 1
    cash_horizon_net: float = 0.0
    cash_year1_net: float = 0.0
    monthly_cash_net_steady_state: float = 0.0
    cash_break_even_month: int | None = None
    practitioner_time_value: float = 0.0
    staff_hours_per_week: Mapping[str, float | int] = dataclasses.field(default_factory=dict)
    practitioner_hours_per_week: float = 0.0
    warnings: tuple[str, ...] = ()
    p10_horizon_net: float | None = None
    p90_horizon_net: float | None = None
    uncertainty: Mapping[str, float | None] = dataclasses.field(default_factory=dict)
    """Monte Carlo percentiles (sensitivity.with_uncertainty): `p10_`/`p50_`/`p90_` + metric."""

    def central(self, metric: str) -> float | None:
        """The Monte Carlo median of `metric` (the headline), else the value at the defaults."""
        key = f"p50_{metric}"
        return self.uncertainty[key] if key in self.uncertainty else getattr(self, metric)

    def band(self, metric: str) -> tuple[float | None, float | None]:
        """The Monte Carlo 10th and 90th percentiles of `metric` (None when not simulated)."""
        low, high = f"p10_{metric}", f"p90_{metric}"
        return (
            self.uncertainty.get(low, getattr(self, low, None)),
            self.uncertainty.get(high, getattr(self, high, None)),
        )

    def metrics(self) -> dict[str, Any]:
        """The scenario entry of summary.json (plain numbers, USD rounded to cents)."""
        keys: tuple[str, ...] = (*SUMMARY_METRICS, "net_per_enrolled_month", "peak_cash_need")
        keys += ("cash_horizon_net", "cash_year1_net", "cash_break_even_month")
        keys += ("practitioner_time_value",)
        keys += ("horizon_revenue", "horizon_gross_allowed", "horizon_costs", "caseload_per_fte")
        out: dict[str, Any] = {}
        for key in keys:
            value = getattr(self, key)
            out[key] = value if value is None or isinstance(value, int) else round(value, 2)
        for key, value in self.uncertainty.items():
            whole = key.endswith("_month") and value is not None
            out[key] = None if value is None else int(value) if whole else round(value, 2)
        out.setdefault("p50_break_even_month", None)
        out |= {
            "setup_months": self.setup_months,
            "first_payment_month": self.first_payment_month,
            "staff_hours_per_week": dict(self.staff_hours_per_week),
            "practitioner_hours_per_week": round(self.practitioner_hours_per_week, 1),
        }
        return out


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _frame(flows: Flows, plan: staffing.StaffingPlan, money: dict[str, np.ndarray]) -> pd.DataFrame:
    """The monthly frame of draw 0."""
    columns = {
        "month": np.arange(1, flows.enrolled.shape[1] + 1),
        "approached": flows.approached[0],
        "reoffered": flows.reoffered[0],
        "new_enrolments": flows.new_enrolments[0],
        "starts": flows.starts[0],
        "enrolled": flows.enrolled[0],
        "billed_patient_months": flows.billed[0],
        **{code: flows.units[code][0] for code in CCM_CODES},
        "gross_allowed": flows.gross_allowed[0],
        "collected_revenue": flows.collected[0],
        **{name: money[name][0] for name in (*COST_COLUMNS, "costs", "net", "cumulative_net")},
        **{name: money[name][0] for name in ("cash_costs", "cash_net", "cumulative_cash_net")},
        "clinical_ftes": plan.clinical_ftes[0],
        "ftes": plan.ftes[0],
        "clinical_hours": plan.clinical_hours[0],
        "outreach_hours": plan.outreach_hours[0],
        "consent_hours": plan.consent_hours[0],
        "owner_hours": plan.owner_hours[0],
        "practitioner_hours": plan.practitioner_hours[0],
        "practice_hours": plan.practice_hours[0],
    }
    return pd.DataFrame(columns)


def weekly_hours_summary(practice_hours: pd.Series) -> dict[str, float | int]:
    """Practice hours a week from the monthly series: final-year average, peak, peak month."""
    weekly = practice_hours.to_numpy() / staffing.WEEKS_PER_MONTH
    peak = int(np.argmax(weekly)) if weekly.size else 0
    return {
        "final_year_average": round(float(weekly[-STEADY_STATE_MONTHS:].mean()), 1),
        "peak": round(float(weekly[peak]), 1) if weekly.size else 0.0,
        "peak_month": peak + 1,
    }


HOUR_KINDS: Mapping[str, tuple[str, ...]] = {
    "care": ("clinical_hours",),
    "enrolment": ("outreach_hours", "consent_hours"),
    "owner": ("owner_hours",),
    "practitioner": ("practitioner_hours",),
}
"""Kinds of practice work -> the hour columns of the monthly frame they add up."""
YEARLY_COLUMNS = ("gross_allowed", "collected_revenue", "costs", "net")


def weekly_hours_by_kind(monthly: pd.DataFrame) -> dict[str, float]:
    """Practice hours a week by HOUR_KINDS, averaged over the last STEADY_STATE_MONTHS months
    (they add up to `weekly_hours_summary`'s final-year average: the same monthly series)."""
    steady = monthly.tail(STEADY_STATE_MONTHS)
    return {
        kind: float(steady[list(columns)].sum(axis=1).mean()) / staffing.WEEKS_PER_MONTH
        for kind, columns in HOUR_KINDS.items()
    }


def year_sums(monthly: pd.DataFrame) -> pd.DataFrame:
    """USD per model year (months 1-12 are year 1; a last partial year sums the months it
    has): one row per year, `year` (1-based) and the sums of YEARLY_COLUMNS."""
    year = ((monthly["month"] - 1) // 12 + 1).rename("year")
    return monthly.groupby(year)[list(YEARLY_COLUMNS)].sum().reset_index()


def allowed_by_code(allowed: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Medicare allowed amount a month by code (USD a month), averaged over the last
    STEADY_STATE_MONTHS months of draw 0; `allowed`: Flows.allowed."""
    return {
        code: float(amounts[0, -STEADY_STATE_MONTHS:].mean()) for code, amounts in allowed.items()
    }


def _result(
    model: DeliveryModel,
    run: tuple[Flows, staffing.StaffingPlan, dict[str, np.ndarray]],
    capacity: PracticeCapacity | None,
) -> ScenarioResult:
    flows, plan, money = run
    metrics: dict[str, Any] = {n: float(v[0]) for n, v in _metrics(flows, plan, money).items()}
    metrics.pop("staff_hours_per_week")
    frame = _frame(flows, plan, money)
    steady = frame.tail(STEADY_STATE_MONTHS)
    staff = steady["clinical_ftes"].mean()
    caseload = float(steady["enrolled"].mean() / staff) if staff > 0 else None
    warnings = [
        staffing.capacity_warning(
            model.label,
            plan.practice_hours[0] - plan.practitioner_hours[0],
            capacity.dedicated_hours_per_week if capacity else None,
        )
    ]
    if frame["enrolled"].max() == 0:
        warnings.append(
            f"{model.label}: no patient enrols (no consent, or no eligible patients in the "
            "billable payer classes)."
        )
    break_even = metrics.pop("break_even_month")
    cash_break_even = metrics.pop("cash_break_even_month")
    return ScenarioResult(
        model=model.key,
        label=model.label,
        monthly=frame,
        setup_months=int(money["setup_months"][0]),
        first_payment_month=int(money["first_payment_month"][0]),
        staff_hours_per_week=weekly_hours_summary(frame["practice_hours"]),
        practitioner_hours_per_week=metrics.pop("practitioner_hours_per_week"),
        break_even_month=None if np.isnan(break_even) else int(break_even),
        cash_break_even_month=None if np.isnan(cash_break_even) else int(cash_break_even),
        roi=_optional(metrics.pop("roi")),
        net_per_enrolled_month=_optional(metrics.pop("net_per_enrolled_month")),
        caseload_per_fte=caseload,
        caseload_note=staffing.caseload_note(caseload),
        clinical_ftes_steady_state=float(staff),
        hours_per_week_by_kind=weekly_hours_by_kind(frame),
        allowed_per_month_by_code=allowed_by_code(flows.allowed),
        horizon_costs_by_kind={name: float(money[name][0].sum()) for name in COST_COLUMNS},
        yearly=year_sums(frame),
        warnings=tuple(w for w in warnings if w),
        **metrics,
    )


def simulate(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None = None,
) -> dict[str, ScenarioResult]:
    """Run every delivery model on the same counts, rates and assumptions."""
    runs = _run_all(counts, rates, assumptions, capacity)
    return {key: _result(DELIVERY_MODELS[key], run, capacity) for key, run in runs.items()}
