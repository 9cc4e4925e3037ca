"""Seeded export shapes that real practices hand over (issue 25), each with its own truth.

Every generator draws a small practice (`patients`: a few hundred), writes it the way one kind
of export does, and returns the file and a `Truth` computed from the drawn patients, never from
the reader: which patients exist, which are excluded, how many have two or more chronic
categories (the categories come from `CODES`, a hand-made table), each patient's latest visit.
The audit shape (`write_platform_audit`) returns the findings and dollars worked out from the
planted patient-months by hand rules (one 99490/99439 lane, clinical staff only).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "diabetes": (("E11.9", "Type 2 diabetes mellitus without complications"),
                 ("E11.65", "Type 2 diabetes mellitus with hyperglycemia")),
    "hypertension": (("I10", "Essential (primary) hypertension"),),
    "ckd": (("N18.31", "Chronic kidney disease, stage 3a"), ("N18.4", "CKD stage 4")),
    "copd": (("J44.9", "Chronic obstructive pulmonary disease, unspecified"),),
    "depression": (("F32.9", "Major depressive disorder, single episode, unspecified"),),
    "hyperlipidemia": (("E78.5", "Hyperlipidemia, unspecified"),),
    "osteoarthritis": (("M17.0", "Bilateral primary osteoarthritis of knee"),),
    "afib": (("I48.91", "Unspecified atrial fibrillation"),),
    "hypothyroidism": (("E03.9", "Hypothyroidism, unspecified"),),
}  # fmt: skip
"""Chronic categories and codes (ICD-10-CM, dotted) with descriptions, for drawing problems.
Each category is one chronic condition of the kit's catalog, none an Excludes1 pair."""
NOT_CHRONIC = (("Z00.00", "Encounter for general adult medical examination"),
               ("J06.9", "Acute upper respiratory infection, unspecified"))  # fmt: skip
AS_OF = pd.Timestamp("2026-11-20")
PAYERS = ("Medicare Part B", "Humana Gold Plus", "Medicaid", "Blue Cross PPO")
FIRST = ("Ana", "Luis", "Maria", "John", "Grace", "Omar", "Ruth", "Peter", "Lena", "Tom")
LAST = ("Garcia", "Smith", "Nguyen", "Brown", "Lopez", "Khan", "Miller", "Diaz", "Reyes", "Cole")


@dataclass(frozen=True)
class Truth:
    """What a correct reading of the file gives."""

    patients: int
    excluded: int
    eligible: int
    """Analysed (not excluded) patients with two or more chronic categories."""
    last_visit: dict[str, pd.Timestamp] = field(default_factory=dict)
    rows_used: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    """Skipped rows by kind of row (`page`, `title`, `header`, `total`, `blank`)."""
    text_code_cells: int | None = None
    unreadable_flags: int = 0


def draw_patients(patients: int, seed: int) -> pd.DataFrame:
    """One row per patient: `mrn`, `name`, `dob`, `payer`, `categories` (tuple), `codes`
    (tuple of (code, description)), `visits` (tuple of dates, unsorted), `deceased`,
    `hospice`."""
    rng = np.random.default_rng(seed)
    names = list(CODES)
    rows = []
    for i in range(patients):
        count = int(rng.choice([0, 1, 2, 3, 4], p=[0.15, 0.3, 0.3, 0.15, 0.1]))
        categories = tuple(sorted(rng.choice(names, size=count, replace=False)))
        codes = [CODES[c][int(rng.integers(len(CODES[c])))] for c in categories]
        if rng.random() < 0.3:
            codes.append(NOT_CHRONIC[int(rng.integers(2))])
        visits = tuple(
            AS_OF - pd.Timedelta(days=int(d))
            for d in rng.integers(5, 700, size=int(rng.integers(1, 4)))
        )
        rows.append(
            {
                "mrn": f"{204100 + 37 * i}",
                "name": f"{LAST[i % 10]}, {FIRST[(i // 10) % 10]}",
                "dob": pd.Timestamp("1936-01-01") + pd.Timedelta(days=int(rng.integers(0, 9000))),
                "payer": PAYERS[int(rng.integers(len(PAYERS)))],
                "categories": categories,
                "codes": tuple(codes) or (NOT_CHRONIC[0],),
                "visits": visits,
                "deceased": bool(rng.random() < 0.05),
                "hospice": bool(rng.random() < 0.04),
            }
        )
    return pd.DataFrame(rows)


