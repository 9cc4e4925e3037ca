"""Practice staff time for a CCM program: hours, FTEs hired in steps, caseload, cost by role.

All functions work on numpy arrays shaped (draws, months) so that one call serves a single
scenario (one draw), the tornado and the Monte Carlo. `values` holds the assumptions
(assumptions.Values) as arrays of shape (draws,) for numbers and as plain values for the
true/false and choice assumptions.

Sources (docs/billing.md, Benchmarks): caseload 80-150 patients per nurse for manual CCM [V]
(welbyhealth.com, phamily.com), 150 per RN and 250 per RN + assistant team [S] (aaacn forum).
Wages: BLS medians [S]; 2,080 paid hours a year; the productive share and the benefits load
are assumptions [A].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np

from ccm_assess.finance.assumptions import Role, Values

PAID_HOURS_PER_YEAR = 2080
WEEKS_PER_MONTH = 52 / 12
ROLES: tuple[Role, ...] = get_args(Role)
CASELOAD_MANUAL = (80, 150)  # patients per nurse, manual CCM [V]
CASELOAD_RN = 150  # patients per RN [S]
CASELOAD_TEAM = 250  # patients per RN + unlicensed assistant team [S]
CASELOAD_SOURCE = (
    "80-150 per nurse for manual CCM [V] (welbyhealth.com, phamily.com); 150 per RN and "
    "250 per RN + assistant team [S] (aaacn forum)"
)


@dataclass(frozen=True)
class StaffingPlan:
    """Practice staff time and cost by month; every array is (draws, months).

    Hours are per month. `clinical_ftes` are care-manager FTEs: the practice's dedicated hours
    (used as needed) plus hires in steps, ahead of need by the lead time; `ftes` adds outreach,
    consent and program-owner hours as FTE equivalents. Costs are USD per month.
    """

    clinical_hours: np.ndarray
    outreach_hours: np.ndarray
    consent_hours: np.ndarray
    owner_hours: np.ndarray
    practitioner_hours: np.ndarray
    clinical_fte_needed: np.ndarray
    clinical_ftes: np.ndarray
    ftes: np.ndarray
    cost_clinical_staff: np.ndarray
    cost_outreach_consent: np.ndarray
    cost_program_owner: np.ndarray
    cost_practitioner: np.ndarray

    @property
    def staff_hours(self) -> np.ndarray:
        """Staff hours the practice's own staff need a month (clinical, outreach, consent)."""
        hours: np.ndarray = self.clinical_hours + self.outreach_hours + self.consent_hours
        return hours

    @property
    def practice_hours(self) -> np.ndarray:
        """Every hour the practice itself spends a month: staff, program owner, practitioner."""
        hours: np.ndarray = self.staff_hours + self.owner_hours + self.practitioner_hours
        return hours


def productive_hours_per_month(values: Values) -> np.ndarray:
    """Hours of CCM work one FTE gives a month: 2,080 x productive share / 12."""
    hours: np.ndarray = PAID_HOURS_PER_YEAR * values.productive_share / 12
    return hours


def loaded_annual_cost(role: Role, values: Values) -> np.ndarray:
    """USD a year for one FTE of `role`: BLS wage x (1 + benefits load)."""
    wage = {"RN": values.wage_rn, "LPN": values.wage_lpn, "MA": values.wage_ma}[role]
    cost: np.ndarray = wage * (1 + values.benefits_load)
    return cost


def loaded_hourly_cost(role: Role, values: Values) -> np.ndarray:
    """USD per productive hour of `role` (loaded annual cost / productive hours a year)."""
    hours_a_year = PAID_HOURS_PER_YEAR * values.productive_share
    cost: np.ndarray = loaded_annual_cost(role, values) / hours_a_year
    return cost


def caseload_capacity(values: Values) -> np.ndarray:
    """Enrolled patients one care-manager FTE can carry at the minutes-per-patient assumption."""
    patients: np.ndarray = (
        productive_hours_per_month(values) * 60 / values.clinical_minutes_per_patient_month
    )
    return patients


