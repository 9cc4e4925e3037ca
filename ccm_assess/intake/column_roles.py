"""Column roles from what the cells hold, when the headers do not decide (docs/reading_exports.md).

`headers.assign_roles` gives roles by header (the alias table) and by the explicit mapping
(`--map`, `--mapping`). `infer_roles` then reads a bounded sample of each column's non-blank
cells (`SAMPLE_ROWS` rows from the top of the table and as many from its middle: the cost does
not grow with the file) and scores it for the roles content can tell apart:

- `diagnosis`: share of cells holding at least one ICD-10-CM code that exists in the CMS code
  set (`codes.code_status`: FY2026 codes and categories, or a retired code), in any form
  `codes.py` reads: alone, in lists, with a description, undotted, lower case;
- `patient_id`: share of cells that look like an identifier (one token with a digit, not a date
  or phone number), times how distinct the values are once consecutive repeats are collapsed
  (a long export repeats the id on each row of a patient);
- `birth_date` / `last_visit_date`: share of cells that are dates between 0 and 120 years ago
  in a column whose median is at least 18 years ago / share of dates in the last 3 years;
- `primary_payer` / `secondary_payer`: share of cells `payers.py` classifies;
- `sex`: share of F/M/female/male/... cells;
- `deceased`, `hospice` (yes/no cells) and `inpatient_admits_12m`, `ed_visits_12m` (small whole
  numbers): only with a hint in the header (`hosp`, `deceas`, `ed`/`er`, `ip`/`admit`), since
  the cells alone cannot say which flag or count a column is.

Decisions: the explicit mapping always wins, then a header the alias table knows, then content.
Any column (whatever its header) where at least `CODE_SHARE` of the sampled cells hold codes
joins `diagnosis` (an alias for another role gives way only at `STRONG_SHARE` and with two or
more distinct codes: a `Site` column of `C01` is a site); when the
mapping names the diagnosis columns, a code column it leaves out is an error, not a guess.
A role missing by header goes to the column scoring highest at or above `ROLE_SHARE`; when a
runner-up is within `CLOSE` the choice is reported in a note, and scores between `WEAK_SHARE`
and `ROLE_SHARE` are reported as possible roles, never used. Fewer than `MIN_CELLS` filled
cells are too few to give a column any role but `diagnosis` (a code column is read however
sparse; a column with too few filled cells in the sample is read from its first filled cells
anywhere). No cell content ever appears in a note.

Longer than 400 lines because every role's content score and the decision rules above share one
bounded sample profile and its thresholds, and `check` shows the same per-column views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccm_assess.errors import PanelError
from ccm_assess.intake.codes import code_status, parse_code_cells
from ccm_assess.intake.headers import column_letter, header_key, unheaded_after
from ccm_assess.intake.payers import payer_class
from ccm_assess.intake.sources import SCAN_ROWS, listing
from ccm_assess.intake.values import parse_booleans, parse_counts, parse_dates

SAMPLE_ROWS = 1_000
"""Rows read from the top of the table and again from its middle (2,000 cells per column)."""
MIN_CELLS = 5
CODE_SHARE = 0.5
"""Share of a column's sampled cells holding ICD-10-CM codes that makes it a diagnosis column."""
STRONG_SHARE = 0.8
ROLE_SHARE = 0.8
WEAK_SHARE = 0.3
CLOSE = 0.1
_MISFIT = 0.25
"""Factor on a date column's share when its dates are of the wrong age for the role (weaker
than `WEAK_SHARE`, so never even reported as possible)."""
FOUND_BY = ("map", "header", "content")

CONTENT_ROLES: tuple[str, ...] = (
    "diagnosis",
    "patient_id",
    "birth_date",
    "last_visit_date",
    "primary_payer",
    "secondary_payer",
    "sex",
    "deceased",
    "hospice",
    "inpatient_admits_12m",
    "ed_visits_12m",
)
"""Roles content can decide, in the order they are given out (and break exact ties)."""

