"""The scenario explorer: ipywidgets controls over `scenarios`, updated in place.

A thin layer for analysts in JupyterLab. One control per assumption of the registry, grouped in
tabs (a slider within the allowed range for numbers, a drop-down for choices, a check box for
true/false), plus the fee schedule year and Medicare locality. Every change reruns
`scenarios.run_scenario` and updates, in place, three plotly `FigureWidget`s (cumulative cash
flow, staff FTEs by month, break-even month per delivery model; dotted/markers: as assessed)
and a comparison table. Scenarios are named, saved, compared side by side and exported as an
assumptions YAML for `ccm-assess run --assumptions`. Every number comes from `scenarios`;
`scenario_figures` draws the same charts without widgets. Needs `anywidget` (plotly's
FigureWidget is built on it).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from ccm_assess.assumptions import Assumption, Value, registry
from ccm_assess.charts import MODEL_COLOURS, NEUTRAL, currency_axis, takeaway_title
from ccm_assess.errors import CcmAssessError
from ccm_assess.fees import YEARS
from ccm_assess.model import DELIVERY_MODELS
from ccm_assess.scenarios import (
    BASE_NAME,
    Scenario,
    ScenarioBook,
    ScenarioInputs,
    baseline_notes,
    locality_labels,
    run_scenario,
)

MODELS = tuple(DELIVERY_MODELS)
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
FIGURE_WIDTH = 540
"""Explorer charts (CSS px): narrower than the report's so controls and charts sit side by side."""
CURRENT_NAME = "Current"
LABEL_WIDTH = "240px"
CONTROL_WIDTH = "230px"


# ------------------------------------------------------------------------------ value formatting


