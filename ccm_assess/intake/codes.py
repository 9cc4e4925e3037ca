"""ICD-10-CM code normalising and shape check, ICD-9 recognised (docs/panel.md, Values).

A cell of a panel may hold one code (`E11.9`, `e119`, ` E11.9 `), a code with its description
(`E11.9 - Type 2 diabetes ...`, `Type 2 diabetes (E11.9)`) or a list of codes (`E11.9; I10,
N18.30`). `parse_code_cells` turns such cells into one item per code, each with its normalised
code and kind:

- `icd10`: valid ICD-10-CM *in shape*: a letter, a digit, a digit or letter, then up to four
  digits or letters; the dot, if written, only after the third character. Every letter A-Z is
  accepted as the first character: CMS uses U codes (U07.1 COVID-19, U09.9 post COVID-19).
  Normalised to upper case without the dot (`E119`). Whether the code exists is checked later,
  against the bundled ICD-10-CM code set (`code_status`), and reported in data quality.
- `icd9`: ICD-9-CM in shape, reported and kept out of the analysis: 3 digits with up to 2
  decimals (`250.00`, `401.9`, `4019`); `V` + 2 digits with up to 2 decimals (`V58.67`); `E` + 3
  digits with up to 1 decimal written with its dot (`E849.0`), or undotted starting `E9`
  (`E9170`). Decisions where the two code sets overlap in shape:
  - an all-digit `V` code (`V58.67`, `V4581`) is ICD-9: ICD-10-CM V codes (transport accidents)
    always carry a 7th character letter when billable (`V43.52XA`);
  - an undotted `E8xx` (`E849`, `E8490`) is ICD-10-CM (E84.9 cystic fibrosis): undotted modern
    exports are far more common than ICD-9 E codes, which are external causes, not diagnoses.
- `invalid`: anything else (`DM2`, `Diabetes`, `E11.`), kept out and counted.

Every function maps each distinct value once (`pd.factorize`), so 1M cells holding a few
thousand distinct values cost little more than the factorising.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ccm_assess.intake.coded import categorical, distinct, spread
from ccm_assess.reference import read_data_csv

KINDS: tuple[str, ...] = ("icd10", "icd9", "invalid")
"""Kinds of a code item, in report order."""

ICD10_SHAPE = r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
"""ICD-10-CM in shape, upper case, dot optional and only after the third character."""

ICD9_SHAPE = (
    r"[0-9]{3}(?:\.[0-9]{1,2})?|[0-9]{4,5}"  # 250.00, 4019
    r"|V[0-9]{2}(?:\.?[0-9]{1,2})?|E[0-9]{3}\.[0-9]|E9[0-9]{2,3}"  # V58.67, E849.0, E9170
)
"""ICD-9-CM in shape, upper case (see the module docstring for the V and E decisions)."""

# Something that looks like a code of either set, in any case, as written inside a cell.
_CODELIKE = (
    r"[EeVv][0-9]{2,3}\.[0-9]{1,2}|[A-Za-z][0-9][0-9A-Za-z](?:\.?[0-9A-Za-z]{1,4})?"
    r"|[0-9]{3}(?:\.?[0-9]{1,2})?"
)
_END = r"(?![0-9A-Za-z.])"
_ITEM_SEPARATORS = rf"[;|\r\n]+|,\s*(?=(?:{_CODELIKE}){_END})"
"""`;`, `|` and line breaks always separate codes; a comma only when a code follows it or ends
the text before it (`_CODE_THEN_COMMA`), so a description such as `... kidney disease, stage 3
(E11.22)` stays one item while `E11.9, Depression (F32.9)` is two."""
_CODE_THEN_COMMA = rf"(?<![0-9A-Za-z.])((?:{_CODELIKE}){_END}\s*[)\]]?)\s*,"
"""A code (bare or closing a bracket) and the comma after it; the comma becomes `;`."""
_COMMA_BEFORE_BRACKETED = rf",(?=[^,;|]*[(\[]\s*(?:{_CODELIKE})\s*[)\]])"
"""In an item that starts with a code, a comma before text holding a bracketed code: `E11.9 -
Type 2 diabetes, Chronic kidney disease (N18.30)` is two items, each with its code."""
_ONLY_CODES = rf"(?:{_CODELIKE})(?:\s+(?:{_CODELIKE}))+"
_LEADING = rf"^(?P<code>{_CODELIKE}){_END}"
_BRACKETED = rf"[(\[]\s*(?P<code>{_CODELIKE})\s*[)\]]"
_TRAILING = rf"[-:=\u2013\u2014]\s*(?P<code>{_CODELIKE})$"
_STRIP = " \t\"'*"


def classify_tokens(tokens: pd.Series) -> pd.DataFrame:
    """Kind and normalised code of bare code tokens (no description around them).

    Returns columns `code` (upper case, dot removed; NA when invalid) and `kind` (`KINDS`),
    on the index of `tokens`.
    """
    upper = tokens.str.strip(_STRIP).str.upper()
    is_icd9 = upper.str.fullmatch(ICD9_SHAPE).fillna(False).astype(bool)
    is_icd10 = ~is_icd9 & upper.str.fullmatch(ICD10_SHAPE).fillna(False).astype(bool)
    kind = pd.Series(
        np.select([is_icd10, is_icd9], ["icd10", "icd9"], "invalid"), index=tokens.index
    )
    code = upper.str.replace(".", "", regex=False).where(is_icd10 | is_icd9)
    return pd.DataFrame({"code": code.astype("str"), "kind": kind.astype("str")})


def _normalise_unique(items: pd.Series) -> pd.DataFrame:
    """`classify_tokens` for items that may carry a description: the code is the leading code,
    else the first bracketed one, else one after a trailing dash or colon, else the whole item."""
    text = items.str.strip(_STRIP)
    candidates = [
        text.str.extract(pattern, expand=False) for pattern in (_LEADING, _BRACKETED, _TRAILING)
    ]
    chosen = pd.Series(pd.NA, index=items.index, dtype="str")
    for candidate in candidates:
        found = candidate.notna() & chosen.isna()
        kinds = classify_tokens(candidate[found])["kind"]
        chosen = chosen.mask(found & kinds.reindex(items.index).ne("invalid"), candidate)
    return classify_tokens(chosen.fillna(text))


def normalise_codes(values: pd.Series) -> pd.DataFrame:
    """Per value (one code each, possibly with a description): `code` and `kind`.

    `code` is upper case without the dot (`E119`) for `icd10` and `icd9`, NA for `invalid`
    and for blank values (whose `kind` is NA too). Same index as `values`.
    """
    codes, uniques = distinct(values)
    return spread(_normalise_unique(uniques), codes, values.index, np.nan)


def _split_unique(cells: pd.Series) -> pd.Series:
    """Distinct cells -> items, index = position of the cell (repeated), blanks dropped."""
    cells = cells.str.replace(_CODE_THEN_COMMA, r"\1;", regex=True)
    items = cells.str.split(_ITEM_SEPARATORS, regex=True).explode().str.strip(_STRIP)
    led = items.str.match(_LEADING).fillna(False).astype(bool) & items.str.contains(",")
    if led.any():
        pieces = items[led].str.replace(_COMMA_BEFORE_BRACKETED, ";", regex=True).str.split(";")
        items = pd.concat([items[~led], pieces.explode().str.strip(_STRIP)])
        items = items.sort_index(kind="stable")
    several = items.str.fullmatch(_ONLY_CODES).fillna(False).astype(bool)
    items = pd.concat([items[~several], items[several].str.split(r"\s+", regex=True).explode()])
    items = items.sort_index(kind="stable")
    return items[items.notna() & items.ne("")]


def split_code_cells(cells: pd.Series) -> pd.Series:
    """Cells holding one or more codes -> one item per row (raw text, stripped).

    Separators: `;`, `|`, line breaks, a comma before a code, and spaces between codes. The
    index of each item is the index of its cell (repeated); blank cells and items are dropped.
    """
    parts, item, index = _split_distinct(cells)
    return pd.Series(parts.array.take(item), index=index, dtype="str", name="raw")


def _split_distinct(cells: pd.Series) -> tuple[pd.Series, np.ndarray, pd.Index]:
    """`split_code_cells` done once per distinct cell: the items of the distinct cells
    (`parts`, index 0..n-1), the part each item of `cells` is, and each item's cell index."""
    cells = cells.dropna() if cells.hasnans else cells
    codes, uniques = distinct(cells)
    parts = _split_unique(uniques)
    position = parts.index.to_numpy()
    count = np.bincount(position, minlength=len(uniques))
    start = np.concatenate([[0], np.cumsum(count)[:-1]]) if len(count) else count
    if (count == 1).all():  # one item per cell (the usual export): no repeats to spread
        return parts.reset_index(drop=True), start[codes], cells.index
    repeat = count[codes]
    cell = np.repeat(np.arange(len(codes)), repeat)
    within = np.arange(repeat.sum()) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    item = np.repeat(start[codes], repeat) + within
    return parts.reset_index(drop=True), item, cells.index[cell]