def truth_of(people: pd.DataFrame, **extra: Any) -> Truth:
    """Counts from the drawn patients (docs/eligibility.md: excluded when deceased or in
    hospice; eligible with two or more categories)."""
    excluded = people["deceased"] | people["hospice"]
    chronic = people["categories"].map(len)
    return Truth(
        patients=len(people),
        excluded=int(excluded.sum()),
        eligible=int((~excluded & chronic.ge(2)).sum()),
        last_visit={m: max(v) for m, v in zip(people["mrn"], people["visits"], strict=True)},
        **extra,
    )


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def _us(date: pd.Timestamp) -> str:
    return f"{date.month:02d}/{date.day:02d}/{date.year}"


# --- 1. claim lines ----------------------------------------------------------------------------


def write_claim_lines(folder: Path, patients: int = 300, seed: int = 11) -> tuple[Path, Truth]:
    """One row per claim line (837-like billing export): claim number, line, the patient's
    member number under a header no alias knows, DOS, place of service `11` on every row, payer
    id and name, DX1..DX12 (the claim's codes, repeated on each of its lines), CPT, rendering
    NPI. Rows sorted by patient then date (the first row of a patient is its EARLIEST visit)."""
    people = draw_patients(patients, seed)
    header = ["Claim No", "Line", "Member Nbr", "Pat Last", "Pat First", "Pat DOB", "DOS From",
              "POS", "Payer ID", "Payer Name", *[f"DX{k}" for k in range(1, 13)], "CPT",
              "Units", "Rendering NPI"]  # fmt: skip
    payer_id = {p: f"{i + 1:05d}" for i, p in enumerate(PAYERS)}
    rows: list[list[object]] = [header]
    claim = 500000
    for person in people.itertuples():
        last, first = person.name.split(", ")
        for visit in sorted(person.visits):
            claim += 1
            dx = [c.replace(".", "") for c, _ in person.codes][:12]
            for line, cpt in enumerate(("99214", "36415")[: 1 + claim % 2], start=1):
                rows.append(
                    [
                        claim,
                        line,
                        f"M{person.mrn}",
                        last,
                        first,
                        _us(person.dob),
                        _us(visit),
                        "11",
                        payer_id[person.payer],
                        person.payer,
                        *dx,
                        *[""] * (12 - len(dx)),
                        cpt,
                        1,
                        "1234567893" if claim % 3 else "1987654321",
                    ]  # fmt: skip
                )
    flagged = people.assign(deceased=False, hospice=False)  # no flag columns in a claims file
    truth = truth_of(flagged, rows_used=len(rows) - 1)
    truth.last_visit.clear()
    visits = zip(people["mrn"], people["visits"], strict=True)
    truth.last_visit.update({f"M{m}": max(v) for m, v in visits})
    return write_csv(folder / "claim_lines.csv", rows), truth


# --- 2. grouped report --------------------------------------------------------------------------

GROUPED_TITLE = ["Problem List by Patient"]
GROUPED_HEADER = ["MRN", "Patient Name", "DOB", "Primary Insurance", "Diagnosis Code",
                  "Description"]  # fmt: skip
PAGE_ROWS = 40


def write_grouped_report(folder: Path, patients: int = 300, seed: int = 12) -> tuple[Path, Truth]:
    """A printed report saved as a workbook: title rows, then patient blocks whose fields are
    printed on the block's first row only (the other rows: a code and its description), a
    `Page n` row and the header again every `PAGE_ROWS` rows, a subtotal row after each
    block, and a total row at the end."""
    people = draw_patients(patients, seed)
    rows: list[list[object]] = [GROUPED_TITLE, ["Run date: 11/20/2026"], [], GROUPED_HEADER]
    skipped = {"title": 2, "blank": 1, "header": 1, "page": 0, "total": 0}
    used = 0
    page = 1
    for person in people.itertuples():
        for k, (code, text) in enumerate(person.codes):
            fields = (
                [person.mrn, person.name, _us(person.dob), person.payer] if k == 0 else [""] * 4
            )
            rows.append([*fields, code, text])
            used += 1
            if used % PAGE_ROWS == 0:
                page += 1
                rows += [[f"Page {page - 1}"], GROUPED_HEADER]
                skipped["page"] += 1
                skipped["header"] += 1
        rows.append(["", f"Subtotal: {len(person.codes)} problems"])
        skipped["total"] += 1
    rows.append([f"Total patients: {patients}"])
    skipped["total"] += 1
    truth = truth_of(people.assign(deceased=False, hospice=False), rows_used=used, skipped=skipped)
    return write_xlsx(folder / "grouped_report.xlsx", rows), truth


