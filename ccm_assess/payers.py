"""Payer free text -> payer class (spec/panel_contract.md, Values: Payers)."""

from __future__ import annotations

PAYER_CLASSES: tuple[str, ...] = (
    "medicare_ffs",
    "medicare_advantage",
    "medicaid",
    "commercial",
    "self_pay",
    "other",
    "unknown",
)
"""Every payer class, in report order. `unknown`: blank or unrecognised text."""

MEDICARE_CLASSES: frozenset[str] = frozenset({"medicare_ffs", "medicare_advantage"})
