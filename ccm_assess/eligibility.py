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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccm_assess.conditions import (
    CodedDiagnoses,
    CodedEvidence,
    arrow_strings,
    broad_counts,
    coded_evidence,
    display_names,
    dotted,
    encode_diagnoses,
    evidence_frame,
    first_of_runs,
    positions,
)
from ccm_assess.panel import Panel
from ccm_assess.payers import MEDICARE_CLASSES, PAYER_CLASSES

INITIATING_VISIT_DAYS = 365
"""A last visit more than this many days before as-of needs a new initiating visit."""
APCM_TIERS: tuple[str, ...] = ("G0556", "G0557", "G0558")


@dataclass(frozen=True)
class Eligibility:
    """Programs per patient, the codes behind them, and what was known to decide them."""

    as_of: dt.date
    patients: pd.DataFrame
    """Index `patient_id`; columns as ARCHITECTURE.md lists (`excluded_reason` ... `payer_class`),
    plus `condition_names` (display names of `categories`)."""
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


def _join_runs(values: pa.Array, start: np.ndarray, sep: str) -> pa.Array:
    """`sep`-join `values` over runs (`start` marks the first of each): one string per run.

    Vectorised with an Arrow list array, so it costs little even for a million rows.
    """
    offsets = pa.array(np.append(np.flatnonzero(start), len(start)), pa.int32())
    return pc.binary_join(pa.ListArray.from_arrays(offsets, values), sep)


def _evidence_text(
    coded: CodedDiagnoses, evidence: CodedEvidence, names: dict[str, str]
) -> tuple[np.ndarray, dict[str, pd.Series]]:
    """(distinct categories per patient position, and per patient: `categories` (`;`-joined
    ids), `condition_names` (`; `-joined display names) and `evidence` (`category: codes;
    ...`, codes dotted), NA without a category). `evidence` is sorted by patient, category, code.
    """
    index = coded.patients
    run = first_of_runs(evidence.patient, evidence.category)
    codes = arrow_strings(dotted(coded.codes)).take(pa.array(evidence.code))
    category = pa.array(evidence.category[run])
    ids = pa.array(evidence.categories, pa.string()).take(category)
    per_category = {  # label: (one value per patient and category, separator)
        "categories": (ids, ";"),
        "condition_names": (pa.array([names[c] for c in evidence.categories]).take(category), "; "),
        "evidence": (pc.binary_join_element_wise(ids, _join_runs(codes, run, ", "), ": "), "; "),
    }
    owner = evidence.patient[run]
    first = first_of_runs(owner)
    slot = np.full(len(index), -1, dtype=np.int64)
    slot[owner[first]] = np.arange(int(first.sum()))
    take = pa.array(slot, mask=slot < 0)
    text = {
        label: pd.Series(_join_runs(values, first, sep).take(take), index=index, dtype="str")
        for label, (values, sep) in per_category.items()
    }
    return np.bincount(owner, minlength=len(index)).astype(np.int64), text


def _flag(column: pd.Series) -> pd.Series:
    """A nullable flag as plain bool, blank = False."""
    return column.astype("boolean").fillna(False).astype(bool)


def _unknown_unless(known: bool, value: pd.Series, index: pd.Index) -> pd.Series:
    """`value` when its input column was in the panel, else all NA."""
    return value if known else pd.Series(pd.NA, index=index, dtype="boolean")


def assess_eligibility(
    panel: Panel, as_of: dt.date, *, catalog: pd.DataFrame | None = None
) -> Eligibility:
    """Classify every patient of `panel` as of `as_of` (docs/eligibility.md).

    `catalog` defaults to the bundled condition catalog (`conditions.load_catalog()`).
    """
    patients = panel.patients
    index = patients.index
    as_of_ts = pd.Timestamp(as_of)

    deceased = _flag(patients["deceased"]) | (
        patients["death_date"].dt.normalize() <= as_of_ts
    ).to_numpy(dtype=bool, na_value=False)
    hospice = _flag(patients["hospice"])
    reason = np.select([deceased, hospice], ["deceased", "hospice"], "")
    excluded_reason = pd.Series(reason, index=index, dtype="str").replace("", np.nan)
    analysed = ~(deceased | hospice)

    coded = encode_diagnoses(panel.diagnoses, index)
    evidence = coded_evidence(coded, catalog)
    names = display_names(catalog)
    counts, text = _evidence_text(coded, evidence, names)
    count = pd.Series(counts, index=index)
    broad_count, ccir_unknown = broad_counts(coded)
    broad = pd.Series(broad_count, index=index)

    ccm = analysed & (count >= 2)
    pcm = analysed & (count == 1)

    has_ip, has_ed = panel.has("inpatient_admits_12m"), panel.has("ed_visits_12m")
    admitted = _unknown_unless(has_ip, patients["inpatient_admits_12m"].astype("Int64") >= 1, index)
    ed_heavy = _unknown_unless(has_ed, patients["ed_visits_12m"].astype("Int64") >= 2, index)
    complex_candidate = (admitted | ed_heavy).where(ccm & (count >= 3), False).astype("boolean")

    last_visit_known = panel.has("last_visit_date")
    last_visit = patients["last_visit_date"].dt.normalize()
    stale = last_visit.isna() | ((as_of_ts - last_visit).dt.days > INITIATING_VISIT_DAYS)
    needs_visit = _unknown_unless(last_visit_known, stale.astype("boolean"), index)
    needs_visit = needs_visit.where(ccm, False).astype("boolean")

    payer_class = patients["payer_class"].astype("str")
    payer_class = payer_class.where(payer_class.isin(PAYER_CLASSES), "unknown")
    dual = _flag(patients["dual_eligible"])
    dual_known = panel.has("secondary_payer") or bool(dual.any())
    medicare = analysed & payer_class.isin(MEDICARE_CLASSES)
    tier = np.select(
        [medicare & (count <= 1), medicare & dual & dual_known, medicare],
        ["G0556", "G0558", "G0557"],
        "",
    )
    apcm_tier = pd.Series(tier, index=index, dtype="str").replace("", np.nan)

    frame = pd.DataFrame(
        {
            "excluded_reason": excluded_reason,
            "analysed": analysed,
            "chronic_count": count,
            "categories": text["categories"],
            "condition_names": text["condition_names"],
            "evidence": text["evidence"],
            "broad_chronic_count": broad,
            "ccm_eligible": ccm,
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
        display_names=names,
        ccir_unknown=ccir_unknown,
        utilisation_known=has_ip or has_ed,
        last_visit_known=last_visit_known,
        dual_known=dual_known,
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
    key = np.sort(owner[kept] * max(len(categories), 1) + category[kept])
    distinct = key[first_of_runs(key)] % max(len(categories), 1)
    per_category = np.bincount(distinct, minlength=len(categories))
    condition_counts = dict(zip(categories, per_category, strict=True))
    complex_candidate = frame["complex_candidate"] & analysed
    tiers = frame.loc[analysed, "apcm_tier"].value_counts()
    apcm = {tier: int(tiers.get(tier, 0)) for tier in APCM_TIERS}
    if not eligibility.dual_known:
        apcm["G0558"] = None
    return {
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
            "broad_ccm_eligible": _count(analysed & (frame["broad_chronic_count"] >= 2)),
        },
    }
