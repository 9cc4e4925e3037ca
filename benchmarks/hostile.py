"""Time and peak memory of `ccm-assess check` on each hostile file of issue 13.

Builds the files in a temporary folder (nothing large is committed), runs each in its own
process under `/usr/bin/time -v` and prints: attack, exit status, seconds, peak MiB, and the
first line of the kit's answer. Target: each within 10 s and 1 GiB.

    .venv/bin/python benchmarks/hostile.py
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd

CHECK = [sys.executable, "-m", "ccm_assess", "check", "--as-of", "2026-11-20"]


def _xlsx(path: Path, change: Callable[[bytes], bytes] | None = None) -> Path:
    book = openpyxl.Workbook()
    for row in (["MRN", "Dx"], ["1", "E11.9"], ["2", "I10"]):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if change is None:
        path.write_bytes(buffer.getvalue())
        return path
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if "worksheets/sheet1" in info.filename else data)
    path.write_bytes(out.getvalue())
    return path


def _dimension(ref: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', xml)


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


ATTACKS: dict[str, Callable[[Path], Path]] = {
    "xlsx declaring A1:XFD1048576 (17 KB)": lambda d: _xlsx(
        d / "extent.xlsx", _dimension(b"A1:XFD1048576")
    ),
    "xlsx declaring A1:Z1048576, holding 3 rows": lambda d: _xlsx(
        d / "rows.xlsx", _dimension(b"A1:Z1048576")
    ),
    "xlsx with one 1 GiB inline string (about 1 MB zipped)": lambda d: _xlsx(
        d / "gig.xlsx", lambda xml: xml.replace(b"E11.9", b"E" * (1 << 30), 1)
    ),
    "csv cell of 120,000 characters without spaces": lambda d: _csv(
        d / "cell.csv", "MRN,Dx,Payer\n1,E11.9," + "medicare" * 15_000 + "\n"
    ),
    "csv line of 200 KB in the diagnosis column": lambda d: _csv(
        d / "line.csv", "MRN,Dx\n1," + "E11.9;" * 34_000 + "\n"
    ),
    "csv with 120,000-char tokens in code, payer, provider": lambda d: _csv(
        d / "tokens.csv",
        "MRN,Dx,Primary Insurance,PCP\n"
        + "\n".join(f"{i},{'a1' * 16_000},{'medicare ' * 3_500},{'x' * 30_000}" for i in range(5))
        + "\n",
    ),
    "sentinel dates and huge counts": lambda d: _csv(
        d / "sentinel.csv",
        "MRN,Dx,DOB,Last Visit,IP Admits,ED Visits\n"
        "1,E11.9;I10,9999-12-31,0001-01-01,inf,12345678901234567890\n",
    ),
    "headerless csv": lambda d: _csv(d / "headerless.csv", "10234,Ann Smith,1950-03-04,E11.9\n"),
    "binary parquet columns": lambda d: (
        pd.DataFrame({"MRN": [b"1"], "Dx": [b"\xffE11.9"]}).to_parquet(d / "b.parquet"),
        d / "b.parquet",
    )[1],
}


def measure(path: Path) -> tuple[int, float, float, str]:
    done = subprocess.run(
        ["/usr/bin/time", "-v", *CHECK, str(path)], capture_output=True, text=True, timeout=600
    )
    return done.returncode, *usage(done.stderr, done.stdout)


def usage(stats: str, stdout: str) -> tuple[float, float, str]:
    """(wall seconds, peak MiB, first line of the kit's answer) from `/usr/bin/time -v`."""
    seconds = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+(?:\.\d+)?)$", stats, re.M)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats)
    wall = float(seconds.group(2)) + 60 * float(seconds.group(1) or 0) if seconds else float("nan")
    answer = next(
        (line for line in stats.splitlines() if line.startswith("ccm-assess:")),
        (stdout.splitlines() or [""])[0],
    )
    return wall, int(peak.group(1)) / 1024 if peak else float("nan"), answer


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for attack, build in ATTACKS.items():
            path = build(Path(folder))
            status, seconds, mib, answer = measure(path)
            print(f"{attack} | exit {status} | {seconds:.1f} s | {mib:.0f} MiB | {answer[:160]}")
            path.unlink()


if __name__ == "__main__":
    main()
