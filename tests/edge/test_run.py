"""`ccm-assess run` end to end on the bundled sample practice: one real run, many checks.

The run happens once per module, as a user would start it (the console script in a
subprocess), inside a network namespace with only loopback when the machine allows it, so
any attempt to reach the network would fail the run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from ccm_assess.intake.payers import PAYER_CLASSES
from ccm_assess.outputs.export import count_drawn_plots, find_browser, scan_html

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
PANEL = SAMPLE / "sunrise_family_medicine_panel.xlsx"
CLI = [sys.executable, "-m", "ccm_assess"]
SECTIONS = [
    "Executive summary",
    "Your patients",
    "Staffing",
    "Money",
    "In-house vs managed vs hybrid",
    "Sensitivity",
    "Readiness",
    "Launch plan",
    "Appendix",
]
SCENARIO_METRICS = {
    "enrolled_steady_state",
    "ftes_steady_state",
    "monthly_net_steady_state",
    "year1_net",
    "horizon_net",
    "break_even_month",
    "roi",
    "p10_horizon_net",
    "p90_horizon_net",
}

PREPARED_BY = "Jane Doe, Care Advisors LLC"
IDENTIFIER = re.compile(
    r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[\w-]+\.(?:csv|xlsx|yaml|json|ipynb|py)\b"
)
"""snake_case names (consent_rate, medicare_ffs, in_house) and file names."""

pytestmark = pytest.mark.e2e


def _isolated(command: list[str]) -> list[str]:
    """The command inside a fresh network namespace with loopback only, where possible."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if os.geteuid() != 0 or not unshare or not ip:
        return command
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        return command
    quoted = " ".join(f"'{part}'" for part in command)
    return [unshare, "-n", "sh", "-c", f"{ip} link set lo up && exec {quoted}"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("assessment")
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "HOME": str(home), "JUPYTER_DATA_DIR": str(home / "jupyter")}
    command = [
        *CLI,
        "run",
        str(PANEL),
        "--questionnaire",
        str(SAMPLE / "questionnaire.yaml"),
        "--practice",
        "Sunrise Family Medicine",
        "--locality",
        "TX 99",
        "--as-of",
        "2026-11-20",
        "--start",
        "2026-12-01",
        "--prepared-by",
        PREPARED_BY,
        "--out",
        out.name,  # relative, as a consultant types it: the notebook runs from another folder
    ]
    done = subprocess.run(
        _isolated(command), capture_output=True, text=True, env=env, timeout=600, cwd=out.parent
    )
    assert done.returncode == 0, done.stderr
    return out, done


@pytest.fixture(scope="module")
def summary(run) -> dict:
    return json.loads((run[0] / "summary.json").read_text())


def test_every_output_file_is_written(run):
    out, _ = run
    names = {path.name for path in out.iterdir()}
    expected = {
        "report.html",
        "workbook.xlsx",
        "worklist.xlsx",
        "summary.json",
        "assessment.ipynb",
        "assumptions_used.yaml",
        "monthly.csv",
    }
    if find_browser() is not None:
        expected.add("report.pdf")
    assert expected <= names
    assert not [name for name in names if name.startswith(".")], "staging left behind"


def test_monthly_csv_holds_the_plan_from_the_month_after_as_of(run, summary):
    import pandas as pd

    table = pd.read_csv(run[0] / "monthly.csv", dtype={"calendar_month": str})
    assert set(table["model"]) == set(summary["scenarios"])
    first = table[table["month"] == 1]
    assert first["calendar_month"].eq("2026-12").all()  # as-of 2026-11-20
    months = table.groupby("model")["month"].agg(["min", "max", "size"])
    assert (months["min"] == 1).all() and (months["size"] == months["max"]).all()
    assert (table["billed_patient_months"] <= table["enrolled"] + 1e-9).all()


