"""The PHI worklist workbook, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from test_eligibility import BASE_ROLES, make_panel

from ccm_assess.clinical.eligibility import assess_eligibility
from ccm_assess.outputs.worklist import (
    ABOUT_SHEET,
    NO_PHONE_WARNING,
    OUTCOMES,
    SHEET,
    contact_warnings,
    escape_formulas,
    write_worklist,
)

AS_OF = dt.date(2026, 6, 30)
THREE = ["E119", "I10", "I509"]
TWO = ["E119", "I10"]
ALL_ROLES = BASE_ROLES | {
    "name",
    "phone",
    "birth_date",
    "secondary_payer",
    "last_visit_date",
    "provider",
    "location",
    "inpatient_admits_12m",
    "ed_visits_12m",
}


def person(visit: str | None = None, **fields: object) -> dict[str, object]:
    return {
        "primary_payer": "Medicare Part B",
        "payer_class": "medicare_ffs",
        "last_visit_date": pd.Timestamp(visit) if visit else None,
        "inpatient_admits_12m": 0,
        "ed_visits_12m": 0,
        "provider": "Dr Lee",
        "location": "Main",
        "birth_date": pd.Timestamp("1950-03-04"),
        "secondary_payer": "Medigap Plan G",
        **fields,
    }


def practice_panel():
    return make_panel(
        {
            "A": person("2026-01-10", name='=HYPERLINK("http://x","y")', phone="+1 555 0100",
                        inpatient_admits_12m=1),
            "B": person("2026-05-01", name="Bea"),
            "C": person("2025-01-01", name="Cy"),
            "D": person("2026-02-02", name="Dee", provider="@evil", location="-Annex",
                        phone="\t555"),
            "E": person("2026-03-03", name="Eve"),
            "F": person("2026-03-03", name="Fay", deceased=True),
            "G": person(None, name="Gus"),
            "H": person("2024-01-01", name="Hal", provider="adams, Jo"),
            "I": person("2026-06-01", name="Ivy", provider=None, payer_class="commercial"),
        },
        {"A": THREE, "B": TWO, "C": TWO, "D": ["I509"], "E": ["R05"], "F": THREE, "G": TWO,
         "H": ["I509"], "I": THREE},
        roles=ALL_ROLES,
    )  # fmt: skip


def write(tmp_path: Path, panel=None) -> tuple[Path, object]:
    panel = panel or practice_panel()
    eligibility = assess_eligibility(panel, AS_OF)
    path = write_worklist(panel, eligibility, tmp_path / "out" / "worklist.xlsx", as_of=AS_OF)
    return path, load_workbook(path)


def rows_of(sheet) -> list[dict[str, object]]:
    header = [c.value for c in sheet[3]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(4, values_only=True)]


def test_rows_in_calling_order_with_the_columns_staff_need(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    assert book.sheetnames[0] == SHEET  # the worklist is the first sheet
    assert book.sheetnames == [SHEET, ABOUT_SHEET]
    sheet = book[SHEET]
    assert sheet["A1"].value.startswith("Contains PHI - CCM outreach worklist")
    rows = rows_of(sheet)
    assert list(rows[0]) == [
        "Provider", "Call order", "Name", "Date of birth", "Phone", "Patient ID", "Program",
        "Chronic conditions", "Conditions", "Evidence codes", "Needs initiating visit",
        "Last visit", "Payer", "Billable", "Why not billable", "Payer as exported",
        "Secondary payer", "Location", "Outreach attempts", "Consent date", "Outcome",
    ]  # fmt: skip
    # By provider A to Z, ignoring case ("@evil" < "adams, Jo" < "Dr Lee"), blank provider
    # last; within a provider complex candidates first (A), then most conditions, then the
    # most recent visit: B (May 2026), C (Jan 2025), G (no visit). E (no chronic condition)
    # and F (deceased) are out.
    assert [r["Patient ID"] for r in rows] == ["D", "H", "A", "B", "C", "G", "I"]
    assert [r["Call order"] for r in rows] == [1, 1, 1, 2, 3, 4, 1]
    assert [r["Provider"] for r in rows][-1] is None
    assert [r["Program"] for r in rows] == [
        "PCM", "PCM", "Complex CCM candidate", "CCM", "CCM", "CCM", "CCM",
    ]  # fmt: skip
    # Needs a visit when last seen over 365 days before as-of, or never, for PCM rows too:
    # H (PCM, Jan 2024), C (545 days), G (never).
    assert [r["Needs initiating visit"] for r in rows] == [
        "No", "Yes", "No", "No", "Yes", "Yes", "No",
    ]  # fmt: skip
    a = rows[2]
    assert a["Conditions"] == "Diabetes; Hypertension; Heart failure or cardiomyopathy"
    assert a["Evidence codes"] == "diabetes: E11.9; hypertension: I10; heart_failure: I50.9"
    assert a["Last visit"] == dt.datetime(2026, 1, 10)
    assert a["Date of birth"] == dt.datetime(1950, 3, 4)
    assert (a["Payer"], a["Payer as exported"]) == ("Medicare (traditional)", "Medicare Part B")
    assert rows[-1]["Payer"] == "Commercial"
    assert [r["Billable"] for r in rows] == ["Yes"] * 6 + ["No"]
    assert rows[-1]["Why not billable"].startswith("commercial primary")
    assert a["Secondary payer"] == "Medigap Plan G"
    assert all(r[c] is None for r in rows for c in ("Outreach attempts", "Consent date", "Outcome"))
    assert rows[5]["Last visit"] is None
    for column in ("Last visit", "Date of birth"):
        assert sheet.cell(row=4, column=list(a).index(column) + 1).number_format == "yyyy-mm-dd"


def test_entry_columns_have_data_validation(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    rules = {str(v.sqref): v for v in book[SHEET].data_validations.dataValidation}
    assert rules["S4:S10"].type == "whole" and rules["S4:S10"].formula2 == "20"
    assert rules["T4:T10"].type == "date"
    outcome = rules["U4:U10"]
    assert outcome.type == "list" and outcome.formula1 == '"' + ",".join(OUTCOMES) + '"'


def test_billable_column_follows_the_ma_switch(tmp_path: Path) -> None:
    panel = make_panel(
        {
            "ffs": person("2026-01-10"),
            "ma": person("2026-01-10", primary_payer="Humana", payer_class="medicare_advantage"),
            "com": person("2026-01-10", primary_payer="Aetna PPO", payer_class="commercial"),
        },
        {"ffs": TWO, "ma": TWO, "com": TWO},
        roles=ALL_ROLES,
    )
    for ma_pays, expected in ((True, ["Yes", "Yes", "No"]), (False, ["Yes", "No", "No"])):
        eligibility = assess_eligibility(panel, AS_OF, ma_pays_ccm=ma_pays)
        path = write_worklist(panel, eligibility, tmp_path / f"w{ma_pays}.xlsx", as_of=AS_OF)
        rows = {r["Patient ID"]: r for r in rows_of(load_workbook(path)[SHEET])}
        assert [rows[p]["Billable"] for p in ("ffs", "ma", "com")] == expected
        assert rows["com"]["Why not billable"].startswith("commercial primary")
        assert (rows["ma"]["Why not billable"] is None) == ma_pays


def test_formatting_and_about_sheet(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    sheet = book[SHEET]
    assert sheet.freeze_panes == "B4"
    assert sheet.auto_filter.ref == "A3:U10"  # 21 columns, header + 7 patients
    assert sheet["A3"].font.bold
    assert sheet.column_dimensions["A"].width == 20
    about = [row for row in book[ABOUT_SHEET].iter_rows(values_only=True)]
    described = [row[0] for row in about[1:22]]
    assert described == [c.value for c in sheet[3]]


def test_panel_text_cannot_become_a_formula(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    sheet = book[SHEET]
    rows = rows_of(sheet)
    a, d = rows[2], rows[0]
    assert a["Name"] == '\'=HYPERLINK("http://x","y")'
    assert a["Phone"] == "'+1 555 0100"
    assert (d["Provider"], d["Location"], d["Phone"]) == ("'@evil", "'-Annex", "'\t555")
    assert rows[3]["Name"] == "Bea"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    text = pd.Series(["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", None], dtype="str")
    assert escape_formulas(text).fillna("NA").tolist() == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", "NA",
    ]  # fmt: skip


def test_owner_only_and_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out" / "worklist.xlsx"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o644)
    path, _ = write(tmp_path)
    assert path == target
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["worklist.xlsx"]  # no temp left


def test_columns_follow_the_panel_roles(tmp_path: Path) -> None:
    panel = make_panel(
        {"A": {"payer_class": "commercial"}, "B": {"payer_class": "unknown"}},
        {"A": TWO, "B": ["I509"]},
    )
    _, book = write(tmp_path, panel)
    rows = rows_of(book[SHEET])
    # no provider, name, birth date, visit or location columns; the phone column stays (empty)
    assert list(rows[0]) == [
        "Call order", "Phone", "Patient ID", "Program", "Chronic conditions", "Conditions",
        "Evidence codes", "Needs initiating visit", "Payer", "Billable", "Why not billable",
        "Payer as exported", "Outreach attempts", "Consent date", "Outcome",
    ]  # fmt: skip
    assert all(r["Phone"] is None for r in rows)
    assert contact_warnings(panel) == [NO_PHONE_WARNING]
    assert contact_warnings(practice_panel()) == []
    # No last-visit column: whether a patient needs an initiating visit is unknown.
    assert [(r["Patient ID"], r["Needs initiating visit"]) for r in rows] == [
        ("A", "Unknown"),
        ("B", "Unknown"),
    ]
    assert [r["Payer"] for r in rows] == ["Commercial", "Not recognised"]
