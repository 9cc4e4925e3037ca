"""Read a practice's panel export into tidy patients and diagnoses, accounting for every row.

Contract: docs/panel.md and ARCHITECTURE.md (`panel.Panel`). `read_panel` loads the raw
grid of cells (`sources.read_grid`: no header, every cell as written) and `tidy_panel` does the
rest, purely:

1. header row (`headers.py`): among the first 50 rows, the one whose cells match most known
   column aliases (`data/column_aliases.csv`, case- and punctuation-insensitive; numbered
   diagnosis columns such as `Dx1`, `Diagnosis 2`, `ICD10_3` by pattern); an explicit mapping
   names its headers;
2. column roles from the aliases (the best-ranked alias wins when several columns fit a
   one-column role; among columns with the same header, such as two `MRN` columns, the one with
   the most filled cells, and a note says which), then the explicit mapping on top. Columns
   without a header right of a diagnosis column (a header merged across several code columns,
   or `Diagnoses,,,`) are diagnosis columns too when they hold an ICD-10-CM code; other filled
   cells under no header are not read, and a note gives their columns and rows;
3. row ledger: rows above the header and the header are skipped, then blank rows, repeated
   header rows, page rows (`Page 1 of 3`), total and subtotal rows (`Total patients: 2,431`),
   other footer rows (`Confidential`, ...) and one-cell text rows (section titles, notes) are
   skipped, each with its reason; in a grouped report (patient fields on a patient's first row
   only), a row with codes and no other patient field takes the patient above it
   (`fill_grouped_ids`); other rows without a patient id are rejected (`N/A`, `none`,
   `unknown`, `-`, `?` and `0` count as no id); every other row is used. Rows below the last
   used row with at most two filled cells are footers;
4. values: dates, booleans and counts parsed (`values.py`), payer text classified
   (`payers.py`), diagnosis cells split and normalised (`codes.py`);
5. patients: rows with the same patient id merge; each field takes the first non-blank value in
   file order, except the last visit, which is the patient's latest date (a claim-line export
   has one row per visit); patients whose rows disagree are counted per field in
   `quality.conflicts`.

A used row whose diagnosis cells hold no valid code still makes (or adds to) a patient: the
patient exists, only without usable codes; the cells are counted as invalid or ICD-9 codes.
Other decisions: `payer_class`/`secondary_payer_class` are `unknown` when the text is blank or
the column is missing; a `Deceased` cell holding a date means deceased on that date
(`death_date`); sex is `F`/`M` when recognisable, else the text as written; an auto-detected
diagnosis column without a single ICD code (a description column) is set aside when another
diagnosis column has codes. A diagnosis column with no ICD-10-CM code at all is an error.
Row numbers are 1-based as a spreadsheet shows them (for text files: the record number; for
parquet: the column names are row 1). Panel text kept as a data-quality example (invalid codes,
unknown payers, unreadable dates and values) is cut to `values.EXAMPLE_CHARS` characters, so a
name or note typed into the wrong cell never reaches a report whole (docs/outputs.md).

Longer than 400 lines because the five steps above are one pure pass over the raw grid whose row
ledger accounts for every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.errors import PanelError
from ccm_assess.intake.coded import categorical, distinct, filled_cells, flag_values
from ccm_assess.intake.codes import KINDS, parse_code_cells
from ccm_assess.intake.column_roles import ColumnView, column_views, guess_header_row, infer_roles
from ccm_assess.intake.headers import (
    IGNORE,
    ROLES,
    assign_roles,
    column_letter,
    column_notes,
    find_header,
    headers_found,
    table_score,
    unheaded_after,
)
from ccm_assess.intake.payers import classify_payers, dual_of, unknown_payers
from ccm_assess.intake.sources import SCAN_ROWS, Limits, coded_text, listing, read_grid
from ccm_assess.intake.values import (
    examples,
    normalise_sex,
    parse_booleans,
    parse_counts,
    parse_dates,
    short_counts,
    shorten_counts,
)

PATIENT_COLUMNS: dict[str, str] = {
    "name": "str",
    "phone": "str",
    "address": "str",
    "birth_date": "datetime64[ns]",
    "sex": "str",
    "primary_payer": "str",
    "payer_class": "str",
    "secondary_payer": "str",
    "secondary_payer_class": "str",
    "dual_eligible": "bool",
    "last_visit_date": "datetime64[ns]",
    "provider": "str",
    "location": "str",
    "deceased": "boolean",
    "death_date": "datetime64[ns]",
    "hospice": "boolean",
    "inpatient_admits_12m": "Int64",
    "ed_visits_12m": "Int64",
}
"""Columns of `Panel.patients` (index `patient_id`) and their dtypes; all-NA when not mapped."""


@dataclass(frozen=True)
class SourceInfo:
    """Where the panel came from and how it was read."""

    path: Path
    sheet: str | None
    header_row: int
    """1-based row number of the header, as a spreadsheet shows it."""
    shape: str
    """`wide`, `long` or `list` (codes listed in one cell); `mixed` when rows repeat as well."""
    sheets: tuple[str, ...] = ()


def _frame(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="str") for column in columns})


@dataclass(frozen=True)
class DataQuality:
    """What the reader could not use or had to decide, with counts and a few examples.

    Each frame has the columns `value`, `count` (most frequent first) unless stated. Codes are
    counted per entry (cell item), unknown payers per patient, dates and values per cell.
    Values and examples are panel text shortened by `values.short_text` (at most `EXAMPLE_CHARS`
    characters, no control characters); values that shorten alike are counted together.
    """

    invalid_codes: pd.DataFrame
    icd9_codes: pd.DataFrame
    unknown_payers: pd.DataFrame
    bad_dates: pd.DataFrame
    """Columns `column`, `problem` (`unparseable`, `in the future`, `more than 120 years ago`),
    `count`, `examples`: dates set to null."""
    conflicts: pd.DataFrame
    """Columns `column`, `patients`: patients whose rows disagree on that field."""
    bad_values: pd.DataFrame = field(default_factory=lambda: _frame("column", "count", "examples"))
    """Columns `column`, `count`, `examples`: yes/no and count cells that could not be read."""
    text_code_cells: int = 0
    """Diagnosis cells whose codes were found inside free text (`codes.codes_in_text`): read,
    but worth a look (an export that writes codes in prose may hold more than it shows)."""


@dataclass(frozen=True)
class Panel:
    """A practice panel, tidy: one row per patient plus their diagnosis codes."""

    patients: pd.DataFrame
    diagnoses: pd.DataFrame
    roles: frozenset[str]
    ledger: pd.DataFrame
    mapping: dict[str, list[str]]
    source: SourceInfo
    quality: DataQuality
    notes: tuple[str, ...] = field(default=())
    columns: tuple[ColumnView, ...] = field(default=())
    """How each column was read: role, found by (map, header, content), evidence."""

    def has(self, role: str) -> bool:
        """Whether the file had a column for this role."""
        return role in self.roles


_NO_ID = r"(?i)n/?a|none|null|unknown|-+|\?+|0"
_FOOTER = (
    r"(?i)^(?:grand |sub)?totals?\b|^(?:count|number) of\b|^page \d+|\bconfidential|^prepared\b|"
    r"^end of (?:report|file|list)|^(?:report )?(?:generated|printed|run|exported|created)"
    r"(?: date| on| by| at)?\b|^run date|^\d[\d,]* (?:patients|records|rows)\b|^(?:©|\(c\)|"
    r"copyright)|^\*+ ?end|protected health information|^(?:records|patients|rows)\s*:"
)


# ---------------------------------------------------------------------------------------------
# Rows


def _ledger(
    text: pd.DataFrame,
    present: np.ndarray,
    filled: np.ndarray,
    header: int,
    roles: dict[str, list[int]],
    headers: list[str],
) -> tuple[pd.DataFrame, pd.Series]:
    """Status and reason of every row (a frame), and the cleaned patient id of every row.
    `text`: the grid (categorical columns, `coded_text`); `present`: which of its cells are
    filled (`coded.filled_cells`, columns x rows); `filled`: filled cells per row. Every test
    on text runs once per distinct value; each reason is set on the few rows it concerns."""
    n = len(text)
    pid = text.iloc[:, roles["patient_id"][0]]
    pid = pid.mask(flag_values(pid, lambda ids: ids.str.fullmatch(_NO_ID)))
    role_columns = sorted({p for positions in roles.values() for p in positions})
    id_header = headers[roles["patient_id"][0]].lower()
    candidates = np.flatnonzero(
        flag_values(text.iloc[:, roles["patient_id"][0]], lambda ids: ids.str.lower().eq(id_header))
    )
    repeats = text.iloc[candidates].astype("str")  # a few repeated header rows
    same = sum(
        repeats.iloc[:, p].str.lower().eq(headers[p].lower()).fillna(False).to_numpy()
        for p in role_columns
    )
    repeated = candidates[same >= max(1, -(-len(role_columns) // 2))]
    few = header + 1 + np.flatnonzero((filled[header + 1 :] > 0) & (filled[header + 1 :] <= 4))
    first_col = present[:, few].argmax(axis=0)
    footer, wordy, kind = _first_cells(text, few, first_col)
    note = (filled[few] == 1) & wordy & ~np.isin(first_col, roles["diagnosis"])
    labels = [*REASONS, "footer row below the table", GROUPED, ""]
    reason = {label: code for code, label in enumerate(labels)}
    code = np.full(n, reason[""], dtype=np.int8)
    # the first reason that applies wins: set from the last to the first
    missing = np.flatnonzero(pid.isna().to_numpy())
    code[missing[missing > header]] = reason["no patient id"]
    code[few[note]] = reason["title or note row (one cell of text)"]
    for k in reversed(range(len(FOOTER_KINDS))):
        code[few[footer & (kind == k)]] = reason[FOOTER_KINDS[k]]
    code[repeated[repeated > header]] = reason["repeated header row"]
    if header >= 0:
        code[:header] = reason["title row above the header"]
        code[header] = reason["header row"]
    blank = np.flatnonzero(filled == 0)
    code[blank[blank != header]] = reason["blank row"]
    closes = np.zeros(n, dtype=bool)
    closes[few[footer & (kind == FOOTER_KINDS.index("total or subtotal row"))]] = True
    pid, grouped = fill_grouped_ids(
        text, roles, headers, pid, used=code == reason[""],
        no_id=code == reason["no patient id"], closes=closes,
    )  # fmt: skip
    code[grouped] = reason[GROUPED]
    used = np.flatnonzero((code == reason[""]) | grouped)
    if len(used):
        tail = np.arange(used[-1] + 1, n)
        below = tail[(filled[tail] > 0) & (filled[tail] <= 2)]
        code[below[code[below] == reason["no patient id"]]] = reason["footer row below the table"]
    status = ["used" if not r or r == GROUPED else "skipped" for r in labels]
    status[reason["no patient id"]] = "rejected"
    given = np.zeros(len(labels), dtype=bool)
    given[code] = True
    table = pd.DataFrame(
        {
            "row": np.arange(1, n + 1),
            "status": _labels(np.asarray(status), code, given),
            "reason": _labels(np.asarray(labels), code, given),
        },
        copy=False,
    )
    return table, pid


def reason_counts(ledger: pd.DataFrame, status: str) -> pd.Series:
    """Rows of one `status` per ledger reason, most first (reasons with no such row left out;
    ties in the order the reasons are listed)."""
    reasons = ledger.loc[ledger["status"].eq(status).to_numpy(), "reason"]
    counts = reasons.value_counts(sort=False)
    return counts[counts > 0].sort_values(ascending=False, kind="stable")


def _labels(texts: np.ndarray, code: np.ndarray, given: np.ndarray) -> pd.Categorical:
    """The ledger's `status` or `reason` of each row: `texts[code]`, categorical (1 byte a
    row), its categories only the texts some row has (`given`: which codes occur)."""
    shown = pd.unique(texts[given])
    position = pd.Index(shown).get_indexer(texts)
    return pd.Categorical.from_codes(
        position.astype(np.int8)[code], categories=pd.Index(shown, dtype="str")
    )


def _first_cells(
    text: pd.DataFrame, rows: np.ndarray, first_col: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of `rows` whose first filled cell is in column `first_col`: whether that cell reads as
    a footer (`_FOOTER`), whether it holds words (a title or note) and its kind (position in
    `FOOTER_KINDS`; -1: not a footer), judged once per distinct text of each column."""
    footer = np.zeros(len(rows), dtype=bool)
    wordy = np.zeros(len(rows), dtype=bool)
    kind = np.full(len(rows), -1, dtype=np.int8)
    for column in np.unique(first_col):
        at = np.flatnonzero(first_col == column)
        codes, values = distinct(text.iloc[rows[at], column])
        is_footer = values.str.contains(_FOOTER, regex=True).to_numpy(dtype=bool)
        footer[at] = is_footer[codes]
        words = values.str.contains(r"[A-Za-z].*(?:\s|:)|:", regex=True).to_numpy(dtype=bool)
        wordy[at] = words[codes]
        kinds = pd.Categorical(footer_kind(values), categories=FOOTER_KINDS).codes
        kind[at] = np.where(is_footer, kinds, -1)[codes]
    return footer, wordy, kind


