"""ICD-10-CM normalising, ICD-9 recognition and splitting of code cells (intake.codes)."""

from __future__ import annotations

import pandas as pd
import pytest

from ccm_assess.intake.codes import (
    KINDS,
    classify_tokens,
    normalise_codes,
    parse_code_cells,
    split_code_cells,
)


@pytest.mark.parametrize(
    "raw",
    [
        "E11.9",
        "E119",
        "e11.9",
        " E11.9 ",
        "E11.9 - Type 2 diabetes mellitus without complications",
        "Type 2 diabetes (E11.9)",
        "Type 2 diabetes [E11.9]",
        "Type 2 diabetes - E11.9",
        "E11.9: Type 2 diabetes",
        "E11.9 (Type 2 diabetes)",
        '"E11.9"',
    ],
)
def test_every_accepted_form_of_e11_9_normalises_to_e119(raw: str) -> None:
    out = normalise_codes(pd.Series([raw]))
    assert out.loc[0, "code"] == "E119"
    assert out.loc[0, "kind"] == "icd10"


@pytest.mark.parametrize(
    ("raw", "code", "kind"),
    [
        ("U07.1", "U071", "icd10"),  # COVID-19: U codes are valid ICD-10-CM (documented decision)
        ("U09.9", "U099", "icd10"),
        ("C4A.0", "C4A0", "icd10"),  # letter in 3rd position
        ("T38.3X5A", "T383X5A", "icd10"),  # 7 characters with placeholder X
        ("E11.A", "E11A", "icd10"),  # FY2024 letter subcode
        ("J45.909", "J45909", "icd10"),
        ("V43.52XA", "V4352XA", "icd10"),  # ICD-10 transport code: has its 7th character letter
        ("E8490", "E8490", "icd10"),  # undotted E8xx read as ICD-10 (E84.90), documented
        ("250.00", "25000", "icd9"),
        ("401.9", "4019", "icd9"),
        ("4019", "4019", "icd9"),
        ("428", "428", "icd9"),
        ("V58.67", "V5867", "icd9"),  # all-digit V code: ICD-9
        ("E849.0", "E8490", "icd9"),  # dot after 4 characters: ICD-9 E code
        ("E917.0", "E9170", "icd9"),
        ("E9170", "E9170", "icd9"),  # E9xx never ICD-10-CM
        ("Essential (primary) hypertension (I10)", "I10", "icd10"),
        ("Diabetes (250.00)", "25000", "icd9"),
    ],
)
def test_shapes(raw: str, code: str, kind: str) -> None:
    out = normalise_codes(pd.Series([raw]))
    assert (out.loc[0, "code"], out.loc[0, "kind"]) == (code, kind)


@pytest.mark.parametrize(
    "raw", ["DM2", "Diabetes", "E11.", "E1.19", "I1", "11.9", "E11.9.1", "E11.98765", "12"]
)
def test_invalid_values_have_no_code(raw: str) -> None:
    out = normalise_codes(pd.Series([raw]))
    assert out.loc[0, "kind"] == "invalid"
    assert pd.isna(out.loc[0, "code"])


def test_blank_values_have_neither_code_nor_kind_and_keep_the_index() -> None:
    out = normalise_codes(pd.Series(["e11.9", None, "DM2", "e11.9"], index=[7, 8, 9, 10]))
    assert out.index.tolist() == [7, 8, 9, 10]
    assert out["code"].tolist()[0] == "E119" and out["code"].tolist()[3] == "E119"
    assert pd.isna(out.loc[8, "kind"]) and pd.isna(out.loc[8, "code"])
    assert out.loc[9, "kind"] == "invalid"


def test_classify_tokens_needs_the_dot_after_the_third_character() -> None:
    out = classify_tokens(pd.Series(["E11.9", "E1.19", "e11.65"]))
    assert out["kind"].tolist() == ["icd10", "invalid", "icd10"]
    assert out["code"].tolist()[2] == "E1165"


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("E11.9; I10, N18.30", ["E11.9", "I10", "N18.30"]),
        ("E11.9 I10  N18.30", ["E11.9", "I10", "N18.30"]),
        ("E11.9|I10\nJ44.9", ["E11.9", "I10", "J44.9"]),
        ("E11.9,I10", ["E11.9", "I10"]),
        ("E11.9;;I10;", ["E11.9", "I10"]),
        (
            "E11.9 - Type 2 diabetes, I10 - Hypertension",
            ["E11.9 - Type 2 diabetes", "I10 - Hypertension"],
        ),
        # a comma inside a description does not split (the next word is not a code)
        (
            "Type 2 diabetes with diabetic CKD, stage 3 (E11.22)",
            ["Type 2 diabetes with diabetic CKD, stage 3 (E11.22)"],
        ),
        ("Diabetes Hypertension", ["Diabetes Hypertension"]),  # words are one (invalid) item
    ],
)
def test_split_code_cells(cell: str, items: list[str]) -> None:
    assert split_code_cells(pd.Series([cell])).tolist() == items


