"""Column roles of a panel export and how headers are matched to them.

`ROLES` names the roles a `--map` may give; `data/column_aliases.csv` lists the headers of each
role in preference order. Matching is case- and punctuation-insensitive (`header_key`), reads a
period such as `(12 mo)` as noise and numbered diagnosis columns (`Dx1`, `Diagnosis 2`,
`ICD10_3`) by pattern. `find_header` picks the header row among the first rows of the raw grid
and `assign_roles` the column(s) of each role; the rest of the reading is `panel.tidy_panel`.
Column positions are 0-based; `column_letter` spells them as a spreadsheet does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
import pandas as pd

from ccm_assess.errors import PanelError
from ccm_assess.intake.sources import SCAN_ROWS, listing
from ccm_assess.intake.values import code_shaped
from ccm_assess.reference import read_data_csv

ROLES: tuple[str, ...] = (
    "patient_id",
    "diagnosis",
    "birth_date",
    "sex",
    "primary_payer",
    "secondary_payer",
    "last_visit_date",
    "provider",
    "location",
    "deceased",
    "death_date",
    "hospice",
    "inpatient_admits_12m",
    "ed_visits_12m",
    "name",
    "first_name",
    "last_name",
    "phone",
    "address",
)
"""Column roles a mapping may name. `first_name` + `last_name` become `name` ("Last, First")."""

IGNORE = "ignore"
"""The mapping's role for a column left out on purpose (`--map ignore=<header>`)."""

_MULTI_COLUMN = frozenset({"diagnosis", "address", IGNORE})
"""Roles that take every matching column (address parts are joined with ", ")."""

_NUMBERED_DX = re.compile(
    r"(?:dx|diag|diagnosis|icd|icd10|icd10cm|icd9|problem|code)(?:code)?\d{1,2}(?:code|icd10)?"
)
_LAST_YEAR = r"(?:in)?(?:the)?(?:last|past|prior)?(?:12|twelve)(?:months?|mos?|m)"
_PERIOD = re.compile(rf"^{_LAST_YEAR}|{_LAST_YEAR}$")
"""`12 mo`, `(Last 12 Months)` and the like before or after a header."""


def header_key(text: str) -> str:
    """Header -> alias key: lower case, a trailing `#` read as `no`, only letters and digits."""
    text = re.sub(r"#\s*$", "no", str(text).strip().lower())
    return re.sub(r"[^a-z0-9]", "", text)


@cache
def _aliases() -> dict[str, tuple[str, int]]:
    """Alias key -> (role, rank within the role; lower is preferred)."""
    table = read_data_csv("column_aliases.csv", dtype=str)
    rank = table.groupby("role").cumcount()
    return {
        header_key(header): (role, int(r))
        for role, header, r in zip(table["role"], table["header"], rank, strict=True)
    }


def header_role(header: str) -> tuple[str, int] | None:
    """(role, rank) of a header, or None. `IP Admits (12 mo)` is read as `IP Admits`."""
    key = header_key(header)
    if not key:
        return None
    aliases = _aliases()
    for candidate in (key, _PERIOD.sub("", key)):
        if candidate in aliases:
            return aliases[candidate]
    if _NUMBERED_DX.fullmatch(key):
        return ("diagnosis", 0)
    return None


def _header_scores(head: pd.DataFrame) -> np.ndarray:
    """Per row of `head` (text cells): how many cells are known headers."""
    cells = head.stack().dropna()
    known = cells.map({value: header_role(value) is not None for value in pd.unique(cells)})
    per_row = known.astype(bool).groupby(level=0).sum()
    return np.asarray(per_row.reindex(head.index, fill_value=0), dtype=np.int64)


DATA_BELOW_ROWS = 5
"""Filled rows below a candidate header row that `data_below` looks at."""