GROUPED = "patient fields from the patient's first row above (grouped report)"
"""Ledger reason of a used row that printed only codes below its patient's first row."""
FOOTER_KINDS = ("page row", "total or subtotal row", "footer row")
REASONS = (
    "blank row",
    "title row above the header",
    "header row",
    "repeated header row",
    *FOOTER_KINDS,
    "title or note row (one cell of text)",
    "no patient id",
)
"""Ledger reasons of rows not used, the first that applies wins (`_ledger`)."""
_PAGE = r"(?i)^page \d+"
_TOTAL = (
    r"(?i)^(?:grand |sub)?-?totals?\b|^(?:count|number) of\b|"
    r"^\d[\d,]* (?:patients|records|rows)\b|^(?:records|patients|rows)\s*:"
)
ORPHANS_REFUSED = 0.5
"""Share of code-only rows without a patient row above them (before any id) beyond which the
file's grouping cannot be read (the id may be printed below its rows): refused."""


def footer_kind(first: pd.Series) -> pd.Series:
    """Kind of footer (`FOOTER_KINDS`) of rows whose first filled cell is `first`: a page
    number, a total or subtotal, or another footer (run date, confidentiality notice)."""
    page = first.str.contains(_PAGE, regex=True).fillna(False).to_numpy(dtype=bool)
    total = first.str.contains(_TOTAL, regex=True).fillna(False).to_numpy(dtype=bool)
    kind = np.select([page, total], list(FOOTER_KINDS[:2]), FOOTER_KINDS[2])
    return pd.Series(kind, index=first.index, dtype="str")


