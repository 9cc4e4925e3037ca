"""Load a panel file into a raw grid of cells (docs/panel.md, Files).

`read_grid(path)` returns every cell as written, no header, rows as in the file, plus which
sheet was read and notes on how; `panel.py` finds the header, roles and values. Decisions:

- Workbooks (.xlsx, .xlsm, .xls) are read with calamine, openpyxl as fallback, from their bytes,
  so a workbook saved under the wrong Excel extension still reads. The sheet is the one named,
  else the one the caller's `score` ranks highest (the patient table), then the one with most rows.
  An OLE2 compound file holding an `EncryptionInfo` or `EncryptedPackage` stream is how Excel
  saves a password-protected .xlsx: refused with how to remove the password. Formula cells saved
  without a computed value (files written by scripts) read as blank and are counted.
- A workbook-named file that holds text (EHRs often export CSV as `.xls`) is read as text, with a
  note; an HTML page or binary data under a workbook name is refused.
- Text (.csv, .tsv, .txt): UTF-16 (BOM, or the NUL pattern of UTF-16 without one), UTF-8 (with
  or without BOM), else cp1252 with the five bytes cp1252 leaves undefined dropped. Trailing NUL
  padding is dropped. More than 5% control bytes (NUL aside: stray NULs are common) or more
  than half NULs in the first 64 KiB: binary, refused. The delimiter is sniffed. A file that
  is a rectangle below its title rows and above its footer lines is parsed by pyarrow's CSV
  reader (fast), anything else (ragged rows, NULs, odd quotes) by pandas, to the same grid.
  An opening quote never closed (or closed rows later) would fold the rows after it into one
  cell: the file is then re-read with quotes as plain characters, and a note says so.
- Parquet: the column names are the first row.
- Arrow's columns come dictionary-encoded (pandas categoricals: int32 codes into the distinct
  texts, `coded.py`); the other readers' columns are text or Python values.
- Cells become text with `cell_text`, which also drops control and invisible characters
  (NUL, zero-width space, BOM, bidi marks), so `E11.9\\x00` reads `E11.9`; the panel reader
  takes them coded (`coded_text`), cleaned once per distinct value.

Longer than 400 lines because each file format's reader carries its own size bounds and
hostile-input checks, and together they keep one set of `Limits`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv
from python_calamine import CalamineWorkbook, SheetTypeEnum

from ccm_assess.errors import PanelError
from ccm_assess.intake.coded import dictionary_column, distinct, recode
from ccm_assess.intake.files import check_input, read_input

KIND = "panel file"
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".txt", ".parquet")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SCAN_ROWS = 50
"""Rows at the top of a sheet that may hold the header (and rank the sheets)."""
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_SNIFF_CHARS = 200_000
_STEP = 1 << 24
"""Bytes scanned at a time when a whole file is checked (UTF-8, newlines, line lengths)."""
_BLOCK = 1 << 23
"""Bytes Arrow's CSV reader parses per block (per thread): 8 MiB, not its default 1 MiB, so
a large file is read in tens of blocks, not hundreds."""
_CODED = pa.dictionary(pa.int32(), pa.string())
"""How Arrow's CSV reader returns each column: dictionary-encoded as it parses, per block and
thread (the text of 8 M cells is never held), the blocks' dictionaries unified after."""
_BINARY_SAMPLE = 1 << 16
_BINARY_SHARE = 0.05
_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0e-\x1f\x7f]")
"""Bytes that text files do not hold (NUL is judged apart)."""
csv.field_size_limit(sys.maxsize)  # long cells are judged by `Limits.cell_chars`, with a message
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?:?([A-Z]{1,3})(\d+)\"")
"""A worksheet's declared extent, `<dimension ref="A1:XFD1048576"/>` (bounded quantifiers)."""
_SPREAD = 10
"""A sheet whose A1-to-last-cell extent is more than 10 times the cells it writes (plus
`_SCAN_ABOVE_CELLS`) is a few cells placed far apart: reading it would allocate the extent."""
_MIB = 1 << 20
_BOMB_SIZE, _BOMB_RATIO = 64 * _MIB, 200
"""A workbook part over 64 MiB unzipped that compressed more than 200:1 (sheet XML compresses
about 10:1): a zip bomb or a giant repeated cell, refused before it is unzipped."""
_SCAN_ABOVE_CELLS = 5_000_000
"""Slack, in cells, of the checks comparing a sheet's extent with what it holds."""
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
"""Control and invisible characters dropped from every cell (tab and line breaks are kept)."""
_INVISIBLE_LEAD = np.isin(
    np.arange(256), [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC2, 0xE2, 0xEF]
)
"""UTF-8 bytes that may begin an `INVISIBLE` character (bytes 0x00-0x1F bar tab/LF/CR, DEL)."""
_UNCACHED_FORMULA = re.compile(
    rb"<(?:\w+:)?c\b[^>]*>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
"""A worksheet cell holding a formula and no (or an empty) cached value."""
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass(frozen=True)
class Limits:
    """Caps on what a panel file may hold, checked before (or while) it is read; each can be
    raised with `--limit NAME=VALUE`. The defaults admit a 1,000,000-patient long export
    (8,000,000 rows, 460 MB: a group's or an MSO's, docs/scale.md) with room to spare."""

    file_mb: int = 1024
    """Size of the file on disk, MiB."""
    unpacked_mb: int = 2048
    """A workbook's parts once unzipped, MiB in all (a zip bomb is refused unopened)."""
    strings_mb: int = 512
    """A workbook's shared-strings part unzipped, MiB (one huge text cell lives there)."""
    rows: int = 16_000_000
    """Records of a text file (counted before it is parsed) or rows of a sheet."""
    columns: int = 2_000
    cells: int = 100_000_000
    """Rows x columns of a sheet, as its declared extent says."""
    cell_chars: int = 32_767
    """Characters in one cell (Excel's own maximum)."""
    sheet_cells: int = 12_000_000
    """Rows x columns a workbook sheet holds, from A1 to its last cell (a sheet is read whole
    into memory, about 50 bytes a cell: 1,000,000 rows of 12 columns)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


def _too_big(what: str, found: int, limit: int, name: str, unit: str = "") -> PanelError:
    return PanelError(
        f"{what}: {found:,}{unit}, above the limit of {limit:,}{unit}; if the file is right, "
        f"raise the limit with --limit {name}={found}"
    )


@dataclass(frozen=True)
class RawGrid:
    """A file's cells as written (no header; row i is the file's row i + 1) and how it was read."""

    cells: pd.DataFrame
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    blank_formulas: int = 0
    """Formula cells of the sheet saved without a computed value (they read as blank)."""


def listing(values: Sequence[str], limit: int = 30, width: int = 40) -> str:
    """`'a', 'b' and 3 more`: the first `limit` values quoted, each cut to `width` characters."""
    cut = [v if len(v) <= width else v[: width - 1] + "…" for v in map(str, values[:limit])]
    shown = ", ".join(f"'{value}'" for value in cut)
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def cell_text(column: pd.Series) -> pd.Series:
    """Cells as stripped text (`str` dtype), NA when blank. Whole floats lose `.0` (Excel ids
    and codes), dates and datetimes become ISO dates, booleans `True`/`False`; control and
    invisible characters (`INVISIBLE`) are dropped. A categorical column (a CSV read by
    Arrow) is cleaned once per distinct value."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return coded_text(column).astype("str")
    if not isinstance(column.dtype, pd.StringDtype):
        column = _object_text(column)
    if _may_hold_invisible(column) and column.str.contains(INVISIBLE.pattern, regex=True).any():
        column = column.str.replace(INVISIBLE, "", regex=True)
    stripped = column.str.strip()
    if stripped.equals(column):  # keep the cells as they are: no second copy of the grid
        stripped = column
    blank = stripped.eq("")
    return stripped.mask(blank) if blank.any() else stripped


