"""The starter kit's time-log template, its month summary recomputed by a formula engine (pycel)
as a spreadsheet would: CCM minutes only, only from the consent date, the 99439/99487/99489
steps, and consent, care plan and disenrolment checked against the register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pycel import ExcelCompiler

from ccm_assess.outputs.starter_kit import SUMMARY_COLUMNS, time_log_workbook

D = dt.date
LOG = [  # patient, date, minutes, staff, credential, program
    ("P1", D(2026, 12, 3), 15, "Ann", "RN", "CCM"),
    ("P1", D(2026, 12, 9), 10, "Ann", "RN", "BHI"),  # BHI never counts toward CCM
    ("P1", D(2026, 12, 10), 30, "Ann", "RN", "RPM"),
    ("P2", D(2026, 12, 1), 10, "Ann", "RN", "CCM"),  # before consent (5 Dec): not counted
    ("P2", D(2026, 12, 20), 25, "Ann", "RN", None),  # blank program = CCM
    ("P2", D(2026, 12, 22), 30, "Dr X", "MD", "CCM"),  # the practitioner's minutes count too
    ("P3", D(2026, 12, 2), 50, "Bo", "LPN", "CCM"),
    ("P3", D(2026, 12, 30), 45, "Bo", "LPN", "CCM"),
    ("P3", D(2027, 1, 2), 20, "Bo", "LPN", "CCM"),  # January: not in the December row
    ("P4", D(2026, 12, 4), 40, "Ann", "RN", "CCM"),  # not in the register
    ("P5", D(2026, 12, 4), 20, "Ann", "RN", "CCM"),
    ("P6", D(2026, 12, 4), 20, "Ann", "RN", "CCM"),
]
REGISTER = [  # patient, consent, care plan, practitioner, complex, disenrolled
    ("P1", D(2026, 11, 1), D(2026, 11, 15), "Dr X", "N", None),
    ("P2", D(2026, 12, 5), D(2026, 12, 6), "Dr X", "Y", None),
    ("P3", D(2026, 10, 1), D(2026, 10, 2), "Dr X", "Y", None),
    ("P5", D(2026, 11, 1), D(2027, 1, 4), "Dr X", "N", None),  # care plan only in January
    ("P6", D(2026, 6, 1), D(2026, 6, 1), "Dr X", "N", D(2026, 11, 20)),
]
MONTHS = [("P1", "2026-12"), ("P2", "2026-12"), ("P3", "2026-12"), ("P4", "2026-12"),
          ("P5", "2026-12"), ("P6", "2026-12"), ("P3", D(2027, 1, 1))]  # fmt: skip


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Header -> value of each month-summary row, keyed `patient month`, as pycel computes."""
    book = time_log_workbook()
    for sheet, rows in (("Time log", LOG), ("Register", REGISTER), ("Month summary", MONTHS)):
        for i, row in enumerate(rows, start=2):
            for j, value in enumerate(row, start=1):
                book[sheet].cell(row=i, column=j).value = value
    path = Path(tmp_path_factory.mktemp("kit")) / "monthly_time_log.xlsx"
    book.save(path)
    engine = ExcelCompiler(filename=str(path))
    headers = [name for name, _ in SUMMARY_COLUMNS]
    out = {}
    for i, (patient, month) in enumerate(MONTHS, start=2):
        values = [engine.evaluate(f"Month summary!{chr(65 + j)}{i}") for j in range(len(headers))]
        key = f"{patient} {month if isinstance(month, str) else month.strftime('%Y-%m')}"
        out[key] = dict(zip(headers, values, strict=True))
    out["blank"] = {h: engine.evaluate(f"Month summary!{chr(65 + j)}{len(MONTHS) + 2}")
                    for j, h in enumerate(headers)}  # fmt: skip
    return out


def test_only_ccm_minutes_after_consent_count(summary) -> None:
    p1 = summary["P1 2026-12"]
    # 15 CCM + 10 BHI + 30 RPM: 15 CCM minutes, one call short of 99490 (not "99490 reached")
    assert (p1["CCM minutes counted"], p1["Other programs' minutes (not CCM)"]) == (15, 40)
    assert p1["Codes the CCM time supports"] == "Under 20 minutes: no code"
    assert p1["Minutes to the next code"] == 5
    assert p1["Bill?"] == "No: under 20 CCM minutes after consent"
    p2 = summary["P2 2026-12"]
    # 10 minutes on 1 Dec come before the consent of 5 Dec; 25 (blank program) + 30 count
    assert (p2["CCM minutes logged"], p2["Not counted: before consent"]) == (65, 10)
    assert p2["CCM minutes counted"] == 55
    assert p2["Codes the CCM time supports"] == "99490 + 1 x 99439"
    assert p2["Complex codes (if documented)"] == "Under 60 minutes: no 99487"
    assert p2["Minutes to the next code"] == 5
    assert p2["Bill?"].startswith("Yes")


def test_the_99439_99487_and_99489_steps(summary) -> None:
    p3 = summary["P3 2026-12"]
    assert p3["CCM minutes counted"] == 95  # the 2 January minutes stay out
    assert p3["Codes the CCM time supports"] == "99490 + 2 x 99439"  # at most two 99439
    assert p3["Complex codes (if documented)"] == "99487 + 1 x 99489"  # 60 + one full 30
    assert p3["Minutes to the next code"] == ""
    january = summary["P3 2027-01"]  # the month typed as a date works too
    assert january["CCM minutes counted"] == 20 and january["Codes the CCM time supports"] == (
        "99490"
    )


def test_consent_care_plan_and_disenrolment_come_from_the_register(summary) -> None:
    p4 = summary["P4 2026-12"]
    assert (p4["CCM minutes counted"], p4["Not counted: before consent"]) == (0, 40)
    assert p4["Bill?"] == "No: no consent in the register"
    assert summary["P5 2026-12"]["Bill?"] == "No: care plan dated after this month"
    assert summary["P6 2026-12"]["Bill?"] == "No: disenrolled before this month"
    assert summary["P1 2026-12"]["Complex codes (if documented)"] == (
        "Not flagged complex in the register"
    )
    assert set(summary["blank"].values()) <= {"", None}  # an unused row shows nothing
