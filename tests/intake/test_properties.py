"""Property tests (hypothesis) of the reader: any messy rendering of a panel reads like its clean
form, and every row of the file is accounted for exactly once.

A panel is a few patients (id, birth date, payer text, code entries from a pool of valid
ICD-10-CM, invalid and ICD-9 codes). It is written messily (wide, long, codes listed in one cell,
or several rows each listing codes; random title rows, footers, blank rows, repeated headers,
rows without an id, header aliases, column order, date and code spellings, delimiter; CSV or
xlsx) and cleanly (a tidy long CSV: MRN, DOB, Primary Insurance, ICD10, one row per code).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccm_assess.clinical.eligibility import assess_eligibility, summarise
from ccm_assess.intake.panel import Panel, read_panel

AS_OF = dt.date(2026, 11, 26)
VALID = {"E11.9": "Type 2 diabetes", "I10": "Essential hypertension", "J44.9": "COPD",
         "N18.30": "Chronic kidney disease", "F32.9": "Depression", "I50.9": "Heart failure",
         "E78.5": "Hyperlipidemia", "G30.9": "Alzheimer disease", "J06.9": "Acute URI"}  # fmt: skip
OTHER = ["DM2", "Diabetes", "250.00", "401.9"]  # invalid and ICD-9 entries: never analysed
PAYERS = ["Medicare", "Medicare Part B", "Humana Gold Plus", "Medicaid", "BCBS PPO", "Self Pay",
          "Acme Health Plan", ""]  # fmt: skip
ID_HEADERS = ["MRN", "Patient ID", "Acct #", "Chart Number", "Person Nbr", "mrn"]
DOB_HEADERS = ["DOB", "Date of Birth", "Birth Date", "Patient DOB"]
PAYER_HEADERS = ["Primary Insurance", "Primary Payer", "Ins 1", "Insurance Plan"]
CODE_HEADERS = ["ICD10", "Dx Code", "Problem Code", "Diagnosis Codes", "ICD-10 Code"]
NUMBERED = ["Dx", "Diagnosis ", "ICD10_"]
TITLES = ["Patient Panel Report", "Run date: 11/26/2026", None]
FOOTERS = ["Total patients: 12", "Page 1 of 1", "Confidential", "Printed by: front desk"]
NO_IDS = ["", "N/A", "unknown"]
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Patient:
    id: str
    birth: dt.date | None
    payer: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Rendered:
    rows: list[list[object]]
    """Rows as written, cells None when blank."""
    status: list[str]
    """Expected ledger status of each row."""


patients_strategy = st.lists(
    st.builds(
        Patient,
        id=st.from_regex(r"[A-Z]{0,2}[1-9][0-9]{2,5}", fullmatch=True),
        birth=st.none() | st.dates(dt.date(1930, 1, 1), dt.date(2000, 12, 31)),
        payer=st.sampled_from(PAYERS),
        codes=st.lists(st.sampled_from([*VALID, *OTHER]), max_size=4).map(tuple),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda p: p.id,
).filter(lambda ps: any(c in VALID for p in ps for c in p.codes))


def spell_code(draw: st.DrawFn, code: str) -> str:
    """A code as an export may write it (valid codes only; others as they are)."""
    if code not in VALID:
        return code
    forms = [code, code.replace(".", ""), code.lower(), f" {code} ", f"{code} - {VALID[code]}",
             f"{VALID[code]} ({code})"]  # fmt: skip
    return draw(st.sampled_from(forms))


def spell_date(draw: st.DrawFn, day: dt.date | None, excel: bool) -> object:
    if day is None:
        return None
    forms: list[object] = [
        day.isoformat(),
        day.strftime("%m/%d/%Y"),
        f"{day.month}/{day.day}/{day.year}",
        str((day - EXCEL_EPOCH).days),
    ]
    if excel:
        forms += [dt.datetime(day.year, day.month, day.day), (day - EXCEL_EPOCH).days]
    return draw(st.sampled_from(forms))


@st.composite
def messy(draw: st.DrawFn, patients: list[Patient], excel: bool) -> Rendered:
    """A messy rendering of `patients`: shape, headers, column order, extra rows."""
    shape = draw(st.sampled_from(["wide", "long", "list", "mixed"]))
    width = max(1, *(len(p.codes) for p in patients))
    dx_names = (
        [f"{draw(st.sampled_from(NUMBERED))}{i}" for i in range(1, width + 1)]
        if shape == "wide"
        else [draw(st.sampled_from(CODE_HEADERS))]
    )
    header = {"id": draw(st.sampled_from(ID_HEADERS)), "dob": draw(st.sampled_from(DOB_HEADERS)),
              "payer": draw(st.sampled_from(PAYER_HEADERS)), "notes": "Notes"}  # fmt: skip
    keys = draw(st.permutations(["id", "dob", "payer", "notes", "dx"]))
    separator = draw(st.sampled_from(["; ", ";", " | ", "\n", ", "]))

    def row(values: dict[str, object], codes: list[str]) -> list[object]:
        out: list[object] = []
        for key in keys:
            if key != "dx":
                out.append(values.get(key))
            elif shape == "wide":
                out += [*codes, *[None] * (width - len(codes))]
            else:
                out.append(separator.join(codes) or None)
        return out

    def fields(p: Patient) -> dict[str, object]:
        notes = draw(st.sampled_from([None, "call back", "ok"]))
        return {"id": p.id, "dob": spell_date(draw, p.birth, excel), "payer": p.payer or None,
                "notes": notes}  # fmt: skip

    body: list[tuple[list[object], str]] = []
    for p in patients:
        spelled = [spell_code(draw, c) for c in p.codes]
        if shape in ("wide", "list") or not spelled:
            chunks = [spelled]
        elif shape == "long":
            chunks = [[c] for c in spelled]
        else:
            cut = draw(st.integers(1, len(spelled)))
            chunks = [spelled[:cut], spelled[cut:]] if cut < len(spelled) else [spelled]
        body += [(row(fields(p), chunk), "used") for chunk in chunks]
    heading = row(dict(header), dx_names)  # one code header in a cell of its own
    for _ in range(draw(st.integers(0, 3))):  # extras inside the body, before its last row
        extra = draw(st.sampled_from(["blank", "repeated header", "no id"]))
        where = draw(st.integers(0, len(body) - 1))
        if extra == "blank":
            body.insert(where, ([None] * len(heading), "skipped"))
        elif extra == "repeated header":
            body.insert(where, (heading, "skipped"))
        else:
            values = {"id": draw(st.sampled_from(NO_IDS)) or None, "payer": "Medicare"}
            body.insert(where, (row(values, ["I10"]), "rejected"))
    titles = [[t] if t else [] for t in draw(st.lists(st.sampled_from(TITLES), max_size=3))]
    footers = [[f] for f in draw(st.lists(st.sampled_from(FOOTERS), max_size=3))]
    rows = [*titles, heading, *(r for r, _ in body), *footers]
    status = ["skipped"] * (len(titles) + 1) + [s for _, s in body] + ["skipped"] * len(footers)
    return Rendered(rows, status)


def clean_rows(patients: list[Patient]) -> list[list[object]]:
    rows: list[list[object]] = [["MRN", "DOB", "Primary Insurance", "ICD10"]]
    for p in patients:
        birth = p.birth.isoformat() if p.birth else None
        rows += [[p.id, birth, p.payer or None, code] for code in p.codes or [None]]
    return rows


def write(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    if path.suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, delimiter=delimiter).writerows(
                [["" if cell is None else cell for cell in row] for row in rows]
            )
    return path


def eligibility_counts(panel: Panel) -> dict[str, object]:
    summary = summarise(panel, assess_eligibility(panel, AS_OF))
    return {"eligibility": summary["eligibility"], "conditions": summary["conditions"]}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), patients=patients_strategy, fmt=st.sampled_from([".csv", ".txt", ".xlsx"]))
def test_a_messy_panel_reads_like_its_clean_form(
    data: st.DataObject, patients: list[Patient], fmt: str
) -> None:
    rendered = data.draw(messy(patients, excel=fmt == ".xlsx"))
    delimiter = data.draw(st.sampled_from([",", ";", "\t"])) if fmt == ".txt" else ","
    with tempfile.TemporaryDirectory() as folder:
        panel = read_panel(write(Path(folder) / f"panel{fmt}", rendered.rows, delimiter))
        clean = read_panel(write(Path(folder) / "clean.csv", clean_rows(patients)))

    ledger = panel.ledger
    # every row once, in order, with the status its kind calls for
    assert ledger["row"].tolist() == list(range(1, len(rendered.rows) + 1))
    assert ledger["status"].tolist() == rendered.status
    counts = ledger["status"].value_counts()
    assert sum(int(counts.get(s, 0)) for s in ("used", "skipped", "rejected")) == len(ledger)

    assert set(panel.patients.index) == set(clean.patients.index) == {p.id for p in patients}
    pairs = set(zip(panel.diagnoses["patient_id"], panel.diagnoses["code"], strict=True))
    assert pairs == set(zip(clean.diagnoses["patient_id"], clean.diagnoses["code"], strict=True))
    by_id = clean.patients.index
    for column in ("birth_date", "payer_class", "dual_eligible"):
        pd.testing.assert_series_equal(
            panel.patients[column].reindex(by_id), clean.patients[column]
        )
    assert eligibility_counts(panel) == eligibility_counts(clean)
