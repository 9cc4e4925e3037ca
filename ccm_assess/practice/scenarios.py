"""Analyst scenarios: change assumptions, rerun the three delivery models, keep and compare them.

Plain Python for any notebook or script; `outputs/explorer/app.py` is a thin ipywidgets layer
over it.
A scenario starts from a finished assessment, read either from the output folder of
`ccm-assess run` (`summary.json` and `assumptions_used.yaml`) or built from a panel and a
questionnaire with `assessment.assess`. The model consumes counts only (ARCHITECTURE.md), so a
scenario reruns `assessment.model_economics` (three models, tornado, Monte Carlo) in a few
hundredths of a second, without the panel. Money is USD; rates are the Medicare non-facility
allowed amounts of `fees.rate_table` for the scenario's year and locality.

A saved scenario exports as an assumptions YAML that `ccm-assess run --assumptions` reads, so
the client report can be regenerated from it.

Longer than 400 lines because the scenario inputs (from a run folder or a panel), the rerun and the
scenario book are one analyst workflow over `ScenarioInputs`; the widgets are in outputs/explorer.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ccm_assess.errors import ScenarioError
from ccm_assess.finance import fees
from ccm_assess.finance.assumptions import Assumptions, Value, load_assumptions
from ccm_assess.finance.cms_files import load_gpci
from ccm_assess.finance.model import SUMMARY_METRICS, Calendar, PracticeCapacity, ScenarioResult
from ccm_assess.intake.panel import read_panel
from ccm_assess.practice.assessment import (
    MONTE_CARLO_DRAWS,
    SCHEMA_VERSION,
    Assessment,
    Economics,
    assess,
    model_economics,
    rates_of,
)
from ccm_assess.practice.request import AssessmentRequest, paid_locality
from ccm_assess.readiness.questionnaire import load_questionnaire
from ccm_assess.reference import data_path

ASSUMPTIONS_USED = "assumptions_used.yaml"
"""The file `ccm-assess run` writes beside summary.json: every assumption value it used."""
BASE_NAME = "As assessed"
"""The name of the scenario with the assessment's own assumptions, year and locality."""
COMPARE_METRICS = (*SUMMARY_METRICS, "peak_cash_need", "net_per_enrolled_month")
"""The columns of `ScenarioBook.compare` (summary.json scenario metrics, USD, months, FTEs)."""
BUNDLED_GPCI = "gpci_2025.csv"
_LOCALITY_KEY = re.compile(r"^([A-Z]{2}) (\d{1,3})\b")


@dataclass(frozen=True)
class ScenarioInputs:
    """What every scenario of one practice shares: counts, capacity and the assessed baseline.

    `counts` is the `eligibility` part of summary.json; `rates` the USD per code the assessment
    used for `year`, `locality` (a `Locality.label`) and `setting` (`request.SETTINGS`);
    `assumptions` the values it used (its horizon included);
    `reported` its summary.json scenario metrics per model, to check a rerun against.
    """

    practice: str
    as_of: str
    counts: Mapping[str, Any]
    year: int
    locality: str
    rates: Mapping[str, float]
    assumptions: Assumptions
    capacity: PracticeCapacity
    source: str
    reported: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    setting: str = "office"

    def settings(self) -> dict[str, Value]:
        """Every assumption value plus `year` and `locality`."""
        return _settings(self.assumptions, self.year, self.locality)


def _settings(assumptions: Assumptions, year: int, locality: str) -> dict[str, Value]:
    return {**assumptions.as_dict(), "year": year, "locality": locality}


def _read_summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    if not path.is_file():
        raise ScenarioError(
            f"No summary.json in {folder}: point assessment_dir at the output folder of "
            "`ccm-assess run`, or leave it empty and give panel_path (and questionnaire)."
        )
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"{path} is not valid JSON (line {error.lineno}): rerun `ccm-assess run`."
        ) from None
    if not isinstance(summary, dict) or summary.get("schema_version") != SCHEMA_VERSION:
        version = summary.get("schema_version") if isinstance(summary, dict) else None
        raise ScenarioError(
            f"{path} has schema_version {version!r}; this ccm-assess reads version "
            f"{SCHEMA_VERSION}: rerun `ccm-assess run` with this version."
        )
    missing = [key for key in ("eligibility", "rates") if not isinstance(summary.get(key), dict)]
    if missing:
        raise ScenarioError(
            f"{path} has no {' or '.join(missing)} section: it is not a complete "
            "`ccm-assess run` summary; rerun the assessment."
        )
    return summary


