"""Compare the catalog's categories with an independent grouper: AHRQ's Elixhauser Comorbidity
Software Refined (CMR v2026.1), as shipped by the elixhauser-ahrq package.

A script dependency only: `pip install "elixhauser-ahrq==2026.1.3"` (it reads the AHRQ
reference workbook; the kit never imports it). CMR measures inpatient comorbidity, not CCM
eligibility, so only categories with a counterpart are compared (`PAIRS`); CMR has none for
ischemic heart disease, atrial fibrillation, hyperlipidemia, osteoarthritis, osteoporosis,
glaucoma or anxiety. CMR's present-on-admission variants (CBVD_POA) are left out: a problem
list has no admission.

Three tables, in Markdown on stdout:
1. codes: every FY2026 billable code, ours vs theirs per pair (codes only one side places, with
   the most common 3-character categories among them);
2. and 3. patients: analysed patients of a panel (default: the bundled sample practice) and of
   a larger generated panel (`sample_panel.generate_panel`), per pair: both, ours only, theirs only,
   and the codes behind most "only" patients.

Usage: python scripts/compare_grouper.py [--panel FILE] [--as-of DATE] [--generated N]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.clinical.conditions import classify_codes, dotted, encode_diagnoses
from ccm_assess.clinical.eligibility import assess_eligibility
from ccm_assess.intake.codes import code_set
from ccm_assess.intake.panel import read_panel

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
PAIRS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # label: (our categories, CMR v2026.1 categories)
    "diabetes": (("diabetes",), ("DIAB_UNCX", "DIAB_CX")),
    "hypertension": (("hypertension",), ("HTN_UNCX", "HTN_CX")),
    "heart failure": (("heart_failure",), ("HF",)),
    "chronic lung": (("copd", "asthma", "other_chronic_lung"), ("LUNG_CHRONIC",)),
    "kidney disease": (("chronic_kidney_disease",), ("RENLFL_MOD", "RENLFL_SEV")),
    "depression": (("depression",), ("DEPRESS",)),
    "dementia": (("dementia",), ("DEMENTIA",)),
    "hypothyroidism": (("hypothyroidism",), ("THYROID_HYPO",)),
    "Parkinson's / movement": (("parkinsons",), ("NEURO_MOVT",)),
    "obesity": (("obesity",), ("OBESE",)),
    "peripheral vascular": (("peripheral_vascular_disease",), ("PERIVASC",)),
    "liver": (("chronic_liver_disease", "chronic_viral_hepatitis"), ("LIVER_MLD", "LIVER_SEV")),
    "alcohol": (("alcohol_use_disorder",), ("ALCOHOL",)),
    "drugs": (("drug_use_disorder",), ("DRUG_ABUSE",)),
    "HIV": (("hiv",), ("AIDS",)),
    "psychoses (incl. bipolar)": (("schizophrenia_psychotic", "bipolar"), ("PSYCHOSES",)),
    "epilepsy": (("epilepsy",), ("NEURO_SEIZ",)),
    "paralysis": (("paralysis",), ("PARALYSIS",)),
    "stroke late effects": (("stroke_sequelae",), ("CBVD_SQLA",)),
    "solid cancer": (
        (
            "breast_cancer",
            "colorectal_cancer",
            "lung_cancer",
            "prostate_cancer",
            "endometrial_cancer",
            "urologic_cancer",
            "other_cancer",
        ),
        ("CANCER_SOLID", "CANCER_METS"),
    ),  # fmt: skip
    "leukemia, lymphoma": (("leukemia_lymphoma",), ("CANCER_LEUK", "CANCER_LYMPH")),
}


def markdown(frame: pd.DataFrame) -> str:
    """A Markdown table of `frame` (no index)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * len(frame.columns)]  # fmt: skip
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def cmr_table() -> pd.DataFrame:
    """Code (no dot) x CMR category flags (bool), from the package's AHRQ workbook."""
    try:
        from elixhauser_ahrq import ElixhauserLoader
    except ImportError as error:
        raise SystemExit('install: pip install "elixhauser-ahrq==2026.1.3"') from error
    mapping = ElixhauserLoader().dx_mapping
    codes = mapping["ICD-10-CM Diagnosis"].astype(str).str.replace(".", "", regex=False)
    flags = mapping.drop(columns=["ICD-10-CM Diagnosis", "ICD-10-CM Code Description",
                                  "# Comorbidities"]).astype(bool)  # fmt: skip
    return flags.set_axis(codes.str.upper().str.strip())