def data_below(head: pd.DataFrame) -> np.ndarray:
    """Per row of `head`: the share of the next `DATA_BELOW_ROWS` filled rows holding a cell
    that looks like patient data (`_DATA_LIKE`: ids, dates; or a code). The header of a table is
    followed by data; a title or filter row (`Provider: All  Location: Main`) by more titles
    and by the header itself."""
    cells = head.stack().dropna()
    data = cells.str.contains(_DATA_LIKE, regex=True) | code_shaped(cells).to_numpy()
    data = data.groupby(level=0).any()
    filled = head.notna().any(axis=1).to_numpy()
    has_data = data.reindex(head.index, fill_value=False).to_numpy(dtype=float)
    order = np.flatnonzero(filled)
    share = np.zeros(len(head))
    for k, row in enumerate(order):  # at most SCAN_ROWS rows
        following = has_data[order[k + 1 : k + 1 + DATA_BELOW_ROWS]]
        share[row] = following.mean() if len(following) else 0.0
    return share


def _repeated_rows(head: pd.DataFrame) -> np.ndarray:
    """Per row of `head`: whether an earlier row holds the same filled cells (header keys)."""
    cells = head.stack().dropna()
    keys = cells.map({value: header_key(value) for value in pd.unique(cells)})
    rows = keys.groupby(level=0).agg("|".join).reindex(head.index)
    repeated: np.ndarray = (rows.notna() & rows.duplicated()).to_numpy(dtype=bool)
    return repeated


def find_header(text: pd.DataFrame, wanted: Sequence[str]) -> int:
    """Index of the header row among the first rows; mapped headers (`wanted`) weigh most.
    Known headers count half in a row not followed by data rows (`data_below`), so a title or
    filter row naming a few roles never wins over the table's own header; a row repeating an
    earlier one (the header printed again on each page) is never the header."""
    head = text.iloc[:SCAN_ROWS]
    scores = _header_scores(head).astype(float) * (0.5 + 0.5 * data_below(head))
    scores[_repeated_rows(head)] = 0.0  # a header repeated after a page break is not the header
    if wanted:
        cells = head.stack().dropna()
        keys = cells.map({value: header_key(value) for value in pd.unique(cells)})
        for key in {header_key(w) for w in wanted}:
            hit = keys.eq(key).groupby(level=0).any().reindex(head.index, fill_value=False)
            scores += 100 * hit.to_numpy(dtype=float)
    if len(scores) == 0 or scores.max() <= 0:
        return -1
    return int(scores.argmax())


def table_score(head: pd.DataFrame) -> float:
    """How much the first rows of a sheet (text cells) look like a patient table's header."""
    return float(_header_scores(head).max())


def assign_roles(
    headers: list[str],
    mapping: Mapping[str, str | Sequence[str]],
    filled: Sequence[int],
    header_row: int | None = None,
) -> dict[str, list[int]]:
    """Role -> column positions, from the aliases and then the explicit mapping. A one-column
    role takes the best-ranked alias; among columns with the same header (two `MRN` columns),
    the one with the most filled cells (`filled`, per column), then the leftmost."""
    best: dict[str, list[tuple[int, int, int]]] = {}
    for position, header in enumerate(headers):
        found = header_role(header)
        if found:
            best.setdefault(found[0], []).append((found[1], -filled[position], position))
    roles = {
        role: sorted(p for *_, p in ranked) if role in _MULTI_COLUMN else [min(ranked)[2]]
        for role, ranked in best.items()
    }
    keys = [header_key(h) for h in headers]
    for role, wanted in mapping.items():
        if role not in ROLES and role != IGNORE:
            raise PanelError(
                f"unknown role '{role}' in the column mapping; valid roles: {', '.join(ROLES)}"
            )
        positions = []
        for header in [wanted] if isinstance(wanted, str) else list(wanted):
            exact = [p for p, h in enumerate(headers) if h.strip() == header.strip()]
            loose = [p for p, k in enumerate(keys) if k and k == header_key(header)]
            if not exact + loose:
                raise PanelError(
                    f"no column {shown_header(header)!r} for {role} (given in --map or the "
                    f"mapping file); {headers_found(headers, header_row)}; check the spelling "
                    f"in --map {role}=<header>"
                )
            positions.append((exact + loose)[0])
        for other in roles.values():
            other[:] = [p for p in other if p not in positions]
        roles[role] = positions
    return {role: positions for role, positions in roles.items() if positions}


