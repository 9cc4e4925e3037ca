"""The scenario explorer widgets, driven from code; one papermill run of the notebook (e2e)."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import nbformat
import plotly.graph_objects as go
import pytest
from test_scenarios import TX_99, month_one_enrolled, small_inputs

from ccm_assess.finance.assumptions import load_assumptions, registry
from ccm_assess.outputs.explorer.app import Explorer, slider_bounds
from ccm_assess.outputs.explorer.views import format_value, scenario_figures
from ccm_assess.practice.scenarios import BASE_NAME, run_scenario

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture()
def explorer(tmp_path):
    return Explorer(small_inputs(), export_dir=tmp_path)


def test_one_control_per_assumption_plus_year_and_locality(explorer):
    assert set(explorer.controls) == {*registry(), "year", "locality"}
    consent = explorer.controls["consent_rate"]
    assert isinstance(consent, widgets.FloatSlider)
    assert (consent.min, consent.max, consent.value) == (0, 1, 0.35)
    role = explorer.controls["care_manager_role"]
    assert isinstance(role, widgets.Dropdown)
    assert role.options == ("RN", "LPN", "MA") and role.value == "LPN"
    assert isinstance(explorer.controls["ma_pays_ccm"], widgets.Checkbox)
    horizon = explorer.controls["horizon_months"]
    assert isinstance(horizon, widgets.IntSlider) and (horizon.min, horizon.max) == (12, 60)
    assert explorer.controls["locality"].options[0] == "National (unadjusted)"
    assert TX_99 in explorer.controls["locality"].options
    assert explorer.scenario.changes == {}


def test_slider_bounds():
    specs = registry()
    # RN wage: allowed 0-1,000,000 capped at twice the plausible high 112,320; 200 steps of
    # 1,123.2 rounded down to a power of ten: 1,000
    assert slider_bounds(specs["wage_rn"], 93600) == (0, 224640, 1000)
    assert slider_bounds(specs["consent_rate"], 0.35) == (0, 1, 0.001)
    # outreach hours: 2 x 140 = 280 a month (200 steps of 1.4 -> 1); a value beyond widens it
    assert slider_bounds(specs["outreach_hours_per_month"], 70) == (0, 280, 1)
    assert slider_bounds(specs["outreach_hours_per_month"], 500)[1] == 500
    # whole months: step 1; allowed 0-12, capped at 2 x the plausible high of 4
    assert slider_bounds(specs["initiating_visit_lag_months"], 2) == (0, 8, 1)


def test_consent_slider_updates_charts_and_table_in_place(explorer):
    cash_flow, table = explorer.figures["cash_flow"], explorer.table.value
    explorer.controls["consent_rate"].value = 0.25  # the observer calls update()
    assert explorer.figures["cash_flow"] is cash_flow  # the same widget, new data
    expected = run_scenario(explorer.inputs, {"consent_rate": 0.25})
    # 97 / 12 = 8.08333 offers x 25% = 2.02083 in-house enrollees in the first month after
    # set-up (35% gave 2.82917)
    assert month_one_enrolled(explorer.scenario, "in_house") == pytest.approx(2.02083, abs=1e-5)
    for i, model in enumerate(("in_house", "managed", "hybrid")):
        monthly = expected.results[model].monthly
        assert list(cash_flow.data[i].y) == pytest.approx(monthly["cumulative_net"].tolist())
        assert list(explorer.figures["ftes"].data[i].y) == pytest.approx(monthly["ftes"].tolist())
        base = explorer.baseline.results[model].monthly["cumulative_net"]
        assert list(cash_flow.data[3 + i].y) == pytest.approx(base.tolist())  # dotted baseline
    net = expected.results["in_house"].horizon_net
    assert explorer.table.value != table
    assert (f"−${-net:,.0f}" if net < 0 else f"${net:,.0f}") in explorer.table.value
    assert "consent_rate: 35% → 25%" in explorer.status.value
    # dollar amounts stay text in Lab: the HTML outside MathJax, the charts' typesetMath off
    for shown in (explorer.table, explorer.status):
        assert shown.value.startswith('<div class="mathjax_ignore tex2jax_ignore">')
    assert all(fig._config["typesetMath"] is False for fig in explorer.figures.values())


def test_role_and_vendor_share_move_the_models_as_the_model_says(explorer):
    base = explorer.scenario.results
    explorer.controls["care_manager_role"].value = "RN"
    rn = explorer.scenario.results["in_house"].monthly
    cost = ["cost_clinical_staff", "cost_program_owner"]
    # same hours, RN wage instead of LPN: x 93,600 / 62,340
    expected = base["in_house"].monthly[cost].sum().sum() * 93600 / 62340
    assert rn[cost].sum().sum() == pytest.approx(expected)
    explorer.controls["care_manager_role"].value = "LPN"
    explorer.controls["vendor_revenue_share"].value = 0.45
    fee = base["managed"].monthly["cost_vendor"].sum()
    gained = explorer.scenario.results["managed"].horizon_net - base["managed"].horizon_net
    assert gained == pytest.approx(0.1 * fee)  # 5 of the 50 points of revenue share kept
    assert f"+${gained:,.0f}" in explorer.table.value
    assert explorer.scenario.results["in_house"].horizon_net == pytest.approx(
        base["in_house"].horizon_net
    )


def test_ma_toggle_and_locality(explorer):
    explorer.controls["vendor_pace_factor"].value = 2.0
    explorer.controls["ma_pays_ccm"].value = False
    # only the 80 FFS patients: 80 x 97% = 77.6, offered over 12 months by a vendor twice as
    # fast: 12.93333 a month; 35% enrol
    assert month_one_enrolled(explorer.scenario, "managed") == pytest.approx(12.93333 * 0.35)
    explorer.controls["vendor_pace_factor"].value = 1.0
    explorer.controls["ma_pays_ccm"].value = True
    explorer.controls["locality"].value = TX_99
    expected = run_scenario(explorer.inputs, locality=TX_99)
    assert explorer.scenario.results["managed"].horizon_net == pytest.approx(
        expected.results["managed"].horizon_net
    )
    assert TX_99 in explorer.table.value


def test_invalid_combination_keeps_the_last_result(explorer):
    before = explorer.scenario
    explorer.controls["share_99439_one"].value = 0.99  # + 5% two-unit months > 100%
    assert explorer.scenario is before
    assert "Not applied: share_99439_one + share_99439_two = 1.04" in explorer.status.value


def test_save_compare_load_reset_and_export(explorer, tmp_path):
    explorer.controls["consent_rate"].value = 0.25
    explorer.name.value = "Consent 25%"
    explorer.buttons["save"].click()
    assert explorer.book.names == (BASE_NAME, "Consent 25%")
    assert explorer.selection.value == (BASE_NAME, "Consent 25%")
    assert "In-house: Consent 25%" in explorer.comparison.value
    assert "<td>consent_rate</td><td>35%</td><td>25%</td>" in explorer.comparison.value
    explorer.buttons["reset"].click()
    assert explorer.controls["consent_rate"].value == 0.35
    assert explorer.scenario.changes == {}
    explorer.chosen.value = "Consent 25%"
    explorer.buttons["load"].click()
    assert explorer.controls["consent_rate"].value == 0.25
    explorer.buttons["export"].click()
    path = tmp_path / "assumptions_consent_25.yaml"
    assert load_assumptions(path).changed() == {"consent_rate": 0.25}
    assert str(path) in explorer.status.value


def test_figures_without_widgets():
    inputs = small_inputs()
    base = run_scenario(inputs)
    scenario = run_scenario(inputs, {"consent_rate": 0.6})
    figures = scenario_figures(scenario, base)
    assert set(figures) == {"cash_flow", "ftes", "break_even"}
    assert all(type(fig) is go.Figure for fig in figures.values())
    months = [scenario.results[m].break_even_month or 36 for m in ("in_house", "managed", "hybrid")]
    assert list(figures["break_even"].data[0].x) == months


def test_format_value():
    assert format_value("consent_rate", 0.25) == "25%"
    assert format_value("monthly_attrition", 0.025) == "2.5%"
    assert format_value("wage_rn", 86070.0) == "$86,070"
    assert format_value("ma_pays_ccm", False) == "no"
    assert format_value("locality", TX_99) == TX_99


@pytest.mark.e2e
def test_notebook_runs_headless_with_default_parameters(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    output = tmp_path / "scenario_explorer.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "scenario_explorer.ipynb"),
        str(output),
        kernel_name="python3",
        cwd=str(tmp_path),  # any folder: the defaults resolve through the package
        progress_bar=False,
    )
    notebook = nbformat.read(output, as_version=4)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1  # the explorer
    text = "".join(o.get("text", "") for o in outputs)
    assert "vendor_revenue_share: 0.45" in text


def test_without_the_lab_extra_the_explorer_says_how_to_install_it(monkeypatch):
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "anywidget", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "ccm_assess.outputs.explorer.app")
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'ccm-assess\[lab\]'"):
        importlib.import_module("ccm_assess.outputs.explorer.app")


def test_explorer_starts_from_the_report_notebooks_defaults():
    import papermill

    report = papermill.inspect_notebook(str(NOTEBOOKS / "ccm_assessment.ipynb"))
    explorer = papermill.inspect_notebook(str(NOTEBOOKS / "scenario_explorer.ipynb"))
    shared = ("panel_path", "questionnaire", "as_of", "locality", "year")
    assert {k: explorer[k]["default"] for k in shared} == {k: report[k]["default"] for k in shared}
    assert report["panel_path"]["default"] == '"<sample>"'
