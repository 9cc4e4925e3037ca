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
        "Time thresholds (20 minutes of clinical staff time a month for the first code; CCM "
        "minutes only) and documented service after consent",
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


SUMMARY_ROWS = 300
"""Patient-months prepared on the month summary."""
SUMMARY_COLUMNS = (
    ("Patient ID", 14),
    ("Month (yyyy-mm)", 12),
    ("Month starts", 12),
    ("Month ends", 12),
    ("Consent date", 12),
    ("Care plan date", 12),
    ("Complex", 9),
    ("Disenrolment date", 13),
    ("CCM minutes counted", 11),
    ("CCM minutes logged", 11),
    ("Not counted: before consent", 12),
    ("Other programs' minutes (not CCM)", 13),
    ("Codes the CCM time supports", 22),
    ("Complex codes (if documented)", 26),
    ("Minutes to the next code", 11),
    ("Bill?", 40),
)
"""The month summary's columns: the staff fill in A and B; the rest are formulas."""
_DATE = 'yyyy-mm-dd;;""'
"""Date format that leaves a zero (a blank register cell) blank."""


def _summary_formulas(row: int) -> dict[str, str]:
    """The month summary's formulas for one row (column letter -> formula): the register's
    dates looked up by patient; CCM minutes (program CCM or blank) of the month counted from
    the consent date on; BHI, PCM, RPM and APCM minutes kept apart (they never count toward
    CCM codes); the CCM time steps (docs/audit.md, Supported units); consent, care plan and
    disenrolment checked against the month."""
    log = {c: f"'Time log'!${c}$2:${c}${LOG_ROWS + 1}" for c in "ABCF"}
    reg = {c: f"Register!${c}$2:${c}${LOG_ROWS + 1}" for c in "ABCEF"}
    empty = f'OR(A{row}="",B{row}="")'

    def register(column: str) -> str:
        return f'=IF({empty},"",IFERROR(INDEX({reg[column]},MATCH(A{row},{reg["A"]},0)),""))'

    in_month = f"({log['A']}=A{row})*({log['B']}>=C{row})*({log['B']}<=D{row})"
    ccm = f'(({log["F"]}="CCM")+({log["F"]}=""))'
    minutes = f"I{row}"
    return {
        "C": f'=IF({empty},"",IF(ISNUMBER(B{row}),DATE(YEAR(B{row}),MONTH(B{row}),1),'
        f"DATE(VALUE(LEFT(B{row},4)),VALUE(RIGHT(B{row},2)),1)))",
        "D": f'=IF({empty},"",DATE(YEAR(C{row}),MONTH(C{row})+1,1)-1)',
        "E": register("B"),
        "F": register("C"),
        "G": register("E"),
        "H": register("F"),
        "I": f'=IF({empty},"",IF(N(E{row})=0,0,SUMPRODUCT({in_month}*({log["B"]}>=E{row})*'
        f"{ccm}*{log['C']})))",
        "J": f'=IF({empty},"",SUMPRODUCT({in_month}*{ccm}*{log["C"]}))',
        "K": f'=IF({empty},"",J{row}-I{row})',
        "L": f'=IF({empty},"",SUMPRODUCT({in_month}*(1-{ccm})*{log["C"]}))',
        "M": f'=IF({empty},"",IF({minutes}<20,"Under 20 minutes: no code",'
        f'IF({minutes}<40,"99490",IF({minutes}<60,"99490 + 1 x 99439","99490 + 2 x 99439"))))',
        "N": f'=IF({empty},"",IF(G{row}<>"Y","Not flagged complex in the register",'
        f'IF({minutes}<60,"Under 60 minutes: no 99487",IF({minutes}<90,"99487",'
        f'"99487 + "&INT(({minutes}-60)/30)&" x 99489"))))',
        "O": f'=IF({empty},"",IF({minutes}<20,20-{minutes},IF({minutes}<40,40-{minutes},'
        f'IF({minutes}<60,60-{minutes},""))))',
        "P": f'=IF({empty},"",IF(N(E{row})=0,"No: no consent in the register",'
        f'IF(E{row}>D{row},"No: consent dated after this month",'
        f'IF(N(F{row})=0,"No: no care plan in the register",'
        f'IF(F{row}>D{row},"No: care plan dated after this month",'
        f'IF(AND(N(H{row})>0,H{row}<C{row}),"No: disenrolled before this month",'
        f'IF({minutes}<20,"No: under 20 CCM minutes after consent",'
        f'"Yes: consent and care plan on file, time supports the code")))))))',
    }


def time_log_workbook() -> Workbook:
    """Time log (one row per activity), register (one row per enrolled patient) and a
    month-end summary per patient and month: the CCM minutes counted (program CCM or blank,
    on or after the consent date; other programs' minutes shown apart and never counted), the
    codes that time supports (99490 at 20 minutes, one 99439 per further full 20, at most two;
    99487 at 60 for a patient flagged complex, one 99489 per further full 30), the minutes to
    the next code, and whether the month can be billed (consent, care plan and disenrolment
    checked against the register; docs/audit.md, Per patient and calendar month)."""
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
    register = workbook["Register"]
    _choices(register, "E", ("Y", "N"))
    for row in range(2, LOG_ROWS + 2):
        for column in (2, 3, 6, 7):
            register.cell(row=row, column=column).number_format = "yyyy-mm-dd"
    _sheet(workbook, "Month summary", SUMMARY_COLUMNS)
    summary = workbook["Month summary"]
    summary.freeze_panes = "C2"
    for row in range(2, SUMMARY_ROWS + 2):
        summary.cell(row=row, column=2).number_format = "@"  # 2026-12 stays text
        for letter, formula in _summary_formulas(row).items():
            cell = summary[f"{letter}{row}"]
            cell.value = formula
            if letter in "CDEFH":
                cell.number_format = _DATE
    notes = (
        "Enter a patient ID and a month (yyyy-mm); everything else fills in from the time log "
        "and the register.",
        "Only CCM minutes (program CCM or blank) on or after the consent date count toward CCM "
        "codes; BHI, PCM, RPM and APCM minutes are billed under their own codes.",
        "Clinical staff minutes and the billing practitioner's own minutes both count here; "
        "99491 (30 minutes of the practitioner's own time) is not shown.",
        "One set of codes a month: the complex codes need moderate or high complexity medical "
        "decision making documented; bill whichever set the documentation supports.",
        "ccm-assess audit reads these three sheets and checks every month the same way.",
    )
    for offset, text in enumerate(notes):
        summary.cell(row=offset + 1, column=len(SUMMARY_COLUMNS) + 2).value = text
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
