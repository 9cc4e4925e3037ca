"""`ccm-assess templates DIR`: the documents a practice needs on day one of CCM.

The consent script, patient letter and care-plan outline are markdown in `data/starter_kit/`
(each names the CMS requirement it helps satisfy; docs/launch_plan.md); the monthly time log is
an Excel workbook written here, with the column names the monthly audit reads (time log and
register, spec of `ccm-assess audit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ccm_assess.reference import data_path


@dataclass(frozen=True)
class KitFile:
    """One file of the starter kit: its name, what it is for and the CMS requirement."""

    name: str
    purpose: str
    requirement: str


KIT: tuple[KitFile, ...] = (
    KitFile(
        "consent_script.md",
        "Consent script for offering CCM and recording consent",
        "Consent: the patient is told CCM is available, that cost sharing applies, that one "
        "practitioner bills CCM a month and that they may stop; consent recorded in the chart",
    ),
    KitFile(
        "patient_letter.md",
        "Letter to confirmed patients before the first call",
        "Supports consent (the same four points)",
    ),
    KitFile(
        "care_plan_outline.md",
        "Care plan template for the EHR",
        "Comprehensive care plan in a certified EHR, given to the patient, open to the team",
    ),
    KitFile(
        "monthly_time_log.xlsx",
        "Monthly time log, enrolment register and month-end summary",
        "Time thresholds (20 minutes of clinical staff time a month for the first code) and "
        "documented service after consent",
    ),
    KitFile("README.md", "What each file is for", "An index of the kit"),
)
TEXT_FILES = ("consent_script.md", "patient_letter.md", "care_plan_outline.md", "README.md")
LOG_COLUMNS = (
    ("Patient ID", 14),
    ("Date", 12),
    ("Minutes", 9),
    ("Staff member", 20),
    ("Credential", 12),
    ("Program", 10),
    ("Activity", 28),
    ("Interactive contact", 12),
    ("Note", 50),
)
REGISTER_COLUMNS = (
    ("Patient ID", 14),
    ("Consent date", 13),
    ("Care plan date", 13),
    ("Billing practitioner", 22),
    ("Complex", 9),
    ("Disenrolment date", 14),
    ("Last initiating visit", 14),
)
CREDENTIALS = ("RN", "LPN", "MA", "CMA", "MD", "DO", "NP", "PA", "CNS")
PROGRAMS = ("CCM", "PCM", "BHI", "APCM", "RPM")
ACTIVITIES = (
    "Phone call with patient",
    "Medication review",
    "Care plan update",
    "Coordination with specialist",
    "Post-discharge follow-up",
    "Community services referral",
    "Portal message",
)
LOG_ROWS = 2000  # rows prepared with drop-downs
HEADER = PatternFill("solid", fgColor="DDEBF7")


def _sheet(workbook: Workbook, title: str, columns: Sequence[tuple[str, int]]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append([name for name, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True), HEADER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


def _choices(sheet: object, column: str, values: Sequence[str]) -> None:
    rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    rule.add(f"{column}2:{column}{LOG_ROWS + 1}")
    sheet.data_validations.append(rule)  # type: ignore[attr-defined]


def time_log_workbook() -> Workbook:
    """Time log (one row per activity), register (one row per enrolled patient) and a
    month-end summary that adds the minutes per patient and says which first code they reach
    (20+ clinical staff minutes: 99490; docs/launch_plan.md)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "Time log", LOG_COLUMNS)
    log = workbook["Time log"]
    _choices(log, "E", CREDENTIALS)
    _choices(log, "F", PROGRAMS)
    _choices(log, "G", ACTIVITIES)
    _choices(log, "H", ("Yes", "No"))
    minutes = DataValidation(type="whole", operator="between", formula1="1", formula2="600")
    minutes.add(f"C2:C{LOG_ROWS + 1}")
    log.data_validations.append(minutes)
    for row in range(2, LOG_ROWS + 2):
        log.cell(row=row, column=2).number_format = "yyyy-mm-dd"
    _sheet(workbook, "Register", REGISTER_COLUMNS)
    _choices(workbook["Register"], "E", ("Y", "N"))
    _sheet(
        workbook,
        "Month summary",
        (("Patient ID", 14), ("Month (yyyy-mm)", 14), ("Minutes", 10), ("First code", 36)),
    )
    summary = workbook["Month summary"]
    for row in range(2, 302):
        summary.cell(row=row, column=3).value = (
            f'=IF(A{row}="","",SUMPRODUCT((\'Time log\'!$A$2:$A${LOG_ROWS + 1}=A{row})*'
            f"(TEXT('Time log'!$B$2:$B${LOG_ROWS + 1},\"yyyy-mm\")=B{row})*"
            f"'Time log'!$C$2:$C${LOG_ROWS + 1}))"
        )
        summary.cell(row=row, column=4).value = (
            f'=IF(C{row}="","",IF(C{row}>=20,"99490 reached (20+ minutes)",'
            f'"Below 20 minutes: not billable"))'
        )
    summary["F1"] = "Enter a patient ID and a month; minutes add up from the time log."
    summary["F2"] = "Check consent and the care plan in the register before billing."
    return workbook


def write_starter_kit(directory: Path, practice: str = "") -> list[Path]:
    """Write the kit's files directly into `directory` (created if needed); the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    name = practice.strip() or "your practice"
    written = []
    for file_name in TEXT_FILES:
        text = data_path(f"starter_kit/{file_name}").read_text(encoding="utf-8")
        target = directory / file_name
        target.write_text(text.replace("{practice}", name), encoding="utf-8")
        written.append(target)
    log = directory / "monthly_time_log.xlsx"
    time_log_workbook().save(log)
    written.append(log)
    return written
