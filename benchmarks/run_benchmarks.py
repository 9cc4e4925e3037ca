"""Benchmark ccm-assess at three panel sizes: read, classify, model, `check` and a whole `run`.

    python benchmarks/run_benchmarks.py                      # 2,500, 25,000 and 250,000 patients
    python benchmarks/run_benchmarks.py --quick              # 2,500 and 25,000, one run each
    python benchmarks/run_benchmarks.py --sizes 2500 25000 --formats xlsx

Synthetic panels (`ccm_assess.edge.sample_panel.generate_panel`, padded with non-chronic CCIR codes
to about 8 diagnosis rows per patient) are written once as a long problem-list CSV, and up to 25,000
patients also as a long xlsx, into `benchmarks/results/panels/` (git-ignored; reused).

Every measurement runs in a fresh child process (this script with `--child STEP`), so imports,
caches and memory of one step never flatter or burden another: seconds are the step's own wall
time inside the child (or the child's whole life for `check` and `run`), peak MB is the child's
maximum resident set (`os.wait4` rusage; for `run` the largest process of its tree, the Jupyter
kernel included). Medians over `--repeats` runs (default 3; 1 for sizes above 25,000).
The table is printed and written as JSON to `benchmarks/results/latest.json`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
NOTEBOOK = ROOT / "notebooks" / "ccm_assessment.ipynb"
QUESTIONNAIRE = ROOT / "sample_data" / "questionnaire.yaml"
SAMPLE_PANEL = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
SAMPLE_PATIENTS = 2_450
SIZES = (2_500, 25_000, 250_000)
QUICK_SIZES = (2_500, 25_000)
XLSX_MAX = 25_000
SINGLE_RUN_ABOVE = 25_000
ROWS_PER_PATIENT = 8.0
SEED = 2026
AS_OF = "2026-11-20"
LOCALITY = "TX 99"
GENERATOR = "v1"
"""Bump when the panel generator changes, so cached panels are rebuilt."""
SPLIT_STEPS = (
    "interpreter_start",
    "imports",
    "cli_main",
    "prepare",
    "kernel_start",
    "notebook_execution",
    "papermill_other",
    "html_export",
    "pdf_print",
    "workbook",
    "worklist",
    "summary_json",
)


# ---------------------------------------------------------------------------------------------
# Synthetic panels


def _filler_pool(size: int, seed: int) -> tuple[list[str], list[float]]:
    """Dotted non-chronic ICD-10-CM codes (CCIR 0) with Zipf-like weights: the acute problems,
    symptoms and Z codes that fill real problem lists beside the chronic conditions."""
    import numpy as np

    from ccm_assess.clinical.conditions import dotted, load_ccir

    ccir = load_ccir()
    codes = ccir.index[ccir.to_numpy() == 0].to_series().reset_index(drop=True)
    rng = np.random.default_rng([seed, 7])
    chosen = codes.iloc[rng.choice(len(codes), size, replace=False)]
    weights = 1.0 / np.arange(1, size + 1)
    return dotted(chosen.astype("str")).tolist(), (weights / weights.sum()).tolist()


def synthetic_frame(n_patients: int, seed: int = SEED) -> Any:
    """`generate_panel` with each code list padded to about ROWS_PER_PATIENT codes."""
    import numpy as np

    from ccm_assess.edge.sample_panel import generate_panel

    frame = generate_panel(n_patients, seed)
    rng = np.random.default_rng([seed, 8])
    mean = float(frame["codes"].str.len().mean())
    extra = rng.poisson(max(ROWS_PER_PATIENT - mean, 0.0), n_patients)
    pool, weights = _filler_pool(2_000, seed)
    drawn = np.array(pool, dtype=object)[rng.choice(len(pool), int(extra.sum()), p=weights)]
    fillers = np.split(drawn, np.cumsum(extra)[:-1])
    codes = [[*own, *more] for own, more in zip(frame["codes"], fillers, strict=True)]
    return frame.assign(codes=codes)


def _long_xlsx(csv_path: Path, xlsx_path: Path) -> Path:
    """The long CSV as a workbook (same title rows, header, body and footer), write-only."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Problem List")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([cell or None for cell in row])
    workbook.save(xlsx_path)
    return xlsx_path


