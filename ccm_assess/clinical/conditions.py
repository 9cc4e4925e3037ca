"""Chronic condition catalog and the AHRQ CCIR broad indicator, both vectorised over codes.

Two estimates of a patient's chronic conditions (docs/eligibility.md):

- **Catalog** (`data/conditions.csv`): curated categories, one row per ICD-10-CM prefix (upper
  case, no dot), each citing its source (CMS CCW chronic condition algorithms, the CMS CCM booklet
  MLN909188 examples, or the spec). A code belongs to every category one of whose prefixes it
  starts with, unless it also starts with one of that row's `exclude_prefixes` (`|`-separated
  carve-outs such as E66.3 overweight). Prefix matching places new codes (E11.A, G20.A1, J44.81)
  without a catalog update. The count is the number of distinct categories per patient.
- **Broad** (`data/ccir_v2023_1.csv.gz`, AHRQ HCUP CCIR v2023.1, built by
  `scripts/build_ccir.py`): any code CCIR marks chronic (1), counted as distinct 3-character
  ICD-10-CM categories per patient. This is an upper bound.

Catalog decisions where the sources leave room (each also stated in the row's `source`):
- Acute events are not categories: acute MI (I21-I22), acute stroke (I63), TIA (G45), hip
  fracture, pneumonia. Stroke counts through its late effects (I69).
- F32.A "Depression, unspecified" counts as depression although CCIR marks it 0: the spec's F32
  prefix covers it, and since FY2022 it is how problem lists code depression; the worklist shows
  the code so a clinician can confirm the condition is expected to last 12 months.
- Left out although CCW lists them: tobacco use (F17; a risk factor that would make most smokers
  with hypertension eligible), cataract (cured by surgery), benign prostatic hyperplasia, anemia
  other than sickle cell disease (mostly nutritional or secondary), migraine, pressure and chronic
  ulcers (expected to heal; the underlying diabetes or vascular disease counts), hearing and
  vision impairment. All of these still count in the CCIR broad bound where CCIR marks them.
- Cancers count as malignant neoplasm codes only (not in situ D0x, not history Z85).

Review columns (docs/eligibility_rules.md): each prefix says which CMS CCW list it is on
(`ccw_list`: the strict level keeps `ccw_chronic` only), how it differs from the CCW definition
(`beyond_ccw`), and whether a single condition of this kind is PCM high risk (`pcm_high_risk`,
with `pcm_source`). ICD-10-CM Excludes1 pairs (`data/excludes1_pairs.csv`, derived from the
FY2026 tabular by `scripts/build_icd10cm.py`) join two categories a patient's codes place when
the tabular says the codes never describe two conditions (`condition_groups`).

CCIR has three outcomes, kept apart: 1 chronic, 0 not chronic, 9 no determination, plus
"unknown" for codes it does not list (newer than v2023.1). An unknown code takes the value of its
nearest ancestor (the code itself as a header, then its parents down to 3 characters) whose own
value and known descendants agree, ignoring 9s; if they disagree it stays unknown. Unknown is
never "not chronic": such codes are listed by `ccir_unknown_codes` for the data-quality section.

Longer than 400 lines because the catalog, the Excludes1 grouping and the CCIR broad bound run
vectorised over the same encoded codes (`CodedDiagnoses`) and must agree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccm_assess.errors import CatalogError
from ccm_assess.reference import data_path, read_data_csv

CATALOG_FILE = "conditions.csv"
CATALOG_COLUMNS: tuple[str, ...] = (
    "category",
    "display_name",
    "prefix",
    "exclude_prefixes",
    "source",
)
OPTIONAL_COLUMNS: dict[str, str] = {
    "ccw_list": "ours",
    "beyond_ccw": "",
    "pcm_high_risk": "no",
    "pcm_source": "",
}
"""Review columns and their value when a catalog lacks them (docs/eligibility_rules.md):
`ccw_list` (`CCW_LISTS`: which CMS CCW list the prefix is on, or ours), `beyond_ccw` (how the
prefix differs from the CCW definition, and why), `pcm_high_risk` (yes/no: a single condition
of this kind makes a PCM candidate) and `pcm_source` (why, required for yes)."""
CCW_LISTS: tuple[str, ...] = ("ccw_chronic", "ccw_other", "ours")
STRICT_LIST = "ccw_chronic"
"""The strict level counts only prefixes on the CCW chronic conditions list."""
EXCLUDES1_FILE = "excludes1_pairs.csv"
CCIR_FILE = "ccir_v2023_1.csv.gz"
CCIR_CHRONIC, CCIR_NO_DETERMINATION = 1, 9
_CCIR_DISAGREE = -1
_PREFIX = r"^[A-Z][0-9][0-9A-Z]{1,5}$"


def load_catalog(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a condition catalog (default: the bundled `data/conditions.csv`).

    Prefixes and carve-outs are normalised (upper case, dots removed). Category order is the
    order of first appearance, which reports keep.
    """
    source = Path(path) if path is not None else data_path(CATALOG_FILE)
    try:
        table = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise CatalogError(f"cannot read the condition catalog {source}: {error}") from error
    missing = [c for c in CATALOG_COLUMNS if c not in table.columns]
    if missing:
        raise CatalogError(
            f"condition catalog {source} lacks columns {missing}; "
            f"expected {', '.join(CATALOG_COLUMNS)}"
        )
    for column, default in OPTIONAL_COLUMNS.items():
        if column not in table.columns:
            table[column] = default
    columns = [*CATALOG_COLUMNS, *OPTIONAL_COLUMNS]
    table = table[columns].apply(lambda column: column.str.strip())

    def normalise(column: pd.Series) -> pd.Series:
        return column.str.upper().str.replace(".", "", regex=False)

    table["prefix"] = normalise(table["prefix"])
    table["exclude_prefixes"] = normalise(table["exclude_prefixes"])
    problems = []
    if (table["category"] == "").any() or (table["source"] == "").any():
        problems.append("every row needs a category and a source")
    bad = table.loc[~table["prefix"].str.match(_PREFIX), "prefix"]
    if len(bad):
        problems.append(f"invalid ICD-10-CM prefixes {sorted(set(bad))[:5]}")
    excludes = table["exclude_prefixes"].str.split("|").explode()
    excludes = excludes[excludes != ""]
    owners = table.loc[excludes.index, "prefix"]
    if not all(e.startswith(p) for e, p in zip(excludes, owners, strict=True)):
        problems.append("each exclude prefix must start with its row's prefix")
    if table.duplicated(["category", "prefix"]).any():
        problems.append("a (category, prefix) pair appears twice")
    if (table.groupby("category")["display_name"].nunique() != 1).any():
        problems.append("a category has more than one display_name")
    if not table["ccw_list"].isin(CCW_LISTS).all():
        problems.append(f"ccw_list must be one of {', '.join(CCW_LISTS)}")
    if not table["pcm_high_risk"].isin(("yes", "no")).all():
        problems.append("pcm_high_risk must be yes or no")
    if ((table["pcm_high_risk"] == "yes") & (table["pcm_source"] == "")).any():
        problems.append("every pcm_high_risk yes needs a pcm_source")
    if problems:
        raise CatalogError(f"condition catalog {source}: " + "; ".join(problems))
    return table.reset_index(drop=True)


