"""The scenario explorer's charts and tables, without widgets: figures and HTML per scenario.

`scenario_figures` draws the three explorer charts (cumulative cash flow, staff FTEs by month,
break-even month per delivery model; dotted/markers: as assessed) and `current_table_html` /
`comparison_html` the live and side-by-side tables. Every number comes from `scenarios`;
app.py wires these to the widgets.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from ccm_assess.finance.assumptions import Value, registry
from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.outputs.charts import (
    MODEL_COLOURS,
    NEUTRAL,
    PLOTLY_CONFIG,
    currency_axis,
    takeaway_title,
)
from ccm_assess.practice.scenarios import Scenario, ScenarioBook

MODELS = tuple(DELIVERY_MODELS)
FIGURE_WIDTH = 540
"""Explorer charts (CSS px): narrower than the report's so controls and charts sit side by side."""


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


def changes_text(scenario: Scenario) -> str:
    """What `scenario` changes from the assessment, in one sentence."""
    if not scenario.changes:
        return "No change from the assessment."
    items = [
        f"{name}: {format_value(name, old)} → {format_value(name, new)}"
        for name, (old, new) in scenario.changes.items()
    ]
    return "Changed from the assessment: " + "; ".join(items) + "."


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
    return scenario.assumptions.horizon_months


def _fill_cash_flow(fig: go.Figure, scenario: Scenario, baseline: Scenario) -> None:
    _fill_lines(fig, "cumulative_net", scenario, baseline)
    best = max(MODELS, key=lambda key: scenario.results[key].horizon_net)
    net = scenario.results[best].horizon_net
    months = _horizon(scenario)
    title = (
        f"{DELIVERY_MODELS[best].label} nets the most at these values: {_money(net)} over "
        f"{months} months"
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
    `widget`, with PLOTLY_CONFIG: `$` amounts stay text in Lab): cash_flow, ftes, break_even."""
    figures = {}
    for key, (build, fill) in CHARTS.items():
        fig = build(go.FigureWidget if widget else go.Figure)
        if widget:
            fig._config = dict(PLOTLY_CONFIG)  # the widget's plotly.js config (a synced trait)
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
        "<div style='font-size:11px;color:#7B8794'>* average of the last 12 months. Figures are "
        "at the default values (the assumptions as set here); P10 – P90: "
        f"{months}-month net over the assumption ranges (Monte Carlo). CY{scenario.year} rates, "
        f"{html.escape(scenario.locality)}.</div>"
    )
    return _TABLE_STYLE + f'<table class="ccm-x">{head}{"".join(rows)}</table>' + note


COMPARE_COLUMNS: dict[str, tuple[str, Callable[[float], str]]] = {
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
