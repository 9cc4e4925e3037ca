"""One practice's whole assessment: eligibility, rates, the three delivery models, readiness.

`assess()` is the single entry point shared by the report notebook, `summary.json`, the
workbook, the batch command and the scenario explorer, so every output shows the same numbers.
`model_economics()` is the part an analyst reruns when an assumption moves (no panel needed:
the model consumes counts only); `practice_decision()` goes on from the counts and the
readiness to the decision among the four options.

Longer than 400 lines because the assessment, the path from counts and questionnaire to the
decision that every entry point shares, and its de-identified hand-over to the notebook are one
concept: what one run computes once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess import __version__
from ccm_assess.clinical.eligibility import Eligibility, summarise
from ccm_assess.errors import ReportError
from ccm_assess.finance import fees, staffing
from ccm_assess.finance.assumptions import Assumptions, load_assumptions
from ccm_assess.finance.decision import Decision, decide
from ccm_assess.finance.model import Calendar, PracticeCapacity, ScenarioResult, simulate
from ccm_assess.finance.programs import InvisibleWork, invisible_work_value, program_comparison
from ccm_assess.finance.sensitivity import MonteCarlo, monte_carlo, tornado, with_uncertainty
from ccm_assess.intake.panel import Panel, read_panel
from ccm_assess.practice import prepared
from ccm_assess.practice.disclosure import Published, published
from ccm_assess.practice.request import SETTINGS, AssessmentRequest
from ccm_assess.readiness.plan import ModelMonths, launch_plan, plan_summary
from ccm_assess.readiness.questionnaire import Answers, load_questionnaire
from ccm_assess.readiness.recommendation import Recommendation, recommend, with_decision
from ccm_assess.readiness.scoring import Readiness, readiness_summary, score_readiness

SCHEMA_VERSION = 3
MONTE_CARLO_DRAWS = 500


@dataclass(frozen=True)
class Economics:
    """The delivery models on one set of counts, rates and assumptions (USD)."""

    scenarios: dict[str, ScenarioResult]
    tornado: pd.DataFrame
    monte_carlo: MonteCarlo
    programs: pd.DataFrame
    invisible_work: InvisibleWork | None
    counts: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    rates: Mapping[str, float] = dataclasses.field(default_factory=dict)
    assumptions: Assumptions | None = None
    capacity: PracticeCapacity | None = None

    def decision(self, recommended: str) -> Decision:
        """The recommended option (a model or "none") against the runner-up and against not
        starting: win share and tipping points on the Monte Carlo draws."""
        assert self.assumptions is not None
        return decide(
            recommended,
            self.counts,
            self.rates,
            self.assumptions,
            self.monte_carlo,
            self.tornado,
            capacity=self.capacity,
        )


@dataclass(frozen=True)
class Assessment:
    """Everything the report shows for one practice (aggregates only, apart from `panel`)."""

    request: AssessmentRequest
    """The run options it was assessed with (practice name, as-of date, rates, horizon, ...)."""
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
    decision: Decision | None = None
    disclosure: Published | None = None
    """The suppression plan `assess` made before the model ran (None: made when first read)."""

    @property
    def practice(self) -> str:
        return self.request.practice

    @property
    def as_of(self) -> dt.date:
        return self.request.as_of

    @property
    def setting(self) -> str:
        """office, facility or rhc_fqhc (`request.SETTINGS`)."""
        return self.request.setting

    @cached_property
    def published(self) -> Published:
        """The run-wide small-cell suppression plan every output reads its counts from."""
        if self.disclosure is not None:
            return self.disclosure
        return published(self.panel, self.eligibility, self.counts)

    @property
    def shown_counts(self) -> dict[str, Any]:
        """`counts` as published: hidden counts as "<11" (privacy.plan_suppression)."""
        return self.published.counts(self.counts)

    @property
    def scenarios(self) -> dict[str, ScenarioResult]:
        return self.economics.scenarios

    @property
    def first_outreach_batch(self) -> int | None:
        """Patients the recommended model approaches in its go-live month (the worklist's
        first month's batch); None when no delivery model is recommended."""
        chosen = self.scenarios.get(self.recommendation.choice)
        return None if chosen is None else ModelMonths.from_monthly(chosen.monthly).first_batch

    @property
    def rates(self) -> dict[str, float]:
        """Allowed amount per code for the practice setting, USD per unit."""
        return rates_of(self.rate_table, self.setting)

    def summary(self) -> dict[str, Any]:
        """summary.json (schema_version 3, docs/outputs.md), before small-cell suppression.

        Version 2 adds per scenario the Monte Carlo percentiles (`p50_horizon_net`, ...),
        `setup_months`, `first_payment_month`, `staff_hours_per_week`,
        `practitioner_hours_per_week`; at the top `decision` and `rates.setting`;
        `model_inputs.horizon_months` is the horizon the money is summed over (`--years`).
        Version 3 adds per scenario the cash figures (`cash_horizon_net`,
        `p50_cash_horizon_net`, ...) and `practitioner_time_value`; `decision.options` (the four
        options, "none" included).
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "practice": self.practice,
            **self.counts,
            "rates": {
                "year": self.rate_table.year,
                "locality": self.rate_table.locality.label,
                "setting": self.setting,
                **self.rates,
            },
            "scenarios": {key: result.metrics() for key, result in self.scenarios.items()},
            "readiness": readiness_summary(self.readiness),
            "recommendation": self.recommendation.choice,
            "decision": None if self.decision is None else self.decision.as_dict(),
            "model_inputs": {
                **model_inputs(self.capacity),
                "horizon_months": self.assumptions.horizon_months,
            },
            "plan": plan_summary(self.plan),
        }


def request_rate_table(request: AssessmentRequest) -> fees.RateTable:
    """The fee schedule of the request's year, for its locality (national for RHCs/FQHCs)."""
    return fees.rate_table(request.year, request.rates_locality)


def rates_of(table: fees.RateTable, setting: str = "office") -> dict[str, float]:
    """Code -> allowed amount (USD) of a rate table for `setting` (office or facility)."""
    column = table.rates[SETTINGS[setting]].astype(float)
    return dict(zip(table.rates["code"], column, strict=True))


ROLE_OF_STAFF = {"ma": "MA", "lpn": "LPN", "rn": "RN", "rn_team": "LPN"}
"""questionnaire `staff_roles` -> the care manager's role (an RN with LPN or MA support costs
about an LPN per hour of care [A]); "none": the default role, hired."""


def practice_assumptions(assumptions: Assumptions, answers: Mapping[str, Any]) -> Assumptions:
    """The assumptions with the questionnaire's answers applied where the user set nothing:
    the care manager's role from `staff_roles`, and practitioners' time worth 0 when
    `practitioner_schedules` says they have room (full or unanswered: the displaced visits'
    value, the default)."""
    chosen = assumptions.changed()
    changes: dict[str, object] = {}
    role = ROLE_OF_STAFF.get(str(answers.get("staff_roles")))
    if role is not None and "care_manager_role" not in chosen:
        changes["care_manager_role"] = role
    if (
        answers.get("practitioner_schedules") == "room"
        and "practitioner_cost_per_hour" not in chosen
    ):
        changes["practitioner_cost_per_hour"] = 0.0
    return assumptions.with_values(**changes) if changes else assumptions


def model_inputs(capacity: PracticeCapacity) -> dict[str, Any]:
    """What the model took from the questionnaire and the as-of date besides the counts
    (summary.json `model_inputs`; `first_model_month` is [year, month, rate year])."""
    calendar = capacity.calendar
    return {
        "ehr_has_care_tools": capacity.ehr_has_care_tools,
        "has_24_7_access": capacity.has_24_7_access,
        "spare_hours_per_week": capacity.spare_hours_per_week,
        "first_model_month": None
        if calendar is None
        else [calendar.year, calendar.month, calendar.rate_year],
    }


def first_model_month(as_of: dt.date, rate_year: int) -> Calendar:
    """Model month 1 is the calendar month after the as-of date."""
    return Calendar(as_of.year + as_of.month // 12, as_of.month % 12 + 1, rate_year)


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
        programs=program_comparison(eligibility_counts, rates, assumptions, capacity),
        invisible_work=(
            None if coordination is None else invisible_work_value(coordination, rates, assumptions)
        ),
        counts=eligibility_counts,
        rates=dict(rates),
        assumptions=assumptions,
        capacity=capacity,
    )


def practice_capacity(readiness: Readiness, calendar: Calendar | None = None) -> PracticeCapacity:
    """What the model takes from the questionnaire (hours, EHR tools, 24/7, spare hours)."""
    spare = readiness.answers.values.get("spare_hours_per_week")
    return PracticeCapacity(
        dedicated_hours_per_week=readiness.dedicated_hours_per_week,
        coordination_hours_per_week=readiness.coordination_hours_per_week,
        ehr_has_care_tools=readiness.answers.values.get("certified_ehr") == "certified_set_up",
        has_24_7_access=readiness.has_24_7_access,
        calendar=calendar,
        spare_hours_per_week=None if spare is None else float(spare),
    )


def practice_decision(
    counts: Mapping[str, Any],
    rates: Mapping[str, float],
    assumptions: Assumptions,
    readiness: Readiness,
    calendar: Calendar | None = None,
    *,
    draws: int = MONTE_CARLO_DRAWS,
) -> tuple[Assumptions, PracticeCapacity, Economics, Recommendation, Decision]:
    """From counts, rates, assumptions and readiness to the decision: the assumptions with the
    questionnaire applied, the capacity, the economics, the recommendation (its confidence
    from the decision) and the decision among the four options."""
    assumptions = practice_assumptions(assumptions, readiness.answers.values)
    capacity = practice_capacity(readiness, calendar)
    economics = model_economics(counts, rates, assumptions, capacity, draws=draws)
    in_house = economics.scenarios["in_house"]
    recommendation = recommend(
        readiness,
        economics.scenarios,
        in_house.ftes_steady_state,
        horizon_months=assumptions.horizon_months,
        productive_hours_per_fte=staffing.PAID_HOURS_PER_YEAR * assumptions.productive_share,
        hours_needed_per_week=float(in_house.staff_hours_per_week["final_year_average"])
        - in_house.practitioner_hours_per_week,
    )
    decision = economics.decision(recommendation.option)
    return assumptions, capacity, economics, with_decision(recommendation, decision), decision


def assess(
    panel: Panel,
    request: AssessmentRequest,
    *,
    assumptions: Assumptions | None = None,
    answers: Answers | None = None,
) -> Assessment:
    """Assess a panel: who is eligible, what the program needs and returns, and readiness.

    `request` carries the run options (as-of date, practice, fee year, locality, setting,
    conditions level, horizon); `assumptions` None means the defaults (the request's horizon
    applied either way); `answers` None means the questionnaire was not filled in (every
    question "not assessed").
    """
    assumptions = request.horizon(assumptions if assumptions is not None else load_assumptions())
    eligibility = request.eligibility(panel, assumptions)
    counts = summarise(panel, eligibility)
    disclosure = published(panel, eligibility, counts)
    rate_table = request_rate_table(request)
    readiness = score_readiness(answers if answers is not None else Answers.from_dict({}))
    # the model runs on published counts only: no dollar figure reveals a hidden count
    chosen = practice_decision(
        disclosure.model_counts(counts),
        rates_of(rate_table, request.setting),
        assumptions,
        readiness,
        first_model_month(request.as_of, rate_table.year),
    )
    assumptions, capacity, economics, recommendation, decision = chosen
    return Assessment(
        request=request,
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
            start=request.start or dt.date.today(),
            ma_pays_ccm=assumptions.ma_pays_ccm,
            ma_share=ma_share_of_billable(disclosure),
            decision=decision,
        ),
        decision=decision,
        disclosure=disclosure,
    )


