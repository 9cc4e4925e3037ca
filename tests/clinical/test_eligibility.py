"""Eligibility rules (docs/eligibility.md) on small panels worked by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccm_assess.clinical.eligibility import LEVELS, Eligibility, assess_eligibility, summarise
from ccm_assess.errors import CcmAssessError
from ccm_assess.intake.panel import PATIENT_COLUMNS, DataQuality, Panel, SourceInfo
from ccm_assess.intake.payers import PAYER_CLASSES

AS_OF = dt.date(2026, 6, 30)
BASE_ROLES = frozenset({"patient_id", "diagnosis", "primary_payer"})


def make_panel(
    patients: dict[str, dict[str, object]],
    diagnoses: dict[str, list[str]],
    *,
    roles: frozenset[str] = BASE_ROLES,
    ledger_status: tuple[str, ...] = (),
) -> Panel:
    """A Panel built directly: patient fields by id (all other columns NA), codes by id.

    Codes may repeat for a patient (as rows of a long export would) and are de-duplicated the
    way the reader does. The ledger gets one row per status given (default: one used row per
    diagnosis code listed).
    """
    index = pd.Index(list(patients), name="patient_id", dtype="str")
    frame = pd.DataFrame(index=index)
    for column, dtype in PATIENT_COLUMNS.items():
        values = [patients[pid].get(column) for pid in index]
        frame[column] = pd.Series(values, index=index, dtype="object").astype(dtype)
    long = pd.DataFrame(
        [(pid, code) for pid, codes in diagnoses.items() for code in codes],
        columns=["patient_id", "code"],
    ).astype("str")
    long["row"] = range(2, len(long) + 2)
    long = long.drop_duplicates(["patient_id", "code"]).reset_index(drop=True)
    statuses = ledger_status or ("used",) * max(len(long), 1)
    ledger = pd.DataFrame(
        {
            "row": range(1, len(statuses) + 1),
            "status": list(statuses),
            "reason": ["" if s == "used" else "test" for s in statuses],
        }
    )
    empty = pd.DataFrame({"value": [], "count": []})
    quality = DataQuality(empty, empty, empty, pd.DataFrame(), pd.DataFrame())
    return Panel(
        patients=frame,
        diagnoses=long,
        roles=roles,
        ledger=ledger,
        mapping={},
        source=SourceInfo(Path("panel.csv"), None, 1, "long"),
        quality=quality,
    )


def medicare(**fields: object) -> dict[str, object]:
    return {"primary_payer": "Medicare", "payer_class": "medicare_ffs", **fields}


def three_valued(column: pd.Series) -> dict[str, str]:
    """A nullable flag as {id: "yes" | "no" | "unknown"}."""
    return column.astype("boolean").map({True: "yes", False: "no"}).fillna("unknown").to_dict()


def assess(panel: Panel) -> pd.DataFrame:
    return assess_eligibility(panel, AS_OF).patients


def test_categories_counted_once_across_duplicate_rows_and_shared_codes() -> None:
    # P1: E11.9 twice (two rows) and E11.65 -> diabetes once; I13.0 -> hypertension,
    #     heart_failure, chronic_kidney_disease; I10 adds nothing new. Count = 4.
    # P2: S72.001A (hip fracture, acute) and I21.9 (acute MI) -> no category. Count = 0.
    # P3: F32.A -> depression only. Count = 1 (PCM).
    panel = make_panel(
        {"P1": medicare(), "P2": medicare(), "P3": medicare()},
        {"P1": ["E119", "E119", "E1165", "I130", "I10"], "P2": ["S72001A", "I219"], "P3": ["F32A"]},
    )
    result = assess_eligibility(panel, AS_OF)
    frame = result.patients
    assert frame["chronic_count"].to_dict() == {"P1": 4, "P2": 0, "P3": 1}
    assert frame.loc["P1", "categories"] == (
        "diabetes;hypertension;heart_failure;chronic_kidney_disease"
    )
    assert frame.loc["P1", "evidence"] == (
        "diabetes: E11.65, E11.9; hypertension: I10, I13.0; heart_failure: I13.0; "
        "chronic_kidney_disease: I13.0"
    )
    assert pd.isna(frame.loc["P2", "categories"])
    assert frame["ccm_eligible"].to_dict() == {"P1": True, "P2": False, "P3": False}
    assert frame["pcm_candidate"].to_dict() == {"P1": False, "P2": False, "P3": True}
    # Evidence rows: P1 has E119, E1165 (diabetes), I10, I130 (hypertension), I130 (HF),
    # I130 (CKD) = 6; P3 has F32A = 1.
    assert len(result.evidence) == 7
    assert result.evidence.duplicated().sum() == 0


def test_new_codes_fall_in_place_by_prefix() -> None:
    # E11.A (FY2025), G20.A1 (FY2024), J44.81 (FY2024): diabetes, parkinsons, copd = 3.
    panel = make_panel({"P1": medicare()}, {"P1": ["E11A", "G20A1", "J4481"]})
    assert assess(panel).loc["P1", "categories"] == "diabetes;copd;parkinsons"


def test_deceased_by_flag_and_by_date_and_hospice_are_excluded() -> None:
    two = ["E119", "I10"]
    panel = make_panel(
        {
            "flag": medicare(deceased=True),
            "on_as_of": medicare(death_date=pd.Timestamp(AS_OF)),
            "after": medicare(death_date=pd.Timestamp("2026-07-01")),
            "hospice": medicare(hospice=True),
            "both": medicare(deceased=True, hospice=True),
            "alive": medicare(deceased=False, hospice=False),
        },
        {pid: two for pid in ("flag", "on_as_of", "after", "hospice", "both", "alive")},
    )
    frame = assess(panel)
    assert frame["excluded_reason"].fillna("").to_dict() == {
        "flag": "deceased",
        "on_as_of": "deceased",
        "after": "",
        "hospice": "hospice",
        "both": "deceased",
        "alive": "",
    }
    assert frame["analysed"].to_dict() == {
        "flag": False, "on_as_of": False, "after": True, "hospice": False, "both": False,
        "alive": True,
    }  # fmt: skip
    # Excluded patients keep their count but are in no program.
    assert frame.loc["flag", "chronic_count"] == 2
    assert frame["ccm_eligible"].sum() == 2
    assert pd.isna(frame.loc["hospice", "apcm_tier"])


def test_complex_candidate_needs_three_conditions_and_utilisation() -> None:
    three = ["E119", "I10", "I509"]
    roles = BASE_ROLES | {"inpatient_admits_12m", "ed_visits_12m"}
    panel = make_panel(
        {
            "ip1": medicare(inpatient_admits_12m=1, ed_visits_12m=0),
            "ed2": medicare(inpatient_admits_12m=0, ed_visits_12m=2),
            "ed1": medicare(inpatient_admits_12m=0, ed_visits_12m=1),
            "two_conditions": medicare(inpatient_admits_12m=3, ed_visits_12m=5),
            "blank_ip": medicare(ed_visits_12m=1),
            "blank_ip_ed3": medicare(ed_visits_12m=3),
        },
        {
            "ip1": three,
            "ed2": three,
            "ed1": three,
            "two_conditions": ["E119", "I10"],
            "blank_ip": three,
            "blank_ip_ed3": three,
        },  # fmt: skip
        roles=roles,
    )
    frame = assess(panel)
    # ip1: 1 admit -> yes. ed2: 2 ED -> yes. ed1: neither -> no. two_conditions: count 2 -> no.
    # blank_ip: IP unknown and ED 1 -> unknown. blank_ip_ed3: ED 3 settles it -> yes.
    assert three_valued(frame["complex_candidate"]) == {
        "ip1": "yes", "ed2": "yes", "ed1": "no", "two_conditions": "no", "blank_ip": "unknown",
        "blank_ip_ed3": "yes",
    }  # fmt: skip
    summary = summarise(panel, assess_eligibility(panel, AS_OF))
    assert summary["eligibility"]["complex_ccm_candidates"] == 3


def test_no_utilisation_columns_gives_null() -> None:
    panel = make_panel(
        {"P1": medicare(), "P2": medicare()}, {"P1": ["E119", "I10", "I509"], "P2": ["E119"]}
    )
    frame = assess(panel)
    assert three_valued(frame["complex_candidate"]) == {"P1": "unknown", "P2": "no"}
    summary = summarise(panel, assess_eligibility(panel, AS_OF))["eligibility"]
    assert summary["complex_ccm_candidates"] is None
    assert summary["complex_ccm_candidates_by_payer"] is None


def test_one_utilisation_column_counts_what_it_shows() -> None:
    # Only IP admits mapped: IP 1 -> yes; IP 0 -> unknown (ED not known). Summary = 1.
    three = ["E119", "I10", "I509"]
    panel = make_panel(
        {"a": medicare(inpatient_admits_12m=1), "b": medicare(inpatient_admits_12m=0)},
        {"a": three, "b": three},
        roles=BASE_ROLES | {"inpatient_admits_12m"},
    )
    frame = assess(panel)
    assert three_valued(frame["complex_candidate"]) == {"a": "yes", "b": "unknown"}
    eligibility = summarise(panel, assess_eligibility(panel, AS_OF))["eligibility"]
    assert eligibility["complex_ccm_candidates"] == 1


def test_needs_initiating_visit() -> None:
    two = ["E119", "I10"]
    roles = BASE_ROLES | {"last_visit_date"}
    panel = make_panel(
        {
            "recent": medicare(last_visit_date=pd.Timestamp("2026-01-15")),
            "365_days": medicare(last_visit_date=pd.Timestamp("2025-06-30")),  # exactly 365
            "366_days": medicare(last_visit_date=pd.Timestamp("2025-06-29")),
            "never": medicare(),
            "pcm_never": medicare(),
        },
        {"recent": two, "365_days": two, "366_days": two, "never": two, "pcm_never": ["I10"]},
        roles=roles,
    )
    frame = assess(panel)
    assert three_valued(frame["needs_initiating_visit"]) == {
        "recent": "no", "365_days": "no", "366_days": "yes", "never": "yes", "pcm_never": "no",
    }  # fmt: skip
    assert (
        summarise(panel, assess_eligibility(panel, AS_OF))["eligibility"]["needs_initiating_visit"]
        == 2
    )


def test_no_last_visit_column_gives_null() -> None:
    panel = make_panel({"P1": medicare(), "P2": medicare()}, {"P1": ["E119", "I10"], "P2": []})
    frame = assess(panel)
    # P2 is not CCM eligible, so it needs no initiating visit whatever the date.
    assert three_valued(frame["needs_initiating_visit"]) == {"P1": "unknown", "P2": "no"}
    eligibility = summarise(panel, assess_eligibility(panel, AS_OF))["eligibility"]
    assert eligibility["needs_initiating_visit"] is None


def test_apcm_tiers_medicare_only() -> None:
    two = ["E119", "I10"]
    panel = make_panel(
        {
            "ffs_one": medicare(),
            "ffs_none": medicare(),
            "ffs_two": medicare(),
            "dual_two": medicare(dual_eligible=True, secondary_payer_class="medicaid"),
            "dual_one": medicare(dual_eligible=True, secondary_payer_class="medicaid"),
            "ma_two": {"payer_class": "medicare_advantage"},
            "commercial_two": {"payer_class": "commercial"},
            "unknown_two": {},
        },
        {
            "ffs_one": ["I10"],
            "ffs_none": [],
            "ffs_two": two,
            "dual_two": two,
            "dual_one": ["I10"],
            "ma_two": two,
            "commercial_two": two,
            "unknown_two": two,
        },  # fmt: skip
        roles=BASE_ROLES | {"secondary_payer"},
    )
    result = assess_eligibility(panel, AS_OF)
    assert result.patients["apcm_tier"].fillna("-").to_dict() == {
        "ffs_one": "G0556", "ffs_none": "G0556", "ffs_two": "G0557", "dual_two": "G0558",
        "dual_one": "G0556", "ma_two": "G0557", "commercial_two": "-", "unknown_two": "-",
    }  # fmt: skip
    assert result.patients.loc["unknown_two", "payer_class"] == "unknown"
    tiers = summarise(panel, result)["eligibility"]["apcm_tiers"]
    assert tiers == {"G0556": 3, "G0557": 2, "G0558": 1}


def test_apcm_g0558_unknown_without_secondary_payer() -> None:
    panel = make_panel({"a": medicare(), "b": medicare()}, {"a": ["E119", "I10"], "b": ["I10"]})
    result = assess_eligibility(panel, AS_OF)
    assert result.patients["apcm_tier"].to_dict() == {"a": "G0557", "b": "G0556"}
    assert summarise(panel, result)["eligibility"]["apcm_tiers"] == {
        "G0556": 1, "G0557": 1, "G0558": None,
    }  # fmt: skip


def test_broad_count_uses_ccir_three_character_categories() -> None:
    # K21.9 (GERD, CCIR 1) and K21.0 share block K21 -> 1; E55.9 (vit D deficiency, CCIR 1) -> 2.
    # R05 (CCIR 0) and Z79.4 (CCIR 9) do not count. Catalog count is 0: neither is catalogued.
    panel = make_panel({"P1": medicare()}, {"P1": ["K219", "K2100", "E559", "R05", "Z794"]})
    frame = assess(panel)
    assert frame.loc["P1", "broad_chronic_count"] == 2
    assert frame.loc["P1", "chronic_count"] == 0
    summary = summarise(panel, assess_eligibility(panel, AS_OF))["eligibility"]
    assert summary["broad_ccm_eligible"] == 1
    assert summary["ccm_eligible"] == 0


def test_summary_keys_and_values() -> None:
    two = ["E119", "I10"]
    panel = make_panel(
        {
            "a": medicare(),  # CCM, diabetes + hypertension
            "b": {"payer_class": "commercial"},  # CCM
            "c": {"payer_class": "medicaid"},  # PCM (heart failure, a high-risk condition)
            "d": medicare(deceased=True),  # excluded
            "e": {"payer_class": "self_pay", "hospice": True},  # excluded
            "f": {"payer_class": "medicare_advantage"},  # nothing
        },
        {"a": two, "b": two + ["E119"], "c": ["I509"], "d": two, "e": two, "f": ["R05"]},
        ledger_status=("skipped", "used", "used", "used", "used", "used", "used", "rejected"),
    )
    summary = summarise(panel, assess_eligibility(panel, AS_OF))
    assert list(summary) == ["conditions_level", "panel", "excluded", "conditions", "eligibility"]
    assert summary["conditions_level"] == "standard"
    assert summary["panel"] == {
        "rows_read": 8, "rows_used": 6, "rows_skipped": 1, "rows_rejected": 1, "patients": 6,
        "patients_analysed": 4,
    }  # fmt: skip
    assert summary["excluded"] == {"deceased": 1, "hospice": 1}
    # Analysed: a, b (diabetes, hypertension), c (heart failure): diabetes 2, hypertension 2.
    assert summary["conditions"]["diabetes"] == 2
    assert summary["conditions"]["hypertension"] == 2
    assert summary["conditions"]["heart_failure"] == 1
    assert summary["conditions"]["copd"] == 0
    assert sum(summary["conditions"].values()) == 5
    eligibility = summary["eligibility"]
    assert eligibility["ccm_eligible"] == 2
    assert eligibility["ccm_eligible_by_payer"] == dict.fromkeys(PAYER_CLASSES, 0) | {
        "medicare_ffs": 1, "commercial": 1,
    }  # fmt: skip
    assert eligibility["pcm_candidates"] == 1
    assert eligibility["pcm_candidates_by_payer"]["medicaid"] == 1
    assert list(eligibility["pcm_candidates_by_payer"]) == list(PAYER_CLASSES)
    # APCM over analysed Medicare (FFS + MA): a (2 conditions, G0557), f (0, G0556).
    # No secondary payer column: G0558 unknown.
    assert eligibility["apcm_tiers"] == {"G0556": 1, "G0557": 1, "G0558": None}
    assert eligibility["broad_ccm_eligible"] == 2
    json.dumps(summary)  # plain Python types only
    assert all(type(v) is int for v in summary["panel"].values())


def test_eligibility_is_frozen_and_catalog_is_a_parameter(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "category,display_name,prefix,exclude_prefixes,source\n"
        "gerd,GERD,K21,,test\nhtn,Hypertension,I10,,test\n"
    )
    from ccm_assess.clinical.conditions import load_catalog

    panel = make_panel({"P1": medicare()}, {"P1": ["K219", "I10", "E119"]})
    result = assess_eligibility(panel, AS_OF, catalog=load_catalog(catalog))
    assert isinstance(result, Eligibility)
    assert result.patients.loc["P1", "categories"] == "gerd;htn"
    assert result.display_names == {"gerd": "GERD", "htn": "Hypertension"}
    with pytest.raises(AttributeError):
        result.as_of = AS_OF  # type: ignore[misc]


def test_billable_follows_the_ma_switch() -> None:
    # Four CCM-eligible patients (E11.9 + I10) with FFS, MA, commercial and unknown payers,
    # and one FFS patient with a single condition (eligible for nothing, so not billable).
    two = ["E119", "I10"]
    panel = make_panel(
        {
            "ffs": medicare(),
            "ma": {"payer_class": "medicare_advantage"},
            "com": {"payer_class": "commercial"},
            "unk": {},
            "one": medicare(),
        },
        {"ffs": two, "ma": two, "com": two, "unk": two, "one": ["E119"]},
    )
    with_ma = assess_eligibility(panel, AS_OF, ma_pays_ccm=True)
    ffs_only = assess_eligibility(panel, AS_OF, ma_pays_ccm=False)
    assert with_ma.patients["ccm_billable"].to_dict() == {
        "ffs": True, "ma": True, "com": False, "unk": False, "one": False,
    }  # fmt: skip
    assert ffs_only.patients["ccm_billable"].to_dict() == {
        "ffs": True, "ma": False, "com": False, "unk": False, "one": False,
    }  # fmt: skip
    reasons = ffs_only.patients["not_billable_reason"]
    assert reasons["ma"].startswith("Medicare Advantage")
    assert reasons["unk"].startswith("Insurance not recorded")
    assert pd.isna(reasons["ffs"]) and pd.isna(reasons["one"])
    assert pd.isna(with_ma.patients.loc["ma", "not_billable_reason"])
    assert summarise(panel, with_ma)["eligibility"]["ccm_billable"] == 2
    assert summarise(panel, ffs_only)["eligibility"]["ccm_billable"] == 1
    assert summarise(panel, ffs_only)["eligibility"]["ccm_eligible"] == 4


def test_one_disease_coded_twice_counts_once_per_excludes1() -> None:
    # stroke: I69.351 (hemiplegia after cerebral infarction) + G81.91 (hemiplegia): G81 has an
    #   Excludes1 note naming I69.35- -> stroke_sequelae and paralysis are one condition.
    # bipolar: F31.4 (bipolar, current episode depressed) + F32.9 (depressive episode): F32
    #   Excludes1 bipolar disorder (F31.-) -> one condition; with E11.9 it is two.
    # copd_asthma: J44.9 + J45.909: J45's note on J44 is Excludes2 -> two conditions.
    panel = make_panel(
        {"stroke": medicare(), "bipolar": medicare(), "bipolar_dm": medicare(),
         "copd_asthma": medicare()},
        {"stroke": ["I69351", "G8191"], "bipolar": ["F314", "F329"],
         "bipolar_dm": ["F314", "F329", "E119"], "copd_asthma": ["J449", "J45909"]},
    )  # fmt: skip
    frame = assess(panel)
    assert frame["chronic_count"].to_dict() == {
        "stroke": 1, "bipolar": 1, "bipolar_dm": 2, "copd_asthma": 2,
    }  # fmt: skip
    assert frame["ccm_eligible"].to_dict() == {
        "stroke": False, "bipolar": False, "bipolar_dm": True, "copd_asthma": True,
    }  # fmt: skip
    assert frame.loc["stroke", "categories"] == "stroke_sequelae;paralysis"
    assert frame.loc["stroke", "evidence"] == (
        "stroke_sequelae: I69.351; "
        "paralysis: G81.91 (one condition with stroke_sequelae: ICD-10-CM Excludes1)"
    )
    assert (
        "bipolar: F31.4 (one condition with depression: ICD-10-CM Excludes1)"
        in (frame.loc["bipolar", "evidence"])
    )
    # Both single conditions are high risk (stroke late effects, depression): PCM candidates.
    assert frame.loc[["stroke", "bipolar"], "pcm_candidate"].all()


def test_a_category_the_two_codes_share_is_never_joined() -> None:
    # A made-up Excludes1 pair I13 / I50: I13.0 is hypertension, heart failure and CKD, I50.9
    # heart failure. Heart failure is in both codes, so nothing is joined: 3 conditions.
    from ccm_assess.clinical.conditions import (
        coded_evidence,
        condition_groups,
        encode_diagnoses,
        excludes1_links,
        group_counts,
    )

    panel = make_panel({"P": medicare()}, {"P": ["I130", "I509"]})
    coded = encode_diagnoses(panel.diagnoses)
    pairs = pd.DataFrame({"code_prefix": ["I13"], "excluded_prefix": ["I50"]})
    links = excludes1_links(coded, pairs)
    assert len(links) == 1
    evidence = coded_evidence(coded)
    groups = condition_groups(evidence, links)
    assert group_counts(evidence, groups, 1).tolist() == [3]


def test_pcm_needs_a_high_risk_single_condition() -> None:
    # Hyperlipidemia, obesity, anxiety and hypertension alone are risk factors; heart failure
    # alone is high risk; osteoarthritis alone is not, rheumatoid arthritis alone is.
    panel = make_panel(
        {p: medicare() for p in ("lipid", "obese", "anxious", "htn", "hf", "oa", "ra")},
        {"lipid": ["E785"], "obese": ["E669"], "anxious": ["F411"], "htn": ["I10"],
         "hf": ["I509"], "oa": ["M1711"], "ra": ["M0579"]},
    )  # fmt: skip
    frame = assess(panel)
    assert (frame["chronic_count"] == 1).all()
    assert frame.index[frame["pcm_candidate"]].tolist() == ["hf", "ra"]


def test_three_levels_strict_standard_broad() -> None:
    # obese_htn: E66.9 (CCW other list) + I10 -> standard 2, strict 1.
    # dm_htn: E11.9 + I10 -> 2 at every level.
    # gerd_vitd: K21.9 + E55.9 (CCIR chronic, not catalogued) -> broad only.
    # obese_hf: E66.9 + I50.9 -> standard 2; strict 1 (heart failure, high risk: PCM there).
    panel = make_panel(
        {p: medicare() for p in ("obese_htn", "dm_htn", "gerd_vitd", "obese_hf")},
        {"obese_htn": ["E669", "I10"], "dm_htn": ["E119", "I10"], "gerd_vitd": ["K219", "E559"],
         "obese_hf": ["E669", "I509"]},
    )  # fmt: skip
    results = {level: assess_eligibility(panel, AS_OF, conditions=level) for level in LEVELS}
    standard = results["standard"].patients
    assert standard["ccm_eligible_strict"].sum() == 1
    assert standard["ccm_eligible_standard"].sum() == 3
    assert standard["ccm_eligible_broad"].sum() == 4
    for result in results.values():  # every level's flags are the same whichever is used
        for level in LEVELS:
            assert result.patients[f"ccm_eligible_{level}"].equals(
                standard[f"ccm_eligible_{level}"]
            )
    strict = results["strict"].patients
    assert strict["ccm_eligible"].to_dict() == {
        "obese_htn": False, "dm_htn": True, "gerd_vitd": False, "obese_hf": False,
    }  # fmt: skip
    assert strict.index[strict["pcm_candidate"]].tolist() == ["obese_hf"]
    assert strict.loc["obese_hf", "categories"] == "heart_failure"
    broad = results["broad"].patients
    assert broad["ccm_eligible"].sum() == 4
    assert broad.loc["gerd_vitd", "chronic_count"] == 2
    summary = summarise(panel, results["standard"])["eligibility"]
    levels = ("ccm_eligible_strict", "ccm_eligible", "broad_ccm_eligible")
    assert [summary[key] for key in levels] == [1, 3, 4]
    assert summary["standard_not_strict_top"] == {"obesity": 2}
    assert summary["broad_not_standard_top"] == {"E55": 1, "K21": 1}
    with pytest.raises(CcmAssessError, match="--conditions"):
        assess_eligibility(panel, AS_OF, conditions="loose")


POOL = ["E119", "I10", "I509", "J449", "J45909", "E669", "F411", "I739", "E785", "I69351",
        "G8191", "F314", "F329", "K219", "E559", "F17210", "I130", "C250", "R05"]  # fmt: skip
CLASSES = ["medicare_ffs", "medicare_advantage", "medicaid", "commercial", "unknown"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.lists(
        st.tuples(st.sampled_from(CLASSES), st.lists(st.sampled_from(POOL), max_size=5)),
        min_size=1,
        max_size=12,
    ),
    ma_pays=st.booleans(),
)
def test_levels_nest_and_billable_is_within_eligible(people, ma_pays) -> None:
    panel = make_panel(
        {f"p{i}": {"payer_class": payer} for i, (payer, _) in enumerate(people)},
        {f"p{i}": codes for i, (_, codes) in enumerate(people)},
    )
    result = assess_eligibility(panel, AS_OF, ma_pays_ccm=ma_pays)
    frame = result.patients
    strict, standard, broad = (frame[f"ccm_eligible_{level}"] for level in LEVELS)
    assert (~strict | standard).all() and (~standard | broad).all()
    assert (frame["chronic_count_strict"] <= frame["chronic_count_standard"]).all()
    assert (~frame["ccm_billable"] | frame["ccm_eligible"]).all()
    assert not (frame["pcm_candidate"] & frame["ccm_eligible"]).any()
    counts = summarise(panel, result)["eligibility"]
    assert counts["ccm_eligible_strict"] <= counts["ccm_eligible"] <= counts["broad_ccm_eligible"]
    assert counts["ccm_billable"] <= counts["ccm_eligible"]


def test_totals_that_would_reveal_a_hidden_count_are_hidden_too() -> None:
    """The run's plan (issue 13) over billable and the levels: billable = FFS + MA, standard =
    strict + the patients between them (shown nowhere, but derivable: protected too)."""
    from ccm_assess.practice.disclosure import LATENT, run_relations
    from ccm_assess.privacy import plan_suppression

    by_payer = dict.fromkeys(PAYER_CLASSES, 0) | {"medicare_ffs": 40, "medicare_advantage": 5,
                                                  "commercial": 30}  # fmt: skip
    e = "eligibility."
    cells = {
        f"{e}ccm_billable": 45, f"{e}ccm_eligible": 75, f"{e}ccm_eligible_strict": 70,
        f"{e}ccm_eligible_standard": 75, f"{e}broad_ccm_eligible": 90,
        f"{LATENT}standard_not_strict": 5, f"{LATENT}broad_not_standard": 15,
        **{f"{e}ccm_eligible_by_payer.{c}": n for c, n in by_payer.items()},
    }  # fmt: skip
    latent = [c for c in cells if c.startswith(LATENT)]
    hidden = plan_suppression(cells, run_relations(cells), unpublished=latent)
    # MA 5 hidden; billable 45 = FFS 40 + MA would give it away unless another cell of that
    # sum or of the payer table goes too. Strict is 5 below standard: one of them hidden.
    assert f"{e}ccm_eligible_by_payer.medicare_advantage" in hidden
    assert {f"{e}ccm_billable", f"{e}ccm_eligible_by_payer.medicare_ffs"} & hidden
    assert {f"{e}ccm_eligible_strict", f"{e}ccm_eligible_standard"} & hidden
    assert f"{e}broad_ccm_eligible" not in hidden


def test_counting_without_the_evidence_text_counts_alike() -> None:
    # `check` without a worklist asks for no text: the same flags and counts, no text columns
    panel = make_panel(
        {"P1": medicare(), "P2": medicare(), "P3": medicare()},
        {"P1": ["E119", "I130"], "P2": ["I10"], "P3": ["F32A", "E785"]},
    )
    with_text = assess_eligibility(panel, AS_OF)
    without = assess_eligibility(panel, AS_OF, evidence_text=False)
    text = ["categories", "condition_names", "evidence", "evidence_names"]
    assert not set(text) & set(without.patients.columns)
    pd.testing.assert_frame_equal(without.patients, with_text.patients.drop(columns=text))
    assert summarise(panel, without) == summarise(panel, with_text)
    assert with_text.evidence["patient_id"].cat.categories.tolist() == ["P1", "P2", "P3"]
