"""The built wheel on its own: installed in a fresh venv, run from an empty folder.

One slow test (marked `slow`): it builds the wheel with pip, checks its contents and metadata
(the notebooks and templates inside, a lean core, the SPDX licence), installs it without
dependencies into a new venv that borrows this venv's libraries, and runs the commands a new
user types: `ccm-assess sample s && ccm-assess run s/<panel> --out o`, `--version`,
`questionnaire q`. Installing the dependencies themselves is measured by hand (see the issue
notes), not in the suite.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from ccm_assess import __version__

ROOT = Path(__file__).resolve().parents[2]
LAB_ONLY = {"jupyterlab", "ipywidgets", "anywidget"}

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _requirement_names(metadata: email.message.Message) -> tuple[set[str], set[str]]:
    """(core requirement names, [lab] requirement names) of a wheel's METADATA."""
    core, lab = set(), set()
    for requirement in metadata.get_all("Requires-Dist") or []:
        name = requirement.split(";")[0].split("[")[0]
        for stop in "<>=!~ ":
            name = name.split(stop)[0]
        (lab if 'extra == "lab"' in requirement else core if ";" not in requirement else set()).add(
            name.lower()
        )
    return core, lab


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = dist.glob("ccm_assess-*.whl")
    return built


def test_the_wheel_carries_notebooks_templates_and_a_lean_core(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_bytes(
            archive.read(f"ccm_assess-{__version__}.dist-info/METADATA")
        )
    for repo_file in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("templates/**/*.*")]:
        assert f"ccm_assess/bundled/{repo_file.relative_to(ROOT)}" in names
    core, lab = _requirement_names(metadata)
    assert not core & LAB_ONLY and lab == LAB_ONLY
    assert {"jinja2", "traitlets", "ipykernel", "pyarrow"} <= core
    assert metadata["License-Expression"] == "LicenseRef-Proprietary"


def test_the_installed_wheel_runs_a_report_from_an_empty_folder(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # this venv's libraries, not its ccm_assess (the editable install is in a .pth that a plain
    # path entry does not run); a real install with dependencies is timed by hand instead
    purelib = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (purelib / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "empty"
    work.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        # the borrowed libraries' data files (nbconvert's lab template, the python3 kernel)
        "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
    }

    def ccm(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(bin_dir / "ccm-assess"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done

    located = subprocess.run(
        [str(python), "-c", "import ccm_assess.reference as r; print(r.bundled_dir('notebooks'))"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert located == str(purelib / "ccm_assess" / "bundled" / "notebooks")
    assert ccm("--version").stdout.strip() == f"ccm-assess {__version__}"
    ccm("sample", "s")
    done = ccm(
        "run", "s/sunrise_family_medicine_panel.xlsx", "--out", "o", "--formats", "html,xlsx"
    )
    written = done.stdout.split()
    assert {Path(p).name for p in written} >= {"report.html", "workbook.xlsx", "summary.json"}
    assert all(Path(p).is_file() for p in written)
    assert "Running the report notebook" in done.stderr and "IPKernelApp" not in done.stderr
    assert "Sunrise Family Medicine" in (work / "o" / "report.html").read_text(encoding="utf-8")
    ccm("questionnaire", "q")
    assert sorted(p.name for p in (work / "q").iterdir()) == [
        "questionnaire.xlsx",
        "questionnaire.yaml",
    ]
    copied = ccm("notebooks", "nb").stdout.split()
    assert sorted(Path(p).name for p in copied) == sorted(
        p.name for p in ROOT.glob("notebooks/*.ipynb")
    )
    # the audit notebook's "<sample>" exports come from the package, not from a checkout
    audit_log = subprocess.run(
        [str(python), "-c", "from ccm_assess.edge.sample_audit import audit_sample_file as f; "
         "print(f('<sample>', 'time_log.xlsx'))"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(audit_log).is_file() and str(ROOT) not in audit_log