def test_summary_follows_schema_version_3(summary):
    assert summary["schema_version"] == 3  # version 1-2 keys kept; 3 adds cash_*, options, ...
    assert summary["as_of"] == "2026-11-20"
    assert summary["practice"] == "Sunrise Family Medicine"
    panel = summary["panel"]
    assert panel["rows_read"] == panel["rows_used"] + panel["rows_skipped"] + panel["rows_rejected"]
    # docs/outputs.md: the keys, integers for counts (null only where suppressed or unknown)
    eligibility = summary["eligibility"]
    assert set(eligibility["ccm_eligible_by_payer"]) == set(PAYER_CLASSES)
    assert set(eligibility["apcm_tiers"]) == {"G0556", "G0557", "G0558"}
    for key in ("ccm_eligible", "pcm_candidates", "broad_ccm_eligible"):
        assert isinstance(eligibility[key], int)
    assert set(summary["scenarios"]) == {"in_house", "managed", "hybrid"}
    for metrics in summary["scenarios"].values():
        assert SCENARIO_METRICS <= set(metrics)
    assert summary["rates"]["year"] == 2026 and summary["rates"]["locality"].startswith("TX 99")
    assert 0 <= summary["readiness"]["score"] <= 100
    assert summary["recommendation"] in {"in_house", "managed", "hybrid"}
    assert all(path.count(".") >= 1 for path in summary["suppressed"])


def test_summary_validates_against_the_documented_json_schema(summary):
    import jsonschema

    schema = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(summary))
    broken = {**summary, "eligibility": {**summary["eligibility"], "ccm_eligible": "1,359"}}
    assert [e.json_path for e in validator.iter_errors(broken)] == ["$.eligibility.ccm_eligible"]


def test_summary_counts_match_the_check_command(summary):
    checked = subprocess.run(
        [*CLI, "check", str(PANEL), "--as-of", "2026-11-20", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = json.loads(checked.stdout)
    assert counts["panel"] == summary["panel"]
    assert counts["eligibility"]["ccm_eligible"] == summary["eligibility"]["ccm_eligible"]


def test_html_is_self_contained_and_draws_every_chart(run):
    html = run[0] / "report.html"
    markup = html.read_text(encoding="utf-8")
    scan = scan_html(markup)
    assert scan.loads == [], scan.loads
    assert scan.plotly_js == 1
    assert scan.plot_divs >= 10
    for section in SECTIONS:
        assert section in markup
    browser = find_browser()
    if browser is None:
        pytest.skip("no Chromium/Chrome on this machine to render the report")
    assert count_drawn_plots(html, browser=browser) == scan.plot_divs


def test_pdf_is_a4_with_every_section_in_order(run):
    pdf = run[0] / "report.pdf"
    if not pdf.exists() or not shutil.which("pdftotext"):
        pytest.skip("no browser printed a PDF, or poppler-utils is not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    positions = [text.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), dict(zip(SECTIONS, positions, strict=True))
    assert positions == sorted(positions)
    assert "Page 1 of" in text
    assert not IDENTIFIER.findall(text)
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert PREPARED_BY in cover and "Sunrise Family Medicine" in cover
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info)


def _page_fill(pgm: Path) -> float:
    """How far down its printable area a greyscale page (PGM) carries ink, 0-1: the lowest
    row darker than near-white, between the top margin and the footer."""
    import numpy as np

    magic, width, height, _, pixels = pgm.read_bytes().split(maxsplit=4)
    assert magic == b"P5"
    page = np.frombuffer(pixels[: int(width) * int(height)], np.uint8).reshape(int(height), -1)
    body = page[int(page.shape[0] * 0.06) : int(page.shape[0] * 0.92)]
    inked = np.nonzero((body < 230).any(axis=1))[0]
    return (inked[-1] + 1) / body.shape[0] if inked.size else 0.0


def test_no_page_but_the_last_is_more_than_half_empty(run, tmp_path):
    # sections after the first pages run on (cells tagged "flow"): a short section end no
    # longer leaves a page mostly blank (issue 26: 9 of 38 pages were under 60% full)
    pdf = run[0] / "report.pdf"
    if not pdf.exists() or not shutil.which("pdftoppm"):
        pytest.skip("no browser printed a PDF, or poppler-utils is not installed")
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / "p")], check=True)
    fills = [_page_fill(page) for page in sorted(tmp_path.glob("p-*.pgm"))]
    assert fills[1] > 0.8  # page 2: the decision on one page
    half_empty = [n for n, fill in enumerate(fills[:-1], start=1) if fill < 0.5]
    assert half_empty == [], [f"{fill:.0%}" for fill in fills]


