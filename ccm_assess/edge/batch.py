"""`ccm-assess batch`: assess many practices in parallel processes, with one summary across them.

INPUT is either a folder of panel exports (one practice per file, named after the file) or a
CSV listing `practice, panel, questionnaire, locality` per row (only `panel` is required; paths
are relative to the CSV's folder). Each practice runs `report.run_assessment` into
`DIR/<practice-slug>/` in its own spawned process (at most `--jobs` at a time), so a native
crash or a leak ends that practice only. A practice that fails (a bad panel, an unknown
locality, a crash) is reported with its message and the others go on.

`DIR/batch_summary.json` and `DIR/batch_summary.xlsx` hold one row per practice, read back from
each practice's `summary.json`, so they show the same numbers with the same small-cell
suppression (docs/outputs.md): a suppressed count is null in the JSON (its key listed under
`suppressed`) and "<11" in the workbook. No patient data is in either file.

Longer than 400 lines because planning the jobs, running each practice in its own process and
writing the cross-practice summary are the steps of one command over the same `PracticeOutcome`
records.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

import pandas as pd

from ccm_assess.edge.run import FORMATS, Progress, RunOptions, check_formats, run_assessment
from ccm_assess.errors import BatchError, CcmAssessError, environment_advice
from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.formatting import level_text
from ccm_assess.intake.payers import PAYER_CLASSES, PAYER_LABELS
from ccm_assess.intake.sources import SUFFIXES
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.privacy import FORMULA_PREFIXES, WITHHELD

SUMMARY_JSON = "batch_summary.json"
SUMMARY_XLSX = "batch_summary.xlsx"
LISTING_COLUMNS = ("practice", "panel", "questionnaire", "locality")
MODELS = {key: model.label for key, model in DELIVERY_MODELS.items()}
USD, COUNT, WHOLE = "$#,##0", "#,##0", "0"
NEVER = "never"
"""A break-even month of null in summary.json: the model does not break even in the horizon."""


@dataclass(frozen=True)
class PracticeJob:
    """One practice to assess: its inputs and the folder its outputs go to."""

    practice: str
    panel: Path
    out: Path
    questionnaire: Path | None = None
    locality: str | None = None


@dataclass(frozen=True)
class BatchOptions:
    """The options of `ccm-assess batch` (see `ccm-assess batch --help`)."""

    input: Path
    out: Path
    request: AssessmentRequest = field(default_factory=AssessmentRequest)
    """The assessment options of every practice (as-of date, fee year, setting, conditions,
    horizon); its `locality` is for practices whose listing row names none (None = national),
    the practice name comes from the listing or the panel's file name."""
    formats: tuple[str, ...] = FORMATS
    jobs: int | None = None
    """Worker processes; None = the machine's CPU count."""
    questionnaire: Path | None = None
    """Readiness answers for practices whose listing row names none (None = not filled in)."""
    assumptions: Path | None = None
    """Assumption overrides (YAML) for every practice (None = the defaults)."""


@dataclass(frozen=True)
class PracticeOutcome:
    """How one practice went: `status` "ok" (with its summary.json) or "failed" (message)."""

    job: PracticeJob
    status: str
    seconds: float
    message: str = ""
    summary: dict[str, Any] | None = None


# ---------------------------------------------------------------------------------------------
# Planning


