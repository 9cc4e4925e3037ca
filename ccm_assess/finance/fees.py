"""Medicare Physician Fee Schedule amounts per code and payment locality.

    payment (USD per unit) = round((wRVU x PW GPCI + peRVU x PE GPCI + mpRVU x MP GPCI) x CF, 2)

with the non-facility PE RVU by default (the facility PE RVU for the facility rate), rounded to
the cent half up. National (unadjusted) amounts use all GPCIs = 1.0. Sources (see
docs/billing.md): RVUs `data/rvus.csv` (2026 RVU26C, 2025 PPRRVU2025_Oct, 2024
PPRRVU24_OCT), conversion factors `data/conversion_factors.csv`, GPCIs `data/gpci_2025.csv` (CMS
CY2025 Addendum E). No genuine CY2026 GPCI file was found, so 2024 and 2026 locality amounts use
the CY2025 GPCIs; `cms_files.load_gpci` / `cms_files.load_pprrvu` read newer CMS files instead.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.errors import FeeScheduleError, LocalityError
from ccm_assess.finance.cms_files import RVU_COLUMNS, load_gpci, load_pprrvu
from ccm_assess.finance.localities import locate_place
from ccm_assess.reference import data_path, read_data_csv

YEARS = (2024, 2025, 2026)
SETTINGS = ("non_facility", "facility")
NATIONAL_NAME = "National (unadjusted)"
BUNDLED_GPCI_SOURCE = "CMS PFS final rule Addendum E"

_STATE_NUMBER = re.compile(r"^([A-Z]{2})[\s,\-/]*(\d{1,3})$")


@dataclass(frozen=True)
class Locality:
    """A Medicare payment locality and its GPCIs (dimensionless indices; 1.0 = national)."""

    state: str | None
    number: int | None
    name: str
    mac: str | None
    pw_gpci: float
    pe_gpci: float
    mp_gpci: float
    gpci_year: int | None
    source: str

    @property
    def label(self) -> str:
        """`NY 1 MANHATTAN`, or the national name."""
        return self.name if self.state is None else f"{self.state} {self.number} {self.name}"


@dataclass(frozen=True, eq=False)
class RateTable:
    """Payment amounts for one year and locality.

    `rates`: one row per code in the fee schedule that year, columns code, family, label,
    non_facility, facility (USD per unit, Medicare allowed amount before sequestration).
    """

    year: int
    locality: Locality
    conversion_factor: float
    cf_period: str
    cf_note: str
    rvu_release: str
    gpci_note: str
    rates: pd.DataFrame


# ---------------------------------------------------------------- bundled data (cached, read-only)


@cache
def _fee_codes() -> pd.DataFrame:
    return read_data_csv("fee_codes.csv", dtype={"code": str, "minutes": "Int64"})


@cache
def _bundled_rvus() -> pd.DataFrame:
    return read_data_csv("rvus.csv", dtype={"code": str})


@cache
def _conversion_factors() -> pd.DataFrame:
    return read_data_csv("conversion_factors.csv", dtype={"period": str})


@cache
def _bundled_gpci() -> pd.DataFrame:
    return load_gpci(data_path("gpci_2025.csv"), source=BUNDLED_GPCI_SOURCE)


# ------------------------------------------------------------------------------------ localities

_HOW = (
    'Give a state and CMS locality number such as "TX 99" or "NY 1", a unique part of the '
    'locality name such as "Manhattan", or the practice\'s place: "Austin, TX" or "Travis '
    'County, Texas".'
)
_LISTED = 12


def national() -> Locality:
    """The national, unadjusted locality: all GPCIs 1.0."""
    return Locality(
        state=None,
        number=None,
        name=NATIONAL_NAME,
        mac=None,
        pw_gpci=1.0,
        pe_gpci=1.0,
        mp_gpci=1.0,
        gpci_year=None,
        source="no geographic adjustment (all GPCIs 1.0)",
    )


def _locality(row: pd.Series) -> Locality:
    return Locality(
        state=str(row["state"]),
        number=int(row["locality_number"]),
        name=str(row["locality_name"]),
        mac=str(row["mac"]) or None,
        pw_gpci=float(row["pw_gpci"]),
        pe_gpci=float(row["pe_gpci"]),
        mp_gpci=float(row["mp_gpci"]),
        gpci_year=None if pd.isna(row["gpci_year"]) else int(row["gpci_year"]),
        source=str(row["source"]),
    )


def _labels(table: pd.DataFrame) -> pd.Series:
    return (
        table["state"] + " " + table["locality_number"].astype(str) + " " + table["locality_name"]
    )


def _listing(table: pd.DataFrame) -> str:
    labels = _labels(table).tolist()
    more = f" and {len(labels) - _LISTED} more" if len(labels) > _LISTED else ""
    return "; ".join(labels[:_LISTED]) + more


def _by_name(table: pd.DataFrame, fragment: str) -> pd.DataFrame:
    """Rows whose name equals the fragment, else rows whose name contains it."""
    names = table["locality_name"].str.upper()
    exact = table[names == fragment]
    return exact if not exact.empty else table[names.str.contains(fragment, regex=False)]


def _name_hits(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """`AL` (a state with one locality), `CA san jose` (state + name part) or a name part."""
    in_state = table[table["state"] == query]
    if not in_state.empty:
        return in_state
    state, _, rest = query.partition(" ")
    scoped = _by_name(table[table["state"] == state], rest) if rest else table.iloc[:0]
    return scoped if not scoped.empty else _by_name(table, query)


def find_locality(text: str, gpci: pd.DataFrame | None = None) -> Locality:
    """The Medicare locality named by `"TX 99"`, `"ny 01"`, `"AL"` (one-locality state),
    `"CA San Jose"` or a unique name fragment such as `"manhattan"`.

    `gpci`: a table from `load_gpci` (default: the bundled CMS CY2025 Addendum E).
    Unknown or ambiguous text raises `LocalityError` listing the closest localities.
    """
    table = _bundled_gpci() if gpci is None else gpci
    vintage = table["gpci_year"].iloc[0]
    where = f"{'' if pd.isna(vintage) else f'CY{vintage} '}GPCI table ({table['source'].iloc[0]})"
    query = " ".join(str(text).split()).upper()
    if not query:
        raise LocalityError(f"The locality is empty. {_HOW}")
    key = _STATE_NUMBER.match(query)
    if key:
        state, number = key.group(1), int(key.group(2))
        in_state = table[table["state"] == state]
        hit = in_state[in_state["locality_number"] == number]
        if len(hit) == 1:
            return _locality(hit.iloc[0])
        if in_state.empty:
            raise LocalityError(
                f'Unknown Medicare locality "{text}": no state {state} in the {where}. {_HOW}'
            )
        raise LocalityError(
            f'Unknown Medicare locality "{text}": {state} has no locality {number} in the {where}. '
            f"Localities in {state}: {_listing(in_state)}."
        )
    if (place := locate_place(text, table)) is not None:
        return _locality(place)
    hits = _name_hits(table, query)
    if len(hits) == 1:
        return _locality(hits.iloc[0])
    if len(hits) > 1:
        first = hits.iloc[0]
        raise LocalityError(
            f'"{text}" matches {len(hits)} Medicare localities: {_listing(hits)}. Give the state '
            f'and locality number, such as "{first["state"]} {first["locality_number"]}".'
        )
    labels = _labels(table)
    choices = dict(zip(labels.str.upper(), labels, strict=True))
    choices |= dict(zip(table["locality_name"].str.upper(), labels, strict=True))
    close = [choices[c] for c in difflib.get_close_matches(query, list(choices), n=5, cutoff=0.6)]
    hint = f" Closest: {'; '.join(dict.fromkeys(close))}." if close else ""
    raise LocalityError(f'Unknown Medicare locality "{text}" in the {where}.{hint} {_HOW}')


# ---------------------------------------------------------------------------------- rate tables


def _years_message(year: int) -> str:
    return (
        f"No bundled Medicare fee schedule for {year}: the available years are "
        f"{', '.join(map(str, YEARS))} (rate_table(rvu_file=...) loads a CMS PPRRVU file for "
        "another year)."
    )


def _conversion_factor(year: int, cf_period: str | None) -> tuple[float, str, str]:
    """(CF in USD per RVU, period id, note naming the dates of service and the other periods)."""
    factors = _conversion_factors()
    rows = factors[factors["year"] == year]
    if rows.empty:
        raise FeeScheduleError(_years_message(year))
    chosen = rows[rows["default"]] if cf_period is None else rows[rows["period"] == cf_period]
    options = (
        rows["period"] + " $" + rows["conversion_factor"].map("{:.4f}".format) + " for "
    ) + rows["description"]
    if chosen.empty:
        raise FeeScheduleError(
            f"No conversion factor period {cf_period!r} in {year}; choose one of: "
            + "; ".join(options)
        )
    row = chosen.iloc[0]
    others = options[rows["period"] != row["period"]]
    note = f"for {row['description']}"
    if cf_period is None and not others.empty:
        note += f" (the default; other {year} factor: {'; '.join(others)})"
    return float(row["conversion_factor"]), str(row["period"]), note


def _rvus_for(year: int, rvu_file: str | Path | None) -> tuple[pd.DataFrame, str, float | None]:
    """(RVU rows for the listed codes, release name, CF from the file or None)."""
    if rvu_file is None:
        rvus = _bundled_rvus()
        rows = rvus[rvus["year"] == year]
        if rows.empty:
            raise FeeScheduleError(_years_message(year))
        return rows, str(rows["release"].iloc[0]), None
    name = Path(rvu_file).name
    loaded = load_pprrvu(rvu_file)
    rows = loaded[loaded["code"].isin(_fee_codes()["code"])]
    if rows.empty:
        raise FeeScheduleError(f"{name}: none of the care-management codes (99490, ...) is in it")
    factors = rows["conversion_factor"][rows["conversion_factor"] > 0].unique()
    if len(factors) > 1:
        raise FeeScheduleError(
            f"{name}: CONV FACTOR differs between codes ({', '.join(map(str, factors))}); "
            "pass cf_period to use a bundled conversion factor"
        )
    return rows, name, float(factors[0]) if len(factors) else None


def _gpci_note(place: Locality, year: int) -> str:
    if place.state is None:
        return "National amounts: all GPCIs 1.0 (no geographic adjustment)."
    vintage = f"CY{place.gpci_year}" if place.gpci_year else "year not stated"
    note = f"GPCIs: {vintage} ({place.source})."
    if place.gpci_year and place.gpci_year != year:
        note += (
            f" CY{place.gpci_year} GPCIs are applied to CY{year} RVUs"
            + (" because no genuine CY2026 GPCI file was found" if year == 2026 else "")
            + f"; load the CMS GPCI file for {year} to replace them."
        )
    return note


def _to_cents(usd: pd.Series) -> pd.Series:
    """Round USD to cents, halves up as on paper; float noise below 1e-6 cent is removed first."""
    return np.floor((usd * 100).round(6) + 0.5) / 100


def rate_table(
    year: int = 2026,
    locality: Locality | str | None = None,
    *,
    cf_period: str | None = None,
    rvu_file: str | Path | None = None,
    gpci_file: str | Path | None = None,
) -> RateTable:
    """Payment per code (USD per unit) for a year and locality (None = national).

    `locality`: a `Locality` or text for `find_locality` (looked up in `gpci_file` when given).
    `cf_period`: a period id of `data/conversion_factors.csv`; default 2024 `mar9-dec31`
    ($33.2875, not `jan1-mar8` $32.7442), 2025 `full-year`, 2026 `non-qp` ($33.4009, not `qp`).
    `rvu_file`: a CMS PPRRVU file replacing the bundled RVUs; its CONV FACTOR is used unless
    `cf_period` is given.
    """
    if isinstance(locality, Locality):
        place = locality
    elif locality is None:
        place = national()
    else:
        place = find_locality(locality, None if gpci_file is None else load_gpci(gpci_file))
    rvus, release, file_cf = _rvus_for(year, rvu_file)
    if file_cf is not None and cf_period is None:
        cf, period, note = file_cf, "file", f"from the CONV FACTOR column of {release}"
    else:
        cf, period, note = _conversion_factor(year, cf_period)
    codes = _fee_codes()[["code", "family", "label"]].merge(rvus[["code", *RVU_COLUMNS]], on="code")
    geo = codes["work_rvu"] * place.pw_gpci
    mp = codes["mp_rvu"] * place.mp_gpci
    rates = codes[["code", "family", "label"]].assign(
        non_facility=_to_cents((geo + codes["pe_nonfac_rvu"] * place.pe_gpci + mp) * cf),
        facility=_to_cents((geo + codes["pe_fac_rvu"] * place.pe_gpci + mp) * cf),
    )
    return RateTable(
        year=year,
        locality=place,
        conversion_factor=cf,
        cf_period=period,
        cf_note=note,
        rvu_release=release,
        gpci_note=_gpci_note(place, year),
        rates=rates,
    )


def payment_rates(
    year: int,
    locality: Locality | str | None = None,
    setting: str = "non_facility",
    *,
    cf_period: str | None = None,
    rvu_file: str | Path | None = None,
    gpci_file: str | Path | None = None,
) -> dict[str, float]:
    """Code -> USD per unit for one setting (`non_facility` or `facility`); see `rate_table`."""
    if setting not in SETTINGS:
        raise FeeScheduleError(f"Unknown setting {setting!r}: use one of {', '.join(SETTINGS)}")
    table = rate_table(year, locality, cf_period=cf_period, rvu_file=rvu_file, gpci_file=gpci_file)
    return dict(zip(table.rates["code"], table.rates[setting].astype(float).tolist(), strict=True))