def test_workbook_has_the_expected_sheets(run):
    book = openpyxl.load_workbook(run[0] / "workbook.xlsx")
    assert book.sheetnames == [
        "Summary",
        "Funnel",
        "Scenarios",
        "Sensitivity",
        "Assumptions",
        "Rates",
        "Data quality",
        "Readiness",
        "Launch plan",
        "By provider",
        "Vendor questions",
        "Other programs",
    ]
    assert book["Summary"]._charts and book["Scenarios"]._charts


def test_worklist_is_owner_only_and_says_it_holds_phi(run):
    worklist = run[0] / "worklist.xlsx"
    assert stat.S_IMODE(worklist.stat().st_mode) == 0o600
    book = openpyxl.load_workbook(worklist, read_only=True)
    assert "PHI" in book.sheetnames[0]


def test_worklist_is_a_calling_list_by_provider(run):
    book = openpyxl.load_workbook(run[0] / "worklist.xlsx", read_only=True)
    header, *rows = book.worksheets[0].iter_rows(min_row=3, values_only=True)
    # read-only mode ends a row at its last cell: the empty entry columns are padded back
    frame = pd.DataFrame([[*r, *[None] * (len(header) - len(r))] for r in rows], columns=header)
    for column in ("Provider", "Date of birth", "Phone", "Payer", "Outreach attempts",
                   "Consent date", "Outcome"):  # fmt: skip
        assert column in frame.columns
    assert frame[["Phone", "Date of birth"]].notna().mean().min() > 0.9  # the sample has gaps
    assert not frame["Payer"].str.contains("_").any()  # in words, not medicare_ffs
    # provider A to Z (blank last), then the next-step blocks (call, book a visit first, not
    # billed), then complex candidates first, then most conditions
    steps = {"Call to enrol": 0, "Book a visit first": 1, "Not billed: see why": 2}
    key = frame.assign(
        provider=frame["Provider"].str.casefold().fillna("\uffff"),
        block=frame["Next step"].map(steps),
        simple=frame["Program"] != "Complex CCM candidate",
        fewer=-frame["Chronic conditions"],
    )[["provider", "block", "simple", "fewer"]]
    assert list(key.itertuples(index=False)) == sorted(key.itertuples(index=False))
    assert (frame.groupby("Provider")["Call order"].min() == 1).all()
    assert not frame["Evidence codes"].str.contains("_").any()  # condition names, not keys
    batch = frame[frame["First month"].eq("Yes")]
    assert 0 < len(batch) < len(frame) and set(batch["Billable"]) == {"Yes"}
    assert [s for s in book.sheetnames if s.startswith("Print ")]


def test_summary_plan_shares_patient_data_only_after_the_baa(summary):
    plan = summary["plan"]
    assert {"id", "action", "owner", "start_week", "end_week", "start_date", "end_date",
            "shares_phi", "after"} == set(plan[0])  # fmt: skip
    # dates from the decision date (--start): week w starts 7(w - 1) days after it
    first = dt.date(2026, 12, 1)
    for step in plan:
        start, end = (dt.date.fromisoformat(step[k]) for k in ("start_date", "end_date"))
        assert (start - first).days == 7 * (step["start_week"] - 1)
        assert (end - first).days == 7 * step["end_week"] - 1
    baa = next(step for step in plan if step["id"] == "baa")
    sharing = [step for step in plan if step["shares_phi"]]
    assert sharing and all(step["start_week"] > baa["end_week"] for step in sharing)
    weeks = {step["id"]: step for step in plan}
    go_live = weeks["go_live"]
    assert all(go_live["start_week"] > weeks[d]["end_week"] for d in go_live["after"])
    assert weeks["first_claim"]["start_week"] > weeks["first_billable_month"]["end_week"]


# Shapes of the sample's identifiers; a text's candidates are matched against the panel's set.
PHI_SHAPES = {
    # not a piece of a longer number, nor of a word or a chart's random uuid (`a1234567-...`)
    "id": r"(?<![\w.,-])\d{6}(?![\w.,-])",
    "name": r"[A-Z][\w'-]+, [A-Z][\w'-]+",
    "phone": r"\(\d{3}\) \d{3}-\d{4}",
    "street": r"\d{1,5} [A-Z][a-z]+ [A-Z][a-z]+",
    "date": r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}",
}


