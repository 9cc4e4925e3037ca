"""Findings as work: one exception row per finding (PHI) and the three actions that matter most.

`exceptions` turns the flagged patient-months into rows with the evidence (minutes, codes,
dates) and the action for staff; `top_actions` ranks the finding kinds by the dollars they
move (at risk or missed; a near-threshold month is valued at one 99490) and words the first
three for the practice owner (no patient data in them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccm_assess.audit.rules import FINDINGS, HARD_FINDINGS, Assessed

TITLES = {
    "unsupported_claims": "Billed beyond the logged time",
    "missed_billing": "Time supports more than was billed",
    "near_threshold": "15-19 minutes: one call short of billable",
    "no_consent": "Billed without consent on file",
    "no_care_plan": "CCM billed without a care plan on file",
    "conflicts": "Billing conflict in the month",
    "billed_after_disenrolment": "Billed after disenrolment",
    "no_initiating_visit": "No initiating visit in the 12 months before consent",
}
ACTIONS = {
    "unsupported_claims": "Correct or void the units the time does not support; if time was "
    "spent but not logged, add it from the notes before resubmitting.",
    "missed_billing": "Bill the supported units for this month (within the 12-month timely "
    "filing limit) after checking the notes.",
    "near_threshold": "Next month, plan one more call before the 25th for this patient.",
    "no_consent": "Hold or void the claim; document consent (verbal or written) before "
    "billing again.",
    "no_care_plan": "Write and share the care plan; hold the claim until it is on file.",
    "conflicts": "Keep one lane and one practitioner for the month; void the other lines.",
    "billed_after_disenrolment": "Void the claim; stop logging CCM time after disenrolment.",
    "no_initiating_visit": "Schedule an initiating visit (E/M, AWV or IPPE) or record the "
    "one that took place; hold CCM claims until then.",
}
OWNER_ACTIONS = {
    "unsupported_claims": "Check every CCM claim against the logged minutes before it goes "
    "out: {n} patient-months were billed beyond their time ({usd} at risk).",
    "missed_billing": "Bill what the time already supports: {n} patient-months could still "
    "be billed within the 12-month filing limit ({usd}).",
    "near_threshold": "Review the minutes on the 20th of each month: {n} patient-months "
    "stopped at 15-19 minutes (about {usd} at one 99490 each).",
    "no_consent": "Make consent the first step: {n} patient-months were billed with no "
    "consent on file ({usd} at risk).",
    "no_care_plan": "Finish care plans before billing: {n} patient-months lacked one "
    "({usd} at risk).",
    "conflicts": "One practitioner and one lane per patient each month: {n} patient-months "
    "conflict ({usd} at risk).",
    "billed_after_disenrolment": "Close the register on disenrolment: {n} patient-months "
    "were billed after it ({usd} at risk).",
    "no_initiating_visit": "Schedule initiating visits before CCM starts: {n} patient-months "
    "lack one ({usd} at risk).",
}


def _date_text(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("none")


def _evidence(pm: pd.DataFrame) -> pd.Series:
    """One sentence of evidence per patient-month (vectorised string building)."""

    def num(column: str) -> pd.Series:
        return pm[column].round(1).map("{:g}".format)

    time = (
        "staff+practitioner minutes "
        + num("staff_minutes")
        + " (practitioner "
        + num("practitioner_minutes")
        + "), PCM "
        + num("pcm_staff_minutes")
    )
    before = np.where(
        pm["before_consent"].gt(0),
        "; " + num("before_consent") + " min before consent not counted",
        "",
    )
    none_logged = np.where(pm["all_minutes"].eq(0) & pm["any_claim"], "; no time was logged", "")
    billed = "; billed: " + pm["codes_billed_text"].replace("", "nothing")
    supported = "; time supports: " + pm["codes_supported_text"].replace("", "nothing")
    dates = (
        "; consent "
        + _date_text(pm["consent_date"])
        + ", care plan "
        + _date_text(pm["care_plan_date"])
        + ", disenrolled "
        + _date_text(pm["disenrolment_date"])
    )
    return time + before + none_logged + billed + supported + dates


def _conflict_text(pm: pd.DataFrame) -> pd.Series:
    parts = {
        "conflict_same_ccm_pcm": "CCM and PCM by one practitioner",
        "conflict_apcm": "APCM with CCM/PCM by one practitioner",
        "conflict_two_practitioners": "CCM from two practitioners",
        "conflict_two_lanes": "more than one CCM lane",
    }
    flags = pm[list(parts)].to_numpy()
    text = np.where(flags, np.array([p + "; " for p in parts.values()], dtype=object), "")
    return pd.Series(text.sum(axis=1), index=pm.index, dtype="str").str.rstrip("; ")


def finding_dollars(pm: pd.DataFrame, name: str) -> pd.Series:
    """USD a finding moves per patient-month: missed, at risk, or one 99490 when near."""
    if name == "missed_billing":
        return pm["missed_cents"] / 100
    if name == "near_threshold":
        return pm["near_value_cents"] / 100
    if name in HARD_FINDINGS or name == "unsupported_claims":
        return pm["at_risk_cents"] / 100
    return pd.Series(0.0, index=pm.index)  # no_initiating_visit: risk, not in at_risk dollars


def exceptions(pm: pd.DataFrame, assessed: Assessed) -> pd.DataFrame:
    """One row per (patient-month, finding), PHI: id, month, finding, evidence, action, USD."""
    evidence = _evidence(pm)
    conflict = _conflict_text(pm)
    parts = []
    for name in FINDINGS:
        if not assessed.finding(name):
            continue
        hit = pm[name].to_numpy()
        if not hit.any():
            continue
        rows = pm[hit]
        detail = evidence[hit]
        if name == "conflicts":
            detail = conflict[hit] + "; practitioners: " + rows["practitioners"] + "; " + detail
        parts.append(
            pd.DataFrame(
                {
                    "patient_id": rows.index.get_level_values("patient_id"),
                    "month": rows.index.get_level_values("month"),
                    "finding": name,
                    "what": TITLES[name],
                    "usd": finding_dollars(rows, name).to_numpy(),
                    "evidence": detail.to_numpy(),
                    "action": ACTIONS[name],
                    "practitioner": np.where(
                        rows["practitioners"].ne(""),
                        rows["practitioners"],
                        rows["register_practitioner"],
                    ),
                }
            )
        )
    columns = [
        "patient_id",
        "month",
        "finding",
        "what",
        "usd",
        "evidence",
        "action",
        "practitioner",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    order = {name: i for i, name in enumerate(FINDINGS)}
    return out.sort_values(
        ["month", "finding", "usd"],
        key=lambda c: c.map(order) if c.name == "finding" else c,
        ascending=[True, True, False],
        ignore_index=True,
    )


@dataclass(frozen=True)
class Action:
    finding: str
    patient_months: int
    usd: float
    text: str


def top_actions(pm: pd.DataFrame, assessed: Assessed, limit: int = 3) -> list[Action]:
    """The `limit` finding kinds that move the most dollars, worded for the owner.

    `n` in the wording is the exact count; the report suppresses it when from 1 to 10."""
    ranked = []
    for name in FINDINGS:
        if not assessed.finding(name) or not pm[name].any():
            continue
        usd = float(finding_dollars(pm[pm[name]], name).sum())
        ranked.append((usd, int(pm[name].sum()), name))
    ranked.sort(reverse=True)
    return [Action(name, n, usd, OWNER_ACTIONS[name]) for usd, n, name in ranked[:limit]]
