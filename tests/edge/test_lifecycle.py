"""A run's life in its output folder (issue 13): sentinel identifiers never leave the worklist,
SIGTERM leaves no staging folder and no orphan process, stale staging is removed, inputs are
never overwritten, a run owns its output set, a failed PDF still publishes the rest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pytest

import ccm_assess.edge.run as report
from ccm_assess import staging
from ccm_assess.edge import lifecycle
from ccm_assess.edge.cli import main
from ccm_assess.errors import ReportError
from ccm_assess.outputs.export import find_browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PANEL = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
AS_OF = "2026-11-20"
MARK = "ZQXMARK"
FREE_TEXT = ("name", "phone", "address", "payer", "payer2", "dx", "dob", "visit", "deceased",
             "hospice", "admits", "note")  # fmt: skip


def planted_panel(path: Path) -> Path:
    """40 eligible patients; every free-text column of patient 1..6 holds a sentinel
    (`ZQXMARK<column>`), as text a real export might hold (typed into the wrong cell)."""
    header = ("MRN,Patient Name,Phone,Address,Primary Insurance,Secondary Insurance,Dx,DOB,"
              "Last Visit,Deceased,Hospice,IP Admits,Notes")  # fmt: skip
    lines = [header]
    for i in range(40):
        cells = [f"M{i:03d}", f"Name{i}", "555-0100", "1 Main St", "Medicare", "", "E11.9; I10",
                 "1950-01-01", "2026-10-01", "N", "", "0", ""]  # fmt: skip
        if i < 6:
            marks = {column: f"{MARK}{column}" for column in FREE_TEXT}
            cells[1:4] = [marks["name"], marks["phone"], marks["address"]]
            cells[4:6] = [marks["payer"], marks["payer2"]]
            cells[6] = f"E11.9; I10; {marks['dx']}"
            cells[7:12] = [marks["dob"], marks["visit"], marks["deceased"], marks["hospice"],
                           marks["admits"]]  # fmt: skip
            cells[12] = marks["note"]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def texts(folder: Path) -> dict[str, str]:
    """Every non-PHI output of a run folder as text (the worklist is PHI: left out)."""
    found = {}
    for path in folder.rglob("*"):
        if not path.is_file() or path.name == "worklist.xlsx":
            continue
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            found[path.name] = "\n".join(
                str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row
            )
        else:
            found[path.name] = path.read_bytes().decode("utf-8", "replace")
    return found


def test_sentinels_planted_in_every_free_text_column_reach_no_output_or_message(
    tmp_path, capsys
) -> None:
    panel = planted_panel(tmp_path / "panel.csv")
    out = tmp_path / "out"
    assert main(["run", str(panel), "--out", str(out), "--formats", "xlsx", "--as-of", AS_OF]) == 0
    messages = "".join(capsys.readouterr())
    assert main(["check", str(panel), "--as-of", AS_OF]) == 0
    check_text = capsys.readouterr().out
    found = {name: text for name, text in texts(out).items() if MARK in text}
    assert found == {}
    assert MARK not in messages
    # `check` is the consultant's own screen: unrecognised payer text is listed there (to be
    # mapped), nothing else
    assert {word for word in FREE_TEXT if f"{MARK}{word}" in check_text} == {"payer", "payer2"}
    worklist = texts_of_worklist(out / "worklist.xlsx")
    assert f"{MARK}name" in worklist  # the scan is not vacuous: the PHI file holds them


def texts_of_worklist(path: Path) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row)


def test_out_that_would_overwrite_an_input_is_refused(tmp_path, capsys) -> None:
    panel = planted_panel(tmp_path / "summary.json")  # a CSV named like an output
    status = main(["run", str(panel), "--out", str(tmp_path), "--formats", "xlsx"])
    assert status == 2 and "would overwrite the input file summary.json" in capsys.readouterr().err
    assert panel.read_text().startswith("MRN,")


def test_a_run_owns_its_output_set(tmp_path, capsys) -> None:
    panel = planted_panel(tmp_path / "panel.csv")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("an earlier report, no manifest")
    run = ["run", str(panel), "--out", str(out), "--formats", "xlsx", "--as-of", AS_OF]
    assert main(run) == 2
    assert "pass --force" in capsys.readouterr().err
    assert main([*run, "--force"]) == 0
    assert not (out / "report.html").exists()  # not written by this run: removed
    manifest = json.loads((out / lifecycle.MANIFEST).read_text())["files"]
    assert "workbook.xlsx" in manifest and "report.html" not in manifest
    # an earlier run (in the manifest) printed a PDF; this one does not: the old PDF goes
    (out / "report.pdf").write_bytes(b"%PDF- old")
    lifecycle.publish_manifest(out, [*manifest, "report.pdf"])
    (out / "notes.txt").write_text("the consultant's own file")
    assert main(run) == 0
    assert not (out / "report.pdf").exists() and (out / "notes.txt").exists()


def test_stale_staging_of_a_dead_run_is_removed(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f"{lifecycle.STAGING_PREFIX}old"  # an earlier version's, inside --out
    (stale / "out").mkdir(parents=True)
    (stale / "out" / "worklist.xlsx").write_text("PHI")
    (stale / staging.PID_FILE).write_text(dead.stdout.strip())
    private = staging.private_root() / f"{staging.RUN_PREFIX}old"
    private.mkdir()
    (private / staging.PID_FILE).write_text(dead.stdout.strip())
    alive = tmp_path / f"{lifecycle.STAGING_PREFIX}live"
    alive.mkdir()
    staging.mark_staging(alive)
    with staging.staging() as running:
        assert running.parent == staging.private_root()
        assert oct(running.stat().st_mode & 0o777) == oct(0o700)
        assert sorted(lifecycle.remove_stale_staging(tmp_path)) == sorted([stale, private])
        assert running.exists()
    assert not stale.exists() and alive.exists() and not running.exists()


def test_pdf_failure_still_publishes_html_and_workbooks(tmp_path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ReportError("chromium crashed")

    monkeypatch.setattr(report.export, "print_pdf", broken)
    monkeypatch.setattr(report.export, "find_browser", lambda browser: Path("/usr/bin/true"))
    html = tmp_path / "report.html"
    html.write_text("<html></html>")
    notes = report._print_pdf(html, tmp_path / "report.pdf", None, lambda _: None)
    assert len(notes) == 1 and "report.pdf was not written (chromium crashed)" in notes[0]
    assert "report.html and the workbooks are complete" in notes[0]


# ------------------------------------------------------------------------- SIGTERM (e2e)


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def _descendants(pid: int) -> dict[int, str]:
    """The processes started (directly or not) by `pid`: pid -> command line."""
    table = _processes()
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, cmdline) in table.items():
            if ppid == parent and child not in found:
                found[child] = cmdline
                todo.append(child)
    return found


def _alive(pids: list[int]) -> list[int]:
    table = _processes()
    return [pid for pid in pids if pid in table]


def _wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _start_run(tmp_path: Path, formats: str) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "ccm_assess", "run", str(SAMPLE_PANEL), "--out", str(out),
               "--formats", formats, "--as-of", AS_OF]  # fmt: skip
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path / "tmp")}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, out


@pytest.mark.e2e
def test_sigterm_during_the_notebook_leaves_nothing_behind(tmp_path) -> None:
    proc, out = _start_run(tmp_path, "html")

    def kernel() -> list[int]:
        return [p for p, line in _descendants(proc.pid).items() if "ipykernel" in line]

    assert _wait_for(lambda: bool(kernel()), 300), proc.communicate()[1].decode()[-2000:]
    started = list(_descendants(proc.pid))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()[-2000:]
    assert "interrupted" in err.decode()
    assert not list(out.glob(".*")) and not list(tmp_path.glob("tmp/ccm-assess-*/run-*"))
    assert _wait_for(lambda: not _alive(started), 30), _alive(started)


@pytest.mark.e2e
@pytest.mark.skipif(find_browser(None) is None, reason="no Chromium to print with")
def test_sigterm_during_the_pdf_leaves_no_browser_and_no_profile(tmp_path) -> None:
    proc, out = _start_run(tmp_path, "pdf")

    def browser() -> dict[int, str]:
        return {p: line for p, line in _descendants(proc.pid).items() if "--print-to-pdf" in line}

    seen: dict[int, str] = {}  # the browser's command lines, kept when first seen: printing
    # the sample takes a few seconds, and a second look may find the browser gone

    def printing() -> bool:
        seen.update(browser())
        return bool(seen) or proc.poll() is not None

    assert _wait_for(printing, 400) and seen, proc.communicate()[1].decode()[-2000:]
    profiles = [
        part.split("=", 1)[1]
        for line in seen.values()
        for part in line.split()
        if part.startswith("--user-data-dir=")
    ]
    started = list(_descendants(proc.pid))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()[-2000:]
    assert not list(out.glob(".*")) and not list(tmp_path.glob("tmp/ccm-assess-*/run-*"))
    assert _wait_for(lambda: not _alive(started), 30), _alive(started)
    assert profiles and not any(Path(p).exists() for p in profiles)