def test_split_repeats_the_cell_index_and_drops_blanks() -> None:
    cells = pd.Series(["E11.9; I10", None, "  ", "J44.9", "E11.9; I10"], index=[5, 6, 7, 8, 9])
    out = split_code_cells(cells)
    assert out.index.tolist() == [5, 5, 8, 9, 9]
    assert out.tolist() == ["E11.9", "I10", "J44.9", "E11.9", "I10"]


def test_parse_code_cells_returns_raw_code_and_kind_per_item() -> None:
    cells = pd.Series(["e11.9; 250.00", "DM2", "I10 - Essential hypertension"], index=[2, 3, 4])
    out = parse_code_cells(cells)
    assert out.index.tolist() == [2, 2, 3, 4]
    assert out["raw"].tolist() == ["e11.9", "250.00", "DM2", "I10 - Essential hypertension"]
    assert out["code"].astype("str").fillna("-").tolist() == ["E119", "25000", "-", "I10"]
    assert out["kind"].tolist() == ["icd10", "icd9", "invalid", "icd10"]


def test_parse_code_cells_of_nothing_is_empty() -> None:
    out = parse_code_cells(pd.Series([None, ""], dtype="str"))
    assert out.empty
    assert list(out.columns) == ["raw", "code", "kind", "in_text"]


def test_many_repeated_values_give_the_same_answer_as_each_value_alone() -> None:
    # 3 distinct cells repeated 10,000 times: mapping distinct values once must not mix them up
    cells = pd.Series(["E11.9; I10", "DM2", "401.9"] * 10_000)
    out = parse_code_cells(cells)
    assert len(out) == 40_000  # 2 + 1 + 1 items per triple
    counts = out["kind"].value_counts().to_dict()
    assert set(counts) == set(KINDS)
    assert counts == {"icd10": 20_000, "invalid": 10_000, "icd9": 10_000}
    assert out.loc[[29_997], "code"].tolist() == ["E119", "I10"]
    assert out.loc[29_999, "code"] == "4019"


def test_a_comma_splits_a_leading_code_from_a_bracketed_one():
    # found by tests/intake/test_properties.py: N18.30 was lost in the description of E11.9
    cell = pd.Series(["E11.9 - Type 2 diabetes, Chronic kidney disease (N18.30),  E11.9"])
    assert sorted(parse_code_cells(cell)["code"]) == ["E119", "E119", "N1830"]
    # a description whose comma has no code on its left stays one item
    assert parse_code_cells(pd.Series(["kidney disease, stage 3 (E11.22)"]))["code"].tolist() == [
        "E1122"
    ]


def test_code_status_against_the_fy2026_code_set() -> None:
    from ccm_assess.intake.codes import code_set, code_status, unlisted_codes

    codes = pd.Series(["E119", "E11", "N183", "B20", "I1A0", "H4011X0", "E1199", "Z999"])
    assert code_status(codes).tolist() == [
        "billable", "header", "header", "billable", "billable", "retired", "unknown", "unknown",
    ]  # fmt: skip
    table = code_set()
    assert int(table["billable"].sum()) == 74_719  # FY2026 billable codes (April 2026 update)
    assert table.loc["E11", "title"] == "Type 2 diabetes mellitus"
    diagnoses = pd.DataFrame(
        {"patient_id": ["a", "b", "b", "c"], "code": ["E1199", "E1199", "H4011X0", "E119"]}
    )
    assert unlisted_codes(diagnoses).to_dict("list") == {
        "value": ["E1199", "H4011X0"], "status": ["unknown", "retired"], "count": [2, 1],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("Type 2 diabetes (E11.9); CKD stage 3a (N18.31)", ["E119", "N1831"]),
        ("Essential hypertension (ICD-10-CM: I10).", ["I10"]),
        ("1. E78.5 - Hyperlipidemia 2. M17.0 - Bilateral OA of knee", ["E785", "M170"]),
        ("Dx: E11.9 Type 2 diabetes, on metformin 500 mg", ["E119"]),
        ("Hypothyroidism [E039], Depression [F32.9]", ["E039", "F329"]),
        ("Vitamin B12 deficiency, stage 3, BP 140/90", []),
    ],
)
def test_codes_are_found_inside_free_text_and_numbers_are_not(cell: str, codes: list[str]) -> None:
    items = parse_code_cells(pd.Series([cell]))
    assert items.loc[items["kind"].eq("icd10"), "code"].tolist() == codes
    assert not items["kind"].eq("icd9").any()  # 500, 140/90, 3: never ICD-9 inside text


def test_codes_in_text_are_marked_and_keep_their_cell() -> None:
    items = parse_code_cells(pd.Series(["E11.9", "HTN (ICD-10-CM: I10) and OA 2. M17.0 - knee"]))
    assert items["in_text"].tolist() == [False, True, True]
    assert items.index.tolist() == [0, 1, 1]
