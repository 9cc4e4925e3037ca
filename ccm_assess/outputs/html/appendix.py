"""Appendix tables as HTML: assumptions, row reconciliation, data quality, columns used.

Counts only: text from the file (column headers) is escaped and no value from a patient row
reaches the output; subgroup patient counts go through ``privacy`` (1-10 shows as "<11").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.formatting import DASH, count_text, range_text, value_text
from ccm_assess.intake.codes import CODE_SET_YEAR, unlisted_codes
from ccm_assess.intake.headers import shown_header
from ccm_assess.intake.panel import Panel, reason_counts
from ccm_assess.outputs.html.blocks import INDENT, esc, html_table, paragraphs
from ccm_assess.privacy import format_count, shown_sum

GROUP_TITLES: Mapping[str, str] = {
    "enrolment": "Enrolment",
    "billing": "Billing",
    "payer": "Payers and collection",
    "staffing": "Staffing",
    "costs": "Costs",
    "vendor": "Vendors",
    "model": "Model",
}


BASIS_TEXT = (
    "Basis: [P] primary source (CMS, a federal agency or a peer-reviewed study), [S] secondary "
    "source, [V] a vendor's claim, [A] our assumption where no source gives a number (these get "
    "a wide plausible range and move in the sensitivity analysis)."
)


def assumptions_appendix(assumptions: Assumptions, rows_per_part: int = 5) -> list[str]:
    """Every model assumption by group: value used, plausible range, basis and source.

    Parts of at most `rows_per_part` rows, each meant to be its own output, so that a printed
    page can break between them."""
    table = assumptions.table()
    changed = set(assumptions.changed())
    outside = set(assumptions.outside_plausible())
    notes = [BASIS_TEXT]
    if changed:
        notes.append(
            "Values marked * were changed from our defaults for this practice"
            + ("; those marked ! lie outside the plausible range." if outside else ".")
        )
    parts = []
    for group, rows in table.groupby("group", sort=False):
        marks = ["*" * (n in changed) + "!" * (n in outside) for n in rows["name"]]
        frame = pd.DataFrame(
            {
                "Assumption": rows["label"].to_numpy(),
                "Value": [
                    value_text(v, u) + m
                    for v, u, m in zip(rows["value"], rows["unit"], marks, strict=True)
                ],
                "Plausible range": [
                    DASH if pd.isna(lo) or lo == hi else range_text(lo, hi, u)
                    for lo, hi, u in zip(rows["low"], rows["high"], rows["unit"], strict=True)
                ],
                "Basis and source": rows["source"].to_numpy(),
            }
        )
        title = f"<h4>{esc(GROUP_TITLES.get(str(group), str(group)))}</h4>"
        for start in range(0, len(frame), rows_per_part):
            chunk = frame.iloc[start : start + rows_per_part]
            table_html = html_table(chunk, text_columns=("Assumption", "Basis and source"))
            parts.append((title if start == 0 else "") + table_html)
    parts[0] = paragraphs(*notes) + parts[0]
    return parts


ROLE_LABELS: Mapping[str, str] = {
    "patient_id": "Patient ID",
    "diagnosis": "Diagnosis codes",
    "primary_payer": "Primary insurance",
    "secondary_payer": "Secondary insurance",
    "last_visit_date": "Last visit",
    "provider": "Provider",
    "location": "Location",
    "deceased": "Deceased",
    "death_date": "Date of death",
    "hospice": "Hospice",
    "inpatient_admits_12m": "Hospital admissions (12 months)",
    "ed_visits_12m": "ER visits (12 months)",
    "sex": "Sex",
    "birth_date": "Date of birth",
    "name": "Patient name",
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "address": "Address",
}


WORKLIST_ONLY = frozenset({"birth_date", "name", "first_name", "last_name", "phone", "address"})


def reconciliation_table(counts: Mapping[str, Any], ledger: pd.DataFrame) -> str:
    """From the rows in the file to the patients analysed; every subtotal adds up.

    `counts`: `Assessment.shown_counts` (hidden counts "<11"; their sums are hidden too)."""
    panel, excluded = counts["panel"], counts["excluded"]
    rows: list[tuple[str, int]] = [("Rows in the file", panel["rows_read"])]
    rows.append((f"{INDENT}used", panel["rows_used"]))
    for status in ("skipped", "rejected"):
        reasons = reason_counts(ledger, status)
        rows += [(f"{INDENT}{status}: {reason}", int(n)) for reason, n in reasons.items()]
    left_out = shown_sum(v or 0 for v in excluded.values())
    rows += [
        ("Patients in the used rows (rows of one patient are combined)", panel["patients"]),
        (f"{INDENT}left out: deceased or in hospice", left_out),
        ("Patients analysed", panel["patients_analysed"]),
    ]
    frame = pd.DataFrame({"": [r[0] for r in rows], "Count": [format_count(r[1]) for r in rows]})
    patients_known = not any(isinstance(v, str) for v in (left_out, panel["patients_analysed"]))
    adds_up = panel["rows_used"] + panel["rows_skipped"] + panel["rows_rejected"] == panel[
        "rows_read"
    ] and (not patients_known or panel["patients"] - left_out == panel["patients_analysed"])
    check = (
        "Check: used + skipped + rejected rows = rows in the file, and patients − left out = "
        "patients analysed."
        if adds_up
        else "Warning: the row counts do not add up; please tell the preparer."
    )
    return html_table(frame, text_columns=("",)) + paragraphs(check)


def quality_table(panel: Panel, ccir_unknown: pd.DataFrame) -> str:
    """What could not be used in the file (counts only, no values from the file)."""
    q = panel.quality
    rows = [
        (
            "Diagnosis entries that are not ICD-10 codes (abbreviations, typos)",
            format_count(int(q.invalid_codes["count"].sum())),
            "ignored",
        ),
        ("Old ICD-9 codes", format_count(int(q.icd9_codes["count"].sum())), "ignored: recode"),
        (
            "Patients whose insurance name was not recognised",
            count_text(int(q.unknown_payers["count"].sum())),
            "treated as not billable",
        ),
        (
            "Dates that could not be used",
            format_count(int(q.bad_dates["count"].sum())),
            "left blank",
        ),
        (
            "Yes/no or count cells that could not be read",
            format_count(int(q.bad_values["count"].sum())),
            "left blank: an unreadable deceased or hospice flag excludes no one",
        ),
        (
            "Diagnosis cells whose codes were written inside text",
            format_count(q.text_code_cells),
            "read: check a few in the file",
        ),
    ]
    rows += [
        (
            f"Patients whose rows disagree on {ROLE_LABELS.get(c, c).lower()}",
            count_text(int(n)),
            "first value kept",
        )
        for c, n in q.conflicts[["column", "patients"]].to_numpy()
    ]
    unlisted = unlisted_codes(panel.diagnoses)["status"].value_counts()
    rows += [
        (
            f"Distinct ICD-10 codes not in the FY{CODE_SET_YEAR} ICD-10-CM code set",
            format_count(int(unlisted.get("unknown", 0))),
            "still read by their first characters: check for typos (or newer codes)",
        ),
        (
            f"Distinct ICD-10 codes retired (valid in an earlier year, not in FY{CODE_SET_YEAR})",
            format_count(int(unlisted.get("retired", 0))),
            "still read by their first characters: update the problem list",
        ),
    ]
    rows.append(
        (
            "Codes the broader chronic-condition list could not place",
            format_count(len(ccir_unknown)),
            "not counted as chronic",
        )
    )
    frame = pd.DataFrame(rows, columns=["Issue", "Count", "What we did"])
    return html_table(frame, text_columns=("Issue", "What we did"))


def columns_table(panel: Panel) -> str:
    """Which column of the file fed each piece of information (headers escaped)."""
    rows = []
    for role, label in ROLE_LABELS.items():
        headers = panel.mapping.get(role)
        if headers:
            use = "worklist only, not in this report" if role in WORKLIST_ONLY else "used"
            rows.append((label, ", ".join(shown_header(h) for h in headers), use))
        elif role not in WORKLIST_ONLY:
            rows.append((label, "not in the file", "not used"))
    frame = pd.DataFrame(rows, columns=["Information", "Column in your file", "Use"])
    return html_table(frame, text_columns=tuple(frame.columns))
