"""Colours shared by the charts, the report CSS and the workbook's charts (no plotly here).

One colour per delivery model and the neutral greys; ``charts`` builds the plotly template from
them and ``outputs.workbook`` colours its Excel charts with them.
"""

from __future__ import annotations

from types import MappingProxyType

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
