"""From the patient-month table to the ledger (`audit.json`) and the program measures.

`ledger` gives the audit's exact ledger: counts, `null` for a finding that could not be
assessed (its input missing) and the finding's name under `not_assessed`. What audit.json,
the workbook and the report publish follows one small-cell plan (`audit_plan`, docs/privacy.md):
a hidden count is `null` in audit.json and listed under `suppressed`, and so is every dollar
figure or rate that would give it away (`Audit.shown`). `month_measures`, `staff_measures`
and `practitioner_measures` are the program measures per month; `plan_comparison` sets them
against a `run`'s monthly.csv medians. `Audit` holds everything the audit outputs show.

Longer than 400 lines because the ledger and its disclosure plan name the same dotted paths:
the plan's cells, relations and dollar links are written against the ledger they hide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.audit.findings import Action
from ccm_assess.audit.inputs import AuditInput
from ccm_assess.audit.rules import FINDINGS, Assessed
from ccm_assess.finance.model import STEADY_STATE_MONTHS
from ccm_assess.privacy import (
    WITHHELD,
    Relation,
    format_count,
    is_small,
    mask,
    partition,
    plan_suppression,
    subset,
    suppressed_summary,
)

SCHEMA_VERSION = 1
STEADY_SHARE = 0.95
"""A plan month is past the ramp once planned enrolment reaches this share of the plan's
final-year average ([A] ours, docs/audit.md, Against the plan)."""


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
    hidden: frozenset[str] = frozenset()
    """Dotted paths of `ledger` that are published hidden (`audit_plan`)."""

    def shown(self, path: str) -> Any:
        """A ledger value as published: its marker ("<11" or withheld) when hidden."""
        node: Any = self.ledger
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return mask(node, path in self.hidden)

    def action_text(self, action: Action, money: Callable[[float], str]) -> str:
        """An action's wording as published: its patient-months as the ledger's finding total
        shows them, its dollars withheld when that count is hidden."""
        path = f"findings.{action.finding}"
        usd = WITHHELD if path in self.hidden else money(action.usd)
        return action.text.format(n=format_count(self.shown(path)), usd=usd)

    def published_measures(self) -> pd.DataFrame:
        """`measures` with every hidden value as NaN: what the charts may draw."""
        frame = self.measures.astype(float)
        hidden = [[f"measures.{m}.{c}" in self.hidden for c in frame.columns] for m in frame.index]
        return frame.mask(np.array(hidden, dtype=bool).reshape(frame.shape))

    def plan_table(self) -> pd.DataFrame | None:
        """The comparison with the plan as published (`shown`), one row per month."""
        if self.plan is None:
            return None
        plan = self.plan.astype(object)
        hidden = [[f"plan.{m}.{c}" in self.hidden for c in plan.columns] for m in plan.index]
        return plan.mask(np.array(hidden, dtype=bool).reshape(plan.shape), WITHHELD)

    @property
    def published_ledger(self) -> dict[str, Any]:
        """audit.json: the ledger with hidden values null, their paths under `suppressed`."""
        return suppressed_summary(self.ledger, self.hidden)

    plan_basis: dict[str, Any] | None = None
    """With --plan: `model`, `model_label`, `chosen_by`, `program_go_live` (YYYY-MM) and how it
    was found (`go_live_from`), `plan_go_live_month` and its `plan_go_live_calendar_month`."""

    @property
    def plan_label(self) -> str:
        """`the In-house plan` (or "" without --plan): named on every page and sheet."""
        return f"the {self.plan_basis['model_label']} plan" if self.plan_basis else ""

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
    plan_basis: Mapping[str, Any] | None = None,
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
    if plan_basis is not None:
        out["plan_basis"] = dict(plan_basis)
    if plan is not None:
        out["plan"] = {
            month: {k: _plain(v) for k, v in row.items()} for month, row in plan.iterrows()
        }
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
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
    zero.append("supported")  # a month without a row had no time and nothing billed
    if assessed.claims:
        zero += ["billed_patient_months", "supported_claim_months", "billed", "at_risk"]
        zero += ["missed"] if assessed.register else []
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


def program_go_live(activity: list[pd.Series], given: str | None = None) -> tuple[str, str]:
    """The program's go-live month (YYYY-MM) and how it was found: `given` (--go-live), else
    the first month with care-management time logged or a claim (`activity`: the date
    columns of every row read, audited months or not). Consents dated earlier do not make the
    program live: no service was given yet."""
    if given is not None:
        return given, "as given with --go-live"
    dates = pd.concat(activity).dropna()
    return str(dates.min().to_period("M")), "the first month with logged time or a claim"


def plan_go_live(plan: pd.DataFrame) -> int:
    """The plan's go-live: its first month with patients enrolled (after its set-up months)."""
    enrolled = plan.loc[plan["enrolled"].gt(0), "month"]
    return int(enrolled.min()) if len(enrolled) else int(plan["month"].min())


