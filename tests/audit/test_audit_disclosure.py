"""Every audit output follows one small-cell plan (issue 24): audit.json, the workbook and the
report hide the same counts; a staff member or practitioner with one patient never shows that
patient's minutes or dollars; a dollar figure proportional to a hidden count is withheld."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ccm_assess.audit.run import AuditOptions, audit, run_audit
from ccm_assess.privacy import SUPPRESSED, WITHHELD


@pytest.fixture(scope="module")
def small_program(tmp_path_factory) -> dict[str, Path]:
    """Two months, 40 patients with 25 staff minutes each from Nurse A and 99490 billed; one
    patient of Nurse B (12 minutes) billed 99490 (an unsupported claim) by Dr Solo alone."""
    folder = tmp_path_factory.mktemp("small")
    time = ["Patient ID,Date,Minutes,Staff,Credential,Program"]
    claims = ["MRN,DOS,CPT,Units,Rendering Provider"]
    for month in ("2026-09", "2026-10"):
        for n in range(1, 41):
            time.append(f"P{n:03d},{month}-05,25,Nurse A,RN,CCM")
            claims.append(f"P{n:03d},{month}-28,99490,1,Dr Many")
    time.append("P900,2026-10-07,12,Nurse B,RN,CCM")
    claims.append("P900,2026-10-28,99490,1,Dr Solo")
    paths = {"time_log": folder / "time.csv", "claims": folder / "claims.csv"}
    paths["time_log"].write_text("\n".join(time) + "\n", encoding="utf-8")
    paths["claims"].write_text("\n".join(claims) + "\n", encoding="utf-8")
    return paths


def test_audit_json_hides_what_the_workbook_hides(small_program, tmp_path) -> None:
    out = tmp_path / "audit"
    run_audit(AuditOptions(**small_program, out=out, formats=("html",)))
    data = json.loads((out / "audit.json").read_text())
    # one unsupported claim in October: hidden, and the at-risk dollars with it
    assert data["findings"]["unsupported_claims"] is None
    assert data["by_month"]["2026-10"]["findings"]["unsupported_claims"] is None
    assert "findings.unsupported_claims" in data["suppressed"]
    assert data["dollars"]["at_risk"] is None and "dollars.at_risk" in data["suppressed"]
    assert data["by_month"]["2026-09"]["findings"]["unsupported_claims"] == 0
    assert data["patients"] == 41 and data["patient_months"] == 81
    book = openpyxl.load_workbook(out / "audit_workbook.xlsx", read_only=True)
    staff = {r[1]: r for r in book["Staff"].iter_rows(min_row=5, values_only=True) if r[1]}
    assert staff["Nurse B"][2:5] == (SUPPRESSED, WITHHELD, WITHHELD)  # 1 patient, 12 minutes
    assert staff["Nurse A"][2:4] == (40, 1000)
    doctors = {r[1]: r for r in book["Practitioners"].iter_rows(min_row=5, values_only=True)}
    assert doctors["Dr Solo"][2:5] == (SUPPRESSED, WITHHELD, WITHHELD)
    findings = {r[0]: r for r in book["Findings"].iter_rows(min_row=5, values_only=True)}
    unsupported = next(v for k, v in findings.items() if k == "Billed beyond the logged time")
    assert unsupported[1:] == (0, SUPPRESSED)
    html = (out / "audit.html").read_text()
    assert "Nurse B" in html and ">12<" not in html


def test_every_declared_audit_relation_holds(small_program) -> None:
    """A relation that does not hold would mislead the planner."""
    from ccm_assess.audit.summary import audit_plan

    result = audit(AuditOptions(**small_program))
    assert result.hidden == audit_plan(result.ledger)
    measures = result.ledger["measures"]
    for month, block in result.ledger["by_month"].items():
        assert block["patients"] == block["patient_months"]
        bands = [v for k, v in measures[month].items() if k.startswith("minutes ")]
        assert sum(bands) == measures[month]["patients_with_time"]
    assert pd.notna(result.measures["billed"]).all()