def fill_grouped_ids(
    text: pd.DataFrame,
    roles: dict[str, list[int]],
    headers: list[str],
    pid: pd.Series,
    *,
    used: np.ndarray,
    no_id: np.ndarray,
    closes: np.ndarray,
) -> tuple[pd.Series, np.ndarray]:
    """Patient ids filled down a grouped report (patient fields printed on a patient's first row
    only): a row without an id whose only filled role cells are diagnosis codes takes the id of
    the used row above it, across page breaks and repeated headers, until a total or subtotal
    row (`closes`) or a row with patient fields but no id (a patient without an id: its rows
    stay rejected). A file with no patient field besides the id shows no grouping: nothing is
    filled. Returns the ids and which rows were filled. Refuses (`PanelError`) when most
    code-only rows have no patient row above them: the grouping cannot be told."""
    dx = unheaded_after(roles["diagnosis"], headers)
    fields = [p for r, ps in roles.items() if r not in ("diagnosis", "patient_id") for p in ps]
    if not fields or not no_id.any():  # nothing to fill, or nothing tells a grouped row
        return pid, np.zeros(len(text), dtype=bool)  # from a row whose id is missing
    has_code = text[dx].notna().any(axis=1).to_numpy()
    has_fields = text[fields].notna().any(axis=1).to_numpy()
    follows = no_id & has_code & ~has_fields
    if not follows.any():
        return pid, np.zeros(len(text), dtype=bool)
    closed = "\x00closed"
    anchor = pd.Series(pd.NA, index=pid.index, dtype="object")
    anchor[used] = pid[used]
    anchor[closes | (no_id & has_fields)] = closed
    chain = used | follows | closes | (no_id & has_fields)
    above = anchor[chain].ffill().reindex(pid.index)
    orphans = follows & above.isna().to_numpy()
    if orphans.sum() > max(ORPHANS_REFUSED * follows.sum(), 5):
        raise PanelError(
            f"{int(follows.sum()):,} rows hold diagnosis codes without a patient id, and "
            f"{int(orphans.sum()):,} of them have no patient row above them: the file's "
            "grouping of rows by patient cannot be told; export the report with the patient id "
            "on every row"
        )
    filled = follows & above.notna().to_numpy() & above.ne(closed).to_numpy()
    return pid.mask(filled, above.where(filled)), filled


