"""audit_workbook.xlsx (no PHI, small counts suppressed) and exceptions.xlsx (PHI, 0600).

The workbook reuses the assessment workbook's cell, table and sheet helpers
(`outputs.workbook.cells`); patient counts from 1 to 10 show as "<11" (`privacy`), staff and
practitioner names are cut to `cells.NAME_LIMIT` characters and kept from acting as formulas.
The exceptions list is the audit's only PHI output: owner-only, written under a temporary name
and renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook

from ccm_assess.audit.findings import ACTIONS, TITLES
from ccm_assess.audit.rules import FINDINGS
from ccm_assess.outputs.workbook.cells import (
    COUNT,
    PCT,
    USD_CENTS,
    finish_sheet,
    put_pairs,
    put_table,
    put_title,
    safe_name,
)
from ccm_assess.privacy import SUPPRESSED, excel_safe, is_small, suppress_counts

if TYPE_CHECKING:
    from ccm_assess.audit.summary import Audit

NOTE = (
    "No patient-level data; patient counts from 1 to 10 show as <11. audit.json holds the "
    "exact counts. Dollars are Medicare allowed amounts, not billing advice."
)


def shown(count: float | None) -> object:
    """A patient count as published: "<11" when from 1 to 10."""
    return SUPPRESSED if is_small(count) else count


def findings_table(result: Audit) -> pd.DataFrame:
    """Per month (columns) and finding (rows): patient-months, suppressed; not assessed shown."""
    data = {}
    for month, block in result.ledger["by_month"].items():
        counts = {k: v for k, v in block["findings"].items() if v is not None}
        hidden = suppress_counts(counts, total_shown=False)
        data[month] = [hidden.get(k, "not assessed") for k in FINDINGS]
    table = pd.DataFrame(data, index=[TITLES[k] for k in FINDINGS])
    return table.rename_axis("Finding (patient-months)").reset_index()


def minutes_table(result: Audit) -> pd.DataFrame:
    """Patient-months per band of counted staff minutes, per month (suppressed with
    complementary cells: the bands add up to the patient-months with time)."""
    bands = [c for c in result.measures.columns if c.startswith("minutes ")]
    rows = {}
    for month, row in result.measures[bands].iterrows():  # one row per month
        rows[month] = suppress_counts({b: int(row[b]) for b in bands})
    table = pd.DataFrame(rows).rename(index=lambda b: b.replace("minutes ", "") + " minutes")
    return table.rename_axis("Staff minutes").reset_index()


def measures_table(result: Audit) -> pd.DataFrame:
    m = result.measures
    return pd.DataFrame(
        {
            "Month": m.index,
            "Enrolled": [shown(v) if pd.notna(v) else "not assessed" for v in m["enrolled"]],
            "Patients with time": [shown(v) for v in m["patients_with_time"]],
            "Billed patient-months": [
                shown(v) if pd.notna(v) else "not assessed" for v in m["billed_patient_months"]
            ],
            "Billable-month rate": m["billable_month_rate"].to_numpy(),
            "Billed $": m["billed"].to_numpy(),
            "Supported $": m["supported"].to_numpy(),
            "Missed $": m["missed"].to_numpy(),
            "At risk $": m["at_risk"].to_numpy(),
        }
    )


def staff_table(result: Audit) -> pd.DataFrame:
    s = result.staff
    small = s["patients"].map(is_small)
    return pd.DataFrame(
        {
            "Month": s["month"],
            "Staff member": excel_safe(s["staff"].map(safe_name)),
            "Patients": s["patients"].map(shown),
            "Minutes": s["minutes"].round(0),
            "Share reaching 20 min": s["share_reaching_20"].mask(small),
        }
    )


def practitioner_table(result: Audit) -> pd.DataFrame:
    p = result.practitioners
    return pd.DataFrame(
        {
            "Month": p["month"],
            "Practitioner": excel_safe(p["practitioner"].map(safe_name)),
            "Patient-months billed": p["patient_months"].map(shown),
            "Billed $": p["billed"].round(2),
            "At risk $": p["at_risk"].round(2),
            "Patient-months at risk": p["at_risk_patient_months"].map(shown),
        }
    )


def rows_table(result: Audit) -> pd.DataFrame:
    parts = []
    for kind, source in result.inputs.items():
        reasons = source.ledger.groupby(["status", "reason"]).size().rename("Rows").reset_index()
        reasons.insert(0, "Input", f"{kind} ({Path(source.path).name})")
        parts.append(reasons)
    table = pd.concat(parts, ignore_index=True)
    table["reason"] = table["reason"].replace("", "(used)")
    return table.rename(columns={"status": "Status", "reason": "Reason"})


def write_audit_workbook(result: Audit, path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    ws = book.create_sheet("Summary")
    against = f", against {result.plan_label}" if result.plan_label else ""
    put_title(ws, f"Monthly CCM audit: {result.practice}{against}", NOTE)
    led = result.ledger
    row = put_pairs(
        ws,
        4,
        [
            ("Months", ", ".join(result.months), None),
            ("Patient-months audited", led["patient_months"], COUNT),
            ("Billed $", led["dollars"]["billed"], USD_CENTS),
            ("Supported $", led["dollars"]["supported"], USD_CENTS),
            ("Missed $", led["dollars"]["missed"], USD_CENTS),
            ("At risk $", led["dollars"]["at_risk"], USD_CENTS),
            (
                "Rates",
                result.rates_label,
                None,
            ),
            ("Not assessed", ", ".join(led["not_assessed"]) or "nothing", None),
            *(
                [("Compared with", f"{result.plan_label} ({result.plan_basis['chosen_by']})", None)]
                if result.plan_basis
                else []
            ),
        ],
    )
    actions = pd.DataFrame(
        {
            "Action": [
                a.text.format(n=shown(a.patient_months), usd=f"${a.usd:,.0f}")
                for a in result.actions
            ]
        }
    )
    put_table(ws, row, actions)
    finish_sheet(ws, "A4", {"A": 24, "B": 60})
    sheets = {
        "Months": (
            measures_table(result),
            {
                "Billable-month rate": PCT,
                "Billed $": USD_CENTS,
                "Supported $": USD_CENTS,
                "Missed $": USD_CENTS,
                "At risk $": USD_CENTS,
            },
        ),
        "Findings": (findings_table(result), {}),
        "Minutes": (minutes_table(result), {}),
        "Staff": (staff_table(result), {"Share reaching 20 min": PCT, "Minutes": COUNT}),
        "Practitioners": (
            practitioner_table(result),
            {"Billed $": USD_CENTS, "At risk $": USD_CENTS},
        ),
        "Rows read": (rows_table(result), {"Rows": COUNT}),
    }
    if result.plan is not None:
        plan = result.plan.reset_index()
        for column in ("enrolled_actual", "enrolled_planned"):
            plan[column] = plan[column].map(lambda v: shown(v) if pd.notna(v) else None)
        sheets["Plan"] = (
            plan,
            {
                "billable_rate_actual": PCT,
                "billable_rate_planned": PCT,
                "revenue_actual": USD_CENTS,
                "revenue_planned": USD_CENTS,
                "revenue_gap_per_year": USD_CENTS,
                "revenue_actual_to_date": USD_CENTS,
                "revenue_planned_to_date": USD_CENTS,
                "revenue_gap_to_date": USD_CENTS,
                "rate_gap_per_year": USD_CENTS,
            },
        )
    for name, (table, formats) in sheets.items():
        ws = book.create_sheet(name)
        put_title(ws, f"{name}: {result.practice}{against}", NOTE)
        put_table(ws, 4, table.astype(object).where(table.notna(), None), formats)
        finish_sheet(ws, "A5", title_rows="4:4")
    _save(book, path, 0o644)
    return path


def write_exceptions(result: Audit, path: Path) -> Path:
    """exceptions.xlsx: one row per finding with patient, month, evidence and action (PHI)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Exceptions")
    sheet.append(["Contains PHI - CCM audit exceptions: one row per finding"])
    table = result.exceptions
    headers = [
        "Patient ID",
        "Month",
        "Finding",
        "What",
        "USD",
        "Evidence",
        "Action",
        "Practitioner",
    ]
    sheet.append(headers)
    for column, width in zip("ABCDEFGH", (14, 9, 22, 34, 10, 80, 60, 22), strict=True):
        sheet.column_dimensions[column].width = width
    safe = table.assign(
        patient_id=excel_safe(table["patient_id"].astype(object)),
        practitioner=excel_safe(table["practitioner"].astype(object)),
    )
    for values in safe.itertuples(index=False, name=None):  # findings, not panel rows
        sheet.append(list(values))
    about = book.create_sheet("About")
    about.append(["Finding", "Meaning and action"])
    for name in FINDINGS:
        about.append([name, f"{TITLES[name]}. {ACTIONS[name]}"])
    about.append(
        [
            "USD",
            "Dollars at risk (or missed) for the patient-month, Medicare allowed "
            "amounts; near_threshold: one 99490.",
        ]
    )
    _save(book, path, 0o600)
    return path


def _save(book: Workbook, path: Path, mode: int) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        book.save(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