def panel_files(n_patients: int, data_dir: Path) -> dict[str, Path]:
    """The benchmark panel of `n_patients` as {"csv": path[, "xlsx": path]}, built if missing."""
    from ccm_assess.edge.sample import write_long_csv

    data_dir.mkdir(parents=True, exist_ok=True)
    stem = data_dir / f"panel_{n_patients}_{GENERATOR}_s{SEED}"
    files = {"csv": stem.with_suffix(".csv")}
    if not files["csv"].exists():
        print(f"  generating {n_patients:,}-patient panel ...", file=sys.stderr, flush=True)
        partial = stem.with_suffix(".csv.tmp")
        write_long_csv(synthetic_frame(n_patients), partial, seed=SEED)
        partial.replace(files["csv"])
    if n_patients <= XLSX_MAX:
        files["xlsx"] = stem.with_suffix(".xlsx")
        if not files["xlsx"].exists():
            print(f"  writing {n_patients:,}-patient xlsx ...", file=sys.stderr, flush=True)
            partial = stem.with_suffix(".tmp.xlsx")
            _long_xlsx(files["csv"], partial).replace(files["xlsx"])
    return files


# ---------------------------------------------------------------------------------------------
# Child side: one step, timed, result as JSON


def _rss_mb() -> float:
    """Current resident set of this process (MB), from /proc (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _child_read(args: argparse.Namespace) -> dict[str, Any]:
    from ccm_assess.intake.panel import read_panel

    start = time.perf_counter()
    panel = read_panel(args.input)
    seconds = time.perf_counter() - start
    if args.save:
        with Path(args.save).open("wb") as handle:
            pickle.dump(panel, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "seconds": seconds,
        "patients": len(panel.patients),
        "rows": len(panel.ledger),
        "diagnoses": len(panel.diagnoses),
    }


def _child_classify(args: argparse.Namespace) -> dict[str, Any]:
    from ccm_assess.clinical.eligibility import assess_eligibility, summarise

    with Path(args.input).open("rb") as handle:
        panel = pickle.load(handle)
    before = _rss_mb()
    start = time.perf_counter()
    eligibility = assess_eligibility(panel, dt.date.fromisoformat(AS_OF))
    counts = summarise(panel, eligibility)
    seconds = time.perf_counter() - start
    if args.save:
        Path(args.save).write_text(json.dumps(counts), encoding="utf-8")
    return {"seconds": seconds, "rss_before_mb": before}


def _child_model(args: argparse.Namespace) -> dict[str, Any]:
    """The three models with tornado and Monte Carlo: first call in a fresh process (rate and
    assumption tables loaded on the way), then the median of 3 warm calls (the analyst's
    scenario recomputation in a running kernel)."""
    from ccm_assess.finance import fees
    from ccm_assess.finance.assumptions import load_assumptions
    from ccm_assess.practice.assessment import model_economics, rates_of

    counts = json.loads(Path(args.input).read_text(encoding="utf-8"))
    start = time.perf_counter()
    rates = rates_of(fees.rate_table(2026, LOCALITY))
    assumptions = load_assumptions()
    model_economics(counts, rates, assumptions)
    seconds = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        model_economics(counts, rates, assumptions)
        warm.append(time.perf_counter() - start)
    return {"seconds": seconds, "warm_seconds": statistics.median(warm)}


def _timed(module: Any, name: str, key: str, log: dict[str, float]) -> None:
    """Wrap `module.name` so its calls add their wall time to `log[key]` (if it exists)."""
    original = getattr(module, name, None)
    if original is None:
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            log[key] = log.get(key, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def _papermill_times(notebook: Path) -> dict[str, float]:
    """Kernel start (notebook start -> first cell) and execution (first cell -> last cell end)
    from the `papermill` timestamps of the executed notebook."""
    meta = json.loads(notebook.read_text(encoding="utf-8"))
    begun = dt.datetime.fromisoformat(meta["metadata"]["papermill"]["start_time"])
    starts, ends = [], []
    for cell in meta["cells"]:
        stamps = cell.get("metadata", {}).get("papermill", {})
        if stamps.get("start_time") and stamps.get("end_time"):
            starts.append(dt.datetime.fromisoformat(stamps["start_time"]))
            ends.append(dt.datetime.fromisoformat(stamps["end_time"]))
    if not starts:
        return {}
    return {
        "kernel_start": (min(starts) - begun).total_seconds(),
        "notebook_execution": (max(ends) - min(starts)).total_seconds(),
    }


def _child_run(args: argparse.Namespace) -> dict[str, Any]:
    """`ccm-assess run` through `cli.main`, with timers around each step of report.py."""
    begun = time.perf_counter()
    from ccm_assess.edge import cli
    from ccm_assess.edge import run as report
    from ccm_assess.outputs import export, worklist
    from ccm_assess.outputs.workbook import book as workbook

    imported = time.perf_counter()

    log: dict[str, float] = {}
    for module, name, key in (
        (report, "prepare", "prepare"),
        (report, "execute_notebook", "papermill_total"),
        (report, "write_summary", "summary_json"),
        (export, "export_html", "html_export"),
        (export, "print_pdf", "pdf_print"),
        (workbook, "write_workbook", "workbook"),
        (worklist, "write_worklist", "worklist"),
    ):
        _timed(module, name, key, log)
    out = Path(args.save)
    argv = ["run", str(args.input), "--out", str(out), "--formats", args.formats]
    argv += ["--as-of", AS_OF, "--locality", LOCALITY, "--practice", "Benchmark Practice"]
    if QUESTIONNAIRE.is_file():
        argv += ["--questionnaire", str(QUESTIONNAIRE)]
    status = cli.main(argv)
    log["imports"] = imported - begun
    log["cli_main"] = time.perf_counter() - imported
    if status != 0:
        raise SystemExit(f"ccm-assess run exited {status}")
    executed = out / "assessment.ipynb"
    if executed.is_file():
        log.update(_papermill_times(executed))
        total = log.pop("papermill_total", 0.0)
        log["papermill_other"] = total - log["kernel_start"] - log["notebook_execution"]
    return {"split": log, "child_seconds": time.perf_counter() - begun}


CHILD_STEPS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "read": _child_read,
    "classify": _child_classify,
    "model": _child_model,
    "run": _child_run,
}


def child_main(args: argparse.Namespace) -> int:
    result = CHILD_STEPS[args.child](args)
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------------------------------
# Parent side


def _spawn(argv: Sequence[str]) -> tuple[float, float, int]:
    """Run `argv` to completion: (wall seconds, peak resident MB of it and its waited-for
    descendants, exit status). Output goes to a log file, shown on failure."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=log, stderr=log, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            tail = log.read().decode("utf-8", "replace")[-3000:]
            print(f"  FAILED ({process.returncode}): {' '.join(argv)}\n{tail}", file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, process.returncode


def _child(step: str, source: Path, *, save: Path | None = None, formats: str = "") -> dict:
    """One child measurement: its own result plus `wall` and `peak_mb`."""
    with tempfile.TemporaryDirectory(prefix="ccm-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", step]
        argv += ["--input", str(source), "--result", str(result_file)]
        if save is not None:
            argv += ["--save", str(save)]
        if formats:
            argv += ["--formats", formats]
        wall, peak, status = _spawn(argv)
        if status != 0:
            return {"failed": True, "wall": wall, "peak_mb": peak}
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if "child_seconds" in result:
        result["split"]["interpreter_start"] = wall - result.pop("child_seconds")
    return {**result, "wall": wall, "peak_mb": peak}


def _median(runs: list[dict], key: str) -> float | None:
    values = [run[key] for run in runs if key in run and not run.get("failed")]
    return statistics.median(values) if values else None


def _row(size: int, file: str, step: str, runs: list[dict], key: str = "seconds") -> dict:
    return {
        "patients": size,
        "file": file,
        "step": step,
        "seconds": _median(runs, key),
        "peak_mb": _median(runs, "peak_mb"),
        "runs": len(runs),
        "failed": sum(bool(run.get("failed")) for run in runs),
    }


def bench_size(size: int, repeats: int, formats: str, data_dir: Path) -> tuple[list[dict], dict]:
    """Every measurement at one panel size: (table rows, the split of `run`)."""
    files = panel_files(size, data_dir)
    rows: list[dict] = []
    ccm = Path(sys.executable).with_name("ccm-assess")
    with tempfile.TemporaryDirectory(prefix="ccm-bench-") as tmp:
        work = Path(tmp)
        for kind, path in files.items():
            save = work / "panel.pkl" if kind == "csv" else None
            reads = [_child("read", path, save=save) for _ in range(repeats)]
            rows.append(_row(size, kind, "read", reads))
            checks = []
            for _ in range(repeats):
                wall, peak, status = _spawn([str(ccm), "check", str(path), "--as-of", AS_OF])
                checks.append({"seconds": wall, "peak_mb": peak, "failed": status != 0})
            rows.append(_row(size, kind, "ccm-assess check", checks))
        counts = work / "counts.json"
        classify = [_child("classify", work / "panel.pkl", save=counts) for _ in range(repeats)]
        rows.append(_row(size, "csv", "classify + count", classify))
        model = [_child("model", counts) for _ in range(repeats)]
        rows.append(_row(size, "-", "model (first call)", model))
        rows.append(_row(size, "-", "model (warm, analyst)", model, "warm_seconds"))
        runs = [
            _child("run", files["csv"], save=work / f"run{i}", formats=formats)
            for i in range(repeats)
        ]
        rows.append(_row(size, "csv", f"ccm-assess run ({formats})", runs, "wall"))
    return rows, _split(runs)


def bench_sample(repeats: int, formats: str) -> tuple[list[dict], dict]:
    """The whole `ccm-assess run` on the bundled sample practice (the 30-second target)."""
    with tempfile.TemporaryDirectory(prefix="ccm-bench-") as tmp:
        runs = [
            _child("run", SAMPLE_PANEL, save=Path(tmp) / f"run{i}", formats=formats)
            for i in range(repeats)
        ]
    row = _row(SAMPLE_PATIENTS, "xlsx", f"run, bundled sample ({formats})", runs, "wall")
    return [row], _split(runs)


def _split(runs: list[dict]) -> dict:
    """Median seconds of each step of `run` over the runs that recorded it."""
    return {
        step: statistics.median(values)
        for step in SPLIT_STEPS
        if (values := [r["split"][step] for r in runs if step in r.get("split", {})])
    }


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def format_table(rows: list[dict], splits: dict[str, dict]) -> str:
    lines = [f"{'patients':>9}  {'file':<4}  {'step':<34} {'seconds':>9} {'peak MB':>9}"]
    lines.append("-" * len(lines[0]))
    for row in rows:
        failed = "  FAILED" if row["failed"] else ""
        lines.append(
            f"{row['patients']:>9,}  {row['file']:<4}  {row['step']:<34} "
            f"{_fmt(row['seconds'], '9.2f')} {_fmt(row['peak_mb'], '9.0f')}{failed}"
        )
    for name, split in splits.items():
        lines.append("")
        lines.append(f"split of ccm-assess run, {name} (seconds; steps overlap):")
        lines.extend(f"  {step:<20} {seconds:8.2f}" for step, seconds in split.items())
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help="panel sizes in patients (default: 2500 25000 250000)",
    )
    parser.add_argument("--quick", action="store_true", help="2,500 and 25,000; one run each")
    parser.add_argument("--repeats", type=int, help="runs per measurement (default 3, or 1)")
    parser.add_argument(
        "--formats",
        help="--formats of the timed `ccm-assess run` (default html,pdf,xlsx; xlsx when the "
        "report notebook is missing)",
    )
    parser.add_argument(
        "--no-sample", action="store_true", help="skip the run on the bundled sample practice"
    )
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "panels")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--child", choices=sorted(CHILD_STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    formats = args.formats or ("html,pdf,xlsx" if NOTEBOOK.is_file() else "xlsx")
    rows: list[dict] = []
    splits: dict[str, dict] = {}
    load = {"before": os.getloadavg()}
    small = args.repeats or (1 if args.quick else 3)
    if not args.no_sample:
        print("bundled sample practice ...", file=sys.stderr, flush=True)
        rows, splits["bundled sample"] = bench_sample(small, formats)
    for size in sizes:
        repeats = args.repeats or (1 if args.quick or size > SINGLE_RUN_ABOVE else 3)
        print(f"{size:,} patients, {repeats} run(s) per step ...", file=sys.stderr, flush=True)
        size_rows, splits[f"{size:,} patients"] = bench_size(size, repeats, formats, args.data_dir)
        rows += size_rows
    load["after"] = os.getloadavg()
    print(format_table(rows, splits))
    print(f"load average (1, 5, 15 min) before {load['before']}, after {load['after']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1_5_15_min": load,
        },
        "formats": formats,
        "rows": rows,
        "run_split": splits,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