def parse_code_cells(cells: pd.Series) -> pd.DataFrame:
    """Cells -> one row per code item: columns `raw` (item as written), `code` and `kind`
    (`KINDS`), all three categorical: 8 M items hold a few thousand distinct texts.

    The index of each row is the index of its cell (repeated). Blank cells give no row.
    Each distinct item is split and classified once, then taken to the cells that hold it.
    """
    parts, item, index = _split_distinct(cells)
    part, raw = pd.factorize(parts)
    parsed = normalise_codes(pd.Series(raw, dtype="str"))
    code, normal = pd.factorize(parsed["code"], use_na_sentinel=True)
    items = pd.DataFrame(
        {
            "raw": categorical(part[item], raw, index).array,
            "code": categorical(code[part[item]], normal, index).array,
            "kind": pd.Categorical.from_codes(
                pd.Categorical(parsed["kind"], categories=KINDS).codes[part[item]],
                categories=KINDS,
            ),
        }
    ).set_axis(index)
    return codes_in_text(items)


_IN_TEXT = (
    r"(?<![0-9A-Za-z])(?P<code>[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
    r"|[a-z][0-9][0-9a-z]\.[0-9a-z]{1,4})(?![0-9A-Za-z]|\.[0-9A-Za-z])"
)
"""An ICD-10-CM-shaped word inside free text: upper case, dotted or not (`E11.9`, `E119`,
`I10`), or lower case with its dot (`e11.9`); never a bare number. Bounded, no nesting."""


