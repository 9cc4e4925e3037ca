"""Text formats and HTML building blocks shared by the report's tables and text.

Every HTML function returns a string for ``IPython.display.HTML`` and uses the classes of
``templates/report/static/report.css`` (``.kpi-grid > .kpi``, ``.callout``, ``.caution``,
``.model-<key>``, ``td.text``). Text that comes from data is escaped with ``esc``; patient counts
for a subgroup go through ``privacy`` (1-10 shows as "<11"). Money is whole US dollars (no cents).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.privacy import SUPPRESSED, format_count, is_small

MINUS = "\u2212"
INDENT = "\u00a0" * 4  # no-break spaces: a sub-row in a table
DASH = "\u2013"
PAYER_LABELS: Mapping[str, str] = {
    "medicare_ffs": "Medicare (traditional)",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "commercial": "Commercial",
    "self_pay": "Self-pay",
    "other": "Other (VA, TRICARE, ...)",
    "unknown": "Not recognised",
}


def money(amount: float | None) -> str:
    """Whole US dollars: ``$12,400``, ``−$1,200``; unknown as a dash."""
    if amount is None or not np.isfinite(amount):
        return DASH
    rounded = round(float(amount))
    return f"{MINUS if rounded < 0 else ''}${abs(rounded):,}"


def percent(share: float | None, decimals: int = 0) -> str:
    """A fraction as a percentage: 0.354 -> ``35%``."""
    return DASH if share is None or not np.isfinite(share) else f"{share:.{decimals}%}"


def month_text(month: float | None, horizon: int) -> str:
    """``Month 7``, or ``Not within 3 years``."""
    if month is None or not np.isfinite(month):
        return f"Not within {horizon / 12:g} years"
    return f"Month {int(month)}"


def fte_text(ftes: float) -> str:
    """FTEs to one decimal; a small non-zero amount is "under 0.1", not "0.0"."""
    return "under 0.1" if 0 < ftes < 0.05 else f"{ftes:.1f}"


def value_text(value: Any, unit: str) -> str:
    """An assumption's value in words by its unit: 35%, $86,070, 35 minutes, yes."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return DASH
    if isinstance(value, bool) or unit == "bool":
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("_", " ")
    if unit.startswith("share"):
        return f"{value * 100:.3g}%"
    if unit.startswith("USD"):
        per = unit.removeprefix("USD").removeprefix("/")
        return money(value) + (f" per {per.replace('-', ' ')}" if per else "")
    return f"{value:,.4g} {unit.replace('/', ' per ')}".strip()


def range_text(low: float, high: float, unit: str) -> str:
    """A plausible range in words with the unit once: 20%-60%, $5-$25 per patient month."""
    if unit.startswith("share"):
        return f"{low * 100:.3g}%{DASH}{high * 100:.3g}%"
    if unit.startswith("USD"):
        return f"{money(low)}{DASH}{value_text(high, unit)}"
    return f"{low:,.4g}{DASH}{value_text(high, unit)}"


def esc(text: object) -> str:
    """`text` as HTML-escaped text."""
    return html.escape(str(text))


def count_text(value: Any) -> str:
    """A subgroup's patient count, suppressed when 1-10 (already suppressed text passes)."""
    return SUPPRESSED if not isinstance(value, str) and is_small(value) else format_count(value)


def model_label(model: str) -> str:
    """The delivery model's label (``DELIVERY_MODELS``), e.g. "In-house"."""
    return DELIVERY_MODELS[model].label


def years_text(horizon_months: int) -> str:
    """A horizon in months as years: 36 -> "3 years"."""
    return f"{horizon_months / 12:g} years"


@dataclass(frozen=True)
class Kpi:
    """One key-number card: value and label as plain text, optional note and model accent."""

    value: str
    label: str
    note: str = ""
    model: str | None = None


def kpi_grid(kpis: Iterable[Kpi], *, columns: int | None = None) -> str:
    """Key-number cards in a grid (``.kpi-grid``): responsive, or `columns` equal columns."""
    cards = []
    for kpi in kpis:
        accent = f" model-{kpi.model}" if kpi.model else ""
        note = f'<div class="kpi-note">{esc(kpi.note)}</div>' if kpi.note else ""
        cards.append(
            f'<div class="kpi{accent}"><div class="kpi-value">{esc(kpi.value)}</div>'
            f'<div class="kpi-label">{esc(kpi.label)}</div>{note}</div>'
        )
    style = f' style="grid-template-columns: repeat({columns}, 1fr)"' if columns else ""
    return f'<div class="kpi-grid"{style}>{"".join(cards)}</div>'


def callout(
    title: str,
    paragraphs: Iterable[str] = (),
    *,
    bullets: Iterable[str] = (),
    caution: bool = False,
    model: str | None = None,
) -> str:
    """A boxed note: a bold title, plain-text paragraphs, then an optional bullet list."""
    classes = "callout" + (" caution" if caution else "") + (f" model-{model}" if model else "")
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    items = "".join(f"<li>{esc(b)}</li>" for b in bullets)
    listing = f"<ul>{items}</ul>" if items else ""
    return (
        f'<div class="{classes}"><div class="callout-title">{esc(title)}</div>{body}{listing}</div>'
    )


def html_table(
    frame: pd.DataFrame, *, text_columns: Sequence[str] = (), caption: str | None = None
) -> str:
    """A plain HTML table of already formatted cells (index ignored), every cell escaped.

    Columns named in `text_columns` are left-aligned (``td.text``); the others are numbers.
    """
    left = ' style="text-align:left"'
    head = "".join(f"<th{left if c in text_columns else ''}>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):  # formatted report rows, not patients
        cells = "".join(
            f"<td{' class=text' if column in text_columns else ''}>{esc(value)}</td>"
            for column, value in zip(frame.columns, record, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    top = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{top}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def paragraphs(*texts: str) -> str:
    """Plain-text paragraphs as HTML."""
    return "".join(f"<p>{esc(t)}</p>" for t in texts if t)
