"""The `ccm-assess` command line: a thin layer that turns options (`parser.build_parser`) into
calls to the package.

Every deliberate error (`CcmAssessError`) becomes one plain message on stderr and exit status 2;
no traceback reaches the consultant. Conventions: the files a command writes are listed on
stdout, one path a line; progress goes to stderr (`-q` silences it, `-v` adds timings); options
are checked before any work starts; every `--help` ends with examples.

Longer than 400 lines because every sub-command's runner (options to a call, files to stdout)
and the one error policy they share (exit 2, crash log without panel values) belong together.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_assess.edge.parser import build_parser
from ccm_assess.errors import CcmAssessError, PanelError, environment_advice

if TYPE_CHECKING:
    from ccm_assess.intake.sources import Limits
    from ccm_assess.practice.request import AssessmentRequest

EXIT_USAGE = 2
EXIT_BUG = 1

Progress = Callable[[str], None]


def _mapping(pairs: Sequence[str] | None) -> dict[str, list[str]]:
    """`role=Header` pairs -> {role: headers}; a role given again adds a column (diagnosis)."""
    mapping: dict[str, list[str]] = {}
    for pair in pairs or ():
        role, sep, header = pair.partition("=")
        if not sep or not role.strip() or not header.strip():
            raise CcmAssessError(
                f"--map expects role=Header (for example --map patient_id=MRN), not {pair!r}"
            )
        mapping.setdefault(role.strip(), []).append(header.strip())
    return mapping


def _formats(text: str) -> tuple[str, ...]:
    """`--formats html,pdf` -> ("html", "pdf"), checked (ReportError when unknown or empty)."""
    from ccm_assess.edge.run import check_formats

    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    check_formats(formats)
    return formats


def _request(args: argparse.Namespace, practice: str = "") -> AssessmentRequest:
    """The assessment options of run and batch (batch: the default for every practice)."""
    from ccm_assess.practice.request import AssessmentRequest

    return AssessmentRequest(
        as_of=args.as_of,
        practice=practice,
        year=args.year,
        locality=args.locality or None,
        conditions=args.conditions,
        setting=args.setting,
        years=args.years,
        start=args.start,
    )


def _check_inputs(args: argparse.Namespace) -> None:
    """Check the small inputs of run and batch before any panel is read or notebook started:
    the fee schedule year and locality, the assumptions and questionnaire files (and their
    horizon against --years), and the PDF browser if one is named.
    Each raises a CcmAssessError that says what to fix."""
    from ccm_assess.finance.assumptions import load_assumptions
    from ccm_assess.finance.fees import rate_table
    from ccm_assess.outputs.export import find_browser
    from ccm_assess.readiness.questionnaire import load_questionnaire

    rate_table(args.year, args.locality or None)  # a year without rates, an unknown locality
    _request(args).horizon(load_assumptions(args.assumptions))
    if args.questionnaire:
        load_questionnaire(args.questionnaire)
    if "pdf" in args.formats and getattr(args, "browser", None):
        find_browser(args.browser)


def _reporter(args: argparse.Namespace) -> Progress:
    """Where progress lines go: stderr; nothing with -q; with elapsed seconds with -v."""
    verbosity = getattr(args, "verbosity", 0)
    if verbosity < 0:
        return lambda _message: None
    start = time.perf_counter()

    def report(message: str) -> None:
        elapsed = f"[{time.perf_counter() - start:6.1f} s] " if verbosity > 0 else ""
        print(f"{elapsed}{message}", file=sys.stderr, flush=True)

    return report


def _panel_inputs(args: argparse.Namespace) -> tuple[str | None, dict[str, list[str]]]:
    """Sheet and column mapping: the --mapping file's, with --sheet and --map on top."""
    sheet: str | None = None
    mapping: dict[str, list[str]] = {}
    if args.mapping:
        from ccm_assess.intake.mapping_file import load_mapping

        sheet, mapping = load_mapping(args.mapping)
    return args.sheet or sheet, {**mapping, **_mapping(args.map)}


def _limits(pairs: Sequence[str] | None) -> Limits:
    """`name=value` pairs -> `sources.Limits` (defaults for the names not given)."""
    from ccm_assess.intake.sources import Limits

    values: dict[str, int] = {}
    for pair in pairs or ():
        name, _, value = pair.partition("=")
        if name.strip() not in Limits.names() or not value.strip().isdigit():
            raise CcmAssessError(
                f"--limit expects NAME=WHOLE_NUMBER with NAME one of {', '.join(Limits.names())}"
                f", for example --limit rows=8000000; got {pair!r}"
            )
        values[name.strip()] = int(value)
    return Limits(**values)


