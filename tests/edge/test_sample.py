"""The synthetic practice: reproducible, realistic prevalences, messy but faithful exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ccm_assess.edge.sample import (
    CSV_HEADER,
    FILE_STEM,
    ICD9_TOKENS,
    INVALID_TOKENS,
    QUESTIONNAIRE,
    XLSX_HEADER,
    write_sample,
)
from ccm_assess.edge.sample_panel import PRACTICE, SAMPLE_PATIENTS, generate_panel
from ccm_assess.intake import panel as panel_module
from ccm_assess.reference import data_path

# docs/eligibility.md, "Chronic condition catalog" table (codes without the dot).
PREFIXES: dict[str, tuple[str, ...]] = {
    "diabetes": ("E08", "E09", "E10", "E11", "E13"),
    "hypertension": ("I10", "I11", "I12", "I13", "I15", "I16"),
    "heart_failure": ("I50", "I110", "I130", "I132"),
    "ischemic_heart_disease": ("I20", "I25"),
    "atrial_fibrillation": ("I48",),
    "copd": ("J41", "J42", "J43", "J44", "J47"),
    "asthma": ("J45",),
    "chronic_kidney_disease": ("N18", "I12", "I13"),
    "depression": ("F32", "F33", "F341"),
    "dementia": ("F01", "F02", "F03", "G30", "G310", "G311", "G3183"),
    "hyperlipidemia": ("E78",),
    "osteoarthritis_rheumatoid": ("M05", "M06", "M15", "M16", "M17", "M18", "M19"),
    "hypothyroidism": ("E018", "E02", "E03", "E890"),
    "parkinsons": ("G20",),
}
# Medicare prevalences asked of the generator (the brief), checked to +-30% relative.
TARGETS = {
    "hypertension": 0.575, "hyperlipidemia": 0.45, "diabetes": 0.27,
    "ischemic_heart_disease": 0.25, "chronic_kidney_disease": 0.20, "depression": 0.15,
    "heart_failure": 0.12, "copd": 0.11, "atrial_fibrillation": 0.09,
    "osteoarthritis_rheumatoid": 0.30, "hypothyroidism": 0.13, "dementia": 0.08,
    "asthma": 0.06, "parkinsons": 0.01,
}  # fmt: skip
MEDICARE = ("medicare_ffs", "medicare_advantage")


def category_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """Patients x categories (bool), by prefix matching of the normalised codes."""
    long = frame["codes"].explode().dropna().str.replace(".", "", regex=False).str.upper()
    flags = {
        name: long.str.startswith(prefixes).groupby(level=0).any()
        for name, prefixes in PREFIXES.items()
    }
    return pd.DataFrame(flags).reindex(frame.index, fill_value=False)


def normalise(token: str) -> str:
    return token.split(" - ")[0].strip().upper().replace(".", "")


NOISE = {normalise(t) for t in INVALID_TOKENS + ICD9_TOKENS}


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return generate_panel(40_000, seed=11)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample")
    write_sample(directory)
    return directory


@pytest.fixture(scope="module")
def sheet(sample_dir: Path) -> list[tuple]:
    workbook = openpyxl.load_workbook(sample_dir / f"{FILE_STEM}_panel.xlsx")
    assert workbook.sheetnames == ["Patient Panel", "Report Criteria"]
    return list(workbook["Patient Panel"].iter_rows(values_only=True))


@pytest.fixture(scope="module")
def csv_lines(sample_dir: Path) -> list[str]:
    raw = (sample_dir / f"{FILE_STEM}_problem_list.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, CRLF lines
    assert b"\r\n" in raw
    return raw.decode("utf-8-sig").split("\r\n")


def test_category_flags_hand_example() -> None:
    # I13.0 -> hypertension, heart failure, CKD; N18.30 -> CKD again; E11.9 and E11.65 ->
    # diabetes once; J06.9 and I21.4 (acute) -> nothing: 4 categories.
    frame = pd.DataFrame({"codes": [["I13.0", "N18.30", "E11.9", "E11.65", "J06.9", "I21.4"]]})
    assert category_flags(frame).sum(axis=1).tolist() == [4]


def test_same_seed_same_frame_other_seed_other_frame() -> None:
    first, again = generate_panel(500, seed=3), generate_panel(500, seed=3)
    pd.testing.assert_frame_equal(first, again)
    other = generate_panel(500, seed=4)
    assert set(first["patient_id"]) != set(other["patient_id"])
    assert first["patient_id"].is_unique and len(first) == 500


def test_chronic_count_matches_catalog_prefixes(big: pd.DataFrame) -> None:
    # The generator's own truth must equal what prefix matching of its codes finds.
    flags = category_flags(big)
    assert (flags.sum(axis=1) == big["chronic_count"]).all()
    assert (
        (big["conditions"].str.count(";") + (big["chronic_count"] > 0))
        .eq(big["chronic_count"])
        .all()
    )


def test_payer_mix_like_a_medicare_heavy_practice(big: pd.DataFrame) -> None:
    medicare = big["payer_class"].isin(MEDICARE)
    assert 0.55 <= medicare.mean() <= 0.60
    advantage = (big["payer_class"] == "medicare_advantage").sum() / medicare.sum()
    assert 0.30 <= advantage <= 0.36
    dual = big.loc[medicare, "dual_eligible"].mean()
    assert 0.12 <= dual <= 0.25
    assert not big.loc[~medicare, "dual_eligible"].any()
    age = (pd.Timestamp("2026-11-20") - big["birth_date"]).dt.days / 365.25
    assert (age[medicare] >= 65).mean() > 0.85
    assert age[~medicare].median() < 50
    assert big["primary_payer"].nunique() >= 40


def test_multimorbidity_like_medicare_benchmarks(big: pd.DataFrame) -> None:
    # docs/billing.md, Benchmarks: 68.4% of FFS beneficiaries with 2+ conditions, 36.4% with 4+.
    count = category_flags(big).sum(axis=1)
    medicare = big["payer_class"].isin(MEDICARE)
    assert 0.60 <= (count[medicare] >= 2).mean() <= 0.75
    assert 0.27 <= (count[medicare] >= 4).mean() <= 0.40
    assert (count[~medicare] >= 2).mean() < 0.3


def test_condition_prevalences_among_medicare(big: pd.DataFrame) -> None:
    shares = category_flags(big)[big["payer_class"].isin(MEDICARE)].mean()
    for category, target in TARGETS.items():
        assert 0.7 * target <= shares[category] <= 1.3 * target, category


def test_utilisation_and_exclusions_follow_frailty(big: pd.DataFrame) -> None:
    sick, well = big["chronic_count"] >= 4, big["chronic_count"] <= 1
    assert (
        big.loc[sick, "inpatient_admits_12m"].mean()
        > 3 * big.loc[well, "inpatient_admits_12m"].mean()
    )
    assert big.loc[sick, "ed_visits_12m"].mean() > 1.5 * big.loc[well, "ed_visits_12m"].mean()
    assert 0.001 < big["deceased"].mean() < 0.01 and 0.001 < big["hospice"].mean() < 0.01
    assert not (big["deceased"] & big["hospice"]).any()
    assert big["death_date"].notna().eq(big["deceased"]).all()
    assert (big["death_date"].dropna() < pd.Timestamp("2026-11-20")).all()


def test_xlsx_layout(sample_dir: Path, sheet: list[tuple]) -> None:
    assert (sample_dir / f"{FILE_STEM}_panel.xlsx").stat().st_size < 1_000_000
    assert sheet[0][0] == "Patient Panel Report"
    assert sheet[1][0] == f"{PRACTICE} - Run date: 11/20/2026"
    assert all(value is None for value in sheet[2])
    assert sheet[3] == XLSX_HEADER
    assert sheet[-1][0] == "Confidential - contains PHI"
    assert all(value is None for value in sheet[-3])
    data = sheet[4:-3]
    assert sheet[-2][0] == f"Total patients: {len(data):,}"
    ids = [row[0] for row in data]
    # 2,450 patients, each once, some twice (other location); 2450 // 800 = 3 rows without id.
    assert len({i for i in ids if i is not None}) == SAMPLE_PATIENTS
    assert ids.count(None) == 3
    assert SAMPLE_PATIENTS + 3 < len(data) < SAMPLE_PATIENTS * 1.03
    births = [row[2] for row in data]
    excel_dates = sum(isinstance(b, dt.datetime) for b in births) / len(births)
    assert 0.5 < excel_dates < 0.75
    assert births.count("01/01/1900") == 2
    assert 0 < births.count(None) < 30


def test_xlsx_codes_are_the_frame_codes(sheet: list[tuple]) -> None:
    frame = generate_panel(SAMPLE_PATIENTS, seed=2026).set_index("patient_id")
    dx = slice(XLSX_HEADER.index("Dx 1"), XLSX_HEADER.index("Dx 8") + 1)
    listed = XLSX_HEADER.index("Diagnosis Codes")
    found: dict[str, set[str]] = {}
    formats = {"described": 0, "no_dot": 0, "lower": 0, "icd9": 0, "invalid": 0}
    for row in sheet[4:-3]:
        tokens = [t for t in row[dx] if t is not None]
        tokens += [t for t in re.split(r"[;,|\s]+", row[listed] or "") if t]
        formats["described"] += sum(" - " in t for t in tokens)
        formats["no_dot"] += sum(bool(re.fullmatch(r"[A-Z]\d{3,}", t)) for t in tokens)
        formats["lower"] += sum(t[:1].islower() for t in tokens)
        formats["icd9"] += sum(t in ICD9_TOKENS for t in tokens)
        formats["invalid"] += sum(t in INVALID_TOKENS for t in tokens)
        if row[0] is not None:
            found.setdefault(str(row[0]), set()).update(normalise(t) for t in tokens)
    expected = frame["codes"].map(lambda codes: {c.replace(".", "") for c in codes})
    assert {pid: codes - NOISE for pid, codes in found.items()} == expected.to_dict()
    assert all(count > 10 for count in formats.values()), formats


def test_csv_layout_and_same_patients(csv_lines: list[str], sheet: list[tuple]) -> None:
    assert csv_lines[0] == f"{PRACTICE} - Problem List Export"
    assert csv_lines[1] == "Run date: 2026-11-20" and csv_lines[2] == ""
    assert csv_lines[-1] == ""  # final CRLF
    body = list(csv.reader(io.StringIO("\n".join(csv_lines[3:-3]))))
    assert tuple(body[0]) == CSV_HEADER
    assert csv_lines[-2] == f'"Total rows: {len(body) - 1:,}"' and csv_lines[-3] == ""
    rows = pd.DataFrame(body[1:], columns=list(CSV_HEADER))
    mrns = set(rows["MRN"]) - {""}
    assert mrns == {str(row[0]) for row in sheet[4:-3] if row[0] is not None}
    assert (rows["MRN"] == "").sum() == 2
    assert rows["Patient DOB"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert rows["Gender"].isin(["Female", "Male"]).all()
    # Every code row carries its description; a few problems have a description but no code.
    coded = rows["ICD10 Code"] != ""
    assert (rows.loc[coded, "Problem Description"] != "").all()
    assert 0 < (~coded & (rows["Problem Description"] != "")).sum() < 0.01 * len(rows)


def test_write_sample_is_byte_reproducible(sample_dir: Path, tmp_path: Path) -> None:
    paths = write_sample(tmp_path)
    assert [p.name for p in paths[:2]] == [
        f"{FILE_STEM}_panel.xlsx",
        f"{FILE_STEM}_problem_list.csv",
    ]
    for path in paths:
        same = sample_dir / path.relative_to(tmp_path)
        assert path.read_bytes() == same.read_bytes(), path.name
    other = write_sample(tmp_path / "other", seed=7)
    assert other[1].read_bytes() != paths[1].read_bytes()


def test_questionnaire_copied(sample_dir: Path) -> None:
    source = data_path(QUESTIONNAIRE)
    if not source.is_file():
        pytest.skip(f"{QUESTIONNAIRE} is not in ccm_assess/data yet (written by another engineer)")
    assert (sample_dir / "questionnaire.yaml").read_bytes() == source.read_bytes()


@pytest.mark.parametrize("name", ["panel.xlsx", "problem_list.csv"])
def test_reader_reads_the_sample_back(sample_dir: Path, name: str) -> None:
    if not hasattr(panel_module, "read_panel"):
        pytest.skip("ccm_assess.intake.panel.read_panel is not written yet")
    panel = panel_module.read_panel(sample_dir / f"{FILE_STEM}_{name}")
    frame = generate_panel(SAMPLE_PATIENTS, seed=2026).set_index("patient_id")
    assert len(panel.patients) == SAMPLE_PATIENTS
    assert set(panel.patients.index) == set(frame.index)
    statuses = panel.ledger["status"].value_counts()
    assert statuses.get("rejected", 0) == (3 if name.endswith("xlsx") else 2)
    codes = panel.diagnoses.groupby("patient_id")["code"].agg(set)
    expected = frame["codes"].map(lambda c: {x.replace(".", "") for x in c})
    expected = expected[expected.map(len) > 0]
    assert codes.to_dict() == expected.to_dict()
    classes = panel.patients["payer_class"].reindex(frame.index)
    assert (classes == frame["payer_class"]).mean() > 0.97
    assert np.isclose(
        panel.patients["dual_eligible"].sum(), frame["dual_eligible"].sum(), rtol=0.05
    )
