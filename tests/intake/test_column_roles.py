"""Column roles from content (`column_roles.py`), the check's column view, `columns` in
`check --json`, and saved mappings (`mapping_file.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.edge import cli
from ccm_assess.errors import PanelError
from ccm_assess.intake.column_roles import ColumnView, guess_header_row
from ccm_assess.intake.mapping_file import load_mapping, save_mapping
from ccm_assess.intake.panel import read_panel

TODAY = pd.Timestamp.today()


def write(path: Path, rows: list[list[object]]) -> Path:
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return path


def listing_export(path: Path, n: int = 12) -> Path:
    """Unknown id and code headers: `Acct Ref` ids, codes `;`-listed under `Billed`, a
    payer column under `Carrier Desc` and a last-visit date under `Seen`."""
    visit = (TODAY - pd.Timedelta(days=30)).strftime("%m/%d/%Y")
    rows: list[list[object]] = [["Acct Ref", "Billed", "Carrier Desc", "Seen", "Note"]]
    for i in range(n):
        codes = "; ".join(["E11.9", "I10", "N18.30"][: 1 + i % 3])
        payer = ["Medicare", "Aetna PPO", "Medicaid"][i % 3]
        rows.append([f"AR{1000 + i}", codes, payer, visit, "called"])
    return write(path, rows)


def test_unknown_headers_are_read_by_what_the_cells_hold(tmp_path: Path) -> None:
    panel = read_panel(listing_export(tmp_path / "p.csv"))
    # 12 patients with 1, 2, 3, 1, 2, 3, ... codes: 4 x (1 + 2 + 3) = 24 pairs
    assert len(panel.patients) == 12 and len(panel.diagnoses) == 24
    assert panel.mapping["patient_id"] == ["Acct Ref"]
    assert panel.mapping["primary_payer"] == ["Carrier Desc"]
    assert panel.mapping["last_visit_date"] == ["Seen"]
    assert panel.patients["payer_class"].value_counts().to_dict() == {
        "medicare_ffs": 4, "commercial": 4, "medicaid": 4}  # fmt: skip
    views = {v.header: v for v in panel.columns}
    assert views["Billed"] == ColumnView(1, "Billed", "diagnosis", "content", 1.0)
    assert views["Acct Ref"].found_by == "content" and views["Acct Ref"].match_share == 1.0
    assert views["Note"] == ColumnView(4, "Note", None, None, None)


def test_check_json_lists_every_column(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = listing_export(tmp_path / "p.csv")
    assert cli.main(["check", str(path), "--json", "--as-of", "2026-11-20"]) == 0
    columns = json.loads(capsys.readouterr().out)["columns"]
    assert [(c["header"], c["role"], c["found_by"]) for c in columns] == [
        ("Acct Ref", "patient_id", "content"),
        ("Billed", "diagnosis", "content"),
        ("Carrier Desc", "primary_payer", "content"),
        ("Seen", "last_visit_date", "content"),
        ("Note", None, None),
    ]
    assert columns[1]["match_share"] == 1.0


def test_check_text_shows_role_how_and_evidence(tmp_path: Path) -> None:
    from ccm_assess.edge.check import format_check

    text = format_check(read_panel(listing_export(tmp_path / "p.csv")))
    assert "  Billed        diagnosis             content  100% of cells fit" in text
    assert "  Note          (not read)" in text


def test_an_overflow_column_joins_the_numbered_ones(tmp_path: Path) -> None:
    rows: list[list[object]] = [["MRN", "Dx1", "Dx2", "Other Diagnoses"]]
    rows += [[i, "E11.9", "I10", "J44.9; F32.9"] for i in range(1, 7)]
    panel = read_panel(write(tmp_path / "wide.csv", rows))
    assert len(panel.diagnoses) == 6 * 4
    assert panel.mapping["diagnosis"] == ["Dx1", "Dx2", "Other Diagnoses"]


def test_a_code_column_left_out_by_the_mapping_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows: list[list[object]] = [["MRN", "Dx1", "Other Diagnoses"]]
    rows += [[i, "E11.9", "J44.9; F32.9"] for i in range(1, 7)]
    path = write(tmp_path / "wide.csv", rows)
    assert cli.main(["check", str(path), "--map", "diagnosis=Dx1"]) == 2
    err = capsys.readouterr().err
    assert "'Other Diagnoses' hold ICD-10-CM codes" in err and "J44" not in err
    assert "--map diagnosis=<header>" in err and "--map ignore=<header>" in err
    argv = ["check", str(path), "--map", "diagnosis=Dx1", "--map", "diagnosis=Other Diagnoses"]
    assert cli.main(argv) == 0
    assert cli.main(["check", str(path), "--map", "diagnosis=Dx1", "--map",
                     "ignore=Other Diagnoses"]) == 0  # fmt: skip
    assert "columns left out by the mapping: 'Other Diagnoses'" in capsys.readouterr().out


def test_a_sparse_code_column_is_read_however_few_its_codes(tmp_path: Path) -> None:
    # 3,000 patients; `Extra Dx` holds a code on rows 2,601-2,603 only (outside the sampled
    # top and middle blocks): those 3 codes are read, 3,000 + 3 pairs in all
    rows: list[list[object]] = [["MRN", "Dx", "Extra Dx"]]
    rows += [[i, "I10", "J44.9" if 2600 <= i < 2603 else ""] for i in range(1, 3001)]
    panel = read_panel(write(tmp_path / "sparse.csv", rows))
    assert panel.mapping["diagnosis"] == ["Dx", "Extra Dx"]
    assert len(panel.diagnoses) == 3003
    assert panel.diagnoses["code"].eq("J449").sum() == 3


def test_headers_win_when_clear_and_map_always(tmp_path: Path) -> None:
    # `Payer` is a payer header although its cells are ids; --map moves the id role
    rows: list[list[object]] = [["MRN", "Payer", "Dx"]]
    rows += [[f"M{i}", f"X{900 + i}", "I10"] for i in range(8)]
    path = write(tmp_path / "p.csv", rows)
    panel = read_panel(path)
    assert panel.mapping["patient_id"] == ["MRN"] and panel.mapping["primary_payer"] == ["Payer"]
    moved = read_panel(path, mapping={"patient_id": "Payer"})
    assert moved.patients.index[0] == "X900"
    assert {v.header: v.found_by for v in moved.columns}["Payer"] == "map"


def test_weak_evidence_is_reported_not_used(tmp_path: Path) -> None:
    # 4 of 10 `Plan Type` cells name a payer: 40%, between the weak (30%) and sure (80%) bars
    rows: list[list[object]] = [["MRN", "Dx", "Plan Type"]]
    plans = ["Medicare", "Medicaid", "Aetna", "Humana Gold"] + ["Tier A", "Tier B"] * 3
    rows += [[i, "I10", plans[i]] for i in range(10)]
    panel = read_panel(write(tmp_path / "p.csv", rows))
    assert "primary_payer" not in panel.mapping
    assert (
        "column 'Plan Type' may be primary_payer (40% of its cells fit); not used: pass "
        "--map primary_payer=<header> to use it" in panel.notes
    )


def test_a_close_call_between_id_columns_is_reported(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Ref A", "Ref B", "Dx"]]
    rows += [[f"A{i}", f"B{i}", "I10"] for i in range(8)]
    panel = read_panel(write(tmp_path / "p.csv", rows))
    assert panel.mapping["patient_id"] == ["Ref A"]
    assert any(n.startswith("patient_id: columns 'Ref A', 'Ref B' fit about as well") for n in
               panel.notes)  # fmt: skip


def test_long_export_prefers_the_id_repeated_over_its_rows(tmp_path: Path) -> None:
    # an encounter number is unique per row; the patient's number repeats over their rows
    rows: list[list[object]] = [["Enc Num", "Pt Num", "Codes"]]
    rows += [[f"V{k}", f"P{k // 3}", ["E11.9", "I10", "J44.9"][k % 3]] for k in range(12)]
    panel = read_panel(write(tmp_path / "p.csv", rows))
    assert panel.mapping["patient_id"] == ["Pt Num"]
    assert len(panel.patients) == 4 and len(panel.diagnoses) == 12


def test_header_row_without_known_headers() -> None:
    text = pd.DataFrame(
        [["Report", None], [None, None], ["Ref", "Billed"], ["A1", "I10"]], dtype="str"
    )
    assert guess_header_row(text) == 2


def test_saved_mapping_round_trip_and_a_header_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = listing_export(tmp_path / "p.csv")
    saved = tmp_path / "mapping.yaml"
    assert cli.main(["check", str(path), "--save-mapping", str(saved)]) == 0
    sheet, mapping = load_mapping(saved)
    assert sheet is None
    assert mapping == {"patient_id": ["Acct Ref"], "diagnosis": ["Billed"],
                       "primary_payer": ["Carrier Desc"], "last_visit_date": ["Seen"]}  # fmt: skip
    assert cli.main(["check", str(path), "--mapping", str(saved)]) == 0
    renamed = tmp_path / "next_month.csv"
    renamed.write_text(path.read_text().replace("Billed", "Codes"), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["check", str(renamed), "--mapping", str(saved)]) == 2
    err = capsys.readouterr().err
    assert "no column 'Billed' for diagnosis" in err and str(saved) in err


def test_mapping_files_are_loaded_safely(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\ncolumns: {patient_id: *a}\n", encoding="utf-8")
    with pytest.raises(PanelError, match="anchors or aliases"):
        load_mapping(bomb)
    code = tmp_path / "code.yaml"
    code.write_text("columns: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(PanelError, match="not readable YAML"):
        load_mapping(code)
    with pytest.raises(PanelError, match="the mapping file .* does not exist"):
        load_mapping(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- MRN\n", encoding="utf-8")
    with pytest.raises(PanelError, match="no `columns:` section"):
        load_mapping(tmp_path / "list.yaml")


def test_save_mapping_names_the_sheet(tmp_path: Path) -> None:
    panel = read_panel(listing_export(tmp_path / "p.csv"))
    text = save_mapping(panel, tmp_path / "m.yaml").read_text(encoding="utf-8")
    assert "header_row: 1" in text and "Acct Ref" in text and "AR1000" not in text


def test_run_saves_the_mapping_it_read_with(tmp_path: Path) -> None:
    from ccm_assess.edge.run import RunOptions, prepare

    path = listing_export(tmp_path / "p.csv")
    saved = tmp_path / "run_mapping.yaml"
    prepare(RunOptions(panel=path, out=tmp_path / "out", save_mapping=saved), lambda _: None)
    assert load_mapping(saved)[1]["diagnosis"] == ["Billed"]


def test_ids_that_look_like_codes_stay_the_patient_id(tmp_path: Path) -> None:
    """`F900` and `R203` are ICD-10-CM codes in shape (F90.0, R20.3) but each is a new value,
    as ids are: the MRN column stays the id (found by hypothesis: it used to crash)."""
    path = write(tmp_path / "p.csv", [["MRN", "Primary Insurance", "Dx1"],
                                      ["R203", "Medicare", "Diabetes"],
                                      ["F900", "Medicare", "E11.9"]])  # fmt: skip
    panel = read_panel(path)
    assert panel.mapping["patient_id"] == ["MRN"]
    assert sorted(panel.patients.index) == ["F900", "R203"]
    assert panel.diagnoses["code"].tolist() == ["E119"]


def test_birth_dates_spelled_two_ways_do_not_make_more_patients(tmp_path: Path) -> None:
    """Two patients whose birth dates are written in several spellings: the MRN column still
    has as many values as the birth dates imply (found by hypothesis: the id was dropped)."""
    path = write(tmp_path / "p.csv", [["MRN", "DOB", "Primary Insurance", "ICD10"],
                                      ["10000", "1968-12-05", "Medicare", "E11.9"],
                                      ["10000", "25177", "Medicare", "I10"],
                                      ["100", "2000-01-01", "Medicare", "E11.9"],
                                      ["100", "1/1/2000", "Medicare", "I10"],
                                      ["100", "01/01/2000", "Medicare", "J44.9"]])  # fmt: skip
    panel = read_panel(path)
    assert panel.mapping["patient_id"] == ["MRN"]
    assert sorted(panel.patients.index) == ["100", "10000"]
