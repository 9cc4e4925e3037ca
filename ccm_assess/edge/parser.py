"""The `ccm-assess` argument parser: every sub-command, its options and the examples that end
its --help (`cli` runs what it parses).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ccm_assess import __version__

EXAMPLES = {
    "audit": """examples:
  ccm-assess audit --time-log time.xlsx --claims claims.csv --register register.xlsx --out audit/
  ccm-assess audit --time-log program.xlsx --month 2026-12 --plan assessment/ --out audit/
  ccm-assess audit --time-log program.xlsx --plan assessment/ --model in_house --out audit/
  ccm-assess audit --time-log minutes.csv --map claims.code="Proc Code" --out audit/""",
    "check": """examples:
  ccm-assess check panel.xlsx
  ccm-assess check export.csv --map patient_id="Chart #" --map primary_payer="Fin Class"
  ccm-assess check panel.xlsx --as-of 2026-11-20 --json > counts.json""",
    "sample": """examples:
  ccm-assess sample sample/
  ccm-assess run sample/sunrise_family_medicine_panel.xlsx --out report/""",
    "rates": """examples:
  ccm-assess rates
  ccm-assess rates --locality "NY 1" --year 2025 --json""",
    "run": """examples:
  ccm-assess run panel.xlsx --out sunrise/
  ccm-assess run panel.xlsx --out sunrise/ --questionnaire answers.yaml --locality "TX 99" \\
      --practice "Sunrise Family Medicine" --as-of 2026-11-20 --start 2026-12-01 --open
  ccm-assess run panel.csv --out sunrise/ --assumptions my_assumptions.yaml --formats html,xlsx
  ccm-assess run panel.xlsx --out sunrise-5y/ --years 5 --conditions strict""",
    "batch": """examples:
  ccm-assess batch panels/ --out assessments/ --locality "TX 99"
  ccm-assess batch practices.csv --out assessments/ --jobs 2 --formats html,xlsx
  ccm-assess batch panels/ --out assessments/ --assumptions consent25.yaml --year 2025""",
    "assumptions": """examples:
  ccm-assess assumptions
  ccm-assess assumptions --json > assumptions.json""",
    "templates": """examples:
  ccm-assess templates starter_kit/
  ccm-assess templates starter_kit/ --practice 'Sunrise Family Medicine'""",
    "notebooks": """examples:
  ccm-assess notebooks analysis/
  cd analysis && jupyter lab ccm_assessment.ipynb""",
    "questionnaire": """examples:
  ccm-assess questionnaire forms/
  ccm-assess run panel.xlsx --out report/ --questionnaire forms/questionnaire.xlsx""",
}
"""The examples that end each command's --help."""


def date_option(option: str, example: str) -> Callable[[str], dt.date]:
    """The argparse type of a YYYY-MM-DD option: a date, or an error naming `option`."""

    def parse(text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{option} must be a date like {example}, not {text!r}"
            ) from None

    return parse


as_of_date = date_option("--as-of", "2026-11-26")
start_date = date_option("--start", "2026-12-01")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return int(text)


