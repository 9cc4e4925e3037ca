"""A seeded synthetic practice: `generate_panel` draws a clean patient frame, one row per
patient with a list of ICD-10-CM codes each (`sample.py` writes it as the exports a real EHR
would give). Everything is fictional: names come from short lists of common names, phone
numbers are 555-01xx numbers, the town does not exist. The generator's tables (codes and their
descriptions, condition prevalences, payer spellings, names) are `data/sample_*.csv`.

Prevalences are illustrative (synthetic data, not a source for any figure in a report): rough
Medicare fee-for-service prevalences of the catalog conditions, tied together by a latent
frailty so that about two thirds of Medicare patients have 2+ catalog conditions and about a
third 4+ (docs/billing.md, Benchmarks: 68.4% and 36.4%, Lochner & Cox 2013).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ccm_assess.reference import read_data_csv

PRACTICE = "Sunrise Family Medicine"
RUN_DATE = dt.date(2026, 11, 20)
"""Run date printed on the sample exports; every visit and death date lies before it."""
SAMPLE_PATIENTS = 2450


@dataclass(frozen=True)
class _Condition:
    """A catalog category: Medicare prevalence (share), frailty loading, age slope, code pool."""

    category: str
    prevalence: float
    loading: float
    age_slope: float
    """Exponent on the age-group multiplier: 0 = same at every age, 2.5 = steep (dementia)."""
    codes: tuple[tuple[str, float], ...]


def _table(name: str) -> pd.DataFrame:
    """A generator table of `data/` (MANIFEST), every cell as text; a blank cell is ""."""
    return read_data_csv(name, dtype=str, keep_default_na=False)


def _weighted(rows: pd.DataFrame, column: str) -> tuple[tuple[str, float], ...]:
    """(text, weight) options of the rows, in file order."""
    return tuple(zip(rows[column].tolist(), rows["weight"].astype(float).tolist(), strict=True))


_CODES = _table("sample_codes.csv")
_PAYERS = _table("sample_payers.csv")
_NAMES = _table("sample_names.csv").groupby("kind", sort=False)["name"]

CONDITIONS: tuple[_Condition, ...] = tuple(
    _Condition(
        category,
        float(prevalence),
        float(loading),
        float(age_slope),
        _weighted(_CODES[_CODES["category"].eq(category)], "code"),
    )
    for category, prevalence, loading, age_slope in _table("sample_conditions.csv").to_numpy()
)
"""Catalog conditions (docs/eligibility.md) with illustrative Medicare prevalences
(`data/sample_conditions.csv`) and the code pool of each (`use` condition in sample_codes.csv)."""

_OTHER = _CODES[_CODES["use"].isin(["other_chronic", "not_chronic"])]
OTHER_CODES: tuple[tuple[str, float, float, str], ...] = tuple(
    zip(
        _OTHER["code"].tolist(),
        _OTHER["share_65_plus"].astype(float).tolist(),
        _OTHER["share_under_65"].astype(float).tolist(),
        _OTHER["sex"].tolist(),
        strict=True,
    )
)
"""(code, share of patients 65+, share under 65, sex or "" for both): other chronic codes, then
acute, screening and encounter codes (not chronic; acute MI, hip fracture, stroke are traps)."""

DESCRIPTIONS: dict[str, str] = dict(zip(_CODES["code"], _CODES["description"], strict=True))
"""ICD-10-CM (FY2026) descriptions of every code the generator uses, in file order (the order
of the generator's code columns)."""

_AGE_GROUPS = (0.03, 0.15, 0.45, 1.0, 0.8, 1.1, 1.3)
"""Prevalence multiplier per group: <18, 18-44, 45-64, Medicare <65 (disability), 65-74,
75-84, 85+ (Medicare-wide average close to 1)."""

PAYER_TEXT: dict[str, tuple[tuple[str, float], ...]] = {
    payer: _weighted(rows, "text")
    for payer, rows in _PAYERS[_PAYERS["use"].eq("primary")].groupby("payer_class", sort=False)
}
"""Spellings of each payer class as they appear in exports (payer_class is the intent)."""

_PAYER_MIX = {  # share of each payer class by age group: <18, 18-64, 65+
    "medicare_ffs": (0.0, 0.04, 0.63),
    "medicare_advantage": (0.0, 0.02, 0.31),
    "medicaid": (0.45, 0.14, 0.0),
    "commercial": (0.5, 0.66, 0.04),
    "self_pay": (0.0, 0.06, 0.005),
    "other": (0.03, 0.04, 0.01),
    "unknown": (0.02, 0.04, 0.005),
}
_MEDICAID_2ND = _weighted(_PAYERS[_PAYERS["use"].eq("dual_secondary")], "text")
_MEDIGAP_2ND = _weighted(_PAYERS[_PAYERS["use"].eq("supplement_secondary")], "text")

PROVIDERS = ("Alvarez, Maria MD", "Okafor, Daniel DO", "Lindqvist, Karen MD", "Brennan, Tom MD")
LOCATIONS = ("SFM Main Street", "SFM Lakeside")
_PROVIDER_HOME = np.array([0, 0, 1, 1])
_FEMALE, _MALE, _LAST, _STREETS, _STREET_TYPES = (
    _NAMES.get_group(kind).tolist() for kind in ("female", "male", "last", "street", "street_type")
)
"""Common first names, last names and street names (`data/sample_names.csv`)."""


def _pick(
    rng: np.random.Generator, options: tuple[tuple[str, float], ...], size: int
) -> np.ndarray:
    """`size` draws (object array of str) from (text, weight) options."""
    texts = np.array([text for text, _ in options], dtype=object)
    weights = np.array([weight for _, weight in options])
    picked: np.ndarray = texts[draw(rng, weights, size)]
    return picked


def draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` indices drawn with probabilities proportional to `weights`."""
    cumulative = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cumulative, rng.random(size), side="right"), len(weights) - 1)


def _age_group(age: np.ndarray, medicare: np.ndarray) -> np.ndarray:
    """Index into `_AGE_GROUPS` per patient."""
    young = np.select([age < 18, age < 45], [0, 1], 2)
    old = np.select([age < 75, age < 85], [4, 5], 6)
    return np.where(age >= 65, old, np.where(medicare, 3, young))


def _payers(rng: np.random.Generator, age: np.ndarray) -> tuple[np.ndarray, ...]:
    """Primary payer class and text, secondary payer text, and dual eligibility per patient."""
    n = len(age)
    classes = np.array(list(_PAYER_MIX), dtype=object)
    band = np.select([age < 18, age < 65], [0, 1], 2)
    mix = np.array(list(_PAYER_MIX.values())).T  # band x class
    cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)[band]
    payer_class = classes[np.minimum((rng.random((n, 1)) > cumulative).sum(axis=1), 6)]
    primary = np.empty(n, dtype=object)
    for name, options in PAYER_TEXT.items():
        mask = payer_class == name
        primary[mask] = _pick(rng, options, int(mask.sum()))
    u = rng.random(n)
    ffs, ma = payer_class == "medicare_ffs", payer_class == "medicare_advantage"
    dual = (ffs & (u < 0.2)) | (ma & (u < 0.15))
    medigap = ffs & (u >= 0.2) & (u < 0.7)
    secondary = np.full(n, "", dtype=object)
    secondary[dual] = _pick(rng, _MEDICAID_2ND, int(dual.sum()))
    secondary[medigap] = _pick(rng, _MEDIGAP_2ND, int(medigap.sum()))
    return payer_class, primary, secondary, dual


def _conditions(rng: np.random.Generator, group: np.ndarray, frailty: np.ndarray) -> np.ndarray:
    """Boolean matrix patients x CONDITIONS: a Gaussian copula on one latent frailty."""
    multipliers = np.array(_AGE_GROUPS)
    flags = np.zeros((len(group), len(CONDITIONS)), dtype=bool)
    for j, condition in enumerate(CONDITIONS):
        shares = np.minimum(condition.prevalence * multipliers**condition.age_slope, 0.95)
        thresholds = np.array([NormalDist().inv_cdf(1 - share) for share in shares])
        loading = condition.loading
        latent = loading * frailty + np.sqrt(1 - loading**2) * rng.standard_normal(len(group))
        flags[:, j] = latent > thresholds[group]
    return flags


def _code_matrix(
    rng: np.random.Generator,
    flags: np.ndarray,
    age: np.ndarray,
    female: np.ndarray,
    codes: tuple[str, ...],
) -> np.ndarray:
    """Boolean matrix patients x codes: a pool code per condition plus co-occurring codes."""
    n = len(age)
    col = {code: j for j, code in enumerate(codes)}
    matrix = np.zeros((n, len(codes)), dtype=bool)
    rows = np.arange(n)
    has = {c.category: flags[:, j] for j, c in enumerate(CONDITIONS)}
    for j, condition in enumerate(CONDITIONS):
        pool = np.array([col[code] for code, _ in condition.codes])
        weights = np.array([weight for _, weight in condition.codes])
        for share in (1.0, 0.12):  # first code, sometimes a second one of the same category
            chosen = flags[:, j] & (rng.random(n) < share)
            matrix[rows[chosen], pool[draw(rng, weights, int(chosen.sum()))]] = True
    # Hypertension with heart failure / CKD is often coded with the combination code.
    hf, ckd = has["heart_failure"], has["chronic_kidney_disease"]
    combo = has["hypertension"] & (hf | ckd) & (rng.random(n) < 0.6)
    matrix[combo, col["I10"]] = matrix[combo, col["I11.9"]] = False
    combination = np.select([hf & ckd, hf], [col["I13.0"], col["I11.0"]], col["I12.9"])
    matrix[rows[combo], combination[combo]] = True
    u = rng.random(n)
    matrix[:, col["F02.80"]] = matrix[:, col["G30.9"]] | matrix[:, col["G30.1"]]
    matrix[:, col["Z79.4"]] = has["diabetes"] & (u < 0.25)
    matrix[:, col["Z79.84"]] = has["diabetes"] & (u > 0.55)
    matrix[:, col["Z79.01"]] = has["atrial_fibrillation"] & (u < 0.65)
    senior = age >= 65
    for code, p_senior, p_young, sex in OTHER_CODES:
        chance = np.where(senior, p_senior, p_young)
        allowed = female if sex == "F" else ~female if sex == "M" else True
        matrix[:, col[code]] = (rng.random(n) < chance) & allowed
    return matrix


def generate_panel(n_patients: int, seed: int = 2026) -> pd.DataFrame:
    """A clean synthetic panel: one row per patient, index-free, codes as a list (dotted).

    Columns: patient_id (str), last_name, first_name, sex (`F`/`M`), birth_date, phone,
    address, primary_payer (export text), payer_class (intended class), secondary_payer,
    dual_eligible, provider, location, last_visit_date (NaT for a few), deceased, death_date,
    hospice, inpatient_admits_12m, ed_visits_12m, codes (list of str), conditions (the
    CONDITIONS categories drawn, `;`-joined) and chronic_count (their number). These are the 14
    categories of the table in docs/eligibility.md; the shipped catalog has more (obesity,
    anxiety, osteoporosis, cancers, ...), so the kit counts more conditions than chronic_count.
    Dates are before RUN_DATE. Raises ValueError above 900,000 patients (6-digit ids).
    """
    rng = np.random.default_rng(seed)
    n = n_patients
    ids = 100000 + rng.choice(900000, size=n, replace=False)
    female = rng.random(n) < 0.56
    senior = rng.random(n) < 0.585
    young_age = np.where(rng.random(n) < 0.15, rng.integers(0, 18, n), rng.integers(18, 65, n))
    age = np.where(senior, 65 + np.minimum(rng.gamma(2.0, 5.5, n).astype(int), 39), young_age)
    run = np.datetime64(RUN_DATE, "D")
    birth = run - (age * 365.25 + rng.integers(1, 365, n)).astype("timedelta64[D]")
    payer_class, primary, secondary, dual = _payers(rng, age)
    medicare = np.isin(payer_class, ["medicare_ffs", "medicare_advantage"])
    frailty = rng.standard_normal(n)
    flags = _conditions(rng, _age_group(age, medicare), frailty)
    chronic = flags.sum(axis=1)
    codes = tuple(DESCRIPTIONS)
    matrix = _code_matrix(rng, flags, age, female, codes)

    rows, cols = np.nonzero(matrix)
    order = np.lexsort((rng.random(len(rows)), rows))  # shuffle codes within each patient
    names = np.array(codes, dtype=object)[cols[order]].tolist()
    ends = np.cumsum(matrix.sum(axis=1)).tolist()
    code_lists = [names[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    pattern = flags @ (1 << np.arange(len(CONDITIONS)))  # which categories, as a bit mask
    unique, inverse = np.unique(pattern, return_inverse=True)
    labels = [";".join(c.category for j, c in enumerate(CONDITIONS) if m >> j & 1) for m in unique]

    provider = draw(rng, np.array([0.3, 0.25, 0.25, 0.2]), n)
    location = np.where(
        rng.random(n) < 0.85, _PROVIDER_HOME[provider], 1 - _PROVIDER_HOME[provider]
    )
    scale = np.where(medicare, 140.0, 240.0)
    since = np.minimum(rng.exponential(scale), 1095).astype(int) + 1
    last_visit = pd.Series(run - since.astype("timedelta64[D]")).where(rng.random(n) > 0.01)
    old = np.where(age >= 80, 3.0, 1.0)
    deceased = rng.random(n) < np.where(medicare, 0.003, 0.0005) * np.exp(0.8 * frailty) * old
    death = pd.Series(run - rng.integers(5, 330, n).astype("timedelta64[D]")).where(deceased)
    last_visit = last_visit.where(~deceased, np.minimum(last_visit, death - pd.Timedelta(days=3)))
    hospice = ~deceased & (
        rng.random(n) < np.where(medicare, 0.003, 0.0) * np.exp(frailty) * np.where(age >= 75, 2, 1)
    )
    ip_rate = 0.055 * np.exp(0.35 * chronic + 0.25 * frailty)
    ed_rate = 0.15 + 0.17 * np.exp(0.25 * chronic + 0.25 * frailty)

    first = np.where(female, rng.choice(_FEMALE, n), rng.choice(_MALE, n))
    frame = pd.DataFrame(
        {
            "patient_id": ids.astype(str),
            "last_name": rng.choice(_LAST, n),
            "first_name": first,
            "sex": np.where(female, "F", "M"),
            "birth_date": pd.to_datetime(birth).astype("datetime64[ns]"),
            "phone": "(" + pd.Series(rng.choice(["214", "469", "972"], n)) + ") 555-01"
            + pd.Series(rng.integers(0, 100, n)).astype(str).str.zfill(2),
            "address": pd.Series(rng.integers(100, 9900, n)).astype(str) + " "
            + rng.choice(_STREETS, n) + " " + rng.choice(_STREET_TYPES, n) + ", Sunrise Valley",
            "primary_payer": primary.astype(str),
            "payer_class": payer_class.astype(str),
            "secondary_payer": secondary.astype(str),
            "dual_eligible": dual,
            "provider": np.array(PROVIDERS)[provider],
            "location": np.array(LOCATIONS)[location],
            "last_visit_date": last_visit.astype("datetime64[ns]"),
            "deceased": deceased,
            "death_date": death.astype("datetime64[ns]"),
            "hospice": hospice,
            "inpatient_admits_12m": rng.poisson(ip_rate),
            "ed_visits_12m": rng.poisson(ed_rate),
            "codes": code_lists,
            "conditions": np.array(labels, dtype=object)[inverse].astype(str),
            "chronic_count": chronic,
        }
    )  # fmt: skip
    return frame
