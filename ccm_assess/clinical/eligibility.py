"""Per-patient programs (CCM, complex CCM, PCM, APCM) and the summary counts of summary.json.

Rules: docs/eligibility.md (as-of windows, exclusions, programs) and docs/billing.md (CCM rules)
(APCM G0556-G0558). Every count can be redone by hand from `Eligibility.patients`.

Decisions where the spec is silent:
- Unknown inputs give NA for the patients they affect, never a guessed zero. A patient is NA
  only when the answer depends on the unknown input: a patient with fewer than 3 conditions is
  not a complex candidate whatever the utilisation; one who is not CCM eligible does not need an
  initiating visit whatever the last-visit date.
- Complex CCM: utilisation flags combine with three-valued logic, so `IP admits >= 1` settles
  the answer even when ED visits are unknown (a blank cell, or no ED column). The summary counts
  the patients known to qualify, and is null only when the panel has neither column; with one
  column it is a lower bound (the same as taking the missing column as 0).
- Needs initiating visit: a blank last-visit cell in a panel that has the column is "missing"
  (the spec's rule: needs a visit); no column at all is unknown.
- APCM: G0558 needs the patient to be dual eligible (Medicare primary, Medicaid secondary). When
  the panel shows no secondary payer at all, QMB status is unknown: patients with 2+ conditions
  get G0557 (the tier they certainly qualify for) and the G0558 count is null.
- Excluded patients (deceased, hospice) keep their condition counts but are in no program.
- Levels (docs/eligibility_rules.md): at `broad`, a patient's count is the larger of the
  catalog count and the CCIR count, so PCM there needs a single high-risk catalog condition and
  no second CCIR category. Excludes1 joins apply to the catalog levels, not to CCIR blocks.
- PCM: one condition (after Excludes1 joins) placed by a prefix marked high risk.
- Billable: CCM eligible and primary payer class billed (`billed_classes`); unknown payers are
  never billed, and the worklist says why.

Longer than 400 lines because the per-patient program rules and the summary counts read the same
three-valued columns: split apart, each half would re-derive them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccm_assess.clinical.conditions import (
    CodedDiagnoses,
    CodedEvidence,
    arrow_strings,
    broad_blocks,
    coded_evidence,
    condition_groups,
    display_names,
    dotted,
    encode_diagnoses,
    evidence_frame,
    excludes1_links,
    first_of_runs,
    group_counts,
    positions,
    same_lists,
)
from ccm_assess.errors import CcmAssessError
from ccm_assess.intake.panel import Panel
from ccm_assess.intake.payers import MEDICARE_CLASSES, PAYER_CLASSES

INITIATING_VISIT_DAYS = 365
"""A last visit more than this many days before as-of needs a new initiating visit."""
APCM_TIERS: tuple[str, ...] = ("G0556", "G0557", "G0558")
LEVELS: tuple[str, ...] = ("strict", "standard", "broad")
"""How strict the list of chronic conditions is (docs/eligibility_rules.md, How strict)."""
LEVEL_DRIVERS = 3
"""How many categories the summary names behind each difference between levels."""


NOT_BILLED_REASONS: dict[str, str] = {
    "medicare_advantage": "Medicare Advantage plan: this plan counts on MA plans not paying for "
    "CCM; ask billing whether this patient's plan pays before enrolling",
    "medicaid": "Medicaid is the main insurance: the program bills Medicare patients only",
    "commercial": "Private insurance is the main insurance: the program bills Medicare patients "
    "only (some plans pay for CCM; ask billing)",
    "self_pay": "No insurance on file: nobody to bill",
    "other": "Other main insurance: the program bills Medicare patients only",
    "unknown": "Insurance not recorded or not recognised: check the patient's coverage",
}
"""Why a patient's primary payer class is not billed (docs/eligibility.md, Billable)."""


def billed_classes(ma_pays_ccm: bool) -> tuple[str, ...]:
    """Payer classes the model bills CCM to: Medicare FFS, plus Medicare Advantage when the
    `ma_pays_ccm` assumption says MA plans pay (docs/eligibility_rules.md)."""
    return ("medicare_ffs", "medicare_advantage") if ma_pays_ccm else ("medicare_ffs",)


