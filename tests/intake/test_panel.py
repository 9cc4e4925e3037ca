"""Reading panel exports (intake.panel): files, sheets, headers, shapes, values, ledger, errors.

Workbooks are built with openpyxl into tmp_path; small text exports live in tests/fixtures/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ccm_assess.errors import CcmAssessError, PanelError
from ccm_assess.intake import panel as panel_module
from ccm_assess.intake.headers import ROLES, header_role
from ccm_assess.intake.panel import PATIENT_COLUMNS, Panel, read_panel, tidy_panel
from ccm_assess.intake.values import parse_booleans, parse_counts, parse_dates
from ccm_assess.reference import data_path

FIXTURES = Path(__file__).parents[1] / "fixtures"
TODAY = pd.Timestamp("2026-11-26")
T = pd.Timestamp


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with one sheet per entry; `[]` is a blank row."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def statuses(panel: Panel) -> dict[int, str]:
    """Row -> status, or `skipped: reason` / `rejected: reason`."""
    ledger = panel.ledger.astype({"status": "str", "reason": "str"})  # categorical in the panel
    explained = ledger["status"] + ": " + ledger["reason"]
    label = ledger["status"].where(ledger["status"].eq("used"), explained)
    return dict(zip(ledger["row"], label, strict=True))


def pairs(panel: Panel) -> list[tuple[str, str, int]]:
    return list(panel.diagnoses.itertuples(index=False, name=None))


# --- a messy wide EHR workbook ---------------------------------------------------------------

MESSY_HEADER = [
    "Acct #", "Last Name", "First Name", "DOB", "Gender", "Primary Ins.", "Ins 2", "Last Appt",
    "PCP", "Location", "Dx 1", "Dx 2", "Dx 3", "Deceased", "Hospice", "IP Admits (12 mo)",
    "ED Visits (12 mo)", "Notes",
]  # fmt: skip
MESSY_ROWS = [
    ["Patient Panel Report"],
    ["Run date: 11/26/2026"],
    [],
    MESSY_HEADER,
    [1001, "Doe", "Jane", dt.datetime(1950, 3, 4), "F", "Medicare Part B", "Medicaid",
     dt.datetime(2026, 1, 15), "Dr A", "Main", "E11.9", "I10", None, "N", None, 1, 2, None],
    [1002, "Roe", "Rick", "03/05/1948", "Male", "Humana Gold Plus", None, 45123, "Dr B",
     "North", "J44.9 - COPD", "e11.65", "N18.30", None, "X", 0, 0, "call back"],
    [],
    MESSY_HEADER,
    [None, "Smith", "Ann", "1960-01-01", "F", "Medicare", None, None, "Dr A", "Main", "I10"],
    [1003, "Poe", "Ed", "13/45/1950", "f", "BCBS", None, "2025-02-30", "Dr A", "Main",
     "Diabetes (E11.9)", "401.9", None, "Yes"],
    [1004, "Loe", "Al", "2099-01-01", "M", "Medicare Advantage", None, None, "Dr B", "North",
     "I50.9", None, None, "2025-12-01", None, "two"],
    [],
    ["Total patients: 4"],
    ["Page 1 of 1"],
    ["Confidential"],
]  # fmt: skip


@pytest.fixture
def messy(tmp_path: Path) -> Panel:
    return read_panel(write_xlsx(tmp_path / "messy_headers.xlsx", {"Panel": MESSY_ROWS}))


def test_messy_workbook_ledger_accounts_for_every_row(messy: Panel) -> None:
    assert statuses(messy) == {
        1: "skipped: title row above the header",
        2: "skipped: title row above the header",
        3: "skipped: blank row",
        4: "skipped: header row",
        5: "used",
        6: "used",
        7: "skipped: blank row",
        8: "skipped: repeated header row",
        9: "rejected: no patient id",
        10: "used",
        11: "used",
        12: "skipped: blank row",
        13: "skipped: total or subtotal row",
        14: "skipped: page row",
        15: "skipped: footer row",
    }
    counts = messy.ledger["status"].value_counts().to_dict()
    assert counts == {"skipped": 10, "used": 4, "rejected": 1}  # 10 + 4 + 1 = 15 rows read
    assert messy.source.header_row == 4
    assert messy.source.sheet == "Panel"
    assert messy.source.shape == "wide"


def test_messy_workbook_maps_vendor_headers(messy: Panel) -> None:
    assert messy.mapping == {
        "patient_id": ["Acct #"],
        "diagnosis": ["Dx 1", "Dx 2", "Dx 3"],
        "birth_date": ["DOB"],
        "sex": ["Gender"],
        "primary_payer": ["Primary Ins."],
        "secondary_payer": ["Ins 2"],
        "last_visit_date": ["Last Appt"],
        "provider": ["PCP"],
        "location": ["Location"],
        "deceased": ["Deceased"],
        "hospice": ["Hospice"],
        "inpatient_admits_12m": ["IP Admits (12 mo)"],
        "ed_visits_12m": ["ED Visits (12 mo)"],
        "name": ["First Name", "Last Name"],
        "death_date": ["Deceased"],  # the deceased column held a date (row 11)
    }
    assert messy.roles == frozenset(messy.mapping)
    assert messy.notes == ("columns not used: 'Notes'",)


def test_messy_workbook_patients(messy: Panel) -> None:
    p = messy.patients
    assert p.index.tolist() == ["1001", "1002", "1003", "1004"]
    assert p["name"].tolist() == ["Doe, Jane", "Roe, Rick", "Poe, Ed", "Loe, Al"]
    assert p["sex"].tolist() == ["F", "M", "F", "M"]
    # 13/45/1950 unparseable; 2099-01-01 a birth date in the future: both null
    assert p["birth_date"].tolist()[:2] == [T("1950-03-04"), T("1948-03-05")]
    assert p["birth_date"].isna().tolist() == [False, False, True, True]
    # Excel serial 45123 = 2023-01-01 (serial 44927) + 196 days = 2023-07-16; 2025-02-30 invalid
    assert p["last_visit_date"].tolist()[:2] == [T("2026-01-15"), T("2023-07-16")]
    assert p["last_visit_date"].isna().tolist() == [False, False, True, True]
    assert p["payer_class"].tolist() == ["medicare_ffs", "medicare_advantage", "commercial",
                                         "medicare_advantage"]  # fmt: skip
    assert p["secondary_payer_class"].tolist() == ["medicaid", "unknown", "unknown", "unknown"]
    assert p["dual_eligible"].tolist() == [True, False, False, False]
    assert p["provider"].tolist() == ["Dr A", "Dr B", "Dr A", "Dr B"]
    # N -> False, blank in a Y/N column -> unknown, Yes -> True, a date -> deceased on that date
    assert p["deceased"].tolist() == [False, pd.NA, True, True]
    assert p["death_date"].isna().tolist() == [True, True, True, False]
    assert p["death_date"].iloc[3] == T("2025-12-01")
    # the hospice column only holds X marks: blank reads as False
    assert p["hospice"].tolist() == [False, True, False, False]
    assert p["inpatient_admits_12m"].tolist() == [1, 0, pd.NA, pd.NA]  # "two" unreadable
    assert p["ed_visits_12m"].tolist() == [2, 0, pd.NA, pd.NA]


def test_messy_workbook_codes_and_quality(messy: Panel) -> None:
    assert pairs(messy) == [
        ("1001", "E119", 5),
        ("1001", "I10", 5),
        ("1002", "J449", 6),
        ("1002", "E1165", 6),
        ("1002", "N1830", 6),
        ("1003", "E119", 10),
        ("1004", "I509", 11),
    ]
    quality = messy.quality
    assert quality.icd9_codes.to_dict("list") == {"value": ["401.9"], "count": [1]}
    assert quality.invalid_codes.empty
    assert quality.bad_dates.to_dict("records") == [
        {"column": "birth_date", "problem": "in the future", "count": 1,
         "examples": "(text not shown)"},
        {"column": "birth_date", "problem": "unparseable", "count": 1,
         "examples": "(text not shown)"},
        {"column": "last_visit_date", "problem": "unparseable", "count": 1,
         "examples": "(text not shown)"},
    ]  # fmt: skip
    assert quality.bad_values.to_dict("records") == [
        {"column": "inpatient_admits_12m", "count": 1, "examples": "(text not shown)"}
    ]
    assert quality.conflicts.empty
    assert quality.unknown_payers.empty


def test_patients_frame_has_exactly_the_contract_columns_and_dtypes(messy: Panel) -> None:
    p = messy.patients
    assert p.index.name == "patient_id"
    assert str(p.index.dtype) == "str"
    assert {c: str(t) for c, t in p.dtypes.items()} == PATIENT_COLUMNS
    d = messy.diagnoses
    assert {c: str(t) for c, t in d.dtypes.items()} == {
        "patient_id": "category",
        "code": "category",
        "row": "int64",
    }
    # the categories are the patients (in their order) and the codes, sorted
    assert d["patient_id"].cat.categories.equals(p.index)
    assert d["code"].cat.categories.tolist() == sorted(set(d["code"]))
    assert not d.duplicated(["patient_id", "code"]).any()


def test_missing_roles_are_all_na_columns(tmp_path: Path) -> None:
    panel = read_panel(write_text(tmp_path / "minimal.csv", "MRN,Dx\n1,E11.9\n"))
    assert panel.roles == frozenset({"patient_id", "diagnosis"})
    p = panel.patients
    assert {c: str(t) for c, t in p.dtypes.items()} == PATIENT_COLUMNS
    for column in ("name", "birth_date", "deceased", "hospice", "ed_visits_12m"):
        assert p[column].isna().all()
    assert p["payer_class"].tolist() == ["unknown"]
    assert p["dual_eligible"].tolist() == [False]


# --- shapes ----------------------------------------------------------------------------------


def test_long_problem_list_merges_rows_by_patient() -> None:
    panel = read_panel(FIXTURES / "one_row_per_diagnosis.csv")  # UTF-8 with BOM, CRLF
    assert panel.source.shape == "long"
    assert panel.source.header_row == 2
    assert panel.mapping["patient_id"] == ["MRN"]  # the BOM is not part of the first header
    assert statuses(panel) == {
        1: "skipped: title row above the header",
        2: "skipped: header row",
        3: "used",
        4: "used",
        5: "used",
        6: "used",
        7: "used",
        8: "rejected: no patient id",
        9: "used",  # A3: only an invalid code (DM2), still a patient
        10: "used",
        11: "skipped: total or subtotal row",
    }
    assert panel.patients.index.tolist() == ["A1", "A2", "A3", "A4"]
    # A1's E11.9 appears on rows 3 and 5: one pair, first row kept
    assert pairs(panel) == [("A1", "E119", 3), ("A1", "I10", 4), ("A2", "J449", 6),
                            ("A4", "N1830", 10)]  # fmt: skip
    q = panel.quality
    assert q.icd9_codes.to_dict("list") == {"value": ["250.00"], "count": [1]}
    assert q.invalid_codes.to_dict("list") == {"value": ["DM2"], "count": [1]}
    # A2's rows say 03/05/1948 and 1948-03-06: one conflict, the first value kept
    assert q.conflicts.to_dict("records") == [{"column": "birth_date", "patients": 1}]
    assert panel.patients.loc["A2", "birth_date"] == T("1948-03-05")
    assert panel.patients["payer_class"].tolist() == [
        "medicare_ffs", "medicare_advantage", "self_pay", "unknown"]  # fmt: skip
    assert panel.patients["dual_eligible"].tolist() == [True, False, False, False]
    assert q.unknown_payers.to_dict("list") == {"value": ["Acme Health Plan"], "count": [1]}
    assert panel.patients.loc["A1", "name"] == "Doe, Jane"
    assert panel.notes == ("columns not used: 'Problem Description'",)


def test_codes_listed_in_one_cell() -> None:
    panel = read_panel(FIXTURES / "codes_listed_in_one_cell.csv")
    assert panel.source.shape == "list"
    assert pairs(panel) == [
        ("P1", "E119", 2), ("P1", "I10", 2), ("P1", "N1830", 2),
        ("P2", "E785", 3), ("P2", "F329", 3),
        ("P3", "J45909", 4), ("P3", "E119", 4),
        ("P4", "E119", 5), ("P4", "I10", 5),
    ]  # fmt: skip
    assert panel.patients.index.tolist() == ["P1", "P2", "P3", "P4", "P5"]  # P5: no codes
    # 3/4/45: a two-digit year that would be in the future goes back a century
    assert panel.patients.loc["P3", "birth_date"] == T("1945-03-04")
    assert panel.patients["payer_class"].tolist() == [
        "medicare_ffs", "medicaid", "commercial", "medicare_advantage", "commercial"]  # fmt: skip


def test_several_rows_each_with_several_codes() -> None:
    panel = read_panel(FIXTURES / "several_rows_several_codes.csv")
    assert panel.source.shape == "mixed"
    assert panel.mapping["diagnosis"] == ["Dx1", "Dx2"]
    # C1: E11.9, I10 on row 2; "I10; N18.30" on row 3 (I10 already seen on row 2)
    assert pairs(panel) == [("C1", "E119", 2), ("C1", "I10", 2), ("C1", "N1830", 3),
                            ("C2", "J449", 4), ("C2", "F0390", 5), ("C2", "G309", 5)]  # fmt: skip
    # C2 is Tricare on one row, Workers Comp on the other: first kept, conflict counted
    assert panel.patients.loc["C2", "payer_class"] == "other"
    assert panel.quality.conflicts.to_dict("records") == [
        {"column": "primary_payer", "patients": 1}
    ]


@pytest.mark.parametrize(
    "headers", [["Dx1", "Dx2"], ["Diagnosis 1", "Diagnosis 2"], ["ICD10_1", "ICD10_2"]]
)
def test_numbered_diagnosis_columns(tmp_path: Path, headers: list[str]) -> None:
    text = f"MRN,{headers[0]},{headers[1]}\n1,E11.9,I10\n2,J44.9,\n"
    panel = read_panel(write_text(tmp_path / "wide.csv", text))
    assert panel.mapping["diagnosis"] == headers
    assert panel.source.shape == "wide"
    assert pairs(panel) == [("1", "E119", 2), ("1", "I10", 2), ("2", "J449", 3)]


def test_a_comma_after_a_code_separates_items(tmp_path: Path) -> None:
    # found by tests/intake/test_properties.py: "E11.9, Depression (F32.9)" lost F32.9, as the comma
    # only split when a code followed it; a code before the comma now ends its item too
    text = (
        "MRN,Dx\n"
        '1,"E11.9, Depression (F32.9), 401.9"\n'
        '2,"Type 2 diabetes (E11.9), Heart failure (I50.9)"\n'
        '3,"Diabetic kidney disease, stage 3 (E11.22)"\n'
    )
    panel = read_panel(write_text(tmp_path / "commas.csv", text))
    assert pairs(panel) == [("1", "E119", 2), ("1", "F329", 2), ("2", "E119", 3),
                            ("2", "I509", 3), ("3", "E1122", 4)]  # fmt: skip
    assert panel.quality.icd9_codes.to_dict("list") == {"value": ["401.9"], "count": [1]}


def test_a_diagnosis_column_without_codes_is_set_aside(tmp_path: Path) -> None:
    text = "MRN,Diagnosis,ICD10 Code\n1,Type 2 diabetes,E11.9\n2,Hypertension,I10\n"
    panel = read_panel(write_text(tmp_path / "names_and_codes.csv", text))
    assert panel.mapping["diagnosis"] == ["ICD10 Code"]
    assert panel.quality.invalid_codes.empty
    assert panel.notes[0] == "column 'Diagnosis' holds no diagnosis codes; not used"


# --- rows ------------------------------------------------------------------------------------


def test_note_rows_footers_split_by_commas_and_id_only_rows(tmp_path: Path) -> None:
    text = (
        "MRN,Name,ICD10\n"  # 1
        "1,Ann,E11.9\n"  # 2
        "Provider: Dr A\n"  # 3: one cell of text in the middle -> note
        "A9\n"  # 4: an id alone -> a patient without codes
        "N/A,Bob,I10\n"  # 5: placeholder id -> rejected
        ",,\n"  # 6: blank
        "Total rows: 1,000,000\n"  # 7: unquoted commas split it into 3 cells -> footer
        "Page 1 of 1\n"  # 8
    )
    panel = read_panel(write_text(tmp_path / "notes.csv", text))
    assert statuses(panel) == {
        1: "skipped: header row",
        2: "used",
        3: "skipped: title or note row (one cell of text)",
        4: "used",
        5: "rejected: no patient id",
        6: "skipped: blank row",
        7: "skipped: total or subtotal row",
        8: "skipped: page row",
    }
    assert panel.patients.index.tolist() == ["1", "A9"]


def test_rows_without_id_below_the_table_are_footers(tmp_path: Path) -> None:
    text = "Name,MRN,ICD10\nAnn,1,E11.9\nSigned,,by Dr A\n"  # 2 cells, no id, after the data
    panel = read_panel(write_text(tmp_path / "below.csv", text))
    assert statuses(panel)[3] == "skipped: footer row below the table"


def test_ledger_adds_up_on_the_committed_fixtures() -> None:
    for name, lines in [("one_row_per_diagnosis.csv", 11), ("codes_listed_in_one_cell.csv", 6),
                        ("several_rows_several_codes.csv", 5), ("semicolon_delimited.csv", 5),
                        ("tab_delimited_with_title.txt", 5)]:  # fmt: skip
        ledger = read_panel(FIXTURES / name).ledger
        assert ledger["row"].tolist() == list(range(1, lines + 1)), name
        assert set(ledger["status"]) <= {"used", "skipped", "rejected"}
        assert ledger.loc[ledger["status"].eq("used"), "reason"].eq("").all()
        assert ledger.loc[ledger["status"].ne("used"), "reason"].ne("").all()


# --- header roles and mapping ----------------------------------------------------------------

HEADERS = {
    "patient_id": ["MRN", "Patient ID", "PatientID", "Acct #", "Chart Number", "Person Nbr",
                   "Enterprise ID", "patient_id", "Chart #"],
    "diagnosis": ["ICD10", "ICD-10 Code", "Dx Code", "Diagnosis", "Problem Code", "Dx1", "Dx12",
                  "Diagnosis Codes", "Diagnosis 1", "ICD10_1", "DX 3 CODE"],
    "birth_date": ["DOB", "Date of Birth", "Birth Date", "Patient DOB", "D.O.B."],
    "sex": ["Sex", "Gender"],
    "primary_payer": ["Primary Insurance", "Primary Payer", "Ins 1", "Insurance Plan",
                      "Financial Class", "Plan Name"],
    "secondary_payer": ["Secondary Insurance", "Ins 2"],
    "last_visit_date": ["Last Visit", "Last Appt", "Last Seen", "Last Encounter Date", "Last DOS"],
    "provider": ["PCP", "Rendering Provider", "Provider", "Primary Care Provider"],
    "location": ["Location", "Site", "Clinic", "Department"],
    "deceased": ["Deceased", "Expired"],
    "death_date": ["Date of Death"],
    "hospice": ["Hospice", "Hospice Flag"],
    "inpatient_admits_12m": ["IP Admits", "Hospitalizations (12 mo)", "IP Admits - Last 12 Months"],
    "ed_visits_12m": ["ED Visits", "ER Visits (12 mo)"],
    "name": ["Patient Name", "Name"],
    "first_name": ["First Name"],
    "last_name": ["Last Name"],
    "phone": ["Phone", "Home Phone"],
    "address": ["Address", "City", "Zip Code"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("header", "role"), [(h, role) for role, headers in HEADERS.items() for h in headers]
)
def test_header_roles(header: str, role: str) -> None:
    found = header_role(header)
    assert found is not None and found[0] == role


@pytest.mark.parametrize("header", ["Problem Description", "Dx1 Description", "Notes", "", "Age"])
def test_headers_without_a_role(header: str) -> None:
    assert header_role(header) is None


def test_every_alias_role_is_a_mapping_role() -> None:
    table = pd.read_csv(data_path("column_aliases.csv"))
    assert set(table["role"]) == set(ROLES)


def test_name_and_address_parts_are_joined(tmp_path: Path) -> None:
    text = (
        "MRN,First Name,Last Name,Address,City,State,Zip,ICD10\n"
        "1,Ann,Lee,1 Main St,Springfield,IL,62701,E11.9\n"
        "2,Bo,,,Dover,DE,,I10\n"
    )
    panel = read_panel(write_text(tmp_path / "parts.csv", text))
    assert panel.patients["name"].tolist() == ["Lee, Ann", "Bo"]
    assert panel.patients["address"].tolist() == ["1 Main St, Springfield, IL, 62701", "Dover, DE"]
    assert panel.mapping["address"] == ["Address", "City", "State", "Zip"]


def test_explicit_mapping_rescues_an_unknown_header(tmp_path: Path) -> None:
    path = write_text(tmp_path / "odd.csv", "Person,Dx\nx1,E11.9\n")
    with pytest.raises(PanelError) as error:
        read_panel(path)
    assert str(error.value) == (
        "no column looks like a patient id; headers found: 'Person', 'Dx'; "
        "pass --map patient_id=<header>"
    )
    panel = read_panel(path, mapping={"patient_id": "person"})  # case-insensitive
    assert panel.mapping["patient_id"] == ["Person"]
    assert pairs(panel) == [("x1", "E119", 2)]


def test_explicit_mapping_overrides_the_aliases(tmp_path: Path) -> None:
    path = write_text(tmp_path / "two_ids.csv", "MRN,Account Number,Dx,Code A\n1,A-9,E11.9,I10\n")
    assert read_panel(path).patients.index.tolist() == ["1"]  # MRN ranks first
    mapping = {"patient_id": "Account Number", "diagnosis": ["Dx", "Code A"]}
    panel = read_panel(path, mapping=mapping)
    assert panel.patients.index.tolist() == ["A-9"]
    assert pairs(panel) == [("A-9", "E119", 2), ("A-9", "I10", 2)]
    assert panel.notes == ("columns not used: 'MRN'",)


def test_mapping_errors_list_what_is_valid(tmp_path: Path) -> None:
    path = write_text(tmp_path / "p.csv", "MRN,Dx\n1,E11.9\n")
    with pytest.raises(PanelError) as error:
        read_panel(path, mapping={"colour": "MRN"})
    assert str(error.value) == (
        f"unknown role 'colour' in the column mapping; valid roles: {', '.join(ROLES)}"
    )
    with pytest.raises(PanelError) as error:
        read_panel(path, mapping={"birth_date": "Birthday Col"})
    assert str(error.value) == (
        "no column 'Birthday Col' for birth_date (given in --map or the mapping file); headers "
        "found: 'MRN', 'Dx'; check the spelling in --map birth_date=<header>"
    )


def test_parse_dates_formats() -> None:
    # every value is 2024-03-05 written another way; serial 45356 = 45292 (2024-01-01) + 64
    values = ["2024-03-05", "03/05/2024", "3/5/2024", "3/5/24", "2024-03-05 14:30:00",
              "2024-03-05T14:30", "3/5/2024 2:30 PM", "45356", "45356.75", "20240305",
              "05-Mar-2024", "Mar 5, 2024", "March 5 2024", "2024/03/05"]  # fmt: skip
    parsed, problem = parse_dates(pd.Series(values, dtype="str"), today=TODAY)
    assert parsed.tolist() == [T("2024-03-05")] * len(values)
    assert problem.eq("").all()
    assert str(parsed.dtype) == "datetime64[ns]"


def test_parse_dates_unparseable() -> None:
    values = pd.Series(["2024", "yesterday", "02/30/2024", "13/01/2024", None], dtype="str")
    parsed, problem = parse_dates(values, today=TODAY)
    assert parsed.isna().all()
    assert problem.tolist() == ["unparseable"] * 4 + [""]  # a blank is not a problem


def test_birth_dates_bounds_and_two_digit_years() -> None:
    # today 2026-11-26; 120 years before is 1906-11-26 (still valid), one day earlier is not
    values = pd.Series(["3/5/45", "3/5/26", "12/31/26", "2099-01-01", "1906-11-26",
                        "1906-11-25"], dtype="str")  # fmt: skip
    parsed, problem = parse_dates(values, birth=True, today=TODAY)
    assert parsed.tolist()[:3] == [T("1945-03-05"), T("2026-03-05"), T("1926-12-31")]
    assert parsed.tolist()[4] == T("1906-11-26")
    assert parsed.isna().tolist() == [False, False, False, True, False, True]
    assert problem.tolist() == ["", "", "", "in the future", "", "more than 120 years ago"]


def test_parse_booleans() -> None:
    values = ["Y", "N", "Yes", "no", "1", "0", "TRUE", "false", "X", None, "maybe"]
    out = parse_booleans(pd.Series(values, dtype="str"))
    assert out.tolist() == [True, False, True, False, True, False, True, False, True, pd.NA, pd.NA]
    assert str(out.dtype) == "boolean"


def test_a_column_of_x_marks_reads_blank_as_false() -> None:
    out = parse_booleans(pd.Series(["X", None, "x", None], dtype="str"))
    assert out.tolist() == [True, False, True, False]


def test_parse_counts() -> None:
    out = parse_counts(pd.Series(["0", "3", "2.0", "-1", "1.5", "two", None, "1,200"], dtype="str"))
    assert out.tolist() == [0, 3, 2, pd.NA, pd.NA, pd.NA, pd.NA, 1200]
    assert str(out.dtype) == "Int64"


def test_tidy_panel_takes_a_grid_and_today() -> None:
    grid = pd.DataFrame([["MRN", "DOB", "ICD10"], ["1", "1/1/30", "I10"]], dtype=object)
    # with today = 2026-11-26, 1/1/30 -> 2030 is in the future -> 1930
    panel = tidy_panel(grid, today=TODAY)
    assert panel.patients.loc["1", "birth_date"] == T("1930-01-01")
    assert panel.source.path == Path("panel")


# --- grids the kit cannot use (file-level errors: tests/intake/test_sources.py) ---


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda d: write_text(d / "blank.csv", "\n\n,,\n"),
            "'blank.csv' is empty: there are no rows to read",
        ),
        (
            lambda d: write_text(d / "letter.txt", "Dear doctor\nThe panel is attached\n"),
            "'letter.txt' does not look like a table: no row has more than one filled cell; "
            "export the panel with one column per field (patient id, diagnosis codes, ...)",
        ),
        (
            lambda d: write_text(d / "no_dx.csv", "MRN,Name\n1,Ann\n"),
            "no column looks like diagnosis codes; headers found: 'MRN', 'Name'; "
            "pass --map diagnosis=<header>",
        ),
        (
            lambda d: write_text(d / "no_header.csv", "a,b\nc,d\n"),
            "no column looks like a patient id; no row looks like a header row (the first rows "
            "look like patient data); export the panel with its column headers; "
            "pass --map patient_id=<header>",
        ),
        (
            lambda d: write_text(d / "header_only.csv", "MRN,Dx\n"),
            "no patient rows below the header (row 1) of 'header_only.csv'; check that the "
            "export holds the patients, not only a title or summary",
        ),
        (
            lambda d: write_text(d / "icd9.csv", "MRN,Dx\n1,250.00\n2,401.9\n"),
            "the diagnosis column(s) 'Dx' hold ICD-9 codes only (e.g. 250.00, 401.9); export "
            "the problem list with ICD-10-CM codes",
        ),
        (
            lambda d: write_text(d / "words.csv", "MRN,Dx\n1,Diabetes\n"),
            "no ICD-10-CM code found in the diagnosis column(s) 'Dx' (e.g. (text not shown)); pass "
            "--map diagnosis=<header> for the column with the codes",
        ),
        (
            lambda d: write_text(d / "blank_dx.csv", "MRN,Dx,Name\n1,,Ann\n"),
            "the diagnosis column(s) 'Dx' are empty; pass --map diagnosis=<header> for the "
            "column that holds the ICD-10-CM codes",
        ),
        (
            lambda d: write_xlsx(d / "empty_sheet.xlsx", {"Sheet1": []}),
            "sheet 'Sheet1' of 'empty_sheet.xlsx' is empty: there are no rows to read",
        ),
    ],
)
def test_unusable_grid_raises_one_clear_panel_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(PanelError) as error:
        read_panel(make(tmp_path))
    assert str(error.value) == message
    assert isinstance(error.value, CcmAssessError)


# --- columns: duplicates, blank headers, shortened examples -----------------------------------


def test_two_columns_with_one_header_read_the_one_with_more_values(tmp_path: Path) -> None:
    # column A "MRN" is empty but for row 2, column B "MRN" holds every id: B wins (2 > 1 cells)
    text = "MRN,MRN,Dx,Dx\n,1,E11.9,I10\n7,2,J44.9,\n,3,I10,E11.9\n"
    panel = read_panel(write_text(tmp_path / "dup.csv", text))
    assert panel.patients.index.tolist() == ["1", "2", "3"]
    assert panel.mapping["patient_id"] == ["MRN"]
    assert panel.mapping["diagnosis"] == ["Dx", "Dx"]  # both Dx columns are read
    assert pairs(panel) == [("1", "E119", 2), ("1", "I10", 2), ("2", "J449", 3),
                            ("3", "I10", 4), ("3", "E119", 4)]  # fmt: skip
    assert panel.notes == (
        "columns not used: 'MRN'",
        "2 columns are headed 'MRN' (A, B): patient_id is read from column B",
    )


def test_codes_under_a_header_merged_across_columns_are_read(tmp_path: Path) -> None:
    # "Diagnoses" spans C1:E1 (merged): only C1 holds the text, D and E have no header
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["MRN", "DOB", "Diagnoses", None, None, None],
                [1, "1950-01-01", "E11.9", "I10", "N18.30", None],
                [2, "1960-01-01", "J44.9", None, None, "call Tue"]):  # fmt: skip
        sheet.append(row)
    sheet.merge_cells("C1:E1")
    workbook.save(tmp_path / "merged.xlsx")
    panel = read_panel(tmp_path / "merged.xlsx")
    assert panel.mapping["diagnosis"] == [
        "Diagnoses", "(column D, no header)", "(column E, no header)"]  # fmt: skip
    assert pairs(panel) == [("1", "E119", 2), ("1", "I10", 2), ("1", "N1830", 2),
                            ("2", "J449", 3)]  # fmt: skip
    # column F has no header and no code: not read, and said so
    assert panel.notes == (
        "1 filled cell(s) under no header (column(s) F; row(s) 3) were not read; in a CSV "
        "file, a value with an unquoted delimiter shifts the cells after it",
    )


def test_quality_examples_are_short_tokens_without_control_characters(tmp_path: Path) -> None:
    name = "Margaret Anne Thompson-Whitfield"  # 32 characters typed into a diagnosis cell
    text = (
        "MRN,Dx,Payer,DOB\n"
        f"1,E11.9; {name},Acme Regional Health Cooperative Plan,born on a Tuesday in spring\n"
        f"2,I10; {name},Acme Regional Health Cooperative Plus,\x07x\x00y\n"
        "3,J44.9;DM\x01 2,Medicare,\n"
    )
    quality = read_panel(write_text(tmp_path / "free_text.csv", text)).quality
    # 20 characters at most: the first 19, then an ellipsis; two payers cut alike count together
    assert quality.invalid_codes.to_dict("list") == {
        "value": ["Margaret Anne Thomp…", "DM 2"], "count": [2, 1]}  # fmt: skip
    assert quality.unknown_payers.to_dict("list") == {
        "value": ["Acme Regional Healt…"], "count": [2]}  # fmt: skip
    # examples in messages and outputs: code-shaped tokens only (issue 13), never this text
    assert quality.bad_dates.to_dict("records") == [
        {"column": "birth_date", "problem": "unparseable", "count": 2,
         "examples": "(text not shown)"}]  # fmt: skip


def test_conflicts_count_patients_with_two_distinct_values_per_column() -> None:
    records = pd.DataFrame(
        {
            "sex": pd.Series(["F", "M", None, "F", "F"], dtype="str"),
            "hospice": pd.Series([True, None, True, False, None], dtype="boolean"),
        }
    )
    # patient 0 holds rows 0-2, patient 1 rows 3-4, patient 2 none:
    # sex: patient 0 has F and M (conflict), patient 1 only F -> 1
    # hospice: patient 0 only True (NA ignored), patient 1 only False -> 0
    patient = np.array([0, 0, 0, 1, 1])
    fields = {name: panel_module._Coded(*pd.factorize(records[name])) for name in records}
    rows = panel_module._ByPatient.of(patient, 3)
    firsts = {name: field.first_codes(rows) for name, field in fields.items()}
    conflicts = {name: field.conflicts(rows, firsts[name]) for name, field in fields.items()}
    assert conflicts == {"sex": 1, "hospice": 0}
    # the first non-blank value of each patient; patient 2 has none
    assert fields["sex"].first(firsts["sex"]).fillna("-").tolist() == ["F", "F", "-"]
    assert fields["hospice"].first(firsts["hospice"]).astype(object).fillna("-").tolist() == [
        True, False, "-"]  # fmt: skip


def test_coded_field_merges_spellings_parsed_alike() -> None:
    # rows hold raw values 0, 1, blank, 2; raw 0 and 2 parse to the same date, raw 1 is unread
    raw = panel_module._Coded(np.array([0, 1, -1, 2]), pd.Series(
        pd.to_datetime(["2020-01-02", None, "2020-01-02"])))  # fmt: skip
    coded = raw.recoded()
    assert coded.codes.tolist() == [0, -1, -1, 0]
    rows = panel_module._ByPatient.of(np.array([0, 0, 1, 0]), 2)  # not grouped: sorted first
    assert rows.order is not None
    assert coded.conflicts(rows, coded.first_codes(rows)) == 0
    assert coded.first_codes(rows).tolist() == [0, -1]


def test_coded_latest_takes_each_patients_greatest_value() -> None:
    # distinct dates 0: 2024-05-01, 1: 2023-01-01, 2: 2025-02-03; rows of patient 0 hold
    # 0, 1 and a blank, patient 1 holds 1 then 2, patient 2 nothing
    dates = pd.Series(pd.to_datetime(["2024-05-01", "2023-01-01", "2025-02-03"]))
    field = panel_module._Coded(np.array([0, 1, -1, 1, 2]), dates)
    latest = field.latest(panel_module._ByPatient.of(np.array([0, 0, 0, 1, 1]), 3))
    assert latest.dt.strftime("%Y-%m-%d").fillna("-").tolist() == ["2024-05-01", "2025-02-03", "-"]
    # the same rows in another order (a claim-line export sorted by date): the same answer
    shuffled = panel_module._Coded(np.array([2, -1, 0, 1, 1]), dates)
    rows = panel_module._ByPatient.of(np.array([1, 0, 0, 1, 0]), 3)
    assert rows.order is not None
    assert shuffled.latest(rows).dt.strftime("%Y-%m-%d").fillna("-").tolist() == [
        "2024-05-01", "2025-02-03", "-"]  # fmt: skip
    assert shuffled.first_codes(rows).tolist() == [0, 2, -1]  # first row with a value


def test_first_occurrences_compares_within_a_patient_or_sorts_alike() -> None:
    # patient 0: E, I, E (repeat), patient 1: I, I (repeat), patient 2: E -> rows 0, 1, 3, 5
    owner, code = np.array([0, 0, 0, 1, 1, 2]), np.array([5, 7, 5, 7, 7, 5])
    assert panel_module.first_occurrences(owner, code).tolist() == [0, 1, 3, 5]
    # the same pairs with patient 1's rows split apart (a claim-line export): sorted instead
    owner, code = np.array([0, 1, 0, 0, 1, 2]), np.array([5, 7, 7, 5, 7, 5])
    assert panel_module.first_occurrences(owner, code).tolist() == [0, 1, 2, 5]
    # many random grouped patients: both ways agree with pandas' drop_duplicates
    rng = np.random.default_rng(27)
    owner = np.sort(rng.integers(0, 2_000, 20_000))
    code = rng.integers(0, 30, 20_000)
    expected = pd.DataFrame({"o": owner, "c": code}).drop_duplicates().index.to_numpy()
    assert (panel_module.first_occurrences(owner, code) == expected).all()
    first_of_long_runs = panel_module.first_occurrences(owner // 100, code)  # runs of ~1,000
    expected = pd.DataFrame({"o": owner // 100, "c": code}).drop_duplicates().index.to_numpy()
    assert (first_of_long_runs == expected).all()


def test_names_joined_per_distinct_pair_beyond_32_bit_keys() -> None:
    # 70,000 distinct last names x 70,000 distinct first names: the pair keys reach 4.9e9,
    # past 32 bits; each row keeps its own pair
    last = pd.Series([f"L{i}" for i in range(70_000)], dtype="str").astype("category")
    first = pd.Series([f"F{69_999 - i}" for i in range(70_000)], dtype="str").astype("category")
    joined = panel_module._join([last, first], ", ")
    assert joined.iloc[[0, 69_999]].tolist() == ["L0, F69999", "L69999, F0"]
    assert (joined.astype("str") == last.astype("str") + ", " + first.astype("str")).all()