def load_inputs(folder: str | Path) -> ScenarioInputs:
    """Scenario inputs from the output folder of `ccm-assess run`.

    Reads `summary.json` (eligibility counts, rates year/locality/USD per code, questionnaire
    capacity, scenario metrics) and `assumptions_used.yaml`; without that file the registry
    defaults are used and a note says so. Counts of 1-10 patients that summary.json suppresses
    (null) count as 0 in the model; a note lists them.
    """
    folder = Path(folder)
    summary = _read_summary(folder)
    notes = []
    used = folder / ASSUMPTIONS_USED
    if used.is_file():
        assumptions = load_assumptions(used)
    else:
        assumptions = Assumptions()
        notes.append(
            f"No {ASSUMPTIONS_USED} in {folder}: scenarios start from the default assumptions. "
            "If the assessment was run with --assumptions, its report used other values."
        )
    hidden = [p for p in summary.get("suppressed", []) if p.startswith("eligibility.")]
    if hidden:
        notes.append(
            "Counts of 1-10 patients are suppressed in summary.json and count as 0 here: "
            + ", ".join(hidden)
            + ". Build the inputs from the panel for exact counts."
        )
    rates = summary["rates"]
    capacity = (summary.get("readiness") or {}).get("capacity") or {}
    practice = summary.get("model_inputs") or {}
    calendar = practice.get("first_model_month")
    return ScenarioInputs(
        practice=str(summary.get("practice", "")),
        as_of=str(summary.get("as_of", "")),
        counts=summary["eligibility"],
        year=int(rates["year"]),
        locality=str(rates["locality"]),
        rates={
            code: float(v)
            for code, v in rates.items()
            if code not in ("year", "locality", "setting")
        },
        assumptions=assumptions,
        capacity=PracticeCapacity(
            dedicated_hours_per_week=capacity.get("dedicated_hours_per_week"),
            coordination_hours_per_week=capacity.get("coordination_hours_per_week"),
            ehr_has_care_tools=practice.get("ehr_has_care_tools"),
            has_24_7_access=practice.get("has_24_7_access"),
            calendar=None if calendar is None else Calendar(*calendar),
            spare_hours_per_week=practice.get("spare_hours_per_week"),
        ),
        source=str(folder),
        reported=summary.get("scenarios") or {},
        notes=tuple(notes),
        setting=str(rates.get("setting", "office")),
    )


def inputs_from_assessment(assessment: Assessment, source: str = "") -> ScenarioInputs:
    """Scenario inputs from an `Assessment` in memory: the counts its model ran on (hidden
    counts as estimated from published ones, `Published.model_counts`)."""
    return ScenarioInputs(
        practice=assessment.practice,
        as_of=assessment.as_of.isoformat(),
        counts=dict(assessment.economics.counts),
        year=assessment.rate_table.year,
        locality=assessment.rate_table.locality.label,
        rates=assessment.rates,
        assumptions=assessment.assumptions,
        capacity=assessment.capacity,
        source=source or assessment.practice,
        reported={key: result.metrics() for key, result in assessment.scenarios.items()},
        setting=assessment.setting,
    )


def inputs_from_panel(
    panel_path: str | Path,
    questionnaire: str | Path | None = None,
    *,
    request: AssessmentRequest | None = None,
    assumptions_file: str | Path | None = None,
) -> ScenarioInputs:
    """Assess a panel export (and questionnaire) as `ccm-assess run` would with `request`'s
    options (None: the defaults, as of today); the practice is named after the file unless
    the request names it."""
    path = Path(panel_path)
    request = request or AssessmentRequest()
    assessment = assess(
        read_panel(path),
        replace(request, practice=request.practice or path.stem.replace("_", " ").title()),
        assumptions=load_assumptions(assumptions_file or None),
        answers=load_questionnaire(questionnaire) if questionnaire else None,
    )
    return inputs_from_assessment(assessment, source=str(path))


def open_inputs(
    assessment_dir: str = "",
    panel_path: str = "",
    questionnaire: str = "",
    *,
    assumptions_file: str = "",
    **parameters: Any,
) -> ScenarioInputs:
    """The notebook's entry: the output folder when given, else the panel (+ questionnaire)
    assessed with the run options in `parameters` (`AssessmentRequest.from_parameters`: as_of,
    locality, year, conditions_level, setting, years).

    Text parameters as papermill passes them; "" means not given (as_of "" = today).
    """
    if assessment_dir:
        return load_inputs(assessment_dir)
    if not panel_path:
        raise ScenarioError(
            "Give assessment_dir (the output folder of `ccm-assess run`) or panel_path "
            "(a panel export, with questionnaire for the readiness answers)."
        )
    return inputs_from_panel(
        panel_path,
        questionnaire or None,
        request=AssessmentRequest.from_parameters(**parameters),
        assumptions_file=assumptions_file or None,
    )