@dataclass(frozen=True)
class Eligibility:
    """Programs per patient, the codes behind them, and what was known to decide them."""

    as_of: dt.date
    patients: pd.DataFrame
    """Index `patient_id`; columns as ARCHITECTURE.md lists (`excluded_reason` ... `payer_class`),
    plus `condition_names` and `evidence_names` (`categories`, `evidence` with display names);
    the four text columns only when `assess_eligibility` was asked for the evidence text."""
    evidence: pd.DataFrame
    """Long frame `patient_id, category, code` (normalised code), every patient."""
    display_names: dict[str, str]
    """Category id -> display name of the catalog used, in catalog order."""
    ccir_unknown: pd.DataFrame
    """Codes CCIR cannot place (`value`, `count` of patients) for the data-quality section."""
    utilisation_known: bool
    """The panel has an inpatient-admits or ED-visits column (else complex counts are null)."""
    last_visit_known: bool
    """The panel has a last-visit column (else needs-initiating-visit counts are null)."""
    dual_known: bool
    """The panel shows secondary payers, so G0558 (dual eligible) can be told from G0557."""
    conditions_level: str = "standard"
    """Which list of conditions the program counts use (`LEVELS`)."""
    level_drivers: dict[str, pd.Series] = dataclasses.field(default_factory=dict)
    """Patients behind the difference between levels: `standard_not_strict` (patients eligible
    at standard, not strict, per non-CCW-chronic category they have) and `broad_not_standard`
    (broad-only patients per CCIR-chronic 3-character block), most first."""
    billed_payer_classes: tuple[str, ...] = ("medicare_ffs", "medicare_advantage")
    """Payer classes the model bills (`billed_classes(ma_pays_ccm)`)."""


def _join_runs(values: pa.Array, start: np.ndarray, sep: str) -> pa.Array:
    """`sep`-join `values` over runs (`start` marks the first of each): one string per run.

    Vectorised with an Arrow list array, so it costs little even for a million rows.
    """
    offsets = pa.array(np.append(np.flatnonzero(start), len(start)), pa.int32())
    return pc.binary_join(pa.ListArray.from_arrays(offsets, values), sep)


def _evidence_text(
    coded: CodedDiagnoses, evidence: CodedEvidence, groups: np.ndarray, names: dict[str, str]
) -> dict[str, pd.Series]:
    """Per patient: `categories` (`;`-joined ids), `condition_names` (`; `-joined display
    names), `evidence` (`category: codes; ...`, codes dotted, with a note where Excludes1 joins
    two categories) and `evidence_names` (the same with display names), NA without a category.
    `evidence` is sorted by patient, category, code; `groups` is `condition_groups` of it.

    Patients with the same evidence share one text: it is written once per distinct list of
    (group, category, code) entries (`same_lists`) and copied to each of them.
    """
    index = coded.patients
    width = max(len(evidence.categories), 1)
    entry = (groups.astype(np.int64) * width + evidence.category) * len(coded.codes)
    kind, sample = same_lists(evidence.patient, entry + evidence.code, len(index))
    evidence, groups = evidence.subset(sample), groups[sample]
    run = first_of_runs(evidence.patient, evidence.category)
    codes = arrow_strings(dotted(coded.codes)).take(pa.array(evidence.code))
    category = pa.array(evidence.category[run])
    ids = pa.array(evidence.categories, pa.string()).take(category)
    joined = groups[run] != evidence.category[run]
    joined_to = np.where(joined, groups[run], len(evidence.categories))
    display = [names[c] for c in evidence.categories]

    def excludes_note(labels: list[str]) -> pa.Array:
        text = [f" (one condition with {c}: ICD-10-CM Excludes1)" for c in labels] + [""]
        return pa.array(text, pa.string()).take(pa.array(joined_to))  # Arrow, not objects

    shown = pa.array(display, pa.string()).take(category)
    listed = _join_runs(codes, run, ", ")
    per_category: dict[str, tuple[pa.Array, str]] = {
        # label: (one value per kind and category, separator)
        "categories": (ids, ";"),
        "condition_names": (shown, "; "),
        "evidence": (pc.binary_join_element_wise(ids, ": ", listed, excludes_note(
            list(evidence.categories)), ""), "; "),
        "evidence_names": (pc.binary_join_element_wise(shown, ": ", listed,
                                                       excludes_note(display), ""), "; "),
    }  # fmt: skip
    first = first_of_runs(evidence.patient[run])
    take = pa.array(kind, mask=kind < 0)
    return {
        label: pd.Series(_join_runs(values, first, sep).take(take), index=index, dtype="str")
        for label, (values, sep) in per_category.items()
    }


