"""A generated two-month program of several hundred patients with planted problems: the counts
and dollars in audit.json equal those computed here, independently, patient-month by
patient-month in plain Python from the rules of docs/audit.md."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.audit.run import AuditOptions, audit, run_audit
from ccm_assess.edge.sample_audit import generate_program
from ccm_assess.finance.fees import payment_rates

MONTHS = ["2026-09", "2026-10"]
PRACTITIONERS = ["Alvarez, Maria MD", "Chen, David MD", "Patel, Priya NP"]
RATE = {code: round(usd * 100) for code, usd in payment_rates(2026).items()}  # cents
CCM = ["99490", "99439", "99487", "99489", "99491", "99437"]
PCM = ["99426", "99427", "99424", "99425"]
APCM = ["G0556", "G0557", "G0558", "G0568", "G0569", "G0570"]
LANE = {"99490": "ccm", "99439": "ccm", "99487": "complex", "99489": "complex",
        "99491": "phys", "99437": "phys", "99426": "pcm_s", "99427": "pcm_s",
        "99424": "pcm_p", "99425": "pcm_p"}  # fmt: skip


@pytest.fixture(scope="module")
def program() -> dict[str, pd.DataFrame]:
    ids = [f"P{n:05d}" for n in range(1, 451)]
    return generate_program(ids, PRACTITIONERS, MONTHS, seed=11)


@pytest.fixture(scope="module")
def files(program, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("program")
    time = program["time_log"].assign(date=program["time_log"]["date"].dt.strftime("%m/%d/%Y"))
    time.columns = ["Patient ID", "Date", "Minutes", "Staff", "Credential", "Program"]
    claims = program["claims"].assign(date=program["claims"]["date"].dt.strftime("%Y-%m-%d"))
    claims.columns = ["MRN", "DOS", "CPT", "Units", "Rendering Provider"]
    register = program["register"].copy()
    register.columns = [
        "Patient ID",
        "Consent Date",
        "Care Plan Date",
        "Billing Practitioner",
        "Complex",
        "Disenrollment Date",
        "Last Initiating Visit",
    ]
    paths = {
        "time_log": folder / "time.csv",
        "claims": folder / "claims.csv",
        "register": folder / "register.csv",
    }
    time.to_csv(paths["time_log"], index=False)
    claims.to_csv(paths["claims"], index=False)
    register.to_csv(paths["register"], index=False)
    return paths


def _units(minutes: float, first: int, step: int, cap: int | None = None) -> tuple[int, int]:
    if minutes < first:
        return 0, 0
    addon = int((minutes - first) // step)
    return 1, addon if cap is None else min(addon, cap)


def reference(program: dict[str, pd.DataFrame]) -> dict:
    """The audit, one patient-month at a time (deliberately not the package's code)."""
    register = {r.patient_id: r for r in program["register"].itertuples(index=False)}
    time: dict = defaultdict(list)
    for r in program["time_log"].itertuples(index=False):
        time[(r.patient_id, r.date.strftime("%Y-%m"))].append(r)
    claims: dict = defaultdict(list)
    for r in program["claims"].itertuples(index=False):
        if r.code in CCM + PCM + APCM:
            claims[(r.patient_id, r.date.strftime("%Y-%m"))].append(r)
    counts = defaultdict(int)
    dollars = defaultdict(int)
    patients = set()
    for key in sorted(set(time) | set(claims)):
        patient, month = key
        patients.add(patient)
        period = pd.Period(month, freq="M")
        first_day, last_day = period.start_time, period.end_time.normalize()
        reg = register.get(patient)
        consent = reg.consent_date if reg is not None else pd.NaT
        minutes = defaultdict(float)
        for r in time[key]:
            counts_toward = reg is not None and pd.notna(consent) and r.date >= consent
            if r.program in ("CCM", "PCM") and counts_toward:
                practitioner = r.credential in ("MD", "DO", "NP", "PA")
                minutes[(r.program, "prac" if practitioner else "staff")] += r.minutes
        staff = minutes[("CCM", "staff")] + minutes[("CCM", "prac")]
        prac = minutes[("CCM", "prac")]
        pcm_staff = minutes[("PCM", "staff")] + minutes[("PCM", "prac")]
        pcm_prac = minutes[("PCM", "prac")]
        is_complex = reg is not None and reg.complex == "Y"
        supported = {}
        supported["99490"], supported["99439"] = _units(staff, 20, 20, 2)
        supported["99487"], supported["99489"] = _units(staff, 60, 30) if is_complex else (0, 0)
        supported["99491"], supported["99437"] = _units(prac, 30, 30)
        supported["99426"], supported["99427"] = _units(pcm_staff, 30, 30)
        supported["99424"], supported["99425"] = _units(pcm_prac, 30, 30)
        billed = defaultdict(int)
        for r in claims[key]:
            billed[r.code] += r.units
        billed_lanes = {LANE[c] for c in billed if c in LANE and billed[c]}
        if billed_lanes:
            audited = billed_lanes
        else:
            worth = defaultdict(int)
            for code, lane in LANE.items():
                worth[lane] += supported[code] * RATE[code]
            best = max(worth, key=lambda lane: (worth[lane], -list(worth).index(lane)))
            audited = {best} if worth[best] > 0 else set()
        in_lane = {c: (supported[c] if LANE[c] in audited else 0) for c in LANE}
        consented = pd.notna(consent) and consent <= last_day
        care_plan = (
            reg is not None and pd.notna(reg.care_plan_date) and reg.care_plan_date <= last_day
        )
        disenrolled = (
            reg is not None
            and pd.notna(reg.disenrolment_date)
            and reg.disenrolment_date < first_day
        )
        by_practitioner = defaultdict(set)
        for r in claims[key]:
            kind = "ccm" if r.code in CCM else "pcm" if r.code in PCM else "apcm"
            by_practitioner[r.practitioner].add(kind)
        ccm_lanes = {LANE[c] for c in billed if c in CCM and billed[c]}
        conflict = (
            any({"ccm", "pcm"} <= kinds for kinds in by_practitioner.values())
            or any("apcm" in k and ({"ccm", "pcm"} & k) for k in by_practitioner.values())
            or sum("ccm" in k for k in by_practitioner.values()) >= 2
            or len(ccm_lanes) >= 2
        )
        billed_care = any(billed[c] for c in CCM + PCM)
        billed_ccm = any(billed[c] for c in CCM)
        excess = sum(max(0, billed[c] - supported[c]) * RATE[c] for c in LANE)
        missing = sum(max(0, in_lane[c] - billed[c]) * RATE[c] for c in LANE)
        allowed = consented and care_plan and not disenrolled and not conflict
        found = {
            "unsupported_claims": any(billed[c] > supported[c] for c in LANE),
            "missed_billing": allowed and missing > 0,
            "near_threshold": consented
            and not disenrolled
            and not billed_care
            and not any(supported.values())
            and 15 <= staff < 20,
            "no_consent": billed_care and not consented,
            "no_care_plan": billed_ccm and not care_plan,
            "conflicts": conflict,
            "billed_after_disenrolment": bool(claims[key]) and disenrolled,
        }
        visit = reg.initiating_visit_date if reg is not None else pd.NaT
        visit_ok = (
            pd.notna(visit)
            and pd.notna(consent)
            and consent - pd.DateOffset(months=12) <= visit <= consent
        )
        found["no_initiating_visit"] = billed_ccm and not visit_ok
        for name, hit in found.items():
            counts[name] += bool(hit)
        billed_usd = sum(billed[c] * RATE[c] for c in LANE)
        dollars["billed"] += billed_usd
        dollars["supported"] += sum(in_lane[c] * RATE[c] for c in LANE) if allowed else 0
        dollars["missed"] += missing if found["missed_billing"] else 0
        hard = any(
            found[n]
            for n in ("no_consent", "no_care_plan", "conflicts", "billed_after_disenrolment")
        )
        dollars["at_risk"] += billed_usd if hard else (excess if found["unsupported_claims"] else 0)
    return {
        "patients": len(patients),
        "patient_months": len(set(time) | set(claims)),
        "findings": dict(counts),
        "dollars": {k: round(v / 100, 2) for k, v in dollars.items()},
    }


def test_the_program_has_every_kind_of_problem(program):
    expected = reference(program)
    assert expected["patients"] > 300
    assert all(n > 0 for n in expected["findings"].values()), expected["findings"]


def test_audit_json_counts_equal_the_independent_count(program, files):
    result = audit(
        AuditOptions(time_log=files["time_log"], claims=files["claims"], register=files["register"])
    )
    expected = reference(program)
    led = result.ledger
    assert led["months"] == MONTHS
    assert led["patients"] == expected["patients"]
    assert led["patient_months"] == expected["patient_months"]
    assert led["findings"] == expected["findings"]
    assert led["dollars"] == expected["dollars"]
    assert sum(b["patient_months"] for b in led["by_month"].values()) == led["patient_months"]
    for name, total in led["findings"].items():
        assert sum(b["findings"][name] for b in led["by_month"].values()) == total


def test_every_row_is_accounted_for(program, files):
    result = audit(
        AuditOptions(time_log=files["time_log"], claims=files["claims"], register=files["register"])
    )
    time = result.inputs["time_log"].counts()
    assert time["rows_read"] == len(program["time_log"]) + 1  # the header row
    assert time["rows_used"] == len(program["time_log"])
    claims = result.inputs["claims"]
    visits = int(program["claims"]["code"].eq("99214").sum())
    assert claims.counts()["rows_skipped"] == visits + 1
    reasons = claims.ledger.loc[claims.ledger["status"].eq("skipped"), "reason"]
    assert reasons.str.startswith("not a care-management code").sum() == visits


def test_one_month_only(program, files):
    result = audit(
        AuditOptions(
            time_log=files["time_log"],
            claims=files["claims"],
            register=files["register"],
            months=("2026-10",),
        )
    )
    assert result.ledger["months"] == ["2026-10"]
    ledger = result.inputs["time_log"].ledger
    september = program["time_log"]["date"].dt.strftime("%Y-%m").eq("2026-09").sum()
    assert (ledger["reason"] == "outside the audited months").sum() == september


def test_outputs_are_written_and_only_exceptions_hold_ids(program, files, tmp_path):
    out = tmp_path / "audit"
    written = run_audit(
        AuditOptions(
            time_log=files["time_log"],
            claims=files["claims"],
            register=files["register"],
            out=out,
            formats=("html",),
        )
    )
    assert set(written) == {"audit.json", "audit.html", "audit_workbook.xlsx", "exceptions.xlsx"}
    assert (out / "exceptions.xlsx").stat().st_mode & 0o777 == 0o600
    data = json.loads((out / "audit.json").read_text())
    assert data["schema_version"] == 1 and data["not_assessed"] == []
    exceptions = pd.read_excel(out / "exceptions.xlsx", header=1, dtype=str, engine="openpyxl")
    # audit.json is published: counts of 1-10 (and their complements) are null and listed
    hidden = [k for k, v in data["findings"].items() if v is None]
    assert all(f"findings.{k}" in data["suppressed"] for k in hidden)
    shown = [k for k in data["findings"] if k not in hidden]
    assert len(exceptions) >= sum(data["findings"][k] for k in shown) > 0
    html = (out / "audit.html").read_text()
    import zipfile

    with zipfile.ZipFile(out / "audit_workbook.xlsx") as book:
        workbook_text = "".join(book.read(n).decode("utf-8", "ignore") for n in book.namelist())
    ids = set(program["time_log"]["patient_id"]) | set(program["claims"]["patient_id"])
    assert not [i for i in ids if i in html or i in workbook_text]
    assert all(i in ids for i in exceptions["Patient ID"])


def test_an_out_where_an_output_would_replace_an_input_is_refused(files, tmp_path):
    """Issue 24: publishing renames over `--out/<name>`; an input there (or linked there) would
    be destroyed. Nothing is staged in --out either (the staging folder is private)."""
    from ccm_assess.audit.inputs import AuditInputError

    out = tmp_path / "audit"
    out.mkdir()
    (out / "audit.json").symlink_to(files["claims"])
    options = AuditOptions(time_log=files["time_log"], claims=files["claims"], out=out)
    with pytest.raises(AuditInputError, match="would overwrite the input file claims"):
        run_audit(options)
    assert (out / "audit.json").resolve() == files["claims"].resolve()
    assert sorted(p.name for p in out.iterdir()) == ["audit.json"]