def _money(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"−${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def _month(value: float | None) -> str:
    return "never" if value is None or pd.isna(value) else f"month {int(value)}"


def _percent(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.0%}"


def format_value(name: str, value: Value) -> str:
    """An assumption value (or year/locality) in words: shares as %, USD with $."""
    spec = registry().get(name)
    if spec is None or spec.kind == "choice":
        return str(value)
    if spec.kind == "bool":
        return "yes" if value else "no"
    if spec.unit.startswith("share"):
        return f"{value:.1%}".replace(".0%", "%")
    if spec.unit.startswith("USD"):
        return f"${value:,.2f}".removesuffix(".00")
    return f"{value:g}"


def _changes_text(scenario: Scenario) -> str:
    if not scenario.changes:
        return "No change from the assessment."
    items = [
        f"{name}: {format_value(name, old)} → {format_value(name, new)}"
        for name, (old, new) in scenario.changes.items()
    ]
    return "Changed from the assessment: " + "; ".join(items) + "."


# ------------------------------------------------------------------------------------ controls


def slider_bounds(spec: Assumption, value: float) -> tuple[float, float, float]:
    """(min, max, step) of a slider: the allowed range, capped at twice the plausible high for
    open-ended units (patients, USD, minutes), widened to include `value`; ~200 steps."""
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


def _label(markup: str) -> widgets.HTML:
    return widgets.HTML(markup, layout=widgets.Layout(width=LABEL_WIDTH))


def _label_html(spec: Assumption, changed: bool) -> str:
    plausible = f"; plausible {spec.low:g}-{spec.high:g}" if spec.varies else ""
    tip = html.escape(f"{spec.name} ({spec.unit}{plausible}) {spec.source}")
    text = html.escape(spec.label)
    text = f"<b>{text}</b>" if changed else text
    return f'<div title="{tip}" style="font-size:12px;line-height:1.25">{text}</div>'


# -------------------------------------------------------------------------------------- charts


def _line_figure(y_title: str, figure: type[go.Figure]) -> go.Figure:
    """Traces 0-2: the scenario per model; 3-5: as assessed (dotted); 6: legend entry."""
    fig = figure(
        layout={
            "template": "ccm",
            "width": FIGURE_WIDTH,
            "xaxis": {"title": {"text": "Month"}},
            "yaxis": {"title": {"text": y_title}},
        }
    )
    for dash, width in ((None, 2.5), ("dot", 1.5)):
        for key in MODELS:
            fig.add_scatter(
                name=DELIVERY_MODELS[key].label,
                mode="lines",
                line={"color": MODEL_COLOURS[key], "width": width, "dash": dash},
                legendgroup=key,
                showlegend=dash is None,
                hoverinfo="skip" if dash else None,
            )
    fig.add_scatter(
        x=[None],
        y=[None],
        name="As assessed (dotted)",
        mode="lines",
        line={"color": NEUTRAL["muted"], "dash": "dot"},
    )
    return fig


def _fill_lines(fig: go.Figure, column: str, scenario: Scenario, baseline: Scenario) -> None:
    for offset, source in ((0, scenario), (len(MODELS), baseline)):
        for i, key in enumerate(MODELS):
            monthly = source.results[key].monthly
            fig.data[offset + i].update(x=monthly["month"].to_numpy(), y=monthly[column].to_numpy())


def _horizon(scenario: Scenario) -> int:
    return int(scenario.assumptions["horizon_months"])


def _fill_cash_flow(fig: go.Figure, scenario: Scenario, baseline: Scenario) -> None:
    _fill_lines(fig, "cumulative_net", scenario, baseline)
    best = max(MODELS, key=lambda key: scenario.results[key].horizon_net)
    net = scenario.results[best].horizon_net
    months = _horizon(scenario)
    title = (
        f"{DELIVERY_MODELS[best].label} nets the most: {_money(net)} over {months} months"
        if net > 0
        else f"No delivery model nets a gain over {months} months"
    )
    fig.layout.title = takeaway_title(title)


def _fill_ftes(fig: go.Figure, scenario: Scenario, baseline: Scenario) -> None:
    _fill_lines(fig, "ftes", scenario, baseline)
    parts = [
        f"{DELIVERY_MODELS[key].label.lower()} {scenario.results[key].ftes_steady_state:.1f}"
        for key in MODELS
    ]
    fig.layout.title = takeaway_title("Staff FTEs at steady state: " + ", ".join(parts))


def _break_even_figure(figure: type[go.Figure]) -> go.Figure:
    """Trace 0: bars (scenario); trace 1: as-assessed markers."""
    fig = figure(
        layout={
            "template": "ccm",
            "width": FIGURE_WIDTH,
            "xaxis": {"title": {"text": "Break-even month"}},
            "yaxis": {"autorange": "reversed"},
            "bargap": 0.35,
        }
    )
    labels = [DELIVERY_MODELS[key].label for key in MODELS]
    colours = [MODEL_COLOURS[key] for key in MODELS]
    fig.add_bar(
        y=labels, orientation="h", marker={"color": colours}, textposition="auto", name="Scenario"
    )
    fig.add_scatter(
        y=labels,
        mode="markers",
        marker={"symbol": "line-ns-open", "size": 26, "line": {"width": 3}},
        marker_color=NEUTRAL["ink"],
        name="As assessed",
    )
    return fig


def _fill_break_even(fig: go.Figure, scenario: Scenario, baseline: Scenario) -> None:
    months = _horizon(scenario)

    def bars(source: Scenario) -> list[int]:
        return [source.results[key].break_even_month or months for key in MODELS]

    found = [scenario.results[key].break_even_month for key in MODELS]
    fig.data[0].update(
        x=bars(scenario),
        text=[_month(m) if m else f"not within {months} months" for m in found],
        marker={"opacity": [1.0 if m else 0.35 for m in found]},
    )
    fig.data[1].update(x=bars(baseline))
    reached = [(m, key) for m, key in zip(found, MODELS, strict=True) if m]
    title = (
        f"{DELIVERY_MODELS[min(reached)[1]].label} breaks even first, in month {min(reached)[0]}"
        if reached
        else f"No delivery model breaks even within {months} months"
    )
    fig.layout.title = takeaway_title(title)
    fig.layout.xaxis.range = [0, max(months, *bars(baseline)) + 1]


Fill = Callable[[go.Figure, Scenario, Scenario], None]
CHARTS: dict[str, tuple[Callable[[type[go.Figure]], go.Figure], Fill]] = {
    "cash_flow": (partial(_line_figure, "Cumulative net cash flow, USD"), _fill_cash_flow),
    "ftes": (partial(_line_figure, "Practice staff FTEs (care, outreach, owner)"), _fill_ftes),
    "break_even": (_break_even_figure, _fill_break_even),
}


def scenario_figures(
    scenario: Scenario, baseline: Scenario, *, widget: bool = False
) -> dict[str, go.Figure]:
    """The explorer's three charts for `scenario` against `baseline` (FigureWidgets if
    `widget`): cash_flow, ftes, break_even."""
    figures = {}
    for key, (build, fill) in CHARTS.items():
        fig = build(go.FigureWidget if widget else go.Figure)
        fill(fig, scenario, baseline)
        if key == "cash_flow":
            currency_axis(fig, compact=True)
        figures[key] = fig
    return figures


# -------------------------------------------------------------------------------------- tables

_TABLE_STYLE = (
    "<style>.ccm-x{border-collapse:collapse;font-size:12px}"
    ".ccm-x th,.ccm-x td{padding:3px 5px;text-align:right;border-bottom:1px solid #E4E7EB;"
    "white-space:nowrap;line-height:1.3}"
    ".ccm-x th:first-child,.ccm-x td:first-child{text-align:left}"
    ".ccm-x .up{color:#0072B2}.ccm-x .down{color:#D55E00}</style>"
)


def _model_cell(key: str, extra: str = "") -> str:
    swatch = f'<span style="color:{MODEL_COLOURS[key]}">■</span>'
    return f"<td>{swatch} {html.escape(DELIVERY_MODELS[key].label)}{extra}</td>"


def _delta(now: float, then: float) -> str:
    if abs(now - then) < 0.5:
        return ""
    kind = "up" if now > then else "down"
    sign = "+" if now > then else "−"
    return f'<br><span class="{kind}">{sign}${abs(now - then):,.0f}</span>'


def current_table_html(scenario: Scenario, baseline: Scenario) -> str:
    """The live table: one row per model; horizon net with its change from the assessment."""
    months = _horizon(scenario)
    head = (
        "<tr><th>Model</th><th>Enrolled*</th><th>Staff<br>FTEs*</th><th>Net a<br>month*</th>"
        f"<th>Year-1<br>net</th><th>{months}-month net<br>(vs assessed)</th>"
        "<th>Break-<br>even</th><th>ROI</th><th>P10 –<br>P90</th></tr>"
    )
    rows = []
    for key in MODELS:
        now, then = scenario.results[key], baseline.results[key]
        rows.append(
            "<tr>"
            + _model_cell(key)
            + f"<td>{now.enrolled_steady_state:,.0f}</td><td>{now.ftes_steady_state:.1f}</td>"
            f"<td>{_money(now.monthly_net_steady_state)}</td><td>{_money(now.year1_net)}</td>"
            f"<td>{_money(now.horizon_net)}{_delta(now.horizon_net, then.horizon_net)}</td>"
            f"<td>{_month(now.break_even_month)}</td><td>{_percent(now.roi)}</td>"
            f"<td>{_money(now.p10_horizon_net)}<br>to {_money(now.p90_horizon_net)}</td></tr>"
        )
    note = (
        "<div style='font-size:11px;color:#7B8794'>* average of the last 12 months. P10 – P90: "
        f"{months}-month net over the assumption ranges (Monte Carlo). CY{scenario.year} rates, "
        f"{html.escape(scenario.locality)}.</div>"
    )
    return _TABLE_STYLE + f'<table class="ccm-x">{head}{"".join(rows)}</table>' + note


COMPARE_COLUMNS = {
    "enrolled_steady_state": ("Enrolled*", lambda v: f"{v:,.0f}"),
    "ftes_steady_state": ("FTEs*", lambda v: f"{v:.1f}"),
    "year1_net": ("Year-1 net", _money),
    "horizon_net": ("Horizon net", _money),
    "break_even_month": ("Break-even", _month),
    "p10_horizon_net": ("P10", _money),
    "p90_horizon_net": ("P90", _money),
}


def comparison_html(book: ScenarioBook, names: tuple[str, ...]) -> str:
    """Saved scenarios side by side (`ScenarioBook.compare`) and what each one changes."""
    if not names:
        return "<i>Select saved scenarios to compare.</i>"
    frame = book.compare(list(names))
    head = "<tr><th>Model / scenario</th>" + "".join(
        f"<th>{label}</th>" for label, _ in COMPARE_COLUMNS.values()
    )
    rows = []
    for (key, name), values in frame.iterrows():
        cells = "".join(f"<td>{fmt(values[col])}</td>" for col, (_, fmt) in COMPARE_COLUMNS.items())
        rows.append("<tr>" + _model_cell(key, f": {html.escape(name)}") + cells + "</tr>")
    changes = book.differences(list(names))
    listing = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{html.escape(format_value(name, v))}</td>" for v in row)
        + "</tr>"
        for name, row in changes.iterrows()
    )
    changed = (
        '<table class="ccm-x"><tr><th>Changed</th>'
        + "".join(f"<th>{html.escape(str(c))}</th>" for c in changes.columns)
        + f"</tr>{listing}</table>"
        if listing
        else "<i>The selected scenarios change nothing.</i>"
    )
    table = f'<table class="ccm-x">{head}</tr>{"".join(rows)}</table>'
    return _TABLE_STYLE + table + "<br>" + changed