# --- 3. problems written in one cell ----------------------------------------------------------


IN_TEXT_STYLES = (1, 2, 4)
"""Styles of `problem_cell` whose codes sit inside prose: after a label (`ICD-10-CM:`), after a
list number, after `Dx:` followed by more text; the others are `description (code)` forms."""


def problem_cell(codes: Sequence[tuple[str, str]], style: int) -> str:
    """Several problems in one cell, as problem-list exports write them (`style` picks one)."""
    if style == 0:
        return "; ".join(f"{text} ({code})" for code, text in codes)
    if style == 1:
        return " ".join(f"{text} (ICD-10-CM: {code})." for code, text in codes)
    if style == 2:
        return "\n".join(f"{k}. {code} - {text}" for k, (code, text) in enumerate(codes, 1))
    if style == 3:
        return ", ".join(f"{text} [{code.replace('.', '')}]" for code, text in codes)
    return " | ".join(f"Dx: {code} {text}, on metformin 500 mg" for code, text in codes)


def write_problem_cells(folder: Path, patients: int = 300, seed: int = 13) -> tuple[Path, Truth]:
    """One row per patient, every problem in one `Problem List` cell in one of five written
    forms (`problem_cell`), with numbers that only look like codes (list numbers, `500 mg`,
    `stage 3a`) around them."""
    people = draw_patients(patients, seed)
    rows: list[list[object]] = [["Patient ID", "Name", "DOB", "Insurance", "Problem List"]]
    for i, person in enumerate(people.itertuples()):
        rows.append([person.mrn, person.name, _us(person.dob), person.payer,
                     problem_cell(person.codes, i % 5)])  # fmt: skip
    in_text = sum(i % 5 in IN_TEXT_STYLES for i in range(patients))
    truth = truth_of(people.assign(deceased=False, hospice=False), rows_used=patients,
                     text_code_cells=in_text)  # fmt: skip
    return write_csv(folder / "problem_cells.csv", rows), truth


# --- 4. Spanish flags, abbreviated expired header, title rows ---------------------------------

SPANISH_YES = ("Sí", "Si", "SI", "verdadero", "sí")
SPANISH_NO = ("No", "NO", "falso", "no")


def write_spanish_flags(
    folder: Path, patients: int = 300, seed: int = 14, header: str = "Exp"
) -> tuple[Path, Truth]:
    """A clinic's panel with title and filter rows above the header (as wide as a patient row;
    one names as many known roles as the header: `Provider`, `Location`, `PCP`, `Insurance`),
    headers mostly in Spanish (the id, payer and last visit found by content), yes/no flags
    written in Spanish, the deceased flag headed `Exp` (`header`), and a few flag cells nobody
    can read (`?`)."""
    people = draw_patients(patients, seed)
    rows: list[list[object]] = [
        ["Clinica Familiar del Valle - Pacientes activos"],
        ["Fecha", "11/20/2026", "Usuario", "admin01", "Activo", "Sí", "", ""],
        ["Provider", "Todos", "Location", "Principal", "PCP", "Todos", "Insurance", "Todos"],
        [],
        ["Expediente", "Nombre", "DOB", "Seguro", "Dx Codes", header, "Hospice", "Ultima Visita"],
    ]
    unreadable = 0
    for i, person in enumerate(people.itertuples()):
        yes, no = SPANISH_YES[i % 5], SPANISH_NO[i % 4]
        dead = yes if person.deceased else no
        if i % 97 == 5 and not person.deceased:
            dead, unreadable = "?", unreadable + 1
        codes = "; ".join(c for c, _ in person.codes)
        rows.append([person.mrn, person.name, _us(person.dob), person.payer, codes, dead,
                     yes if person.hospice else no, _us(max(person.visits))])  # fmt: skip
    truth = truth_of(people, rows_used=patients, unreadable_flags=unreadable,
                     skipped={"title": 4, "header": 1})  # fmt: skip
    return write_xlsx(folder / "spanish_flags.xlsx", rows), truth