def ma_share_of_billable(publication: Published) -> float | None:
    """Share of the billable CCM patients whose primary payer is Medicare Advantage, from the
    published counts (None when either count is hidden, unknown or zero)."""
    ma = publication.shown("eligibility.ccm_eligible_by_payer.medicare_advantage")
    billable = publication.shown("eligibility.ccm_billable")
    if not isinstance(ma, int) or not isinstance(billable, int) or billable == 0:
        return None
    return ma / billable


PHI_COLUMNS = ("name", "phone", "address", "birth_date")
"""Patient columns the notebook never needs: left out of the prepared assessment."""
PREPARED_KIND = "ccm-assess prepared assessment"
HEADER_FILE = "header.txt"


def deidentified(assessment: Assessment) -> Assessment:
    """The assessment with names, phones, addresses and birth dates dropped and ids replaced.

    Patient ids become sequence numbers (P000001, ...) in the panel and the eligibility, so
    the notebook and the executed `assessment.ipynb` never hold an identifier from the
    practice's file.
    """
    panel, eligibility = assessment.panel, assessment.eligibility
    codes, uniques = pd.factorize(panel.patients.index)
    pseudonyms = pd.Index([f"P{n + 1:06d}" for n in range(len(uniques))], name="patient_id")
    lookup = pd.Series(pseudonyms, index=uniques)

    def renamed(ids: pd.Series | pd.Index) -> np.ndarray:
        return np.asarray(ids.map(lookup))

    patients = panel.patients.assign(**{c: pd.NA for c in PHI_COLUMNS})
    patients.index = pseudonyms[codes]
    diagnoses = panel.diagnoses.assign(patient_id=renamed(panel.diagnoses["patient_id"]))
    eligible = eligibility.patients.set_axis(
        pd.Index(renamed(eligibility.patients.index), name="patient_id")
    )
    evidence = eligibility.evidence.assign(patient_id=renamed(eligibility.evidence["patient_id"]))
    return dataclasses.replace(
        assessment,
        panel=dataclasses.replace(panel, patients=patients, diagnoses=diagnoses),
        eligibility=dataclasses.replace(eligibility, patients=eligible, evidence=evidence),
    )


