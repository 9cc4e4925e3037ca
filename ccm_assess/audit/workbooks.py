"""audit_workbook.xlsx (no PHI, small counts suppressed) and exceptions.xlsx (PHI, 0600).

The workbook reuses the assessment workbook's cell, table and sheet helpers
(`outputs.workbook.cells`); counts, dollars and rates are read as published (`Audit.shown`, the
audit's suppression plan: "<11" for 1 to 10, withheld for a complementary cell or a figure that
would reveal one); per staff member or practitioner, minutes and dollars are withheld for fewer
than 11 patients (patient-months); staff and
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
from ccm_assess.privacy import SUPPRESSED, WITHHELD, excel_safe, is_small

if TYPE_CHECKING:
    from ccm_assess.audit.summary import Audit

NOTE = (
    "No patient-level data; patient counts from 1 to 10 show as <11, and a figure that would "
    "reveal one as withheld (as in audit.json). Dollars are Medicare allowed amounts, not "
    "billing advice."
)


def shown(count: float | None) -> object:
    """A count of one person's patients as published: "<11" when from 1 to 10."""
    return SUPPRESSED if is_small(count) else count


def findings_table(result: Audit) -> pd.DataFrame:
    """Per month (columns) and finding (rows): patient-months as published; not assessed
    shown."""
    data = {}
    for month, block in result.ledger["by_month"].items():
        path = f"by_month.{month}.findings."
        data[month] = [
            "not assessed" if block["findings"][k] is None else result.shown(path + k)
            for k in FINDINGS
        ]
    table = pd.DataFrame(data, index=[TITLES[k] for k in FINDINGS])
    return table.rename_axis("Finding (patient-months)").reset_index()


def minutes_table(result: Audit) -> pd.DataFrame:
    """Patient-months per band of counted staff minutes, per month, as published (the bands
    add up to the patient-months with time: `summary.audit_plan`)."""
    bands = [c for c in result.measures.columns if c.startswith("minutes ")]
    rows = {m: {b: result.shown(f"measures.{m}.{b}") for b in bands} for m in result.months}
    table = pd.DataFrame(rows).rename(index=lambda b: b.replace("minutes ", "") + " minutes")
    return table.rename_axis("Staff minutes").reset_index()


def measures_table(result: Audit) -> pd.DataFrame:
    """Per month: the program measures as published (`Audit.shown`)."""
    m = result.measures

    def column(name: str, missing: object = None) -> list[object]:
        values = [result.shown(f"measures.{month}.{name}") for month in m.index]
        return [missing if v is None else v for v in values]

    return pd.DataFrame(
        {
            "Month": m.index,
            "Enrolled": column("enrolled", "not assessed"),
            "Patients with time": column("patients_with_time"),
            "Billed patient-months": column("billed_patient_months", "not assessed"),
            "Billable-month rate": column("billable_month_rate"),
            "Billed $": column("billed"),
            "Supported $": column("supported"),
            "Missed $": column("missed"),
            "At risk $": column("at_risk"),
        }
    )


def staff_table(result: Audit) -> pd.DataFrame:
    """Per month and staff member: patients; minutes and the share reaching 20 minutes
    withheld for fewer than 11 patients (they would show those patients' own minutes)."""
    s = result.staff
    small = s["patients"].map(is_small).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "Month": s["month"],
            "Staff member": excel_safe(s["staff"].map(safe_name)),
            "Patients": s["patients"].map(shown),
            "Minutes": s["minutes"].round(0).astype(object).mask(small, WITHHELD),
            "Share reaching 20 min": s["share_reaching_20"].astype(object).mask(small, WITHHELD),
        }
    )


def practitioner_table(result: Audit) -> pd.DataFrame:
    """Per month and billing practitioner: patient-months billed and at risk; the dollars
    withheld when either count is 1 to 10 (they would show those patients' own claims)."""
    p = result.practitioners
    small = (
        p["patient_months"].map(is_small) | p["at_risk_patient_months"].map(is_small)
    ).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "Month": p["month"],
            "Practitioner": excel_safe(p["practitioner"].map(safe_name)),
            "Patient-months billed": p["patient_months"].map(shown),
            "Billed $": p["billed"].round(2).astype(object).mask(small, WITHHELD),
            "At risk $": p["at_risk"].round(2).astype(object).mask(small, WITHHELD),
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
            ("Patient-months audited", result.shown("patient_months"), COUNT),
            ("Billed $", result.shown("dollars.billed"), USD_CENTS),
            ("Supported $", result.shown("dollars.supported"), USD_CENTS),
            ("Missed $", result.shown("dollars.missed"), USD_CENTS),
            ("At risk $", result.shown("dollars.at_risk"), USD_CENTS),
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
        {"Action": [result.action_text(a, lambda usd: f"${usd:,.0f}") for a in result.actions]}
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
    plan = result.plan_table()
    if plan is not None:
        sheets["Plan"] = (
            plan.rename_axis("month").reset_index(),
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