def codes_in_text(items: pd.DataFrame) -> pd.DataFrame:
    """Items no form above reads (`invalid`) whose text holds ICD-10-CM codes (`Type 2 diabetes
    (ICD-10-CM: E11.9)`, `2. M17.0 - Bilateral ...`, `Dx: I10 ... 500 mg`) -> one `icd10` item
    per code found, in place of the item; the column `in_text` marks them. A word counts only
    when the code exists in the CMS code set (`code_status`: current or retired), so text that
    only looks like a code (`A1c`, `T2DM`, `B12`, a dose, a list number) is never read as one."""
    items = items.assign(in_text=False)
    invalid = np.flatnonzero(items["kind"].eq("invalid").to_numpy())
    if not len(invalid):
        return items
    at, uniques = distinct(items["raw"].iloc[invalid])
    found = uniques.str.extractall(_IN_TEXT)["code"]
    token_at, tokens = distinct(found)  # a few hundred distinct codes among many cells
    normal_tokens = tokens.str.upper().str.replace(".", "", regex=False)
    real_tokens = (
        code_status(normal_tokens).ne("unknown").to_numpy()
        & classify_tokens(tokens)["kind"].eq("icd10").to_numpy()
    )
    real = real_tokens[token_at]
    normal = pd.Series(normal_tokens.to_numpy()[token_at], index=found.index, dtype="str")
    found, normal = found[real], normal[real]
    if found.empty:
        return items
    hits = pd.DataFrame(
        {
            "unique": found.index.get_level_values(0),
            "raw": found.to_numpy(),
            "code": normal.to_numpy(),
        }
    ).reset_index(drop=True)
    rows = pd.DataFrame({"position": invalid, "unique": at}).merge(hits, on="unique")
    position = rows["position"].to_numpy()
    new = pd.DataFrame(
        {"raw": rows["raw"].to_numpy(), "code": rows["code"].to_numpy(), "kind": "icd10",
         "in_text": True},
        index=items.index[position],
    ).astype({"raw": "str", "code": "str", "kind": "str"})  # fmt: skip
    kept = np.setdiff1d(np.arange(len(items)), position)
    order = np.argsort(np.concatenate([kept, position]), kind="stable")
    old = items.iloc[kept].astype({"raw": "str", "code": "str", "kind": "str"})
    return pd.concat([old, new]).iloc[order].astype({"kind": pd.CategoricalDtype(KINDS)})


