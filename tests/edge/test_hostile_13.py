"""Hostile inputs of issue 13: caps, crafted workbooks, sentinel values, YAML bombs, messages
without panel text, environment errors. Every file is built small in tmp_path at test time;
time and memory of each are measured by benchmarks/hostile.py, never asserted here.
"""

from __future__ import annotations

import errno
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ccm_assess.edge.cli import crash_report, environment_advice, main
from ccm_assess.intake.panel import read_panel
from ccm_assess.intake.values import examples

AS_OF = "2026-11-20"
SENTINEL = "ZQXSENTINEL"


def check(path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str]:
    status = main(["check", str(path), "--as-of", AS_OF, *options])
    out, err = capsys.readouterr()
    return status, out + err


def small_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    for row in (["MRN", "Dx"], ["1", "E11.9"], ["2", "I10"]):
        book.active.append(row)
    book.save(path)
    return path


def rewrite_part(path: Path, part: str, change) -> Path:
    """Rewrite one zip member of a workbook with `change(bytes) -> bytes`."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, change(data) if info.filename == part else data)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_sheet_declaring_the_whole_grid_is_refused_unread(tmp_path, capsys) -> None:
    path = rewrite_part(
        small_xlsx(tmp_path / "extent.xlsx"),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml),
    )
    assert path.stat().st_size < 20_000
    status, text = check(path, capsys)
    assert status == 2
    assert "declares too many columns: 16,384, above the limit of 2,000" in text
    assert "--limit columns=16384" in text


def test_a_sheet_declaring_far_more_rows_than_it_holds_is_refused(tmp_path, capsys) -> None:
    path = rewrite_part(
        small_xlsx(tmp_path / "rows.xlsx"),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:Z1048576"', xml),
    )
    status, text = check(path, capsys)
    assert status == 2
    assert "declares 1,048,576 rows x 26 columns but holds 3 x 2" in text


def crafted_zip(path: Path, members: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_huge_text_part_is_refused_before_reading(tmp_path, capsys) -> None:
    """A 3 MiB shared-strings part with the cap at 1 MiB (the default cap, 512 MiB, is the
    same check on a bigger file)."""
    path = small_xlsx(tmp_path / "strings.xlsx")
    members = {i.filename: zipfile.ZipFile(path).read(i) for i in zipfile.ZipFile(path).infolist()}
    members["xl/sharedStrings.xml"] = b"<sst><si><t>" + b"x" * (3 << 20) + b"</t></si></sst>"
    crafted_zip(path, members)
    status, text = check(path, capsys, "--limit", "strings_mb=1")
    assert status == 2
    assert "the text cells of 'strings.xlsx' are too large once unzipped: 3 MiB" in text


def test_a_zip_bomb_cell_is_refused_unzipped(tmp_path, capsys) -> None:
    """One 100 MiB inline string that zips to about 100 KiB (the 1 GB version of the attack
    is the same ratio); refused from the zip directory alone."""
    path = small_xlsx(tmp_path / "bomb.xlsx")
    members = {i.filename: zipfile.ZipFile(path).read(i) for i in zipfile.ZipFile(path).infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"E11.9", b"E" * (100 << 20), 1)
    crafted_zip(path, members)
    assert path.stat().st_size < 1 << 20
    status, text = check(path, capsys)
    assert status == 2 and "a zip bomb, or one enormous cell" in text


def test_file_size_cap_comes_before_reading(tmp_path, capsys) -> None:
    path = tmp_path / "big.csv"
    path.write_text("MRN,Dx\n" + "1,E11.9\n" * 300_000)  # 2.3 MiB
    status, text = check(path, capsys, "--limit", "file_mb=1")
    assert status == 2
    assert "'big.csv' is too large: 2 MiB, above the limit of 1 MiB" in text
    assert "--limit file_mb=2" in text


def test_a_long_cell_is_refused_with_its_place_not_its_content(tmp_path, capsys) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"MRN,Dx,Notes\n1,E11.9,{SENTINEL * 20_000}\n2,I10,ok\n")
    status, text = check(path, capsys)
    assert status == 2
    assert "a cell in row 2, column 3 is too long: 220,000 characters" in text
    assert SENTINEL not in text


def test_rows_and_columns_caps(tmp_path, capsys) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["MRN", "Dx", *(f"c{i}" for i in range(30))]) + "\n1,E11.9\n")
    status, text = check(path, capsys, "--limit", "columns=10")
    assert status == 2 and "has too many columns: 32, above the limit of 10" in text
    assert check(path, capsys, "--limit", "columns=40")[0] == 0
    assert check(path, capsys, "--limit", "rows=lots")[0] == 2


def test_long_tokens_without_spaces_in_every_column_read_quickly(tmp_path, capsys) -> None:
    """120,000 characters without a space in the code, payer, provider and name cells (the
    quadratic payer rule `medicare.*medicaid` took minutes on such text)."""
    token = "medicare" * 3_000 + "E11.9" * 2_000  # 34,000 characters
    rows = [f"{i},{token},{token},{token},{token}" for i in range(3)]
    path = tmp_path / "tokens.csv"
    path.write_text("MRN,Dx,Primary Insurance,PCP,Name\n" + "\n".join(rows) + "\n")
    status, _ = check(path, capsys, "--limit", "cell_chars=200000")
    assert status in (0, 2)


def test_sentinel_dates_and_counts_are_unknown_and_counted(tmp_path) -> None:
    path = tmp_path / "sentinels.csv"
    path.write_text(
        "MRN,Dx,DOB,Last Visit,Date of Death,IP Admits,ED Visits\n"
        "1,E11.9;I10,9999-12-31,0001-01-01,12/31/9999,inf,12345678901234567890\n"
        "2,E11.9;I10,1950-01-01,2026-10-01,,1,2\n"
    )
    panel = read_panel(path)
    assert panel.patients.loc["1", ["birth_date", "last_visit_date"]].isna().all()
    assert panel.patients["inpatient_admits_12m"].tolist() == [pd.NA, 1]
    bad = panel.quality.bad_dates.set_index(["column", "problem"])["count"].to_dict()
    assert bad[("birth_date", "out of range (a no-date value)")] == 1
    assert bad[("last_visit_date", "out of range (a no-date value)")] == 1
    unread = panel.quality.bad_values.set_index("column")["count"].to_dict()
    assert unread == {"inpatient_admits_12m": 1, "ed_visits_12m": 1}


def test_headerless_file_names_no_cell(tmp_path, capsys) -> None:
    path = tmp_path / "headerless.csv"
    path.write_text(f"10234,{SENTINEL} Ann,1950-03-04,E11.9\n10235,{SENTINEL} Bob,1948-01-02,I10\n")
    status, text = check(path, capsys)
    assert status == 2
    assert "looks like patient data" in text or "no row looks like a header" in text
    assert SENTINEL not in text and "10234" not in text and "1950" not in text


def test_a_map_to_a_missing_header_does_not_echo_headers_that_are_data(tmp_path, capsys) -> None:
    path = tmp_path / "data_header.csv"
    path.write_text(f"MRN,Dx,Note\n1,E11.9,{SENTINEL}\n")
    status, text = check(path, capsys, "--map", "provider=Doctor")
    assert status == 2 and "headers found: 'MRN', 'Dx', 'Note'" in text


def test_examples_show_only_code_shaped_tokens() -> None:
    shown = examples(pd.Series(["E11.9", f"{SENTINEL} Smith", "250.00", "1950-01-02"]))
    assert shown == "E11.9, (text not shown), 250.00"


def test_yaml_alias_bomb_is_refused_without_its_content(tmp_path, capsys) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nconsent_rate: *i\n")
    panel = tmp_path / "p.csv"
    panel.write_text("MRN,Dx\n1,E11.9;I10\n")
    for option in ("--assumptions", "--questionnaire"):
        status = main(["run", str(panel), "--out", str(tmp_path / "out"), "--formats", "xlsx",
                       option, str(bomb), "--as-of", AS_OF])  # fmt: skip
        err = capsys.readouterr().err
        assert status == 2
        assert "more than 100,000 values" in err and "lol" not in err


def test_binary_parquet_column_reads(tmp_path) -> None:
    path = tmp_path / "bin.parquet"
    pd.DataFrame({"MRN": [b"1", b"2"], "Dx": [b"E11.9", b"\xff\xfeI10"]}).to_parquet(path)
    panel = read_panel(path)
    assert list(panel.patients.index) == ["1", "2"]


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permission"),
     (errno.EFBIG, "larger than this disk allows")],
)  # fmt: skip
def test_environment_errors_say_what_to_do(code: int, words: str) -> None:
    advice = environment_advice(OSError(code, "x", "/out/report.html"))
    assert advice is not None and words in advice and "/out/report.html" in advice
    assert environment_advice(OSError(errno.EIO, "x")) is None


def test_a_full_disk_is_exit_2_not_a_bug(tmp_path, capsys, monkeypatch) -> None:
    import ccm_assess.edge.run as report

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "summary.json"))

    monkeypatch.setattr(report, "write_summary", full)
    panel = tmp_path / "p.csv"
    panel.write_text("MRN,Dx\n1,E11.9;I10\n")
    status = main(["run", str(panel), "--out", str(tmp_path / "out"), "--formats", "xlsx"])
    err = capsys.readouterr().err
    assert status == 2 and "the disk is full" in err and "bug" not in err
    assert not list((tmp_path / "out").glob(".ccm-assess-*"))


def test_crash_report_holds_no_exception_message() -> None:
    try:
        pd.Timestamp(f"{SENTINEL}")
    except ValueError as error:
        report = crash_report(error)
    assert "DateParseError" in report and "test_hostile_13.py" in report
    assert SENTINEL not in report


def test_batch_summary_keeps_no_bug_message_text(tmp_path) -> None:
    from ccm_assess.edge.batch import BatchOptions, PracticeJob, assess_practice

    job = PracticeJob("X", tmp_path / "missing.csv", tmp_path / "x")
    outcome = assess_practice(job, BatchOptions(input=tmp_path, out=tmp_path))
    assert outcome.status == "failed" and "not found" in outcome.message
    assert json.dumps(outcome.message)


def _crash_or_run(job, options, sender) -> None:
    """A practice whose process dies natively (as a reader's panic would), or runs normally."""
    import os

    from ccm_assess.edge.batch import _child

    if job.practice == "Crash":
        os.abort()
    _child(job, options, sender)


def test_a_native_crash_ends_only_its_practice(tmp_path, monkeypatch) -> None:
    import ccm_assess.edge.batch as batch

    good = tmp_path / "good.csv"
    good.write_text("MRN,Dx\n1,E11.9;I10\n")
    jobs = [batch.PracticeJob("Crash", good, tmp_path / "crash"),
            batch.PracticeJob("Good", good, tmp_path / "good")]  # fmt: skip
    options = batch.BatchOptions(input=tmp_path, out=tmp_path, formats=("xlsx",))
    outcomes = dict(batch._isolated(jobs, options, 2, target=_crash_or_run))
    assert outcomes[0].status == "failed" and "stopped unexpectedly" in outcomes[0].message
    assert outcomes[1].status == "ok"


def test_a_header_that_is_a_patient_value_is_not_shown(tmp_path) -> None:
    """Mapping a role to a patient's value (a file without a header row) keeps it out of the
    report's and the workbook's column tables."""
    from ccm_assess.outputs.html.appendix import columns_table

    path = tmp_path / "no_header.csv"
    path.write_text("10234,Dx\n10235,E11.9;I10\n10236,I10\n")
    panel = read_panel(path, mapping={"patient_id": "10234"})
    table = columns_table(panel)
    assert "10234" not in table and "(a value, not shown)" in table
