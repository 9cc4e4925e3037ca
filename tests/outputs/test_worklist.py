"""The PHI worklist workbook, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from test_eligibility import BASE_ROLES, make_panel

from ccm_assess.clinical.eligibility import assess_eligibility
from ccm_assess.outputs.worklist import (
    ABOUT_SHEET,
    NO_PHONE_WARNING,
    OUTCOMES,
    PRINT_COLUMNS,
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
            "J": person("2026-06-01", name="Jo", primary_payer="Aetna", payer_class="commercial",
                        inpatient_admits_12m=2),
        },
        {"A": THREE, "B": TWO, "C": TWO, "D": ["I509"], "E": ["R05"], "F": THREE, "G": TWO,
         "H": ["I509"], "I": THREE, "J": THREE},
        roles=ALL_ROLES,
    )  # fmt: skip


def write(tmp_path: Path, panel=None, first_batch: int | None = None) -> tuple[Path, object]:
    panel = panel or practice_panel()
    eligibility = assess_eligibility(panel, AS_OF)
    path = write_worklist(
        panel, eligibility, tmp_path / "out" / "worklist.xlsx", as_of=AS_OF,
        first_batch=first_batch,
    )  # fmt: skip
    return path, load_workbook(path)


def rows_of(sheet) -> list[dict[str, object]]:
    header = [c.value for c in sheet[3]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(4, values_only=True)]


def test_rows_in_calling_order_with_the_columns_staff_need(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    assert book.sheetnames == [
        SHEET, ABOUT_SHEET, "Print 1 @evil", "Print 2 adams, Jo", "Print 3 Dr Lee",
        "Print 4 No provider",
    ]  # fmt: skip
    sheet = book[SHEET]
    assert sheet["A1"].value.startswith("Contains PHI - CCM outreach worklist")
    rows = rows_of(sheet)
    assert list(rows[0]) == [
        "Provider", "Call order", "Name", "Phone", "Next step", "Outreach attempts",
        "Consent date", "Outcome", "Date of birth", "Patient ID", "Program",
        "Chronic conditions", "Conditions", "Evidence codes", "Needs initiating visit",
        "Last visit", "Payer", "Billable", "Why not billable", "Payer as exported",
        "Secondary payer", "Location",
    ]  # fmt: skip
    # By provider A to Z, ignoring case ("@evil" < "adams, Jo" < "Dr Lee"), blank provider
    # last; within a provider: billable and seen within a year (A, B), then billable but
    # needing an initiating visit (C: Jan 2025, G: never), then not billable (J, commercial,
    # although a complex candidate with three conditions); within a block complex candidates
    # first (A), then most conditions, then the most recent visit. E (no chronic condition)
    # and F (deceased) are out.
    assert [r["Patient ID"] for r in rows] == ["D", "H", "A", "B", "C", "G", "J", "I"]
    assert [r["Call order"] for r in rows] == [1, 1, 1, 2, 3, 4, 5, 1]
    assert [r["Next step"] for r in rows] == [
        "Call to enrol", "Book a visit first", "Call to enrol", "Call to enrol",
        "Book a visit first", "Book a visit first", "Not billed: see why", "Not billed: see why",
    ]  # fmt: skip
    assert [r["Provider"] for r in rows][-1] is None
    assert [r["Program"] for r in rows] == [
        "PCM", "PCM", "Complex CCM candidate", "CCM", "CCM", "CCM", "Complex CCM candidate",
        "CCM",
    ]  # fmt: skip
    # Needs a visit when last seen over 365 days before as-of, or never, for PCM rows too:
    # H (PCM, Jan 2024), C (545 days), G (never).
    assert [r["Needs initiating visit"] for r in rows] == [
        "No", "Yes", "No", "No", "Yes", "Yes", "No", "No",
    ]  # fmt: skip
    a = rows[2]
    assert a["Conditions"] == "Diabetes; Hypertension; Heart failure or cardiomyopathy"
    assert a["Evidence codes"] == (
        "Diabetes: E11.9; Hypertension: I10; Heart failure or cardiomyopathy: I50.9"
    )
    assert a["Last visit"] == dt.datetime(2026, 1, 10)
    assert a["Date of birth"] == dt.datetime(1950, 3, 4)
    assert (a["Payer"], a["Payer as exported"]) == ("Medicare (traditional)", "Medicare Part B")
    assert rows[-1]["Payer"] == "Commercial"
    assert [r["Billable"] for r in rows] == ["Yes"] * 6 + ["No", "No"]
    assert rows[-1]["Why not billable"] == (
        "Private insurance is the main insurance: the program bills Medicare patients only "
        "(some plans pay for CCM; ask billing)"
    )
    assert all("model" not in (r["Why not billable"] or "") for r in rows)
    assert a["Secondary payer"] == "Medigap Plan G"
    assert all(r[c] is None for r in rows for c in ("Outreach attempts", "Consent date", "Outcome"))
    assert rows[5]["Last visit"] is None
    for column in ("Last visit", "Date of birth"):
        assert sheet.cell(row=4, column=list(a).index(column) + 1).number_format == "yyyy-mm-dd"


def test_no_billable_row_after_a_non_billable_one_within_a_provider(tmp_path: Path) -> None:
    rng = np.random.default_rng(26)
    payers = ["medicare_ffs", "medicare_advantage", "commercial", "medicaid", "unknown"]
    people = {
        f"P{i:03}": person(
            str(rng.choice(["2026-05-01", "2024-01-01", "2025-12-24"])) if i % 7 else None,
            name=f"N{i}",
            provider=["Dr Lee", "Dr Ray", "dr lee", None][int(rng.integers(0, 4))],
            payer_class=str(rng.choice(payers)),
            inpatient_admits_12m=int(rng.integers(0, 2)),
        )
        for i in range(120)
    }
    codes = {pid: [THREE, TWO, ["I509"]][i % 3] for i, pid in enumerate(people)}
    _, book = write(tmp_path, make_panel(people, codes, roles=ALL_ROLES), first_batch=10)
    rows = pd.DataFrame(rows_of(book[SHEET]))
    provider = rows["Provider"].fillna("").str.casefold()
    assert rows["Next step"].nunique() == 3 and provider.nunique() == 3
    for _, group in rows.groupby(provider, sort=False):
        billable = group["Billable"].eq("Yes").to_numpy()
        assert not (billable[1:] & ~billable[:-1]).any()  # no Yes after a No
        block = group["Next step"].map({"Call to enrol": 0, "Book a visit first": 1}).fillna(2)
        assert block.is_monotonic_increasing
        assert group["Call order"].tolist() == list(range(1, len(group) + 1))
    batch = rows[rows["First month"].eq("Yes")]
    assert len(batch) == 10 and set(batch["Billable"]) == {"Yes"}
    assert set(batch["Next step"]) == {"Call to enrol"}  # enough callable rows for the batch


def test_first_month_batch_takes_each_providers_first_calls(tmp_path: Path) -> None:
    _, book = write(tmp_path, first_batch=4)
    rows = rows_of(book[SHEET])
    # Billable rows, the callable block first, in call order across providers: D and A (each
    # their provider's first), B (a second); then the book-a-visit block: H (adams' first).
    assert [r["Patient ID"] for r in rows if r["First month"] == "Yes"] == ["D", "H", "A", "B"]
    assert "the 4 patients to offer CCM in the first month" in book[SHEET]["A2"].value
    _, book = write(tmp_path, first_batch=100)  # more than the billable rows: all of them
    assert [r["First month"] for r in rows_of(book[SHEET])] == ["Yes"] * 6 + [None, None]


def test_print_sheet_per_provider(tmp_path: Path) -> None:
    _, book = write(tmp_path, first_batch=2)
    whole = rows_of(book[SHEET])
    lee = book["Print 3 Dr Lee"]
    assert lee["A1"].value.startswith("Contains PHI - CCM outreach worklist: Dr Lee (5 patients")
    rows = rows_of(lee)
    assert list(rows[0]) == list(PRINT_COLUMNS)
    assert [r["Name"] for r in rows] == [r["Name"] for r in whole if r["Provider"] == "Dr Lee"]
    assert [r["Call order"] for r in rows] == [1, 2, 3, 4, 5]
    for name in book.sheetnames[2:]:
        printed = book[name]
        assert printed.page_setup.orientation == "landscape"
        assert (printed.page_setup.fitToWidth, printed.page_setup.fitToHeight) == (1, 0)
        assert printed.sheet_properties.pageSetUpPr.fitToPage
        assert printed.print_title_rows == "$1:$3"
        assert printed.freeze_panes == "D4"  # call order, name and phone stay in view
    assert [r["Name"] for r in rows_of(book["Print 4 No provider"])] == ["Ivy"]


def test_entry_columns_have_data_validation(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    rules = {str(v.sqref): v for v in book[SHEET].data_validations.dataValidation}
    assert rules["F4:F11"].type == "whole" and rules["F4:F11"].formula2 == "20"
    assert rules["G4:G11"].type == "date"
    outcome = rules["H4:H11"]
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
        assert rows["com"]["Why not billable"].startswith("Private insurance")
        assert (rows["ma"]["Why not billable"] is None) == ma_pays


def test_formatting_and_about_sheet(tmp_path: Path) -> None:
    _, book = write(tmp_path)
    sheet = book[SHEET]
    assert sheet.freeze_panes == "E4"  # provider, call order, name and phone stay in view
    assert sheet.auto_filter.ref == "A3:V11"  # 22 columns, header + 8 patients
    assert sheet["A3"].font.bold
    assert sheet.column_dimensions["A"].width == 20
    about = [row for row in book[ABOUT_SHEET].iter_rows(values_only=True)]
    described = [row[0] for row in about[1:23]]
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
        "Call order", "Phone", "Next step", "Outreach attempts", "Consent date", "Outcome",
        "Patient ID", "Program", "Chronic conditions", "Conditions", "Evidence codes",
        "Needs initiating visit", "Payer", "Billable", "Why not billable", "Payer as exported",
    ]  # fmt: skip
    assert book.sheetnames[2:] == ["Print 1 All providers"]
    assert book[SHEET].freeze_panes == "C4"
    assert all(r["Phone"] is None for r in rows)
    assert contact_warnings(panel) == [NO_PHONE_WARNING]
    assert contact_warnings(practice_panel()) == []
    # No last-visit column: whether a patient needs an initiating visit is unknown.
    assert [(r["Patient ID"], r["Needs initiating visit"]) for r in rows] == [
        ("A", "Unknown"),
        ("B", "Unknown"),
    ]
    assert [r["Payer"] for r in rows] == ["Commercial", "Not recognised"]