# ------------------------------------------------------------------------------------ explorer


class Explorer:
    """Controls, charts and tables over one practice's `ScenarioInputs`.

    `controls` maps each assumption name, `year` and `locality` to its widget; a change to
    any of them calls `update()` (so does setting `.value` from code). `buttons` holds save,
    load, reset and export; `figures` the three FigureWidgets; `scenario` the current result.
    `export_dir` is where exported YAML files go.
    """

    def __init__(self, inputs: ScenarioInputs, *, export_dir: str | Path = ".") -> None:
        self.inputs = inputs
        self.export_dir = Path(export_dir)
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
            controls[name] = make_control(spec, values[name])
            self._labels[name] = _label(_label_html(spec, changed=False))
        return controls

    def changes(self) -> dict[str, Value]:
        """Assumption values set in the controls that differ from the assessment's."""
        base = self.inputs.assumptions
        return {
            name: self.controls[name].value
            for name in registry()
            if self.controls[name].value != base[name]
        }

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
        self.table.value = current_table_html(scenario, self.baseline)
        for name, label in self._labels.items():
            label.value = _label_html(registry()[name], changed=name in scenario.changes)
        self._say(_changes_text(scenario))
        return scenario

    def _say(self, message: str, *, error: bool = False) -> None:
        colour = "#D55E00" if error else NEUTRAL["text"]
        text = html.escape(message)
        self.status.value = f'<div style="color:{colour};font-size:12px">{text}</div>'

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
        self._say(f"Saved {name!r}. {_changes_text(self.scenario)}")
        return self.book[name]

    def export(self, name: str) -> Path | None:
        """Write the saved scenario `name` as `export_dir/assumptions_<name>.yaml`."""
        try:
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
        self.comparison.value = comparison_html(self.book, tuple(self.selection.value))

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

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)
