"""By billing provider: billable patients, initiating visits needed, expected enrolment and
revenue, so a practice can decide provider by provider.

A patient is billable when CCM-eligible and insured by a payer the model bills (traditional
Medicare, and Medicare Advantage when `ma_pays_ccm`; eligibility's `ccm_billable` column is used
instead when it exists). Expected enrolment and revenue are the chosen model's steady-state
(final-year) figures shared out in proportion to each provider's billable patients, so the
provider rows add up to the practice totals. Aggregates only: the table's counts are in the
run's suppression plan (practice/disclosure.py), and a hidden count hides the figures derived
from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccm_assess.finance.model import STEADY_STATE_MONTHS, ScenarioResult
from ccm_assess.practice.assessment import Assessment
from ccm_assess.practice.disclosure import NOT_RECORDED, Published, group_labels
from ccm_assess.privacy import WITHHELD, is_hidden, partition, plan_suppression, subset

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
    published: Published | None = None  # the run's plan (None: the table's own, `table_plan`)

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
    published: Published | None = None,
) -> ProviderView:
    """Per billing provider (`provider` per patient, blank = "Not recorded"): billable
    patients, those of them needing an initiating visit, and the `scenario`'s steady-state
    enrolment (the median of the simulations, as in the headline) and yearly collected revenue
    (USD; the default-values run's, scaled to that enrolment) shared by billable patients."""
    billable = billable_patients(eligibility, ma_pays_ccm=ma_pays_ccm)
    names = group_labels(provider)
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
        published=published,
    )


BILLABLE, VISITS = "billable_by_provider.", "billable_visits_by_provider."
TOTAL_BILLABLE, TOTAL_VISITS = "eligibility.ccm_billable", "providers.billable_visits"


def table_plan(view: ProviderView) -> Published:
    """The table's own suppression plan, for a view made outside a run (a notebook, a test):
    billable patients per provider add up to the total, and so do the initiating visits."""
    names = view.rows["provider"].tolist()
    cells: dict[str, int | None] = {
        f"{BILLABLE}{n}": int(v) for n, v in zip(names, view.rows["billable"], strict=True)
    }
    cells[TOTAL_BILLABLE] = int(view.totals["billable"])
    relations = [partition(TOTAL_BILLABLE, [f"{BILLABLE}{n}" for n in names])]
    if view.visit_known:
        visits = view.rows["needs_initiating_visit"]
        cells |= {f"{VISITS}{n}": int(v) for n, v in zip(names, visits, strict=True)}
        cells[TOTAL_VISITS] = int(view.totals["needs_initiating_visit"])
        relations += [
            partition(TOTAL_VISITS, [f"{VISITS}{n}" for n in names]),
            *(subset(f"{BILLABLE}{n}", (f"{VISITS}{n}",)) for n in names),
        ]
    return Published(cells, tuple(relations), plan_suppression(cells, relations))


def shown_rows(view: ProviderView) -> pd.DataFrame:
    """The rows as published, counts from the run's plan (`view.published`, else the table's
    own): a hidden billable count (or total) also hides the enrolment and revenue derived from
    it (`WITHHELD`); unknown visits show as None. A total row comes last."""
    plan = view.published or table_plan(view)
    names = view.rows["provider"].tolist()
    total = plan.shown(TOTAL_BILLABLE)
    billable = [plan.shown(f"{BILLABLE}{n}") for n in names]
    derived_hidden = np.array([is_hidden(b) or is_hidden(total) for b in billable], dtype=bool)
    visit_known = view.visit_known and TOTAL_VISITS in plan.exact
    out = view.rows.astype(object).assign(
        billable=billable,
        needs_initiating_visit=[plan.shown(f"{VISITS}{n}") if visit_known else None for n in names],
        expected_enrolled=view.rows["expected_enrolled"]
        .astype(object)
        .mask(derived_hidden, WITHHELD),
        revenue_year=view.rows["revenue_year"].astype(object).mask(derived_hidden, WITHHELD),
    )
    totals = {
        "provider": TOTAL,
        **view.totals,
        "billable": total,
        "needs_initiating_visit": plan.shown(TOTAL_VISITS) if visit_known else None,
    }
    return pd.concat([out, pd.DataFrame([totals], dtype=object)], ignore_index=True)


def provider_view(assessment: Assessment) -> ProviderView:
    """`by_provider` for an assessment, on its recommended model."""
    return by_provider(
        assessment.panel.patients["provider"],
        assessment.eligibility.patients,
        assessment.scenarios[assessment.recommendation.choice],
        ma_pays_ccm=assessment.assumptions.ma_pays_ccm,
        visit_known=assessment.panel.has("last_visit_date"),
        published=assessment.published,
    )
