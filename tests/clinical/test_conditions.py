"""Condition catalog, prefix matching, CCIR lookup and the CCIR build script."""

from __future__ import annotations

import gzip
import importlib.util
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccm_assess.clinical.conditions import (
    CATALOG_COLUMNS,
    CCIR_FILE,
    OPTIONAL_COLUMNS,
    CatalogError,
    broad_classification,
    catalog_evidence,
    classify_codes,
    default_catalog,
    display_names,
    dotted,
    encode_diagnoses,
    load_catalog,
    load_ccir,
    load_excludes1,
    lookup_ccir,
    same_lists,
)
from ccm_assess.reference import MANIFEST

REPO = Path(__file__).resolve().parents[2]

# The spec's table (eligibility.md): every one of these prefixes must be in its category.
SPEC_TABLE = {
    "diabetes": ["E08", "E09", "E10", "E11", "E13"],
    "hypertension": ["I10", "I11", "I12", "I13", "I15", "I16"],
    "heart_failure": ["I50", "I110", "I130", "I132"],
    "ischemic_heart_disease": ["I20", "I25"],
    "atrial_fibrillation": ["I48"],
    "copd": ["J41", "J42", "J43", "J44", "J47"],
    "asthma": ["J45"],
    "chronic_kidney_disease": ["N18", "I12", "I13"],
    "depression": ["F32", "F33", "F341"],
    "dementia": ["F01", "F02", "F03", "G30", "G310", "G311", "G3183"],
    "hyperlipidemia": ["E78"],
    "osteoarthritis_rheumatoid": ["M05", "M06", "M15", "M16", "M17", "M18", "M19"],
    "hypothyroidism": ["E018", "E02", "E03", "E890"],
    "parkinsons": ["G20"],
}


def categories_of(*codes: str) -> dict[str, list[str]]:
    pairs = classify_codes(list(codes))
    found = pairs.groupby("code", observed=True)["category"].agg(lambda s: sorted(map(str, s)))
    return {code: found.get(code, []) for code in codes}


def test_bundled_catalog_holds_the_spec_table_and_cites_every_row() -> None:
    catalog = default_catalog()
    assert tuple(catalog.columns) == (*CATALOG_COLUMNS, *OPTIONAL_COLUMNS)
    for category, prefixes in SPEC_TABLE.items():
        have = set(catalog.loc[catalog["category"] == category, "prefix"])
        assert set(prefixes) <= have, category
    assert (catalog["source"].str.len() > 10).all()
    assert catalog["prefix"].is_unique is False  # I12/I13 sit in two categories
    assert not catalog.duplicated(["category", "prefix"]).any()
    names = display_names()
    assert list(names)[:3] == ["diabetes", "hypertension", "heart_failure"]
    assert len(names) == catalog["category"].nunique()


def test_codes_in_several_categories_and_new_codes_by_prefix() -> None:
    assert categories_of("I130", "I120", "I110", "E11A", "G20A1", "J4481", "E119") == {
        "I130": ["chronic_kidney_disease", "heart_failure", "hypertension"],
        "I120": ["chronic_kidney_disease", "hypertension"],
        "I110": ["heart_failure", "hypertension"],
        "E11A": ["diabetes"],  # FY2025 code, not in CCIR v2023.1
        "G20A1": ["parkinsons"],  # FY2024
        "J4481": ["copd"],  # FY2024
        "E119": ["diabetes"],
    }


def test_acute_events_and_left_out_conditions_are_not_categories() -> None:
    # Acute MI, acute stroke, TIA, hip fracture, pneumonia; tobacco, cataract, BPH, anemia.
    acute = ("I219", "I639", "G459", "S72001A", "J189", "F17210", "H2510", "N400", "D649")
    assert classify_codes(list(acute)).empty
    # Late effects of stroke are chronic.
    assert categories_of("I6930")["I6930"] == ["stroke_sequelae"]


def test_carve_outs() -> None:
    assert categories_of("E663", "E6601", "E66811", "H40001", "H401131", "F4311", "F4310") == {
        "E663": [],  # overweight
        "E6601": ["obesity"],
        "E66811": ["obesity"],  # FY2025 obesity class 1
        "H40001": [],  # glaucoma suspect
        "H401131": ["glaucoma"],
        "F4311": [],  # acute PTSD
        "F4310": ["ptsd"],
    }
    assert categories_of("D573", "D5700") == {"D573": [], "D5700": ["sickle_cell_disease"]}