# ---------------------------------------------------------------------------------------------
# Assembling the panel


def _diagnoses(
    used: pd.DataFrame, dx: list[int], headers: list[str], mapped: bool
) -> tuple[pd.DataFrame, list[int], list[str]]:
    """Code items of the used rows (`codes.parse_code_cells`, plus the `column` position and
    the `used_row` position among the used rows of each item's cell; index: the cell's
    position among the filled diagnosis cells, column after column), the diagnosis columns
    kept, and notes. Auto-detected columns without a single ICD code are dropped when others
    have; a column without a header (next to a diagnosis column) is kept only with an ICD-10
    code. The columns' distinct texts are joined into one categorical, so each is split and
    classified once."""
    coded_columns = [distinct(used[p]) for p in dx]
    every, texts = pd.factorize(pd.concat([values for _, values in coded_columns]))
    offsets = np.cumsum([0, *(len(values) for _, values in coded_columns)])
    cells, rows = [], []
    for (codes, _), offset in zip(coded_columns, offsets, strict=False):
        filled = codes >= 0
        whole = bool(filled.all())  # a long export: every row holds a code
        cells.append(every[offset + (codes if whole else codes[filled])])
        rows.append(np.arange(len(codes), dtype=np.int32) if whole else np.flatnonzero(filled))
    counts = [len(r) for r in rows]
    cell = cells[0] if len(cells) == 1 else np.concatenate(cells)
    items = parse_code_cells(categorical(cell, texts, pd.RangeIndex(len(cell))))
    del cells, cell
    cell_column = np.repeat(np.asarray(dx, dtype=np.int32), counts)
    cell_row = rows[0] if len(rows) == 1 else np.concatenate(rows)
    at = items.index.to_numpy()
    same = len(at) == len(cell_row) and isinstance(items.index, pd.RangeIndex)
    items["column"] = cell_column if same else cell_column[at]
    items["used_row"] = cell_row if same else cell_row[at]
    kind, column = items["kind"].cat.codes.to_numpy(), items["column"].to_numpy()
    coded: set[int] = set()
    icd10: set[int] = set()
    for found, kinds in ((coded, ("icd10", "icd9")), (icd10, ("icd10",))):
        holds = np.zeros(max(dx) + 1, dtype=bool)  # which columns hold an item of `kinds`
        holds[column[np.isin(kind, [KINDS.index(k) for k in kinds])]] = True
        found.update(np.flatnonzero(holds).tolist())
    keep = [p for p in dx if (p in coded or mapped or not coded) if headers[p] or p in icd10]
    notes = [
        f"column '{headers[p]}' holds no diagnosis codes; not used"
        for p in dx
        if p not in keep and headers[p]
    ]
    return (items if len(keep) == len(dx) else items[items["column"].isin(keep)]), keep, notes


def _shape(repeats: bool, items: pd.DataFrame, dx_columns: int) -> str:
    """`SourceInfo.shape`; `repeats`: some patient has several rows."""
    # the items of one cell follow each other (`codes.split_code_cells`)
    column = items["column"].to_numpy(dtype=np.int64)
    row = items["used_row"].to_numpy(dtype=np.int64)
    listed = bool(((np.diff(row) == 0) & (np.diff(column) == 0)).any())
    if repeats:
        return "mixed" if listed or dx_columns > 1 else "long"
    return "list" if listed and dx_columns == 1 else "wide"