def coded_text(column: pd.Series) -> pd.Series:
    """`cell_text` as a categorical column (`coded.recode`): the panel reader's form of the
    grid, cleaned once per distinct value and never copied row by row."""
    return recode(column, cell_text)


def _may_hold_invisible(column: pd.Series) -> bool:
    """False when no UTF-8 byte of the Arrow-backed column can start an `INVISIBLE` character
    (an ASCII control byte, or the lead bytes 0xC2, 0xE2, 0xEF of U+0080-9F, U+200B-2069 and
    U+FEFF-FFFB): one pass over the data buffers, ~20x faster than a regex over 2 M cells."""
    if column.array.dtype.storage != "pyarrow":
        return True
    chunks = column.array.__arrow_array__().chunks
    buffers = [chunk.buffers()[2] for chunk in chunks if chunk.buffers()[2] is not None]
    for buffer in buffers:
        data = np.frombuffer(buffer, np.uint8)
        printable = not len(data) or (data.min() >= 0x20 and data.max() < 0x7F)  # fast path
        if not printable and _INVISIBLE_LEAD[data].any():
            return True
    return False


def _object_text(column: pd.Series) -> pd.Series:
    """Cells of any Python type -> `str` Series (NA stays NA)."""
    if column.dtype != object:
        column = column.astype(object).where(column.notna(), None)
    kinds = column.map(type)
    out = column.where(kinds.eq(str), None)
    numbers = kinds.isin([float, int, np.float64, np.int64])
    if numbers.any():
        values = pd.to_numeric(column[numbers], errors="coerce").astype(float)
        whole = values.notna() & values.eq(values.round()) & values.abs().lt(1e15)
        text = values.astype(str).where(~whole, values.where(whole, 0).astype(np.int64).astype(str))
        out = out.mask(numbers, text.where(values.notna(), None))
    dates = kinds.isin([dt.date, dt.datetime, pd.Timestamp])
    if dates.any():
        out = out.mask(dates, pd.to_datetime(column[dates]).dt.strftime("%Y-%m-%d"))
    rest = ~kinds.isin([str, float, int, np.float64, np.int64, dt.date, dt.datetime, pd.Timestamp])
    rest &= column.notna()
    if rest.any():
        out = out.mask(rest, column[rest].astype(str))
    return out.astype("str")


# ---------------------------------------------------------------------------------------------
# Text files