@dataclass(frozen=True)
class _Level:
    """One level's evidence, condition groups, count and high-risk flag per patient position."""

    evidence: CodedEvidence
    groups: np.ndarray
    count: np.ndarray
    high_risk: np.ndarray


def _level(evidence: CodedEvidence, links: pd.DataFrame, patients: int) -> _Level:
    groups = condition_groups(evidence, links)
    high = evidence.high_risk if evidence.high_risk is not None else np.zeros(0, bool)
    flagged = np.bincount(evidence.patient[high], minlength=patients) > 0
    return _Level(evidence, groups, group_counts(evidence, groups, patients), flagged)


def _labels(labels: Sequence[str | None], code: np.ndarray, index: pd.Index) -> pd.Series:
    """`labels[code]` per patient as str, NA where the code is -1 or the label None."""
    text = pa.array(labels, pa.large_string()).take(pa.array(code, mask=code < 0))
    return pd.Series(text, index=index, dtype="str")


def _only_if(flag: pd.Series, condition: np.ndarray) -> pd.Series:
    """A nullable `flag` where `condition` holds (NA stays NA), else False."""
    value = flag.to_numpy(dtype=bool, na_value=False) & condition
    unknown = flag.isna().to_numpy() & condition
    return pd.Series(pd.arrays.BooleanArray(value, unknown), index=flag.index)


def _flag(column: pd.Series) -> pd.Series:
    """A nullable flag as plain bool, blank = False."""
    return column.astype("boolean").fillna(False).astype(bool)


def _unknown_unless(known: bool, value: pd.Series, index: pd.Index) -> pd.Series:
    """`value` when its input column was in the panel, else all NA."""
    return value if known else pd.Series(pd.NA, index=index, dtype="boolean")


