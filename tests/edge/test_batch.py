"""`ccm-assess batch`: many practices in worker processes, one summary (xlsx formats: no kernel)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ccm_assess.edge.batch import (
    PAYER_LABELS,
    BatchOptions,
    PracticeJob,
    PracticeOutcome,
    plan_jobs,
    progress_line,
    slug,
)
from ccm_assess.edge.cli import main
from ccm_assess.edge.sample import write_ehr_xlsx
from ccm_assess.edge.sample_panel import generate_panel
from ccm_assess.errors import PanelError
from ccm_assess.intake.panel import read_panel
from ccm_assess.intake.payers import PAYER_CLASSES

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-20"
MODELS = ("in_house", "managed", "hybrid")


def hand_panel(path: Path) -> Path:
    """12 Medicare patients with E11.9 + I10 (diabetes + hypertension: CCM eligible) and 3
    commercial patients with I10 only (one condition: PCM). By hand: 15 patients, CCM 12, all
    Medicare FFS; no payer cell from 1 to 10, so nothing is suppressed."""
    lines = ["MRN,Payer,ICD10 Code"]
    for i in range(1, 13):
        lines += [f"A{i:02d},Medicare,E11.9", f"A{i:02d},Medicare,I10"]
    lines += [f"C{i},Aetna PPO,I10" for i in range(1, 4)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def broken_panel(path: Path) -> Path:
    path.write_text("Name,Phone\nAnn Lee,555-0100\n", encoding="utf-8")
    return path


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def expected_row(summary: dict) -> dict:
    """The batch row a practice's summary.json implies (suppressed values are null)."""
    row = {
        "patients": summary["panel"]["patients"],
        "patients_analysed": summary["panel"]["patients_analysed"],
        "ccm_eligible": summary["eligibility"]["ccm_eligible"],
        "recommendation": summary["recommendation"],
        "readiness_score": summary["readiness"]["score"],
    }
    for payer in PAYER_CLASSES:
        row[f"ccm_eligible_{payer}"] = summary["eligibility"]["ccm_eligible_by_payer"][payer]
    for key in MODELS:
        for metric in ("horizon_net", "break_even_month"):
            row[f"{key}_{metric}"] = summary["scenarios"][key][f"p50_{metric}"]
    return row