# ------------------------------------------------------------------------------ rates by place


def locality_key(label: str) -> str | None:
    """The `--locality` text for a locality label: "TX 99 REST OF TEXAS" -> "TX 99"; national
    -> None."""
    if label == fees.NATIONAL_NAME:
        return None
    match = _LOCALITY_KEY.match(label)
    return f"{match.group(1)} {int(match.group(2))}" if match else label


@functools.cache
def locality_labels() -> tuple[str, ...]:
    """National first, then every locality of the bundled CMS GPCI table, as labels."""
    table = load_gpci(data_path(BUNDLED_GPCI), source=fees.BUNDLED_GPCI_SOURCE)
    labels = table["state"] + " " + table["locality_number"].astype(str) + " "
    return (fees.NATIONAL_NAME, *(labels + table["locality_name"]).tolist())


@functools.cache
def scenario_rates(year: int, locality: str, setting: str = "office") -> Mapping[str, float]:
    """USD per code for a year, a locality label and a setting (`request.SETTINGS`; cached,
    read-only)."""
    place = paid_locality(locality_key(locality), setting)
    return MappingProxyType(rates_of(fees.rate_table(year, place), setting))


# ------------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Scenario:
    """One named what-if: its assumptions, year, locality and the three models' economics.

    `changes` maps what differs from the assessment (assumption names, `year`, `locality`) to
    (assessed value, scenario value).
    """

    name: str
    assumptions: Assumptions
    year: int
    locality: str
    economics: Economics
    changes: Mapping[str, tuple[Value, Value]]

    @property
    def results(self) -> dict[str, ScenarioResult]:
        """ScenarioResult per delivery model (monthly frame and metrics)."""
        return self.economics.scenarios

    def settings(self) -> dict[str, Value]:
        """Every assumption value plus `year` and `locality`."""
        return _settings(self.assumptions, self.year, self.locality)

    def metrics(self) -> pd.DataFrame:
        """One row per delivery model (index `model`), the COMPARE_METRICS columns."""
        return pd.DataFrame.from_dict(
            {key: result.metrics() for key, result in self.results.items()}, orient="index"
        ).rename_axis("model")[list(COMPARE_METRICS)]


def run_scenario(
    inputs: ScenarioInputs,
    changes: Mapping[str, object] | None = None,
    *,
    name: str = "Scenario",
    year: int | None = None,
    locality: str | None = None,
    draws: int = MONTE_CARLO_DRAWS,
) -> Scenario:
    """Rerun the three delivery models with `changes` applied to the assessment's assumptions.

    `changes`: assumption name -> value (checked like an assumptions file: AssumptionsError
    for an unknown name or a value outside the allowed range). `year` and `locality` (a label
    from `locality_labels`) default to the assessment's; rates are recomputed only when they
    differ.
    """
    assumptions = inputs.assumptions.with_values(**dict(changes or {}))
    year = inputs.year if year is None else int(year)
    locality = inputs.locality if locality is None else locality
    same_place = (year, locality) == (inputs.year, inputs.locality)
    rates = inputs.rates if same_place else scenario_rates(year, locality, inputs.setting)
    economics = model_economics(inputs.counts, rates, assumptions, inputs.capacity, draws=draws)
    before, after = inputs.settings(), _settings(assumptions, year, locality)
    return Scenario(
        name=name,
        assumptions=assumptions,
        year=year,
        locality=locality,
        economics=economics,
        changes={key: (before[key], after[key]) for key in after if after[key] != before[key]},
    )


def baseline_notes(inputs: ScenarioInputs, baseline: Scenario) -> tuple[str, ...]:
    """Where the rerun assessment differs from the report's summary.json (over 1 USD).

    A difference means a newer model, suppressed counts or other assumptions than the report.
    """
    notes = []
    for key, reported in inputs.reported.items():
        result = baseline.results.get(key)
        then = reported.get("horizon_net")
        if result is None or then is None:
            continue
        if abs(result.horizon_net - float(then)) > 1:
            notes.append(
                f"{result.label}: the rerun gives a horizon net of ${result.horizon_net:,.0f}, "
                f"the report ${float(then):,.0f}."
            )
    if notes:
        notes.append(
            "The scenarios compare with the rerun, not the report: the model version, "
            "suppressed counts or the assumptions differ from those of the report."
        )
    return tuple(notes)