_HINTS: dict[str, tuple[str, ...]] = {
    "deceased": ("deceas", "expire", "exp", "decd", "fallec", "dead", "death", "vital"),
    "hospice": ("hospice",),
    "inpatient_admits_12m": ("ip", "inpat", "admi", "hospitali"),
    "ed_visits_12m": ("ed", "er", "emerg"),
}
"""Header fragments (alias keys) that say which flag or count a yes/no or number column is."""
_SEX_WORDS = frozenset({"f", "m", "female", "male", "u", "unknown", "x", "o", "other", "w", "man",
                        "woman", "nonbinary", "non-binary"})  # fmt: skip
_YEAR_DAYS = 365.25


@dataclass(frozen=True)
class ColumnView:
    """How one column was read: what `check` shows and `check --json` carries in `columns`."""

    position: int
    header: str
    """The header as written; "" for a column without one."""
    role: str | None
    """A role as `--map` spells it, `ignore`, or None (not read)."""
    found_by: str | None
    """`map`, `header` or `content`; None when the column was not read."""
    match_share: float | None
    """Share of sampled non-blank cells that fit the role (None: no content test for it)."""
    runner_up: str | None = None
    runner_up_share: float | None = None


@dataclass(frozen=True)
class Inferred:
    """Roles after content inference, how each column's role was found, the content scores of
    each sampled column (position -> role -> share) and notes for the check."""

    roles: dict[str, list[int]]
    found_by: dict[int, str]
    scores: dict[int, dict[str, float]]
    notes: tuple[str, ...]


def sample_rows(body: pd.DataFrame, rows: int = SAMPLE_ROWS) -> pd.DataFrame:
    """The first `rows` rows of the table and `rows` rows from its middle (two contiguous
    blocks, so repeats of a patient's id stay next to each other)."""
    if len(body) <= 2 * rows:
        return body
    middle = len(body) // 2
    return body.iloc[np.r_[:rows, middle : middle + rows]]


def guess_header_row(text: pd.DataFrame) -> int:
    """When no row holds a known header: the first of the first rows as wide as the widest
    (80%; titles and notes are narrower) whose cells are mostly words; -1 if none."""
    head = text.iloc[:SCAN_ROWS]
    filled = head.notna().sum(axis=1).to_numpy()
    if not len(filled) or filled.max() < 2:
        return -1
    for row in np.flatnonzero(filled >= max(2, 0.8 * filled.max())):
        cells = head.iloc[row].dropna()
        if cells.str.contains(r"[A-Za-z]", regex=True).mean() >= 0.8 and row + 1 < len(text):
            return int(row)
    return -1