def _check(args: argparse.Namespace) -> int:
    from ccm_assess.clinical.eligibility import summarise
    from ccm_assess.edge.check import format_check
    from ccm_assess.edge.lifecycle import check_not_inputs
    from ccm_assess.finance.assumptions import load_assumptions
    from ccm_assess.intake.column_roles import column_records
    from ccm_assess.intake.panel import read_panel
    from ccm_assess.practice.request import AssessmentRequest

    check_not_inputs(
        {"--worklist": args.worklist, "--save-mapping": args.save_mapping},
        {"panel": args.panel, "mapping": args.mapping},
    )
    sheet, mapping = _panel_inputs(args)
    with _mapping_in_use(args):
        panel = read_panel(args.panel, sheet=sheet, mapping=mapping, limits=_limits(args.limit))
    request = AssessmentRequest(as_of=args.as_of, conditions=args.conditions)
    # the evidence text is read by the worklist only
    eligibility = request.eligibility(panel, load_assumptions(), evidence_text=bool(args.worklist))
    if args.json:
        print(json.dumps({**summarise(panel, eligibility),
                          "columns": column_records(panel.columns)}, indent=2))  # fmt: skip
    else:
        print(format_check(panel))
    if args.save_mapping:
        from ccm_assess.intake.mapping_file import save_mapping

        _reporter(args)(f"Mapping written to {save_mapping(panel, args.save_mapping)}")
    if args.worklist:
        from ccm_assess.outputs.worklist import contact_warnings, write_worklist

        written = write_worklist(panel, eligibility, args.worklist, as_of=args.as_of)
        _reporter(args)(f"Worklist (contains PHI) written to {written}")
        for warning in contact_warnings(panel):
            print(warning, file=sys.stderr)
    return 0


@contextlib.contextmanager
def _mapping_in_use(args: argparse.Namespace) -> Iterator[None]:
    """A panel error while a --mapping file is in use says the file may no longer fit."""
    try:
        yield
    except PanelError as error:
        if not args.mapping:
            raise
        raise PanelError(
            f"{error} (the column mapping came from {args.mapping}: if the export changed, "
            "update that file, or read the panel without --mapping and save a new one)"
        ) from None


def _sample(args: argparse.Namespace) -> int:
    from ccm_assess.edge.sample import write_sample
    from ccm_assess.edge.sample_audit import write_audit_sample

    for path in write_sample(args.dir, seed=args.seed):
        print(path)
    for path in write_audit_sample(args.dir / "audit", seed=args.seed):
        print(path)
    return 0


def _rates(args: argparse.Namespace) -> int:
    from ccm_assess.outputs.rates import rates_report

    print(rates_report(year=args.year, locality=args.locality, as_json=args.json))
    return 0


def _run(args: argparse.Namespace) -> int:
    from ccm_assess.edge.run import RunOptions, run_assessment

    args.formats = _formats(args.formats)
    _check_inputs(args)
    sheet, mapping = _panel_inputs(args)
    options = RunOptions(
        panel=args.panel,
        out=args.out,
        request=_request(args, practice=args.practice),
        questionnaire=args.questionnaire,
        assumptions=args.assumptions,
        mapping=mapping,
        sheet=sheet,
        save_mapping=args.save_mapping,
        mapping_file=args.mapping,
        formats=args.formats,
        browser=args.browser,
        force=args.force,
        limits=_limits(args.limit),
        prepared_by=args.prepared_by.strip(),
    )
    with _mapping_in_use(args):
        result = run_assessment(options, progress=_reporter(args))
    for path in result.files.values():
        print(path)
    if args.verbosity < 0:  # -q: no progress, but what the consultant must act on still shows
        for note in result.notes:
            print(f"ccm-assess: {note}", file=sys.stderr)
    if args.open:
        _open_report(result.files)
    return 0


def _open_report(files: dict[str, Path]) -> None:
    """Open report.html (else report.pdf, else the workbook) in the default application."""
    import webbrowser

    shown = next(
        (files[n] for n in ("report.html", "report.pdf", "workbook.xlsx") if n in files), None
    )
    if shown is None or not webbrowser.open(shown.resolve().as_uri()):
        print("ccm-assess: --open: no report to open, or no browser found", file=sys.stderr)


