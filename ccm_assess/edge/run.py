"""`ccm-assess run`: from a panel export to every output file, in named steps.

lock `--out` -> validate inputs -> assess -> (in parallel) execute the report notebook | write
summary.json, workbook and worklist -> export HTML -> print PDF -> publish. Everything is written
into a private staging folder outside `--out` (`ccm_assess.staging`) and moved into place at the
end, so an interrupted run never leaves a half-written report that looks complete, and the
prepared assessment never sits in `--out`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ccm_assess.edge import lifecycle
from ccm_assess.errors import ReportError
from ccm_assess.finance.assumptions import load_assumptions
from ccm_assess.finance.fees import find_locality, national
from ccm_assess.intake.mapping_file import save_mapping
from ccm_assess.intake.panel import read_panel
from ccm_assess.intake.sources import Limits
from ccm_assess.outputs import export
from ccm_assess.practice.assessment import Assessment, assess, save_prepared
from ccm_assess.practice.monthly_plan import FILE_NAME as MONTHLY_CSV
from ccm_assess.practice.monthly_plan import write_monthly_csv
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.readiness.questionnaire import load_questionnaire
from ccm_assess.reference import bundled_dir
from ccm_assess.staging import out_lock, publish
from ccm_assess.staging import staging as private_staging

FORMATS = ("html", "pdf", "xlsx")
NOTEBOOK_NAME = "ccm_assessment.ipynb"
PREPARED_BY = "ccm-assess"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOptions:
    """The options of `ccm-assess run` (see `ccm-assess run --help`): the input files, where
    the outputs go, and the assessment's own options (`request`)."""

    panel: Path
    out: Path
    request: AssessmentRequest = field(default_factory=AssessmentRequest)
    """As-of date, practice name (empty: from the panel's file name), fee year, locality,
    setting, conditions level and horizon."""
    questionnaire: Path | None = None
    assumptions: Path | None = None
    mapping: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    sheet: str | None = None
    save_mapping: Path | None = None
    """Where to write the column mapping used (`--save-mapping`), if anywhere."""
    mapping_file: Path | None = None
    """The `--mapping` file `mapping` came from, if any (never overwritten)."""
    formats: tuple[str, ...] = FORMATS
    browser: Path | None = None
    prepared_by: str = ""  # empty: the questionnaire's consultant, else PREPARED_BY
    force: bool = False
    """Replace output-named files in `out` that no manifest accounts for (`lifecycle`)."""
    limits: Limits = field(default_factory=Limits)
    """Caps on the panel file (`sources.Limits`, `--limit NAME=VALUE`)."""


@dataclass(frozen=True)
class RunResult:
    """What a run wrote (final paths; the CLI lists them on stdout) and what the consultant
    should know."""

    files: dict[str, Path]
    notes: tuple[str, ...]
    assessment: Assessment


def check_formats(formats: tuple[str, ...]) -> None:
    """Raise ReportError unless `formats` is a non-empty choice among FORMATS."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ReportError(
            f"--formats takes a comma-separated list of {', '.join(FORMATS)}; "
            f"got {','.join(formats) or 'nothing'}"
        )


def prepared_by(options: RunOptions, assessment: Assessment) -> str:
    """Who prepared the report: --prepared-by, else the questionnaire's consultant, else
    the kit's name."""
    return options.prepared_by or assessment.readiness.answers.consultant or PREPARED_BY


def _practice_name(options: RunOptions) -> str:
    return options.request.practice.strip() or options.panel.stem.replace("_", " ").title()


def _inputs(options: RunOptions) -> dict[str, Path | None]:
    """The input files of a run, by what they are."""
    return {
        "panel": options.panel,
        "questionnaire": options.questionnaire,
        "assumptions": options.assumptions,
        "mapping": options.mapping_file,
    }


def prepare(options: RunOptions, progress: Progress) -> Assessment:
    """Read and validate every input, then assess (any bad input stops here: exit 2)."""
    check_formats(options.formats)
    lifecycle.check_out_folder(options.out, _inputs(options).values(), force=options.force)
    lifecycle.check_not_inputs({"--save-mapping": options.save_mapping}, _inputs(options))
    progress(f"Reading {options.panel.name} ...")
    panel = read_panel(
        options.panel, sheet=options.sheet, mapping=dict(options.mapping), limits=options.limits
    )
    if options.save_mapping:
        save_mapping(panel, options.save_mapping)
    answers = load_questionnaire(options.questionnaire) if options.questionnaire else None
    assumptions = load_assumptions(options.assumptions)
    request = dataclasses.replace(options.request, practice=_practice_name(options))
    place = request.rates_locality
    label = find_locality(place).label if place else national().label
    progress(f"Assessing {len(panel.patients):,} patients ({label}, {request.year} rates) ...")
    return assess(panel, request, assumptions=assumptions, answers=answers)


def notebook_parameters(
    options: RunOptions,
    prepared: Path,
    request: AssessmentRequest,
    preparer: str = PREPARED_BY,
) -> dict[str, object]:
    """Papermill parameters: the assessment's request and the input files, with the assessment
    handed over already computed (`prepared`, a `save_prepared` folder: the notebook does not
    assess again)."""
    return {
        "panel_path": "",
        "prepared_assessment": str(prepared.resolve()),
        **request.parameters(),
        "questionnaire": str(options.questionnaire.resolve()) if options.questionnaire else "",
        "assumptions_file": str(options.assumptions.resolve()) if options.assumptions else "",
        "prepared_by": preparer,
    }


