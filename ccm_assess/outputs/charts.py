"""Report style and offline rendering (plotly): what every chart shares.

The ``ccm`` plotly template sized for an A4 page (colours from ``palette``), axis helpers,
takeaway titles, small figure helpers and the ``ccm_offline`` renderer. The report figures
themselves are in figures/patients.py and figures/finance.py. No file I/O happens
here; ``report`` runs and exports the notebooks.

Importing the module registers ``pio.renderers["ccm_offline"]`` and ``pio.templates["ccm"]``.
A report notebook calls ``use_offline_renderer()`` once, before its first chart.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

import plotly.graph_objects as go
import plotly.io as pio

# private: pinned by tests/outputs/test_charts.py
from plotly.io._base_renderers import NotebookRenderer

# re-exported: the figure modules take the colours from here with the chart helpers
from ccm_assess.outputs.palette import MODEL_COLOURS as MODEL_COLOURS
from ccm_assess.outputs.palette import NEUTRAL as NEUTRAL

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


PLOTLY_CONFIG: dict[str, Any] = {"displayModeBar": False, "typesetMath": False}
"""plotly.js options of every chart: no toolbar, and text between two `$` left as text (in
JupyterLab, which has MathJax, "$12,400 to $50,400" in a title would otherwise become maths)."""

# plotly's HtmlRenderer hard-codes include_mathjax="cdn"; this is the tag it adds per figure.
_MATHJAX_CDN = re.compile(r'<script src="https?://[^"]*mathjax[^"]*"></script>')
_REMOTE_REF = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


class OfflineNotebookRenderer(NotebookRenderer):  # type: ignore[misc]  # plotly is untyped
    """plotly's notebook renderer without a single network reference.

    On activation (the first figure after ``use_offline_renderer()``) it displays plotly.js
    once, inline (~4.8 MB), in that figure's cell output; later figures only carry their data.
    The MathJax CDN ``<script>`` plotly adds to every figure is removed, so the exported HTML
    makes no request when opened. Keep the cell that shows the first chart in the report: a
    removed cell takes plotly.js with it and every chart goes blank.
    """

    def __init__(self) -> None:
        super().__init__(connected=False, config=dict(PLOTLY_CONFIG), include_plotlyjs=False)

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        markup = _MATHJAX_CDN.sub("", super().to_mimebundle(fig_dict)["text/html"])
        if _REMOTE_REF.search(markup):
            raise RuntimeError(
                "plotly's figure HTML now references the network; update "
                "ccm_assess.outputs.charts.OfflineNotebookRenderer for this plotly version"
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

# ============================================================================ figure helpers
# Shared by the report figures (figures/patients.py, figures/finance.py): each title states the
# takeaway with its number; each delivery model keeps its MODEL_COLOURS colour.

ACCENT = "#0B3C5D"  # the report's accent (report.css --ccm-accent)
CAUTION = "#D55E00"  # report.css --ccm-caution
_BAR_GAP = 26  # px per horizontal bar


def base_figure(
    title: str, subtitle: str | None = None, *, height: int = CHART_HEIGHT
) -> go.Figure:
    """An empty figure on the ``ccm`` template with its takeaway title."""
    fig = go.Figure()
    return fig.update_layout(template="ccm", title=takeaway_title(title, subtitle), height=height)


def hbar_height(bars: int) -> int:
    """Figure height in px for a horizontal bar chart (at least three bars' room)."""
    return 150 + _BAR_GAP * max(bars, 3)