def test_f32a_counts_as_depression() -> None:
    # Documented decision: F32.A is depression although CCIR marks it 0.
    assert categories_of("F32A")["F32A"] == ["depression"]
    assert lookup_ccir(["F32A"])["indicator"].tolist() == [0]


def test_catalog_is_a_parameter_and_is_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "category,display_name,prefix,exclude_prefixes,source\n"
        "gerd,GERD,k21,k21.0,test\n"  # lower case and dots are normalised
    )
    catalog = load_catalog(good)
    pairs = classify_codes(["K219", "K2100", "E119"], catalog)
    assert pairs["code"].tolist() == ["K219"]
    assert pairs["category"].astype(str).tolist() == ["gerd"]

    bad_rows = {
        "missing_column.csv": "category,display_name,prefix,source\nx,X,E11,s\n",
        "bad_prefix.csv": "category,display_name,prefix,exclude_prefixes,source\nx,X,11E,,s\n",
        "stray_exclude.csv": "category,display_name,prefix,exclude_prefixes,source\n"
        "x,X,E11,E10,s\n",
        "no_source.csv": "category,display_name,prefix,exclude_prefixes,source\nx,X,E11,,\n",
    }
    for name, text in bad_rows.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(CatalogError):
            load_catalog(path)


def test_catalog_evidence_deduplicates_rows() -> None:
    diagnoses = pd.DataFrame(
        {"patient_id": ["b", "a", "a", "a"], "code": ["I10", "I130", "E119", "I130"]},
        dtype="str",
    )
    evidence = catalog_evidence(diagnoses)
    # a: E119 diabetes; I130 hypertension, heart failure, CKD. b: I10 hypertension.
    assert evidence.assign(category=evidence["category"].astype(str)).values.tolist() == [
        ["a", "diabetes", "E119"],
        ["a", "hypertension", "I130"],
        ["a", "heart_failure", "I130"],
        ["a", "chronic_kidney_disease", "I130"],
        ["b", "hypertension", "I10"],
    ]


@pytest.mark.parametrize(
    ("hashed", "kinds"),
    [
        (None, [0, -1, 0, 1, 2, 1, -1]),
        # every sum equal: a list unlike its kind's first gets a kind of its own (owner 5 is
        # not matched back to owner 3, which only costs writing its text twice)
        (np.zeros(8, dtype=np.uint64), [0, -1, 0, 1, 2, 3, -1]),
    ],
)
def test_same_lists_are_exactly_equal_even_when_the_sums_collide(
    hashed: np.ndarray | None, kinds: list[int]
) -> None:
    # owners 0..6: [7, 8], [], [7, 8], [9], [7, 9], [9], []
    owner = np.array([0, 0, 2, 2, 3, 4, 4, 5])
    value = np.array([7, 8, 7, 8, 9, 7, 9, 9])
    kind, first = same_lists(owner, value, 7, hashed)
    assert kind.tolist() == kinds
    assert first.tolist() == [True, True, False, False, True, True, True, kinds[5] == 3]


def test_dotted() -> None:
    codes = pd.Series(["E119", "I10", "S72001A", "F32A"], dtype="str")
    assert dotted(codes).tolist() == ["E11.9", "I10", "S72.001A", "F32.A"]


def test_ccir_lookup_three_outcomes_and_parent_inference() -> None:
    result = lookup_ccir(["E119", "E11A", "E11", "J4481", "I1A0", "Z794", "R05", "ZZZ9"])
    indicator = result["indicator"]
    assert indicator.astype("object").where(indicator.notna(), None).tolist() == [
        1,  # exact
        1,  # E11.A: every listed E11 code is chronic
        1,  # header E11: its children agree
        1,  # J44.81: J44 children agree
        None,  # I1A0: no listed relative at I1A (I1 is too short): unknown, not "0"
        9,  # Z79.4: no determination
        0,  # R05: not chronic (an old header code CCIR kept)
        None,  # unknown
    ]
    assert result["inferred"].tolist() == [False, True, True, True, False, False, False, False]


def test_broad_classification_counts_blocks_and_lists_unknown() -> None:
    diagnoses = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "a", "b", "b", "c"],
            "code": ["E119", "E1165", "I10", "R05", "I1A0", "F17210", "I1A0"],
        },
        dtype="str",
    )
    counts, unknown = broad_classification(diagnoses)
    # a: E11 (two codes, one block) + I10 = 2; R05 is 0. b: F17 = 1; I1A0 unknown. c: nothing.
    assert counts.to_dict() == {"a": 2, "b": 1}
    assert unknown.to_dict("list") == {"value": ["I1A0"], "count": [2]}