def _utf16_without_bom(sample: bytes) -> str | None:
    """`utf-16-le`/`-be` when every other byte is NUL (ASCII text in UTF-16), else None."""
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 8:
        return None
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode(data: bytes, name: str) -> tuple[str, tuple[str, ...]]:
    """Text of a delimited file and notes on how it was decoded (module docstring)."""
    text, notes, utf8 = _decode(data, name)
    return (_whole(utf8) if text is None else text), notes


def _is_utf8(data: bytes) -> bool:
    """Whether `data` is valid UTF-8: Arrow validates the bytes in place as one string (no
    text of the whole file; ~20x faster than decoding it)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decode(data: bytes, name: str) -> tuple[str | None, tuple[str, ...], bytes | None]:
    """`decode`, as (text, notes, utf8): for UTF-8 data the text is None and `utf8` holds
    the bytes whose `utf-8-sig` decoding is the text, so the CSV reader takes them as they
    are and only the parts read in Python are decoded (the whole file as a Python string
    costs its size again); a BOM is left on them (slicing it off would copy the file)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace"), (), None
    if encoding := _utf16_without_bom(data[:4096]):
        return data.decode(encoding, errors="replace"), (), None
    data = data.rstrip(b"\x00")
    sample = data[:_BINARY_SAMPLE]
    controls = len(_CONTROL_BYTES.findall(sample))
    if controls > _BINARY_SHARE * len(sample) or sample.count(0) > len(sample) // 2:
        raise PanelError(
            f"'{name}' is not a text file: it holds binary data; export the panel again as "
            ".csv or .xlsx"
        )
    if _is_utf8(data):
        return None, (), data
    dropped = sum(data.count(bytes([b])) for b in _CP1252_UNDEFINED)
    note = (
        f"'{name}' is not UTF-8: read as Windows-1252 (cp1252); {dropped:,} stray "
        f"byte{'s' if dropped != 1 else ''} with no meaning there dropped"
    )
    return data.decode("cp1252", errors="ignore"), (note,) if dropped else (), None


def _sniff_delimiter(text: str, preferred: str) -> str:
    """The delimiter that splits the most of the first lines into the same number (>1) of
    fields; ties go to the one the extension suggests."""
    lines = [line for line in text[:_SNIFF_CHARS].splitlines()[:60] if line.strip()]
    best, best_score = preferred, 0
    for delimiter in dict.fromkeys([preferred, ",", "\t", ";", "|"]):
        widths = pd.Series([len(row) for row in csv.reader(lines, delimiter=delimiter)])
        widths = widths[widths > 1]
        score = int(widths.value_counts().max()) if len(widths) else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def count_byte(data: bytes, byte: bytes) -> int:
    """How many times one byte occurs in `data` (vectorised, `_STEP` bytes at a time: about
    twice as fast as `bytes.count` on hundreds of MB, no mask of the whole file)."""
    view, value = np.frombuffer(data, np.uint8), ord(byte)
    return sum(
        int(np.count_nonzero(view[start : start + _STEP] == value))
        for start in range(0, len(view), _STEP)
    )


def line_stats(data: bytes) -> tuple[int, int]:
    """Line breaks in a text file and the length in bytes of its longest line (vectorised,
    `_STEP` bytes at a time: no per-line objects, no mask of the whole file)."""
    breaks, longest, previous = 0, 0, -1
    for start in range(0, len(data), _STEP):
        size = min(_STEP, len(data) - start)
        found = np.flatnonzero(np.frombuffer(data, np.uint8, count=size, offset=start) == 10)
        if len(found):
            edges = np.concatenate([[previous], found + start])
            longest = max(longest, int(np.diff(edges).max()) - 1)
            previous, breaks = int(edges[-1]), breaks + len(found)
    return breaks, max(longest, len(data) - previous - 1)


def _count_records(data: bytes, breaks: int, limits: Limits, name: str) -> None:
    """Refuse a text file with more records than `limits.rows` before it is parsed: its line
    `breaks` are counted first (one pass over the bytes); only when they exceed the limit are
    the records counted, streamed by Arrow a block at a time (a quoted cell may hold line
    breaks), stopping at the limit."""
    lines = breaks + (not data.endswith(b"\n"))
    if lines <= limits.rows:
        return
    records = 0
    try:
        reader = pa_csv.open_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_STEP),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=lambda _row: "skip"
            ),  # fmt: skip
        )
        for batch in reader:
            records += batch.num_rows
            if records > limits.rows:
                break
    except (pa.ArrowInvalid, ValueError):  # not parseable as CSV: its lines are its rows
        records = lines
    if records > limits.rows:
        raise _too_big(f"'{name}' has too many rows", lines, limits.rows, "rows")


