"""Other Medicare programs worth a line beside CCM, sized from the panel where it allows:
behavioural health integration (BHI, 99484) and transitional care management (TCM, 99495 /
99496), with the fee schedule's rates. Sources and rules: docs/other_programs.md.

- BHI: patients on Medicare that pays for CCM with a behavioural health condition (depression,
  anxiety, bipolar, PTSD, psychotic, personality or substance use disorder). 99484 pays for 20+
  minutes of clinical staff time a month and may be billed in the same month as CCM when the
  time is separate. Sized with CCM's own consent share and share of billable months
  (assumptions `consent_rate`, `billable_month_rate`): patients x consent x billable share x
  12 months x the 99484 rate = allowed amount a year.
- TCM: one payment per discharge when the patient is contacted within 2 business days and
  seen within 14 days (99495, moderate complexity) or 7 days (99496, high complexity). The
  panel's inpatient admissions in the last 12 months (Medicare patients that pay for CCM)
  bound the discharges a year; the ceiling is every discharge followed up in time.
- APCM (G0556-G0558) bundles elements of CCM, PCM and TCM: a practice that bills APCM for a
  patient-month does not bill those for the same patient and month, so neither BHI's CCM
  companion nor TCM is added to APCM here (BHI has its own APCM add-ons, G0568-G0570).

Counts only; a count of 1-10 and the money derived from it are hidden (privacy.is_small).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ccm_assess.practice.assessment import Assessment
from ccm_assess.privacy import is_small

BEHAVIOURAL_CATEGORIES = frozenset(
    {
        "depression",
        "anxiety",
        "bipolar",
        "ptsd",
        "schizophrenia_psychotic",
        "personality_disorder",
        "alcohol_use_disorder",
        "drug_use_disorder",
    }
)
"""Chronic condition categories (data/conditions.csv) that are behavioural health conditions."""


@dataclass(frozen=True)
class OtherProgram:
    """One program's opportunity: who (count, None when the panel cannot tell), the rate
    (USD per unit) and the allowed amount a year (USD; a ceiling for TCM)."""

    program: str
    codes: str
    who: str
    count: int | None
    rate: float
    per_year: float | None
    basis: str

    @property
    def hidden(self) -> bool:
        return is_small(self.count)


def behavioural_patients(eligibility: pd.DataFrame, billable_payer: pd.Series) -> pd.Series:
    """True per analysed patient with a behavioural health category and a paying payer."""
    categories = eligibility["categories"].fillna("").astype("str").str.split(";").explode()
    has = categories.isin(BEHAVIOURAL_CATEGORIES).groupby(level=0).any()
    return has.reindex(eligibility.index, fill_value=False) & billable_payer


def other_programs(
    eligibility: pd.DataFrame,
    patients: pd.DataFrame,
    rates: Mapping[str, float],
    *,
    consent_rate: float,
    billable_month_rate: float,
    ma_pays_ccm: bool,
    admissions_known: bool,
) -> tuple[OtherProgram, ...]:
    """BHI and TCM sized from the panel (eligibility and patient frames share the index)."""
    paying = ["medicare_ffs"] + (["medicare_advantage"] if ma_pays_ccm else [])
    payer = eligibility["payer_class"].isin(paying) & eligibility["analysed"].astype(bool)
    bhi = int(behavioural_patients(eligibility, payer).sum())
    bhi_rate = float(rates["99484"])
    bhi_year = bhi * consent_rate * billable_month_rate * 12 * bhi_rate
    admits = patients["inpatient_admits_12m"].astype("Int64").where(payer.to_numpy())
    discharges = int(admits.fillna(0).sum()) if admissions_known else None
    low, high = float(rates["99495"]), float(rates["99496"])
    return (
        OtherProgram(
            "Behavioural health integration (BHI)",
            "99484",
            "Medicare patients with depression, anxiety or another behavioural health condition",
            bhi,
            bhi_rate,
            bhi_year,
            f"At CCM's enrolment share ({consent_rate:.0%}) and share of billable months "
            f"({billable_month_rate:.0%}); billable in the same month as CCM when the 20 "
            "minutes are separate from CCM's.",
        ),
        OtherProgram(
            "Transitional care management (TCM)",
            "99495 / 99496",
            "Hospital stays in the last 12 months of Medicare patients",
            discharges,
            low,
            None if discharges is None else discharges * low,
            f"A ceiling: every discharge reached within 2 business days and seen within 14 "
            f"days, at the lower rate (99495); the higher rate (99496, seen within 7 days, "
            f"high complexity) pays ${high:,.2f}. Billable in the same month as CCM.",
        ),
    )


def programs_for(assessment: Assessment) -> tuple[OtherProgram, ...]:
    """`other_programs` for an assessment, with its rates and assumptions."""
    values = assessment.assumptions
    return other_programs(
        assessment.eligibility.patients,
        assessment.panel.patients,
        assessment.rates,
        consent_rate=float(values["consent_rate"]),
        billable_month_rate=float(values["billable_month_rate"]),
        ma_pays_ccm=bool(values["ma_pays_ccm"]),
        admissions_known=assessment.panel.has("inpatient_admits_12m"),
    )
