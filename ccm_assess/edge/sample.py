"""A seeded synthetic practice: a clean patient frame and the messy exports a real EHR would give.

`generate_panel` draws a clean frame (one row per patient, a list of ICD-10-CM codes each);
`write_ehr_xlsx` and `write_long_csv` turn it into the two exports a practice might hand over;
`write_sample` writes the committed sample practice ("Sunrise Family Medicine") for
`ccm-assess sample`. Everything is fictional: names come from short lists of common names, phone
numbers are 555-01xx numbers, the town does not exist. The generator's tables (codes and their
descriptions, condition prevalences, payer spellings, names) are `data/sample_*.csv`.

Prevalences are illustrative (synthetic data, not a source for any figure in a report): rough
Medicare fee-for-service prevalences of the catalog conditions, tied together by a latent
frailty so that about two thirds of Medicare patients have 2+ catalog conditions and about a
third 4+ (docs/billing.md, Benchmarks: 68.4% and 36.4%, Lochner & Cox 2013).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from ccm_assess.reference import data_path, read_data_csv

PRACTICE = "Sunrise Family Medicine"
RUN_DATE = dt.date(2026, 11, 20)
"""Run date printed on the sample exports; every visit and death date lies before it."""
SAMPLE_PATIENTS = 2450
FILE_STEM = "sunrise_family_medicine"
QUESTIONNAIRE = "sample_questionnaire.yaml"
SAMPLE = "<sample>"
"""A notebook parameter value meaning "the sample practice's file" (see `sample_file`)."""
_ZIP_TIME = (2026, 11, 20, 7, 15, 0)
_FIXED_TIME = dt.datetime(2026, 11, 20, 7, 15, 0)


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
    return texts[_draw(rng, weights, size)]


def _draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
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
            matrix[rows[chosen], pool[_draw(rng, weights, int(chosen.sum()))]] = True
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
        share = np.where(senior, p_senior, p_young)
        allowed = female if sex == "F" else ~female if sex == "M" else True
        matrix[:, col[code]] = (rng.random(n) < share) & allowed
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

    provider = _draw(rng, np.array([0.3, 0.25, 0.25, 0.2]), n)
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


XLSX_HEADER = (
    "Acct #", "Patient Name", "DOB", "Sex", "Phone", "Address", "Primary Insurance",
    "Secondary Ins", "Last Appt", "PCP", "Location", *(f"Dx {i}" for i in range(1, 9)),
    "Diagnosis Codes", "Deceased", "Hospice", "IP Admits (12 mo)", "ED Visits (12 mo)",
)  # fmt: skip
CSV_HEADER = (
    "MRN", "Patient Name", "Patient DOB", "Gender", "Payer", "Secondary Payer", "Last Seen",
    "Rendering Provider", "Department", "Hospice Flag", "Date of Death", "ICD10 Code",
    "Problem Description", "Noted Date",
)  # fmt: skip
INVALID_TOKENS = ("DM2", "HTN", "CHF", "N/A", "UNK", "?")
ICD9_TOKENS = ("250.00", "401.9", "272.4", "428.0")
_DX_COLUMNS = 8
_LIST_SEPARATORS = ("; ", ", ", " | ", "\n", " ")


def _export_rows(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rows as an EHR report lists them: some patients twice (once per location), a few rows
    without an id (patient_id ""), sorted by location and name."""
    n = len(frame)
    twice = frame[rng.random(n) < 0.015]
    twice = twice.assign(location=np.where(twice["location"] == LOCATIONS[0], *LOCATIONS[::-1]))
    no_id = frame.iloc[rng.choice(n, min(n, max(2, n // 800)), replace=False)].assign(patient_id="")
    rows = pd.concat([frame, twice, no_id], ignore_index=True)
    return rows.sort_values(
        ["location", "last_name", "first_name"], kind="stable", ignore_index=True
    )


def _tokens(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Long frame `row`, `token`, `listed`: each code written as exports write it, plus stray
    tokens (invalid text, ICD-9 codes) for a few rows; `listed`: the row's codes go in one cell
    (all rows with more than 8 codes, 12% of the others)."""
    long = rows["codes"].explode().dropna()
    code = long.astype(str).reset_index(drop=True)
    style = _draw(rng, np.array([0.72, 0.1, 0.05, 0.05, 0.08]), len(code))
    n = len(rows)
    row = long.index.to_numpy()
    count = np.bincount(row, minlength=n)
    listed = (count > _DX_COLUMNS) | (rng.random(n) < 0.12)
    # Stray tokens only in Dx columns with room for them: in a space-separated list cell a word
    # such as "HTN" would make the cell read as "code description", which is ambiguous.
    room = ~listed & (count <= _DX_COLUMNS - 2)
    invalid = np.flatnonzero(room & (rng.random(n) < 0.015))
    icd9 = np.flatnonzero(room & (rng.random(n) < 0.01))
    style = np.where(listed[row] & (style == 4), 0, style)  # no descriptions inside list cells
    token = np.select(
        [style == 1, style == 2, style == 3, style == 4],
        [
            code.str.replace(".", "", regex=False).to_numpy(dtype=object),
            code.str.lower().to_numpy(dtype=object),
            (" " + code + " ").to_numpy(dtype=object),
            (code + " - " + code.map(DESCRIPTIONS)).to_numpy(dtype=object),
        ],
        code.to_numpy(dtype=object),
    )
    out = pd.DataFrame(
        {
            "row": np.concatenate([row, invalid, icd9]),
            "token": np.concatenate(
                [
                    token,
                    rng.choice(INVALID_TOKENS, len(invalid)),
                    rng.choice(ICD9_TOKENS, len(icd9)),
                ]
            ).astype(object),
        }
    ).sort_values("row", kind="stable", ignore_index=True)
    return out.assign(listed=listed[out["row"].to_numpy()])


def _diagnosis_cells(
    tokens: pd.DataFrame, n_rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Dx 1..8 (rows x 8) and the "Diagnosis Codes" list cell (one separator per row)."""
    row, token, listed = (tokens[c].to_numpy() for c in ("row", "token", "listed"))
    position = tokens.groupby("row").cumcount().to_numpy()
    dx = np.full((n_rows, _DX_COLUMNS), None, dtype=object)
    dx[row[~listed], position[~listed]] = token[~listed]
    joined = tokens[listed].groupby("row")["token"].agg("\x1f".join)
    separator = _draw(rng, np.ones(len(_LIST_SEPARATORS)), n_rows)[joined.index.to_numpy()]
    for k, text in enumerate(_LIST_SEPARATORS):
        joined = joined.where(separator != k, joined.str.replace("\x1f", text, regex=False))
    cells = np.full(n_rows, None, dtype=object)
    cells[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return dx, cells


def _date_values(dates: pd.Series, rng: np.random.Generator, shares: tuple[float, ...]) -> list:
    """Per row a `datetime.date` (a real Excel date), `MM/DD/YYYY` or `M/D/YY` text; None
    when missing. `shares`: weights of the three styles."""
    style = _draw(rng, np.array(shares), len(dates))
    text = dates.dt.strftime("%m/%d/%Y")
    short = text.str.replace(r"^0?(\d+)/0?(\d+)/\d\d(\d\d)$", r"\1/\2/\3", regex=True)
    values = pd.Series(
        np.select([style == 1, style == 2], [text, short], dates.dt.date), dtype=object
    )
    return values.where(dates.notna(), None).tolist()


def _date_cells(worksheet: object, values: list) -> list:
    """Excel date cells shown as mm/dd/yyyy; other values unchanged."""
    from openpyxl.cell import WriteOnlyCell

    def cell(value: object) -> object:
        if not isinstance(value, dt.date):
            return value
        written = WriteOnlyCell(worksheet, value)
        written.number_format = "mm/dd/yyyy"
        return written

    return [cell(value) for value in values]


def _blank_some(values: pd.Series, rng: np.random.Generator, share: float) -> list:
    """Values as a list with about `share` of them blanked (None)."""
    return values.astype(object).where(rng.random(len(values)) >= share, None).tolist()


def write_ehr_xlsx(
    frame: pd.DataFrame,
    path: Path,
    *,
    seed: int = 0,
    practice: str = PRACTICE,
    run_date: dt.date = RUN_DATE,
) -> Path:
    """Write `frame` as a wide EHR "Patient Panel Report" workbook (title rows, vendor headers,
    Dx 1..8 or a list cell, mixed code and date formats, duplicates, rows without id, footer,
    a second "Report Criteria" sheet). Byte-identical for the same frame and seed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    rng = np.random.default_rng([seed, 1])
    name = frame["last_name"] + ", " + frame["first_name"]
    initial = " " + pd.Series(rng.choice(list("ABCDEJKLMPRSTW"), len(frame)), index=frame.index)
    rows = _export_rows(
        frame.assign(name=name.where(rng.random(len(frame)) >= 0.3, name + initial)), rng
    )
    n = len(rows)
    dx, listed = _diagnosis_cells(_tokens(rows, rng), n, rng)
    ids = rows["patient_id"].astype(object)
    birth = _date_values(rows["birth_date"], rng, (0.62, 0.38, 0.0))
    birth = pd.Series(birth, dtype=object).where(rng.random(n) >= 0.003, None)
    birth[rng.choice(n, min(n, 2), replace=False)] = "01/01/1900"  # registration placeholders
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Patient Panel")
    columns = [
        ids.where(ids != "", None).map(int, na_action="ignore").tolist(),
        rows["name"].tolist(),
        _date_cells(sheet, birth.tolist()),
        rows["sex"].tolist(),
        rows["phone"].tolist(),
        rows["address"].tolist(),
        rows["primary_payer"].replace("", None).tolist(),
        rows["secondary_payer"].replace("", None).tolist(),
        _date_cells(sheet, _date_values(rows["last_visit_date"], rng, (0.6, 0.35, 0.05))),
        rows["provider"].tolist(),
        rows["location"].tolist(),
        *(dx[:, j].tolist() for j in range(_DX_COLUMNS)),
        listed.tolist(),
        np.where(rows["deceased"], "Y", "N").tolist(),
        np.where(rows["hospice"], "X", None).tolist(),
        _blank_some(rows["inpatient_admits_12m"], rng, 0.005),
        _blank_some(rows["ed_visits_12m"], rng, 0.005),
    ]

    def bold(text: str, size: int = 11) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, text)
        cell.font = Font(bold=True, size=size)
        return cell

    sheet.append([bold("Patient Panel Report", 14)])
    sheet.append([f"{practice} - Run date: {run_date:%m/%d/%Y}"])
    sheet.append([])
    sheet.append([bold(header) for header in XLSX_HEADER])
    for values in zip(*columns, strict=True):
        sheet.append(values)
    sheet.append([])
    sheet.append([f"Total patients: {n:,}"])
    sheet.append(["Confidential - contains PHI"])
    criteria = workbook.create_sheet("Report Criteria")
    for line in (
        ("Report", "Patient Panel Report"),
        ("Practice", practice),
        ("Run date", f"{run_date:%m/%d/%Y}"),
        ("Run by", "frontdesk2"),
        ("Criteria", "Active patients; all providers; all locations"),
        ("Diagnoses", "Dx 1-8 from the active problem list; long lists in Diagnosis Codes"),
        ("Note", "Patients seen at both locations are listed once per location"),
    ):
        criteria.append(line)
    return _save_reproducibly(workbook, Path(path))


def _save_reproducibly(workbook: object, path: Path) -> Path:
    """Save an openpyxl workbook with fixed document and zip timestamps (same bytes each run)."""
    from openpyxl.xml.functions import tostring

    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    properties = workbook.properties  # type: ignore[attr-defined]
    properties.created = properties.modified = _FIXED_TIME
    core = tostring(properties.to_tree())
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info)
            target.writestr(zipfile.ZipInfo(info.filename, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return path


def write_long_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    seed: int = 0,
    practice: str = PRACTICE,
    run_date: dt.date = RUN_DATE,
) -> Path:
    """Write `frame` as a long problem-list CSV (one row per patient and problem; one row with
    a blank code for patients without problems), ISO dates, UTF-8 with BOM, CRLF, a title and a
    footer line, a few duplicate rows, problems without a code and rows without an MRN."""
    rng = np.random.default_rng([seed, 2])
    long = frame.explode("codes", ignore_index=True)
    n = len(long)
    no_code = long.iloc[rng.choice(n, max(1, n // 200), replace=False)].assign(
        codes=lambda f: rng.choice(
            ["FALL RISK", "Lives alone", "Advance directive on file"], len(f)
        )
    )
    no_code = no_code.assign(description=no_code["codes"], codes="")
    long = long.assign(description=long["codes"].map(DESCRIPTIONS))
    extra = long.iloc[rng.choice(n, max(1, n // 200), replace=False)]
    no_mrn = long.iloc[rng.choice(n, min(n, 2), replace=False)].assign(patient_id="")
    long = pd.concat([long, no_code, extra, no_mrn], ignore_index=True)
    long = long.sort_values("patient_id", kind="stable", ignore_index=True)
    code = long["codes"].fillna("").astype(str)
    code = code.where(rng.random(len(long)) >= 0.1, code.str.replace(".", "", regex=False))
    noted = long["last_visit_date"] - pd.to_timedelta(rng.integers(0, 2500, len(long)), unit="D")
    noted = noted.where(noted > long["birth_date"], long["birth_date"]).where(code != "")

    def iso(dates: pd.Series) -> pd.Series:
        return dates.dt.strftime("%Y-%m-%d")

    body = pd.DataFrame(
        dict(
            zip(
                CSV_HEADER,
                (
                    long["patient_id"],
                    (long["last_name"] + ", " + long["first_name"]).str.upper(),
                    iso(long["birth_date"]),
                    long["sex"].map({"F": "Female", "M": "Male"}),
                    long["primary_payer"],
                    long["secondary_payer"],
                    iso(long["last_visit_date"]),
                    long["provider"],
                    long["location"],
                    np.where(long["hospice"], "Y", "N"),
                    iso(long["death_date"]),
                    code,
                    long["description"],
                    iso(noted),
                ),
                strict=True,
            )
        )
    )
    text = io.StringIO()
    text.write(f"{practice} - Problem List Export\r\nRun date: {run_date.isoformat()}\r\n\r\n")
    body.to_csv(text, index=False, lineterminator="\r\n")
    text.write(f'\r\n"Total rows: {len(body):,}"\r\n')
    Path(path).write_bytes(text.getvalue().encode("utf-8-sig"))
    return Path(path)


def write_sample(directory: Path, *, seed: int = 2026) -> list[Path]:
    """Write the sample practice into `directory`: the EHR workbook, the problem-list CSV (same
    patients) and, when the package ships it, the filled questionnaire. Returns the paths.
    (`ccm-assess sample` also writes the running program's audit exports into `directory/audit/`
    with `sample_audit.write_audit_sample`, which builds on this module's panel.)"""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    frame = generate_panel(SAMPLE_PATIENTS, seed)
    paths = [
        write_ehr_xlsx(frame, directory / f"{FILE_STEM}_panel.xlsx", seed=seed),
        write_long_csv(frame, directory / f"{FILE_STEM}_problem_list.csv", seed=seed),
    ]
    questionnaire = data_path(QUESTIONNAIRE)
    if questionnaire.is_file():
        paths.append(Path(shutil.copyfile(questionnaire, directory / "questionnaire.yaml")))
    return paths


def sample_file(value: str, name: str) -> str:
    """`value` itself, or when it is SAMPLE the path of the sample practice's file `name`.

    The notebooks' defaults: the checkout's `sample_data/NAME` when there is one (editable
    install), else a copy written once by `write_sample` into the temporary folder (installed
    wheel), so a notebook runs on the sample from any working directory.

    >>> sample_file("my_panel.xlsx", "sunrise_family_medicine_panel.xlsx")
    'my_panel.xlsx'
    """
    if value != SAMPLE:
        return value
    checkout = Path(__file__).resolve().parents[2] / "sample_data" / name
    if checkout.is_file():
        return str(checkout)
    from ccm_assess import __version__

    cache = Path(tempfile.gettempdir()) / f"ccm-assess-sample-{__version__}"
    if not (cache / name).is_file():
        scratch = Path(tempfile.mkdtemp(prefix=".ccm-assess-sample-", dir=cache.parent))
        write_sample(scratch)
        try:
            os.replace(scratch, cache)  # atomic; another process may have won the race
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
    return str(cache / name)