def slug(name: str) -> str:
    """Folder name for a practice: ASCII letters and digits joined by `-` (`practice` if none).

    >>> slug("Clínica São José / East")
    'clinica-sao-jose-east'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "practice"


def practice_name(panel: Path) -> str:
    """Practice name from a panel file name, as `ccm-assess run` derives it."""
    return panel.stem.replace("_", " ").title()


def _panels_in(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not path.name.startswith((".", "~$"))
    )


def _optional_path(text: str, base: Path) -> Path | None:
    return base / text if text else None


def _read_listing(listing: Path) -> list[dict[str, str]]:
    """Rows of a practice listing CSV as {column: stripped text} (blank cells are "")."""
    try:
        table = pd.read_csv(listing, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise BatchError(f"cannot read the practice listing {listing}: {error}") from error
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "panel" not in table.columns:
        raise BatchError(
            f"{listing.name} has no 'panel' column (columns: {', '.join(table.columns)}); a "
            f"batch listing is a CSV with the columns {', '.join(LISTING_COLUMNS)}, or pass a "
            "folder of panel files"
        )
    table = table.reindex(columns=list(LISTING_COLUMNS), fill_value="")
    table = table.apply(lambda column: column.str.strip())
    table = table[table["panel"] != ""]
    records: list[dict[str, str]] = table.to_dict("records")
    return records


def plan_jobs(source: Path, out: Path, *, locality: str | None = None) -> list[PracticeJob]:
    """The practices of a batch INPUT (folder of panels, or listing CSV), in input order.

    Each practice gets `out/<slug>` (absolute); a slug already taken gets `-2`, `-3`, ... Raises
    `BatchError` when INPUT is missing or lists no practice.
    """
    if source.is_dir():
        panels = _panels_in(source)
        rows = [{"practice": practice_name(p), "panel": p.name} for p in panels]
        base = source
        what = f"no panel files ({', '.join(SUFFIXES)}) in the folder {source}"
    elif source.is_file():
        rows = _read_listing(source)
        base = source.resolve().parent
        what = f"no practice with a panel listed in {source}"
    else:
        raise BatchError(
            f"batch input not found: {source}; pass a folder of panel files or a CSV listing "
            f"{', '.join(LISTING_COLUMNS)}"
        )
    if not rows:
        raise BatchError(what)
    jobs, taken = [], set()
    for row in rows:
        panel = base / row["panel"]
        name = row.get("practice") or practice_name(panel)
        folder, n = slug(name), 1
        while folder in taken:
            n += 1
            folder = f"{slug(name)}-{n}"
        taken.add(folder)
        jobs.append(
            PracticeJob(
                practice=name,
                panel=panel,
                out=out.resolve() / folder,
                questionnaire=_optional_path(row.get("questionnaire", ""), base),
                locality=row.get("locality") or locality,
            )
        )
    return jobs


# ---------------------------------------------------------------------------------------------
# Running


def assess_practice(job: PracticeJob, options: BatchOptions) -> PracticeOutcome:
    """Run one practice's assessment (in a worker process); never raises for a bad practice."""
    start = time.perf_counter()
    try:
        run_assessment(
            RunOptions(
                panel=job.panel,
                out=job.out,
                request=dataclasses.replace(
                    options.request, practice=job.practice, locality=job.locality
                ),
                questionnaire=job.questionnaire or options.questionnaire,
                assumptions=options.assumptions,
                formats=options.formats,
            )
        )
        summary = json.loads((job.out / "summary.json").read_text(encoding="utf-8"))
    except CcmAssessError as error:
        return PracticeOutcome(job, "failed", time.perf_counter() - start, str(error))
    except Exception as error:  # an unexpected failure of one practice must not stop the batch
        advice = environment_advice(error) if isinstance(error, OSError | MemoryError) else None
        message = advice or f"unexpected {type(error).__name__} (a bug in ccm-assess; no details)"
        return PracticeOutcome(job, "failed", time.perf_counter() - start, message)
    return PracticeOutcome(job, "ok", time.perf_counter() - start, summary=summary)


def _child(job: PracticeJob, options: BatchOptions, sender: Connection) -> None:
    """A practice's own process: its outcome goes back through `sender`."""
    from ccm_assess.edge.lifecycle import on_termination

    on_termination()  # terminated by the batch: its staging folder is still removed
    sender.send(assess_practice(job, options))
    sender.close()


def _isolated(
    jobs: Sequence[PracticeJob],
    options: BatchOptions,
    workers: int,
    target: Callable[[PracticeJob, BatchOptions, Connection], None] = _child,
) -> Iterator[tuple[int, PracticeOutcome]]:
    """(index, outcome) of each job as it finishes, each in its own spawned process, at most
    `workers` at a time: a native crash (a reader's panic, memory exhausted) ends that
    practice's process only, and is reported as its failure."""
    context = multiprocessing.get_context("spawn")
    waiting = list(enumerate(jobs))
    running: dict[Any, tuple[int, Any, float]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                i, job = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=target, args=(job, options, sender), daemon=True)
                process.start()
                sender.close()
                running[receiver] = (i, process, time.perf_counter())
            for ready in wait(list(running)):
                receiver = cast(Connection, ready)
                i, process, start = running.pop(receiver)
                try:
                    outcome = receiver.recv()
                except (EOFError, OSError):  # the process died without an answer
                    process.join()
                    outcome = PracticeOutcome(
                        jobs[i],
                        "failed",
                        time.perf_counter() - start,
                        f"the practice's process stopped unexpectedly (exit code "
                        f"{process.exitcode}); the file may be damaged or too large for this "
                        "machine; the other practices are not affected",
                    )
                process.join()
                receiver.close()
                yield i, outcome
    finally:
        for _, process, _ in running.values():
            process.terminate()
            process.join()


