"""Report style, offline rendering, and the report's figures (plotly).

The first part holds what every chart shares: the colours per delivery model, a neutral palette,
the ``ccm`` plotly template sized for an A4 page, axis helpers, takeaway titles and the
``ccm_offline`` renderer. The second part holds one pure function per report figure (result
frames and dataclasses in, ``go.Figure`` out). No file I/O happens here; ``report`` runs and
exports the notebooks.

Importing the module registers ``pio.renderers["ccm_offline"]`` and ``pio.templates["ccm"]``.
A report notebook calls ``use_offline_renderer()`` once, before its first chart.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import NotebookRenderer  # private: pinned by tests/test_charts.py
from plotly.subplots import make_subplots

from ccm_assess.model import CCM_CODES, DELIVERY_MODELS, STEADY_STATE_MONTHS, ScenarioResult
from ccm_assess.privacy import SUPPRESSED, format_count, is_small, suppress_series, suppressed_keys
from ccm_assess.readiness import Readiness, questionnaire_definition, round_score
from ccm_assess.sensitivity import MonteCarlo
from ccm_assess.tables import PAYER_LABELS, money, value_text

#: One colour per delivery model, the same in every chart, table accent and KPI box.
#: Okabe-Ito colours, which stay distinguishable under the common colour-vision deficiencies
#: (Okabe & Ito 2008, "Color Universal Design"). The report CSS repeats them (test-pinned).
MODEL_COLOURS: MappingProxyType[str, str] = MappingProxyType(
    {"in_house": "#0072B2", "managed": "#E69F00", "hybrid": "#009E73"}
)

#: Greys for text, axes, gridlines and series that are not a delivery model.
NEUTRAL: MappingProxyType[str, str] = MappingProxyType(
    {
        "ink": "#1F2933",  # titles, body text
        "text": "#3E4C59",  # tick labels, legend
        "series": "#52606D",  # a single non-model series (e.g. a funnel)
        "muted": "#7B8794",  # subtitles, secondary series
        "rule": "#CBD2D9",  # axis lines, zero lines
        "grid": "#E4E7EB",  # gridlines
        "fill": "#F5F7FA",  # bands, shaded areas
    }
)

#: Chart size in CSS px. 680 px is the text width of an A4 page with 14 mm side margins
#: (182 mm at 96 px/inch = 688 px), so a chart prints at 100 % without clipping.
CHART_WIDTH = 680
CHART_HEIGHT = 380

_FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
# Okabe-Ito order after the three model colours; the yellow (#F0E442) is left out (unreadable
# on white).
_COLORWAY = (*MODEL_COLOURS.values(), "#CC79A7", "#56B4E9", "#D55E00", NEUTRAL["muted"])


def _axis_style(*, grid: bool) -> dict[str, Any]:
    return {
        "showgrid": grid,
        "gridcolor": NEUTRAL["grid"],
        "zeroline": grid,
        "zerolinecolor": NEUTRAL["rule"],
        "showline": not grid,
        "linecolor": NEUTRAL["rule"],
        "ticks": "" if grid else "outside",
        "tickcolor": NEUTRAL["rule"],
        "automargin": True,
        "title": {"standoff": 8, "font": {"size": 12, "color": NEUTRAL["text"]}},
    }


CCM_TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": _FONT, "size": 12, "color": NEUTRAL["text"]},
        "title": {
            "x": 0,
            "xref": "container",  # aligned with the report's text column, not the plot area
            "xanchor": "left",
            "pad": {"l": 2},
            "font": {"size": 16, "color": NEUTRAL["ink"], "weight": "bold"},
            "subtitle": {"font": {"size": 12, "color": NEUTRAL["muted"]}},
        },
        "colorway": list(_COLORWAY),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "autosize": False,
        "margin": {"l": 64, "r": 24, "t": 76, "b": 56},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": _axis_style(grid=False),
        "yaxis": _axis_style(grid=True),
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.16,
            "yanchor": "top",
            "title": {"text": ""},
            "font": {"size": 12},
        },
        "hoverlabel": {"font": {"family": _FONT}},
        "separators": ".,",
    }
)


def takeaway_title(title: str, subtitle: str | None = None) -> dict[str, Any]:
    """A layout title whose headline states the takeaway, e.g. "Break-even in month 7".

    Returns a dict for ``fig.update_layout(title=...)``. The text is escaped, so ``<`` or
    ``&`` show as typed (plotly reads titles as a small subset of HTML).
    """
    spec: dict[str, Any] = {"text": html.escape(title, quote=False)}
    if subtitle:
        spec["subtitle"] = {"text": html.escape(subtitle, quote=False)}
    return spec


def currency_axis(
    fig: go.Figure, *, axis: Literal["x", "y"] = "y", compact: bool = False
) -> go.Figure:
    """Format an axis in whole US dollars: ``$12,400`` (or ``$12.4k`` with ``compact``).

    Negative values show as ``−$1,200``. Hover values keep whole dollars. Returns ``fig``.
    """
    spec = {"tickformat": "$~s" if compact else "$,.0f", "hoverformat": "$,.0f"}
    return fig.update_xaxes(**spec) if axis == "x" else fig.update_yaxes(**spec)


def percent_axis(fig: go.Figure, *, axis: Literal["x", "y"] = "y", decimals: int = 0) -> go.Figure:
    """Format an axis holding fractions (0.25) as percentages (``25%``). Returns ``fig``."""
    spec = {"tickformat": f".{decimals}%", "hoverformat": f".{decimals + 1}%"}
    return fig.update_xaxes(**spec) if axis == "x" else fig.update_yaxes(**spec)


# plotly's HtmlRenderer hard-codes include_mathjax="cdn"; this is the tag it adds per figure.
_MATHJAX_CDN = re.compile(r'<script src="https?://[^"]*mathjax[^"]*"></script>')
_REMOTE_REF = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


class OfflineNotebookRenderer(NotebookRenderer):
    """plotly's notebook renderer without a single network reference.

    On activation (the first figure after ``use_offline_renderer()``) it displays plotly.js
    once, inline (~4.8 MB), in that figure's cell output; later figures only carry their data.
    The MathJax CDN ``<script>`` plotly adds to every figure is removed, so the exported HTML
    makes no request when opened. Keep the cell that shows the first chart in the report: a
    removed cell takes plotly.js with it and every chart goes blank.
    """

    def __init__(self) -> None:
        super().__init__(connected=False, config={"displayModeBar": False}, include_plotlyjs=False)

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        markup = _MATHJAX_CDN.sub("", super().to_mimebundle(fig_dict)["text/html"])
        if _REMOTE_REF.search(markup):
            raise RuntimeError(
                "plotly's figure HTML now references the network; update "
                "ccm_assess.charts.OfflineNotebookRenderer for this plotly version"
            )
        return {"text/html": markup}


def use_offline_renderer() -> None:
    """Make every figure in this kernel render offline and in the report style.

    Sets ``pio.renderers.default = "ccm_offline"`` (under papermill plotly would otherwise pick
    ``plotly_mimetype``, which nbconvert drops) and ``pio.templates.default = "ccm"``.
    """
    pio.renderers.default = "ccm_offline"
    pio.templates.default = "ccm"


pio.renderers["ccm_offline"] = OfflineNotebookRenderer()
pio.templates["ccm"] = CCM_TEMPLATE


# ============================================================================ report figures
# Pure functions: result frames and dataclasses in, a ``go.Figure`` out (no file I/O). Each
# title states the takeaway with its number; each delivery model keeps its MODEL_COLOURS
# colour; patient counts for a subgroup go through ``privacy`` (1-10 shows as "<11", with no
# bar and no hover value); text from the panel (provider, location) is escaped.

ACCENT = "#0B3C5D"  # the report's accent (report.css --ccm-accent)
CAUTION = "#D55E00"  # report.css --ccm-caution
#: Readiness bands, lowest to highest (questionnaire `maturity`): vermillion to the accent blue.
MATURITY_COLOURS = (CAUTION, "#EDA46F", NEUTRAL["muted"], "#4A7FA7", ACCENT)
_BAR_GAP = 26  # px per horizontal bar
_SUBPLOT_MARGIN = {"t": 112}  # room for title, subtitle and the first panel's title


def _figure(title: str, subtitle: str | None = None, *, height: int = CHART_HEIGHT) -> go.Figure:
    fig = go.Figure()
    return fig.update_layout(template="ccm", title=takeaway_title(title, subtitle), height=height)


def _label(model: str) -> str:
    return DELIVERY_MODELS[model].label


def _names(labels: Iterable[object]) -> list[str]:
    """Category labels from data, escaped (plotly reads labels as a subset of HTML)."""
    return [html.escape(str(label), quote=False) for label in labels]


def _suppressed_bars(counts: pd.Series, *, total_shown: bool) -> tuple[list[float], list[str]]:
    """Bar lengths and labels: suppressed counts get no bar and the label "<11"."""
    shown = suppress_series(counts.astype(float), total_shown=total_shown)
    hidden = shown.map(lambda v: isinstance(v, str))
    lengths = [0.0 if h else float(v) for v, h in zip(shown, hidden, strict=True)]
    return lengths, [format_count(v) for v in shown]


def _hbar_height(bars: int) -> int:
    return 150 + _BAR_GAP * max(bars, 3)


def _count_bars(
    fig: go.Figure, labels: Sequence[str], counts: pd.Series, colours: Any, *, total_shown: bool
) -> go.Figure:
    """Horizontal count bars, largest on top, suppressed small counts."""
    lengths, text = _suppressed_bars(counts, total_shown=total_shown)
    fig.add_bar(
        x=lengths,
        y=list(labels),
        orientation="h",
        marker_color=colours,
        text=text,
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="")
    fig.update_xaxes(showgrid=True, showline=False, title_text="Patients", rangemode="tozero")
    return fig.update_layout(showlegend=False, margin={"r": 56})


def eligibility_funnel(
    counts: Mapping[str, Any], scenario: ScenarioResult, *, ma_pays_ccm: bool = True
) -> go.Figure:
    """Patients -> analysed -> 2+ chronic conditions -> billable payers -> expected enrolled.

    `counts`: summary.json's ``panel`` and ``eligibility`` parts; `scenario`: the model whose
    year-3 average enrolment is the last step.
    """
    panel, eligibility = counts["panel"], counts["eligibility"]
    by_payer = eligibility["ccm_eligible_by_payer"]
    billable = (by_payer.get("medicare_ffs") or 0) + (by_payer.get("medicare_advantage") or 0) * (
        ma_pays_ccm
    )
    paying = "Medicare or Medicare Advantage" if ma_pays_ccm else "traditional Medicare"
    steps = {
        "Patients in the panel": panel["patients"],
        "Alive and not in hospice": panel["patients_analysed"],
        "2 or more chronic conditions (eligible)": eligibility["ccm_eligible"],
        f"With {paying}": billable,
        f"Expected enrolled ({_label(scenario.model).lower()}, year 3)": round(
            scenario.enrolled_steady_state
        ),
    }
    values = pd.Series(steps, dtype=float)
    lengths, counts_text = _suppressed_bars(values, total_shown=False)
    base = max(panel["patients_analysed"], 1)
    text = [
        t if i < 2 or t == SUPPRESSED else f"{t} ({v / base:.0%})"
        for i, (t, v) in enumerate(zip(counts_text, values, strict=True))
    ]
    fig = _figure(
        f"{counts_text[2]} of {counts_text[1]} patients qualify for CCM",
        f"Percentages are of the {counts_text[1]} patients analysed",
        height=300,
    )
    fig.add_funnel(
        x=lengths,
        y=list(steps),
        text=text,
        textinfo="text",
        textposition="inside",
        textfont={"color": "white"},
        marker_color=[NEUTRAL["series"]] * 4 + [MODEL_COLOURS[scenario.model]],
        connector={"fillcolor": NEUTRAL["fill"]},
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    fig.update_yaxes(showline=False, ticks="")
    return fig.update_layout(showlegend=False, margin={"l": 24, "r": 24, "b": 16})


def conditions_prevalence(
    conditions: Mapping[str, int], names: Mapping[str, str], analysed: int, *, top: int = 10
) -> go.Figure:
    """Patients with each chronic condition (the `top` most common), as counts of `analysed`."""
    counts = pd.Series(conditions, dtype=float)
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable").head(top)
    labels = _names(names.get(key, key) for key in counts.index)
    if counts.empty:
        return _figure("No chronic condition was found in the diagnosis codes", height=200)
    first = counts.iloc[0]
    lead = (
        f"{labels[0]} is the most common condition: {SUPPRESSED} patients"
        if is_small(first)
        else f"{labels[0]} is the most common condition: {first:,.0f} patients "
        f"({first / max(analysed, 1):.0%})"
    )
    fig = _figure(
        html.unescape(lead),
        f"Patients with each condition, of {analysed:,} analysed; a patient can have several",
        height=_hbar_height(len(counts)),
    )
    return _count_bars(fig, labels, counts, NEUTRAL["series"], total_shown=False)


def chronic_count_distribution(patients: pd.DataFrame) -> go.Figure:
    """Analysed patients by number of chronic conditions (``Eligibility.patients``)."""
    analysed = patients.loc[patients["analysed"].astype(bool), "chronic_count"]
    bins = analysed.clip(upper=6).value_counts().reindex(range(7), fill_value=0)
    labels = [str(n) for n in range(6)] + ["6 or more"]
    qualify = int((analysed >= 2).sum())
    share = qualify / max(len(analysed), 1)
    fig = _figure(
        f"{share:.0%} of the patients analysed have two or more chronic conditions",
        "Patients by number of chronic conditions; darker bars qualify for CCM",
    )
    lengths, text = _suppressed_bars(bins.astype(float), total_shown=True)
    fig.add_bar(
        x=labels,
        y=lengths,
        text=text,
        textposition="outside",
        cliponaxis=False,
        marker_color=[NEUTRAL["rule"]] * 2 + [ACCENT] * 5,
        hovertemplate="%{x} conditions: %{text}<extra></extra>",
    )
    fig.update_xaxes(title_text="Chronic conditions", type="category")
    return fig.update_yaxes(title_text="Patients").update_layout(showlegend=False)


def payer_mix(by_payer: Mapping[str, int | None], *, ma_pays_ccm: bool = True) -> go.Figure:
    """CCM-eligible patients by payer class; the classes that pay for CCM are highlighted."""
    counts = pd.Series({k: by_payer.get(k) or 0 for k in PAYER_LABELS}, dtype=float)
    paying = ["medicare_ffs"] + (["medicare_advantage"] if ma_pays_ccm else [])
    hidden = suppressed_keys(counts.to_dict())
    if len(hidden & set(paying)) == 1:  # the funnel shows their sum: hide both
        hidden |= set(paying)
    total = int(counts.sum())
    billable = int(counts[paying].sum())
    title = (
        f"{billable:,} of {total:,} eligible patients have Medicare that pays for CCM"
        if not is_small(billable)
        else "Few eligible patients have Medicare that pays for CCM"
    )
    fig = _figure(title, "Eligible patients by insurance; darker bars are billable", height=330)
    shown = counts.where(~counts.index.isin(list(hidden)), 0)
    text = [SUPPRESSED if k in hidden else format_count(v) for k, v in counts.items()]
    fig.add_bar(
        x=shown.to_numpy(),
        y=[PAYER_LABELS[k] for k in counts.index],
        orientation="h",
        marker_color=[ACCENT if k in paying else NEUTRAL["rule"] for k in counts.index],
        text=text,
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="")
    fig.update_xaxes(showgrid=True, showline=False, title_text="Patients")
    return fig.update_layout(showlegend=False, margin={"r": 56})


def eligible_by(
    group: pd.Series, eligible: pd.Series, *, what: str = "provider", top: int = 12
) -> go.Figure | None:
    """CCM-eligible patients per provider or location; None when the panel has no such column.

    `group` and `eligible` share the patient index; blanks count as "Not recorded"; groups
    past the `top` largest are pooled as "All others".
    """
    if group.isna().all():
        return None
    labels = group.astype("str").where(group.notna(), "Not recorded")
    counts = labels[eligible.astype(bool).reindex(labels.index, fill_value=False)].value_counts()
    if len(counts) > top:
        rest = counts.iloc[top - 1 :]
        counts = pd.concat(
            [counts.iloc[: top - 1], pd.Series({f"All others ({len(rest)} {what}s)": rest.sum()})]
        )
    counts = counts.astype(float)
    leader = counts.idxmax() if len(counts) else ""
    title = (
        f"{leader} has the most CCM-eligible patients: {counts.max():,.0f}"
        if len(counts) and not is_small(counts.max())
        else f"CCM-eligible patients by {what}"
    )
    fig = _figure(
        title,
        f"Eligible patients by {what}; groups of 1-10 patients show as {SUPPRESSED}",
        height=_hbar_height(len(counts)),
    )
    return _count_bars(fig, _names(counts.index), counts, ACCENT, total_shown=True)


def _by_month(
    fig: go.Figure, scenarios: Mapping[str, ScenarioResult], column: str, row: int | None = None
) -> None:
    for key, result in scenarios.items():
        fig.add_scatter(
            x=result.monthly["month"],
            y=result.monthly[column],
            name=_label(key),
            legendgroup=key,
            showlegend=row in (None, 1),
            mode="lines",
            line={"color": MODEL_COLOURS[key], "width": 2.5, "dash": _DASHES[key]},
            row=row,
            col=None if row is None else 1,
        )


_DASHES = {"in_house": "solid", "managed": "solid", "hybrid": "dash"}


def _stacked_panels(fig: go.Figure) -> go.Figure:
    """Finish a two-panel month chart: panel titles left-aligned, legend below."""
    fig.update_xaxes(title_text="Month after launch", row=2, col=1)
    fig.update_annotations(font={"size": 12, "color": NEUTRAL["text"]}, x=0, xanchor="left")
    return fig.update_layout(legend={"y": -0.15}, margin=_SUBPLOT_MARGIN | {"b": 80})


def _group_phrase(values: Mapping[str, float], fmt: str) -> str:
    """'managed and hybrid 420, in-house 341': models with the same rounded value together."""
    groups: dict[str, list[str]] = {}
    for key, value in sorted(values.items(), key=lambda kv: -kv[1]):
        groups.setdefault(format(value, fmt), []).append(_label(key).lower())
    return ", ".join(f"{' and '.join(names)} {text}" for text, names in groups.items())


def enrolment_and_staff(scenarios: Mapping[str, ScenarioResult]) -> go.Figure:
    """Enrolled patients (top) and practice staff FTEs (bottom) by month, per model."""
    last = {k: float(r.monthly["enrolled"].iloc[-1]) for k, r in scenarios.items()}
    horizon = len(next(iter(scenarios.values())).monthly)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=("Enrolled patients", "Your staff needed (FTE)"),
    )
    fig.update_layout(
        template="ccm",
        height=470,
        title=takeaway_title(
            f"By month {horizon}: {_group_phrase(last, ',.0f')} enrolled patients",
            "A vendor's enrolment team (managed, hybrid) enrols faster; FTEs are your own staff",
        ),
    )
    _by_month(fig, scenarios, "enrolled", row=1)
    _by_month(fig, scenarios, "ftes", row=2)
    return _stacked_panels(fig)


def weekly_hours(
    hours: Mapping[str, Mapping[str, float]], dedicated_hours_per_week: float | None
) -> go.Figure:
    """Practice hours a week in year 3 per model, stacked by kind of work, against what the
    practice can set aside (`hours`: model -> kind -> hours a week, ``tables.weekly_hours``)."""
    kinds = list(next(iter(hours.values())))
    staff_need = {k: sum(v for kind, v in h.items() if kind != kinds[-1]) for k, h in hours.items()}
    have = (
        "the practice's hours were not assessed"
        if dedicated_hours_per_week is None
        else f"you can set aside {dedicated_hours_per_week:g}"
    )
    fig = _figure(
        f"In-house needs about {staff_need['in_house']:.0f} staff hours a week; {have}",
        "Average hours a week in year 3, by kind of work",
        height=300,
    )
    shades = (ACCENT, NEUTRAL["muted"], NEUTRAL["rule"], "#CC79A7")
    for kind, colour in zip(kinds, shades, strict=False):
        fig.add_bar(
            y=[_label(k) for k in hours],
            x=[h[kind] for h in hours.values()],
            name=kind,
            orientation="h",
            marker_color=colour,
            hovertemplate=f"{kind}: %{{x:.0f}} h a week<extra></extra>",
        )
    if dedicated_hours_per_week is not None:
        fig.add_vline(
            x=dedicated_hours_per_week,
            line={"color": CAUTION, "dash": "dot", "width": 2},
            annotation_text=f"set aside: {dedicated_hours_per_week:g} h",
            annotation_position="top",
        )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="")
    fig.update_xaxes(showgrid=True, showline=False, title_text="Hours a week")
    fig.update_layout(legend={"y": -0.36, "traceorder": "normal"})
    return fig.update_layout(barmode="stack", margin={"t": 96, "b": 96})


def cash_flow(scenarios: Mapping[str, ScenarioResult]) -> go.Figure:
    """Monthly net (top) and cumulative net (bottom) per model, break-even months marked."""
    horizon = len(next(iter(scenarios.values())).monthly)
    even = {k: r.break_even_month for k, r in scenarios.items() if r.break_even_month}
    if even:
        first = min(even, key=even.__getitem__)
        title = f"{_label(first)} pays back soonest, in month {even[first]}"
    else:
        title = f"No model pays back its start-up costs within {horizon} months"
    detail = "; ".join(
        f"{_label(k).lower()} "
        + (f"month {r.break_even_month}" if r.break_even_month else "not within the period")
        for k, r in scenarios.items()
    )
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=("Net cash flow each month", "Running total (cumulative net)"),
    )
    fig.update_layout(
        template="ccm", height=600, title=takeaway_title(title, f"Break-even: {detail}")
    )
    _by_month(fig, scenarios, "net", row=1)
    _by_month(fig, scenarios, "cumulative_net", row=2)
    for key, month in even.items():
        value = float(scenarios[key].monthly["cumulative_net"].iloc[month - 1])
        fig.add_scatter(
            x=[month],
            y=[value],
            mode="markers",
            marker={
                "symbol": "diamond",
                "size": 11,
                "color": MODEL_COLOURS[key],
                "line": {"color": "white", "width": 1},
            },
            name=f"{_label(key)} break-even",
            showlegend=False,
            hovertemplate=f"{_label(key)} breaks even in month {month}<extra></extra>",
            row=2,
            col=1,
        )
    fig.update_yaxes(tickformat="$~s", hoverformat="$,.0f")
    return _stacked_panels(fig)


def code_mix(scenario: ScenarioResult, rates: Mapping[str, float]) -> go.Figure:
    """Billing by code a month in year 3 (Medicare allowed amount, USD) for one model."""
    steady = scenario.monthly.tail(STEADY_STATE_MONTHS)
    raw = pd.Series({code: steady[code].mean() * rates[code] for code in CCM_CODES})
    scale = steady["gross_allowed"].mean() / raw.sum() if raw.sum() > 0 else 0.0
    usd = (raw * scale)[raw > 0.5].sort_values(ascending=False)
    if usd.empty:
        return _figure(f"{scenario.label}: nothing is billed", height=200)
    share = usd.iloc[0] / usd.sum()
    fig = _figure(
        f"{usd.index[0]} brings {share:.0%} of the {money(usd.sum())} billed a month in year 3",
        f"{scenario.label} model; Medicare allowed amount a month by code",
        height=_hbar_height(len(usd)),
    )
    fig.add_bar(
        x=usd.to_numpy(),
        y=[f"{code} ({CODE_NAMES.get(code, code)})" for code in usd.index],
        orientation="h",
        marker_color=MODEL_COLOURS[scenario.model],
        text=[money(v) for v in usd],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{text} a month<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="")
    fig.update_xaxes(showgrid=True, showline=False, title_text="USD a month")
    return currency_axis(fig, axis="x").update_layout(showlegend=False, margin={"r": 64})


CODE_NAMES = {
    "99490": "CCM, first 20 min",
    "99439": "CCM, each extra 20 min",
    "99487": "complex CCM, first 60 min",
    "99489": "complex CCM, extra 30 min",
    "99491": "practitioner CCM, 30 min",
    "99437": "practitioner CCM, extra 30 min",
    "G0506": "care planning at the start",
}


def net_comparison(scenarios: Mapping[str, ScenarioResult]) -> go.Figure:
    """Net over the horizon per model, with P10-P90 error bars from the simulations."""
    horizon = len(next(iter(scenarios.values())).monthly)
    nets = {k: r.horizon_net for k, r in scenarios.items()}
    best = max(nets, key=nets.__getitem__)
    fig = _figure(
        f"{_label(best)} nets the most over {horizon / 12:g} years: {money(nets[best])}",
        "Bars: expected net; lines: the range of 8 in 10 simulations (P10 to P90)",
    )
    for key, r in scenarios.items():
        high = r.p90_horizon_net if r.p90_horizon_net is not None else r.horizon_net
        low = r.p10_horizon_net if r.p10_horizon_net is not None else r.horizon_net
        fig.add_bar(
            x=[f"{_label(key)}: {money(r.horizon_net)}"],
            y=[r.horizon_net],
            name=_label(key),
            marker_color=MODEL_COLOURS[key],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [max(high - r.horizon_net, 0)],
                "arrayminus": [max(r.horizon_net - low, 0)],
                "color": NEUTRAL["ink"],
                "thickness": 1.5,
                "width": 10,
            },
            hovertemplate=f"{_label(key)}: {money(r.horizon_net)} (P10 {money(low)}, "
            f"P90 {money(high)})<extra></extra>",
        )
    fig.update_layout(showlegend=False, bargap=0.45)
    return currency_axis(fig)


def tornado(frame: pd.DataFrame, model: str, *, top: int = 10) -> go.Figure:
    """How far the horizon net moves with each assumption at its low and high (one model).

    `frame`: ``sensitivity.tornado`` rows; the `top` largest swings are drawn around the base.
    """
    rows = frame[frame["model"] == model].nlargest(top, "swing")
    if rows.empty:
        return _figure(f"No assumption moves the {_label(model).lower()} result", height=200)
    base = float(rows["base_horizon_net"].iloc[0])
    lead = rows.iloc[0]
    ends = sorted((lead["horizon_net_low"], lead["horizon_net_high"]))
    labels = ["<br>".join(textwrap.wrap(_short(label), 40)[:3]) for label in rows["label"]]
    fig = _figure(
        f"One assumption alone can move the {_label(model).lower()} net by {money(lead['swing'])}",
        f"Largest: {textwrap.shorten(_short(lead['label']), 60, placeholder='...')}, "
        f"{money(ends[0])} to {money(ends[1])}; base case {money(base)}",
        height=170 + 48 * len(rows),
    )
    for end, name, colour in (
        ("low", "Assumption at the low end of its range", NEUTRAL["rule"]),
        ("high", "Assumption at the high end of its range", MODEL_COLOURS[model]),
    ):
        fig.add_bar(
            y=labels,
            x=rows[f"horizon_net_{end}"] - base,
            base=base,
            orientation="h",
            name=name,
            marker_color=colour,
            customdata=[value_text(v, u) for v, u in zip(rows[end], rows["unit"], strict=True)],
            hovertemplate="%{customdata}: net %{x:$,.0f}<extra></extra>",
        )
    fig.add_vline(x=base, line={"color": NEUTRAL["ink"], "width": 1})
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="", tickfont={"size": 11})
    fig.update_xaxes(showgrid=True, showline=False, zeroline=True, title_text="Net over the period")
    return currency_axis(fig, axis="x").update_layout(barmode="overlay", legend={"y": -0.12})


def _short(label: str) -> str:
    """An assumption label up to its first '(' or ';', escaped for plotly."""
    text = re.split(r"[(;]", label, maxsplit=1)[0].strip() or label
    return html.escape(text, quote=False)


def monte_carlo(mc: MonteCarlo, model: str) -> go.Figure:
    """The spread of the horizon net per model over the simulations: box = middle half,
    whiskers = P10 to P90 (not the usual 1.5 IQR); `model` is the one the title speaks of."""
    outcomes = mc.outcomes
    earns = float((outcomes.loc[outcomes["model"] == model, "horizon_net"] > 0).mean())
    fig = _figure(
        f"{_label(model)} earns money in {earns:.0%} of {mc.draws} simulations",
        "Net over the period; box: middle half of the simulations; whiskers: P10 to P90",
        height=320,
    )
    for key in reversed(list(DELIVERY_MODELS)):
        net = outcomes.loc[outcomes["model"] == key, "horizon_net"].to_numpy()
        p10, p25, p50, p75, p90 = np.percentile(net, [10, 25, 50, 75, 90])
        fig.add_trace(
            go.Box(
                y=[_label(key)],
                q1=[p25],
                median=[p50],
                q3=[p75],
                lowerfence=[p10],
                upperfence=[p90],
                orientation="h",
                name=_label(key),
                marker_color=MODEL_COLOURS[key],
                fillcolor=MODEL_COLOURS[key],
                line={"color": NEUTRAL["ink"], "width": 1.2},
                hoverinfo="skip",
            )
        )
    fig.add_vline(x=0, line={"color": CAUTION, "width": 1.5, "dash": "dot"})
    fig.update_xaxes(showgrid=True, showline=False, title_text="Net over the period")
    fig.update_yaxes(showgrid=False, ticks="")
    return currency_axis(fig, axis="x").update_layout(showlegend=False)


def readiness_scores(readiness: Readiness) -> go.Figure:
    """Score 0-100 per readiness domain, coloured by maturity band; not assessed shown as such."""
    bands = questionnaire_definition().maturity
    domains = list(readiness.domains.values())
    scores = [round_score(d.score) for d in domains]
    rated = [(s, d.title) for s, d in zip(scores, domains, strict=True) if s is not None]
    overall = round_score(readiness.score)
    if overall is None:
        title = "Too few answers for an overall readiness score"
    else:
        weakest = min(rated)
        title = (
            f"Readiness {overall}/100 ({readiness.maturity.lower()}): "
            f"{weakest[1].lower()} is weakest at {weakest[0]}"
        )
    legend = ", ".join(f"{label.lower()} {low:g}+" for label, low in bands)
    fig = _figure(title, f"Score per area, 0-100. Bands: {legend}", height=320)

    def colour(score: int | None) -> str:
        if score is None:
            return NEUTRAL["rule"]
        band = sum(score >= low for _, low in bands) - 1
        return MATURITY_COLOURS[min(max(band, 0), len(MATURITY_COLOURS) - 1)]

    fig.add_bar(
        y=_names(d.title for d in domains),
        x=[s or 0 for s in scores],
        orientation="h",
        marker_color=[colour(s) for s in scores],
        text=["not assessed" if s is None else f"{s}/100" for s in scores],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="")
    fig.update_xaxes(range=[0, 100], showgrid=True, showline=False, dtick=25)
    return fig.update_layout(showlegend=False, margin={"r": 72})


def program_potential(programs: pd.DataFrame) -> go.Figure:
    """Yearly amount collected once fully enrolled: CCM, PCM, CCM + PCM and APCM
    (``model.program_comparison``; APCM replaces CCM and PCM, so compare those two bars)."""
    per_year = programs.set_index("program")["collected_per_year"]
    both, apcm = float(per_year["CCM + PCM"]), float(per_year["APCM"])
    if both >= apcm:
        title = f"CCM with PCM could bring in {money(both)} a year, more than APCM ({money(apcm)})"
    else:
        title = f"APCM could bring in {money(apcm)} a year, more than CCM with PCM ({money(both)})"
    fig = _figure(
        title,
        "Amount collected a year once enrolment is full (Medicare patients)",
        height=320,
    )
    colours = [NEUTRAL["rule"], NEUTRAL["rule"], ACCENT, NEUTRAL["series"]]
    fig.add_bar(
        x=list(per_year.index),
        y=per_year.to_numpy(),
        marker_color=colours[: len(per_year)],
        text=[money(v) for v in per_year],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{text} a year<extra></extra>",
    )
    return currency_axis(fig).update_layout(showlegend=False, margin={"t": 96})
