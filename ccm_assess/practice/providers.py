"""By billing provider: billable patients, initiating visits needed, expected enrolment and
revenue, so a practice can decide provider by provider.

A patient is billable when CCM-eligible and insured by a payer the model bills (traditional
Medicare, and Medicare Advantage when `ma_pays_ccm`; eligibility's `ccm_billable` column is used
instead when it exists). Expected enrolment and revenue are the chosen model's steady-state
(final-year) figures shared out in proportion to each provider's billable patients, so the provider
rows add up to the practice totals. Aggregates only: the report and the workbook hide counts
of 1-10 (privacy.suppressed_keys) and, in a hidden row, the figures derived from its count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccm_assess.finance.model import STEADY_STATE_MONTHS, ScenarioResult
from ccm_assess.practice.assessment import Assessment
from ccm_assess.privacy import SUPPRESSED, suppressed_keys

NOT_RECORDED = "Not recorded"
TOTAL = "All providers"
COLUMNS = ("provider", "billable", "needs_initiating_visit", "expected_enrolled", "revenue_year")
LABELS: Mapping[str, str] = {
    "provider": "Provider",
    "billable": "Billable patients",
    "needs_initiating_visit": "Of them, need an initiating visit",
    "expected_enrolled": "Expected enrolled (final-year average)",
    "revenue_year": "Collected a year (final year)",
}


@dataclass(frozen=True)
class ProviderView:
    """Per-provider rows (exact, before suppression) and the practice totals they sum to."""

    rows: pd.DataFrame  # COLUMNS, one row per provider, A to Z, "Not recorded" last
    totals: Mapping[str, float]
    visit_known: bool  # False when the panel has no last-visit column

    def shown(self) -> pd.DataFrame:
        """Rows with small counts hidden ("<11"), plus the total row; object dtype."""
        return shown_rows(self)


def billable_patients(eligibility: pd.DataFrame, *, ma_pays_ccm: bool) -> pd.Series:
    """True per patient who is CCM-eligible with a payer the model bills."""
    if "ccm_billable" in eligibility:
        return eligibility["ccm_billable"].fillna(False).astype(bool)
    paying = ["medicare_ffs"] + (["medicare_advantage"] if ma_pays_ccm else [])
    return eligibility["ccm_eligible"].astype(bool) & eligibility["payer_class"].isin(paying)


def by_provider(
    provider: pd.Series,
    eligibility: pd.DataFrame,
    scenario: ScenarioResult,
    *,
    ma_pays_ccm: bool,
    visit_known: bool = True,
) -> ProviderView:
    """Per billing provider (`provider` per patient, blank = "Not recorded"): billable
    patients, those of them needing an initiating visit, and the `scenario`'s steady-state
    enrolment (the median of the simulations, as in the headline) and yearly collected revenue
    (USD; the default-values run's, scaled to that enrolment) shared by billable patients."""
    billable = billable_patients(eligibility, ma_pays_ccm=ma_pays_ccm)
    names = provider.astype("str").str.strip()
    names = names.where(provider.notna() & names.ne(""), NOT_RECORDED)
    visit = eligibility["needs_initiating_visit"].fillna(False).astype(bool) & billable
    grouped = pd.DataFrame({"provider": names, "billable": billable, "visit": visit}).groupby(
        "provider"
    )
    counts = grouped[["billable", "visit"]].sum().astype(int)
    counts = counts[counts["billable"] > 0]
    steady = scenario.monthly.tail(STEADY_STATE_MONTHS)
    # the headline enrolment (the simulations' median); revenue at the defaults scaled to it
    at_defaults = float(scenario.enrolled_steady_state)
    enrolled = float(scenario.central("enrolled_steady_state") or 0.0)
    revenue = float(steady["collected_revenue"].sum()) * 12 / max(len(steady), 1)
    revenue = revenue * enrolled / at_defaults if at_defaults else 0.0
    total = int(counts["billable"].sum())
    share = counts["billable"] / total if total else counts["billable"] * 0.0
    rows = pd.DataFrame(
        {
            "provider": counts.index.astype("str"),
            "billable": counts["billable"].to_numpy(),
            "needs_initiating_visit": counts["visit"].to_numpy(),
            "expected_enrolled": (share * enrolled).to_numpy(),
            "revenue_year": (share * revenue).to_numpy(),
        }
    )
    key = rows["provider"].str.casefold().where(rows["provider"] != NOT_RECORDED, "\uffff")
    rows = rows.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
    return ProviderView(
        rows=rows,
        totals={
            "billable": total,
            "needs_initiating_visit": int(counts["visit"].sum()),
            "expected_enrolled": enrolled if total else 0.0,
            "revenue_year": revenue if total else 0.0,
        },
        visit_known=visit_known,
    )


def shown_rows(view: ProviderView) -> pd.DataFrame:
    """The rows as published: a billable count of 1-10 (with its complementary cell) hides
    that row's count and the enrolment and revenue derived from it; the initiating-visit
    column is suppressed on its own; unknown visits show as None. A total row comes last."""
    rows = view.rows
    hidden_rows = {
        int(k) for k in suppressed_keys({str(i): v for i, v in enumerate(rows["billable"])})
    }
    hidden_visits = {
        int(k)
        for k in suppressed_keys({str(i): v for i, v in enumerate(rows["needs_initiating_visit"])})
    }
    out = rows.astype(object)
    for i in range(len(rows)):
        if i in hidden_rows:
            out.loc[i, ["billable", "expected_enrolled", "revenue_year"]] = SUPPRESSED
        if not view.visit_known:
            out.loc[i, "needs_initiating_visit"] = None
        elif i in hidden_visits:
            out.loc[i, "needs_initiating_visit"] = SUPPRESSED
    total = {"provider": TOTAL, **view.totals}
    if not view.visit_known:
        total["needs_initiating_visit"] = None
    return pd.concat([out, pd.DataFrame([total], dtype=object)], ignore_index=True)


def provider_view(assessment: Assessment) -> ProviderView:
    """`by_provider` for an assessment, on its recommended model."""
    return by_provider(
        assessment.panel.patients["provider"],
        assessment.eligibility.patients,
        assessment.scenarios[assessment.recommendation.choice],
        ma_pays_ccm=assessment.assumptions.ma_pays_ccm,
        visit_known=assessment.panel.has("last_visit_date"),
    )