def assess_eligibility(
    panel: Panel,
    as_of: dt.date,
    *,
    catalog: pd.DataFrame | None = None,
    ma_pays_ccm: bool = True,
    conditions: str = "standard",
    evidence_text: bool = True,
) -> Eligibility:
    """Classify every patient of `panel` as of `as_of` (docs/eligibility.md).

    `catalog` defaults to the bundled condition catalog (`conditions.load_catalog()`);
    `ma_pays_ccm` (the assumption of that name, default true) decides whether Medicare
    Advantage patients are billable; `conditions` (`LEVELS`) picks the list of conditions the
    program counts (`chronic_count`, `ccm_eligible`, PCM, complex, APCM) use: the CCW chronic
    list only (strict), the catalog (standard) or the catalog or 2+ CCIR categories (broad).
    All three eligibility flags are always given. `evidence_text=False` leaves out the four
    per-patient text columns (`categories`, `evidence` and their display names), which only
    the worklist and the report show: `check` without a worklist counts without them (a third
    of the time at a million patients).
    """
    if conditions not in LEVELS:
        raise CcmAssessError(f"--conditions must be one of {', '.join(LEVELS)}, not {conditions!r}")
    patients = panel.patients
    index = patients.index
    as_of_ts = pd.Timestamp(as_of)

    deceased = _flag(patients["deceased"]) | (
        patients["death_date"].dt.normalize() <= as_of_ts
    ).to_numpy(dtype=bool, na_value=False)
    hospice = _flag(patients["hospice"])
    reason = np.select([deceased, hospice], [0, 1], -1)
    excluded_reason = _labels(["deceased", "hospice"], reason, index)
    analysed = ~(deceased | hospice)

    coded = encode_diagnoses(panel.diagnoses, index)
    evidence = coded_evidence(coded, catalog)
    links = excludes1_links(coded)
    standard = _level(evidence, links, len(index))
    strict_evidence = evidence.subset(evidence.strict) if evidence.strict is not None else evidence
    strict = _level(strict_evidence, links, len(index))
    names = display_names(catalog)
    block_patient, block, blocks, ccir_unknown = broad_blocks(coded)
    broad = pd.Series(np.bincount(block_patient, minlength=len(index)), index=index)
    ccm_by_level = {
        "strict": analysed & (strict.count >= 2),
        "standard": analysed & (standard.count >= 2),
    }
    ccm_by_level["broad"] = ccm_by_level["standard"] | (analysed & (broad >= 2))
    standard_only = (ccm_by_level["standard"] & ~ccm_by_level["strict"]).to_numpy()
    broad_only = (ccm_by_level["broad"] & ~ccm_by_level["standard"]).to_numpy()
    loose = ~evidence.strict if evidence.strict is not None else np.zeros(0, bool)
    loose &= standard_only[evidence.patient]
    run = first_of_runs(evidence.patient[loose], evidence.category[loose])
    drivers = {
        name: pd.Series(np.bincount(values, minlength=len(labels)), index=labels)
        .loc[lambda counts: counts > 0]
        .sort_values(ascending=False, kind="stable")
        for name, values, labels in (
            ("standard_not_strict", evidence.category[loose][run], list(evidence.categories)),
            ("broad_not_standard", block[broad_only[block_patient]], list(blocks)),
        )
    }
    used = strict if conditions == "strict" else standard
    text = _evidence_text(coded, used.evidence, used.groups, names) if evidence_text else {}
    count = pd.Series(used.count, index=index)
    pcm = analysed & (count == 1) & used.high_risk
    if conditions == "broad":
        count = count.where(count >= broad, broad)
        pcm &= ~ccm_by_level["broad"]
    ccm = ccm_by_level[conditions]

    has_ip, has_ed = panel.has("inpatient_admits_12m"), panel.has("ed_visits_12m")
    admitted = _unknown_unless(has_ip, patients["inpatient_admits_12m"].astype("Int64") >= 1, index)
    ed_heavy = _unknown_unless(has_ed, patients["ed_visits_12m"].astype("Int64") >= 2, index)
    complex_candidate = _only_if(admitted | ed_heavy, (ccm & (count >= 3)).to_numpy())

    last_visit_known = panel.has("last_visit_date")
    last_visit = patients["last_visit_date"].dt.normalize()
    stale = last_visit.isna() | ((as_of_ts - last_visit).dt.days > INITIATING_VISIT_DAYS)
    needs_visit = _unknown_unless(last_visit_known, stale.astype("boolean"), index)
    needs_visit = _only_if(needs_visit, ccm.to_numpy())

    payer = positions(patients["payer_class"], pd.Index(PAYER_CLASSES))
    payer[payer < 0] = PAYER_CLASSES.index("unknown")
    payer_class = _labels(PAYER_CLASSES, payer, index)
    dual = _flag(patients["dual_eligible"])
    dual_known = panel.has("secondary_payer") or bool(dual.any())
    medicare = analysed & np.isin(PAYER_CLASSES, list(MEDICARE_CLASSES))[payer]
    tier = np.select(
        [medicare & (count <= 1), medicare & dual & dual_known, medicare],
        [APCM_TIERS.index(tier) for tier in ("G0556", "G0558", "G0557")],
        -1,
    )
    apcm_tier = _labels(APCM_TIERS, tier, index)
    paid = billed_classes(ma_pays_ccm)
    reasons = [None if c in paid else NOT_BILLED_REASONS.get(c) for c in PAYER_CLASSES]
    not_billed = _labels(reasons, payer, index)
    billed = np.isin(PAYER_CLASSES, paid)[payer]

    frame = pd.DataFrame(
        {
            "excluded_reason": excluded_reason,
            "analysed": analysed,
            "chronic_count": count,
            "chronic_count_strict": pd.Series(strict.count, index=index),
            "chronic_count_standard": pd.Series(standard.count, index=index),
            **text,
            "broad_chronic_count": broad,
            "ccm_eligible": ccm,
            **{f"ccm_eligible_{level}": flag for level, flag in ccm_by_level.items()},
            "ccm_billable": ccm & billed,
            "not_billable_reason": not_billed,
            "complex_candidate": complex_candidate,
            "pcm_candidate": pcm,
            "needs_initiating_visit": needs_visit,
            "apcm_tier": apcm_tier,
            "payer_class": payer_class,
        },
        index=index,
    )
    return Eligibility(
        as_of=as_of,
        patients=frame,
        evidence=evidence_frame(coded, evidence),
        conditions_level=conditions,
        level_drivers=drivers,
        display_names=names,
        ccir_unknown=ccir_unknown,
        utilisation_known=has_ip or has_ed,
        last_visit_known=last_visit_known,
        dual_known=dual_known,
        billed_payer_classes=billed_classes(ma_pays_ccm),
    )