@pytest.fixture(scope="module")
def folder_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A folder of three panels (one broken), run by the CLI in two worker processes, over a
    5-year horizon."""
    root = tmp_path_factory.mktemp("folder")
    panels = root / "panels"
    panels.mkdir()
    hand_panel(panels / "alpha_family_care.csv")
    write_ehr_xlsx(generate_panel(60, seed=5), panels / "beta_clinic.xlsx", seed=5)
    broken_panel(panels / "zeta_broken.csv")
    (panels / "notes.md").write_text("not a panel")  # ignored: not a panel file type
    out = root / "out"
    status = main(
        ["batch", str(panels), "--out", str(out), "--formats", "xlsx", "--jobs", "2"]
        + ["--as-of", AS_OF, "--years", "5"]
    )
    return out, status


def test_folder_batch_reports_the_broken_practice_and_finishes_the_others(folder_batch) -> None:
    out, status = folder_batch
    assert status == 1  # some failed
    document = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    rows = document["rows"]
    assert [r["practice"] for r in rows] == ["Alpha Family Care", "Beta Clinic", "Zeta Broken"]
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]
    assert (document["succeeded"], document["failed"]) == (2, 1)
    assert document["options"] == {
        "year": 2026, "setting": "office", "conditions": "standard", "horizon": "5-year",
    }  # fmt: skip
    assert summary_of(out / "alpha-family-care")["model_inputs"]["horizon_months"] == 60
    with pytest.raises(PanelError) as error:
        read_panel(out.parent / "panels" / "zeta_broken.csv")
    assert rows[2]["message"] == str(error.value)
    assert "patient id" in rows[2]["message"]
    assert rows[2]["patients"] is None
    assert sorted(p.name for p in out.iterdir()) == [
        "alpha-family-care", "batch_summary.json", "batch_summary.xlsx", "beta-clinic",
    ]  # fmt: skip


def test_folder_batch_rows_equal_each_practice_summary(folder_batch) -> None:
    out, _ = folder_batch
    rows = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))["rows"]
    alpha, beta = rows[0], rows[1]
    # Worked by hand (hand_panel): 15 patients, 12 CCM eligible, all Medicare FFS; the 3 others
    # are a small group the eligible count would give away (15 - 12): it is withheld.
    assert (alpha["patients"], alpha["ccm_eligible"]) == (15, None)
    assert alpha["ccm_eligible_medicare_ffs"] is None  # = ccm_eligible: withheld with it
    assert alpha["ccm_eligible_commercial"] == 0
    assert alpha["readiness_score"] is None  # no questionnaire: not assessed
    assert alpha["suppressed"] == ["ccm_eligible", "ccm_eligible_medicare_ffs"]
    assert alpha["patients_analysed"] == 15
    for row in (alpha, beta):
        summary = summary_of(out / row["folder"])
        assert {key: row[key] for key in expected_row(summary)} == expected_row(summary)
    # A 60-patient practice has payer cells from 1 to 10: null, and named as suppressed.
    beta_summary = summary_of(out / "beta-clinic")
    paths = {
        "patients_analysed": "panel.patients_analysed",
        "ccm_eligible": "eligibility.ccm_eligible",
    }
    paths |= {f"ccm_eligible_{p}": f"eligibility.ccm_eligible_by_payer.{p}" for p in PAYER_CLASSES}
    hidden = [key for key, path in paths.items() if path in beta_summary["suppressed"]]
    assert hidden and sorted(beta["suppressed"]) == sorted(hidden)
    assert all(beta[key] is None for key in hidden)


def test_folder_batch_workbook(folder_batch) -> None:
    out, _ = folder_batch
    rows = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))["rows"]
    sheet = load_workbook(out / "batch_summary.xlsx")["Practices"]
    header = [cell.value for cell in sheet[1]]
    table = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)]
    assert len(table) == 3
    alpha, beta, broken = table
    assert (alpha["Practice"], alpha["Patients"], alpha["CCM eligible"]) == (
        "Alpha Family Care", 15, "withheld",
    )  # fmt: skip
    assert alpha["CCM eligible: Medicare FFS"] == "withheld"
    assert alpha["In-house: 5-year net"] == rows[0]["in_house_horizon_net"]
    # 12 CCM patients cannot carry a care manager: in-house never breaks even (null -> "never").
    assert rows[0]["in_house_break_even_month"] is None
    assert alpha["In-house: break-even month"] == "never"
    for key, label in zip(MODELS, ("In-house", "Managed", "Hybrid"), strict=True):
        month = rows[1][f"{key}_break_even_month"]
        assert beta[f"{label}: break-even month"] == ("never" if month is None else month)
    assert beta["Readiness score (0-100)"] is None
    hidden = rows[1]["suppressed"]
    assert hidden
    for key in [k for k in hidden if k.startswith("ccm_eligible_")]:
        label = PAYER_LABELS[key.removeprefix("ccm_eligible_")]
        # the batch reads summary.json's nulls: it cannot say "<11", only that it is hidden
        assert beta[f"CCM eligible: {label}"] == "withheld"
    assert (broken["Status"], broken["Problem"]) == ("failed", rows[2]["message"])
    assert sheet.freeze_panes == "B2"
    patients = header.index("Patients") + 1
    assert sheet.cell(row=2, column=patients).number_format == "#,##0"


def test_listing_csv_resolves_paths_against_its_folder(tmp_path, monkeypatch, capsys) -> None:
    listing_dir = tmp_path / "listing"
    (listing_dir / "panels").mkdir(parents=True)
    hand_panel(listing_dir / "panels" / "a.csv")
    hand_panel(listing_dir / "panels" / "b.csv")
    shutil.copy(REPO / "sample_data" / "questionnaire.yaml", tmp_path / "answers.yaml")
    (listing_dir / "practices.csv").write_text(
        "Practice,Panel,Questionnaire,Locality\n"
        "Alpha Care,panels/a.csv,../answers.yaml,TX 99\n"
        "Beta Care,panels/b.csv,,\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path.parent)  # relative paths must not depend on the working folder
    out = tmp_path / "out"
    status = main(
        ["batch", str(listing_dir / "practices.csv"), "--out", str(out), "--formats", "xlsx"]
        + ["--jobs", "1", "--as-of", AS_OF, "--locality", "CA 18"]
    )
    assert status == 0
    streams = capsys.readouterr()  # paths on stdout, one a line; the sentence on stderr
    assert streams.out.splitlines() == [
        str(out.resolve() / name)
        for name in ("alpha-care", "beta-care", "batch_summary.json", "batch_summary.xlsx")
    ]
    assert "2 of 2 practices assessed; 0 failed" in streams.err
    alpha, beta = summary_of(out / "alpha-care"), summary_of(out / "beta-care")
    assert (alpha["practice"], beta["practice"]) == ("Alpha Care", "Beta Care")
    assert alpha["rates"]["locality"].startswith("TX 99")
    assert beta["rates"]["locality"].startswith("CA 18")  # the --locality default
    assert alpha["readiness"]["score"] is not None
    assert beta["readiness"]["score"] is None
    rows = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))["rows"]
    assert [r["readiness_score"] for r in rows] == [alpha["readiness"]["score"], None]
    assert [r["ccm_eligible"] for r in rows] == [None, None]  # 12 of 15: withheld


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda root: root / "missing", "batch input not found"),
        (lambda root: (root / "empty").mkdir() or root / "empty", "no panel files"),
        (lambda root: hand_panel(root / "single.csv"), "no 'panel' column"),
    ],
)
def test_bad_input_is_a_usage_error(tmp_path, capsys, setup, message) -> None:
    source = setup(tmp_path)
    assert main(["batch", str(source), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "batch_summary.json").exists()


def test_bad_formats_and_jobs_are_usage_errors(tmp_path, capsys) -> None:
    hand_panel(tmp_path / "a.csv")
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--formats", "docx"]) == 2
    assert "--formats" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--jobs", "0"])
    assert exit_.value.code == 2


def test_slugs_and_duplicate_names(tmp_path) -> None:
    assert slug("Clínica São José / East") == "clinica-sao-jose-east"
    assert slug("***") == "practice"
    (tmp_path / "l.csv").write_text("practice,panel\nSame,a.csv\nSame,b.csv\n", encoding="utf-8")
    jobs = plan_jobs(tmp_path / "l.csv", tmp_path / "out")
    assert [j.out.name for j in jobs] == ["same", "same-2"]
    assert [j.panel for j in jobs] == [tmp_path / "a.csv", tmp_path / "b.csv"]
    assert [j.locality for j in jobs] == [None, None]


def test_progress_line() -> None:
    job = PracticeJob("North", Path("n.csv"), Path("out/north"))
    # 1 of 4 done: 20 * 1/4 = 5 marks.
    line = progress_line(1, 4, PracticeOutcome(job, "ok", 2.34))
    assert line == "[#####               ] 1/4  North  2.3 s  ok"
    failed = progress_line(4, 4, PracticeOutcome(job, "failed", 0.1, "bad panel"))
    assert failed.endswith("North  0.1 s  failed: bad panel")
    assert BatchOptions(Path("x"), Path("y")).jobs is None  # default: the CPU count