def progress_line(done: int, total: int, outcome: PracticeOutcome, width: int = 20) -> str:
    """`[#####     ]  3/12  Name  4.2 s  ok` (or `failed: message`)."""
    filled = round(width * done / total)
    bar = "#" * filled + " " * (width - filled)
    status = outcome.status if outcome.status == "ok" else f"failed: {outcome.message}"
    count = f"{done:>{len(str(total))}}/{total}"
    return f"[{bar}] {count}  {outcome.job.practice}  {outcome.seconds:.1f} s  {status}"


def run_batch(options: BatchOptions, progress: Progress = lambda _: None) -> list[PracticeOutcome]:
    """Assess every practice of `options.input` in parallel; write the batch summaries.

    Returns the outcomes in input order. Raises (before running anything) `ReportError` for
    unknown formats and `BatchError` when the input is unusable.
    """
    check_formats(options.formats)
    jobs = plan_jobs(options.input, options.out, locality=options.request.locality)
    options.out.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(options.jobs or os.cpu_count() or 1, len(jobs)))
    progress(f"Assessing {len(jobs)} practices in {workers} processes ...")
    outcomes: dict[int, PracticeOutcome] = {}
    for i, outcome in _isolated(jobs, options, workers):
        outcomes[i] = outcome
        progress(progress_line(len(outcomes), len(jobs), outcome))
    ordered = [outcomes[i] for i in range(len(jobs))]
    write_summaries(ordered, options)
    return ordered


# ---------------------------------------------------------------------------------------------
# The summary across practices


def _columns(horizon_years: str) -> list[tuple[str, str, str | None]]:
    """(key, header, number format) of each summary column, in order."""
    columns: list[tuple[str, str, str | None]] = [
        ("practice", "Practice", None),
        ("status", "Status", None),
        ("message", "Problem", None),
        ("seconds", "Seconds", "0.0"),
        ("folder", "Folder", None),
        ("patients", "Patients", COUNT),
        ("patients_analysed", "Patients analysed", COUNT),
        ("ccm_eligible", "CCM eligible", COUNT),
    ]
    columns += [
        (f"ccm_eligible_{payer}", f"CCM eligible: {PAYER_LABELS[payer]}", COUNT)
        for payer in PAYER_CLASSES
    ]
    columns.append(("recommendation", "Recommendation", None))
    for key, label in MODELS.items():
        columns.append((f"{key}_horizon_net", f"{label}: {horizon_years} net", USD))
        columns.append((f"{key}_break_even_month", f"{label}: break-even month", WHOLE))
    columns.append(("readiness_score", "Readiness score (0-100)", WHOLE))
    return columns


def _pick(summary: Mapping[str, Any], path: str) -> Any:
    value: Any = summary
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def summary_row(outcome: PracticeOutcome, root: Path) -> dict[str, Any]:
    """One practice's row: its summary.json numbers (suppressed ones None, their keys listed
    under `suppressed`), or its failure message."""
    summary = outcome.summary or {}
    sources = {
        "patients": "panel.patients",
        "patients_analysed": "panel.patients_analysed",
        "ccm_eligible": "eligibility.ccm_eligible",
        **{
            f"ccm_eligible_{payer}": f"eligibility.ccm_eligible_by_payer.{payer}"
            for payer in PAYER_CLASSES
        },
        "recommendation": "recommendation",
        **{
            f"{key}_{metric}": f"scenarios.{key}.p50_{metric}"  # the medians (headline)
            for key in MODELS
            for metric in ("horizon_net", "break_even_month")
        },
        "readiness_score": "readiness.score",
    }
    hidden = set(summary.get("suppressed", []))
    folder = os.path.relpath(outcome.job.out, root)
    return {
        "practice": outcome.job.practice,
        "status": outcome.status,
        "message": outcome.message,
        "seconds": round(outcome.seconds, 1),
        "folder": folder,
        **{key: _pick(summary, path) for key, path in sources.items()},
        "suppressed": [key for key, path in sources.items() if path in hidden],
    }