def tidy_panel(
    grid: pd.DataFrame,
    *,
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    source: SourceInfo | None = None,
    today: pd.Timestamp | None = None,
) -> Panel:
    """Raw grid of cells (no header; rows as in the file) -> `Panel` (module docstring).

    `mapping` {role: header or headers} overrides the aliases. `source` carries path, sheet and
    sheets; header row and shape are filled in. `today` bounds birth dates (default: today).
    Raises `PanelError` when the grid cannot be used (no id or diagnosis column, no rows, ...).
    """
    mapping = dict(mapping or {})
    source = source or SourceInfo(path=Path("panel"), sheet=None, header_row=0, shape="")
    where = f" in sheet '{source.sheet}'" if source.sheet else ""
    what = (
        f"sheet '{source.sheet}' of '{source.path.name}'"
        if source.sheet
        else f"'{source.path.name}'"
    )
    other_sheet = (
        f"; pass --sheet with the sheet that holds the patients (sheets: {listing(source.sheets)})"
        if len(source.sheets) > 1
        else ""
    )
    text = pd.DataFrame({c: coded_text(grid[c]) for c in grid.columns}).reset_index(drop=True)
    text.columns = range(text.shape[1])
    present = filled_cells(text)
    per_row = present.sum(axis=0, dtype=np.int32)
    if text.empty or not per_row.any():
        raise PanelError(f"{what} is empty: there are no rows to read{other_sheet}")
    if per_row.max() <= 1:
        raise PanelError(
            f"{what} does not look like a table: no row has more than one "
            "filled cell; export the panel with one column per field (patient id, diagnosis "
            "codes, ...)"
        )
    wanted = [h for v in mapping.values() for h in ([v] if isinstance(v, str) else v)]
    top = text.iloc[: SCAN_ROWS + 1].astype("str")  # the header is among the first rows
    header = find_header(top, wanted)
    guessed = header < 0
    header = guess_header_row(top) if guessed else header
    # a guessed header row may be patient data: its cells are never quoted in a message
    found = [] if guessed else top.iloc[header].dropna().tolist()
    headers = [] if header < 0 else top.iloc[header].fillna("").tolist()
    filled = np.count_nonzero(present[:, header + 1 :], axis=1).tolist()
    row = header + 1 if header >= 0 else None
    roles = assign_roles(headers, mapping, filled, row) if header >= 0 else {}
    inferred = infer_roles(text.iloc[header + 1 :], headers, roles, list(mapping), today)
    roles = inferred.roles
    ignored = roles.pop(IGNORE, [])
    for role, label in (("patient_id", "a patient id"), ("diagnosis", "diagnosis codes")):
        if not roles.get(role):
            raise PanelError(
                f"no column looks like {label}{where}; "
                f"{headers_found(found, None if guessed else row)}; "
                f"pass --map {role}=<header>"
            )
    ledger, pid = _ledger(text, present, per_row, header, roles, headers)
    used_mask = ledger["status"].eq("used").to_numpy()
    if not used_mask.any():
        raise PanelError(
            f"no patient rows below the header (row {header + 1}) of {what}"
            "; check that the export holds the patients, not only a title or summary"
        )
    mapped = "diagnosis" in mapping
    roles["diagnosis"].sort()
    dx = unheaded_after(roles["diagnosis"], headers)
    taken = {p for positions in roles.values() for p in positions} | set(ignored)
    read = sorted(taken | set(dx) | {p for p, h in enumerate(headers) if not h})
    # only the columns read below (roles, diagnosis and unheaded ones), labelled by position;
    # used rows that follow each other (the usual case) are a slice, not a copy
    rows = np.flatnonzero(used_mask)
    take = slice(rows[0], rows[-1] + 1) if rows[-1] - rows[0] + 1 == len(rows) else rows
    used = text[read].iloc[take].set_axis(pd.Index(ledger["row"].to_numpy()[take], name="row"))
    # each used row's patient as an integer (in order of first appearance): the id column's
    # own codes, then integers everywhere
    patient, found_ids = distinct(pid.iloc[take])
    ids = pd.Index(found_ids, name="patient_id")
    items, roles["diagnosis"], notes = _diagnoses(used, dx, headers, mapped)
    labels = [h or f"(column {column_letter(p)}, no header)" for p, h in enumerate(headers)]
    _require_codes(items, [labels[p] for p in roles["diagnosis"]])
    patients, fields, quality_parts = _patients(used, patient, ids, roles, today)
    found_roles = set(roles) - {"first_name", "last_name"} | fields
    mapping_used: dict[str, list[str]] = {}
    for role in (r for r in ROLES if r in roles):
        key = "name" if role in ("first_name", "last_name") else role
        mapping_used.setdefault(key, []).extend(labels[p] for p in roles[role])
    if "death_date" in fields and "death_date" not in roles:
        mapping_used["death_date"] = mapping_used["deceased"]
    diagnoses = _diagnosis_frame(items, used.index, patient, ids)
    unused = [h for p, h in enumerate(headers) if h and all(p not in v for v in roles.values())]
    unused = [h for h in unused if h not in {headers[p] for p in ignored}]
    if unused:
        notes.append(f"columns not used: {listing(unused)}")
    if ignored:
        notes.append(f"columns left out by the mapping: {listing([labels[p] for p in ignored])}")
    notes += column_notes(used, headers, roles)
    notes += unread_exclusions(quality_parts["bad_values"])
    notes[:0] = inferred.notes
    quality = DataQuality(
        invalid_codes=short_counts(items.loc[items["kind"].eq("invalid").to_numpy(), "raw"]),
        icd9_codes=short_counts(items.loc[items["kind"].eq("icd9").to_numpy(), "raw"]),
        text_code_cells=int(items.index[items["in_text"].to_numpy()].nunique()),
        **quality_parts,
    )
    return Panel(
        patients=patients,
        diagnoses=diagnoses.reset_index(drop=True),
        roles=frozenset(found_roles),
        ledger=ledger,
        mapping=mapping_used,
        source=replace(
            source,
            header_row=header + 1,
            shape=_shape(len(ids) < len(patient), items, len(roles["diagnosis"])),
        ),
        quality=quality,
        notes=tuple(notes),
        columns=column_views(headers, {**roles, IGNORE: ignored}, inferred),
    )


def _diagnosis_frame(
    items: pd.DataFrame, rows: pd.Index, patient: np.ndarray, ids: pd.Index
) -> pd.DataFrame:
    """`Panel.diagnoses` from the code items (`_diagnoses`): the valid codes, each
    (patient, code) once at its first row, sorted by row. `patient` is the patient position
    (in `ids`) of each used row (`rows`). Both text columns are categorical (the patients in
    `ids` order, the codes sorted), so later steps work on their integer codes."""
    valid = items["kind"].eq("icd10").to_numpy()
    every = bool(valid.all())
    at = items["used_row"].to_numpy() if every else items["used_row"].to_numpy()[valid]
    owner, row = patient[at], rows.to_numpy(dtype=np.int64)[at]
    code, codes = distinct(pd.Series(items["code"].array if every else items["code"].array[valid]))
    order = np.argsort(codes.to_numpy(), kind="stable")  # the codes sorted
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    code, codes = rank[code], codes.iloc[order]
    # the first row of each (patient, code), the items taken in row order (a wide export
    # lists them column after column)
    by_row = np.argsort(row, kind="stable") if (row[1:] < row[:-1]).any() else None
    if by_row is None:
        first = first_occurrences(owner, code)
    else:
        first = by_row[first_occurrences(owner[by_row], code[by_row])]
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(owner[first], categories=ids),
            "code": pd.Categorical.from_codes(code[first], categories=pd.Index(codes, dtype="str")),
            "row": row[first],
        }
    )