def code_flags(codes: pd.Series, cmr: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ours, theirs): per distinct code (index) and pair label, does the side place it?"""
    pairs = classify_codes(codes)
    ours_raw = pd.crosstab(pairs["code"], pairs["category"].astype(str)).reindex(codes).fillna(0)
    theirs_raw = cmr.reindex(codes).fillna(False)
    ours, theirs = {}, {}
    for label, (mine, other) in PAIRS.items():
        ours[label] = ours_raw.reindex(columns=list(mine), fill_value=0).sum(axis=1) > 0
        theirs[label] = theirs_raw.reindex(columns=list(other), fill_value=False).any(axis=1)
    return pd.DataFrame(ours, index=codes), pd.DataFrame(theirs, index=codes)


def _top_blocks(codes: pd.Index, weights: pd.Series | None = None, n: int = 4) -> str:
    blocks = pd.Series(codes.str.slice(0, 3), index=codes)
    counts = weights.groupby(blocks).sum() if weights is not None else blocks.value_counts()
    counts = counts[counts > 0].sort_values(ascending=False).head(n)
    return ", ".join(f"{b} ({int(c):,})" for b, c in counts.items())


def code_table(cmr: pd.DataFrame) -> pd.DataFrame:
    billable = code_set().index[code_set()["billable"]]
    codes = pd.Series(billable, dtype="str")
    ours, theirs = code_flags(codes, cmr)
    rows = []
    for label in PAIRS:
        only_ours = ours.index[ours[label] & ~theirs[label]]
        only_theirs = ours.index[~ours[label] & theirs[label]]
        rows.append({
            "pair": label, "both": int((ours[label] & theirs[label]).sum()),
            "ours only": len(only_ours), "CMR only": len(only_theirs),
            "ours only, mostly": _top_blocks(only_ours),
            "CMR only, mostly": _top_blocks(only_theirs),
        })  # fmt: skip
    return pd.DataFrame(rows)


def patient_table(panel_path: Path, as_of: dt.date, cmr: pd.DataFrame) -> str:
    panel = read_panel(panel_path)
    analysed = assess_eligibility(panel, as_of).patients["analysed"]
    diagnoses = panel.diagnoses[panel.diagnoses["patient_id"].isin(analysed.index[analysed])]
    coded = encode_diagnoses(diagnoses)
    ours, theirs = code_flags(coded.codes, cmr)
    rows = []
    for label in PAIRS:
        o = np.bincount(coded.patient, weights=ours[label].to_numpy()[coded.code],
                        minlength=len(coded.patients)) > 0  # fmt: skip
        t = np.bincount(coded.patient, weights=theirs[label].to_numpy()[coded.code],
                        minlength=len(coded.patients)) > 0  # fmt: skip
        if not (o | t).any():
            continue
        hits = {}
        for name, side, other in (("ours only", o, ours), ("CMR only", t, theirs)):
            only = side & ~(t if side is o else o)
            entries = only[coded.patient] & other[label].to_numpy()[coded.code]
            per_code = pd.Series(np.bincount(coded.code[entries], minlength=len(coded.codes)),
                                 index=pd.Index(dotted(coded.codes)))  # fmt: skip
            top = per_code[per_code > 0].sort_values(ascending=False).head(3)
            hits[name] = int(only.sum())
            hits[name + ", codes"] = ", ".join(f"{c} ({n:,})" for c, n in top.items())
        rows.append({"pair": label, "both": int((o & t).sum()), **hits})
    return markdown(pd.DataFrame(rows))


def generated_panel(n: int, as_of: dt.date, directory: Path) -> Path:
    from ccm_assess.edge.sample import write_long_csv
    from ccm_assess.edge.sample_panel import generate_panel

    path = directory / f"generated_{n}.csv"
    write_long_csv(generate_panel(n, seed=2027), path, run_date=as_of)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=SAMPLE)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument("--generated", type=int, default=25_000, help="0: skip")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    cmr = cmr_table()
    print("## Codes (FY2026 billable), catalog vs AHRQ CMR v2026.1\n")
    print(markdown(code_table(cmr)))
    print(f"\n## Patients: {args.panel.name}\n")
    print(patient_table(args.panel, args.as_of, cmr))
    if args.generated:
        path = generated_panel(args.generated, args.as_of, args.workdir)
        print(f"\n## Patients: generated panel of {args.generated:,} (seed 2027)\n")
        print(patient_table(path, args.as_of, cmr))


if __name__ == "__main__":
    main()