def _horizon_years(options: BatchOptions) -> str:
    """The horizon every practice's money is summed over, in words ("3-year")."""
    from ccm_assess.finance.assumptions import load_assumptions

    months = options.request.horizon(load_assumptions(options.assumptions)).horizon_months
    return f"{months // 12}-year" if months % 12 == 0 else f"{months}-month"


def _options_text(options: BatchOptions) -> str:
    """The run options every practice shares, in words (the About sheet)."""
    request = options.request
    return (
        f"CY{request.year} rates ({request.setting}); chronic conditions: "
        f"{level_text(request.conditions)}; {_horizon_years(options)} horizon"
    )


def write_summaries(
    outcomes: Sequence[PracticeOutcome], options: BatchOptions
) -> tuple[Path, Path]:
    """`batch_summary.json` and `batch_summary.xlsx` in `options.out`; returns their paths."""
    rows = [summary_row(outcome, options.out) for outcome in outcomes]
    failed = sum(outcome.status != "ok" for outcome in outcomes)
    request = options.request
    document = {
        "as_of": request.as_of.isoformat(),
        "options": {
            "year": request.year,
            "setting": request.setting,
            "conditions": request.conditions,
            "horizon": _horizon_years(options),
        },
        "formats": list(options.formats),
        "practices": len(outcomes),
        "succeeded": len(outcomes) - failed,
        "failed": failed,
        "rows": rows,
    }
    json_path = options.out / SUMMARY_JSON
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    xlsx_path = write_summary_workbook(rows, options, options.out / SUMMARY_XLSX)
    return json_path, xlsx_path


def write_summary_workbook(
    rows: Sequence[Mapping[str, Any]], options: BatchOptions, path: Path
) -> Path:
    """The formatted summary workbook: a Practices sheet (one row per practice) and About."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = _columns(_horizon_years(options))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Practices"
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for j, (_, header, _) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=j, value=header)
        cell.font, cell.fill = Font(bold=True), header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(rows, start=2):
        for j, (key, _, fmt) in enumerate(columns, start=1):
            value = WITHHELD if key in row["suppressed"] else row[key]
            if value is None and key.endswith("break_even_month") and row["status"] == "ok":
                value = NEVER
            if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                value = "'" + value  # a practice name from a file is never a formula
            cell = sheet.cell(row=i, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                if value == WITHHELD:
                    cell.alignment = Alignment(horizontal="right")
            elif fmt:
                cell.number_format = fmt
        if row["status"] != "ok":
            sheet.cell(row=i, column=2).font = Font(bold=True, color="9C0006")
    widths = {"practice": 32, "message": 60, "folder": 28, "recommendation": 16}
    for j, (key, _, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = widths.get(key, 14)
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    about = workbook.create_sheet("About")
    lines = [
        ("As of", options.request.as_of.isoformat()),
        ("Options", _options_text(options)),
        ("Formats", ",".join(options.formats)),
        ("Practices", len(rows)),
        ("Failed", sum(row["status"] != "ok" for row in rows)),
        ("Source", "each practice's summary.json (same numbers as its report)"),
        ("<11", "a count from 1 to 10 for a subgroup, suppressed (CMS cell-size rule)"),
        ("Blank", "unknown, or not computed because the practice failed"),
        (NEVER, "break-even month: the model does not break even within the horizon"),
        ("Money", "USD over the model horizon, at the practice's Medicare locality rates"),
    ]
    for label, value in lines:
        about.append([label, value])
        about.cell(row=about.max_row, column=1).font = Font(bold=True)
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 80
    workbook.save(path)
    return path


def exit_status(outcomes: Sequence[PracticeOutcome]) -> int:
    """0 when every practice succeeded, 1 when some failed."""
    return 0 if all(outcome.status == "ok" for outcome in outcomes) else 1
