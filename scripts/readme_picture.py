"""Regenerate the README's picture, docs/executive_summary.png: page 2 (the decision on one
page) of the sample practice's report, and beside it docs/executive_summary.json, the headline
the picture shows (read from that run's summary.json).

tests/test_readme_picture.py compares the recorded headline with the summary.json the kit
computes now for the same run, so a change of the figures that leaves the picture stale fails
the suite; then run this script and commit both files.

Needs Chromium (the PDF) and poppler's pdftoppm (the PNG).
Usage: python scripts/readme_picture.py [--run DIR]   (DIR: an existing run of the sample with
the options below; default: a fresh run in a temporary folder)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "docs" / "executive_summary.png"
SIDECAR = PICTURE.with_suffix(".json")
PAGE = 2  # the decision on one page
RESOLUTION = 80  # dots per inch: A4 at 661 x 935 pixels
SAMPLE = ROOT / "sample_data"
RUN = ["run", str(SAMPLE / "sunrise_family_medicine_panel.xlsx"), "--questionnaire",
       str(SAMPLE / "questionnaire.yaml"), "--practice", "Sunrise Family Medicine",
       "--locality", "TX 99", "--as-of", "2026-11-20", "--formats", "html,pdf"]  # fmt: skip
"""The README's set-up command (the test assesses the same panel, answers and place)."""


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures the picture shows: the recommended model and its median horizon net, year-1
    net (whole USD) and break-even month."""
    choice = summary["recommendation"]
    chosen = summary["scenarios"][choice]
    return {
        "recommendation": choice,
        "p50_horizon_net": round(chosen["p50_horizon_net"]),
        "p50_year1_net": round(chosen["p50_year1_net"]),
        "p50_break_even_month": chosen["p50_break_even_month"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing run of the sample (report.pdf)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ccm-readme-") as scratch:
        run = args.run or Path(scratch) / "run"
        if args.run is None:
            command = [sys.executable, "-m", "ccm_assess", *RUN, "--out", str(run), "-q"]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        stem = Path(scratch) / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(PAGE), "-l", str(PAGE),
             "-singlefile", str(run / "report.pdf"), str(stem)],
            check=True,
        )  # fmt: skip
        PICTURE.write_bytes(stem.with_suffix(".png").read_bytes())
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    record = {"page": PAGE, "as_of": summary["as_of"], "headline": headline(summary)}
    SIDECAR.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(PICTURE)
    print(SIDECAR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