@functools.cache
def _bundled_catalog() -> pd.DataFrame:
    return load_catalog()


def default_catalog() -> pd.DataFrame:
    """The bundled catalog (read once per process; a copy, so callers may change it)."""
    return _bundled_catalog().copy()


def display_names(catalog: pd.DataFrame | None = None) -> dict[str, str]:
    """Category id -> display name, in catalog order."""
    table = _bundled_catalog() if catalog is None else catalog
    first = table.drop_duplicates("category")
    return dict(zip(first["category"], first["display_name"], strict=True))


def _distinct(codes: Iterable[str] | pd.Series) -> pd.Series:
    """Distinct non-missing codes as a str Series with a 0..n-1 index."""
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype="str")
    return pd.Series(series.dropna().astype("str").unique(), dtype="str")


def spread_runs(repeat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items repeated `repeat[i]` times: (item of each copy, copy number within the item)."""
    item = np.repeat(np.arange(len(repeat)), repeat)
    offset = np.arange(len(item)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    return item, offset


def entry_pairs(
    entry_code: np.ndarray, pair_code: np.ndarray, codes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every (entry, pair) whose codes are equal: `entry_code` per entry and `pair_code` per
    pair (sorted) are positions among `codes` codes. Ordered by the pair's rank within its
    code, then entry."""
    per_code = np.bincount(pair_code, minlength=codes)
    first = np.cumsum(per_code) - per_code
    entry = np.flatnonzero((per_code > 0)[entry_code])
    entries, pairs = [entry], [first[entry_code[entry]]]
    for rank in range(1, int(per_code.max(initial=0))):
        entry = entry[per_code[entry_code[entry]] > rank]
        entries.append(entry)
        pairs.append(first[entry_code[entry]] + rank)
    return np.concatenate(entries), np.concatenate(pairs)


def prefix_matches(codes: pd.Series, prefixes: pd.Series) -> pd.DataFrame:
    """Every (`code`, `prefix`) position pair where `codes[code]` starts with `prefixes[prefix]`.

    Both are str Series; per prefix length, one hash lookup of the codes' leading characters.
    """
    lengths = prefixes.str.len().to_numpy()
    found_code, found_prefix = [], []
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        keys, key_of_row = np.unique(prefixes.to_numpy()[rows].astype(str), return_inverse=True)
        key = pd.Index(keys).get_indexer(codes.str.slice(0, int(length)))
        hit = np.flatnonzero(key >= 0)
        per_key = np.bincount(key_of_row, minlength=len(keys))
        rows_by_key = rows[np.argsort(key_of_row, kind="stable")]
        item, offset = spread_runs(per_key[key[hit]])
        found_code.append(hit[item])
        found_prefix.append(rows_by_key[(np.cumsum(per_key) - per_key)[key[hit]][item] + offset])
    return pd.DataFrame(
        {
            "code": np.concatenate([np.zeros(0, np.intp), *found_code]),
            "prefix": np.concatenate([np.zeros(0, np.intp), *found_prefix]),
        }
    )


def classify_codes(
    codes: Iterable[str] | pd.Series, catalog: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Catalog categories of normalised ICD-10-CM codes (`E119`, not `E11.9`).

    Returns one row per (code, category): `code`, `category` (categorical in catalog order),
    `strict` (placed by a prefix on the CCW chronic conditions list) and `high_risk` (placed by
    a prefix marked PCM high risk); codes in no category are absent.
    """
    table = _bundled_catalog() if catalog is None else catalog
    unique = _distinct(codes)
    hits = prefix_matches(unique, table["prefix"].reset_index(drop=True))
    rows = table.iloc[hits["prefix"].to_numpy()].reset_index(drop=True)
    pairs = rows.assign(code=unique.to_numpy()[hits["code"].to_numpy()])
    carved = pd.Series(False, index=pairs.index)
    for carve_out in pairs["exclude_prefixes"].unique():
        if carve_out:
            carved |= (pairs["exclude_prefixes"] == carve_out) & pairs["code"].str.startswith(
                tuple(carve_out.split("|"))
            )
    pairs = pairs[~carved].assign(
        strict=lambda f: f["ccw_list"] == STRICT_LIST,
        high_risk=lambda f: f["pcm_high_risk"] == "yes",
    )
    pairs = pairs.groupby(["code", "category"], sort=False, as_index=False)[
        ["strict", "high_risk"]
    ].any()
    order = list(display_names(table))
    return (
        pairs.assign(category=pd.Categorical(pairs["category"], categories=order))
        .sort_values(["category", "code"])[["code", "category", "strict", "high_risk"]]
        .reset_index(drop=True)
    )


def arrow_strings(values: pd.Series | pd.Index) -> pa.Array:
    """`values` as one contiguous Arrow string array (pandas may hand over chunks)."""
    array = pa.array(values, pa.string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in `index` (-1 where absent), by an Arrow hash lookup; a
    categorical whose categories are `index` (`Panel.diagnoses`) gives its codes (int32), no
    lookup."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        codes = np.asarray(values.cat.codes.to_numpy(), dtype=np.int32)
        if categories.equals(index):
            return codes
        found = np.append(positions(pd.Series(categories, dtype="str"), index), -1)
        return np.asarray(found[codes], dtype=np.intp)
    found = pc.index_in(arrow_strings(values), value_set=arrow_strings(index))
    return np.asarray(found.fill_null(-1).to_numpy(), dtype=np.intp)


def first_of_runs(*keys: np.ndarray) -> np.ndarray:
    """True where a run of equal keys (arrays sorted together) starts."""
    start = np.ones(len(keys[0]), dtype=bool)
    if len(start):
        np.not_equal(keys[0][1:], keys[0][:-1], out=start[1:])
        for key in keys[1:]:
            start[1:] |= key[1:] != key[:-1]
    return start


def same_lists(
    owner: np.ndarray, value: np.ndarray, owners: int, hashed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Owners whose lists of `value` (int) are equal: (kind of each owner position, -1 without
    entries; True on the entries of the first owner of each kind). `owner` is ascending.

    The 64-bit sum of a hash per entry (default: a random number per distinct value; tests
    pass others) finds candidates; each list is then compared entry by entry with its kind's
    first, and a list that differs gets a kind of its own, so owners of one kind always have
    identical lists. Kinds follow first appearance.
    """
    start = np.flatnonzero(first_of_runs(owner))
    length = np.diff(np.append(start, len(owner)))
    if hashed is None:
        distinct, uniques = pd.factorize(value)
        hashed = np.random.default_rng(0).integers(0, 2**63, len(uniques))[distinct]
    kind = pd.factorize(np.add.reduceat(hashed, start) if len(start) else start)[0]
    lead = np.flatnonzero(_first_seen(kind))[kind]  # its kind's first list, per list
    partner = np.repeat((start[lead] - start).astype(_key_type(len(owner))), length)
    partner += np.arange(len(owner), dtype=partner.dtype)  # <= the entry: leads come first
    differs = np.flatnonzero(value != value[partner])
    bad = length != length[lead]
    bad[np.searchsorted(start, differs, side="right") - 1] = True
    if bad.any():
        kind = pd.factorize(np.where(bad, -1 - np.arange(len(start)), kind))[0]
    per_owner = np.full(owners, -1, dtype=np.intp)
    per_owner[owner[start]] = kind
    return per_owner, np.repeat(_first_seen(kind), length)


def _first_seen(kind: np.ndarray) -> np.ndarray:
    """True where a kind (numbered by first appearance) appears first."""
    seen = np.ones(len(kind), dtype=bool)
    seen[1:] = kind[1:] > np.maximum.accumulate(kind)[:-1]
    return seen


@dataclass(frozen=True)
class CodedDiagnoses:
    """Diagnoses as integer positions: one entry per distinct (patient, code), sorted by patient
    then code, so that each distinct code is looked up once and the result spread by position
    (a panel of 2 million diagnosis rows has a few thousand distinct codes)."""

    patient: np.ndarray
    """Position of the patient in `patients` (int32)."""
    code: np.ndarray
    """Position of the code in `codes` (int32)."""
    patients: pd.Index
    codes: pd.Series
    """Distinct normalised codes, sorted (str, index 0..n-1)."""


def encode_diagnoses(diagnoses: pd.DataFrame, patients: pd.Index | None = None) -> CodedDiagnoses:
    """`Panel.diagnoses` (`patient_id`, `code`) as `CodedDiagnoses`.

    `patients` is the panel's patient index; rows of other patients and blank codes are left
    out. Without it, the distinct patient ids (sorted) are used.
    """
    if patients is None:
        patient, uniques = pd.factorize(diagnoses["patient_id"], sort=True)
        patients = pd.Index(uniques, dtype="str", name="patient_id")
    else:
        patient = positions(diagnoses["patient_id"], patients)
    code, codes = _sorted_codes(diagnoses["code"])
    width = max(len(codes), 1)
    key = np.multiply(patient, width, dtype=_key_type(len(patients) * width))
    key += code
    keep = (patient >= 0) & (code >= 0)
    key = key if keep.all() else key[keep]
    key.sort()  # the distinct keys are all that is kept, so no need for a stable sort
    key = key[first_of_runs(key)]
    patient = key // width
    key -= patient * width
    return CodedDiagnoses(_narrow(patient), _narrow(key), patients, codes)


def _narrow(positions: np.ndarray) -> np.ndarray:
    """Positions as int32 (half the memory of intp for the millions of entries of a panel)."""
    return positions.astype(np.int32, copy=False)


def _key_type(size: int) -> type[np.signedinteger]:
    """The integer type for keys below `size`: int32 (half the memory, faster sorts) when
    they fit."""
    return np.int32 if size < 2**31 else np.int64


def _sorted_codes(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(position of each row's code among the distinct codes, -1 blank; those codes sorted,
    as str). A categorical (`Panel.diagnoses`) is read through its codes, no hashing."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        code, uniques = pd.factorize(column, sort=True)
        return code, pd.Series(uniques, dtype="str")
    row_code = column.cat.codes.to_numpy()
    used = np.sort(pd.unique(row_code))
    used = used[used >= 0]
    names = pd.Series(column.cat.categories[used], dtype="str")
    order = np.argsort(names.to_numpy(), kind="stable")
    if len(used) == len(column.cat.categories) and (order == np.arange(len(used))).all():
        return row_code, names  # every category used, sorted: the codes are the positions
    rank = np.full(len(column.cat.categories) + 1, -1, dtype=np.int32)  # last: blank (-1)
    rank[used[order]] = np.arange(len(used))
    return rank[row_code], names.iloc[order].reset_index(drop=True)


@dataclass(frozen=True)
class CodedEvidence:
    """Catalog evidence as integers: one entry per (patient, category, code), sorted so."""

    patient: np.ndarray
    """Position in `CodedDiagnoses.patients`."""
    category: np.ndarray
    """Position in `categories` (catalog order)."""
    code: np.ndarray
    """Position in `CodedDiagnoses.codes`."""
    categories: tuple[str, ...]
    strict: np.ndarray | None = None
    """Per entry: placed by a CCW chronic-list prefix (bool); None = all."""
    high_risk: np.ndarray | None = None
    """Per entry: placed by a PCM high-risk prefix (bool); None = none."""

    def subset(self, keep: np.ndarray) -> CodedEvidence:
        """The entries where `keep` is True (order kept)."""
        flags = {
            name: None if value is None else value[keep]
            for name, value in (("strict", self.strict), ("high_risk", self.high_risk))
        }
        return CodedEvidence(
            self.patient[keep], self.category[keep], self.code[keep], self.categories, **flags
        )


def coded_evidence(coded: CodedDiagnoses, catalog: pd.DataFrame | None = None) -> CodedEvidence:
    """Every catalog category of each patient's codes, each distinct code classified once."""
    pairs = classify_codes(coded.codes, catalog)  # sorted by category, code: row = rank
    pair_code = pd.Index(coded.codes).get_indexer(pairs["code"])
    by_code = np.argsort(pair_code, kind="stable")
    entry, hit = entry_pairs(coded.code, pair_code[by_code], len(coded.codes))
    width = max(len(pairs), 1)
    key = np.multiply(coded.patient[entry], width, dtype=_key_type(len(coded.patients) * width))
    key += by_code[hit]
    key.sort()  # (patient, pair) are distinct, so no need for a stable sort
    patient = key // width
    key -= patient * width  # the pair's row
    return CodedEvidence(
        _narrow(patient),
        _narrow(pairs["category"].cat.codes.to_numpy()[key]),
        _narrow(pair_code[key]),
        tuple(pairs["category"].cat.categories),
        strict=pairs["strict"].to_numpy(dtype=bool)[key],
        high_risk=pairs["high_risk"].to_numpy(dtype=bool)[key],
    )


@functools.cache
def load_excludes1() -> pd.DataFrame:
    """ICD-10-CM Excludes1 pairs between catalog categories (`scripts/build_icd10cm.py`):
    `code_prefix`, `excluded_prefix` (no dots), `note_on` (tabular entry), `note` (its text)."""
    return read_data_csv(EXCLUDES1_FILE, dtype="str", keep_default_na=False)


def excludes1_links(coded: CodedDiagnoses, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per patient, the code pairs an Excludes1 note says never describe two conditions.

    Columns `patient`, `code`, `other` (positions in `coded`), `pair` (row of `pairs`, default
    `load_excludes1()`). Only the distinct codes are matched against the pairs' prefixes.
    """
    pairs = load_excludes1() if pairs is None else pairs
    width = max(len(pairs), 1)
    sides = []
    for column in ("code_prefix", "excluded_prefix"):
        hits = prefix_matches(coded.codes, pairs[column].reset_index(drop=True))
        hits = hits.sort_values("code", kind="stable")
        entry, hit = entry_pairs(coded.code, hits["code"].to_numpy(), len(coded.codes))
        key = coded.patient[entry].astype(np.int64) * width + hits["prefix"].to_numpy()[hit]
        sides.append(pd.DataFrame({"key": key, "code": coded.code[entry]}))
    left = sides[0][pd.Index(sides[0]["key"]).isin(sides[1]["key"])]  # few: a cheap merge
    links = left.merge(sides[1].rename(columns={"code": "other"}), on="key")
    key = links["key"].to_numpy()
    return pd.DataFrame(
        {
            "patient": key // width,
            "code": links["code"].to_numpy(),
            "other": links["other"].to_numpy(),
            "pair": key % width,
        }  # fmt: skip
    )


def condition_groups(evidence: CodedEvidence, links: pd.DataFrame) -> np.ndarray:
    """Per evidence entry, the category it counts as once Excludes1 links are applied.

    A link between codes a and b joins each category of a that b lacks with each category of b
    that a lacks (I13.0 stays hypertension, heart failure and CKD); joined categories take the
    first one's position, transitively. Without links this is `evidence.category`.
    """
    if not len(links):
        return evidence.category
    run = first_of_runs(evidence.patient, evidence.category)
    label = evidence.category[run].astype(np.int64)
    node_of_entry = np.cumsum(run) - 1
    linked = np.isin(evidence.patient, links["patient"].to_numpy(), kind="table")
    if not linked.any():
        return evidence.category
    n_codes = int(max(evidence.code.max(), links[["code", "other"]].to_numpy().max())) + 1
    n_categories = max(len(evidence.categories), 1)
    patient, code = evidence.patient[linked].astype(np.int64), evidence.code[linked]
    category, node = evidence.category[linked], node_of_entry[linked]
    held = pd.Series(node, index=patient * n_codes + code)  # (patient, code) -> nodes
    has_category = np.unique((patient * n_codes + code) * n_categories + category)
    left = links["patient"].to_numpy() * n_codes + links["code"].to_numpy()
    right = links["patient"].to_numpy() * n_codes + links["other"].to_numpy()
    ends = (
        pd.DataFrame({"a": left, "b": right})
        .merge(held.rename("node_a").rename_axis("a").reset_index(), on="a")
        .merge(held.rename("node_b").rename_axis("b").reset_index(), on="b")
    )
    node_category = np.empty(len(label), dtype=np.int64)
    node_category[node_of_entry] = evidence.category
    cat_a = node_category[ends["node_a"].to_numpy()]
    cat_b = node_category[ends["node_b"].to_numpy()]
    a_code, b_code = ends["a"].to_numpy(), ends["b"].to_numpy()
    keep = (cat_a != cat_b) & ~np.isin(b_code * n_categories + cat_a, has_category)
    keep &= ~np.isin(a_code * n_categories + cat_b, has_category)
    a, b = ends["node_a"].to_numpy()[keep], ends["node_b"].to_numpy()[keep]
    changed = len(a) > 0
    while changed:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        changed = bool((label != before).any())
    return np.asarray(label[node_of_entry], dtype=np.intp)


def group_counts(evidence: CodedEvidence, groups: np.ndarray, patients: int) -> np.ndarray:
    """Distinct condition groups per patient position (int64)."""
    own = first_of_runs(evidence.patient, evidence.category) & (groups == evidence.category)
    return np.bincount(evidence.patient[own], minlength=patients)  # one per group: its lowest


def catalog_evidence(diagnoses: pd.DataFrame, catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long frame `patient_id, category, code`: every catalog category of each patient's codes.

    `diagnoses` is `Panel.diagnoses` (`patient_id`, normalised `code`). A code in two categories
    gives two rows; repeated (patient, code) rows count once. Sorted by patient, category, code.
    """
    coded = encode_diagnoses(diagnoses)
    return evidence_frame(coded, coded_evidence(coded, catalog))


def evidence_frame(coded: CodedDiagnoses, evidence: CodedEvidence) -> pd.DataFrame:
    """`CodedEvidence` as the long frame `patient_id` (categorical, its categories the
    patients), `category` (categorical in catalog order), `code` (categorical, the codes
    sorted): integer codes, not millions of strings."""
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(
                evidence.patient, categories=pd.Index(coded.patients, dtype="str")
            ),
            "category": pd.Categorical.from_codes(evidence.category, evidence.categories),
            "code": pd.Categorical.from_codes(
                evidence.code, categories=pd.Index(coded.codes, dtype="str")
            ),
        }
    )


def dotted(codes: pd.Series) -> pd.Series:
    """`E119` -> `E11.9` (ICD-10-CM writes the dot after the third character)."""
    head, tail = codes.str.slice(0, 3), codes.str.slice(3)
    return head + tail.where(tail == "", "." + tail)


@functools.cache
def load_ccir() -> pd.Series:
    """CCIR value per code (int8: 1 chronic, 0 not chronic, 9 no determination), index `code`."""
    table = read_data_csv(CCIR_FILE, dtype={"code": "str", "indicator": "int8"})
    return table.set_index("code")["indicator"]


@functools.cache
def _ccir_by_prefix() -> pd.Series:
    """Value each prefix (3+ characters) takes from itself and its listed descendants.

    The common 0/1 value when those agree, 9 when all are 9, -1 when they disagree.
    """
    ccir = load_ccir()
    codes = pd.Series(ccir.index, dtype="str")
    known = pd.Series(ccir.to_numpy(), dtype="float64").where(ccir.to_numpy() != 9)
    frames = [
        pd.DataFrame({"prefix": codes.str.slice(0, length), "known": known})[
            codes.str.len() >= length
        ]
        for length in range(3, int(codes.str.len().max()) + 1)
    ]
    spread = pd.concat(frames).groupby("prefix")["known"].agg(["min", "max"])
    value = np.select(
        [spread["min"].isna(), spread["min"] == spread["max"]],
        [CCIR_NO_DETERMINATION, spread["min"].fillna(0)],
        _CCIR_DISAGREE,
    )
    return pd.Series(value.astype("int8"), index=spread.index)


def lookup_ccir(codes: Iterable[str] | pd.Series) -> pd.DataFrame:
    """CCIR value of each distinct normalised code: columns `code`, `indicator`, `inferred`.

    `indicator` is Int8: 1, 0 or 9 from the table, or inferred from the nearest ancestor that
    agrees (`inferred` True); NA when CCIR cannot place the code (unknown, never "not chronic").
    """
    unique = _distinct(codes)
    exact = unique.map(load_ccir()).astype("Int8")
    value = exact.copy()
    pending = exact.isna().to_numpy().copy()
    by_prefix = _ccir_by_prefix()
    lengths = unique.str.len()
    for length in range(int(lengths.max()) if len(unique) else 0, 2, -1):
        candidates = pending & (lengths >= length).to_numpy()
        if not candidates.any():
            continue
        found = unique[candidates].str.slice(0, length).map(by_prefix).dropna()
        value[found.index] = found.astype("int8")
        pending[found.index] = False
    value = value.mask(value == _CCIR_DISAGREE)
    return pd.DataFrame(
        {"code": unique, "indicator": value, "inferred": exact.isna() & value.notna()}
    )


def broad_blocks(coded: CodedDiagnoses) -> tuple[np.ndarray, np.ndarray, pd.Index, pd.DataFrame]:
    """CCIR view of coded diagnoses: (patient position and block position of each distinct
    chronic (patient, 3-character block), the blocks, and the unknown codes frame).

    The unknown codes frame has columns `value` (code) and `count` (patients), most frequent
    first, for the data-quality section.
    """
    ccir = lookup_ccir(coded.codes)
    chronic = (ccir["indicator"] == CCIR_CHRONIC).to_numpy(dtype=bool, na_value=False)
    block, blocks = pd.factorize(coded.codes.str.slice(0, 3))  # ascending, as the codes are
    rows = chronic[coded.code]
    patient, block = coded.patient[rows], block[coded.code[rows]]  # sorted by patient, block
    first = first_of_runs(patient, block)
    unknown = ccir["indicator"].isna().to_numpy()
    patients = np.bincount(coded.code[unknown[coded.code]], minlength=len(coded.codes))
    frame = pd.DataFrame(
        {"value": coded.codes[unknown].to_numpy(), "count": patients[unknown].astype(np.int64)}
    ).astype({"value": "str"})
    frame = frame.sort_values(["count", "value"], ascending=[False, True]).reset_index(drop=True)
    return patient[first], block[first], pd.Index(blocks), frame


def broad_counts(coded: CodedDiagnoses) -> tuple[np.ndarray, pd.DataFrame]:
    """CCIR view of coded diagnoses: (broad count per patient position, unknown codes frame).

    The count is the number of distinct 3-character categories of codes CCIR marks chronic;
    the unknown codes frame is `broad_blocks`'.
    """
    patient, _, _, unknown = broad_blocks(coded)
    return np.bincount(patient, minlength=len(coded.patients)).astype(np.int64), unknown


def broad_classification(diagnoses: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """CCIR view of `Panel.diagnoses`: (broad count per patient, codes CCIR cannot place).

    The count (int) is the number of distinct 3-character categories of codes CCIR marks chronic;
    only patients with one appear (reindex with 0). The unknown codes frame: see `broad_counts`.
    """
    coded = encode_diagnoses(diagnoses)
    counts, unknown = broad_counts(coded)
    series = pd.Series(counts, index=coded.patients, dtype="int64")
    return series[series > 0], unknown
