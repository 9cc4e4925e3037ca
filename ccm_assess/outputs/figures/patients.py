"""Report figures about the patients (eligibility, conditions, payers, groups) and readiness.

Pure functions: result frames and dataclasses in, a ``go.Figure`` out (no file I/O), styled by
charts.py. Patient counts for a subgroup go through ``privacy`` (1-10 shows as "<11", with no
bar and no hover value); text from the panel (provider, location) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ccm_assess.finance.model import ScenarioResult
from ccm_assess.formatting import LEVEL_NAMES, PAYER_LABELS
from ccm_assess.intake.codes import code_set
from ccm_assess.outputs.charts import (
    ACCENT,
    CAUTION,
    MODEL_COLOURS,
    NEUTRAL,
    base_figure,
    hbar_height,
)
from ccm_assess.outputs.html.blocks import model_label
from ccm_assess.privacy import (
    SUPPRESSED,
    display_order,
    format_count,
    is_hidden,
    is_small,
    shown_sum,
    suppress_series,
)
from ccm_assess.readiness.questionnaire import questionnaire_definition
from ccm_assess.readiness.scoring import Readiness, round_score

#: Readiness bands, lowest to highest (questionnaire `maturity`): vermillion to the accent blue.
MATURITY_COLOURS = (CAUTION, "#EDA46F", NEUTRAL["muted"], "#4A7FA7", ACCENT)


def _names(labels: Iterable[object]) -> list[str]:
    """Category labels from data, escaped (plotly reads labels as a subset of HTML)."""
    return [html.escape(str(label), quote=False) for label in labels]


def _suppressed_bars(counts: pd.Series, *, total_shown: bool) -> tuple[list[float], list[str]]:
    """Bar lengths and labels: suppressed counts get no bar and the label "<11".

    `counts` may already hold "<11" (the run's plan, `Assessment.published`).
    """
    shown = suppress_series(counts.astype(object), total_shown=total_shown)
    hidden = shown.map(lambda v: isinstance(v, str))
    lengths = [0.0 if h else float(v) for v, h in zip(shown, hidden, strict=True)]
    return lengths, [format_count(v) for v in shown]


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

    `counts`: summary.json's ``panel`` and ``eligibility`` parts (``ccm_billable`` already
    follows the MA switch; `ma_pays_ccm` only words the step); `scenario`: the model whose
    year-3 average enrolment is the last step.
    """
    panel, eligibility = counts["panel"], counts["eligibility"]
    billable = eligibility["ccm_billable"]
    paying = "Medicare or Medicare Advantage" if ma_pays_ccm else "traditional Medicare"
    steps = {
        "Patients in the panel": panel["patients"],
        "Alive and not in hospice": panel["patients_analysed"],
        "2 or more chronic conditions (eligible, any payer)": eligibility["ccm_eligible"],
        f"Billable: with {paying}": billable,
        f"Enrolled ({model_label(scenario.model).lower()}, "
        f"year {len(scenario.monthly) / 12:g}, median)": round(
            scenario.central("enrolled_steady_state") or 0.0
        ),
    }
    values = pd.Series(steps, dtype=object)
    lengths, counts_text = _suppressed_bars(values, total_shown=False)
    analysed = panel["patients_analysed"]
    base = max(analysed, 1) if isinstance(analysed, int) else None
    text = [
        t if i < 2 or is_hidden(t) or base is None else f"{t} ({v / base:.0%})"
        for i, (t, v) in enumerate(zip(counts_text, values, strict=True))
    ]
    fig = base_figure(
        f"{counts_text[3]} billable CCM patients of {counts_text[1]} "
        f"({counts_text[2]} eligible with any payer)",
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


LEVEL_COUNTS = {
    "strict": "ccm_eligible_strict",
    "standard": "ccm_eligible_standard",
    "broad": "broad_ccm_eligible",
}
"""The summary.json `eligibility` count of each level of the list of chronic conditions."""


def _drivers(top: Mapping[str, int], name: Any) -> str:
    """`obesity (141), anxiety (110)` with small counts shown as <11."""
    return ", ".join(f"{name(key)} ({format_count(n if not is_small(n) else SUPPRESSED)})"
                     for key, n in top.items())  # fmt: skip


def _level_notes(eligibility: Mapping[str, Any], names: Mapping[str, str], level: str) -> list[str]:
    titles = code_set()["title"]
    subject = "The estimate" if level == "standard" else "The standard list"
    loose = _drivers(
        eligibility.get("standard_not_strict_top") or {}, lambda k: names.get(k, k).lower()
    )
    broad = _drivers(
        eligibility.get("broad_not_standard_top") or {},
        lambda k: f"{titles.get(k) or k} {k}",
    )
    return [
        f"{subject} counts more patients than the strict list mostly through {loose}"
        if loose else "",
        f"the broad bound adds mostly {broad}" if broad else "",
    ]  # fmt: skip


def eligibility_range_text(
    eligibility: Mapping[str, Any], names: Mapping[str, str], level: str = "standard"
) -> str:
    """One sentence: the categories that make most of each difference between the levels."""
    notes = [n for n in _level_notes(eligibility, names, level) if n]
    return ("; ".join(notes) + ".") if notes else ""


def eligibility_range(
    eligibility: Mapping[str, Any], names: Mapping[str, str], level: str = "standard"
) -> go.Figure:
    """CCM-eligible patients at the strict, standard and broad levels (summary.json
    `eligibility`; `names`: category display names), the `level` the assessment counts
    (`--conditions`) darker; `eligibility_range_text` says why."""
    counts = pd.Series(
        {f"{key.capitalize()}: {LEVEL_NAMES[key]}": eligibility.get(count) or 0
         for key, count in LEVEL_COUNTS.items()},
        dtype=object,
    )  # fmt: skip
    _, text = _suppressed_bars(counts, total_shown=True)
    counted = list(LEVEL_COUNTS).index(level)
    fig = base_figure(
        f"{text[0]} to {text[2]} qualify depending on the conditions counted; "
        f"estimate {text[counted]}" + ("" if level == "standard" else f" ({level} list)"),
        "Patients with 2 or more chronic conditions under each list; the list counted is darker",
        height=hbar_height(3),
    )
    colours = [ACCENT if i == counted else NEUTRAL["rule"] for i in range(len(counts))]
    return _count_bars(fig, _names(counts.index), counts, colours, total_shown=True)


def conditions_prevalence(
    conditions: Mapping[str, Any], names: Mapping[str, str], analysed: Any, *, top: int = 10
) -> go.Figure:
    """Patients with each chronic condition (the `top` most common), as counts of `analysed`."""
    found = {k: v for k, v in conditions.items() if isinstance(v, str) or (v or 0) > 0}
    counts = pd.Series({k: found[k] for k in display_order(found)[:top]}, dtype=object)
    labels = _names(names.get(key, key) for key in counts.index)
    if counts.empty:
        return base_figure("No chronic condition was found in the diagnosis codes", height=200)
    first = counts.iloc[0]
    lead = (
        "Patients with each chronic condition: the largest groups are hidden (small groups)"
        if isinstance(first, str) or is_small(first)
        else f"{labels[0]} is the most common condition: {first:,.0f} patients"
        + (f" ({first / max(analysed, 1):.0%})" if isinstance(analysed, int) else "")
    )
    fig = base_figure(
        html.unescape(lead),
        f"Patients with each condition, of {format_count(analysed)} analysed; a patient can "
        "have several",
        height=hbar_height(len(counts)),
    )
    return _count_bars(fig, labels, counts, NEUTRAL["series"], total_shown=False)


def chronic_count_distribution(bins: Mapping[str, Any]) -> go.Figure:
    """Analysed patients by number of chronic conditions: `Published.group("chronic_count")`
    (bins "0".."5", "6+"; hidden ones "<11")."""
    labels = [("6 or more" if k == "6+" else k) for k in bins]
    values = pd.Series(list(bins.values()), dtype=object)
    qualify, analysed = shown_sum(values[2:]), shown_sum(values)
    title = (
        f"{qualify / max(analysed, 1):.0%} of the patients analysed have two or more chronic "
        "conditions"
        if not isinstance(qualify, str) and not isinstance(analysed, str)
        else "Patients analysed by number of chronic conditions"
    )
    fig = base_figure(
        title, "Patients by number of chronic conditions; darker bars qualify for CCM"
    )
    lengths, text = _suppressed_bars(values, total_shown=True)
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
    counts = pd.Series({k: by_payer.get(k) or 0 for k in PAYER_LABELS}, dtype=object)
    paying = ["medicare_ffs"] + (["medicare_advantage"] if ma_pays_ccm else [])
    counts = counts[counts.ne(0) | counts.index.isin(paying)]  # no empty "Other 0" bars
    shown_values = suppress_series(counts)
    hidden = {k for k, v in shown_values.items() if isinstance(v, str)}
    total, billable = shown_sum(shown_values), shown_sum(shown_values[paying])
    if isinstance(billable, str) or is_small(billable):
        title = "Eligible patients by insurance: Medicare pays for CCM"
    elif isinstance(total, str):
        title = f"{billable:,} eligible patients have Medicare that pays for CCM"
    else:
        title = f"{billable:,} of {total:,} eligible patients have Medicare that pays for CCM"
    fig = base_figure(title, "Eligible patients by insurance; darker bars are billable", height=330)
    shown = [0.0 if k in hidden else float(v) for k, v in counts.items()]
    text = [format_count(v) for v in shown_values]
    fig.add_bar(
        x=shown,
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


def eligible_by(counts: pd.Series, *, what: str = "provider", top: int = 12) -> go.Figure | None:
    """CCM-eligible patients per provider or location: `Published.groups(role)` (hidden counts
    "<11"); None when the panel has no such column (an empty Series).

    Groups with no eligible patient are left out; groups past the `top` largest are pooled as
    "All others" (hidden when any of them is).
    """
    if counts.empty:
        return None
    counts = counts[np.array([isinstance(v, str) or v > 0 for v in counts], dtype=bool)]
    counts = counts[display_order(counts.to_dict())]
    if len(counts) > top:
        rest = counts.iloc[top - 1 :]
        pooled = pd.Series({f"All others ({len(rest)} {what}s)": shown_sum(rest)}, dtype=object)
        counts = pd.concat([counts.iloc[: top - 1], pooled])
    first = counts.iloc[0] if len(counts) else None
    title = (
        f"{counts.index[0]} has the most CCM-eligible patients: {first:,.0f}"
        if first is not None and not isinstance(first, str) and not is_small(first)
        else f"CCM-eligible patients by {what}"
    )
    fig = base_figure(
        title,
        f"Eligible patients by {what}; groups of 1-10 patients show as {SUPPRESSED}",
        height=hbar_height(len(counts)),
    )
    return _count_bars(fig, _names(counts.index), counts, ACCENT, total_shown=True)


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
    fig = base_figure(title, "Score per area, 0-100, coloured by maturity band", height=350)

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
    fig.data[0].showlegend = False
    for index, (label, low) in enumerate(bands):  # the legend: one entry per colour
        band_colour = MATURITY_COLOURS[min(index, len(MATURITY_COLOURS) - 1)]
        fig.add_bar(
            x=[None],
            y=[None],
            orientation="h",
            name=f"{label} ({low:g}+)",
            marker_color=band_colour,
        )
    if None in scores:
        fig.add_bar(
            x=[None], y=[None], orientation="h", name="Not assessed", marker_color=NEUTRAL["rule"]
        )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="")
    fig.update_xaxes(range=[0, 100], showgrid=True, showline=False, dtick=25)
    return fig.update_layout(
        showlegend=True, legend={"orientation": "h", "y": -0.18}, margin={"r": 72, "b": 64}
    )