def staff_in_steps(need: np.ndarray, step: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """FTEs on payroll: the largest need over the next `lead` months, rounded up to `step`.

    need: (draws, months) FTEs; step: (draws,) FTE; lead: (draws,) whole months. Need past the
    horizon is taken as the last month's.
    """
    months = need.shape[1]
    longest = int(lead.max(initial=0))
    padded = np.concatenate([need, np.repeat(need[:, -1:], longest, axis=1)], axis=1)
    ahead = need
    for k in range(1, longest + 1):
        ahead = np.where((k <= lead)[:, None], np.maximum(ahead, padded[:, k : k + months]), ahead)
    ftes: np.ndarray = np.maximum(np.ceil(ahead / step[:, None] - 1e-9), 0) * step[:, None]
    return ftes


@dataclass(frozen=True)
class Caseload:
    """The patients whose care and enrolment take practice time, by month (draws, months).

    `billed` of the `enrolled` patient-months reach the threshold and are billed;
    `practitioner_lane_share` (draws,) of billed months are billed on the practitioner's own
    time (99491: their care time is the practitioner's, not clinical staff's);
    `setup_paid_share` (draws,) of new enrollees have their care-plan set-up paid by G0506 at
    the initiating visit, so it is not charged again as practitioner time.
    """

    enrolled: np.ndarray
    billed: np.ndarray
    approached: np.ndarray
    new_enrolments: np.ndarray
    complex_months: np.ndarray
    practitioner_lane_share: np.ndarray
    setup_paid_share: np.ndarray


def plan_staffing(
    caseload: Caseload,
    owner_hours: np.ndarray,
    values: Values,
    *,
    clinical_by_practice: bool,
    outreach_by_practice: bool,
    dedicated_hours_per_month: float = 0.0,
    spare_hours_per_month: float = 0.0,
) -> StaffingPlan:
    """Hours, FTEs and cost of the practice's own staff.

    owner_hours: (draws,) program-owner hours a month. The flags say whether the practice's
    staff deliver monthly care and do enrolment outreach (else a vendor does, at no hours to
    the practice). Consent and practitioner supervision stay with the practice in every model.
    A billed month takes `clinical_minutes_per_patient_month`, an unbilled one the smaller
    `clinical_minutes_per_unbilled_month` (never both). Care managers are hired in `fte_step`
    steps for the clinical hours beyond what the practice can dedicate; the dedicated hours
    fill the rest and are paid by the hour used, except the first `spare_hours_per_month`,
    which the practice already pays for and cost nothing.
    """
    enrolled, billed = caseload.enrolled, caseload.billed
    approached, new_enrolments = caseload.approached, caseload.new_enrolments
    minutes = values.clinical_minutes_per_patient_month[:, None]
    unbilled_minutes = values.clinical_minutes_per_unbilled_month[:, None]
    lane = caseload.practitioner_lane_share[:, None]
    zero = np.zeros_like(enrolled)
    clinical = (
        (
            billed * (1 - lane) * minutes
            + (enrolled - billed) * unbilled_minutes
            + caseload.complex_months * values.complex_extra_minutes[:, None]
        )
        / 60
        if clinical_by_practice
        else zero
    )
    outreach = (
        approached
        * values.outreach_attempts_per_patient[:, None]
        * values.outreach_minutes_per_attempt[:, None]
        / 60
        if outreach_by_practice
        else zero
    )
    consent = new_enrolments * values.consent_minutes_per_enrolment[:, None] / 60
    owner = np.broadcast_to(owner_hours[:, None], enrolled.shape)
    set_up = new_enrolments * (1 - caseload.setup_paid_share[:, None])
    practitioner = (
        enrolled * values.supervision_minutes_per_patient_month[:, None]
        + billed * lane * minutes
        + set_up * values.practitioner_minutes_per_enrolment[:, None]
    ) / 60

    per_fte = productive_hours_per_month(values)[:, None]
    beyond = np.maximum(clinical - dedicated_hours_per_month, 0)
    hired = staff_in_steps(beyond / per_fte, values.fte_step, values.hiring_lead_months)
    covered = np.clip(clinical - hired * per_fte, 0, dedicated_hours_per_month)
    clinical_ftes = covered / per_fte + hired
    care_role, outreach_role = values.care_manager_role, values.outreach_role
    care_hourly = loaded_hourly_cost(care_role, values)[:, None]
    return StaffingPlan(
        clinical_hours=clinical,
        outreach_hours=outreach,
        consent_hours=consent,
        owner_hours=owner,
        practitioner_hours=practitioner,
        clinical_fte_needed=clinical / per_fte,
        clinical_ftes=clinical_ftes,
        ftes=clinical_ftes + (outreach + consent + owner) / per_fte,
        cost_clinical_staff=np.maximum(covered - spare_hours_per_month, 0) * care_hourly
        + hired * loaded_annual_cost(care_role, values)[:, None] / 12,
        cost_outreach_consent=(outreach + consent)
        * loaded_hourly_cost(outreach_role, values)[:, None],
        cost_program_owner=owner * care_hourly,
        cost_practitioner=practitioner * values.practitioner_cost_per_hour[:, None],
    )


def caseload_note(caseload: float | None) -> str:
    """Plain-words comparison of a caseload per care-manager FTE with the published bands."""
    if caseload is None or not np.isfinite(caseload):
        return "No care-manager staff in this model: no caseload to compare."
    low, high = CASELOAD_MANUAL
    if caseload > CASELOAD_TEAM:
        where = (
            f"above the {CASELOAD_TEAM} per RN + assistant team benchmark: the minutes per "
            "patient may be optimistic"
        )
    elif caseload > CASELOAD_RN:
        where = (
            f"above {CASELOAD_RN} per RN: workable with an assistant "
            f"(up to {CASELOAD_TEAM} per RN + assistant team)"
        )
    elif caseload >= low:
        where = f"within the {low}-{high} per nurse range for manual CCM"
    else:
        where = f"below {low} per nurse: staff not fully used (small program or hiring step)"
    return f"{caseload:.0f} patients per care-manager FTE, {where} ({CASELOAD_SOURCE})."


def capacity_warning(
    label: str, staff_hours: np.ndarray, dedicated_hours_per_week: float | None
) -> str | None:
    """A message when the practice's staff hours needed exceed what it said it can dedicate.

    staff_hours: (months,) staff hours a month (every practice hour but the billing
    practitioner's: the series the recommendation uses); dedicated_hours_per_week from the
    questionnaire.
    """
    if dedicated_hours_per_week is None or staff_hours.size == 0:
        return None
    weekly = staff_hours / WEEKS_PER_MONTH
    peak = int(np.argmax(weekly))
    over = int(np.sum(weekly > dedicated_hours_per_week + 1e-9))
    if not over:
        return None
    return (
        f"{label}: the program needs about {weekly[peak]:.0f} staff hours a week at its peak "
        f"(month {peak + 1}) but the practice can dedicate {dedicated_hours_per_week:g}; "
        f"{over} of {weekly.size} months exceed it: hire, or let a vendor carry the work."
    )