def test_bundled_ccir_file_and_manifest() -> None:
    ccir = load_ccir()
    assert len(ccir) == 74549
    assert ccir.value_counts().to_dict() == {0: 51685, 1: 12504, 9: 10360}
    assert "v2023.1" in MANIFEST[CCIR_FILE]["version"]
    assert "conditions.csv" in MANIFEST


def _build_script():
    spec = importlib.util.spec_from_file_location("build_ccir", REPO / "scripts" / "build_ccir.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CCIR_SAMPLE = (
    "Chronic Condition Indicator Refined v2026.1,,\n"
    "(0=Not chronic 1=Chronic and 9=No determination),,\n"
    "'ICD-10-CM CODE','ICD-10-CM CODE DESCRIPTION','CHRONIC INDICATOR'\n"
    "'I10',Essential (primary) hypertension,1\n"
    "'G300',Alzheimer's disease with early onset,1\n"
    "'A000',\"Cholera due to Vibrio cholerae 01, biovar cholerae\",0\n"
    "'Z794',Long term (current) use of insulin,9\n"
)


def test_build_script_reads_csv_and_official_zip(tmp_path: Path) -> None:
    build = _build_script()
    archive = tmp_path / "CCIR_v2026-1.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("CCIR_v2026-1.csv", CCIR_SAMPLE)
        zipped.writestr("README.txt", "not the table")
    out = tmp_path / "out"
    out.mkdir()
    assert build.main([str(archive), "--out", str(out)]) == 0
    written = out / "ccir_v2026_1.csv.gz"
    assert gzip.decompress(written.read_bytes()).decode() == (
        "code,indicator\nA000,0\nG300,1\nI10,1\nZ794,9\n"
    )
    first = written.read_bytes()
    plain = tmp_path / "CCIR_v2026-1.csv"
    plain.write_text(CCIR_SAMPLE)
    build.main([str(plain), "--out", str(out)])
    assert written.read_bytes() == first  # reproducible bytes (gzip mtime 0)


def test_build_script_rejects_malformed_rows() -> None:
    build = _build_script()
    with pytest.raises(SystemExit, match="line 5"):
        build.parse_ccir(CCIR_SAMPLE.replace("onset,1", "onset,7"))
    with pytest.raises(SystemExit, match="version"):
        build.parse_ccir("no version here\n\n\n'I10',x,1\n")


def test_excludes1_references_and_shipped_pairs() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_icd10cm", REPO / "scripts" / "build_icd10cm.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    three = ["C81", "C82", "C83", "C84", "C85", "C86", "C88", "C96", "F33"]
    note = "lymph nodes, specified as primary (C81-C86, C88, C96.-); fatigue (F33-); (I69.35-)"
    found = [
        prefix
        for start, _, end in build.REFERENCE.findall(note)
        for prefix in build._expand(start, end or None, three)
    ]
    assert found == ["C81", "C82", "C83", "C84", "C85", "C86", "C88", "C96", "F33", "I6935"]
    pairs = load_excludes1()
    shipped = set(zip(pairs["code_prefix"], pairs["excluded_prefix"], strict=True))
    # the two pairs the spec names, and none for COPD with asthma (an Excludes2 note)
    assert {("G81", "I6935"), ("F32", "F31"), ("F31", "F32")} <= shipped
    assert not any(a.startswith("J44") and b.startswith("J45") for a, b in shipped)
    assert "excludes1_pairs.csv" in MANIFEST


def test_encoded_diagnoses_are_the_same_from_a_categorical_with_unused_unsorted_codes() -> None:
    rows = pd.DataFrame(
        {"patient_id": ["B", "A", "B", "A", "B"], "code": ["I10", "E119", "E119", None, "I10"]}
    )
    categorical = rows.astype(
        {
            "patient_id": pd.CategoricalDtype(["B", "A", "C"]),
            "code": pd.CategoricalDtype(["I10", "Z999", "E119"]),  # unsorted, one unused
        }
    )
    patients = pd.Index(["B", "A", "C"], name="patient_id")
    for frame in (rows, categorical):
        coded = encode_diagnoses(frame, patients)
        assert coded.codes.tolist() == ["E119", "I10"]
        assert coded.patient.tolist() == [0, 0, 1]
        assert coded.code.tolist() == [0, 1, 0]
