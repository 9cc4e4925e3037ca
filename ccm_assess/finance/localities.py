"""A Medicare payment locality from where the practice is (docs/localities.md).

`fees.find_locality` reads locality keys (`TX 99`) and names; `locate_place` adds places:

- a locality as CMS names it, with its state: `Austin, TX` is TX 31 AUSTIN; a city of a
  metropolitan locality name counts (`Anaheim, CA` is CA 18 LOS ANGELES-LONG BEACH-ANAHEIM);
- a county (or parish, independent city) and state: `Travis County, Texas` is TX 31 AUSTIN,
  `Williamson County, TX` is TX 99 REST OF TEXAS;
- a state name alone (`Texas`): its locality if it has one, else an error listing them, as for
  a state code: a state name is never read as part of a locality name (`REST OF TEXAS`);
- a county without a state: its locality when every county of that name is in one locality.

Data: `data/locality_counties.csv` (which counties make up each locality: CMS "Counties
included in localities", 2017 edition, carried to the CY2025 locality numbers, where CMS
merged CA 26 into 18 and CA 06, 07 into 05 as the 2025 GPCI names say) and
`data/us_counties.csv` (every county of the 2020 Census, so an unknown county is an error, not
"rest of state"). `*` in the county list means every county of the state not listed for
another of its localities. Unknown or ambiguous places raise `LocalityError` with the choices.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ccm_assess.errors import LocalityError
from ccm_assess.reference import read_data_csv

_SUFFIXES = (" county", " parish", " borough", " census area", " municipio", " municipality")


def place_key(name: str) -> str:
    """County or place name -> comparison key: lower case, `Saint` as `st`, no `.` or `'`, no
    `County`/`Parish`/... suffix (`city` kept: Baltimore city is not Baltimore County)."""
    key = " ".join(name.lower().replace(".", " ").replace("'", "").replace("\u2019", "").split())
    key = key.replace("saint ", "st ")
    for suffix in _SUFFIXES:
        key = key.removesuffix(suffix)
    return key.strip()


@cache
def _counties() -> pd.DataFrame:
    """Every county: state, state_name, county (Census name), key (`place_key`)."""
    table = read_data_csv("us_counties.csv", dtype=str)
    return table.assign(key=table["county"].map(place_key))


@cache
def county_localities() -> pd.DataFrame:
    """Per county: state, county, key, locality_state, locality_number (module docstring).

    Raises `LocalityError` (a defect of the bundled data) when a listed county is unknown."""
    counties = _counties()
    listing = read_data_csv("locality_counties.csv", dtype={"locality_number": int})
    rows = []
    for item in listing.itertuples(index=False):
        if item.counties == "*":
            continue
        for county in item.counties.split(";"):
            rows.append((item.county_state, place_key(county), item.locality_state,
                         item.locality_number))  # fmt: skip
    named = pd.DataFrame(rows, columns=["state", "key", "locality_state", "locality_number"])
    known = counties.merge(named, on=["state", "key"], how="inner")
    if len(known) != len(named):
        missing = named.merge(counties, on=["state", "key"], how="left", indicator=True)
        bad = missing[missing["_merge"] == "left_only"]
        raise LocalityError(
            f"bundled locality data names unknown counties: {bad.to_dict('records')}"
        )
    rest = listing[listing["counties"] == "*"].rename(columns={"county_state": "state"})
    others = counties.merge(
        named[["state", "key"]], on=["state", "key"], how="left", indicator=True
    )
    others = others[others["_merge"] == "left_only"].drop(columns="_merge")
    filled = others.merge(rest[["state", "locality_state", "locality_number"]], on="state")
    return pd.concat([known, filled], ignore_index=True)[
        ["state", "state_name", "county", "key", "locality_state", "locality_number"]
    ]


def state_code(text: str) -> str | None:
    """`TX`, `tx`, `Texas`, `texas` -> `TX`; None when it names no state or territory."""
    text = " ".join(text.split()).strip(" .")
    counties = _counties()
    if text.upper() in set(counties["state"]):
        return text.upper()
    names = dict(zip(counties["state_name"].str.casefold(), counties["state"], strict=False))
    names |= {"washington dc": "DC", "washington d c": "DC", "dc": "DC"}
    return names.get(text.casefold().replace(".", " ").strip()) or names.get(text.casefold())


def _label(row: pd.Series) -> str:
    return f"{row['state']} {row['locality_number']} {row['locality_name']}"


def _choices(rows: pd.DataFrame, limit: int = 12) -> str:
    labels = [_label(row) for _, row in rows.head(limit).iterrows()]
    return "; ".join(labels) + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _name_parts(name: str) -> set[str]:
    """A locality name and the places in it: `LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES/
    ORANGE CNTY)` -> the whole name, `LOS ANGELES`, `LONG BEACH`, `ANAHEIM`."""
    head = name.split("(")[0]
    parts = {p.strip() for p in head.replace("/", "-").split("-")}
    return {name.strip(), head.strip(), *parts} - {""}


def _one(rows: pd.DataFrame, text: str, how: str) -> pd.Series:
    if len(rows) == 1:
        return rows.iloc[0]
    first = rows.iloc[0]
    also = f', or add the state: "{text}, {first["state"]}"' if "," not in text else ""
    raise LocalityError(
        f'"{text}" {how} {len(rows)} Medicare localities: {_choices(rows)}. Give one as state '
        f'and locality number, such as "{first["state"]} {first["locality_number"]}"'
        f"{also if 'county' in how else ', or the county and state'}."
    )


def _in_table(table: pd.DataFrame, localities: pd.DataFrame, text: str) -> pd.DataFrame:
    """GPCI rows of the (locality_state, locality_number) pairs in `localities`."""
    keys = localities[["locality_state", "locality_number"]].drop_duplicates()
    keys = keys.set_axis(["state", "locality_number"], axis=1)
    rows = table.merge(keys, on=["state", "locality_number"])
    if rows.empty:
        raise LocalityError(f'"{text}" is in a locality the GPCI table does not list.')
    return rows


def locate_place(text: str, table: pd.DataFrame) -> pd.Series | None:
    """The row of `table` (a GPCI table, `fees.load_gpci` columns) for a place (module
    docstring); None when `text` is not a place (a locality key or name fragment)."""
    query = " ".join(str(text).split())
    name, comma, state_text = query.rpartition(",")
    state = state_code(state_text) if comma else state_code(query)
    counties = county_localities()
    if state is None and not query.lower().endswith(_SUFFIXES):
        return None
    if state is not None and not comma:  # `Texas`: every locality with a county in it
        return _one(_in_table(table, counties[counties["state"] == state], text), text,
                    "is a state with")  # fmt: skip
    if state is None:  # `Travis County`: a county without its state
        hits = counties[counties["key"] == place_key(query)]
        if hits.empty:
            return None
        rows = _in_table(table, hits, text)
        return _one(rows, text, "is a county name found in")
    in_state = table[table["state"] == state]
    if in_state.empty:
        raise LocalityError(f'"{text}": the GPCI table has no locality in {state}.')
    wanted = name.strip().upper()
    named = in_state[in_state["locality_name"].map(lambda n: wanted in _name_parts(n))]
    if not named.empty:
        return _one(named, text, "names")
    hits = counties[(counties["state"] == state) & (counties["key"] == place_key(name))]
    if not hits.empty:
        return _one(_in_table(table, hits, text), text, "is a county in")
    raise LocalityError(
        f'"{text}" is neither a Medicare locality name nor a county of {state}. Localities in '
        f"{state}: {_choices(in_state)}. Give one of them, or the practice's county and state "
        'such as "Travis County, Texas".'
    )
