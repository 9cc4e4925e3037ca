"""HTML building blocks shared by the report's tables and text (text formats: ``formatting``).

Every HTML function returns a string for ``IPython.display.HTML`` and uses the classes of
``templates/report/static/report.css`` (``.kpi-grid > .kpi``, ``.callout``, ``.caution``,
``.model-<key>``, ``td.text``). Text that comes from data is escaped with ``esc``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.formatting import MINUS

INDENT = "\u00a0" * 4  # no-break spaces: a sub-row in a table


def esc(text: object) -> str:
    """`text` as HTML-escaped text."""
    return html.escape(str(text))


def model_label(model: str) -> str:
    """The delivery model's label (``DELIVERY_MODELS``), e.g. "In-house"; "none": "Not
    starting"."""
    return DELIVERY_MODELS[model].label if model in DELIVERY_MODELS else "Not starting"


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


def _cell_class(value: object, text: bool) -> str:
    if text:
        return " class=text"
    return " class=negative" if str(value).startswith(MINUS) else ""


def html_table(
    frame: pd.DataFrame, *, text_columns: Sequence[str] = (), caption: str | None = None
) -> str:
    """A plain HTML table of already formatted cells (index ignored), every cell escaped.

    Columns named in `text_columns` are left-aligned (``td.text``); the others are numbers, and a
    negative one (``td.negative``) never breaks after its minus sign.
    """
    left = ' style="text-align:left"'
    head = "".join(f"<th{left if c in text_columns else ''}>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):  # formatted report rows, not patients
        cells = "".join(
            f"<td{_cell_class(value, column in text_columns)}>{esc(value)}</td>"
            for column, value in zip(frame.columns, record, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    top = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{top}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def paragraphs(*texts: str) -> str:
    """Plain-text paragraphs as HTML."""
    return "".join(f"<p>{esc(t)}</p>" for t in texts if t)