def _check_lines(data: bytes, delimiter: str, limits: Limits, name: str) -> None:
    """Refuse, before parsing, a text file with a line of more fields than `limits.columns`
    (a 400 KB line of delimiters would make a grid of 200,000 columns; rows:
    `_count_records`). Only lines longer than `limits.columns` bytes can hold that many
    (the caller checks the longest first); each is counted with the csv module, so
    delimiters inside quotes do not count."""
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    edges = np.concatenate([[-1], breaks, [len(data)]])
    long = np.flatnonzero(np.diff(edges) - 1 > limits.columns)
    separator = delimiter.encode("utf-8")
    for line in long:
        start, end = int(edges[line]) + 1, int(edges[line + 1])
        if data.count(separator, start, end) < limits.columns:
            continue
        text = data[start:end].decode("utf-8", errors="replace")
        try:
            fields = len(next(csv.reader([text], delimiter=delimiter), []))
        except csv.Error:
            fields = data.count(separator, start, end) + 1
        if fields > limits.columns:
            raise _too_big(
                f"'{name}' has too many columns", fields, limits.columns,
                "columns",
            )  # fmt: skip


def _check_cells(grid: pd.DataFrame, limits: Limits) -> None:
    """Refuse a grid with a cell longer than `limits.cell_chars` (row and column named)."""
    for position, column in enumerate(grid.columns):
        cells = grid[column]
        coded = isinstance(cells.dtype, pd.CategoricalDtype)  # Arrow's: lengths per category
        lengths = (cells.cat.categories if coded else cells).str.len().to_numpy(float, na_value=0)
        if (lengths > limits.cell_chars).any():
            long = np.flatnonzero(lengths > limits.cell_chars)
            at = np.isin(cells.cat.codes.to_numpy(), long) if coded else lengths > limits.cell_chars
            row = int(np.flatnonzero(at)[0]) + 1
            raise _too_big(
                f"a cell in row {row}, column {position + 1} is too long",
                int(lengths.max()),
                limits.cell_chars,
                "cell_chars",
                " characters",
            )


def _read_text(
    data: bytes, path: Path, limits: Limits | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    limits = limits or Limits()
    if data[:8] == _OLE2_MAGIC or data[:4] == _ZIP_MAGIC and b"xl/" in data[: 1 << 16]:
        raise PanelError(
            f"'{path.name}' is an Excel workbook, not a text file; rename it to .xlsx (or "
            "export the panel as CSV again)"
        )
    if data[:4] == _ZIP_MAGIC:
        raise PanelError(
            f"'{path.name}' is a zip archive, not a text file; unpack it, or export the panel "
            "again as .csv or .xlsx"
        )
    breaks = count_byte(data, b"\n")
    _count_records(data, breaks, limits, path.name)
    decoded, notes, utf8 = _decode(data, path.name)
    head = _head(utf8 or b"") if decoded is None else decoded[:_SNIFF_CHARS]
    delimiter = _sniff_delimiter(head, "\t" if path.suffix.lower() == ".tsv" else ",")
    lines = head.splitlines()[:200]
    width = max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=1)
    if width > limits.columns:
        _check_lines(data, delimiter, limits, path.name)
    options = {"header": None, "dtype": str, "keep_default_na": False, "na_values": [""]}
    unclosed = False
    # Arrow reads a rectangle of `width` fields (a longer line fails it): its cells are
    # checked per distinct value; the other readers' lines are measured first
    grid = _arrow_grid(head if decoded is None else decoded, delimiter, width, utf8)
    by_arrow = grid is not None
    longest = 0 if by_arrow else line_stats(data)[1]
    if longest > limits.columns:  # only a line that long can hold too many fields
        _check_lines(data, delimiter, limits, path.name)
    # the pandas and csv readers (irregular files) need the whole text: decoded only for them
    text = decoded if decoded is not None else ("" if grid is not None else _whole(utf8))
    try:
        if grid is None:
            grid = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                names=range(width),
                skip_blank_lines=False,
                **options,
            )
    except (pd.errors.ParserError, ValueError) as error:  # rows wider than the first ones
        unclosed = "EOF inside string" in str(error)
        grid = _frame(csv.reader(io.StringIO(text), delimiter=delimiter))
    if by_arrow or longest > limits.cell_chars:
        _check_cells(grid, limits)
    breaks = decoded.count("\n") if decoded is not None else breaks  # UTF-8: those of `data`
    if not unclosed and not _folds_rows(grid, breaks, delimiter):
        return grid, notes
    text = text or _whole(utf8)
    grid = _frame(csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE))
    grid = grid.apply(lambda column: column.str.strip('"')) if grid.shape[1] else grid
    return grid, (
        *notes,
        f"'{path.name}' has a quote (\") that is never closed, or that folds several rows into "
        "one cell; it was read with quotes as plain characters, so a value holding the "
        "delimiter may be split: check the rows with quotes",
    )


def _whole(utf8: bytes | None) -> str:
    """UTF-8 bytes as text (a BOM dropped)."""
    return (utf8 or b"").decode("utf-8-sig")


def _head(utf8: bytes) -> str:
    """The first `_SNIFF_CHARS` characters of UTF-8 bytes (a BOM dropped)."""
    return utf8[: 4 * _SNIFF_CHARS].decode("utf-8-sig", errors="ignore")[:_SNIFF_CHARS]


