"""Keep patient data out of every output but the worklist.

Small-cell suppression follows the CMS cell-size rule: no count from 1 to 10 is shown for a
group smaller than the panel (spec/outputs.md). A suppressed cell that could be recovered by
subtracting the shown cells from a shown total is protected by also suppressing the smallest
other non-zero cell of the group (complementary suppression).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

SMALL_CELL_LIMIT = 11
"""Counts from 1 to SMALL_CELL_LIMIT - 1 are suppressed (CMS cell-size suppression policy)."""
SUPPRESSED = "<11"
"""What a suppressed count shows as in the report and the workbook."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read text as a formula (OWASP CSV injection)."""


def is_small(count: float | None) -> bool:
    """True for a count from 1 to 10: one that must not be shown for a subgroup."""
    return count is not None and not pd.isna(count) and 0 < count < SMALL_CELL_LIMIT


def suppressed_keys(counts: Mapping[str, int | None], *, total_shown: bool = True) -> set[str]:
    """Keys of a group of counts to suppress, complementary cells included.

    >>> sorted(suppressed_keys({"a": 40, "b": 5, "c": 20, "d": 0}))
    ['b', 'c']
    """
    small = {key for key, value in counts.items() if is_small(value)}
    if len(small) == 1 and total_shown:
        others = [
            (value, key)
            for key, value in counts.items()
            if key not in small and value is not None and not pd.isna(value) and value > 0
        ]
        if others:
            small.add(min(others)[1])
    return small


def suppress_counts(
    counts: Mapping[str, int | None], *, total_shown: bool = True, marker: Any = SUPPRESSED
) -> dict[str, Any]:
    """A copy of `counts` with small (and complementary) cells replaced by `marker`.

    >>> suppress_counts({"medicare_ffs": 412, "medicaid": 7, "commercial": 58, "other": 0})
    {'medicare_ffs': 412, 'medicaid': '<11', 'commercial': '<11', 'other': 0}
    """
    hidden = suppressed_keys(counts, total_shown=total_shown)
    return {key: (marker if key in hidden else value) for key, value in counts.items()}


def suppress_series(counts: pd.Series, *, total_shown: bool = True) -> pd.Series:
    """`suppress_counts` for a Series (object dtype; suppressed cells hold "<11")."""
    values = suppress_counts(counts.to_dict(), total_shown=total_shown)
    return pd.Series(values, index=counts.index, dtype=object, name=counts.name)


def format_count(value: Any) -> str:
    """A count for the report body: thousands separators, "<11" kept, unknown as a dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, str):
        return value
    return f"{int(round(value)):,}"


def excel_safe(values: pd.Series) -> pd.Series:
    """Text that cannot become a formula when written to a spreadsheet (vectorised).

    Strings starting with =, +, -, @, tab or CR get a leading apostrophe; other values pass.
    """
    is_text = values.map(type).eq(str)
    text = values.where(is_text, "").astype(str)
    risky = is_text & text.str.startswith(FORMULA_PREFIXES)
    return values.where(~risky, "'" + text)


def _suppress_group(
    group: dict[str, Any], path: str, hidden: list[str], *, total_shown: bool
) -> dict[str, Any]:
    keys = suppressed_keys(
        {k: v for k, v in group.items() if isinstance(v, int | float) or v is None},
        total_shown=total_shown,
    )
    hidden.extend(f"{path}.{key}" for key in sorted(keys))
    return {key: (None if key in keys else value) for key, value in group.items()}


def _derivable_counts(exact: Mapping[str, Any], shown: Mapping[str, Any]) -> list[str]:
    """Eligibility totals that would give away a hidden count by subtraction: `ccm_billable`
    (Medicare FFS + Medicare Advantage) when one of those two cells is hidden, and a level count
    (strict, broad) within 1-10 of the standard count."""
    keys = []
    by_payer = shown.get("ccm_eligible_by_payer") or {}
    if "ccm_billable" in exact and sum(
        by_payer.get(c) is None for c in ("medicare_ffs", "medicare_advantage")
    ) == 1:
        keys.append("ccm_billable")
    standard = exact.get("ccm_eligible_standard")
    for key in ("ccm_eligible_strict", "broad_ccm_eligible"):
        value = exact.get(key)
        if standard is not None and value is not None and is_small(abs(standard - value)):
            keys.append(key)
    return [k for k in keys if shown.get(k) is not None]


def suppressed_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """summary.json with every count from 1 to 10 for a subgroup set to null.

    The dotted paths of the suppressed counts are listed under `suppressed`, so a null there
    is told apart from an unknown. Partitions (by payer, APCM tiers, exclusions) get
    complementary suppression; panel row counts and totals are not subgroups and stay.
    """
    out = dict(summary)
    hidden: list[str] = []
    out["excluded"] = _suppress_group(
        dict(summary["excluded"]), "excluded", hidden, total_shown=True
    )
    out["conditions"] = _suppress_group(
        dict(summary["conditions"]), "conditions", hidden, total_shown=False
    )
    eligibility = dict(summary["eligibility"])
    for key, value in summary["eligibility"].items():
        if isinstance(value, Mapping):
            eligibility[key] = _suppress_group(
                dict(value), f"eligibility.{key}", hidden, total_shown=True
            )
        elif is_small(value):
            eligibility[key] = None
            hidden.append(f"eligibility.{key}")
    for key in _derivable_counts(summary["eligibility"], eligibility):
        eligibility[key] = None
        hidden.append(f"eligibility.{key}")
    out["eligibility"] = eligibility
    out["suppressed"] = hidden
    return out
