"""Issue 24: a run never deletes or overwrites a file it did not write in this run (a foreign
manifest, an output path that is an input, two runs into one --out), and its staging folder,
which holds PHI, is private, outside --out, and removed by any later command after SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ccm_assess import staging
from ccm_assess.edge import lifecycle
from ccm_assess.edge.cli import main

PANEL = "MRN,Dx,Primary Insurance\n" + "".join(f"M{i},E11.9;I10,Medicare\n" for i in range(40))
AS_OF = ["--as-of", "2026-11-20"]


@pytest.fixture
def private(tmp_path, monkeypatch) -> Path:
    """A private root of this test's own (no other run's staging or locks)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


def panel_file(folder: Path, name: str = "panel.csv") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PANEL, encoding="utf-8")
    return path


def run(panel: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(panel), "--out", str(out), "--formats", "xlsx", *AS_OF, *extra]


def test_a_foreign_manifest_deletes_nothing(tmp_path, private, capsys) -> None:
    out = tmp_path / "out"
    panel = panel_file(out)  # the panel lives in --out
    (out / "notes.txt").write_text("the consultant's own")
    (out / "report.pdf").write_text("a report someone else made")
    listed = ["panel.csv", "notes.txt", "report.pdf", "../outside.txt", "workbook.xlsx"]
    (tmp_path / "outside.txt").write_text("outside --out")
    (out / lifecycle.MANIFEST).write_text(json.dumps({"files": listed}))
    assert main(run(panel, out)) == 2  # untrusted: it and report.pdf are not accounted for
    assert "pass --force" in capsys.readouterr().err
    forged = {"files": {"panel.csv": [0, 0, 0], "notes.txt": [0, 0, 0]}, "signature": "0" * 64}
    (out / lifecycle.MANIFEST).write_text(json.dumps(forged))
    assert main(run(panel, out)) == 2
    assert main(run(panel, out, "--force")) == 0  # replaces output names, nothing else
    assert panel.read_text() == PANEL and (out / "notes.txt").exists()
    assert (tmp_path / "outside.txt").exists()
    manifest = lifecycle.trusted_manifest(out)
    assert manifest is not None and "panel.csv" not in manifest and "workbook.xlsx" in manifest


def test_a_trusted_manifest_spares_a_file_changed_since_and_every_input(tmp_path, private) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_text("old report")
    (out / "report.html").write_text("old report")
    lifecycle.publish_manifest(out, ["report.pdf", "report.html"])
    (out / "report.html").write_text("edited by the consultant since")
    panel = panel_file(tmp_path)
    os.link(panel, out / "workbook.xlsx")  # an input under an output name, in a manifest
    lifecycle.publish_manifest(out, ["report.pdf", "report.html", "workbook.xlsx"])
    (out / "report.html").write_text("edited by the consultant since")
    (out / "summary.json").write_text("{}")
    assert lifecycle.publish_manifest(out, ["summary.json"], keep=[panel]) == ["report.pdf"]
    assert panel.read_text() == PANEL
    assert (out / "report.html").read_text() == "edited by the consultant since"
    # a manifest copied to another folder is not trusted there
    other = tmp_path / "other"
    other.mkdir()
    (other / lifecycle.MANIFEST).write_bytes((out / lifecycle.MANIFEST).read_bytes())
    assert lifecycle.trusted_manifest(other) is None


@pytest.mark.parametrize(
    "options",
    [
        ["--worklist", "{panel}"],
        ["--save-mapping", "{panel}"],
        ["--worklist", "{link}"],
        ["--save-mapping", "{hard}"],
        ["--worklist", "{map}", "--mapping", "{map}"],
        ["--worklist", "{out}", "--save-mapping", "{out}"],
    ],
)
def test_check_never_writes_over_an_input(tmp_path, private, capsys, options) -> None:
    panel = panel_file(tmp_path)
    (tmp_path / "link.csv").symlink_to(panel)
    os.link(panel, tmp_path / "hard.csv")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  patient_id: MRN\n  diagnosis: Dx\n")
    names = {"panel": panel, "link": tmp_path / "link.csv", "hard": tmp_path / "hard.csv",
             "map": mapping, "out": tmp_path / "out.xlsx"}  # fmt: skip
    argv = ["check", str(panel), *(o.format(**names) for o in options)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "this command reads" in err or "name the same file" in err
    assert panel.read_text() == PANEL
    assert mapping.read_text().startswith("columns:") and not (tmp_path / "out.xlsx").exists()


def test_run_never_writes_over_an_input(tmp_path, private, capsys) -> None:
    panel = panel_file(tmp_path)
    out = tmp_path / "out"
    assert main(run(panel, out, "--save-mapping", str(panel))) == 2
    assert "--save-mapping" in capsys.readouterr().err and panel.read_text() == PANEL
    out.mkdir()
    (out / "summary.json").symlink_to(panel)  # an output name pointing at the panel
    assert main(run(panel, out, "--force")) == 2
    assert "would overwrite the input file panel.csv" in capsys.readouterr().err
    assert panel.read_text() == PANEL and not out.joinpath("workbook.xlsx").exists()


def test_a_second_run_into_one_out_is_refused_while_the_first_holds_it(tmp_path, private) -> None:
    out = tmp_path / "out"
    with staging.out_lock(out):
        with pytest.raises(lifecycle.ReportError, match="another ccm-assess run .* is writing"):
            with staging.out_lock(tmp_path / "sub" / ".." / "out"):
                pass
    # a lock whose process died (SIGKILL) is released by the kernel: the next run takes it
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
         "from ccm_assess import staging\nfrom pathlib import Path\n"
         "with staging.out_lock(Path(sys.argv[2])):\n print('locked', flush=True)\n"
         " import time; time.sleep(60)", str(private), str(out)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(lifecycle.ReportError, match=f"process {holder.pid}"):
        with staging.out_lock(out):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with staging.out_lock(out):
        pass


def test_sigkill_mid_run_leaves_phi_only_until_the_next_command(tmp_path) -> None:
    """A run killed with SIGKILL while its staging folder holds the worklist and the prepared
    assessment: nothing is in --out, and any later command (here `assumptions`) removes it."""
    panel = panel_file(tmp_path)
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    code = (
        "import sys, time\nfrom ccm_assess.edge import run\n"
        "original = run._write_tables\n"
        "def stalled(assessment, staging, formats):\n"
        "    original(assessment, staging, formats)\n"
        "    print('staged', flush=True); time.sleep(120)\n"
        "run._write_tables = stalled\n"
        "from ccm_assess.edge.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, *run(panel, out)], env=env,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "staged"
    staged = list(tmp.glob("ccm-assess-*/run-*/out/worklist.xlsx"))
    assert len(staged) == 1
    assert oct(staged[0].parents[1].stat().st_mode & 0o777) == oct(0o700)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert staged[0].exists() and not list(out.glob("*worklist*"))
    later = subprocess.run([sys.executable, "-m", "ccm_assess", "assumptions"], env=env,
                           capture_output=True, check=True)  # fmt: skip
    assert later.returncode == 0
    assert not list(tmp.glob("ccm-assess-*/run-*"))
