"""Readers of the CMS Physician Fee Schedule files: PPRRVU (RVUs per code) and the GPCI table
(Addendum E), .csv or .xlsx, columns found by header name, not position (docs/billing.md).

`fees.rate_table` uses them for the bundled GPCIs and for newer CMS files a consultant passes.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.errors import FeeScheduleError, PanelError
from ccm_assess.intake.files import MIB, read_input
from ccm_assess.intake.sources import Limits, check_workbook

MAX_BYTES = 64 * MIB
"""The CMS RVU and GPCI files are a few MB."""

RVU_COLUMNS = ["work_rvu", "pe_nonfac_rvu", "pe_fac_rvu", "mp_rvu"]
GPCI_COLUMNS = ["mac", "state", "locality_number", "locality_name", "pw_gpci", "pe_gpci", "mp_gpci"]

_HEADER_SCAN_ROWS = 60
_PPRRVU_HEADERS = {
    "code": {"HCPCS", "HCPCSCODE"},
    "mod": {"MOD", "MODIFIER"},
    "work_rvu": {"WORKRVU", "WORKRVUS", "RVUWORK"},
    "pe_nonfac_rvu": {"NONFACPERVU", "NONFACPERVUS", "NONFACILITYPERVU", "NONFACILITYPERVUS"},
    "pe_fac_rvu": {"FACILITYPERVU", "FACILITYPERVUS", "FACPERVU", "FACPERVUS"},
    "mp_rvu": {"MPRVU", "MPRVUS", "MALPRACTICERVU", "MALPRACTICERVUS"},
    "conversion_factor": {"CONVFACTOR", "CONVERSIONFACTOR"},
}
_GPCI_HEADERS = {  # the first field's names find the header row (as HCPCS does above)
    "state": {"STATE"},
    "mac": {"MAC", "MEDICAREADMINISTRATIVECONTRACTOR", "CONTRACTOR", "CARRIER"},
    "locality_number": {"LOCALITYNUMBER", "LOCALITY", "LOCALITYID", "LOCALITYCODE"},
    "locality_name": {"LOCALITYNAME"},
    "pw_gpci": {"PWGPCI", "WORKGPCI"},
    "pe_gpci": {"PEGPCI"},
    "mp_gpci": {"MPGPCI", "MALPRACTICEGPCI"},
}
_OPTIONAL = {"conversion_factor", "mac"}


def _norm(header: str) -> str:
    """`2025 PW GPCI (with 1.0 Floor)` -> `PWGPCI`: letters only, parentheses dropped."""
    return re.sub(r"[^A-Z]", "", re.sub(r"\(.*?\)", "", header.upper()))


def _read_grid(path: Path) -> pd.DataFrame:
    """Every cell of a CSV or the first Excel sheet as stripped text, no header, rows padded."""
    if not path.exists():
        raise FeeScheduleError(f"{path} does not exist; give the path of a CMS .csv or .xlsx file")
    suffix = path.suffix.lower()
    if suffix not in {".xlsx", ".xlsm", ".xls", ".csv"}:
        raise FeeScheduleError(f"{path.name}: expected a .csv or .xlsx CMS file, not {suffix!r}")
    raw = read_input(path, "CMS file", MAX_BYTES, error=FeeScheduleError)
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            check_workbook(raw, path.name, Limits())
        except PanelError as error:
            raise FeeScheduleError(str(error)) from None
        grid = pd.read_excel(io.BytesIO(raw), header=None, dtype=str, engine="calamine")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        rows = list(csv.reader(io.StringIO(text)))
        width = max(map(len, rows), default=0)
        grid = pd.DataFrame([row + [""] * (width - len(row)) for row in rows])
    grid = grid.fillna("").astype(str)
    return grid.apply(lambda column: column.str.strip())


def _locate_columns(
    grid: pd.DataFrame, wanted: dict[str, set[str]], path: Path
) -> tuple[int, dict[str, int], list[str]]:
    """Find the header row (first row holding a cell named like the first wanted field) and
    map fields to column positions by header name. CMS splits names over several lines
    ("WORK" above "RVU"), so the lines just above the header row that hold two or more cells
    are joined onto it. Returns (header row, field -> column, joined header names)."""
    anchor = next(iter(wanted.values()))
    top = grid.head(_HEADER_SCAN_ROWS)
    rows = [i for i in range(len(top)) if anchor & {_norm(cell) for cell in top.iloc[i]}]
    if not rows:
        raise FeeScheduleError(
            f"{path.name}: no header row with {' or '.join(sorted(anchor))} in the first "
            f"{_HEADER_SCAN_ROWS} rows; is this the right CMS file?"
        )
    header = rows[0]
    start = header
    while start > 0 and (top.iloc[start - 1] != "").sum() >= 2:
        start -= 1
    block = grid.iloc[start : header + 1]
    names = [" ".join(cell for cell in block[column] if cell) for column in block.columns]
    normalised = [_norm(name) for name in names]
    found: dict[str, int] = {}
    for field, aliases in wanted.items():
        matches = [i for i, name in enumerate(normalised) if name in aliases]
        if matches:
            found[field] = matches[0]
    missing = [field for field in wanted if field not in found and field not in _OPTIONAL]
    if missing:
        raise FeeScheduleError(
            f"{path.name}: no column for {', '.join(missing)} in the header row {header + 1} "
            f"(found: {', '.join(n for n in names if n)})"
        )
    return header, found, names


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.str.replace(",", "", regex=False), errors="coerce")


def load_pprrvu(path: str | Path) -> pd.DataFrame:
    """Read a CMS PPRRVU file (.csv or .xlsx), finding columns by header name, not position.

    Returns one row per HCPCS code without modifier (rows for 26/TC/53 are dropped): code,
    work_rvu, pe_nonfac_rvu, pe_fac_rvu, mp_rvu (RVUs) and conversion_factor (USD per RVU; NaN
    when the file has no CONV FACTOR column). Descriptions are not read (AMA copyright).
    """
    path = Path(path)
    grid = _read_grid(path)
    header, found, _ = _locate_columns(grid, _PPRRVU_HEADERS, path)
    body = grid.iloc[header + 1 :]
    out = pd.DataFrame({"code": body[found["code"]].str.upper(), "mod": body[found["mod"]]})
    for field in [*RVU_COLUMNS, "conversion_factor"]:
        out[field] = _numbers(body[found[field]]) if field in found else np.nan
    out = out[(out["code"] != "") & (out["mod"] == "")].drop(columns="mod")
    out = out.dropna(subset=RVU_COLUMNS, how="all").drop_duplicates("code")
    if out.empty:
        raise FeeScheduleError(f"{path.name}: no code rows without a modifier under the header")
    return out.reset_index(drop=True)


def load_gpci(path: str | Path, *, source: str | None = None) -> pd.DataFrame:
    """Read a CMS GPCI table (GPCI<year>.csv / Addendum E, .csv or .xlsx) by header names.

    Returns one row per locality: mac (5-digit text), state, locality_number (int),
    locality_name (footnote stars removed), pw_gpci, pe_gpci, mp_gpci, gpci_year (from the
    GPCI headers or the file name; NA if neither names a year) and source (default: file name).
    Title and footnote rows are skipped.
    """
    path = Path(path)
    grid = _read_grid(path)
    header, found, names = _locate_columns(grid, _GPCI_HEADERS, path)
    body = grid.iloc[header + 1 :]
    out = pd.DataFrame(
        {
            "mac": body[found["mac"]].str.zfill(5) if "mac" in found else "",
            "state": body[found["state"]].str.upper(),
            "locality_number": _numbers(body[found["locality_number"]]),
            "locality_name": body[found["locality_name"]].str.rstrip("*").str.strip(),
            **{field: _numbers(body[found[field]]) for field in GPCI_COLUMNS[4:]},
        }
    )
    numbers = out[["locality_number", *GPCI_COLUMNS[4:]]]
    out = out[out["state"].str.fullmatch(r"[A-Z]{2}") & numbers.notna().all(axis=1)]
    if out.empty:
        raise FeeScheduleError(f"{path.name}: no locality rows (state, number, GPCIs) found")
    duplicated = out.duplicated(["state", "locality_number"])
    if duplicated.any():
        first = out[duplicated].iloc[0]
        raise FeeScheduleError(
            f"{path.name}: locality {first['state']} {int(first['locality_number'])} is listed "
            "twice; fix the file so each state and locality number appears once"
        )
    out = out.astype({"locality_number": int})
    year = re.search(r"(?:19|20)\d\d", f"{names[found['pw_gpci']]} {path.name}")
    out["gpci_year"] = pd.array([int(year.group()) if year else pd.NA] * len(out), dtype="Int64")
    out["source"] = source or path.name
    return out.reset_index(drop=True)
