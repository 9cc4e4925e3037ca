"""Export-shape generators: one practice (`PATIENTS`) written the ways EHR report writers and
billing systems write it, for `test_export_shapes.py`.

Each generator writes a file and returns it; `expected()` gives the counts any correct reader
must find, worked from `PATIENTS` alone (not by the reader). Headers are modelled on the
report writers of the large EHRs (Epic Reporting Workbench, athenaOne, eClinicalWorks,
NextGen) and on practice-management/billing exports; most code and id headers are ones the
alias table does not list, so the reader must find them by what the cells hold. `corrupt=True`
writes the same export with every code mangled (what a broken export or a wrong column gives):
a reader must then fail loudly, never return a panel with fewer codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from test_panel import write_xlsx

CODES: dict[str, str] = {
    "E11.9": "Type 2 diabetes mellitus without complications",
    "I10": "Essential (primary) hypertension",
    "N18.30": "Chronic kidney disease, stage 3 unspecified",
    "J44.9": "Chronic obstructive pulmonary disease, unspecified",
    "F32.9": "Major depressive disorder, single episode, unspecified",
    "E78.5": "Hyperlipidemia, unspecified",
    "I25.10": "Atherosclerotic heart disease of native coronary artery",
    "E66.9": "Obesity, unspecified",
    "M17.11": "Unilateral primary osteoarthritis, right knee",
    "G47.33": "Obstructive sleep apnea",
    "I48.91": "Unspecified atrial fibrillation",
    "K21.9": "Gastro-esophageal reflux disease without esophagitis",
    "E03.9": "Hypothyroidism, unspecified",
    "J45.909": "Unspecified asthma, uncomplicated",
    "I50.9": "Heart failure, unspecified",
    "N40.0": "Benign prostatic hyperplasia without lower urinary tract symptoms",
    "M81.0": "Age-related osteoporosis without current pathological fracture",
    "F41.1": "Generalized anxiety disorder",
    "E55.9": "Vitamin D deficiency, unspecified",
}
"""Real ICD-10-CM codes (all in the CMS code set) with their descriptions."""
_CODE_LIST = list(CODES)
_PAYERS = ["Medicare Part B", "Humana Gold Plus", "Aetna PPO", "Medicaid", "Self Pay",
           "BCBS of Texas", "UHC Medicare Complete", "Original Medicare"]  # fmt: skip
_TODAY = dt.date.today()


@dataclass(frozen=True)
class Patient:
    number: int
    last: str
    first: str
    birth: dt.date
    sex: str
    payer: str
    last_visit: dt.date
    codes: tuple[str, ...]
    """Dotted codes as the chart lists them; one code appears twice for some patients."""


def _patients(n: int = 36) -> tuple[Patient, ...]:
    """A deterministic practice: 1 to 7 codes each (patient 5k+2 has a repeated code)."""
    people = []
    for i in range(n):
        k = 1 + (i * 5) % 7
        codes = tuple(_CODE_LIST[(i * 3 + j * 7) % len(_CODE_LIST)] for j in range(k))
        if i % 5 == 2:
            codes = (*codes, codes[0])
        people.append(
            Patient(
                number=40_000 + 37 * i,
                last=f"Lastname{chr(65 + i % 26)}{i}",
                first=f"First{i}",
                birth=dt.date(1930 + (i * 7) % 55, 1 + i % 12, 1 + (i * 3) % 28),
                sex="Female" if i % 2 else "Male",
                payer=_PAYERS[i % len(_PAYERS)],
                last_visit=_TODAY - dt.timedelta(days=10 + (i * 23) % 600),
                codes=codes,
            )
        )
    return tuple(people)


PATIENTS = _patients()


def expected() -> dict[str, int]:
    """Counts worked from `PATIENTS`: patients, distinct (patient, code) pairs, distinct codes."""
    pairs = {(p.number, c) for p in PATIENTS for c in p.codes}
    return {
        "patients": len(PATIENTS),
        "pairs": len(pairs),
        "codes": len({c for _, c in pairs}),
    }


def _mangle(code: str) -> str:
    """A code made unusable, as a broken export writes it: letters swapped for digits."""
    return "X" + code.replace(".", "").translate(str.maketrans("0123456789", "QRSTUVWYZK"))


def _code(code: str, corrupt: bool) -> str:
    return _mangle(code) if corrupt else code


def _us(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")


def _csv(path: Path, rows: list[list[object]], sep: str = ",") -> Path:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return f'"{text}"' if any(c in text for c in (sep, '"', "\n")) else text

    path.write_text("\n".join(sep.join(cell(v) for v in row) for row in rows) + "\n", "utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Shapes


def epic_problem_list(folder: Path, corrupt: bool = False) -> Path:
    """Epic Reporting Workbench style: title block, one row per problem, code header unknown."""
    rows: list[list[object]] = [
        ["Reporting Workbench: Active Problem List"],
        ["Report run by: CLINIC ADMIN", None, None, f"Run date: {_us(_TODAY)}"],
        [],
        ["MRN", "Patient", "Birth Date", "Legal Sex", "Coverage", "Problem List Diagnosis",
         "Diagnosis ICD-10-CM Code(s)", "Noted Date"],
    ]  # fmt: skip
    for p in PATIENTS:
        for j, code in enumerate(p.codes):
            noted = _TODAY - dt.timedelta(days=400 + 300 * j + p.number % 900)
            rows.append([f"E{p.number}", f"{p.last}, {p.first}", _us(p.birth), p.sex, p.payer,
                         CODES[code], _code(code, corrupt), _us(noted)])  # fmt: skip
    rows += [[], ["Total rows: " + str(sum(len(p.codes) for p in PATIENTS))]]
    return _csv(folder / "epic_problem_list.csv", rows)


def athena_numbered_overflow(folder: Path, corrupt: bool = False) -> Path:
    """athenaOne style: one row per patient, `Dx 1`..`Dx 4` and the rest in an overflow list."""
    rows: list[list[object]] = [
        ["Patient ID", "Patient Last Name", "Patient First Name", "Patient DOB", "Patient Sex",
         "Primary Insurance", "Last Appt", "Dx 1", "Dx 2", "Dx 3", "Dx 4", "More Dx"],
    ]  # fmt: skip
    for p in PATIENTS:
        codes = [_code(c, corrupt) for c in p.codes]
        numbered = (codes[:4] + [None] * 4)[:4]
        rows.append([p.number, p.last, p.first, _us(p.birth), p.sex[0], p.payer,
                     _us(p.last_visit), *numbered, "; ".join(codes[4:]) or None])  # fmt: skip
    return _csv(folder / "athena_numbered_overflow.csv", rows)


def ecw_codes_in_one_cell(folder: Path, corrupt: bool = False) -> Path:
    """eClinicalWorks style workbook: account number, codes comma-separated in one cell."""
    rows: list[list[object]] = [
        ["eClinicalWorks - Patient Listing Report"],
        [f"Facility: ALL   Printed: {_us(_TODAY)}"],
        [],
        ["Acct No", "Patient Name", "DOB", "Gender", "Ins Name", "Last Appt Date",
         "Assessment Codes"],
    ]  # fmt: skip
    for p in PATIENTS:
        rows.append([f"{p.number}", f"{p.last}, {p.first}", p.birth, p.sex, p.payer,
                     p.last_visit, ", ".join(_code(c, corrupt) for c in p.codes)])  # fmt: skip
    return write_xlsx(folder / "ecw_codes_in_one_cell.xlsx", {"Report": rows})


def nextgen_description_then_code(folder: Path, corrupt: bool = False) -> Path:
    """NextGen style: `Person Nbr`, one row per problem written `description (code)`."""
    rows: list[list[object]] = [
        ["Person Nbr", "Person Name", "Birthdate", "Payer Name", "Problem"],
    ]
    for p in PATIENTS:
        for code in p.codes:
            rows.append([f"{p.number:08d}", f"{p.first} {p.last}", _us(p.birth), p.payer,
                         f"{CODES[code]} ({_code(code, corrupt)})"])  # fmt: skip
    return _csv(folder / "nextgen_problems.csv", rows)


def billing_code_dash_description(folder: Path, corrupt: bool = False) -> Path:
    """Billing system claim-line export: `Acct #`, `code - description`, footer totals."""
    rows: list[list[object]] = [
        ["Claims Detail by Patient"],
        [],
        ["Acct #", "Guarantor", "Svc Date", "Ins Plan", "Claim Dx", "Charge"],
    ]
    for p in PATIENTS:
        for j, code in enumerate(p.codes):
            line = f"{_code(code, corrupt)} - {CODES[code]}"
            rows.append([f"{p.number}", f"{p.last}, {p.first}", _us(p.last_visit), p.payer,
                         line, f"{95 + 5 * j}.00"])  # fmt: skip
    rows += [[], ["Total claim lines:", sum(len(p.codes) for p in PATIENTS)], ["Page 1 of 1"]]
    return _csv(folder / "billing_claim_lines.csv", rows)


def undotted_lower_case_pipes(folder: Path, corrupt: bool = False) -> Path:
    """A home-grown export: id under an abbreviation, codes undotted, lower case, `|`-joined."""
    rows: list[list[object]] = [["pt_ref", "pt_dob", "plan", "dx_list"]]
    for p in PATIENTS:
        codes = "|".join(_code(c, corrupt).replace(".", "").lower() for c in p.codes)
        rows.append([f"P{p.number}", p.birth.isoformat(), p.payer, codes])
    return _csv(folder / "undotted_pipes.tsv", rows, sep="\t")


def odd_id_and_code_headers(folder: Path, corrupt: bool = False) -> Path:
    """Neither the id nor the code header is one the alias table lists; wide, one code a row."""
    rows: list[list[object]] = [
        ["Pt Acct Ref", "Name (Last, First)", "Birth", "Plan Desc", "Seen Last", "Cond 1",
         "Cond 2", "Cond 3", "Cond 4", "Cond 5", "Cond 6", "Cond 7", "Cond 8"],
    ]  # fmt: skip
    for p in PATIENTS:
        codes = ([_code(c, corrupt) for c in p.codes] + [None] * 8)[:8]
        rows.append([f"AC-{p.number}", f"{p.last}, {p.first}", _us(p.birth), p.payer,
                     _us(p.last_visit), *codes])  # fmt: skip
    return _csv(folder / "odd_headers.csv", rows)


def several_sheets(folder: Path, corrupt: bool = False) -> Path:
    """A workbook with a summary sheet before the patient table, whose codes header is unknown."""
    summary = [["Panel summary"], ["Patients", len(PATIENTS)], ["Report date", _us(_TODAY)]]
    rows: list[list[object]] = [
        ["Chronic Condition Panel"],
        [],
        ["Chart Number", "Patient Name", "DOB", "Primary Payer", "Conditions Coded"],
    ]
    for p in PATIENTS:
        cell = "\n".join(_code(c, corrupt) for c in p.codes)
        rows.append([p.number, f"{p.last}, {p.first}", p.birth, p.payer, cell])
    return write_xlsx(folder / "several_sheets.xlsx", {"Summary": summary, "Patients": rows})


def merged_header_over_code_columns(folder: Path, corrupt: bool = False) -> Path:
    """One `Diagnoses` header over eight code columns (a merged cell in the report writer)."""
    rows: list[list[object]] = [
        ["MRN", "DOB", "Primary Insurance", "Diagnoses", *[None] * 7],
    ]
    for p in PATIENTS:
        codes = ([_code(c, corrupt) for c in p.codes] + [None] * 8)[:8]
        rows.append([p.number, _us(p.birth), p.payer, *codes])
    return _csv(folder / "merged_header.csv", rows)


def visits_with_code_lists(folder: Path, corrupt: bool = False) -> Path:
    """Several rows per patient (visits), each with several codes in one cell."""
    rows: list[list[object]] = [["Enc Date", "Patient Acct", "Visit Dx Codes", "Rendering"]]
    for p in PATIENTS:
        codes = [_code(c, corrupt) for c in p.codes]
        halves = [codes[: (len(codes) + 1) // 2], codes[(len(codes) + 1) // 2 :]]
        for k, half in enumerate(h for h in halves if h):
            visit = p.last_visit - dt.timedelta(days=90 * k)
            rows.append([_us(visit), f"{p.number}", " ; ".join(half), "Smith, Ann MD"])
    return _csv(folder / "visits.csv", rows)


def wide_icd_numbered_with_descriptions(folder: Path, corrupt: bool = False) -> Path:
    """Numbered code columns each followed by its description column (`ICD10_1`, `Desc_1`)."""
    header: list[object] = ["Enterprise ID", "Sex", "DOB", "Financial Class"]
    for k in range(1, 9):
        header += [f"ICD10_{k}", f"Desc_{k}"]
    rows: list[list[object]] = [header]
    for p in PATIENTS:
        row: list[object] = [p.number, p.sex[0], _us(p.birth), p.payer]
        for k in range(8):
            code = p.codes[k] if k < len(p.codes) else None
            row += [_code(code, corrupt), CODES[code]] if code else [None, None]
        rows.append(row)
    return _csv(folder / "wide_with_descriptions.csv", rows)


def problem_list_tab_text(folder: Path, corrupt: bool = False) -> Path:
    """A `.txt` tab-delimited problem list with a title block and an unknown code header."""
    rows: list[list[object]] = [
        ["Patient Problem List"],
        ["Generated " + _us(_TODAY)],
        [],
        ["Patient Number", "Last", "First", "DOB", "Problem Code (ICD-10)", "Status"],
    ]
    for p in PATIENTS:
        for code in p.codes:
            rows.append([p.number, p.last, p.first, _us(p.birth), _code(code, corrupt), "Active"])
    return _csv(folder / "problem_list.txt", rows, sep="\t")


SHAPES: dict[str, Callable[..., Path]] = {
    f.__name__: f
    for f in (
        epic_problem_list,
        athena_numbered_overflow,
        ecw_codes_in_one_cell,
        nextgen_description_then_code,
        billing_code_dash_description,
        undotted_lower_case_pipes,
        odd_id_and_code_headers,
        several_sheets,
        merged_header_over_code_columns,
        visits_with_code_lists,
        wide_icd_numbered_with_descriptions,
        problem_list_tab_text,
    )
}