def execute_notebook(
    parameters: dict[str, object], output: Path, workdir: Path, *, failed: Path
) -> Path:
    """Run the report notebook with papermill in a fresh kernel; errors -> ReportError.

    A notebook that fails is kept as `failed` for inspection (never under the report's name).
    """
    import papermill

    notebook = bundled_dir("notebooks") / NOTEBOOK_NAME
    env = {
        "JUPYTER_RUNTIME_DIR": str(workdir / "jupyter-runtime"),
        "IPYTHONDIR": str(workdir / "ipython"),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,  # write the notebook once, not after each cell
            cwd=str(workdir),  # a scratch folder: the installed package may be read-only
            # the kernel's own log (plain-TCP warnings, "KeyboardInterrupt caught in kernel" at
            # shutdown) is noise in the consultant's terminal; cell errors still fail the run
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except papermill.PapermillExecutionError as error:
        if output.exists():
            shutil.move(output, failed)  # from the private staging folder: maybe another disk
        raise ReportError(
            f"the report notebook failed in cell {error.exec_count}: {error.ename}: "
            f"{error.evalue}. No report was written; the failed notebook is {failed}."
        ) from error
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return output


def write_summary(assessment: Assessment, path: Path) -> Path:
    """summary.json, with small counts suppressed (the run's plan, `Assessment.published`)."""
    text = json.dumps(assessment.published.summary(assessment.summary()), indent=2)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _write_tables(assessment: Assessment, staging: Path, formats: tuple[str, ...]) -> None:
    from ccm_assess.outputs.worklist import write_worklist

    write_summary(assessment, staging / "summary.json")
    write_monthly_csv(assessment, staging / MONTHLY_CSV)
    (staging / "assumptions_used.yaml").write_text(
        assessment.assumptions.to_yaml(changed_only=False), encoding="utf-8"
    )
    write_worklist(
        assessment.panel,
        assessment.eligibility,
        staging / "worklist.xlsx",
        as_of=assessment.as_of,
        first_batch=assessment.first_outreach_batch,
    )
    if "xlsx" in formats:
        from ccm_assess.outputs.workbook.book import write_workbook

        write_workbook(assessment, staging / "workbook.xlsx")


def run_assessment(options: RunOptions, progress: Progress = lambda _: None) -> RunResult:
    """Run the whole assessment and write the outputs of docs/outputs.md into `options.out`.

    The report notebook runs only when html or pdf is asked for; summary.json, the
    assumptions used and the worklist are always written. One run at a time per `--out`
    (`staging.out_lock`).
    """
    with out_lock(options.out):
        return _run_locked(options, progress)


def _run_locked(options: RunOptions, progress: Progress) -> RunResult:
    assessment = prepare(options, progress)
    # Absolute from here on: papermill runs the notebook in a scratch folder (it changes the working
    # directory) while the workbook and worklist are written in another thread.
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from ccm_assess.outputs.worklist import contact_warnings

    lifecycle.remove_stale_staging(out)
    notes: list[str] = contact_warnings(assessment.panel)
    with private_staging() as folder:
        staging, workdir = folder / "out", folder / "work"
        staging.mkdir()
        workdir.mkdir()
        with ThreadPoolExecutor(max_workers=1) as pool:
            tables: Future[None] = pool.submit(_write_tables, assessment, staging, options.formats)
            if {"html", "pdf"} & set(options.formats):
                notes += _write_report(assessment, options, staging, workdir, progress, out)
            tables.result()
        files = publish(staging, out)
    (out / lifecycle.FAILED_NOTEBOOK).unlink(missing_ok=True)  # from an earlier failed run
    lifecycle.publish_manifest(
        out, list(files), keep=_inputs(options).values(), force=options.force
    )
    for note in notes:
        progress(note)
    return RunResult(files=files, notes=tuple(notes), assessment=assessment)


def _write_report(
    assessment: Assessment,
    options: RunOptions,
    staging: Path,
    workdir: Path,
    progress: Progress,
    out: Path,
) -> list[str]:
    """Execute the report notebook, export report.html and print report.pdf into staging."""
    prepared = save_prepared(assessment, workdir / "prepared")
    preparer = prepared_by(options, assessment)
    parameters = notebook_parameters(options, prepared, assessment.request, preparer)
    progress("Running the report notebook ...")
    notebook = execute_notebook(
        parameters, staging / "assessment.ipynb", workdir, failed=out / "assessment.failed.ipynb"
    )
    progress("Exporting report.html ...")
    html = export.export_html(
        notebook,
        staging / "report.html",
        practice=assessment.practice,
        as_of=assessment.as_of,
        prepared_by=preparer,
    )
    notes = []
    if "pdf" in options.formats:
        notes = _print_pdf(html, staging / "report.pdf", options.browser, progress)
    if "html" not in options.formats and (staging / "report.pdf").exists():
        html.unlink()  # kept when the PDF failed: the practice still gets a report
    return notes


def _print_pdf(html: Path, pdf: Path, browser: Path | None, progress: Progress) -> list[str]:
    """Print the PDF if a browser is available; otherwise return the note saying how."""
    found = export.find_browser(browser)
    if found is None:
        return [export.PDF_MISSING_NOTE]
    progress("Printing report.pdf ...")
    try:
        export.print_pdf(html, pdf, browser=found)
    except (ReportError, OSError) as error:
        return [
            f"Warning: report.pdf was not written ({error}). report.html and the workbooks are "
            "complete: open report.html in Chrome or Edge and print it to PDF (A4), or run "
            "again (--browser PATH picks another browser)."
        ]
    return []