def _by_payer(frame: pd.DataFrame, mask: pd.Series) -> dict[str, int]:
    counts = frame.loc[mask.to_numpy(dtype=bool, na_value=False), "payer_class"].value_counts()
    return {payer: int(counts.get(payer, 0)) for payer in PAYER_CLASSES}


def _count(mask: pd.Series) -> int:
    return int(mask.to_numpy(dtype=bool, na_value=False).sum())


def summarise(panel: Panel, eligibility: Eligibility) -> dict[str, object]:
    """The `panel`, `excluded`, `conditions` and `eligibility` keys of summary.json.

    Counts are Python ints over analysed patients; unknown is None (docs/outputs.md).
    `eligibility` also holds `pcm_candidates_by_payer` and `complex_ccm_candidates_by_payer`.
    """
    frame = eligibility.patients
    analysed = frame["analysed"]
    status = panel.ledger["status"].value_counts()
    evidence = eligibility.evidence
    categories = evidence["category"].cat.categories
    owner = positions(evidence["patient_id"], frame.index)
    category = evidence["category"].cat.codes.to_numpy().astype(np.int64)
    kept = (owner >= 0) & analysed.to_numpy(dtype=bool)[owner]
    key = np.sort(owner[kept] * max(len(categories), 1) + category[kept], kind="stable")
    distinct = key[first_of_runs(key)] % max(len(categories), 1)
    per_category = np.bincount(distinct, minlength=len(categories))
    condition_counts = dict(zip(categories, per_category, strict=True))
    complex_candidate = frame["complex_candidate"] & analysed
    tiers = frame.loc[analysed, "apcm_tier"].value_counts()
    apcm: dict[str, int | None] = {tier: int(tiers.get(tier, 0)) for tier in APCM_TIERS}
    if not eligibility.dual_known:
        apcm["G0558"] = None
    return {
        "conditions_level": eligibility.conditions_level,
        "panel": {
            "rows_read": len(panel.ledger),
            "rows_used": int(status.get("used", 0)),
            "rows_skipped": int(status.get("skipped", 0)),
            "rows_rejected": int(status.get("rejected", 0)),
            "patients": len(frame),
            "patients_analysed": _count(analysed),
        },
        "excluded": {
            reason: _count(frame["excluded_reason"] == reason) for reason in ("deceased", "hospice")
        },
        "conditions": {
            category: int(condition_counts.get(category, 0))
            for category in eligibility.display_names
        },
        "eligibility": {
            "ccm_billable": _count(frame["ccm_billable"]),
            "ccm_eligible": _count(frame["ccm_eligible"]),
            "ccm_eligible_by_payer": _by_payer(frame, frame["ccm_eligible"]),
            "complex_ccm_candidates": (
                _count(complex_candidate) if eligibility.utilisation_known else None
            ),
            "complex_ccm_candidates_by_payer": (
                _by_payer(frame, complex_candidate) if eligibility.utilisation_known else None
            ),
            "pcm_candidates": _count(frame["pcm_candidate"]),
            "pcm_candidates_by_payer": _by_payer(frame, frame["pcm_candidate"]),
            "needs_initiating_visit": (
                _count(frame["needs_initiating_visit"]) if eligibility.last_visit_known else None
            ),
            "apcm_tiers": apcm,
            "ccm_eligible_strict": _count(frame["ccm_eligible_strict"]),
            "ccm_eligible_standard": _count(frame["ccm_eligible_standard"]),
            "broad_ccm_eligible": _count(frame["ccm_eligible_broad"]),
            **{
                f"{name}_top": {str(k): int(v) for k, v in counts.head(LEVEL_DRIVERS).items()}
                for name, counts in eligibility.level_drivers.items()
            },
        },
    }