def _identifiers() -> dict[str, set[str]]:
    """Every patient id, name, phone, street address and birth date of the sample panel."""
    raw = pd.read_excel(PANEL, header=3, dtype=str, engine="calamine")
    raw = raw[raw["Acct #"].fillna("").str.fullmatch(r"\d{6}")]
    dob = pd.to_datetime(raw["DOB"], errors="coerce", format="mixed").dropna()
    return {
        "id": set(raw["Acct #"]),
        "name": {n.rsplit(" ", 1)[0] if n.count(" ") > 1 else n for n in raw["Patient Name"]},
        "phone": set(raw["Phone"].dropna()),
        "street": {a.split(",")[0] for a in raw["Address"].dropna()},
        "date": {f"{d:%Y-%m-%d}" for d in dob} | {f"{d:%m/%d/%Y}" for d in dob},
    }


def _texts(out: Path) -> dict[str, str]:
    texts = {
        name: (out / name).read_text(encoding="utf-8")
        for name in ("report.html", "summary.json", "assessment.ipynb")
    }
    book = openpyxl.load_workbook(out / "workbook.xlsx")
    texts["workbook.xlsx"] = "\n".join(
        str(cell) for ws in book for row in ws.iter_rows(values_only=True) for cell in row
    )
    if (out / "report.pdf").exists() and shutil.which("pdftotext"):
        texts["report.pdf"] = subprocess.run(
            ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True
        ).stdout
    return texts


def test_no_identifier_from_the_panel_in_any_non_phi_output(run):
    panel = _identifiers()
    assert sum(map(len, panel.values())) > 9000  # ids, names, phones, streets, dates
    # plotly.js (inlined in the report) carries example dates of its own: not the panel's
    bundle = get_plotlyjs()
    hits = {}
    for name, text in _texts(run[0]).items():
        for kind, shape in PHI_SHAPES.items():
            found = set(re.findall(shape, text)) & panel[kind]
            found -= {value for value in found if value in bundle}
            if found:
                hits[f"{name}: {kind}"] = sorted(found)[:5]
    assert hits == {}


def test_the_phi_scan_finds_what_it_looks_for(run):
    """The scan is not vacuous: the worklist, which is PHI, holds the panel's identifiers."""
    panel = _identifiers()
    book = openpyxl.load_workbook(run[0] / "worklist.xlsx", read_only=True)
    text = "\n".join(
        str(cell) for ws in book for row in ws.iter_rows(values_only=True) for cell in row
    )
    for kind in ("id", "name", "phone"):
        assert set(re.findall(PHI_SHAPES[kind], text)) & panel[kind], kind


def test_notebook_parameters_are_documented():
    help_text = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", "notebooks/ccm_assessment.ipynb"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    for name in ("panel_path", "prepared_assessment", "practice", "as_of", "locality", "year"):
        assert re.search(rf"{name}: .+", help_text), name


def test_bad_panel_stops_before_anything_runs(tmp_path):
    bad = tmp_path / "no_ids.csv"
    bad.write_text("Name,Dx\nSmith,E11.9\n", encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [*CLI, "run", str(bad), "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "patient id" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_report_notebook_runs_from_any_folder_on_its_defaults(tmp_path, monkeypatch):
    """papermill on the committed notebook, from an unrelated folder, no parameters: the sample
    practice; in JupyterLab the cards get the report's CSS and no dollar amount becomes maths."""
    import nbformat
    import papermill

    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.chdir(tmp_path)
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "ccm_assessment.ipynb"),
        "out.ipynb",
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    cells = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells
    html = [
        o["data"]["text/html"]
        for c in cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    assert ".kpi-grid" in html[0] and html[0].startswith("<style>")
    shown = [h for h in html[1:] if "plotly" not in h]
    assert any("$" in h for h in shown)
    assert all(h.startswith('<div class="mathjax_ignore tex2jax_ignore">') for h in shown)
