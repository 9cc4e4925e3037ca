"""Report style and the offline plotly renderer (ccm_assess.outputs.charts, rendering part)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.io import _base_renderers

from ccm_assess.outputs import charts

ROOT = Path(__file__).resolve().parents[2]
REPORT_CSS = ROOT / "templates" / "report" / "static" / "report.css"


@pytest.fixture
def plotly_defaults():
    """Restore plotly's global default renderer and template after a test changes them."""
    renderer, template = pio.renderers.default, pio.templates.default
    yield
    pio.renderers.default, pio.templates.default = renderer, template


def _line() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[10, 20, 15], name="In-house"))


def test_renderer_and_template_are_registered():
    assert isinstance(pio.renderers["ccm_offline"], charts.OfflineNotebookRenderer)
    assert pio.templates["ccm"] == charts.CCM_TEMPLATE


def test_figure_html_references_no_network():
    html = pio.renderers["ccm_offline"].to_mimebundle(_line().to_dict())["text/html"]
    # plotly's own notebook renderer adds a MathJax <script src="https://cdnjs..."> per figure
    stock = pio.renderers["notebook"].to_mimebundle(_line().to_dict())["text/html"]
    assert re.search(r'<script src="https://[^"]*mathjax', stock)
    assert "https://" not in html and "http://" not in html
    assert "<script src" not in html
    assert 'class="plotly-graph-div"' in html
    assert "Plotly.newPlot" in html
    assert re.search(r'"displayModeBar":\s*false', html)


def test_two_dollar_amounts_in_a_title_stay_text_where_mathjax_runs():
    # JupyterLab loads MathJax; plotly.js typesets "$a ... $b" unless typesetMath is off
    fig = charts.base_figure("Nets $60,167", "8 in 10 simulations $1 to $2")
    html = pio.renderers["ccm_offline"].to_mimebundle(fig.to_dict())["text/html"]
    assert re.search(r'"typesetMath":\s*false', html)


def test_renderer_refuses_markup_that_would_reach_the_network(monkeypatch):
    # stand-in for a future plotly release that adds another CDN reference
    def to_mimebundle(self, fig_dict):
        return {"text/html": '<script src="https://cdn.plot.ly/x.js"></script><div></div>'}

    monkeypatch.setattr(_base_renderers.NotebookRenderer, "to_mimebundle", to_mimebundle)
    with pytest.raises(RuntimeError, match="references the network"):
        pio.renderers["ccm_offline"].to_mimebundle(_line().to_dict())


def test_activation_inlines_plotly_js_once(monkeypatch, plotly_defaults):
    shown: list[str] = []

    class Display:
        @staticmethod
        def display_html(markup: str, raw: bool) -> None:
            shown.append(markup)

    monkeypatch.setattr(_base_renderers, "ipython_display", Display)
    charts.use_offline_renderer()
    bundles = [pio.renderers._build_mime_bundle(_line().to_dict()) for _ in range(2)]
    # two figures, one copy of plotly.js, displayed before the first figure's own output
    assert len(shown) == 1
    assert "* plotly.js v" in shown[0]
    assert "<script src" not in shown[0]
    assert all(set(b) == {"text/html"} for b in bundles)
    assert all("plotly.js v" not in b["text/html"] for b in bundles)


def test_use_offline_renderer_sets_defaults(plotly_defaults):
    charts.use_offline_renderer()
    assert pio.renderers.default == "ccm_offline"
    assert pio.templates.default == "ccm"
    fig = go.Figure()
    # the default template applies without naming it: A4-width chart, legend below
    assert fig.layout.template.layout.width == charts.CHART_WIDTH == 680
    assert fig.layout.template.layout.height == 380
    assert fig.layout.template.layout.legend.orientation == "h"
    assert fig.layout.template.layout.legend.y < 0


def test_template_uses_model_colours_first():
    layout = go.Figure(layout_template="ccm").layout.template.layout
    assert list(layout.colorway[:3]) == ["#0072B2", "#E69F00", "#009E73"]
    assert "#F0E442" not in layout.colorway  # Okabe-Ito yellow: unreadable on white
    assert layout.xaxis.showgrid is False and layout.yaxis.gridcolor == charts.NEUTRAL["grid"]
    # fixed size: a responsive 100 % chart is laid out at screen width and clipped in print
    html = pio.to_html(go.Figure(layout_template="ccm"), full_html=False, include_plotlyjs=False)
    assert "height:380px; width:680px;" in html


def test_model_colours_are_distinct_and_repeated_in_report_css():
    assert set(charts.MODEL_COLOURS) == {"in_house", "managed", "hybrid"}
    assert len(set(charts.MODEL_COLOURS.values())) == 3
    css = REPORT_CSS.read_text(encoding="utf-8")
    for model, colour in charts.MODEL_COLOURS.items():
        assert f"--ccm-{model}: {colour};" in css
    assert f"max-width: {charts.CHART_WIDTH}px;" in css


def test_takeaway_title_escapes_text():
    assert charts.takeaway_title("Costs < $5 & rising") == {"text": "Costs &lt; $5 &amp; rising"}
    title = charts.takeaway_title("Break-even in month 7", "Cumulative net, <b>$</b>")
    assert title == {
        "text": "Break-even in month 7",
        "subtitle": {"text": "Cumulative net, &lt;b&gt;$&lt;/b&gt;"},
    }
    fig = go.Figure(layout_template="ccm").update_layout(title=title)
    assert fig.layout.title.subtitle.text == "Cumulative net, &lt;b&gt;$&lt;/b&gt;"


def test_currency_axis_whole_dollars():
    fig = charts.currency_axis(_line())
    assert (fig.layout.yaxis.tickformat, fig.layout.yaxis.hoverformat) == ("$,.0f", "$,.0f")
    assert fig.layout.xaxis.tickformat is None
    compact = charts.currency_axis(_line(), axis="x", compact=True)
    assert compact.layout.xaxis.tickformat == "$~s"  # 12400 -> $12.4k
    assert compact.layout.yaxis.tickformat is None


def test_percent_axis_fractions():
    fig = charts.percent_axis(_line())
    assert (fig.layout.yaxis.tickformat, fig.layout.yaxis.hoverformat) == (".0%", ".1%")
    fig = charts.percent_axis(_line(), axis="x", decimals=1)
    assert (fig.layout.xaxis.tickformat, fig.layout.xaxis.hoverformat) == (".1%", ".2%")


def test_charts_imports_no_export_machinery():
    code = (
        "import sys, ccm_assess.outputs.charts; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'papermill', 'nbconvert'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
