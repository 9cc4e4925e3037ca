"""Read a practice's panel export into tidy patients and diagnoses, accounting for every row.

Contract: spec/panel_contract.md and ARCHITECTURE.md (`panel.Panel`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

PATIENT_COLUMNS: dict[str, str] = {
    "name": "str",
    "phone": "str",
    "address": "str",
    "birth_date": "datetime64[ns]",
    "sex": "str",
    "primary_payer": "str",
    "payer_class": "str",
    "secondary_payer": "str",
    "secondary_payer_class": "str",
    "dual_eligible": "bool",
    "last_visit_date": "datetime64[ns]",
    "provider": "str",
    "location": "str",
    "deceased": "boolean",
    "death_date": "datetime64[ns]",
    "hospice": "boolean",
    "inpatient_admits_12m": "Int64",
    "ed_visits_12m": "Int64",
}
"""Columns of `Panel.patients` (index `patient_id`) and their dtypes; all-NA when not mapped."""


@dataclass(frozen=True)
class SourceInfo:
    """Where the panel came from and how it was read."""

    path: Path
    sheet: str | None
    header_row: int
    """1-based row number of the header, as a spreadsheet shows it."""
    shape: str
    """`wide`, `long` or `list` (codes listed in one cell); `mixed` when rows repeat as well."""
    sheets: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataQuality:
    """What the reader could not use or had to decide, with counts and a few examples.

    Each frame has the columns `value`, `count` (most frequent first) unless stated.
    """

    invalid_codes: pd.DataFrame
    icd9_codes: pd.DataFrame
    unknown_payers: pd.DataFrame
    bad_dates: pd.DataFrame
    """Columns `column`, `count`, `examples`: unparseable or impossible dates set to null."""
    conflicts: pd.DataFrame
    """Columns `column`, `patients`: patients whose rows disagree on that field."""


@dataclass(frozen=True)
class Panel:
    """A practice panel, tidy: one row per patient plus their diagnosis codes."""

    patients: pd.DataFrame
    diagnoses: pd.DataFrame
    roles: frozenset[str]
    ledger: pd.DataFrame
    mapping: dict[str, list[str]]
    source: SourceInfo
    quality: DataQuality
    notes: tuple[str, ...] = field(default=())

    def has(self, role: str) -> bool:
        """Whether the file had a column for this role."""
        return role in self.roles