CODE_SET_FILE = "icd10cm_fy2026_codes.csv.gz"
CODE_SET_YEAR = 2026
"""Fiscal year of the bundled code set: valid for dates of service 2025-10-01 to 2026-09-30."""
RETIRED_SOURCE = "ccir_v2023_1.csv.gz"
"""Codes CCIR lists (every code valid FY2016-FY2023): one missing from the code set is retired."""
CODE_STATUSES: tuple[str, ...] = ("billable", "header", "retired", "unknown")
"""`billable`: in the code set and complete; `header`: in the code set but needs more
characters to be billed (E11, N18.3), still classified; `retired`: valid in an earlier year,
not in the code set; `unknown`: in no ICD-10-CM release the kit knows."""


@functools.cache
def code_set() -> pd.DataFrame:
    """The ICD-10-CM code set (`scripts/build_icd10cm.py`): index `code` (no dot); columns
    `billable` (bool) and `title` (description of 3-character categories, else blank)."""
    table = read_data_csv(
        CODE_SET_FILE, dtype={"code": "str", "billable": "int8", "title": "str"},
        keep_default_na=False,
    )  # fmt: skip
    return table.assign(billable=table["billable"].astype(bool)).set_index("code")


@functools.cache
def _retired() -> frozenset[str]:
    listed = read_data_csv(RETIRED_SOURCE, dtype={"code": "str"}, usecols=["code"])["code"]
    return frozenset(set(listed) - set(code_set().index))


def code_status(codes: pd.Series) -> pd.Series:
    """`CODE_STATUSES` value of each normalised ICD-10-CM code (same index)."""
    table = code_set()
    codes_at, unique = distinct(codes)
    billable = unique.map(table["billable"])
    unlisted = billable.isna().to_numpy()
    retired = np.zeros(len(unique), dtype=bool)
    if unlisted.any():  # the older releases are read only for codes the code set lacks
        retired[unlisted] = unique[unlisted].isin(_retired()).to_numpy()
    status = np.select(
        [billable.eq(True), billable.eq(False), retired],
        ["billable", "header", "retired"],
        "unknown",
    )
    return spread(pd.Series(status, dtype="str"), codes_at, codes.index, pd.NA)


def unlisted_codes(diagnoses: pd.DataFrame) -> pd.DataFrame:
    """Codes of `Panel.diagnoses` that are not in the code set: columns `value` (code as
    normalised), `status` (`retired` or `unknown`) and `count` (patients), most first."""
    codes = pd.Series(diagnoses["code"].dropna().unique(), dtype="str")
    unlisted = codes[code_status(codes).isin(("retired", "unknown")).to_numpy()]
    # only the rows of the (few) unlisted codes are grouped, not every diagnosis
    rows = diagnoses[diagnoses["code"].isin(unlisted).to_numpy()]
    per_code = rows.groupby(rows["code"].astype("str"), sort=False)["patient_id"].nunique()
    status = code_status(pd.Series(per_code.index, dtype="str"))
    frame = pd.DataFrame(
        {
            "value": per_code.index.astype("str"),
            "status": status.to_numpy(),
            "count": per_code.to_numpy().astype("int64"),
        }  # fmt: skip
    )
    return frame.sort_values(["count", "value"], ascending=[False, True]).reset_index(drop=True)