def yaml_filename(name: str) -> str:
    """A file name for a scenario's assumptions: "Consent 25%!" -> "assumptions_consent_25.yaml"."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "scenario"
    return f"assumptions_{slug}.yaml"


@dataclass(frozen=True)
class ScenarioBook:
    """Named scenarios of one practice, in save order; every method returns a new book."""

    inputs: ScenarioInputs
    scenarios: tuple[Scenario, ...] = ()

    @classmethod
    def start(cls, inputs: ScenarioInputs) -> ScenarioBook:
        """A book holding the assessment itself, as `BASE_NAME`."""
        return cls(inputs, (run_scenario(inputs, name=BASE_NAME),))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.scenarios)

    def __getitem__(self, name: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise ScenarioError(
            f"No scenario named {name!r}; saved: {', '.join(self.names) or 'none'}."
        )

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    def __len__(self) -> int:
        return len(self.scenarios)

    def save(self, scenario: Scenario, name: str | None = None) -> ScenarioBook:
        """Keep `scenario` under `name` (default: its own); a saved one of that name is replaced."""
        name = (scenario.name if name is None else name).strip()
        if not name:
            raise ScenarioError("A scenario needs a name, e.g. 'Consent 25%' or 'LPN care'.")
        if name == BASE_NAME and scenario.changes:
            raise ScenarioError(f"{BASE_NAME!r} is the assessment itself: give it another name.")
        kept = tuple(s for s in self.scenarios if s.name != name)
        return replace(self, scenarios=(*kept, replace(scenario, name=name)))

    def remove(self, name: str) -> ScenarioBook:
        """The book without the scenario `name`."""
        if name not in self.names:
            raise ScenarioError(
                f"No scenario named {name!r} to remove; saved: {', '.join(self.names)}."
            )
        return replace(self, scenarios=tuple(s for s in self.scenarios if s.name != name))

    def _chosen(self, names: Sequence[str] | None) -> list[Scenario]:
        return [self[n] for n in names] if names is not None else list(self.scenarios)

    def compare(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """Side by side: one row per (model, scenario), the COMPARE_METRICS columns.

        Rows are grouped by delivery model, scenarios in the order given (default: saved).
        """
        chosen = self._chosen(names)
        if not chosen:
            return pd.DataFrame(
                columns=list(COMPARE_METRICS),
                index=pd.MultiIndex.from_tuples([], names=["model", "scenario"]),
            )
        frame = pd.concat({s.name: s.metrics() for s in chosen}, names=["scenario"])
        frame = frame.swaplevel().reorder_levels(["model", "scenario"])
        models = list(chosen[0].results)
        order = pd.MultiIndex.from_product([models, [s.name for s in chosen]])
        return frame.reindex(order).rename_axis(["model", "scenario"])

    def differences(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """What each scenario changes: one row per assumption (or year/locality) changed in any
        of them; columns BASE_NAME (the assessment) and one per other scenario (object dtype)."""
        chosen = [s for s in self._chosen(names) if s.name != BASE_NAME]
        keys = list(dict.fromkeys(k for s in chosen for k in s.changes))
        base = self.inputs.settings()
        columns = {BASE_NAME: [base[k] for k in keys]}
        columns |= {s.name: [s.settings()[k] for k in keys] for s in chosen}
        return pd.DataFrame(columns, index=pd.Index(keys, name="name"), dtype=object)

    def to_yaml(self, name: str) -> str:
        """The scenario's assumptions as YAML for `ccm-assess run --assumptions`.

        Lists the values that differ from the registry defaults (the assessment's own overrides
        included); the header says how to rerun with the scenario's year and locality.
        """
        scenario = self[name]
        place = locality_key(scenario.locality)
        where = f' --locality "{place}"' if place else ""
        practice = " ".join(self.inputs.practice.split()) or "the practice"
        header = [
            f"# ccm-assess assumptions: scenario {name!r} for {practice}"
            f" (assessment as of {self.inputs.as_of}).",
            f"# Rates: CY{scenario.year}, {scenario.locality}.",
            f"# Regenerate the report: ccm-assess run PANEL --out DIR --assumptions "
            f"{yaml_filename(name)} --year {scenario.year}{where}",
        ]
        body = scenario.assumptions.to_yaml() or "# (every assumption at its default)\n"
        return "\n".join(header) + "\n" + body

    def export_yaml(self, name: str, path: str | Path) -> Path:
        """Write `to_yaml(name)` to `path` (a folder: `yaml_filename(name)` in it) and check
        that `load_assumptions` reads back exactly the scenario's assumptions."""
        path = Path(path)
        if path.is_dir():
            path = path / yaml_filename(name)
        path.write_text(self.to_yaml(name), encoding="utf-8")
        if load_assumptions(path) != self[name].assumptions:
            raise ScenarioError(
                f"{path} does not read back as scenario {name!r}: report this as a bug."
            )
        return path
