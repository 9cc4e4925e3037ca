"""`ccm-assess notebooks DIR`: every bundled notebook copied, each runs where it lands."""

from __future__ import annotations

import json

import nbformat
import pytest

from ccm_assess.edge import cli
from ccm_assess.reference import bundled_dir

NOTEBOOKS = sorted(p.name for p in bundled_dir("notebooks").glob("*.ipynb"))


def test_the_kit_has_the_three_notebooks():
    assert NOTEBOOKS == ["ccm_assessment.ipynb", "monthly_audit.ipynb", "scenario_explorer.ipynb"]


def test_writes_every_notebook_and_lists_it(tmp_path, capsys):
    target = tmp_path / "analysis"
    assert cli.main(["notebooks", str(target)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(target / name) for name in NOTEBOOKS]
    for name in NOTEBOOKS:
        assert (target / name).read_bytes() == (bundled_dir("notebooks") / name).read_bytes()
    # again into the same folder: identical copies are the kit's own, so this is fine
    assert cli.main(["notebooks", str(target)]) == 0


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, capsys):
    (tmp_path / "monthly_audit.ipynb").write_text("my own notes", encoding="utf-8")
    assert cli.main(["notebooks", str(tmp_path)]) == 2
    assert "monthly_audit.ipynb" in capsys.readouterr().err
    assert (tmp_path / "monthly_audit.ipynb").read_text(encoding="utf-8") == "my own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monthly_audit.ipynb"]  # nothing else


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_notebook_reaches_outside_its_folder(name):
    # a copy lands anywhere: paths go through the package ("<sample>"), never "../"
    cells = json.loads((bundled_dir("notebooks") / name).read_text(encoding="utf-8"))["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "../" not in code and "sample_data/" not in code


def _run_where_copied(tmp_path, monkeypatch, names):
    import papermill

    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    target = tmp_path / "copied"
    assert cli.main(["notebooks", str(target), "-q"]) == 0
    for name in names:
        out = target / f"executed_{name}"
        papermill.execute_notebook(
            str(target / name), str(out), kernel_name="python3", cwd=str(target),
            progress_bar=False,
        )  # fmt: skip
        cells = nbformat.read(out, as_version=4).cells
        errors = [o for c in cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]  # fmt: skip
        assert errors == [], name


@pytest.mark.e2e
def test_the_audit_notebook_runs_where_it_was_copied(tmp_path, monkeypatch):
    # the cheapest notebook; it used to read "../sample_data/audit/..." and failed elsewhere
    _run_where_copied(tmp_path, monkeypatch, ["monthly_audit.ipynb"])


@pytest.mark.e2e
@pytest.mark.slow
def test_every_notebook_runs_where_it_was_copied(tmp_path, monkeypatch):
    _run_where_copied(tmp_path, monkeypatch, NOTEBOOKS)