def prepared_header(version: str = __version__, schema_version: int = SCHEMA_VERSION) -> bytes:
    """The `HEADER_FILE` of a prepared assessment: kind, package version, schema version."""
    return f"{PREPARED_KIND} {version} schema {schema_version}\n".encode("ascii")


def save_prepared(assessment: Assessment, folder: Path) -> Path:
    """Write the de-identified assessment for the report notebook (`load_prepared`) into
    `folder`: `HEADER_FILE`, then the assessment as JSON and Parquet (`practice.prepared`, a
    format that cannot run code when read). `ccm-assess run` writes it into its private staging
    folder, never published, removed when the run ends, fails or is stopped (edge/lifecycle.py).
    """
    folder.mkdir(parents=True, exist_ok=True)
    prepared.write(deidentified(assessment), folder)
    (folder / HEADER_FILE).write_bytes(prepared_header())
    return folder


def load_prepared(folder: Path) -> Assessment:
    """The assessment `save_prepared` wrote; ReportError for anything else (another version,
    another kind of file, a class that is not the kit's), checked before any frame is read."""
    refused = ReportError(
        f"{folder.name} is not an assessment prepared by this version of ccm-assess "
        f"({__version__}): run `ccm-assess run` again, or leave prepared_assessment empty"
    )
    expected = prepared_header()
    try:
        with (folder / HEADER_FILE).open("rb") as handle:
            if handle.read(len(expected) + 1) != expected:
                raise refused
        assessment = prepared.read(folder)
    except (OSError, prepared.FormatError) as error:
        raise refused from error
    if not isinstance(assessment, Assessment):
        raise refused
    return assessment


def notebook_assessment(
    prepared_assessment: str = "",
    *,
    panel_path: str = "",
    questionnaire: str = "",
    assumptions_file: str = "",
    **parameters: Any,
) -> Assessment:
    """The report notebook's assessment: the one `ccm-assess run` computed and handed over
    (`prepared_assessment`, a `save_prepared` folder), else computed here from the parameters
    (JupyterLab, papermill by hand): `parameters` are the run options as
    `AssessmentRequest.parameters` names them. Empty texts mean: questionnaire not filled in,
    default assumptions (and, in `parameters`, as `AssessmentRequest.from_parameters` says)."""
    if prepared_assessment:
        return load_prepared(Path(prepared_assessment))
    return assess(
        read_panel(Path(panel_path)),
        AssessmentRequest.from_parameters(**parameters),
        assumptions=load_assumptions(Path(assumptions_file) if assumptions_file else None),
        answers=load_questionnaire(Path(questionnaire)) if questionnaire else None,
    )
