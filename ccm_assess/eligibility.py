"""Per-patient programs (CCM, complex CCM, PCM, APCM) and the summary counts of summary.json.

Rules: spec/eligibility.md (as-of windows, exclusions, programs) and spec/ccm_rules.md section 4
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

from ccm_assess.conditions import broad_classification, catalog_evidence, display_names, dotted
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


def _join_runs(frame: pd.DataFrame, keys: list[str], column: str, sep: str) -> pd.DataFrame:
    """`sep`-join `column` over runs of equal `keys` (frame sorted by them): one row per run.

    Vectorised with an Arrow list array, so it costs little even for a million rows.
    """
    start = np.zeros(len(frame), dtype=bool)
    for key in keys:
        start |= frame[key].ne(frame[key].shift()).to_numpy(dtype=bool, na_value=True)
    offsets = pa.array(np.append(np.flatnonzero(start), len(frame)), pa.int32())
    values = pa.array(frame[column], pa.string())
    if isinstance(values, pa.ChunkedArray):  # pandas hands Arrow-backed columns over chunked
        values = values.combine_chunks()
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, values), sep)
    runs = frame.loc[start, keys].reset_index(drop=True)
    runs[column] = pd.Series(joined, dtype="str")
    return runs


def _evidence_text(evidence: pd.DataFrame, names: dict[str, str], index: pd.Index) -> pd.DataFrame:
    """Per patient: `categories` (`;`-joined ids), `condition_names` (`; `-joined display
    names) and `evidence` (`category: codes; ...`, codes dotted), NA without a category.

    `evidence` is sorted by patient, category (catalog order), code.
    """
    readable = evidence.assign(
        code=dotted(evidence["code"]), category=evidence["category"].astype("str")
    )
    per_category = _join_runs(readable, ["patient_id", "category"], "code", ", ")
    per_category["text"] = per_category["category"] + ": " + per_category["code"]
    per_category["name"] = per_category["category"].map(names)
    columns = {
        "categories": ("category", ";"),
        "condition_names": ("name", "; "),
        "evidence": ("text", "; "),
    }
    return pd.DataFrame(
        {
            label: _join_runs(per_category, ["patient_id"], column, sep)
            .set_index("patient_id")[column]
            .reindex(index)
            for label, (column, sep) in columns.items()
        },
        index=index,
    )


def _flag(column: pd.Series) -> pd.Series:
    """A nullable flag as plain bool, blank = False."""
    return column.astype("boolean").fillna(False).astype(bool)


def _unknown_unless(known: bool, value: pd.Series, index: pd.Index) -> pd.Series:
    """`value` when its input column was in the panel, else all NA."""
    return value if known else pd.Series(pd.NA, index=index, dtype="boolean")


def assess_eligibility(
    panel: Panel, as_of: dt.date, *, catalog: pd.DataFrame | None = None
) -> Eligibility:
    """Classify every patient of `panel` as of `as_of` (spec/eligibility.md).

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

    evidence = catalog_evidence(panel.diagnoses, catalog)
    count = (
        evidence.groupby("patient_id")["category"].nunique().reindex(index, fill_value=0)
    ).astype("int64")
    names = display_names(catalog)
    text = _evidence_text(evidence, names, index)
    broad_counts, ccir_unknown = broad_classification(panel.diagnoses)
    broad = broad_counts.reindex(index, fill_value=0).astype("int64")

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
        evidence=evidence,
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

    Counts are Python ints over analysed patients; unknown is None (spec/outputs.md).
    `eligibility` also holds `pcm_candidates_by_payer` and `complex_ccm_candidates_by_payer`.
    """
    frame = eligibility.patients
    analysed = frame["analysed"]
    status = panel.ledger["status"].value_counts()
    evidence = eligibility.evidence
    condition_counts = (
        evidence[evidence["patient_id"].map(analysed).to_numpy(dtype=bool)]
        .groupby("category", observed=True)["patient_id"]
        .nunique()
    )
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
