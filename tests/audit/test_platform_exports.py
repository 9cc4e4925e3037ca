"""The audit on a care-management platform's own exports (issue 25): durations as written,
reversals, ids over names, a missing care-plan column not assessed, an unusable time log
refused. Expected findings and units come from tests/audit/platform_shapes.py's planted cases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.audit.inputs import AuditInputError, read_input
from ccm_assess.audit.run import AuditOptions, _rates, audit, run_audit
from ccm_assess.intake.values import parse_minutes
from ccm_assess.privacy import excel_safe
from tests.audit import platform_shapes


def usd(units: dict[str, int]) -> float:
    cents = _rates({2026}, None, None)[0][2026]
    return round(sum(n * cents[code] for code, n in units.items()) / 100, 2)


@pytest.mark.parametrize("care_plan", [True, False])
def test_platform_exports_give_the_planted_findings_and_dollars(
    tmp_path: Path, care_plan: bool
) -> None:
    paths, truth = platform_shapes.write_platform_audit(tmp_path, care_plan=care_plan)
    result = audit(AuditOptions(**paths))
    ledger = result.ledger
    assert {k: result.inputs[k].mapping["patient_id"] for k in paths} == {
        "time_log": "MRN", "claims": "Patient Account", "register": "MRN"}  # fmt: skip
    assert result.inputs["claims"].mapping["practitioner"] == "Rendering NPI"
    assert ledger["patients"] == truth.patients == 200
    assert ledger["findings"] == {**truth.findings, "no_initiating_visit": None}
    assert ledger["dollars"] == {name: usd(truth.units[name]) for name in ledger["dollars"]}
    assert ("no_care_plan" in ledger["not_assessed"]) is not care_plan
    assert "billed_after_disenrolment" in ledger["not_assessed"]  # no disenrolment column
    claims = result.inputs["claims"].ledger
    reasons = claims.loc[claims["status"].eq("skipped"), "reason"].value_counts().to_dict()
    assert reasons["cancelled by a later reversal line"] == truth.reversal_rows == 20
    assert reasons["reversal line (cancels the line above)"] == 20
    assert claims["status"].eq("used").sum() == truth.claim_rows
    assert result.inputs["time_log"].counts()["rows_used"] == truth.time_rows


def test_at_risk_share_without_the_care_plan_column_is_not_every_dollar(tmp_path: Path) -> None:
    paths, truth = platform_shapes.write_platform_audit(tmp_path, care_plan=False)
    dollars = audit(AuditOptions(**paths)).ledger["dollars"]
    assert dollars["at_risk"] / dollars["billed"] == pytest.approx(0.2, abs=0.02)


def test_durations_as_platforms_write_them() -> None:
    cells = pd.Series(["25", "00:22:41", "22m", "1h 5m", "0:25", "1 hr 5 mins", "12m 30s",
                       "45 Minutes", "-5", "about 20", "2:75", None])  # fmt: skip
    minutes = parse_minutes(cells).round(2).tolist()
    assert minutes[:9] == [25, 22.68, 22, 65, 25, 65, 12.5, 45, -5]
    assert pd.isna(minutes[9:]).all()


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_patient_column_of_names_is_never_the_join(tmp_path: Path) -> None:
    rows = "".join(f"{name},10/0{d}/2026,25,RN\n" for d, name in enumerate(["Ann Lee"] * 5, 1))
    path = _csv(tmp_path / "t.csv", "Patient,Date,Minutes,Credential\n" + rows)
    with pytest.raises(AuditInputError, match="holds names, not identifiers"):
        read_input("time_log", path)
    with_id = "Patient,Pt Acct Ref,Date,Minutes,Credential\n" + "".join(
        f"Ann Lee,A{k}7,10/0{k}/2026,25,RN\n" for k in range(1, 6)
    )
    read = read_input("time_log", _csv(tmp_path / "u.csv", with_id))
    assert read.mapping["patient_id"] == "Pt Acct Ref"
    assert any("holds names, not ids" in note for note in read.notes)


def test_care_plan_and_practitioner_found_by_header_words_and_dates(tmp_path: Path) -> None:
    register = "MRN,Consent,Care Plan Status,Date Care Plan Was Shared With Patient\n" + "".join(
        f"A{k}7,09/0{k}/2026,Active,09/1{k}/2026\n" for k in range(1, 6)
    )
    read = read_input("register", _csv(tmp_path / "r.csv", register))
    assert read.mapping["care_plan_date"] == "Date Care Plan Was Shared With Patient"
    claims = "Acct #,DOS,CPT,Rendering Prov NPI\n" + "".join(
        f"A{k}7,10/31/2026,99490,1234567893\n" for k in range(1, 6)
    )
    read = read_input("claims", _csv(tmp_path / "c.csv", claims))
    assert read.mapping["practitioner"] == "Rendering Prov NPI"
    assert read.mapping["patient_id"] == "Acct #"


def test_a_time_log_with_no_usable_row_is_refused_not_crashed(tmp_path: Path) -> None:
    paths, _ = platform_shapes.write_platform_audit(tmp_path, patients=20)
    rows = "".join(f"P{5000 + 13 * k},10/06/2026,about twenty,RN\n" for k in range(20))
    paths["time_log"] = _csv(tmp_path / "t.csv", "MRN,Date,Duration,Credential\n" + rows)
    with pytest.raises(AuditInputError, match="minutes not readable as a duration: 20 rows"):
        run_audit(AuditOptions(**paths, out=tmp_path / "out", formats=()))
    assert not (tmp_path / "out").exists()


def test_an_empty_text_column_is_written_safely() -> None:
    assert excel_safe(pd.Series([], dtype="str")).empty
