"""Payer free text -> payer class (ccm_assess.intake.payers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccm_assess.intake.payers import (
    PAYER_CLASSES,
    RULES,
    classify_payers,
    dual_eligible,
    payer_class,
    unknown_payers,
)

EXAMPLES = {
    # docs/panel.md, Values: Payers, every example named there
    "medicare_ffs": [
        "Medicare",
        "Medicare Part B",
        "Original Medicare",
        "Traditional Medicare",
        "Medicare FFS",
        "Railroad Medicare",
        "MEDICARE PART-B",
        "Medicare (Novitas)",
        "Palmetto GBA",
        "AARP Medicare Supplement",  # supplement: the patient has Original Medicare
        "Medigap Plan G",
    ],
    "medicare_advantage": [
        "Medicare Advantage",
        "MA",
        "Medicare HMO",
        "Medicare PPO",
        "Humana Gold Plus",
        "AARP Medicare Advantage",
        "UHC Medicare Complete",
        "AARP MedicareComplete",
        "Aetna Medicare",
        "Wellcare",
        "BCBS Medicare Advantage",
        "Blue Cross Medicare PPO",
        "Cigna Medicare",
        "Humana Dual Complete D-SNP",
    ],
    "medicaid": [
        "Medicaid",
        "MEDICAID",
        "Texas Medicaid STAR",
        "Humana Medicaid",
        "Medi-Cal",
        "MassHealth",
        "TennCare",
        "SoonerCare",
        "Apple Health",
        "HUSKY Health",
        "AHCCCS",
        "BadgerCare Plus",
        "UHC Community Plan",
        "Molina Healthcare",
    ],
    "commercial": [
        "BCBS",
        "BCBS PPO",
        "Blue Cross Blue Shield",
        "Aetna",
        "Cigna",
        "UnitedHealthcare",
        "United Healthcare",
        "UHC Choice Plus",
        "Humana",
        "Anthem",
        "Commercial",
        "Ambetter",
    ],
    "self_pay": ["Self Pay", "Self-Pay", "SELFPAY", "Uninsured", "Cash", "None"],
    "other": ["Tricare", "TRICARE For Life", "VA", "ChampVA", "Workers Comp", "Workers' Comp"],
    "unknown": ["", "   ", "Acme Health Plan", "PENDING"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, payer) for payer, texts in EXAMPLES.items() for text in texts],
)
def test_payer_class(text: str, expected: str) -> None:
    assert payer_class(pd.Series([text])).iloc[0] == expected


def test_missing_text_is_unknown_and_index_is_kept() -> None:
    out = payer_class(pd.Series([None, "Medicare", None], index=["a", "b", "c"]))
    assert out.to_dict() == {"a": "unknown", "b": "medicare_ffs", "c": "unknown"}


def test_every_rule_names_a_known_class() -> None:
    assert {payer for _, payer, _ in RULES} <= set(PAYER_CLASSES) - {"unknown"}


def test_the_same_text_gets_the_same_class_wherever_it_is() -> None:
    texts = pd.Series(["Aetna", "Aetna Medicare", "aetna"] * 1000)
    out = payer_class(texts)
    assert out.value_counts().to_dict() == {"commercial": 2000, "medicare_advantage": 1000}


@pytest.mark.parametrize(
    ("primary", "secondary", "dual"),
    [
        ("Medicare", "Medicaid", True),  # the definition: Medicare primary + Medicaid secondary
        ("Humana Gold Plus", "Medi-Cal", True),  # Medicare Advantage counts as Medicare
        ("Medicare", "AARP Medicare Supplement", False),
        ("Medicaid", "Medicare", False),  # Medicaid primary is not the dual arrangement
        ("Aetna", "Medicaid", False),
        ("Medicare", None, False),
        (None, "Medicaid", False),
        ("Medicare/Medicaid", None, True),  # text naming both (decision: dual plan)
        ("Humana Dual Complete D-SNP", None, True),
    ],
)
def test_dual_eligible(primary: str | None, secondary: str | None, dual: bool) -> None:
    out = dual_eligible(pd.Series([primary]), pd.Series([secondary]))
    assert out.dtype == bool
    assert bool(out.iloc[0]) == dual


def test_classify_payers_flags_dual_plans() -> None:
    out = classify_payers(pd.Series(["Medi-Medi", "Medicare", "D-SNP"]))
    assert out["payer_class"].tolist() == ["medicare_ffs", "medicare_ffs", "medicare_advantage"]
    assert out["dual_plan"].tolist() == [True, False, True]


def test_unknown_payers_lists_unrecognised_text_with_counts() -> None:
    # "Acme" x2, "Foo" (stripped) x1, "Zed" x1: Medicare and blanks are not listed;
    # ties are alphabetical
    texts = pd.Series(["Zed", "Acme", " Foo ", "Medicare", None, "", "Acme"])
    out = unknown_payers(texts)
    assert out.to_dict("list") == {"value": ["Acme", "Foo", "Zed"], "count": [2, 1, 1]}


def test_unknown_payers_weighs_distinct_texts_by_their_counts() -> None:
    # distinct texts with the patients holding each: "Zed" 3 + "Zed " 1 (the same once
    # stripped), "Acme" 0 (no patient: not listed), "Medicare" 5 (recognised)
    texts = pd.Series(["Zed", "Acme", "Medicare", "Zed "])
    out = unknown_payers(texts, np.array([3, 0, 5, 1]))
    assert out.to_dict("list") == {"value": ["Zed"], "count": [4]}
