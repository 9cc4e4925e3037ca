"""The run options (`AssessmentRequest`) reach the assessment from every entry point, and each
one changes the result (issue 23: `run --conditions` was accepted and dropped).

A 47-patient panel: 20 with diabetes and hypertension (CMS's chronic conditions list), 15 with
obesity and anxiety (our catalog, not CMS's list), 12 with diabetes and reflux (reflux counts
only on the broad list). Last visit 15 Jan 2026.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.edge import cli
from ccm_assess.edge.parser import build_parser
from ccm_assess.edge.run import RunOptions, notebook_parameters
from ccm_assess.errors import AssumptionsError, CcmAssessError
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.intake.panel import Panel, tidy_panel
from ccm_assess.practice.assessment import (
    Assessment,
    assess,
    rates_of,
    request_rate_table,
)
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.practice.scenarios import inputs_from_panel

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 6, 30)
HEADER = ["MRN", "Dx", "Primary Insurance", "Last Visit"]
GROUPS = {"E11.9; I10": 20, "E66.9; F41.9": 15, "E11.9; K21.9": 12}
ELIGIBLE = {"strict": 20, "standard": 35, "broad": 47}
"""CCM-eligible (2+ chronic conditions) on each list: 20; 20 + 15; 20 + 15 + 12."""


def _grid() -> pd.DataFrame:
    rows = [
        [f"MRN-{len(GROUPS) * n + i:03d}", codes, "Medicare", "2026-01-15"]
        for i, (codes, size) in enumerate(GROUPS.items())
        for n in range(size)
    ]
    return pd.DataFrame([HEADER, *rows])


@pytest.fixture(scope="module")
def panel() -> Panel:
    return tidy_panel(_grid(), today=pd.Timestamp(AS_OF))


@pytest.fixture(scope="module")
def changed(panel: Panel) -> Assessment:
    """Every option away from its default."""
    request = AssessmentRequest(
        as_of=dt.date(2027, 3, 1),
        practice="Changed Practice",
        year=2025,
        locality="TX 99",
        conditions="strict",
        setting="facility",
        years=5,
    )
    return assess(panel, request)


# ------------------------------------------------------------------ each option changes the result


@pytest.mark.parametrize("level", sorted(ELIGIBLE))
def test_conditions_change_who_is_eligible(panel: Panel, level: str) -> None:
    eligibility = AssessmentRequest(as_of=AS_OF, conditions=level).eligibility(panel, Assumptions())
    assert int(eligibility.patients["ccm_eligible"].sum()) == ELIGIBLE[level]
    assert eligibility.conditions_level == level


def test_as_of_changes_who_needs_an_initiating_visit(panel: Panel) -> None:
    def needing(as_of: dt.date) -> int:
        eligibility = AssessmentRequest(as_of=as_of).eligibility(panel, Assumptions())
        return int(eligibility.patients["needs_initiating_visit"].sum())

    # last visit 15 Jan 2026: within 365 days of 30 Jun 2026, not of 1 Mar 2027
    assert (needing(AS_OF), needing(dt.date(2027, 3, 1))) == (0, ELIGIBLE["standard"])


def _rate(**options: object) -> float:
    request = AssessmentRequest(as_of=AS_OF, **options)  # type: ignore[arg-type]
    return rates_of(request_rate_table(request), request.setting)["99490"]


def test_year_locality_and_setting_change_the_rates() -> None:
    national = _rate()
    assert _rate(year=2025) != national
    assert _rate(locality="TX 99") != national
    assert _rate(setting="facility") != national
    # RHCs and FQHCs are paid the national non-facility amount wherever they are
    assert _rate(setting="rhc_fqhc", locality="TX 99") == national


def test_years_set_the_horizon_and_never_overrule_an_assumptions_file() -> None:
    assert AssessmentRequest(years=5).horizon(Assumptions()).horizon_months == 60
    assert AssessmentRequest(years=3).horizon(Assumptions()).horizon_months == 36
    assert AssessmentRequest().horizon(Assumptions({"horizon_months": 48})).horizon_months == 48
    with pytest.raises(AssumptionsError, match="--years 5 asks for 60 months"):
        AssessmentRequest(years=5).horizon(Assumptions({"horizon_months": 48}))


@pytest.mark.parametrize(
    ("option", "value"), [("conditions", "all"), ("setting", "home"), ("years", 4)]
)
def test_an_unknown_option_value_is_refused(option: str, value: object) -> None:
    with pytest.raises(CcmAssessError, match=f"--{option}"):
        AssessmentRequest(**{option: value})  # type: ignore[arg-type]


# ------------------------------------------------------------------ assess() uses every option


def test_assess_uses_every_option_of_the_request(panel: Panel, changed: Assessment) -> None:
    summary = changed.summary()
    assert (summary["practice"], summary["as_of"]) == ("Changed Practice", "2027-03-01")
    assert summary["conditions_level"] == "strict"
    assert summary["eligibility"]["ccm_eligible"] == ELIGIBLE["strict"]
    assert summary["eligibility"]["needs_initiating_visit"] == ELIGIBLE["strict"]
    rates = summary["rates"]
    assert (rates["year"], rates["setting"]) == (2025, "facility")
    assert rates["locality"].startswith("TX 99")
    assert rates["99490"] == _rate(year=2025, locality="TX 99", setting="facility")
    assert summary["model_inputs"]["horizon_months"] == 60
    assert summary["model_inputs"]["first_model_month"][:2] == [2027, 4]
    assert {len(result.monthly) for result in changed.scenarios.values()} == {60}


def test_the_horizon_changes_the_money(panel: Panel, changed: Assessment) -> None:
    three = assess(panel, dataclasses.replace(changed.request, years=3))
    assert len(three.scenarios["managed"].monthly) == 36
    assert three.scenarios["managed"].horizon_net != changed.scenarios["managed"].horizon_net


# ------------------------------------------------------------------ every entry point builds one


def test_run_and_batch_read_the_request_from_the_command_line() -> None:
    argv = ["--out", "o", "--years", "5", "--conditions", "broad", "--setting", "facility"]
    run = build_parser().parse_args(["run", "p.xlsx", *argv, "--practice", "Sunrise"])
    batch = build_parser().parse_args(["batch", "panels", *argv, "--locality", "TX 99"])
    assert cli._request(run, practice=run.practice) == AssessmentRequest(
        as_of=run.as_of, practice="Sunrise", conditions="broad", setting="facility", years=5
    )
    assert cli._request(batch) == AssessmentRequest(
        as_of=batch.as_of, locality="TX 99", conditions="broad", setting="facility", years=5
    )
    assert cli._request(build_parser().parse_args(["run", "p.xlsx", "--out", "o"])).years is None


def test_years_against_an_assumptions_horizon_stops_the_run_first(tmp_path, capsys) -> None:
    assumptions = tmp_path / "a.yaml"
    assumptions.write_text("horizon_months: 48\n", encoding="utf-8")
    argv = ["run", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "o")]
    assert cli.main([*argv, "--assumptions", str(assumptions), "--years", "5"]) == 2
    assert "horizon_months to 48" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_notebook_declares_every_parameter_run_hands_it(tmp_path: Path) -> None:
    request = AssessmentRequest(as_of=AS_OF, practice="P", conditions="strict", years=5)
    handed = notebook_parameters(
        RunOptions(panel=tmp_path / "p.csv", out=tmp_path), tmp_path / "a.pkl", request
    )
    for name in ("ccm_assessment.ipynb", "scenario_explorer.ipynb"):
        notebook = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
        declared = {line.split(":")[0] for line in cell["source"] if not line.startswith("#")}
        wanted = set(handed) if name == "ccm_assessment.ipynb" else set(request.parameters())
        assert wanted - {"practice", "prepared_assessment", "prepared_by"} <= declared, name
    assert AssessmentRequest.from_parameters(**request.parameters()) == request


def test_the_explorer_assesses_a_panel_with_the_request(tmp_path: Path) -> None:
    path = tmp_path / "small_practice.csv"
    _grid().to_csv(path, header=False, index=False)
    inputs = inputs_from_panel(
        path, request=AssessmentRequest(as_of=AS_OF, conditions="strict", setting="facility")
    )
    assert inputs.counts["ccm_eligible"] == ELIGIBLE["strict"]
    assert (inputs.practice, inputs.setting) == ("Small Practice", "facility")
