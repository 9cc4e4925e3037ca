"""One practice's whole assessment: eligibility, rates, the three delivery models, readiness.

`assess()` is the single entry point shared by the report notebook, `summary.json`, the
workbook, the batch command and the scenario explorer, so every output shows the same numbers.
`model_economics()` is the part an analyst reruns when an assumption moves (no panel needed:
the model consumes counts only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ccm_assess import fees
from ccm_assess.assumptions import Assumptions, load_assumptions
from ccm_assess.eligibility import Eligibility, assess_eligibility, summarise
from ccm_assess.model import PracticeCapacity, ScenarioResult, simulate
from ccm_assess.panel import Panel, read_panel
from ccm_assess.programs import InvisibleWork, invisible_work_value, program_comparison
from ccm_assess.questionnaire import Answers
from ccm_assess.readiness import Readiness, readiness_summary, score_readiness
from ccm_assess.recommendation import (
    ModelMonths,
    Recommendation,
    launch_plan,
    plan_summary,
    recommend,
)
from ccm_assess.sensitivity import MonteCarlo, monte_carlo, tornado, with_uncertainty

SCHEMA_VERSION = 1
MONTE_CARLO_DRAWS = 500


@dataclass(frozen=True)
class Economics:
    """The delivery models on one set of counts, rates and assumptions (USD)."""

    scenarios: dict[str, ScenarioResult]
    tornado: pd.DataFrame
    monte_carlo: MonteCarlo
    programs: pd.DataFrame
    invisible_work: InvisibleWork | None


@dataclass(frozen=True)
class Assessment:
    """Everything the report shows for one practice (aggregates only, apart from `panel`)."""

    practice: str
    as_of: dt.date
    panel: Panel
    eligibility: Eligibility
    counts: dict[str, Any]
    """The `panel`, `excluded`, `conditions` and `eligibility` parts of summary.json."""
    rate_table: fees.RateTable
    assumptions: Assumptions
    capacity: PracticeCapacity
    economics: Economics
    readiness: Readiness
    recommendation: Recommendation
    plan: pd.DataFrame

    @property
    def scenarios(self) -> dict[str, ScenarioResult]:
        return self.economics.scenarios

    @property
    def rates(self) -> dict[str, float]:
        """Non-facility allowed amount per code, USD per unit."""
        return rates_of(self.rate_table)

    def summary(self) -> dict[str, Any]:
        """summary.json (schema_version 1, spec/outputs.md), before small-cell suppression."""
        return {
            "schema_version": SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "practice": self.practice,
            **self.counts,
            "rates": {
                "year": self.rate_table.year,
                "locality": self.rate_table.locality.label,
                **self.rates,
            },
            "scenarios": {key: result.metrics() for key, result in self.scenarios.items()},
            "readiness": readiness_summary(self.readiness),
            "recommendation": self.recommendation.choice,
            "plan": plan_summary(self.plan),
        }


def rates_of(table: fees.RateTable) -> dict[str, float]:
    """Code -> non-facility allowed amount (USD) of a rate table."""
    return dict(zip(table.rates["code"], table.rates["non_facility"].astype(float), strict=True))


def model_economics(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    capacity: PracticeCapacity | None = None,
    *,
    draws: int = MONTE_CARLO_DRAWS,
) -> Economics:
    """The three delivery models with tornado, Monte Carlo and the CCM/PCM/APCM comparison."""
    eligibility_counts = counts.get("eligibility", counts)
    capacity = capacity or PracticeCapacity()
    scenarios = simulate(eligibility_counts, rates, assumptions, capacity)
    monte = monte_carlo(eligibility_counts, rates, assumptions, draws, capacity=capacity)
    coordination = capacity.coordination_hours_per_week
    return Economics(
        scenarios=with_uncertainty(scenarios, monte),
        tornado=tornado(eligibility_counts, rates, assumptions, capacity=capacity),
        monte_carlo=monte,
        programs=program_comparison(eligibility_counts, rates, assumptions),
        invisible_work=(
            None if coordination is None else invisible_work_value(coordination, rates, assumptions)
        ),
    )


def assess(
    panel: Panel,
    *,
    as_of: dt.date,
    practice: str = "",
    year: int = 2026,
    locality: fees.Locality | str | None = None,
    assumptions: Assumptions | None = None,
    answers: Answers | None = None,
    conditions: str = "standard",
) -> Assessment:
    """Assess a panel: who is eligible, what the program needs and returns, and readiness.

    `locality` is a `Locality`, its text (e.g. "TX 99") or None for national rates;
    `answers` None means the questionnaire was not filled in (every question "not assessed");
    `conditions` is the level of the list of chronic conditions (`eligibility.LEVELS`).
    """
    assumptions = assumptions if assumptions is not None else load_assumptions()
    eligibility = assess_eligibility(panel, as_of, ma_pays_ccm=bool(assumptions["ma_pays_ccm"]))
    counts = summarise(panel, eligibility)
    rate_table = fees.rate_table(year, locality)
    readiness = score_readiness(answers if answers is not None else Answers.from_dict({}))
    capacity = PracticeCapacity(
        dedicated_hours_per_week=readiness.dedicated_hours_per_week,
        coordination_hours_per_week=readiness.coordination_hours_per_week,
    )
    economics = model_economics(counts, rates_of(rate_table), assumptions, capacity)
    scenario_metrics = {key: result.metrics() for key, result in economics.scenarios.items()}
    recommendation = recommend(
        readiness,
        scenario_metrics,
        economics.scenarios["in_house"].ftes_steady_state,
        horizon_months=int(assumptions["horizon_months"]),
    )
    return Assessment(
        practice=practice,
        as_of=as_of,
        panel=panel,
        eligibility=eligibility,
        counts=counts,
        rate_table=rate_table,
        assumptions=assumptions,
        capacity=capacity,
        economics=economics,
        readiness=readiness,
        recommendation=recommendation,
        plan=launch_plan(
            readiness,
            recommendation,
            ModelMonths.from_monthly(economics.scenarios[recommendation.choice].monthly),
        ),
    )


PHI_COLUMNS = ("name", "phone", "address", "birth_date")
"""Patient columns the notebook never needs: left out of the prepared panel."""


def deidentified(panel: Panel) -> Panel:
    """The panel with names, phones, addresses and birth dates dropped and ids replaced.

    Patient ids become sequence numbers (P000001, ...) in both frames, so the notebook and
    the executed `assessment.ipynb` never hold an identifier from the practice's file.
    """
    codes, uniques = pd.factorize(panel.patients.index)
    pseudonyms = pd.Index([f"P{n + 1:06d}" for n in range(len(uniques))], name="patient_id")
    lookup = pd.Series(pseudonyms, index=uniques)
    patients = panel.patients.assign(**{c: pd.NA for c in PHI_COLUMNS})
    patients.index = pseudonyms[codes]
    diagnoses = panel.diagnoses.assign(
        patient_id=panel.diagnoses["patient_id"].map(lookup).to_numpy()
    )
    return dataclasses.replace(panel, patients=patients, diagnoses=diagnoses)


def save_prepared(panel: Panel, path: Path) -> Path:
    """Write the de-identified panel for the notebook (pickle: a private temporary file)."""
    with path.open("wb") as handle:
        pickle.dump(deidentified(panel), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def open_panel(
    panel_path: str = "",
    prepared_panel: str = "",
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Panel:
    """The panel for a notebook: the prepared file the CLI handed over, else the raw export."""
    if prepared_panel:
        with Path(prepared_panel).open("rb") as handle:
            panel: Panel = pickle.load(handle)
        return panel
    return read_panel(Path(panel_path), sheet=sheet or None, mapping=dict(mapping or {}))
