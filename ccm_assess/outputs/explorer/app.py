"""The scenario explorer: ipywidgets controls over `scenarios`, updated in place.

A thin layer for analysts in JupyterLab. One control per assumption of the registry, grouped in
tabs (a slider within the allowed range for numbers, a drop-down for choices, a check box for
true/false), plus the fee schedule year and Medicare locality. Every change reruns
`scenarios.run_scenario` and updates, in place, three plotly `FigureWidget`s (cumulative cash
flow, staff FTEs by month, break-even month per delivery model; dotted/markers: as assessed)
and a comparison table. Scenarios are named, saved, compared side by side and exported as an
assumptions YAML for `ccm-assess run --assumptions`. Every number comes from `scenarios`;
`views.scenario_figures` draws the same charts without widgets. Needs `anywidget` (plotly's
FigureWidget is built on it).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccm_assess.errors import CcmAssessError
from ccm_assess.finance.assumptions import Assumption, Value, registry
from ccm_assess.finance.fees import YEARS
from ccm_assess.outputs.charts import NEUTRAL
from ccm_assess.outputs.explorer.views import (
    CHARTS,
    FIGURE_WIDTH,
    changes_text,
    comparison_html,
    current_table_html,
    scenario_figures,
)
from ccm_assess.outputs.lab import no_math
from ccm_assess.practice.scenarios import (
    BASE_NAME,
    Scenario,
    ScenarioBook,
    ScenarioInputs,
    baseline_notes,
    locality_labels,
    run_scenario,
)

LAB_MISSING = (
    "The scenario explorer needs the JupyterLab widgets, which the core install leaves out. "
    "Install them with: pip install 'ccm-assess[lab]' (JupyterLab, ipywidgets, anywidget), "
    "then restart the kernel."
)
try:
    import anywidget  # noqa: F401  # plotly's FigureWidget is built on it
    import ipywidgets as widgets
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError(f"{LAB_MISSING} (missing: {missing.name})") from missing


TABS = {
    "enrolment": "Enrolment",
    "billing": "Billing",
    "staffing": "Staffing",
    "costs": "Staffing",
    "vendor": "Vendor",
    "payer": "Rates",
    "model": "Rates",
}
"""Registry group -> tab; the rates tab also holds the locality and year (and payer terms)."""
RATES_TAB = "Rates"
EXPORT_DIR = Path("~/ccm-assess-scenarios")
"""Where Export YAML writes when the notebook names no folder (created on the first export)."""
CURRENT_NAME = "Current"
LABEL_WIDTH = "240px"
CONTROL_WIDTH = "230px"


# ------------------------------------------------------------------------------------ controls


def slider_bounds(spec: Assumption, value: float) -> tuple[float, float, float]:
    """(min, max, step) of a slider: the allowed range, capped at twice the plausible high for
    open-ended units (patients, USD, minutes), widened to include `value`; ~200 steps.
    Only numeric assumptions have sliders, and every numeric one has an allowed range."""
    assert spec.minimum is not None and spec.maximum is not None, spec.name
    high = spec.maximum
    if high > 2 and spec.high:
        high = min(high, 2 * spec.high)
    low, high = min(spec.minimum, value), max(high, value)
    if spec.kind == "int":
        return low, high, 1
    return low, high, 10 ** math.floor(math.log10((high - low) / 200)) if high > low else 0.01


def make_control(spec: Assumption, value: Value) -> widgets.ValueWidget:
    """The widget for one assumption, set to `value` (updates on release, not while dragging)."""
    layout = widgets.Layout(width=CONTROL_WIDTH)
    if spec.kind == "bool":
        return widgets.Checkbox(value=bool(value), indent=False, layout=layout)
    if spec.kind == "choice":
        return widgets.Dropdown(options=spec.choices, value=value, layout=layout)
    low, high, step = slider_bounds(spec, float(value))
    if spec.kind == "int":
        return widgets.IntSlider(
            value=int(value), min=int(low), max=int(high), continuous_update=False, layout=layout
        )
    decimals = max(0, -math.floor(math.log10(step)))
    share = spec.unit.startswith("share")
    return widgets.FloatSlider(
        value=float(value),
        min=low,
        max=high,
        step=step,
        readout_format=f".{max(0, decimals - 2)}%" if share else f",.{decimals}f",
        continuous_update=False,
        layout=layout,
    )


def control_value(control: widgets.ValueWidget) -> Value:
    """A control's value; a float slider's without binary noise (12 significant digits: a slider
    at 0.739 reads 0.7390000000000001; a default of -0.0168 stays -0.0168).

    >>> control_value(widgets.FloatSlider(value=0.7390000000000001, min=0, max=1, step=0.001))
    0.739
    """
    value: Value = control.value
    if isinstance(control, widgets.FloatSlider):
        return float(f"{float(value):.12g}")
    return value


def _label(markup: str) -> widgets.HTML:
    return widgets.HTML(markup, layout=widgets.Layout(width=LABEL_WIDTH))


def _label_html(spec: Assumption, changed: bool) -> str:
    plausible = f"; plausible {spec.low:g}-{spec.high:g}" if spec.varies else ""
    tip = html.escape(f"{spec.name} ({spec.unit}{plausible}) {spec.source}")
    text = html.escape(spec.label)
    text = f"<b>{text}</b>" if changed else text
    return f'<div title="{tip}" style="font-size:12px;line-height:1.25">{text}</div>'


# ------------------------------------------------------------------------------------ explorer


class Explorer:
    """Controls, charts and tables over one practice's `ScenarioInputs`.

    `controls` maps each assumption name, `year` and `locality` to its widget; a change to
    any of them calls `update()` (so does setting `.value` from code). `buttons` holds save,
    load, reset and export; `figures` the three FigureWidgets; `scenario` the current result.
    `export_dir` is where exported YAML files go (an absolute path; default EXPORT_DIR).
    """

    def __init__(self, inputs: ScenarioInputs, *, export_dir: str | Path | None = None) -> None:
        self.inputs = inputs
        self.export_dir = Path(export_dir or EXPORT_DIR).expanduser().resolve()
        self.book = ScenarioBook.start(inputs)
        self.baseline = self.book[BASE_NAME]
        self.scenario = self.baseline
        self._holding = False
        self._labels: dict[str, widgets.HTML] = {}
        self.controls = self._build_controls()
        self.figures = scenario_figures(self.baseline, self.baseline, widget=True)
        self.table = widgets.HTML()
        self.status = widgets.HTML()
        self.comparison = widgets.HTML()
        self.name = widgets.Text(placeholder="e.g. Consent 25%", description="Name")
        self.selection = widgets.SelectMultiple(
            options=self.book.names, value=self.book.names, description="Compare", rows=4
        )
        self.chosen = widgets.Dropdown(options=self.book.names, description="Scenario")
        self.buttons = {
            "save": widgets.Button(description="Save scenario", button_style="primary"),
            "load": widgets.Button(description="Load into controls"),
            "reset": widgets.Button(description="Reset to assessment"),
            "export": widgets.Button(description="Export YAML", icon="download"),
        }
        for button in self.buttons.values():
            button.layout.width = "auto"
        self.buttons["save"].on_click(lambda _: self.save())
        self.buttons["load"].on_click(lambda _: self.load(self.chosen.value))
        self.buttons["reset"].on_click(lambda _: self.load(BASE_NAME))
        self.buttons["export"].on_click(lambda _: self.export(self.chosen.value))
        self.selection.observe(lambda _: self._show_comparison(), names="value")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = self._layout()
        self.update()

    # ---- controls
    def _build_controls(self) -> dict[str, widgets.ValueWidget]:
        values = self.inputs.assumptions
        controls: dict[str, widgets.ValueWidget] = {
            "locality": widgets.Dropdown(
                options=list(dict.fromkeys((self.inputs.locality, *locality_labels()))),
                value=self.inputs.locality,
                layout=widgets.Layout(width=CONTROL_WIDTH),
            ),
            "year": widgets.Dropdown(
                options=sorted({*YEARS, self.inputs.year}),
                value=self.inputs.year,
                layout=widgets.Layout(width=CONTROL_WIDTH),
            ),
        }
        for name, spec in registry().items():
            controls[name] = make_control(spec, values.value(name))
            self._labels[name] = _label(_label_html(spec, changed=False))
        return controls

    def changes(self) -> dict[str, Value]:
        """Assumption values set in the controls that differ from the assessment's (floats
        without binary noise: `control_value`)."""
        base = self.inputs.assumptions
        values = {name: control_value(self.controls[name]) for name in registry()}
        return {name: value for name, value in values.items() if value != base.value(name)}

    def _on_change(self, _change: Mapping[str, Any]) -> None:
        if not self._holding:
            self.update()

    def update(self) -> Scenario:
        """Rerun the models on the controls' values and refresh charts, table and status.

        An invalid combination (e.g. 99439 shares adding up to more than 1) leaves the last
        result on screen and shows the reason in the status line.
        """
        try:
            scenario = run_scenario(
                self.inputs,
                self.changes(),
                name=CURRENT_NAME,
                year=self.controls["year"].value,
                locality=self.controls["locality"].value,
            )
        except CcmAssessError as error:
            self._say(f"Not applied: {error}", error=True)
            return self.scenario
        self.scenario = scenario
        for key, (_, fill) in CHARTS.items():
            with self.figures[key].batch_update():
                fill(self.figures[key], scenario, self.baseline)
        self.table.value = no_math(current_table_html(scenario, self.baseline))
        for name, label in self._labels.items():
            label.value = _label_html(registry()[name], changed=name in scenario.changes)
        self._say(changes_text(scenario))
        return scenario

    def _say(self, message: str, *, error: bool = False) -> None:
        colour = "#D55E00" if error else NEUTRAL["text"]
        text = html.escape(message)
        self.status.value = no_math(f'<div style="color:{colour};font-size:12px">{text}</div>')

    def load(self, name: str) -> Scenario:
        """Set every control to the saved scenario `name` (BASE_NAME: the assessment), once."""
        settings = self.book[name].settings()
        self._holding = True
        try:
            for key, control in self.controls.items():
                control.value = settings[key]
        finally:
            self._holding = False
        return self.update()

    # ---- scenarios
    def save(self, name: str = "") -> Scenario | None:
        """Save the current scenario as `name` (default: the name box, else "Scenario n")."""
        name = (name or self.name.value).strip() or f"Scenario {len(self.book)}"
        try:
            self.book = self.book.save(self.scenario, name)
        except CcmAssessError as error:
            self._say(str(error), error=True)
            return None
        selected = tuple(dict.fromkeys((*self.selection.value, name)))
        self.chosen.options = self.book.names
        self.chosen.value = name
        self.selection.options = self.book.names  # resets the selection
        self.selection.value = selected
        self.name.value = ""
        self._say(f"Saved {name!r}. {changes_text(self.scenario)}")
        return self.book[name]

    def export(self, name: str) -> Path | None:
        """Write the saved scenario `name` as `export_dir/assumptions_<name>.yaml`."""
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = self.book.export_yaml(name, self.export_dir)
        except (CcmAssessError, OSError) as error:
            self._say(f"Not exported: {error}", error=True)
            return None
        self._say(
            f"Exported {name!r} to {path}. Regenerate the report with: ccm-assess run PANEL "
            f"--out DIR --assumptions {path}"
        )
        return path

    def _show_comparison(self) -> None:
        self.comparison.value = no_math(comparison_html(self.book, tuple(self.selection.value)))

    # ---- layout
    def _layout(self) -> widgets.Widget:
        tabs: dict[str, list[widgets.Widget]] = {}
        for title, name in (("Medicare locality", "locality"), ("Fee schedule year", "year")):
            label = _label(f"<div style='font-size:12px'>{title}</div>")
            tabs.setdefault(RATES_TAB, []).append(widgets.HBox([label, self.controls[name]]))
        for name, spec in registry().items():
            row = widgets.HBox([self._labels[name], self.controls[name]])
            tabs.setdefault(TABS.get(spec.group, spec.group.title()), []).append(row)
        order = list(dict.fromkeys(TABS.values())) + [t for t in tabs if t not in TABS.values()]
        titles = [t for t in order if t in tabs]
        tab = widgets.Tab(
            children=[widgets.VBox(tabs[t], layout=widgets.Layout(grid_gap="2px")) for t in titles],
            titles=titles,
            layout=widgets.Layout(width="500px"),
        )
        scenarios = widgets.VBox(
            [
                widgets.HTML("<b>Scenarios</b>"),
                widgets.HBox([self.name, self.buttons["save"]]),
                widgets.HBox([self.chosen, self.buttons["load"]]),
                widgets.HBox([self.buttons["export"], self.buttons["reset"]]),
                self.selection,
            ],
            layout=widgets.Layout(width="500px"),
        )
        header = widgets.HTML(self._header_html())
        charts = widgets.VBox(
            [self.table, self.status, *self.figures.values()],
            layout=widgets.Layout(width=f"{FIGURE_WIDTH + 120}px"),
        )
        controls = widgets.VBox([tab, scenarios], layout=widgets.Layout(width="520px"))
        body = widgets.HBox([controls, charts], layout=widgets.Layout(flex_flow="row wrap"))
        self._show_comparison()
        saved = widgets.HTML("<b>Saved scenarios side by side</b>")
        return widgets.VBox([header, body, saved, self.comparison])

    def _header_html(self) -> str:
        notes = (*self.inputs.notes, *baseline_notes(self.inputs, self.baseline))
        listed = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        return (
            f"<h3 style='margin:0'>{html.escape(self.inputs.practice or 'Scenario explorer')}</h3>"
            f"<div style='font-size:12px;color:{NEUTRAL['muted']}'>Assessment as of "
            f"{html.escape(self.inputs.as_of)}; {html.escape(self.inputs.source)}. Hover a "
            "label for its unit, plausible range and source.</div>"
            + (f"<ul style='font-size:12px;color:#D55E00'>{listed}</ul>" if listed else "")
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle: dict[str, Any] | None = self.widget._repr_mimebundle_(**kwargs)
        return bundle