def _verbosity_options(parser: argparse.ArgumentParser, default: object) -> None:
    """-q/--quiet and -v/--verbose (dest `verbosity`: -1, 0 or 1)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        default=default,
        help="print no progress, only the files written, notes to act on and errors",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        default=default,
        help="progress with elapsed seconds; on a bug, the traceback too",
    )


def _common_options() -> argparse.ArgumentParser:
    """The options every sub-command takes (a parent parser; `parents=[...]`)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a sub-command that is not given -q/-v keeps the top-level value
    _verbosity_options(common, argparse.SUPPRESS)
    return common


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """A sub-command with the common options and its examples (EXAMPLES) in --help."""
    return sub.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=EXAMPLES.get(name),
        parents=[_common_options()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


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
        "--mapping", type=Path, help="reuse a column mapping saved with --save-mapping (YAML)"
    )
    parser.add_argument(
        "--save-mapping",
        type=Path,
        metavar="FILE",
        help="write the columns used for each role (with sheet and header row) to FILE.yaml",
    )
    parser.add_argument(
        "--limit",
        action="append",
        metavar="NAME=VALUE",
        help="raise a cap on the panel file (repeatable): file_mb (1024), unpacked_mb (2048), "
        "strings_mb (512), rows (5000000), columns (2000), cells (100000000), cell_chars (32767)",
    )
    parser.add_argument(
        "--as-of",
        type=as_of_date,
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


def _add_request_options(parser: argparse.ArgumentParser) -> None:
    """The assessment options run and batch share besides locality, year and as-of
    (`practice.request.AssessmentRequest`)."""
    parser.add_argument(
        "--setting",
        choices=("office", "facility", "rhc_fqhc"),
        default="office",
        help="office (non-facility) rates; facility rates for a hospital-based clinic; "
        "rhc_fqhc: national non-facility rates, as CMS pays RHCs and FQHCs for care management "
        "(default office)",
    )
    parser.add_argument(
        "--years",
        type=int,
        choices=(3, 5),
        help="horizon of the money figures in years, 3 or 5 (default 3, or the horizon_months "
        "of --assumptions)",
    )
    _add_conditions_option(parser)
    parser.add_argument(
        "--start",
        type=start_date,
        metavar="YYYY-MM-DD",
        help="the decision date: week 1 of the launch plan starts on it (default: today)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccm-assess",
        description="Medicare Chronic Care Management readiness assessment for a practice panel.",
        epilog="examples:\n  ccm-assess sample s\n"
        "  ccm-assess run s/sunrise_family_medicine_panel.xlsx --out o\n  ccm-assess run --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _verbosity_options(parser, 0)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = _command(sub, "check", "read and validate a panel; print mapping and quality")
    _add_panel_options(check)
    check.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    check.add_argument("--worklist", type=Path, help="also write the PHI worklist (.xlsx)")
    _add_conditions_option(check)

    sample = _command(sub, "sample", "write a synthetic practice (panel + questionnaire)")
    sample.add_argument("dir", type=Path, help="folder to write the sample files into")
    sample.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    rates = _command(sub, "rates", "show the Medicare rates used, national or by locality")
    rates.add_argument("--year", type=int, default=2026, help="fee schedule year (default 2026)")
    rates.add_argument(
        "--locality", help='CMS locality ("TX 99") or place ("Austin, TX", "Travis County, TX")'
    )
    rates.add_argument("--json", action="store_true", help="print JSON")

    run = _command(sub, "run", "full assessment: report.html/pdf, workbook, worklist")
    _add_panel_options(run)
    run.add_argument("--out", type=Path, required=True, help="output folder")
    run.add_argument("--questionnaire", type=Path, help="readiness answers (.yaml or .xlsx)")
    run.add_argument("--assumptions", type=Path, help="YAML of assumption overrides")
    run.add_argument("--practice", default="", help="practice name for the report cover")
    run.add_argument(
        "--locality",
        help='Medicare locality ("TX 99") or the practice\'s place ("Austin, TX", "Travis '
        'County, Texas"); default: national',
    )
    run.add_argument("--year", type=int, default=2026, help="fee schedule year (default 2026)")
    _add_request_options(run)
    run.add_argument(
        "--formats",
        default="html,pdf,xlsx",
        help="comma-separated among html, pdf, xlsx (default: all three)",
    )
    run.add_argument("--browser", type=Path, help="Chromium/Chrome used to print the PDF")
    run.add_argument("--open", action="store_true", help="open the report when it is written")
    run.add_argument(
        "--force",
        action="store_true",
        help="replace output files in --out that no earlier run of this version recorded",
    )
    run.add_argument(
        "--prepared-by",
        default="",
        metavar='"NAME, FIRM"',
        help="who prepared the report, for the cover (default: the questionnaire's consultant)",
    )

    templates = _command(
        sub, "templates", "write the CCM starter kit: consent script, letter, care plan, time log"
    )
    templates.add_argument("dir", type=Path, help="folder to write the files into")
    templates.add_argument("--practice", default="", help="practice name to put in the files")

    listing = _command(sub, "assumptions", "list every model assumption and its source")
    listing.add_argument("--json", action="store_true", help="print a JSON list of objects")

    batch = _command(sub, "batch", "assess many practices in parallel, with a summary")
    batch.add_argument(
        "input",
        type=Path,
        help="folder of panel files, or CSV: practice,panel,questionnaire,locality",
    )
    batch.add_argument("--out", type=Path, required=True, help="output folder (one per practice)")
    batch.add_argument("--formats", default="html,pdf,xlsx", help="as for run (default: all)")
    batch.add_argument("--jobs", type=positive_int, help="parallel processes (default: CPU count)")
    batch.add_argument("--as-of", type=as_of_date, default=dt.date.today(), help="as for run")
    batch.add_argument(
        "--locality", help='Medicare locality or place ("Austin, TX") where the listing gives none'
    )
    batch.add_argument(
        "--questionnaire", type=Path, help="readiness answers where the listing gives none"
    )
    batch.add_argument("--assumptions", type=Path, help="YAML of assumption overrides (all)")
    batch.add_argument("--year", type=int, default=2026, help="fee schedule year (default 2026)")
    _add_request_options(batch)

    questionnaire = _command(
        sub, "questionnaire", "write the blank readiness questionnaire (YAML and Excel form)"
    )
    questionnaire.add_argument("dir", type=Path, help="folder to write the two files into")

    notebooks = _command(
        sub, "notebooks", "copy the report, scenario explorer and audit notebooks to a folder"
    )
    notebooks.add_argument("dir", type=Path, help="folder to copy the notebooks into")
    _add_audit_parser(sub)
    return parser


def _add_audit_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = _command(
        sub, "audit", "monthly program audit: time log vs claims vs register (audit.html, ...)"
    )
    audit.add_argument(
        "--time-log",
        type=Path,
        required=True,
        help="care-management time log (xlsx/csv); a workbook may also hold "
        "the claims and register as sheets",
    )
    audit.add_argument("--claims", type=Path, help="claims export, one row per billed line")
    audit.add_argument("--register", type=Path, help="CCM register: consent, care plan, ...")
    audit.add_argument(
        "--month",
        action="append",
        metavar="YYYY-MM",
        help="month to audit (repeatable; default: every month in the exports)",
    )
    audit.add_argument(
        "--plan",
        type=Path,
        metavar="RUN_DIR",
        help="a `ccm-assess run` output folder: compare with its monthly.csv",
    )
    audit.add_argument(
        "--model",
        choices=("in_house", "managed", "hybrid"),
        help="the delivery model whose plan --plan compares with, its month 1 set on the "
        "program's go-live (default: the run's recommendation; in-house when it recommended "
        "none)",
    )
    audit.add_argument(
        "--go-live",
        metavar="YYYY-MM",
        help="the program's first month of care, set against the plan's first month with "
        "patients enrolled (default: the first month with time or a claim in the exports)",
    )
    audit.add_argument("--year", type=int, help="fee schedule year (default: the service year)")
    audit.add_argument("--locality", help='Medicare locality, e.g. "TX 99" (default: national)')
    audit.add_argument(
        "--map",
        action="append",
        metavar="[INPUT.]ROLE=HEADER",
        help="use this column for a role, e.g. --map claims.code='Proc' (repeatable)",
    )
    audit.add_argument("--practice", default="", help="practice name for the report cover")
    audit.add_argument("--formats", default="html,pdf", help="html, pdf (default: both)")
    audit.add_argument("--browser", type=Path, help="Chromium/Chrome used to print the PDF")
    audit.add_argument("--out", type=Path, required=True, help="output folder")