def plan_ramp_end(plan: pd.DataFrame) -> int:
    """The plan's first month past its ramp: planned enrolment reaches `STEADY_SHARE` of its
    final-year average (the model's steady state, `STEADY_STATE_MONTHS`)."""
    enrolled = plan.sort_values("month").set_index("month")["enrolled"]
    steady = float(enrolled.tail(STEADY_STATE_MONTHS).mean())
    reached = enrolled.index[enrolled.ge(STEADY_SHARE * steady) & enrolled.gt(0)]
    return int(reached.min()) if len(reached) else int(enrolled.index.max()) + 1


def plan_comparison(plan: pd.DataFrame, measures: pd.DataFrame, go_live: str) -> pd.DataFrame:
    """Audited months against the plan's medians (monthly.csv rows of one model), aligned on
    go-live: the program's month k (1 = `go_live`, YYYY-MM) meets the plan's k-th month from
    its own go-live (`plan_go_live`), never the plan's set-up months. Per month: enrolled,
    billable-month rate, revenue (allowed), revenue to date over the audited months (the fair
    comparison while enrolment ramps up) and, only past the plan's ramp (`plan_ramp_end`), the
    gaps over a year; a ramp month is never multiplied by 12 (docs/audit.md, Against the plan).
    """
    months = pd.PeriodIndex(measures.index, freq="M")
    program_month = np.asarray((months - pd.Period(go_live, freq="M")).map(lambda d: d.n)) + 1
    plan_month = plan_go_live(plan) + program_month - 1
    planned = plan.set_index("month").reindex(plan_month)
    planned.index = measures.index
    out = pd.DataFrame(index=measures.index)
    out["program_month"] = program_month
    out["plan_month"] = pd.Series(plan_month, index=out.index, dtype="Int64").where(
        planned["enrolled"].notna()
    )
    out["plan_calendar_month"] = planned["calendar_month"]
    out["in_ramp"] = plan_month < plan_ramp_end(plan)
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
    out["revenue_actual_to_date"] = out["revenue_actual"].cumsum(skipna=False)
    out["revenue_planned_to_date"] = out["revenue_planned"].cumsum(skipna=False)
    out["revenue_gap_to_date"] = out["revenue_actual_to_date"] - out["revenue_planned_to_date"]
    steady = ~out["in_ramp"]
    out["revenue_gap_per_year"] = ((out["revenue_actual"] - out["revenue_planned"]) * 12).where(
        steady
    )
    per_claim = measures["supported"] / measures["supported_claim_months"].where(
        measures["supported_claim_months"].gt(0)
    )
    out["rate_gap_per_year"] = (
        (out["billable_rate_planned"] - out["billable_rate_actual"])
        * measures["enrolled"]
        * per_claim
        * 12
    ).where(steady)
    return out


AT_RISK_FINDINGS = (
    "unsupported_claims",
    "no_consent",
    "no_care_plan",
    "conflicts",
    "billed_after_disenrolment",
)
"""Findings whose patient-months put billed dollars at risk (docs/audit.md)."""
COUNT_MEASURES = (
    "enrolled",
    "patients_with_time",
    "billed_patient_months",
    "supported_claim_months",
)
LATENT = "totals."
"""Counts no output shows but the months add up to (billed and supported-claim months)."""


