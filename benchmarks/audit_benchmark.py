"""How long `ccm-assess audit` takes on a generated program (time log, claims, register).

    python benchmarks/audit_benchmark.py [--patients 10000] [--months 3]

Generates a program with `sample_audit.generate_program` (seed 3), writes the three exports as
CSV into a temporary folder, and times reading + auditing (`audit`) and the whole command with
audit.html, the workbooks and audit.json (`run_audit`, no PDF). Prints one line per step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from ccm_assess.audit.run import AuditOptions, audit, run_audit
from ccm_assess.edge.sample_audit import generate_program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=3)
    args = parser.parse_args()
    months = [str(pd.Period("2026-09", freq="M") + i) for i in range(args.months)]
    start = time.perf_counter()
    program = generate_program(
        [f"P{i:06d}" for i in range(args.patients)], ["Dr A", "Dr B", "Dr C"], months, seed=3
    )
    print(
        f"generate: {time.perf_counter() - start:.1f} s, rows "
        + ", ".join(f"{k} {len(v):,}" for k, v in program.items())
    )
    with tempfile.TemporaryDirectory() as folder:
        paths = {kind: Path(folder) / f"{kind}.csv" for kind in program}
        for kind, frame in program.items():
            frame.to_csv(paths[kind], index=False)
        options = AuditOptions(
            time_log=paths["time_log"],
            claims=paths["claims"],
            register=paths["register"],
            out=Path(folder) / "out",
            formats=("html",),
        )
        start = time.perf_counter()
        result = audit(options)
        print(
            f"read + audit: {time.perf_counter() - start:.1f} s, "
            f"{result.ledger['patient_months']:,} patient-months, "
            f"{len(result.exceptions):,} exception rows"
        )
        start = time.perf_counter()
        run_audit(options)
        print(f"whole command (html, workbooks, json): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