_DATA_LIKE = re.compile(r"\d{3}|\d[/.-]\d|@")
"""In a cell: 3 digits in a row (ids, dates, phones), a date separator between digits, an
e-mail sign. Headers rarely hold these; patient cells usually do. No nested quantifiers."""


def looks_like_data(cell: str) -> bool:
    """True when a cell taken as a header looks like a patient value (id, date, code)."""
    text = str(cell).strip()
    return bool(_DATA_LIKE.search(text)) or bool(code_shaped(pd.Series([text])).iloc[0])


def shown_header(header: str) -> str:
    """A header as a report may show it: one that looks like patient data (a `--map` to a
    value, a file without a header row) is not shown."""
    return "(a value, not shown)" if looks_like_data(header) else str(header)


def headers_found(cells: Sequence[str], row: int | None) -> str:
    """The headers an error message may list: `headers found: 'MRN', ...`, or, when the row
    looks like patient data (a file without a header row), that it does, without its cells."""
    if row is None:
        return (
            "no row looks like a header row (the first rows look like patient data); export "
            "the panel with its column headers"
        )
    if any(looks_like_data(c) for c in cells):
        return (
            f"row {row}, taken as the header, looks like patient data, not column names (the "
            "file may have no header row); export the panel with its column headers"
        )
    return f"headers found: {listing([c for c in cells if c])}"


def unheaded_after(dx: list[int], headers: list[str]) -> list[int]:
    """Diagnosis columns plus the columns without a header right after each: a header merged
    across several code columns, or `Diagnoses,,,` in a CSV, names only the first."""
    extra = []
    for p in dx:
        q = p + 1
        while q < len(headers) and not headers[q] and q not in dx:
            extra.append(q)
            q += 1
    return sorted({*dx, *extra})


def column_letter(position: int) -> str:
    """Column position (0-based) -> spreadsheet letters: 0 -> A, 25 -> Z, 26 -> AA."""
    letters, number = "", position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _letters(positions: Sequence[int], limit: int = 5) -> str:
    shown = ", ".join(column_letter(p) for p in positions[:limit])
    return shown + (", ..." if len(positions) > limit else "")


def column_notes(used: pd.DataFrame, headers: list[str], roles: dict[str, list[int]]) -> list[str]:
    """Notes on columns that share a header (which one a role reads) and on filled cells in
    columns without a header (never read; in a CSV, a sign of an unquoted delimiter)."""
    keys = [header_key(h) for h in headers]
    notes = []
    for role, positions in roles.items():
        same = [p for p, k in enumerate(keys) if k and k == keys[positions[0]]]
        if role not in _MULTI_COLUMN and len(same) > 1:
            notes.append(
                f"{len(same)} columns are headed '{headers[positions[0]]}' ({_letters(same)}): "
                f"{role} is read from column {column_letter(positions[0])}"
            )
    taken = {p for positions in roles.values() for p in positions}
    blank = [p for p, h in enumerate(headers) if not h and p not in taken]
    filled = used[blank].notna()
    if blank and filled.to_numpy().any():
        rows = filled.index[filled.any(axis=1).to_numpy()].tolist()
        columns = [p for p, hit in zip(blank, filled.any().to_numpy(), strict=True) if hit]
        notes.append(
            f"{int(filled.to_numpy().sum()):,} filled cell(s) under no header (column(s) "
            f"{_letters(columns)}; row(s) {', '.join(map(str, rows[:5]))}"
            f"{', ...' if len(rows) > 5 else ''}) were not read; in a CSV file, a value with an "
            "unquoted delimiter shifts the cells after it"
        )
    return notes