def _arrow_grid(
    text: str, delimiter: str, width: int, utf8: bytes | None = None
) -> pd.DataFrame | None:
    """The grid read by Arrow's multi-threaded CSV reader (about 3x faster than pandas' and half
    the memory on 2 M rows), or None when pandas must read it: NULs in the text, ragged rows
    below the first row `width` fields wide, or a quoted cell spanning lines above it. Rows
    above that first full row (titles, blank lines) are parsed here and padded with NA; blank
    lines below it become all-NA rows, as with pandas. `utf8`, the bytes `text` was decoded
    from (`utf-8-sig`) when they are UTF-8, is scanned and read as is (no re-encoding: ~1 s on
    300 MB); `text` may then be its first `_SNIFF_CHARS` characters only (`_head`). Each column
    is categorical (`coded.dictionary_column`): 8 M rows of a few thousand distinct values cost
    4 bytes a cell, not a string."""
    if width < 2:
        return None
    raw = text.encode("utf-8") if utf8 is None else utf8
    bom = len(codecs.BOM_UTF8) if utf8 is not None and utf8.startswith(codecs.BOM_UTF8) else 0
    if b"\x00" in raw:
        return None
    reader = csv.reader(io.StringIO(text[:_SNIFF_CHARS]), delimiter=delimiter)
    head: list[list[str]] = []
    try:
        for row in reader:
            if len(row) == width:
                break
            if len(row) > width or reader.line_num != len(head) + 1:  # a cell spans lines
                return None
            head.append(row)
        else:
            return None
    except csv.Error:  # a lone carriage return: pandas reads it as a line break
        return None
    skip = 0
    for _ in head:
        skip = text.index("\n", skip) + 1
    if "\r" in text[:skip].replace("\r\n", "\n") or count_byte(raw, b'"') % 2:
        return None  # a line break pandas reads but csv does not; an unbalanced quote
    first = bom + len(text[:skip].encode("utf-8"))  # character offset -> byte offset
    last, tail = _footer_lines(raw, first, delimiter, width)
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(raw).slice(first, last - first)),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_BLOCK),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": _CODED for i in range(width)},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, ValueError):  # ragged rows, bad quoting
        return None
    if table.num_columns != width:
        return None
    top, bottom = (
        [[cell or None for cell in row] + [None] * (width - len(row)) for row in rows]
        for rows in (head, tail)
    )

    columns: list[pa.ChunkedArray | None] = list(table.columns)
    del table  # each column's text is freed once it is coded: no second table
    cells = {}
    for i in range(width):
        column, columns[i] = columns[i], None
        assert column is not None
        cells[i] = dictionary_column(
            pa.chunked_array(
                [
                    pa.array([row[i] for row in top], pa.string()).dictionary_encode(),
                    *column.chunks,
                    pa.array([row[i] for row in bottom], pa.string()).dictionary_encode(),
                ],
                _CODED,
            )
        )
        del column
    return pd.DataFrame(cells, columns=pd.Index(list(range(width)), dtype="int64"), copy=False)


def _footer_lines(
    raw: bytes, start: int, delimiter: str, width: int
) -> tuple[int, list[list[str]]]:
    """Where (byte offset) the rectangular body of the UTF-8 text `raw` ends and the fields of
    the short lines after it (footers such as `"Total rows: 2,019,685"`, blank lines), read
    from the end back to the last line with `width` fields; `start` is where the body begins.
    A line with an odd number of quotes (the end of a cell that spans lines) or a carriage
    return inside ends the search."""
    end = len(raw) - raw.endswith(b"\n")
    tail: list[list[str]] = []
    while len(tail) < SCAN_ROWS:
        begin = raw.rfind(b"\n", start, end) + 1
        line = raw[begin:end].removesuffix(b"\r").decode("utf-8", errors="replace")
        if begin <= start or line.count('"') % 2 or "\r" in line:
            break
        fields = next(csv.reader([line], delimiter=delimiter)) if line else []
        if len(fields) >= width:
            break
        tail.insert(0, fields)
        end = begin - 1
    return (end + 1 if tail else len(raw)), tail


def _frame(rows: Iterable[list[str]]) -> pd.DataFrame:
    """Rows of fields (of any lengths) -> a `str` grid, short rows padded with NA."""
    rows = list(rows)
    width = max(map(len, rows), default=0)
    return pd.DataFrame([row + [None] * (width - len(row)) for row in rows], dtype="str")


def _folds_rows(grid: pd.DataFrame, line_breaks: int, delimiter: str) -> bool:
    """Whether a quoted cell holds line breaks followed by lines that look like rows of their
    own (as many delimiters as the widest row, less one; at least 2): an unbalanced quote.
    `line_breaks`: how many the file holds."""
    if len(grid) >= line_breaks:  # no row spans several lines
        return False
    need = max(2, grid.shape[1] - 1)
    for column in grid.columns:
        _, cells = distinct(grid[column])
        cells = cells[cells.str.contains("\n", regex=False)]
        inner = cells.str.split("\n").str[1:].explode().dropna()
        if len(inner) and inner.str.count(re.escape(delimiter)).ge(need).any():
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Workbooks


