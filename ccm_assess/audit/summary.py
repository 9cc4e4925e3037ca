"""From the patient-month table to the ledger (`audit.json`) and the program measures.

`ledger` gives audit.json (docs/audit.md, schema_version 1): exact counts (the practice's own
ledger, never suppressed), `null` for a finding that could not be assessed (its input missing)
and the finding's name under `not_assessed`. `month_measures`, `staff_measures` and
`practitioner_measures` are the program measures per month; `plan_comparison` sets them
against a `run`'s monthly.csv medians. `Audit` holds everything the audit outputs show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.audit.findings import Action
from ccm_assess.audit.inputs import AuditInput
from ccm_assess.audit.rules import FINDINGS, Assessed

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Audit:
    """Everything the audit outputs show."""

    practice: str
    months: list[str]
    inputs: dict[str, AuditInput]
    patient_months: pd.DataFrame
    assessed: Assessed
    ledger: dict[str, Any]
    measures: pd.DataFrame
    staff: pd.DataFrame
    practitioners: pd.DataFrame
    plan: pd.DataFrame | None
    exceptions: pd.DataFrame
    actions: list[Action]
    rates: dict[str, Any]

    @property
    def rates_label(self) -> str:
        """`National (unadjusted), 2026 rates, office (non-facility)` and any note."""
        years = ", ".join(map(str, self.rates["years"]))
        note = f"; {self.rates['note']}" if self.rates.get("note") else ""
        return f"{self.rates['locality']}, {years} rates, {self.rates['setting']}{note}"


MINUTE_BANDS = ((0, 15, "under 15"), (15, 20, "15-19"), (20, 40, "20-39"), (40, 60, "40-59"),
                (60, np.inf, "60 or more"))  # fmt: skip
"""Bands of counted CCM staff minutes per patient-month (the 99490/99439 thresholds)."""


def _usd(cents: float) -> float:
    return round(float(cents) / 100, 2)


def _block(pm: pd.DataFrame, assessed: Assessed) -> dict[str, Any]:
    """patients, patient_months, findings and dollars of a set of patient-months."""
    findings = {name: int(pm[name].sum()) if assessed.finding(name) else None for name in FINDINGS}
    dollars = {
        "billed": _usd(pm["billed_cents"].sum()) if assessed.claims else None,
        "supported": _usd(pm["supported_cents"].sum()),
        "missed": _usd(pm["missed_cents"].sum()) if assessed.finding("missed_billing") else None,
        "at_risk": _usd(pm["at_risk_cents"].sum()) if assessed.claims else None,
    }
    if not assessed.claims:
        dollars["would_be_at_risk_if_billed"] = (
            _usd(pm["would_be_at_risk_cents"].sum()) if assessed.register else None
        )
    return {
        "patients": int(pm.index.get_level_values("patient_id").nunique()),
        "patient_months": len(pm),
        "findings": findings,
        "dollars": dollars,
    }


def ledger(
    pm: pd.DataFrame,
    assessed: Assessed,
    months: list[str],
    *,
    inputs: Mapping[str, Mapping[str, int]],
    rates: Mapping[str, Any],
    measures: pd.DataFrame,
    plan: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """audit.json as a dict (module docstring)."""
    by_month = {m: _block(pm.xs(m, level="month", drop_level=False), assessed)
                if m in pm.index.get_level_values("month") else _block(pm.iloc[:0], assessed)
                for m in months}  # fmt: skip
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "months": months}
    out.update(_block(pm, assessed))
    out["by_month"] = by_month
    out["not_assessed"] = [name for name in FINDINGS if not assessed.finding(name)]
    out["inputs"] = {kind: dict(counts) for kind, counts in inputs.items()}
    out["rates"] = dict(rates)
    out["measures"] = {
        month: {k: _plain(v) for k, v in row.items()} for month, row in measures.iterrows()
    }  # one row per month
    if plan is not None:
        out["plan"] = {
            month: {k: _plain(v) for k, v in row.items()} for month, row in plan.iterrows()
        }
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    return value


def enrolled_by_month(register: pd.DataFrame | None, months: list[str]) -> pd.Series:
    """Register patients consented by the month's end and not disenrolled before it began."""
    if register is None:
        return pd.Series(np.nan, index=months, dtype=float)
    period = pd.PeriodIndex(months, freq="M")
    consent = register["consent_date"].to_numpy()[:, None]
    stop = register["disenrolment_date"].to_numpy()[:, None]
    ends = period.end_time.normalize().to_numpy()[None, :]
    starts = period.start_time.to_numpy()[None, :]
    active = (consent <= ends) & ~(stop < starts)
    return pd.Series(active.sum(axis=0), index=months, dtype=float)