RUN_COMPARED = 64
"""Most items of one patient `first_occurrences` compares one by one (else it sorts)."""


def first_occurrences(owner: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the first occurrence of each (owner, code) pair. When each
    owner's items follow each other (`owner` never decreases: a long export lists a patient's
    rows together, a wide one has one row per patient) and number at most `RUN_COMPARED`, each
    item is compared with the ones before it: a few sequential passes. Otherwise a stable sort
    (timsort) of the pairs finds them."""
    grouped = bool((owner[1:] >= owner[:-1]).all())
    if grouped:  # the length of the longest run of one owner's items
        ends = np.flatnonzero(owner[1:] != owner[:-1])
        longest = int(np.diff(ends, prepend=-1, append=len(owner) - 1).max())
    if grouped and longest <= RUN_COMPARED:
        repeated = np.zeros(len(owner), dtype=bool)
        for lag in range(1, longest):  # a repeat lies within its owner's items
            repeated[lag:] |= (code[lag:] == code[:-lag]) & (owner[lag:] == owner[:-lag])
        return np.flatnonzero(~repeated)
    key = owner.astype(np.int64) * (int(code.max()) + 1 if len(code) else 1) + code
    order = np.argsort(key, kind="stable")
    firsts = np.zeros(len(key), dtype=bool)  # the first of each run of equal keys
    firsts[order[np.diff(key[order], prepend=-1) != 0]] = True
    return np.flatnonzero(firsts)


def unread_exclusions(bad_values: pd.DataFrame) -> list[str]:
    """Notes on deceased or hospice cells that could not be read as yes/no: those patients are
    analysed (not excluded) and the consultant must know it, never silently."""
    flags = bad_values[bad_values["column"].isin(["deceased", "hospice"])]
    return [
        f"{int(count):,} {column} cell(s) could not be read as yes/no: those patients are NOT "
        f"excluded as {column}; check the column and write Y/N (or Sí/No)"
        for column, count in zip(flags["column"], flags["count"], strict=True)
    ]


def _require_codes(items: pd.DataFrame, headers: list[str]) -> None:
    """A panel without a single ICD-10-CM code cannot be assessed: say why."""
    if items["kind"].eq("icd10").any():
        return
    columns = listing(headers)
    if items.empty:
        raise PanelError(
            f"the diagnosis column(s) {columns} are empty; pass --map diagnosis=<header> for "
            "the column that holds the ICD-10-CM codes"
        )
    if items["kind"].eq("icd9").any():
        raise PanelError(
            f"the diagnosis column(s) {columns} hold ICD-9 codes only (e.g. "
            f"{examples(items['raw'])}); export the problem list with ICD-10-CM codes"
        )
    raise PanelError(
        f"no ICD-10-CM code found in the diagnosis column(s) {columns} (e.g. "
        f"{examples(items['raw'])}); pass --map diagnosis=<header> for the column with the codes"
    )


def _patients(
    used: pd.DataFrame,
    patient: np.ndarray,
    ids: pd.Index,
    roles: dict[str, list[int]],
    today: pd.Timestamp | None,
) -> tuple[pd.DataFrame, set[str], dict[str, pd.DataFrame]]:
    """One row per patient of `ids` (first non-blank value per field), the roles found
    (including `death_date` when the deceased column holds dates), and the value-quality
    frames. `patient`: each used row's position in `ids`.

    A field is kept as integer codes per row into its distinct values (`_Coded`): text is
    parsed once per distinct value, and the first value and the conflicts per patient are
    counted on the integers, never on millions of strings or dates."""

    def column(role: str) -> pd.Series | None:
        positions = roles.get(role)
        return used[positions[0]] if positions else None

    fields: dict[str, pd.Series | _Coded] = {}  # in the order the old records had
    bad_dates: list[dict[str, object]] = []
    bad_values: list[dict[str, object]] = []
    for role in ("phone", "provider", "location", "primary_payer", "secondary_payer"):
        if (values := column(role)) is not None:
            fields[role] = _Coded(*distinct(values))
    if (values := column("sex")) is not None:
        codes, raw = distinct(values)
        fields["sex"] = _Coded(codes, normalise_sex(raw)).recoded()
    names = [column(r) for r in ("name", "last_name", "first_name")]
    names = [n for n in (names[:1] if names[0] is not None else names[1:]) if n is not None]
    if names:
        fields["name"] = _join(names, ", ")
    if "address" in roles:
        fields["address"] = _join([used[p] for p in roles["address"]], ", ")

    def dates(role: str, values: pd.Series) -> _Coded:
        codes, raw = distinct(values)
        parsed, problem = parse_dates(raw, birth=role == "birth_date", today=today)
        reasons = sorted(problem[problem.ne("")].unique())
        cells = np.bincount(codes[codes >= 0], minlength=len(raw)) if reasons else None
        for reason in reasons:
            bad = problem.eq(reason).to_numpy()
            bad_dates.append(
                {
                    "column": role,
                    "problem": reason,
                    "count": int(cells[bad].sum()) if cells is not None else 0,
                    "examples": examples(raw[bad]),
                }  # fmt: skip
            )
        return _Coded(codes, parsed).recoded()

    for role in ("birth_date", "last_visit_date", "death_date"):
        if (values := column(role)) is not None:
            fields[role] = dates(role, values)
    for role in ("deceased", "hospice"):
        if (values := column(role)) is None:
            continue
        flags = parse_booleans(values)
        unread = values.notna() & flags.isna()
        if role == "deceased" and unread.any():
            death, _ = parse_dates(values.where(unread))
            is_date = death.notna()
            flags = flags.mask(is_date, True)
            known = fields.get("death_date", death)
            known = known.rows(used.index) if isinstance(known, _Coded) else known
            fields["death_date"] = known.fillna(death)
            unread &= ~is_date
        fields[role] = flags
        if unread.any():
            bad_values.append(
                {"column": role, "count": int(unread.sum()), "examples": examples(values[unread])}
            )
    for role in ("inpatient_admits_12m", "ed_visits_12m"):
        if (values := column(role)) is None:
            continue
        counts = parse_counts(values)
        fields[role] = counts
        unread = values.notna() & counts.isna()
        if unread.any():
            bad_values.append(
                {"column": role, "count": int(unread.sum()), "examples": examples(values[unread])}
            )
    coded = {
        role: field if isinstance(field, _Coded) else _Coded(*pd.factorize(field))
        for role, field in fields.items()
    }
    index = ids
    # each patient's first row with a value, once per field: merged value, conflicts, payers
    rows = _ByPatient.of(patient, len(index))
    firsts = {
        role: field.first_codes(rows) for role, field in coded.items() if role not in LATEST_ROLES
    }
    merged = {
        role: field.latest(rows) if role in LATEST_ROLES else field.first(firsts[role])
        for role, field in coded.items()
    }
    single = list(firsts)
    conflicts = pd.Series(
        {role: coded[role].conflicts(rows, firsts[role]) for role in single},
        index=single,
        dtype="int64",
    )
    conflicts = conflicts[conflicts > 0].rename_axis("column").reset_index(name="patients")
    patients = pd.DataFrame(
        {
            name: merged[name].set_axis(index).astype(dtype)
            if name in merged
            else _empty(dtype, index)
            for name, dtype in PATIENT_COLUMNS.items()
        },
        index=index,
    )
    # payer texts (primary and secondary together) classified once per distinct text, then
    # taken to each patient's first text
    payers = [role for role in ("primary_payer", "secondary_payer") if role in coded]
    texts = pd.concat(
        [*(pd.Series(coded[role].values, dtype="str") for role in payers), pd.Series([""])],
        ignore_index=True,
    ).astype("str")
    table = classify_payers(texts)  # the last text is the blank one: `unknown`, not dual
    offsets = dict(
        zip(payers, np.cumsum([0, *(len(coded[r].values) for r in payers)]), strict=False)
    )
    first, second = (
        table.take(
            np.where(firsts[role] >= 0, firsts[role] + offsets[role], len(texts) - 1)
            if role in offsets
            else np.full(len(index), len(texts) - 1)
        ).reset_index(drop=True)
        for role in ("primary_payer", "secondary_payer")
    )
    patients["payer_class"] = first["payer_class"].array
    patients["secondary_payer_class"] = second["payer_class"].array
    patients["dual_eligible"] = dual_of(first, second["payer_class"]).to_numpy(dtype=bool)
    patients_per_text = np.concatenate(
        [
            *(
                np.bincount(firsts[role] + 1, minlength=len(coded[role].values) + 1)[1:]
                for role in payers
            ),
            [0],
        ]
    )
    quality = {
        "unknown_payers": shorten_counts(
            unknown_payers(texts, patients_per_text, table["payer_class"])
        ),
        "bad_dates": pd.DataFrame(bad_dates, columns=["column", "problem", "count", "examples"]),
        "conflicts": conflicts.astype({"patients": "int64"}),
        "bad_values": pd.DataFrame(bad_values, columns=["column", "count", "examples"]),
    }
    return patients, set(coded) & set(PATIENT_COLUMNS), quality


LATEST_ROLES = ("last_visit_date",)
"""Fields a patient's rows may legitimately differ on, merged as the latest value: the date of
each visit in a claim-line or encounter export (the patient's last visit is the latest)."""


@dataclass(frozen=True)
class _Coded:
    """A field of the used rows as integers: each row's position among `values` (-1: blank)."""

    codes: np.ndarray
    values: pd.Series | pd.Index | np.ndarray | pd.api.extensions.ExtensionArray

    def __post_init__(self) -> None:  # 4 bytes a row, not 8: 8M rows x several fields
        object.__setattr__(self, "codes", np.asarray(self.codes, dtype=np.int32))

    def recoded(self) -> _Coded:
        """`values` parsed per distinct raw value (NA: unreadable) -> positions among the
        distinct parsed values (two spellings of one date are one value)."""
        inner, parsed = pd.factorize(pd.Series(self.values), use_na_sentinel=True)
        return _Coded(np.append(inner, -1).astype(np.int32)[self.codes], parsed)

    def rows(self, index: pd.Index) -> pd.Series:
        """The value of each row (NA when blank)."""
        return pd.Series(
            pd.Series(self.values).array.take(self.codes, allow_fill=True), index=index
        )

    def first_codes(self, rows: _ByPatient) -> np.ndarray:
        """Per patient position, the code of its first row with a value (-1 when none)."""
        codes = rows.sort(self.codes)
        if (codes >= 0).all():
            first = np.full(rows.patients, -1, dtype=np.int32)
            first[rows.present] = codes[rows.starts]
            return first
        position = np.where(codes >= 0, np.arange(len(codes)), len(codes))
        at = rows.reduce(np.minimum, position, len(codes))
        return np.where(at < len(codes), np.append(codes, -1)[at], -1)

    def first(self, slot: np.ndarray) -> pd.Series:
        """Per patient position, the value of its first row with one (NA when none), from its
        code (`first_codes`)."""
        return pd.Series(pd.Series(self.values).array.take(slot, allow_fill=True))

    def latest(self, rows: _ByPatient) -> pd.Series:
        """Per patient position, the greatest of its rows' values (NA when none): the
        distinct values ranked once, the ranks compared per patient."""
        values = pd.Series(self.values)
        order = np.argsort(values.to_numpy(), kind="stable")
        rank = np.empty(len(order) + 1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        rank[-1] = -1  # a blank row
        best = rows.reduce(np.maximum, rank[rows.sort(self.codes)], -1)
        slot = np.where(best >= 0, order[np.maximum(best, 0)] if len(order) else -1, -1)
        return pd.Series(values.array.take(slot, allow_fill=True))

    def conflicts(self, rows: _ByPatient, first: np.ndarray) -> int:
        """Patients whose rows hold more than one distinct value (`nunique() > 1`): a row
        whose value differs from its patient's first one (`first`: `first_codes`; no hashing)."""
        codes = rows.sort(self.codes)
        differs = (codes >= 0) & (codes != first[rows.owner])
        return int(rows.reduce(np.logical_or, differs, False).sum())


@dataclass(frozen=True)
class _ByPatient:
    """The used rows grouped by patient, for per-patient reductions in one sequential pass
    (`np.ufunc.reduceat`): a stable sort of the rows by patient, none when they already are
    (a long export lists a patient's rows together)."""

    order: np.ndarray | None
    """Row positions in patient order; None when the rows are already in it."""
    owner: np.ndarray
    """Patient position of each row, in patient order."""
    present: np.ndarray
    """Patient positions that have rows."""
    starts: np.ndarray
    """Where each of those patients' rows begin, in patient order."""
    patients: int

    @classmethod
    def of(cls, patient: np.ndarray, patients: int) -> _ByPatient:
        """`patient`: the patient position of each row; `patients`: how many there are."""
        grouped = bool((patient[1:] >= patient[:-1]).all())
        order = None if grouped else np.argsort(patient, kind="stable")
        owner = patient if order is None else patient[order]
        counts = np.bincount(owner, minlength=patients)
        present = np.flatnonzero(counts)
        return cls(order, owner, present, (np.cumsum(counts) - counts)[present], patients)

    def sort(self, values: np.ndarray) -> np.ndarray:
        """Values of the rows, in patient order."""
        return values if self.order is None else values[self.order]

    def reduce(self, ufunc: np.ufunc, values: np.ndarray, empty: object) -> np.ndarray:
        """`ufunc` over each patient's rows of `values` (in patient order, `sort`); `empty`
        for a patient without rows."""
        out = np.full(self.patients, empty, dtype=values.dtype)
        if len(values):
            out[self.present] = ufunc.reduceat(values, self.starts)
        return out


def _empty(dtype: str, index: pd.Index) -> pd.Series:
    """An all-NA column of the given dtype (False for `bool`)."""
    if dtype == "bool":
        return pd.Series(False, index=index)
    missing = {"str": np.nan, "datetime64[ns]": pd.NaT}.get(dtype, pd.NA)
    return pd.Series(missing, index=index, dtype=dtype)


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    """Join text columns row by row, skipping blank parts: once per distinct combination of
    their values, as a categorical column."""
    codes, joined = distinct(parts[0])
    for part in parts[1:]:
        inner, values = distinct(part)  # pair keys in 64 bits: 70,000 x 70,000 names pass 2^31
        pair, pairs = pd.factorize((codes.astype(np.int64) + 1) * (len(values) + 1) + inner + 1)
        left = joined.reindex(pairs // (len(values) + 1) - 1).reset_index(drop=True)
        right = values.reindex(pairs % (len(values) + 1) - 1).reset_index(drop=True)
        both = left.notna() & right.notna()
        texts = left.fillna(right).mask(both, left + sep + right)
        codes, joined = np.where(texts.isna().to_numpy()[pair], -1, pair), texts
    return categorical(codes, joined, parts[0].index)


# ---------------------------------------------------------------------------------------------
# Files


def read_panel(
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    limits: Limits | None = None,
) -> Panel:
    """Read a panel export (.xlsx/.xlsm/.xls, .csv, .tsv/.txt, .parquet) into a `Panel`.

    `sheet` names the workbook sheet (default: the one that looks like a patient table);
    `mapping` {role: header} overrides the column aliases; `limits` caps the file (size, rows,
    columns, cell length: `sources.Limits`). Raises `PanelError` with the problem and its fix
    when the file cannot be used. Loading: `sources.read_grid`.
    """
    raw = read_grid(path, sheet=sheet, score=table_score, limits=limits)
    source = SourceInfo(path=Path(path), sheet=raw.sheet, header_row=0, shape="", sheets=raw.sheets)
    formulas = (
        f"{raw.blank_formulas:,} formula cell(s) of sheet '{raw.sheet}' have no computed value "
        "and read as blank (the program that wrote the file did not calculate them); open the "
        "file in Excel, save it and run again"
        if raw.blank_formulas
        else ""
    )
    try:
        panel = tidy_panel(raw.cells, mapping=mapping, source=source)
    except PanelError as error:
        if formulas:
            raise PanelError(f"{error}; note: {formulas}") from None
        raise
    return replace(panel, notes=(*raw.notes, *([formulas] if formulas else []), *panel.notes))
