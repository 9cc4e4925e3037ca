"""Report figures about the money and the work: enrolment, hours, cash flow, codes, risk.

Pure functions: result frames and dataclasses in, a ``go.Figure`` out (no file I/O), styled by
charts.py; each delivery model keeps its palette.MODEL_COLOURS colour.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccm_assess.finance.model import DELIVERY_MODELS, ScenarioResult
from ccm_assess.finance.programs import apcm_advice
from ccm_assess.finance.sensitivity import MonteCarlo
from ccm_assess.formatting import money, value_text
from ccm_assess.outputs.charts import (
    ACCENT,
    CAUTION,
    MODEL_COLOURS,
    NEUTRAL,
    base_figure,
    currency_axis,
    hbar_height,
    takeaway_title,
)
from ccm_assess.outputs.html.blocks import model_label
from ccm_assess.outputs.html.tables import final_year_text

_SUBPLOT_MARGIN = {"t": 112}  # room for title, subtitle and the first panel's title


def _by_month(
    fig: go.Figure, scenarios: Mapping[str, ScenarioResult], column: str, row: int | None = None
) -> None:
    for key, result in scenarios.items():
        fig.add_scatter(
            x=result.monthly["month"],
            y=result.monthly[column],
            name=model_label(key),
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
        groups.setdefault(format(value, fmt), []).append(model_label(key).lower())
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
            "At the default values: each model starts after its set-up months, with the same "
            "outreach hours; FTEs are your own staff",
        ),
    )
    _by_month(fig, scenarios, "enrolled", row=1)
    _by_month(fig, scenarios, "ftes", row=2)
    return _stacked_panels(fig)


def weekly_hours(
    hours: Mapping[str, Mapping[str, float]],
    dedicated_hours_per_week: float | None,
    final_year: str = "the final year",
) -> go.Figure:
    """Practice hours a week in the final year per model, stacked by kind of work, against what the
    practice can set aside (`hours`: model -> kind -> hours a week, ``tables.weekly_hours``)."""
    kinds = list(next(iter(hours.values())))
    total = {k: sum(h.values()) for k, h in hours.items()}
    have = (
        "the practice's hours were not assessed"
        if dedicated_hours_per_week is None
        else f"you can set aside {dedicated_hours_per_week:g}"
    )
    fig = base_figure(
        f"In-house needs about {total['in_house']:.0f} practice hours a week; {have}",
        f"Average hours a week in {final_year}, by kind of work (the billing practitioner's "
        "included)",
        height=300,
    )
    shades = (ACCENT, NEUTRAL["muted"], NEUTRAL["rule"], "#CC79A7")
    for kind, colour in zip(kinds, shades, strict=False):
        fig.add_bar(
            y=[model_label(k) for k in hours],
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
    medians = {k: r.central("break_even_month") for k, r in scenarios.items()}
    paying = {k: m for k, m in medians.items() if m is not None}
    if paying:
        first = min(paying, key=paying.__getitem__)
        title = (
            f"{model_label(first)} pays back soonest: month {paying[first]:.0f} in the middle "
            "of the simulations"
        )
    else:
        title = f"In the middle of the simulations no model pays back within {horizon} months"
    detail = "; ".join(
        f"{model_label(k).lower()} "
        + (f"month {r.break_even_month}" if r.break_even_month else "not within the period")
        for k, r in scenarios.items()
    )
    detail = f"Lines at the default values, break-even: {detail}"
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=("Net cash flow each month", "Running total (cumulative net)"),
    )
    fig.update_layout(template="ccm", height=600, title=takeaway_title(title, detail))
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
            name=f"{model_label(key)} break-even",
            showlegend=False,
            hovertemplate=f"{model_label(key)} breaks even in month {month}<extra></extra>",
            row=2,
            col=1,
        )
    fig.update_yaxes(tickformat="$~s", hoverformat="$,.0f")
    return _stacked_panels(fig)


def code_mix(scenario: ScenarioResult) -> go.Figure:
    """Billing by code a month in the final year (Medicare allowed amount, USD), one model
    (`ScenarioResult.allowed_per_month_by_code`)."""
    allowed = pd.Series(scenario.allowed_per_month_by_code, dtype=float)
    usd = allowed[allowed > 0.5].sort_values(ascending=False)
    if usd.empty:
        return base_figure(f"{scenario.label}: nothing is billed", height=200)
    share = usd.iloc[0] / usd.sum()
    fig = base_figure(
        f"{usd.index[0]} brings {share:.0%} of the {money(usd.sum())} billed a month in "
        + final_year_text(len(scenario.monthly)),
        f"{scenario.label} model; Medicare allowed amount a month by code",
        height=hbar_height(len(usd)),
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
    """Net over the horizon per model after the value of the practitioners' time: the median
    of the simulations (bars) with the P10-P90 band (lines), and the median cash net
    (diamonds: before that value)."""
    horizon = len(next(iter(scenarios.values())).monthly)
    nets = {k: float(r.central("horizon_net") or 0.0) for k, r in scenarios.items()}
    best = max(nets, key=nets.__getitem__)
    title = (
        f"{model_label(best)} nets the most over {horizon / 12:g} years: {money(nets[best])}"
        if nets[best] > 0
        else f"No way of starting pays over {horizon / 12:g} years once your practitioners' "
        f"time is valued; {model_label(best).lower()} comes closest"
    )
    fig = base_figure(
        title,
        "Bars: net after your practitioners' time, the middle (median) of the simulations; "
        "lines: where 8 in 10 fall (P10 to P90); diamonds: cash (bank account), median",
    )
    for key, r in scenarios.items():
        middle = nets[key]
        low, high = r.band("horizon_net")
        low = middle if low is None else low
        high = middle if high is None else high
        name = f"{model_label(key)}: {money(middle)}"
        fig.add_bar(
            x=[name],
            y=[middle],
            name=model_label(key),
            marker_color=MODEL_COLOURS[key],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [max(high - middle, 0)],
                "arrayminus": [max(middle - low, 0)],
                "color": NEUTRAL["ink"],
                "thickness": 1.5,
                "width": 10,
            },
            hovertemplate=f"{model_label(key)}: median {money(middle)} (P10 {money(low)}, "
            f"P90 {money(high)})<extra></extra>",
        )
        cash = float(r.central("cash_horizon_net") or 0.0)
        fig.add_scatter(
            x=[name],
            y=[cash],
            mode="markers",
            marker={"symbol": "diamond", "size": 10, "color": NEUTRAL["ink"]},
            showlegend=False,
            hovertemplate=f"Cash, median: {money(cash)}<extra></extra>",
        )
    fig.update_layout(showlegend=False, bargap=0.45)
    return currency_axis(fig)


def tornado(frame: pd.DataFrame, model: str, *, top: int = 10) -> go.Figure:
    """How far the horizon net moves with each assumption at its low and high (one model).

    `frame`: ``sensitivity.tornado`` rows; the `top` largest swings are drawn around the base.
    """
    rows = frame[frame["model"] == model].nlargest(top, "swing")
    if rows.empty:
        return base_figure(
            f"No assumption moves the {model_label(model).lower()} result", height=200
        )
    base = float(rows["base_horizon_net"].iloc[0])
    lead = rows.iloc[0]
    ends = sorted((lead["horizon_net_low"], lead["horizon_net_high"]))
    labels = ["<br>".join(textwrap.wrap(_short(label), 40)[:3]) for label in rows["label"]]
    fig = base_figure(
        f"One assumption alone can move the {model_label(model).lower()} net "
        f"by {money(lead['swing'])}",
        f"Largest: {textwrap.shorten(_short(lead['label']), 60, placeholder='...')}, "
        f"{money(ends[0])} to {money(ends[1])}; at the default values {money(base)}",
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
    summary = mc.summary
    earns = float(summary.loc[model, "share_earning"])
    fig = base_figure(
        f"{model_label(model)} earns money in {earns:.0%} of {mc.draws} simulations",
        "Net over the period; box: middle half of the simulations; whiskers: P10 to P90",
        height=320,
    )
    for key in reversed(list(DELIVERY_MODELS)):
        p10, p25, p50, p75, p90 = (
            float(summary.loc[key, f"p{p}_horizon_net"]) for p in (10, 25, 50, 75, 90)
        )
        fig.add_trace(
            go.Box(
                y=[model_label(key)],
                q1=[p25],
                median=[p50],
                q3=[p75],
                lowerfence=[p10],
                upperfence=[p90],
                orientation="h",
                name=model_label(key),
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


def program_potential(programs: pd.DataFrame) -> go.Figure:
    """Yearly net once fully enrolled (collected minus the staff time each program needs): CCM,
    PCM, CCM + PCM and APCM (``programs.program_comparison``; APCM replaces CCM and PCM, so
    compare those two bars)."""
    table = programs.set_index("program")
    per_year = table["net_per_year"]
    fig = base_figure(
        apcm_advice(programs),
        "Collected a year once enrolment is full, minus the staff and practitioner time each "
        "program needs (APCM has no minute threshold) and the same billing, software and 24/7 "
        "costs as the delivery models",
        height=320,
    )
    colours = [NEUTRAL["rule"], NEUTRAL["rule"], ACCENT, NEUTRAL["series"]]
    collected = [money(v) for v in table["collected_per_year"]]
    fig.add_bar(
        x=list(per_year.index),
        y=per_year.to_numpy(),
        marker_color=colours[: len(per_year)],
        text=[money(v) for v in per_year],
        customdata=collected,
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: net %{text} a year (collected %{customdata})<extra></extra>",
    )
    return currency_axis(fig).update_layout(showlegend=False, margin={"t": 96})