def month_measures(
    pm: pd.DataFrame, register: pd.DataFrame | None, months: list[str], assessed: Assessed
) -> pd.DataFrame:
    """Per month: enrolled, patients with time, billed and supported-claim patient-months,
    billable-month rate, dollars, and patient-months per band of staff minutes."""
    by = pm.groupby(level="month")
    table = pd.DataFrame(index=pd.Index(months, name="month"))
    table["enrolled"] = enrolled_by_month(register, months)
    table["patients_with_time"] = by["all_minutes"].apply(lambda m: int(m.gt(0).sum()))
    table["billed_patient_months"] = by["billed_care"].sum() if assessed.claims else np.nan
    table["supported_claim_months"] = by["supported_claim"].sum() if assessed.claims else np.nan
    enrolled = table["enrolled"].astype(float)
    table["billable_month_rate"] = table["supported_claim_months"].astype(float) / enrolled.where(
        enrolled.gt(0)
    )
    for column in ("billed", "supported", "missed", "at_risk"):
        table[column] = by[f"{column}_cents"].sum() / 100
    if not assessed.claims:
        table[["billed", "at_risk", "missed"]] = np.nan
    elif not assessed.register:
        table["missed"] = np.nan
    minutes = pm["staff_minutes"]
    for low, high, label in MINUTE_BANDS:
        band = minutes.ge(low) & minutes.lt(high) & pm["all_minutes"].gt(0)
        table[f"minutes {label}"] = band.groupby(level="month").sum()
    zero = [c for c in table.columns if c.startswith("minutes ")] + ["patients_with_time"]
    if assessed.claims:  # a month without a row had nothing billed
        zero += ["billed_patient_months", "supported_claim_months"]
    table = table.reindex(months).fillna({c: 0 for c in zero})
    counts = ["enrolled", "patients_with_time", "billed_patient_months", "supported_claim_months"]
    counts += [c for c in table.columns if c.startswith("minutes ")]
    return table.astype({c: "Int64" for c in counts})


def staff_measures(time: pd.DataFrame, pm: pd.DataFrame) -> pd.DataFrame:
    """Per month and staff member: patients, CCM/PCM minutes logged, and the share of those
    patients whose month reached 20 counted staff minutes (everyone's minutes together)."""
    care = time[time["program"].isin(["CCM", "PCM"])]
    care = care.assign(month=care["date"].dt.strftime("%Y-%m"))
    reached = pm["staff_minutes"].ge(20)
    care = care.assign(
        reached=pd.MultiIndex.from_frame(care[["patient_id", "month"]]).map(reached.to_dict())
    )
    per_patient = care.groupby(["month", "staff", "patient_id"]).agg(
        minutes=("minutes", "sum"), reached=("reached", "first")
    )
    out = per_patient.groupby(level=["month", "staff"]).agg(
        patients=("minutes", "size"), minutes=("minutes", "sum"), reached=("reached", "sum")
    )
    out["share_reaching_20"] = out["reached"] / out["patients"]
    return out.drop(columns="reached").reset_index()


def practitioner_measures(claims: pd.DataFrame | None, pm: pd.DataFrame) -> pd.DataFrame:
    """Per month and billing practitioner (claims): patient-months billed, billed and at-risk
    dollars, patient-months with a finding that puts money at risk."""
    if claims is None or claims.empty:
        return pd.DataFrame(
            columns=[
                "month",
                "practitioner",
                "patient_months",
                "billed",
                "at_risk",
                "at_risk_patient_months",
            ]
        )
    lines = claims.assign(month=claims["date"].dt.strftime("%Y-%m"))
    pairs = lines[["month", "practitioner", "patient_id"]].drop_duplicates()
    index = pd.MultiIndex.from_frame(pairs[["patient_id", "month"]])
    share = 1 / pairs.groupby(["patient_id", "month"])["practitioner"].transform("size")
    pairs = pairs.assign(
        billed=index.map(pm["billed_cents"].to_dict()).to_numpy() / 100 * share,
        at_risk=index.map(pm["at_risk_cents"].to_dict()).to_numpy() / 100 * share,
    )
    pairs["risk"] = pairs["at_risk"].gt(0)
    out = pairs.groupby(["month", "practitioner"]).agg(
        patient_months=("patient_id", "size"),
        billed=("billed", "sum"),
        at_risk=("at_risk", "sum"),
        at_risk_patient_months=("risk", "sum"),
    )
    return out.reset_index()


def plan_comparison(plan: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """Audited months against the plan (monthly.csv rows of one model, by calendar_month):
    enrolled, billable-month rate, allowed revenue, the gap a year, and `plan_run`: which run
    of the assessment the plan is (older files: their monthly medians)."""
    planned = plan.set_index("calendar_month").reindex(measures.index)
    out = pd.DataFrame(index=measures.index)
    out["plan_run"] = (
        str(plan["plan_run"].iloc[0])
        if "plan_run" in plan and len(plan)
        else "the assessment's monthly medians"
    )
    out["plan_month"] = planned["month"]
    out["enrolled_actual"] = measures["enrolled"]
    out["enrolled_planned"] = planned["enrolled"]
    out["billable_rate_actual"] = measures["billable_month_rate"].astype(float)
    planned_enrolled = planned["enrolled"].astype(float)
    out["billable_rate_planned"] = planned["billed_patient_months"].astype(float) / (
        planned_enrolled.where(planned_enrolled.gt(0))
    )
    out["revenue_actual"] = measures["billed"]
    revenue_column = "allowed" if "allowed" in planned else "revenue"
    out["revenue_planned"] = planned[revenue_column]
    out["revenue_gap_per_year"] = (out["revenue_actual"] - out["revenue_planned"]) * 12
    per_claim = measures["supported"] / measures["supported_claim_months"].where(
        measures["supported_claim_months"].gt(0)
    )
    out["rate_gap_per_year"] = (
        (out["billable_rate_planned"] - out["billable_rate_actual"])
        * measures["enrolled"]
        * per_claim
        * 12
    )
    return out