def _workbook_as_text(data: bytes, path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """A workbook-named file that is neither zip nor OLE2: read it as text if it is text."""
    unreadable = PanelError(
        f"cannot read '{path.name}': it is not a valid Excel workbook (damaged, or another "
        "kind of file renamed); open it in Excel and save it again as .xlsx, or export the "
        "panel as .csv"
    )
    try:
        text, _ = decode(data[:_BINARY_SAMPLE], path.name)
    except PanelError:
        raise unreadable from None
    if re.match(r"\s*<(?:!doctype html|html|table|\?xml)", text, flags=re.IGNORECASE):
        raise PanelError(
            f"'{path.name}' is a web page (HTML/XML) saved with an Excel name; open it in Excel "
            "and save it as .xlsx, or export the panel as .csv"
        )
    if not text.strip():
        raise unreadable
    grid, notes = _read_text(data, path)
    return grid, (f"'{path.name}' is a text file with an Excel name: read as delimited text",
                  *notes)  # fmt: skip


def _column_number(letters: bytes) -> int:
    """`A` -> 1, `Z` -> 26, `AA` -> 27, `XFD` -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _largest_number(
    data: np.ndarray, starts: np.ndarray, symbols: tuple[int, int, int], width: int
) -> int:
    """The largest of the numbers written at `starts` in `data`, each up to `width` symbols;
    `symbols` = (byte worth 0, smallest and largest value a symbol may have): column letters
    (64, 1, 26) in base 26, digits (48, 0, 9) in base 10. 0 when there are none."""
    if not len(starts):
        return 0
    zero, low, high = symbols
    number = np.zeros(len(starts), np.int64)
    going = np.ones(len(starts), bool)
    for offset in range(width):
        value = data[starts + offset].astype(np.int64) - zero
        going &= (value >= low) & (value <= high)
        number = np.where(going, number * (high + 1 - low) + value, number)
    return int(number.max())


def _references(block: bytes) -> tuple[int, int, int]:
    """(largest row number, widest column, cells) of the `r="..."` references and `<c` elements
    in a piece of worksheet XML, with numpy (regular expressions are ~5x slower on 100 MB).
    A reference is ` r="` after white space: letters first for a cell, digits for a row; a
    cell is a `<c` element or a cell reference (`<x:c r=` with a namespace prefix)."""
    data = np.frombuffer(block + b"\0" * 12, np.uint8)
    size = len(block)
    at = np.flatnonzero(data[1:size] == ord("r")) + 1
    at = at[(data[at + 1] == ord("=")) & (data[at + 2] == ord('"')) & (data[at - 1] <= 32)] + 3
    letters = np.isin(data[at], np.arange(65, 91))
    columns = _largest_number(data, at[letters], (64, 1, 26), 3)  # A=1 ... Z=26, AA=27
    rows = _largest_number(data, at[~letters], (48, 0, 9), 8)
    tags = np.flatnonzero(data[:size] == ord("<"))
    after = data[tags + 2]
    cells = (data[tags + 1] == ord("c")) & (
        (after <= 32) | (after == ord(">")) | (after == ord("/"))
    )
    return rows, columns, max(int(np.count_nonzero(cells)), int(np.count_nonzero(letters)))


def _true_extent(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, enough: int = sys.maxsize
) -> tuple[int, int, int]:
    """(last row, widest column, cells written) of a worksheet part, streamed in 4 MiB chunks
    (`_references`); once the cells written pass `enough` (refused anyway), the rest is not
    read and the cells are estimated from the share of the part read.
    Rows written without a reference (`<row>`: readers number them in turn) count too: the
    rows are at least the `<row` elements."""
    rows = columns = cells = elements = read = 0
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 22):
            read += len(chunk)
            block = tail + chunk
            cut = max(block.rfind(b">") + 1, len(block) - 64)
            found_rows, found_columns, found_cells = _references(block[:cut])
            rows, columns = max(rows, found_rows), max(columns, found_columns)
            cells += found_cells
            elements += block.count(b"<row", 0, cut)
            tail = block[cut:]
            if cells > enough:
                cells = cells * info.file_size // read
                break
    return max(rows, elements), columns, cells


def check_workbook(data: bytes, name: str, limits: Limits) -> None:
    """Refuse, before any cell is read, an .xlsx/.xlsm whose parts unzip beyond the caps or
    whose sheet declares (`<dimension>`) or holds more rows, columns or cells than allowed,
    or declares far more than it holds (a crafted extent that makes readers allocate it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return  # the reader says what is wrong with it
    with archive:
        infos = archive.infolist()
        unpacked = sum(info.file_size for info in infos) // _MIB
        if unpacked > limits.unpacked_mb:
            raise _too_big(
                f"'{name}' is too large once unzipped",
                unpacked,
                limits.unpacked_mb,
                "unpacked_mb",
                " MiB",
            )
        for info in infos:
            if info.file_size > _BOMB_SIZE and info.file_size > _BOMB_RATIO * info.compress_size:
                raise PanelError(
                    f"'{name}' holds a part that unzips {info.file_size // info.compress_size:,} "
                    f"times larger ({info.file_size // _MIB:,} MiB): a spreadsheet program does "
                    "not write that (a zip bomb, or one enormous cell); open it in Excel and "
                    "save it again, or export the panel as .csv"
                )
            lower = info.filename.lower()
            if lower.endswith("sharedstrings.xml") and info.file_size // _MIB > limits.strings_mb:
                raise _too_big(
                    f"the text cells of '{name}' are too large once unzipped",
                    info.file_size // _MIB,
                    limits.strings_mb,
                    "strings_mb",
                    " MiB",
                )
            if lower.startswith("xl/worksheets/") and lower.endswith(".xml"):
                _check_sheet(archive, info, name, limits)


def _check_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits
) -> None:
    """`check_workbook` for one worksheet part: its declared extent first (no scan), then what
    it holds (one streamed pass): the extent from A1 to its last cell, and the cells written."""
    with archive.open(info) as stream:
        head = stream.read(1 << 16)
    found = _DIMENSION.search(head)
    what = f"a sheet of '{name}' declares too many"
    if found is not None:
        rows, columns = int(found.group(4)), _column_number(found.group(3))
        if rows > limits.rows:
            raise _too_big(f"{what} rows", rows, limits.rows, "rows")
        if columns > limits.columns:
            raise _too_big(f"{what} columns", columns, limits.columns, "columns")
        if rows * columns > limits.cells:
            raise _too_big(f"{what} cells", rows * columns, limits.cells, "cells")
    held_rows, held_columns, held_cells = _true_extent(archive, info, limits.sheet_cells)
    what = f"a sheet of '{name}' holds too many"
    if held_rows > limits.rows:
        raise _too_big(f"{what} rows", held_rows, limits.rows, "rows")
    if held_columns > limits.columns:
        raise _too_big(f"{what} columns", held_columns, limits.columns, "columns")
    extent = max(held_rows * held_columns, held_cells)
    if extent > limits.sheet_cells:
        raise _too_big(f"{what} cells", extent, limits.sheet_cells, "sheet_cells")
    if found is not None and rows * columns > _SCAN_ABOVE_CELLS:
        if rows * columns > 2 * held_rows * held_columns + _SCAN_ABOVE_CELLS:
            raise PanelError(
                f"a sheet of '{name}' declares {rows:,} rows x {columns:,} columns but holds "
                f"{held_rows:,} x {held_columns:,}: the file is damaged or was not saved by a "
                "spreadsheet program; open it in Excel and save it again as .xlsx, or export "
                "the panel as .csv"
            )
    if held_rows * held_columns > _SPREAD * held_cells + _SCAN_ABOVE_CELLS:
        raise PanelError(
            f"a sheet of '{name}' writes {held_cells:,} cells spread over {held_rows:,} rows x "
            f"{held_columns:,} columns: a spreadsheet program does not save that; open it in "
            "Excel and save it again as .xlsx, or export the panel as .csv"
        )


def _password_error(name: str) -> PanelError:
    return PanelError(
        f"'{name}' is password-protected; open it in Excel, remove the password "
        "(File > Info > Protect Workbook > Encrypt with Password, clear it), save it "
        "and run again"
    )


def _calamine_sheets(data: bytes) -> dict[str, pd.DataFrame]:
    """Every worksheet as a grid of Python values (blank cells ""), rows and columns from A1."""
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        names = [s.name for s in book.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
        return {
            name: pd.DataFrame(
                book.get_sheet_by_name(name).to_python(skip_empty_area=False), dtype=object
            )
            for name in names
        }


def _openpyxl_sheets(data: bytes) -> dict[str, pd.DataFrame]:
    sheets = pd.read_excel(
        io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine="openpyxl"
    )
    return {str(name): grid for name, grid in sheets.items()}


def _read_workbook(data: bytes, name: str) -> dict[str, pd.DataFrame]:
    """Sheet name -> grid, with calamine (fast; read directly, not through pandas, which
    converts cell by cell), else openpyxl."""
    if data[:8] == _OLE2_MAGIC and any(marker in data for marker in _ENCRYPTED):
        raise _password_error(name)
    errors = []
    for engine, read in (("calamine", _calamine_sheets), ("openpyxl", _openpyxl_sheets)):
        try:
            return read(data)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # any reader failure (a Rust panic too): "unreadable"
            if "password" in f"{type(error).__name__} {error}".lower():
                raise _password_error(name) from None
            errors.append(f"{engine}: {type(error).__name__}")  # its message may quote a cell
    raise PanelError(
        f"cannot read '{name}' ({errors[0]}); open it in Excel and save it again as .xlsx, "
        "or export the panel as .csv"
    )


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """Zip member of the worksheet named `sheet` (workbook.xml + its relationships)."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    for element in book.iter():
        if element.tag.endswith("}sheet") and element.get("name") == sheet:
            target = targets.get(element.get(_RELATIONSHIP_ID), "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def blank_formulas(data: bytes, sheet: str) -> int:
    """Formula cells of an .xlsx/.xlsm sheet saved without a computed value (0 if unknown).

    Streams the sheet's XML in 4 MiB chunks; cut at row ends, so a cell is seen whole."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = _sheet_part(archive, sheet)
            if part is None:
                return 0
            count, tail = 0, b""
            with archive.open(part) as stream:
                while chunk := stream.read(1 << 22):
                    block = tail + chunk
                    cut = block.rfind(b"row>") + 4 if len(block) < 1 << 26 else len(block)
                    if b"<f" in block[:cut] or b":f" in block[:cut]:
                        count += len(_UNCACHED_FORMULA.findall(block, 0, cut))
                    tail = block[cut:]
            return count + len(_UNCACHED_FORMULA.findall(tail))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return 0


def _pick_sheet(
    sheets: dict[str, pd.DataFrame],
    name: str | None,
    path: Path,
    score: Callable[[pd.DataFrame], float],
) -> str:
    """The named sheet, or the one whose first rows `score` highest (then the most rows)."""
    if name is not None:
        matches = [s for s in sheets if s == name] or [
            s for s in sheets if s.strip().casefold() == name.strip().casefold()
        ]
        if not matches:
            raise PanelError(
                f"no sheet named '{name}' in '{path.name}'; sheets: {listing(list(sheets))}; "
                "pass --sheet with one of them"
            )
        return matches[0]

    def rank(sheet: str) -> tuple[float, int]:
        head = sheets[sheet].iloc[:SCAN_ROWS]
        text = pd.DataFrame({c: cell_text(head[c]) for c in head.columns})
        return (score(text) if not text.empty else 0.0), len(sheets[sheet])

    return max(sheets, key=rank)


def _check_extent(grid: pd.DataFrame, limits: Limits, name: str) -> None:
    """Refuse a grid with more rows or columns than `limits` allow (after reading)."""
    if len(grid) > limits.rows:
        raise _too_big(f"'{name}' has too many rows", len(grid), limits.rows, "rows")
    if grid.shape[1] > limits.columns:
        raise _too_big(f"'{name}' has too many columns", grid.shape[1], limits.columns, "columns")


def _text_of_bytes(column: pd.Series) -> pd.Series:
    """A binary (bytes) column as text: UTF-8, undecodable bytes replaced (vectorised)."""
    first = column.dropna().head(1)
    if len(first) and isinstance(first.iloc[0], bytes):
        return column.str.decode("utf-8", errors="replace")
    return column


def _filled_cells(head: pd.DataFrame) -> float:
    return float(head.notna().to_numpy().sum())


def read_grid(
    path: str | Path,
    *,
    sheet: str | None = None,
    score: Callable[[pd.DataFrame], float] = _filled_cells,
    limits: Limits | None = None,
) -> RawGrid:
    """Load a panel file (`SUFFIXES`) as a `RawGrid` (module docstring).

    `sheet` names the workbook sheet; otherwise `score` ranks each sheet's first `SCAN_ROWS`
    rows (as text, `cell_text`) and the highest wins. Raises `PanelError` with the problem and
    its fix when the file cannot be read (missing, a folder, empty, unsupported, binary,
    password-protected, damaged).
    """
    path = Path(path)
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
        found = f"; panel-like files there: {listing(inside, limit=5)}" if inside else ""
        raise PanelError(f"'{path}' is a folder, not a file; pass the panel file itself{found}")
    if not path.exists() and not path.is_symlink():
        raise PanelError(f"panel file not found: {path}; check the path")
    size = check_input(path, KIND, sys.maxsize)  # a regular file: no pipe, device, holes
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise PanelError(
            f"cannot read '{path.name}': unsupported file type '{suffix or '(none)'}'; export "
            f"the panel as one of {', '.join(SUFFIXES)}"
        )
    limits = limits or Limits()
    if size // _MIB > limits.file_mb:
        raise _too_big(f"'{path.name}' is too large", size // _MIB, limits.file_mb, "file_mb",
                       " MiB")  # fmt: skip
    data = read_input(path, KIND, (limits.file_mb + 1) * _MIB - 1)
    if not data:
        raise PanelError(f"'{path.name}' is empty (0 bytes); export the panel again")
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as error:  # any reader failure means "unreadable"
            raise PanelError(
                f"cannot read '{path.name}' ({type(error).__name__}); export the panel again "
                "as .parquet or .csv"
            ) from None
        _check_extent(frame, limits, path.name)
        frame = frame.apply(_text_of_bytes)
        header = pd.DataFrame([list(map(str, frame.columns))], columns=frame.columns, dtype=object)
        return RawGrid(pd.concat([header, frame.astype(object)], ignore_index=True))
    if suffix not in WORKBOOK_SUFFIXES:
        cells, notes = _read_text(data, path, limits)
        _check_extent(cells, limits, path.name)
        return RawGrid(cells, notes=notes)
    if data[:4] != _ZIP_MAGIC and data[:8] != _OLE2_MAGIC:
        cells, notes = _workbook_as_text(data, path)
        return RawGrid(cells, notes=notes)
    if data[:4] == _ZIP_MAGIC:
        check_workbook(data, path.name, limits)
    grids = _read_workbook(data, path.name)
    if not grids:
        raise PanelError(
            f"'{path.name}' holds no worksheet (only charts, or nothing); export the panel "
            "again as .xlsx or .csv"
        )
    chosen = _pick_sheet(grids, sheet, path, score)
    _check_extent(grids[chosen], limits, path.name)
    blank = blank_formulas(data, chosen) if data[:4] == _ZIP_MAGIC else 0
    return RawGrid(grids[chosen], chosen, tuple(grids), blank_formulas=blank)
