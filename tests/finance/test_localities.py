"""Localities by place (`localities.py` through `fees.find_locality`)."""

from __future__ import annotations

import pandas as pd
import pytest

from ccm_assess.errors import LocalityError
from ccm_assess.finance.fees import find_locality
from ccm_assess.finance.localities import county_localities, place_key, state_code
from ccm_assess.reference import read_data_csv


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Austin, TX", "TX 31 AUSTIN"),  # the locality as CMS names it
        ("Travis County, Texas", "TX 31 AUSTIN"),  # the county that makes it up
        ("williamson county, tx", "TX 99 REST OF TEXAS"),  # any other Texas county
        ("Anaheim, CA", "CA 18 LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES/ORANGE CNTY)"),
        (
            "Orange County, California",
            "CA 18 LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES/ORANGE CNTY)",
        ),  # 26 merged into 18
        (
            "Alameda County, CA",
            "CA 5 SAN FRANCISCO-OAKLAND-BERKELEY (SAN FRANCISCO/SAN MATEO/"
            "ALAMEDA/CONTRA COSTA CNTY)",
        ),  # 07 merged into 05
        ("New York, NY", "NY 1 MANHATTAN"),  # New York County
        ("Arlington, VA", "DC 1 DC + MD/VA SUBURBS"),  # a Virginia county in the DC locality
        ("Prince George's County, Maryland", "DC 1 DC + MD/VA SUBURBS"),
        ("Baltimore City, MD", "MD 1 BALTIMORE/SURR. CNTYS"),
        ("Saint Louis City, Missouri", "MO 1 METROPOLITAN ST. LOUIS"),
        ("Orleans Parish, LA", "LA 1 NEW ORLEANS"),
        ("Miami-Dade County, FL", "FL 4 MIAMI"),
        ("Travis County", "TX 31 AUSTIN"),  # one Travis County in the country
        ("Alaska", "AK 1 ALASKA"),  # a state with one locality
        ("Guam", "HI 1 HAWAII, GUAM"),
        ("rest of texas", "TX 99 REST OF TEXAS"),  # names and keys still work
        ("TX 99", "TX 99 REST OF TEXAS"),
    ],
)
def test_a_place_resolves_to_its_locality(text: str, label: str) -> None:
    assert find_locality(text).label == label


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Texas", '"Texas" is a state with 8 Medicare localities: TX 31 AUSTIN; TX 20 '),
        ("Maryland", "3 Medicare localities: DC 1 DC + MD/VA SUBURBS; MD 1 BALTIMORE"),
        ("San Jose, CA", '"San Jose, CA" names 2 Medicare localities: CA 65 SAN JOSE'),
        ("Foo County, TX", '"Foo County, TX" is neither a Medicare locality name nor a county'),
        ("Washington County", 'or add the state: "Washington County, '),
    ],
)
def test_ambiguous_or_unknown_places_list_the_choices(text: str, message: str) -> None:
    with pytest.raises(LocalityError) as error:
        find_locality(text)
    assert message in str(error.value)


def test_every_county_is_in_exactly_one_locality() -> None:
    table = county_localities()
    counties = read_data_csv("us_counties.csv", dtype=str)
    # American Samoa (6 districts) and the Northern Mariana Islands (4) have no PFS locality
    assert len(table) == len(counties) - 10
    assert not table.duplicated(["state", "county"]).any()
    gpci = read_data_csv("gpci_2025.csv", dtype={"mac": str})
    pairs = set(zip(table["locality_state"], table["locality_number"], strict=True))
    assert pairs == set(zip(gpci["state"], gpci["locality_number"], strict=True))  # all 109
    texas = table[table["state"] == "TX"]
    assert texas["locality_number"].value_counts()[99] == 254 - 7  # 254 counties, 7 named


def test_place_keys_and_state_codes() -> None:
    assert place_key("St. Louis County") == place_key("Saint Louis") == "st louis"
    assert place_key("Baltimore city") == "baltimore city" != place_key("Baltimore County")
    assert [state_code(t) for t in ("tx", "Texas", " new york ", "Atlantis")] == [
        "TX", "TX", "NY", None]  # fmt: skip
    assert pd.api.types.is_integer_dtype(county_localities()["locality_number"])