def _holds_codes(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per cell, whether it holds at least one ICD-10-CM code that exists in the CMS code set;
    per column (level 0 of the index), how many distinct such codes its cells hold."""
    holding = pd.Series(False, index=cells.index)
    maybe = cells[cells.str.contains(r"[A-Za-z][0-9]", regex=True).to_numpy()]
    if maybe.empty:
        return holding, pd.Series(dtype="int64")
    items = parse_code_cells(maybe)
    codes = items["code"].where(items["kind"].eq("icd10"))
    distinct_codes = pd.Series(codes.dropna().unique(), dtype="str")
    exists = distinct_codes[code_status(distinct_codes).ne("unknown").to_numpy()]
    known = codes.isin(exists).to_numpy()
    holding.loc[items.index[known].unique()] = True
    found = items.loc[known, "code"]
    return holding, found.groupby(level=0).nunique()


def _distinct_runs(cells: pd.Series) -> pd.Series:
    """Per column: distinct values over runs of equal consecutive values (1.0 when every run is
    a new value: ids, repeated or not; lower for codes, counts, plan names)."""
    column = cells.index.get_level_values(0)
    starts = cells.ne(cells.shift()).to_numpy() | (column != np.roll(column, 1))
    runs = cells[starts]
    per = runs.groupby(level=0)
    return per.nunique() / per.size()


def _each_run_new(cells: pd.Series) -> bool:
    """Whether every run of equal consecutive cells is a value not seen before: ids (`F900`,
    `R203` look like codes), while the codes of a diagnosis column recur across patients."""
    return bool(cells[cells.ne(cells.shift()).to_numpy()].is_unique)


def _repeats(cells: pd.Series) -> float:
    """Rows per run of equal consecutive values (1 in a wide export; >1 for a long one's id)."""
    return len(cells) / max(int(cells.ne(cells.shift()).sum()), 1)


def _hinted(header: str, role: str) -> bool:
    key = header_key(header)
    return any(key.startswith(h) or h in key and len(h) > 2 for h in _HINTS[role])


def profile_columns(
    cells: Mapping[int, pd.Series], headers: Sequence[str], today: pd.Timestamp
) -> dict[int, tuple[dict[str, float], int]]:
    """Per column position: role -> share of its non-blank `cells` that fit the role (module
    docstring), and the number of distinct ICD-10-CM codes they hold. Every test runs once
    over the cells of all columns together (a pattern costs the same for 2 or 20 columns)."""
    if not cells:
        return {}
    every = pd.concat(dict(cells), names=["column", "row"])
    column = every.index.get_level_values(0)
    holding, distinct_codes = _holds_codes(every)
    digits = every.str.contains(r"[0-9]", regex=True).fillna(False).astype(bool)
    plain_number = every.str.fullmatch(r"[0-9]{1,7}(?:\.[0-9]+)?").fillna(False).astype(bool)
    datelike = digits & ~plain_number & ~holding  # ids, serial numbers and codes are not dates
    dates, _ = parse_dates(every.where(datelike))
    age = (today - dates).dt.days / _YEAR_DAYS
    no_space = ~every.str.contains(r"\s", regex=True).fillna(True).astype(bool)
    phone_digits = every.str.replace(r"[^0-9]", "", regex=True).str.len()
    phone = phone_digits.between(10, 11) & every.str.contains(r"[-().]", regex=True)
    id_like = every.str.len().between(1, 30) & no_space & digits & dates.isna() & ~holding
    id_like &= ~phone.fillna(False).astype(bool)
    few_values = every.groupby(level=0).nunique() <= np.maximum(
        50, every.groupby(level=0).size() // 2
    )
    worded = ~digits.groupby(level=0).all() & few_values
    texts = every[worded.reindex(column).to_numpy()]
    payer = pd.Series(False, index=every.index)
    if len(texts):
        payer.loc[texts.index] = payer_class(texts).ne("unknown").to_numpy()
    folded = every.str.casefold()
    female_male = folded.isin(["f", "m", "female", "male"]).groupby(level=0).any()
    sex = folded.isin(_SEX_WORDS) & (worded & female_male).reindex(column).to_numpy()
    flags = parse_booleans(every).notna()
    counts = parse_counts(every)
    small = counts.notna() & counts.le(366)
    share = (
        pd.DataFrame(
            {
                "diagnosis": holding,
                "id_like": id_like,
                "in_life": age.between(0, 120),
                "recent": age.between(-30 / _YEAR_DAYS, 3),
                "dated": dates.notna(),
                "payer": payer,
                "sex": sex,
                "flags": flags,
                "small": small,
            }
        )
        .astype(float)
        .groupby(level=0)
        .mean()
    )
    median_age = age.groupby(level=0).median()
    distinct = _distinct_runs(every)
    out = {}
    for p in cells:
        row = share.loc[p]
        scores = dict.fromkeys(CONTENT_ROLES, 0.0)
        scores["diagnosis"] = float(row["diagnosis"])
        if row["diagnosis"] < STRONG_SHARE:
            if row["dated"] >= 0.5:
                old, young = median_age[p] >= 18, median_age[p] <= 2
                scores["birth_date"] = float(row["in_life"] * (1 if old else _MISFIT))
                scores["last_visit_date"] = float(row["recent"] * (1 if young else _MISFIT))
            scores["patient_id"] = float(row["id_like"] * distinct[p])
            scores["primary_payer"] = scores["secondary_payer"] = float(row["payer"])
            scores["sex"] = float(row["sex"])
            for role in ("deceased", "hospice"):
                scores[role] = float(row["flags"]) if _hinted(headers[p], role) else 0.0
            for role in ("inpatient_admits_12m", "ed_visits_12m"):
                scores[role] = float(row["small"]) if _hinted(headers[p], role) else 0.0
        out[p] = (scores, int(distinct_codes.get(p, 0)))
    return out


_SIBLINGS = {"primary_payer": "secondary_payer", "secondary_payer": "primary_payer"}
"""Roles scored alike: never each other's runner-up."""


def _best(scores: Mapping[str, float], exclude: str | None = None) -> tuple[str | None, float]:
    """The best-scoring role other than `exclude` (and its sibling), with its share."""
    skip = {exclude, _SIBLINGS.get(exclude or "")}
    ranked = sorted(
        ((s, -CONTENT_ROLES.index(r), r) for r, s in scores.items() if r not in skip), reverse=True
    )
    return (ranked[0][2], ranked[0][0]) if ranked and ranked[0][0] > 0 else (None, 0.0)


def _percent(share: float) -> str:
    return f"{share:.0%}"


def infer_roles(
    body: pd.DataFrame,
    headers: Sequence[str],
    roles: Mapping[str, list[int]],
    mapped: Sequence[str],
    today: pd.Timestamp | None = None,
) -> Inferred:
    """Roles by header and mapping (`roles`, from `headers.assign_roles`) completed from the
    cells of `body` (the rows below the header, columns by position), per the module
    docstring. `mapped`: the roles the explicit mapping named. Raises `PanelError` when a
    column holding codes is left out by a mapping that names the diagnosis columns."""
    today = (today or pd.Timestamp.today()).normalize()
    labels = [h or f"(column {column_letter(p)}, no header)" for p, h in enumerate(headers)]
    sample = sample_rows(body)
    cells = {p: sample[p].dropna().astype("str") for p in range(len(headers)) if p in sample}
    for p, filled in cells.items():  # a sparse column: its first filled cells, wherever they are
        if len(filled) < MIN_CELLS and len(body) > len(sample):
            cells[p] = body[p].dropna().iloc[: 2 * SAMPLE_ROWS].astype("str")
    profiles = profile_columns({p: c for p, c in cells.items() if len(c)}, headers, today)
    scores = {p: found for p, (found, _) in profiles.items()}
    distinct_codes = {p: n for p, (_, n) in profiles.items()}
    roles = {role: list(positions) for role, positions in roles.items()}
    found = {p: ("map" if r in mapped else "header") for r, ps in roles.items() for p in ps}
    role_of = {p: r for r, ps in roles.items() for p in ps}
    notes: list[str] = []
    unread: list[int] = []
    neighbours = set(unheaded_after(roles.get("diagnosis", []), list(headers)))
    for p, score in scores.items():
        if p in neighbours:
            continue  # read with the diagnosis column before it (`headers.unheaded_after`)
        share = score["diagnosis"]
        if share < CODE_SHARE or role_of.get(p) == "diagnosis":
            continue
        if found.get(p) == "map":
            continue  # the mapping gave it another role (or `ignore`) on purpose
        if "diagnosis" in mapped:
            unread.append(p)
            continue
        if p in role_of:
            own = score.get(role_of[p], 0.0)
            if (
                share < STRONG_SHARE
                or own >= share
                or distinct_codes.get(p, 0) < 2
                or (role_of[p] == "patient_id" and _each_run_new(cells[p]))
            ):
                notes.append(
                    f"column '{labels[p]}' is read as {role_of[p]} (its header) but "
                    f"{_percent(share)} of its cells hold ICD-10-CM codes; pass --map "
                    f"diagnosis=<header> for each code column if they are diagnoses"
                )
                continue
            roles[role_of[p]].remove(p)
            notes.append(
                f"column '{labels[p]}' has a {role_of[p]} header but holds ICD-10-CM codes "
                f"({_percent(share)} of its cells): read as diagnoses"
            )
        roles.setdefault("diagnosis", []).append(p)
        role_of[p], found[p] = "diagnosis", "content"
    if unread:
        raise PanelError(
            f"column(s) {listing([labels[p] for p in unread])} hold ICD-10-CM codes but the "
            "mapping leaves them out, so their codes would be lost; add --map "
            "diagnosis=<header> for each column with codes (repeat --map), or --map "
            "ignore=<header> to leave one out on purpose"
        )
    known = per_patient_columns(roles, scores)
    notes += _drop_constant_id(roles, found, role_of, cells, known, labels)
    maybe: list[tuple[int, str, float]] = []
    for role in CONTENT_ROLES[1:]:
        if roles.get(role):
            continue
        free = {
            p: s[role]
            for p, s in scores.items()
            if p not in role_of and headers[p] and len(cells[p]) >= MIN_CELLS
        }
        if role == "patient_id":
            free = {p: s for p, s in free.items() if varies_enough(cells[p], cells, known)}
        ranked = sorted(free.items(), key=lambda item: (-item[1], item[0]))
        if role == "patient_id":  # ids repeated row after row: the patient of a long export
            ranked.sort(key=lambda item: (-round(item[1], 1), -_repeats(cells[item[0]])))
        if not ranked or ranked[0][1] < WEAK_SHARE:
            continue
        (best, share), rest = ranked[0], ranked[1:]
        if share < ROLE_SHARE:
            maybe.append((best, role, share))
            continue
        roles[role] = [best]
        role_of[best], found[best] = role, "content"
        close = [p for p, s in rest if s >= share - CLOSE and s >= ROLE_SHARE]
        if close and role != "primary_payer":
            notes.append(
                f"{role}: columns {listing([labels[p] for p in [best, *close]])} fit about as "
                f"well; '{labels[best]}' is used (pass --map {role}=<header> to choose)"
            )
    notes += [
        f"column '{labels[p]}' may be {role} ({_percent(share)} of its cells fit); not used: "
        f"pass --map {role}=<header> to use it"
        for p, role, share in maybe
        if p not in role_of
    ]
    return Inferred(roles, found, scores, tuple(notes))


PER_PATIENT_ROLES = ("birth_date", "name", "last_name", "phone")
"""Roles holding one value per patient: rows hold at least as many patients as such a column
has distinct values among them (two patients may share a birth date; one patient has one)."""
ID_FLOOR_SHARE = 0.5
"""A patient id column needs at least this share of the patients its rows imply (`varies_
enough`): a category (place of service, payer id) has far fewer values, while a few patients
written with two birth dates must not disqualify the real id."""


def per_patient_columns(
    roles: Mapping[str, list[int]], scores: Mapping[int, Mapping[str, float]]
) -> list[int]:
    """Columns holding one value per patient: `PER_PATIENT_ROLES` by header or mapping, or
    birth dates by content."""
    columns = {p for role in PER_PATIENT_ROLES for p in roles.get(role, [])}
    columns |= {p for p, s in scores.items() if s.get("birth_date", 0.0) >= ROLE_SHARE}
    return sorted(columns)


def varies_enough(
    candidate: pd.Series, cells: Mapping[int, pd.Series], known: list[int], *, single: bool = False
) -> bool:
    """Whether a column's sampled cells can be patient ids: more than one distinct value (a
    place of service `11` on every row is no id) and at least `ID_FLOOR_SHARE` of the patients
    that the `known` per-patient columns imply on the same rows. `single`: one value is enough
    when those columns also say one patient (a header-given id of a one-patient file)."""
    distinct_values = int(candidate.nunique())
    rows = candidate.index
    implied = max(
        (_distinct_patients(cells[q][cells[q].index.isin(rows)]) for q in known if q in cells),
        default=0,
    )
    one_patient = single and distinct_values == 1 and implied == 1
    return (distinct_values >= 2 or one_patient) and distinct_values >= ID_FLOOR_SHARE * implied


def _distinct_patients(column: pd.Series) -> int:
    """Distinct values of a per-patient column, dates compared as dates (`1/1/2000`,
    `2000-01-01` and serial `36526` are one birth date, not three patients)."""
    dates, _ = parse_dates(column)
    return int(dates.nunique() if dates.notna().mean() >= 0.5 else column.nunique())


def _drop_constant_id(
    roles: dict[str, list[int]],
    found: dict[int, str],
    role_of: dict[int, str],
    cells: Mapping[int, pd.Series],
    known: list[int],
    labels: Sequence[str],
) -> list[str]:
    """A patient id taken from its header that cannot be one (`varies_enough`) gives way to
    content inference; the note says why. A mapped id is kept (the user chose it)."""
    positions = roles.get("patient_id", [])
    if not positions or found.get(positions[0]) != "header":
        return []
    p = positions[0]
    sample = cells.get(p)
    if (
        sample is None
        or len(sample) < MIN_CELLS
        or varies_enough(sample, cells, known, single=True)
    ):
        return []
    del roles["patient_id"], role_of[p], found[p]
    return [
        f"column '{labels[p]}' has a patient id header but too few distinct values for the "
        "patients in the file (a constant or a category): not used as the patient id"
    ]


def column_views(
    headers: Sequence[str],
    roles: Mapping[str, Sequence[int]],
    inferred: Inferred,
) -> tuple[ColumnView, ...]:
    """One view per column with a header, a role or sampled cells, for the roles finally
    used (`roles`: a column without a header read with the diagnosis column before it counts
    as found by header; one set aside as holding no codes has no role)."""
    role_of = {p: r for r, ps in roles.items() for p in ps}
    return tuple(
        _view(
            p,
            headers[p],
            role_of.get(p),
            inferred.found_by.get(p, "header") if p in role_of else None,
            inferred.scores.get(p),
        )
        for p in range(len(headers))
        if headers[p] or p in role_of or p in inferred.scores
    )


def _view(
    position: int,
    header: str,
    role: str | None,
    found_by: str | None,
    scores: Mapping[str, float] | None,
) -> ColumnView:
    """One column's view: its role's share and the closest other role when it is close."""
    if scores is None:
        return ColumnView(position, header, role, found_by, None)
    share = scores.get(role) if role else None
    other, other_share = _best(scores, exclude=role)
    if role is None and share is None:
        close = other is not None and other_share >= WEAK_SHARE
    else:
        close = other is not None and share is not None and other_share >= share - CLOSE
        close = close and other_share >= WEAK_SHARE
    return ColumnView(
        position,
        header,
        role,
        found_by,
        None if share is None else round(float(share), 3),
        other if close else None,
        round(float(other_share), 3) if close else None,
    )


def column_records(views: Sequence[ColumnView]) -> list[dict[str, object]]:
    """`check --json` `columns`: one entry per column, `header`, `role`, `found_by`,
    `match_share` (and the runner-up when it was close)."""
    records = []
    for view in views:
        record: dict[str, object] = {
            "header": view.header,
            "column": column_letter(view.position),
            "role": view.role,
            "found_by": view.found_by,
            "match_share": view.match_share,
        }
        if view.runner_up:
            record["runner_up"] = {"role": view.runner_up, "match_share": view.runner_up_share}
        records.append(record)
    return records
