"""The `ccm-assess` command line: a thin layer that turns options into calls to the package.

Every deliberate error (`CcmAssessError`) becomes one plain message on stderr and exit status 2;
no traceback reaches the consultant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ccm_assess.errors import CcmAssessError

EXIT_USAGE = 2
EXIT_BUG = 1


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of must be a date like 2026-11-26, not {text!r}"
        ) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return int(text)


def _mapping(pairs: Sequence[str] | None) -> dict[str, str]:
    """`role=Header` pairs -> {role: header}."""
    mapping: dict[str, str] = {}
    for pair in pairs or ():
        role, sep, header = pair.partition("=")
        if not sep or not role.strip() or not header.strip():
            raise CcmAssessError(
                f"--map expects role=Header (for example --map patient_id=MRN), not {pair!r}"
            )
        mapping[role.strip()] = header.strip()
    return mapping


def _add_panel_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("panel", type=Path, help="the practice's panel export (xlsx, csv, ...)")
    parser.add_argument(
        "--map",
        action="append",
        metavar="ROLE=HEADER",
        help="use this column for a role, e.g. --map patient_id='Chart #' (repeatable)",
    )
    parser.add_argument("--sheet", help="workbook sheet to read (default: the patient table)")
    parser.add_argument(
        "--as-of",
        type=_as_of,
        default=dt.date.today(),
        help="date the look-back windows end on, YYYY-MM-DD (default: today)",
    )


def _add_conditions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--conditions",
        choices=("strict", "standard", "broad"),
        default="standard",
        help="which chronic conditions count: strict (CMS CCW chronic list only), standard "
        "(the catalog, default) or broad (catalog or AHRQ CCIR chronic)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccm-assess",
        description="Medicare Chronic Care Management readiness assessment for a practice panel.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="read and validate a panel; print mapping and quality")
    _add_panel_options(check)
    check.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    check.add_argument("--worklist", type=Path, help="also write the PHI worklist (.xlsx)")
    _add_conditions_option(check)

    sample = sub.add_parser("sample", help="write a synthetic practice (panel + questionnaire)")
    sample.add_argument("dir", type=Path, help="folder to write the sample files into")
    sample.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    rates = sub.add_parser("rates", help="show the Medicare rates used, national or by locality")
    rates.add_argument("--year", type=int, default=2026, help="fee schedule year (default 2026)")
    rates.add_argument("--locality", help='state and CMS locality number, e.g. "TX 99"')
    rates.add_argument("--json", action="store_true", help="print JSON")

    run = sub.add_parser("run", help="full assessment: report.html/pdf, workbook, worklist")
    _add_panel_options(run)
    run.add_argument("--out", type=Path, required=True, help="output folder")
    run.add_argument("--questionnaire", type=Path, help="readiness answers (.yaml or .xlsx)")
    run.add_argument("--assumptions", type=Path, help="YAML of assumption overrides")
    run.add_argument("--practice", default="", help="practice name for the report cover")
    run.add_argument("--locality", help='Medicare locality, e.g. "TX 99" (default: national)')
    run.add_argument("--year", type=int, default=2026, help="fee schedule year (default 2026)")
    run.add_argument(
        "--setting",
        choices=("office", "facility", "rhc_fqhc"),
        default="office",
        help="office (non-facility) rates; facility rates for a hospital-based clinic; "
        "rhc_fqhc: national non-facility rates, as CMS pays RHCs and FQHCs for care management "
        "(default office)",
    )
    run.add_argument(
        "--formats",
        default="html,pdf,xlsx",
        help="comma-separated among html, pdf, xlsx (default: all three)",
    )
    run.add_argument("--browser", type=Path, help="Chromium/Chrome used to print the PDF")
    run.add_argument(
        "--prepared-by",
        default="",
        metavar='"NAME, FIRM"',
        help="who prepared the report, for the cover (default: the questionnaire's consultant)",
    )

    _add_conditions_option(run)

    templates = sub.add_parser(
        "templates", help="write the CCM starter kit: consent script, letter, care plan, time log"
    )
    templates.add_argument("dir", type=Path, help="folder to write the files into")
    templates.add_argument("--practice", default="", help="practice name to put in the files")

    listing = sub.add_parser("assumptions", help="list every model assumption and its source")
    listing.add_argument("--json", action="store_true", help="print a JSON list of objects")

    batch = sub.add_parser("batch", help="assess many practices in parallel, with a summary")
    batch.add_argument(
        "input",
        type=Path,
        help="folder of panel files, or CSV: practice,panel,questionnaire,locality",
    )
    batch.add_argument("--out", type=Path, required=True, help="output folder (one per practice)")
    batch.add_argument("--formats", default="html,pdf,xlsx", help="as for run (default: all)")
    batch.add_argument("--jobs", type=_positive, help="parallel processes (default: CPU count)")
    batch.add_argument("--as-of", type=_as_of, default=dt.date.today(), help="as for run")
    batch.add_argument("--locality", help="Medicare locality where the listing gives none")
    return parser


def _check(args: argparse.Namespace) -> int:
    from ccm_assess.assumptions import load_assumptions
    from ccm_assess.check import format_check
    from ccm_assess.eligibility import assess_eligibility, summarise
    from ccm_assess.panel import read_panel

    panel = read_panel(args.panel, sheet=args.sheet, mapping=_mapping(args.map))
    ma_pays_ccm = bool(load_assumptions()["ma_pays_ccm"])
    eligibility = assess_eligibility(
        panel, args.as_of, ma_pays_ccm=ma_pays_ccm, conditions=args.conditions
    )
    if args.json:
        print(json.dumps(summarise(panel, eligibility), indent=2))
    else:
        print(format_check(panel))
    if args.worklist:
        from ccm_assess.worklist import contact_warnings, write_worklist

        written = write_worklist(panel, eligibility, args.worklist, as_of=args.as_of)
        print(f"Worklist (contains PHI) written to {written}", file=sys.stderr)
        for warning in contact_warnings(panel):
            print(warning, file=sys.stderr)
    return 0


def _sample(args: argparse.Namespace) -> int:
    from ccm_assess.sample import write_sample

    for path in write_sample(args.dir, seed=args.seed):
        print(path)
    return 0


def _rates(args: argparse.Namespace) -> int:
    from ccm_assess.fees import rates_report

    print(rates_report(year=args.year, locality=args.locality, as_json=args.json))
    return 0


def _run(args: argparse.Namespace) -> int:
    from ccm_assess.report import RunOptions, run_assessment

    options = RunOptions(
        panel=args.panel,
        out=args.out,
        questionnaire=args.questionnaire,
        assumptions=args.assumptions,
        practice=args.practice,
        as_of=args.as_of,
        locality=args.locality,
        year=args.year,
        mapping=_mapping(args.map),
        sheet=args.sheet,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
        browser=args.browser,
        prepared_by=args.prepared_by.strip(),
        conditions=args.conditions,
        setting=args.setting,
    )
    run_assessment(options, progress=lambda message: print(message, file=sys.stderr))
    return 0


def _templates(args: argparse.Namespace) -> int:
    from ccm_assess.starter_kit import write_starter_kit

    for path in write_starter_kit(args.dir, args.practice):
        print(path)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from ccm_assess.batch import BatchOptions, exit_status, run_batch

    options = BatchOptions(
        input=args.input,
        out=args.out,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
        jobs=args.jobs,
        as_of=args.as_of,
        locality=args.locality,
    )
    outcomes = run_batch(options, progress=lambda message: print(message, file=sys.stderr))
    print(f"Summary of {len(outcomes)} practices: {args.out / 'batch_summary.xlsx'}")
    return exit_status(outcomes)


def _assumptions(args: argparse.Namespace) -> int:
    from ccm_assess.assumptions import assumptions_report

    print(assumptions_report(as_json=args.json))
    return 0


COMMANDS = {
    "check": _check,
    "sample": _sample,
    "rates": _rates,
    "run": _run,
    "batch": _batch,
    "templates": _templates,
    "assumptions": _assumptions,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CcmAssessError as error:
        print(f"ccm-assess: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ccm-assess: interrupted; no partial report was left behind", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0  # output piped into `head` and the like
    except Exception as error:  # a bug of ours: one readable line, the details in a log file
        log = _write_crash_log()
        print(
            f"ccm-assess: unexpected error ({type(error).__name__}: {error}). This is a bug "
            f"in ccm-assess, not a problem with your file; please report it with {log}",
            file=sys.stderr,
        )
        return EXIT_BUG


def _write_crash_log() -> Path:
    """The current exception's traceback in a temporary file (no panel data is in it)."""
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="ccm-assess-crash-", suffix=".log", delete=False
    ) as handle:
        traceback.print_exc(file=handle)
    return Path(handle.name)