def _links(scope: str, month: str | None) -> dict[str, tuple[str, ...]]:
    """Money and rates of a ledger block (`scope`: "" or "by_month.M.") and of its month's
    measures -> the counts they are proportional to: each is hidden when any of those is."""
    findings = tuple(f"{scope}findings.{f}" for f in AT_RISK_FINDINGS)
    measures = f"measures.{month}." if month else LATENT
    billed, supported = f"{measures}billed_patient_months", f"{measures}supported_claim_months"
    links = {
        f"{scope}dollars.billed": (billed,),
        f"{scope}dollars.supported": (supported,),
        f"{scope}dollars.missed": (f"{scope}findings.missed_billing",),
        f"{scope}dollars.at_risk": findings,
        f"{scope}dollars.would_be_at_risk_if_billed": (f"{scope}patient_months",),
    }
    if month:
        enrolled = f"{measures}enrolled"
        plan = f"plan.{month}."
        links |= {
            f"{measures}billed": (billed,),
            f"{measures}supported": (supported,),
            f"{measures}missed": (f"{scope}findings.missed_billing",),
            f"{measures}at_risk": findings,
            f"{measures}billable_month_rate": (supported, enrolled),
            f"{plan}enrolled_actual": (enrolled,),
            f"{plan}billable_rate_actual": (supported, enrolled),
            f"{plan}rate_gap_per_year": (supported, enrolled),
            f"{plan}revenue_actual": (billed,),
            f"{plan}revenue_gap_per_year": (billed,),
        }
    return links


def audit_plan(ledger: Mapping[str, Any]) -> frozenset[str]:
    """The ledger paths every audit output hides: patient(-month) counts from 1 to 10 with the
    complementary cells that protect them (privacy.plan_suppression over the months, the
    findings, the minute bands and their relations), and the dollars and rates proportional
    to a hidden count. The audited patients are the whole population: public."""
    months: list[str] = list(ledger["months"])
    cells: dict[str, int | None] = {}
    scopes = [("", None)] + [(f"by_month.{m}.", m) for m in months]
    for scope, month in scopes:
        block = ledger["by_month"][month] if month else ledger
        cells[f"{scope}patients"] = int(block["patients"])
        cells[f"{scope}patient_months"] = int(block["patient_months"])
        for name, value in block["findings"].items():
            if value is not None:
                cells[f"{scope}findings.{name}"] = int(value)
    bands: dict[str, list[str]] = {}
    for month in months:
        for column, value in ledger["measures"][month].items():
            if value is not None and (column in COUNT_MEASURES or column.startswith("minutes ")):
                cells[f"measures.{month}.{column}"] = int(value)
        bands[month] = [c for c in cells if c.startswith(f"measures.{month}.minutes ")]
    for name in ("billed_patient_months", "supported_claim_months"):
        parts = [f"measures.{m}.{name}" for m in months]
        if all(p in cells for p in parts):
            cells[f"{LATENT}{name}"] = sum(cells[p] or 0 for p in parts)
    relations: list[Relation] = [
        partition("patient_months", [f"by_month.{m}.patient_months" for m in months]),
        *(
            partition(f"findings.{f}", [f"by_month.{m}.findings.{f}" for m in months])
            for f in FINDINGS
        ),
        *(
            partition(f"{LATENT}{name}", [f"measures.{m}.{name}" for m in months])
            for name in ("billed_patient_months", "supported_claim_months")
        ),
    ]
    for month in months:
        b, m = f"by_month.{month}.", f"measures.{month}."
        relations += [
            Relation((f"{b}patient_months",), (f"{b}patients",)),  # one row per patient-month
            subset("patients", (f"{b}patients",)),
            partition(f"{m}patients_with_time", bands[month]),
            *(subset(f"{b}patient_months", (f"{b}findings.{f}",)) for f in FINDINGS),
            *(
                subset(f"{b}patient_months", (f"{m}{c}",))
                for c in ("patients_with_time", "billed_patient_months", "supported_claim_months")
            ),
        ]
    relations = [r for r in relations if r.parts and all(c in cells for c in r.cells)]
    latent = [c for c in cells if c.startswith(LATENT)]
    hidden = set(plan_suppression(cells, relations, public=("patients",), unpublished=latent))
    concealed = hidden - set(latent) | {c for c in latent if is_small(cells[c])}
    for scope, month in scopes:
        for path, counts in _links(scope, month).items():
            if any(c in concealed for c in counts):
                hidden.add(path)
    for i, month in enumerate(months):  # sums to date: any month up to this one hidden
        if any(f"measures.{m}.billed_patient_months" in concealed for m in months[: i + 1]):
            hidden |= {f"plan.{month}.revenue_actual_to_date", f"plan.{month}.revenue_gap_to_date"}
    return frozenset(hidden - set(latent))
