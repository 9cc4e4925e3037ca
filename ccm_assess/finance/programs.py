"""Revenue potential of CCM, PCM and APCM side by side; existing coordination time as CCM.

Spec: docs/model.md. Inputs are the `eligibility` counts of summary.json, a rates mapping
code -> Medicare allowed amount in USD per unit (fees.payment_rates) and an `Assumptions` object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ccm_assess.finance import staffing
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.model import (
    APCM_CODES,
    CCM_CODES,
    PCM_CODE,
    PanelInputs,
    PracticeCapacity,
    check_rates,
    collection_factor,
    count_in,
    lane_shares,
    panel_inputs,
    payer_factor,
    stack_values,
    units_per_billed_month,
)
from ccm_assess.formatting import money


def _billable_pool(counts: Mapping[str, Any], key: str, inputs: PanelInputs, pays: bool) -> float:
    """Patients of `key` in billable payer classes (by payer when known, else pro rata)."""
    by_payer = counts.get(f"{key}_by_payer")
    if by_payer is not None:
        return count_in(by_payer, "medicare_ffs") + count_in(by_payer, "medicare_advantage") * pays
    eligible = counts.get("ccm_eligible") or 0
    share = (inputs.ffs + inputs.ma * pays) / eligible if eligible else 0.0
    return float(counts.get(key) or 0) * share


def program_comparison(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None = None,
) -> pd.DataFrame:
    """Annual revenue potential of CCM, PCM and APCM for the panel, once fully enrolled (USD).

    Each program enrols `consent_rate` of its billable patients (less those enrolled
    elsewhere); CCM and PCM bill `billable_month_rate` of months, APCM every month (no time
    threshold). APCM replaces CCM/PCM for the same patient-month, so compare "CCM + PCM"
    with "APCM", not their sum. PCM is priced at 99426 (clinical staff, first 30 minutes).
    APCM tiers count Medicare FFS and MA together; without MA payment they are scaled by the
    FFS share of the CCM-eligible Medicare patients, and all programs are paid at the CCM
    pool's payer mix (MA at `ma_rate_factor`), without coinsurance from QMB patients.

    The programs are compared on net, not revenue: `staff_hours_per_year` are the clinical
    minutes of every enrolled month (for CCM and PCM, whose codes need 20 and 30 minutes,
    `clinical_minutes_per_patient_month` in a billed month and
    `clinical_minutes_per_unbilled_month` in the others; `apcm_minutes_per_patient_month` for
    APCM, which has no threshold) plus the practitioner's supervision minutes;
    `staff_cost_per_year` prices them at the care manager's loaded hourly cost and
    `practitioner_cost_per_hour`. `other_costs_per_year` are the delivery models' other cost
    lines, on the same basis as in-house: billing overhead on the cash collected, software
    (none when the EHR has the tools) and 24/7 cover when the practice lacks it (the fixed parts
    once per program, once for "CCM + PCM"). `net_per_year` = collected - staff cost - other
    costs.
    """
    practice = capacity or PracticeCapacity()
    tools = bool(practice.ehr_has_care_tools)
    software_per_patient = 0.0 if tools else assumptions.software_per_patient_month
    fixed_per_year = 12 * (
        (0.0 if tools else assumptions.software_fixed_per_month)
        + (0.0 if practice.has_24_7_access else assumptions.after_hours_cost_per_month)
    )
    pays = assumptions.ma_pays_ccm
    inputs = panel_inputs(counts, pays)
    values = stack_values(assumptions)
    usd = check_rates(rates, (*CCM_CODES, PCM_CODE, *APCM_CODES))
    to_usd = float(payer_factor(inputs, values)[0])
    collect = float(collection_factor(values, inputs.qmb_share)[0])
    care_hourly = float(staffing.loaded_hourly_cost(assumptions.care_manager_role, values)[0])
    practitioner_hourly = assumptions.practitioner_cost_per_hour
    supervision = assumptions.supervision_minutes_per_patient_month
    enrol = assumptions.consent_rate * (1 - assumptions.already_enrolled_elsewhere)
    billable = assumptions.billable_month_rate
    threshold_minutes = (
        billable * assumptions.clinical_minutes_per_patient_month
        + (1 - billable) * assumptions.clinical_minutes_per_unbilled_month
    )
    per_month = units_per_billed_month(lane_shares(inputs, values), values)
    medicare = inputs.ffs + inputs.ma
    apcm_scale = 1.0 if pays or medicare == 0 else inputs.ffs / medicare
    tiers = counts.get("apcm_tiers") or {}
    apcm_patients = sum(count_in(tiers, code) for code in APCM_CODES) * apcm_scale
    apcm_allowed = sum(count_in(tiers, code) * usd[code] for code in APCM_CODES) * apcm_scale

    def row(
        program: str, patients: float, months: float, allowed: float, minutes: float, note: str
    ) -> dict[str, Any]:
        """`months` billed per enrolled patient a year, `allowed` USD per billed month,
        `minutes` of clinical staff time per enrolled patient-month."""
        enrolled = patients * enrol
        per_year = enrolled * months * allowed * to_usd
        staff_hours = enrolled * 12 * minutes / 60
        practitioner_hours = enrolled * 12 * supervision / 60
        staff_cost = staff_hours * care_hourly + practitioner_hours * practitioner_hourly
        collected = per_year * collect
        running = (
            collected * assumptions.billing_overhead_share + enrolled * 12 * software_per_patient
        )
        other = running + (fixed_per_year if enrolled > 0 else 0.0)
        return {
            "program": program,
            "patients": patients,
            "enrolled": enrolled,
            "billed_months_per_year": enrolled * months,
            "allowed_per_year": per_year,
            "collected_per_year": collected,
            "staff_hours_per_year": staff_hours + practitioner_hours,
            "staff_cost_per_year": staff_cost,
            "other_costs_per_year": other,
            "net_per_year": collected - staff_cost - other,
            "note": note,
        }

    ccm = row(
        "CCM",
        inputs.ffs + inputs.ma * pays,
        12 * billable,
        sum(float(share[0]) * usd[code] for code, share in per_month.items()),
        threshold_minutes,
        "99490/99439, 99487/99489, 99491/99437 by the lane assumptions",
    )
    pcm = row(
        "PCM",
        _billable_pool(counts, "pcm_candidates", inputs, pays),
        12 * billable,
        usd[PCM_CODE],
        threshold_minutes,
        "single-condition patients, 99426 (30 minutes of clinical staff time)",
    )
    both = {key: ccm[key] + pcm[key] for key in ccm if key not in ("program", "note")}
    shared = fixed_per_year if ccm["enrolled"] > 0 and pcm["enrolled"] > 0 else 0.0
    both["other_costs_per_year"] -= shared  # the fixed costs once for the two together
    both["net_per_year"] += shared
    both |= {"program": "CCM + PCM", "note": "different patients: multi- and single-condition"}
    apcm = row(
        "APCM",
        apcm_patients,
        12,
        apcm_allowed / apcm_patients if apcm_patients else 0.0,
        assumptions.apcm_minutes_per_patient_month,
        "G0556-G0558 by tier, every month (no time threshold); the practice must be "
        "responsible for all primary care; replaces CCM/PCM",
    )
    frame = pd.DataFrame([ccm, pcm, both, apcm])
    per_enrolled_month = frame["collected_per_year"] / (frame["enrolled"] * 12)
    frame.insert(6, "collected_per_enrolled_month", per_enrolled_month.where(frame["enrolled"] > 0))
    return frame


APCM_MARGIN = 0.10
"""[A] APCM must net this share more than CCM + PCM to be worth a change of program."""


def apcm_advice(programs: pd.DataFrame) -> str:
    """One sentence: consider APCM instead of CCM (with PCM) or not, and why, from the yearly
    nets of `program_comparison` (same cost lines)."""
    net = programs.set_index("program")["net_per_year"]
    both, apcm = float(net["CCM + PCM"]), float(net["APCM"])
    if apcm > 0 and apcm > both + APCM_MARGIN * abs(both):
        return (
            f"Consider APCM instead: once enrolment is full it could net {money(apcm)} a year "
            f"against {money(both)} for CCM with PCM on the same costs, provided the practice "
            "is responsible for all of these patients' primary care."
        )
    return (
        f"Stay with CCM (and PCM): APCM would net {money(apcm)} a year against {money(both)} "
        "on the same costs, not enough more to change program (APCM replaces CCM and PCM for "
        "the same patient-month)."
    )


@dataclass(frozen=True)
class InvisibleWork:
    """Existing between-visit coordination time, valued as CCM (hours and USD per month; the
    collected USD also per year)."""

    hours_per_month: float
    billable_share: float
    billable_hours_per_month: float
    patients_supported: float
    billed_patient_months: float
    allowed_per_month: float
    collected_per_month: float
    collected_per_year: float  # 12 months of `collected_per_month`


def invisible_work_value(
    coordination_hours_per_week: float, rates: Mapping[str, float], assumptions: Assumptions
) -> InvisibleWork:
    """What existing coordination time would bill as standard CCM (99490 + 99439), per month.

    The share of the time spent on CCM-eligible patients (`coordination_on_eligible_share`)
    supports patients at `clinical_minutes_per_patient_month` each; `billable_month_rate` of
    their months are billed. The billable share is the billed minutes (20 per 99490, 20 per
    99439) over all those minutes. FFS rates; no complex or practitioner lane.
    """
    usd = check_rates(rates, ("99490", "99439"))
    values = stack_values(assumptions)
    extra = assumptions.share_99439_one + 2 * assumptions.share_99439_two
    minutes = assumptions.clinical_minutes_per_patient_month
    hours = coordination_hours_per_week * staffing.WEEKS_PER_MONTH
    patients = hours * 60 * assumptions.coordination_on_eligible_share / minutes
    billed = patients * assumptions.billable_month_rate
    billed_minutes = billed * 20 * (1 + extra)
    allowed = billed * (usd["99490"] + extra * usd["99439"])
    collected = allowed * float(collection_factor(values)[0])
    return InvisibleWork(
        hours_per_month=hours,
        billable_share=billed_minutes / (hours * 60) if hours else 0.0,
        billable_hours_per_month=billed_minutes / 60,
        patients_supported=patients,
        billed_patient_months=billed,
        allowed_per_month=allowed,
        collected_per_month=collected,
        collected_per_year=12 * collected,
    )
