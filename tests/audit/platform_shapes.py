"""A care-management platform's own exports for `ccm-assess audit` (issue 25), with the truth.

`write_platform_audit` writes, for one month (October 2026) and `patients` patients:
- a time log as a platform exports it: title rows, the patient's name under `Patient` and the
  MRN beside it, durations as `00:22:41`, `22m`, `1h 5m`, `0:25` (h:mm) or plain minutes;
- a remittance file: `Patient Name` and `Patient Account`, `Rendering NPI`, paid amounts, and
  reversals (a negative line with status `Reversal`, or a line with claim status `22` and a
  negative amount) that cancel the line they reverse, some re-billed;
- a consent register: MRN, name, consent signed, and the care plan's date under `Care Plan
  Shared` (or no care-plan column at all: `care_plan=False`).

Each patient is one planted case (`CASES`, by patient number); `expected` works out the
findings and billed units from the cases by the CMS time rules for the 99490/99439 lane
(docs/audit.md), independently of the audit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.intake.shapes import write_csv, write_xlsx

MONTH = "2026-10"
CASES = ("clean", "clean", "clean", "short", "missed", "near", "no_consent", "rebilled",
         "long", "no_care_plan", "clean", "clean", "clean", "short", "missed", "near",
         "no_consent", "reversed_only", "long", "no_care_plan")  # fmt: skip
"""Planted case of patient i: CASES[i % 20]."""
MINUTES = {"clean": 25, "short": 14, "missed": 45, "near": 17, "no_consent": 30,
           "rebilled": 25, "reversed_only": 25, "long": 65, "no_care_plan": 25}  # fmt: skip
BILLED = {"clean": (1, 0), "short": (1, 0), "missed": (1, 0), "near": (0, 0),
          "no_consent": (1, 0), "rebilled": (1, 0), "reversed_only": (0, 0), "long": (1, 2),
          "no_care_plan": (1, 0)}  # fmt: skip
"""Units of 99490 and 99439 that stand after reversals."""
LAST, FIRST = ("Garcia", "Smith", "Nguyen", "Brown", "Lopez"), ("Ana", "Luis", "Maria", "John")


@dataclass(frozen=True)
class AuditTruth:
    """Findings (patient-months) and units worked out from the planted cases."""

    patients: int
    findings: dict[str, int | None]
    units: dict[str, dict[str, int]]
    """`billed`, `supported` (allowed months only), `missed`, `at_risk`: code -> units."""
    time_rows: int
    claim_rows: int
    reversal_rows: int


def supported(minutes: float) -> tuple[int, int]:
    """99490 and 99439 units of a month's clinical staff minutes (20, then each further full
    20, at most two add-ons: docs/audit.md)."""
    if minutes < 20:
        return 0, 0
    return 1, min(2, int((minutes - 20) // 20))


def durations(minutes: int, i: int) -> list[str]:
    """A month's minutes as two time-log rows, in the platform's written forms (h:mm:ss,
    `22m`, h:mm, `1h 5m`, plain minutes); they add up to `minutes` exactly."""
    first = minutes // 2
    rest = minutes - first
    forms = [
        (f"00:{first:02d}:00", f"{rest}m"),
        (f"{first}m", f"0:{rest:02d}"),
        (f"{(minutes - 1) // 60}h {(minutes - 1) % 60}m", "1"),
        (f"00:{first - 1:02d}:30", f"00:{rest:02d}:30"),
    ]
    return list(forms[i % 4])


def expected(patients: int, care_plan: bool) -> AuditTruth:
    """The findings and units the cases plant (module docstring), by hand rules."""
    findings = dict.fromkeys(
        ("unsupported_claims", "missed_billing", "near_threshold", "no_consent", "no_care_plan",
         "conflicts", "billed_after_disenrolment"), 0)  # fmt: skip
    units = {k: {"99490": 0, "99439": 0} for k in ("billed", "supported", "missed", "at_risk")}
    for i in range(patients):
        case = CASES[i % 20]
        consented = case != "no_consent"
        has_plan = case != "no_care_plan" or not care_plan
        counted = MINUTES[case] if consented else 0
        s = supported(counted)
        b = BILLED[case]
        allowed = consented and has_plan
        billed_any = sum(b) > 0
        excess = [max(0, b[k] - s[k]) for k in (0, 1)]
        short = [max(0, s[k] - b[k]) for k in (0, 1)]
        hard = billed_any and (not consented or not has_plan)
        findings["unsupported_claims"] += sum(excess) > 0
        findings["missed_billing"] += allowed and sum(short) > 0
        findings["near_threshold"] += consented and not billed_any and 15 <= counted < 20
        findings["no_consent"] += billed_any and not consented
        findings["no_care_plan"] += billed_any and not has_plan
        for k, code in enumerate(("99490", "99439")):
            units["billed"][code] += b[k]
            units["supported"][code] += s[k] if allowed else 0
            units["missed"][code] += short[k] if allowed else 0
            units["at_risk"][code] += b[k] if hard else excess[k]
    if not care_plan:
        findings["no_care_plan"] = None
    findings["billed_after_disenrolment"] = None  # the register has no disenrolment column
    reversals = sum(CASES[i % 20] in ("rebilled", "reversed_only") for i in range(patients))
    claim_rows = sum(sum(BILLED[CASES[i % 20]]) > 0 for i in range(patients))
    claim_rows += sum(CASES[i % 20] == "long" for i in range(patients))  # 99439 x2 on one line
    return AuditTruth(patients, findings, units, 2 * patients, claim_rows, reversals)


def _name(i: int) -> str:
    return f"{LAST[i % 5]}, {FIRST[(i // 5) % 4]}"


def _mrn(i: int) -> str:
    return f"P{5000 + 13 * i}"


def write_platform_audit(
    folder: Path, patients: int = 200, *, care_plan: bool = True
) -> tuple[dict[str, Path], AuditTruth]:
    """The three exports (module docstring) and their truth."""
    time_rows: list[list[object]] = [
        ["CareSync Activity Export"],
        ["Generated 11/02/2026"],
        [],
        ["Patient", "MRN", "Activity Date", "Duration", "Staff", "Credential", "Program"],
    ]
    for i in range(patients):
        case = CASES[i % 20]
        for day, duration in zip((6, 20), durations(MINUTES[case], i), strict=True):
            time_rows.append([_name(i), _mrn(i), f"10/{day:02d}/2026", duration, "Dana Lee",
                              "RN", "CCM"])  # fmt: skip
    claims: list[list[object]] = [
        [
            "Patient Name",
            "Patient Account",
            "DOS",
            "CPT",
            "Units",
            "Rendering NPI",
            "Paid",
            "Claim Status",
        ]  # fmt: skip
    ]
    for i in range(patients):
        case = CASES[i % 20]
        line = [_name(i), _mrn(i), "10/31/2026"]
        if case in ("rebilled", "reversed_only"):
            claims.append([*line, "99490", 1, "1234567893", "42.17", "Paid"])
        if case == "rebilled":
            claims.append([*line, "99490", -1, "1234567893", "-42.17", "Reversal"])
            claims.append([*line, "99490", 1, "1234567893", "42.17", "Paid"])
        if case == "reversed_only":
            claims.append([*line, "99490", 1, "1234567893", "-42.17", "22"])
        if case not in ("rebilled", "reversed_only") and BILLED[case][0]:
            claims.append([*line, "99490", 1, "1234567893", "42.17", "Paid"])
        if BILLED[case][1]:
            claims.append([*line, "99439", BILLED[case][1], "1234567893", "64.00", "Paid"])
    header = ["MRN", "Patient Name", "Consent Signed", *(["Care Plan Shared"] * care_plan)]
    register: list[list[object]] = [header]
    for i in range(patients):
        case = CASES[i % 20]
        consent = "11/15/2026" if case == "no_consent" else "08/03/2026"
        plan = "" if case == "no_care_plan" else "08/10/2026"
        register.append([_mrn(i), _name(i), consent, *([plan] * care_plan)])
    paths = {
        "time_log": write_xlsx(folder / "activity_export.xlsx", time_rows),
        "claims": write_csv(folder / "remittance.csv", claims),
        "register": write_xlsx(folder / "consent_register.xlsx", register),
    }
    return paths, expected(patients, care_plan)