def _templates(args: argparse.Namespace) -> int:
    from ccm_assess.outputs.starter_kit import write_starter_kit

    for path in write_starter_kit(args.dir, args.practice):
        print(path)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from ccm_assess.edge.batch import (
        SUMMARY_JSON,
        SUMMARY_XLSX,
        BatchOptions,
        exit_status,
        run_batch,
    )

    args.formats = _formats(args.formats)
    _check_inputs(args)
    options = BatchOptions(
        input=args.input,
        out=args.out,
        request=_request(args),
        formats=args.formats,
        jobs=args.jobs,
        questionnaire=args.questionnaire,
        assumptions=args.assumptions,
    )
    report = _reporter(args)
    outcomes = run_batch(options, progress=report)
    failed = sum(outcome.status != "ok" for outcome in outcomes)
    report(f"{len(outcomes) - failed} of {len(outcomes)} practices assessed; {failed} failed")
    for outcome in outcomes:
        if outcome.status == "ok":
            print(outcome.job.out)
    for name in (SUMMARY_JSON, SUMMARY_XLSX):
        print(args.out.resolve() / name)
    return exit_status(outcomes)


def _questionnaire(args: argparse.Namespace) -> int:
    from ccm_assess.outputs.workbook.questionnaire_form import write_questionnaire_form
    from ccm_assess.readiness.questionnaire import write_answer_template

    args.dir.mkdir(parents=True, exist_ok=True)
    print(write_answer_template(args.dir / "questionnaire.yaml"))
    print(write_questionnaire_form(args.dir / "questionnaire.xlsx"))
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from ccm_assess.edge.notebooks import copy_notebooks

    for path in copy_notebooks(args.dir):
        print(path)
    return 0


def _assumptions(args: argparse.Namespace) -> int:
    from ccm_assess.finance.assumptions import assumptions_report

    print(assumptions_report(as_json=args.json))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from ccm_assess.audit.run import AuditOptions, run_audit

    options = AuditOptions(
        time_log=args.time_log,
        out=args.out,
        claims=args.claims,
        register=args.register,
        months=tuple(args.month or ()),
        plan=args.plan,
        model=args.model,
        go_live=args.go_live,
        year=args.year,
        locality=args.locality,
        mapping={role: headers[-1] for role, headers in _mapping(args.map).items()},
        practice=args.practice,
        browser=args.browser,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
    )
    files = run_audit(
        options,
        progress=_reporter(args),
        notice=lambda note: print(f"ccm-assess: {note}", file=sys.stderr),
    )
    for path in files.values():
        print(path)
    return 0


COMMANDS = {
    "check": _check,
    "sample": _sample,
    "rates": _rates,
    "run": _run,
    "batch": _batch,
    "audit": _audit,
    "questionnaire": _questionnaire,
    "notebooks": _notebooks,
    "templates": _templates,
    "assumptions": _assumptions,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ccm_assess.edge.lifecycle import Terminated, on_termination, remove_stale_staging

    if threading.current_thread() is threading.main_thread():
        on_termination()
    remove_stale_staging()  # PHI left by a run that was killed (SIGKILL, power cut)
    try:
        return COMMANDS[args.command](args)
    except CcmAssessError as error:
        print(f"ccm-assess: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as error:
        print("ccm-assess: interrupted; no partial report was left behind", file=sys.stderr)
        return 143 if isinstance(error, Terminated) else 130
    except BrokenPipeError:
        return 0  # output piped into `head` and the like
    except (OSError, MemoryError) as error:
        advice = environment_advice(error)
        if advice is None:
            return _bug(error)
        print(f"ccm-assess: {advice}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # a bug of ours: one readable line, the details in a log file
        if args.verbosity > 0:  # the traceback without messages: they may hold panel values
            print(crash_report(error), file=sys.stderr)
        return _bug(error)


def _bug(error: BaseException) -> int:
    log = _write_crash_log(error)
    print(
        f"ccm-assess: unexpected error ({type(error).__name__}). This is a bug in ccm-assess, "
        f"not a problem with your file; please report it with {log}",
        file=sys.stderr,
    )
    return EXIT_BUG


def crash_report(error: BaseException) -> str:
    """The traceback of `error` and its causes without their messages: exception types, files,
    lines and the kit's source lines only, so no value from the panel reaches the log."""
    import traceback

    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}")
        for frame in traceback.extract_tb(current.__traceback__):
            lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
            if frame.line:
                lines.append(f"    {frame.line}")
        current = current.__cause__ or current.__context__
    return "\n".join(lines) + "\n"


def _write_crash_log(error: BaseException) -> Path:
    """`crash_report` of `error` in a temporary file (no panel data is in it)."""
    import tempfile

    with tempfile.NamedTemporaryFile(
        "w", prefix="ccm-assess-crash-", suffix=".log", delete=False
    ) as handle:
        handle.write(crash_report(error))
    return Path(handle.name)
