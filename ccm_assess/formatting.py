"""Text formats for figures in words: money, shares, months, FTEs, assumption values, counts.

Pure text (no HTML, no plotly), shared by the domain's sentences (finance.decision), the report's
HTML (outputs.html), figures and workbooks. Money is whole US dollars (no cents); unknown is a
dash; patient counts for a subgroup go through ``privacy`` (1-10 shows as "<11").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ccm_assess.privacy import SUPPRESSED, format_count, is_small

MINUS = "\u2212"
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
LEVEL_NAMES: Mapping[str, str] = {
    "strict": "CMS's chronic conditions list only",
    "standard": "our catalog",
    "broad": "any condition AHRQ marks chronic",
}
"""What each level of the list of chronic conditions (`eligibility.LEVELS`, `--conditions`)
counts, in words (docs/eligibility_rules.md, How strict)."""


def level_text(level: str) -> str:
    """The list of chronic conditions a run counts, in words.

    >>> level_text("strict")
    "strict list: CMS's chronic conditions list only"
    """
    return f"{level} list: {LEVEL_NAMES[level]}"


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


def date_range(start: Any, end: Any) -> str:
    """Calendar dates of a plan step: `Dec 7, 2026`, `Dec 7-20, 2026`, `Nov 30-Dec 13, 2026`,
    `Dec 28, 2026-Jan 10, 2027`; a dash when there is no date.

    >>> import datetime as dt
    >>> date_range(dt.date(2026, 11, 30), dt.date(2026, 12, 13))
    'Nov 30–Dec 13, 2026'
    >>> date_range(dt.date(2026, 12, 28), dt.date(2027, 1, 10))
    'Dec 28, 2026–Jan 10, 2027'
    >>> date_range(dt.date(2026, 12, 7), dt.date(2026, 12, 20)), date_range(None, None)
    ('Dec 7–20, 2026', '–')
    """
    if start is None or end is None or start != start or end != end:  # None or NaT
        return DASH
    first, last = f"{start:%b} {start.day}", f"{end:%b} {end.day}"
    if start == end:
        return f"{first}, {start.year}"
    if start.year != end.year:
        return f"{first}, {start.year}\u2013{last}, {end.year}"
    if start.month == end.month:
        return f"{first}\u2013{end.day}, {end.year}"
    return f"{first}\u2013{last}, {end.year}"


def plan_when(start: Any, end: Any, weeks: str) -> str:
    """When a launch-plan step runs: `Dec 1–14, 2026 (weeks 1-2)`, `Dec 15–21, 2026 (week 3)`.

    >>> import datetime as dt
    >>> plan_when(dt.date(2026, 12, 15), dt.date(2026, 12, 21), "3")
    'Dec 15–21, 2026 (week 3)'
    """
    return f"{date_range(start, end)} (week{'s' if '-' in weeks else ''} {weeks})"


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


def count_text(value: Any) -> str:
    """A subgroup's patient count, suppressed when 1-10 (already suppressed text passes)."""
    return SUPPRESSED if not isinstance(value, str) and is_small(value) else format_count(value)


def years_text(horizon_months: int) -> str:
    """A horizon in months as years: 36 -> "3 years"."""
    return f"{horizon_months / 12:g} years"
