"""Cell values of a panel export: dates, yes/no flags, counts and sex, parsed column-wise.

Every parser takes a column of cell text (str, NA for a blank cell) and returns a typed column
on the same index, NA where a cell cannot be read (the caller counts those cells). Dates accept
the common export formats and Excel serial numbers; birth dates are also checked against today
(not in the future, at most `MAX_AGE_YEARS` years ago). Panel text kept as a data-quality
example is shortened by `short_text` to `EXAMPLE_CHARS` characters (docs/outputs.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccm_assess.intake.coded import distinct, per_value, spread
from ccm_assess.intake.sources import INVISIBLE

_TRUE = ["y", "yes", "1", "true", "t", "x", "✓", "✔", "checked", "deceased", "expired", "dead",
         "hospice", "in hospice", "enrolled", "sí", "si", "s", "verdadero", "cierto",
         "fallecido", "fallecida"]  # fmt: skip
_FALSE = ["n", "no", "0", "false", "f", "alive", "living", "not deceased", "none", "falso",
          "vivo", "viva"]  # fmt: skip
_MARKS = ["x", "✓", "✔", "*"]
"""Yes/no words, compared case-insensitively; a column of nothing but marks reads blank as no."""
_DATE_FORMATS = (
    "%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d", "%m-%d-%Y", "%m-%d-%y", "%Y%m%d",
    "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%b %d %Y", "%B %d %Y", "%m.%d.%Y",
)  # fmt: skip
_TWO_DIGIT_YEAR = frozenset({"%m/%d/%y", "%m-%d-%y", "%d-%b-%y"})
_TIME_OF_DAY = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MAX_AGE_YEARS = 120
EARLIEST_DATE, LATEST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")
"""Dates outside these are sentinels ("no date" values such as 9999-12-31 or 0001-01-01):
unknown, counted in data quality, never a crash."""
MAX_COUNT = 100_000
"""Largest count a cell may hold (admissions, ER visits a year); above it, or inf, the cell is
unknown and counted."""
EXAMPLE_CHARS = 20
"""Longest panel text a data-quality example may show; longer text is cut (docs/outputs.md:
no free text from the panel in the report)."""


def short_text(values: pd.Series, limit: int = EXAMPLE_CHARS) -> pd.Series:
    """Panel text fit to be a data-quality example: control and invisible characters dropped,
    each run of white space one space, and cut to `limit` characters (the last one `…`), so a
    name or note typed into a code, payer or date cell never reaches a report whole."""
    text = values.astype("str").str.replace(INVISIBLE, "", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    cut = text.str.len().gt(limit).fillna(False).astype(bool)
    return text.mask(cut, text.str.slice(0, limit - 1) + "…")


CODE_SHAPED = r"[A-Za-z]\d[0-9A-Za-z](?:\.?[0-9A-Za-z]{1,4})?|[VvEe]?\d{2,3}(?:\.\d{1,2})?"
"""A token shaped like an ICD-10 or ICD-9 code (`E11.9`, `E119`, `250.00`, `V58.67`): the only
panel text a message or a non-PHI output may quote; it cannot name or identify a patient.
Bounded quantifiers, no nesting (linear on any input)."""
NOT_SHOWN = "(text not shown)"
"""Stands for a panel value that is not code-shaped, in examples and data-quality lists."""


def code_shaped(values: pd.Series) -> pd.Series:
    """True where a value is a code-shaped token (`CODE_SHAPED`), after trimming; bool."""
    text = values.astype("str").str.strip()
    return text.str.len().le(8).fillna(False) & text.str.fullmatch(CODE_SHAPED).fillna(False)


def shown_values(values: pd.Series) -> pd.Series:
    """Panel values as a non-PHI output may show them: code-shaped tokens as written,
    anything else `NOT_SHOWN` (a name, a member id, a date, a note)."""
    return values.astype(object).where(code_shaped(values).to_numpy(dtype=bool), NOT_SHOWN)


def examples(values: pd.Series, limit: int = 3) -> str:
    """Up to `limit` distinct code-shaped values (`shown_values`), comma-separated; other text
    is only said to exist, never quoted."""
    distinct_values = short_text(values.drop_duplicates()).drop_duplicates()
    shown = shown_values(distinct_values).drop_duplicates()
    return ", ".join(shown.head(limit)) or NOT_SHOWN


def short_counts(values: pd.Series) -> pd.DataFrame:
    """`value`, `count` of the values, shortened (`short_text`): most frequent first."""
    counts = values.value_counts()
    counts = counts[counts > 0]  # a categorical's categories no value holds
    return shorten_counts(counts.rename_axis("value").reset_index(name="count"))


def shorten_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """A `value`, `count` frame with `short_text` values; values that shorten alike merge."""
    short = counts.assign(value=short_text(counts["value"]))
    merged = short.groupby("value", sort=False)["count"].sum().astype("int64").reset_index()
    return merged.sort_values(["count", "value"], ascending=[False, True], ignore_index=True)


def parse_dates(
    text: pd.Series, *, birth: bool = False, today: pd.Timestamp | None = None
) -> tuple[pd.Series, pd.Series]:
    """Date cells -> (`datetime64[ns]` Series, problem per cell: "" or a reason for a null).

    Accepts ISO, `MM/DD/YYYY`, `M/D/YY`, `YYYYMMDD`, `15-Jan-2024`, `Jan 15, 2024`, a time of
    day after the date, and Excel serial numbers (up to 5 digits, not a bare year 1900-2100).
    Birth dates: a two-digit year that lands in the future goes back a century; a birth date in
    the future or more than `MAX_AGE_YEARS` before `today` is invalid (null, with its problem).
    """
    today = (today or pd.Timestamp.today()).normalize()
    codes, raw = distinct(text)
    clean = raw.str.replace(_TIME_OF_DAY, "", regex=True).str.replace(",", " ", regex=False)
    clean = clean.str.split().str.join(" ")
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    two_digit = pd.Series(False, index=raw.index)
    problem_dates = pd.Series(False, index=raw.index)
    for fmt in _DATE_FORMATS:
        todo = parsed.isna()
        if not todo.any():
            break
        found = pd.to_datetime(clean[todo], format=fmt, errors="coerce")
        sentinel = found.notna() & ~found.between(EARLIEST_DATE, LATEST_DATE)
        problem_dates |= sentinel.reindex(raw.index, fill_value=False)
        found = found.mask(sentinel)
        parsed = parsed.fillna(found.astype("datetime64[ns]"))
        if fmt in _TWO_DIGIT_YEAR:
            two_digit |= found.notna().reindex(raw.index, fill_value=False)
    number = pd.to_numeric(clean.where(clean.str.fullmatch(r"\d{1,5}(?:\.\d+)?")), errors="coerce")
    serial = parsed.isna() & number.between(1, 99999) & ~number.between(1900, 2100)
    parsed = parsed.mask(serial, _EXCEL_EPOCH + pd.to_timedelta(number.where(serial), unit="D"))
    parsed = parsed.dt.normalize()
    problem = pd.Series(np.where(parsed.isna(), "unparseable", ""), index=raw.index, dtype="str")
    problem = problem.mask(problem_dates & parsed.isna(), "out of range (a no-date value)")
    if birth:
        parsed = parsed.mask(two_digit & parsed.gt(today), parsed - pd.DateOffset(years=100))
        future = parsed.gt(today)
        old = parsed.lt(today - pd.DateOffset(years=MAX_AGE_YEARS))
        problem = problem.mask(future, "in the future").mask(old, "more than 120 years ago")
        parsed = parsed.mask(future | old)
    out = spread(pd.DataFrame({"date": parsed, "problem": problem}), codes, text.index, np.nan)
    return out["date"], out["problem"].fillna("")


def parse_booleans(text: pd.Series) -> pd.Series:
    """Yes/no cells -> nullable boolean. Y/N, Yes/No, 1/0, True/False, X (and ✓), and the
    Spanish forms (Sí/Si/S/No, verdadero/falso, fallecido/vivo); a column whose
    filled cells are all marks (`X`) reads blank as False, otherwise blank is NA. Unrecognised
    text -> NA (the caller counts it)."""
    codes, raw = distinct(text)  # per distinct value: 2 M cells hold a few spellings
    lower = raw.str.casefold()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out = out.mask(lower.isin(_TRUE), True).mask(lower.isin(_FALSE), False)
    marks_only = len(lower) > 0 and bool(lower.isin(_MARKS).all())
    return spread(out, codes, text.index, False if marks_only else pd.NA).rename(text.name)


def parse_counts(text: pd.Series) -> pd.Series:
    """Count cells -> `Int64`; negative, fractional, non-numeric, infinite or above
    `MAX_COUNT` -> NA. Read once per distinct value."""

    def counts(values: pd.Series) -> pd.Series:
        number = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
        number = number.astype("float64")
        whole = number.notna() & number.between(0, MAX_COUNT) & number.eq(number.round())
        return number.where(whole).astype("Int64")

    return per_value(text, counts).astype("Int64")


def normalise_sex(text: pd.Series) -> pd.Series:
    """Sex cells -> `F`/`M` when recognisable (female, woman, w / male, man), else as written."""
    codes, raw = distinct(text)
    lower = raw.str.casefold()
    sex = raw.mask(lower.isin({"f", "female", "w", "woman"}), "F").mask(
        lower.isin({"m", "male", "man"}), "M"
    )
    return spread(sex, codes, text.index, np.nan).rename(text.name)


_CLOCK = r"(?P<h>\d{1,3}):(?P<m>[0-5]?\d)(?::(?P<s>[0-5]?\d(?:\.\d+)?))?"
_WORDS = (
    r"(?=\d)(?:(?P<wh>\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?\.?)?\s*,?\s*"
    r"(?:(?P<wm>\d+(?:\.\d+)?)\s*m(?:in(?:ute)?s?)?\.?)?\s*,?\s*"
    r"(?:(?P<ws>\d+(?:\.\d+)?)\s*s(?:ec(?:ond)?s?)?\.?)?"
)
"""`h:mm`, `h:mm:ss` (`00:22:41`); `22m`, `22 min`, `1h 5m`, `1 hr 5 mins`, `12m 30s`. Bounded
quantifiers, no nesting (linear on any input)."""


def parse_minutes(text: pd.Series) -> pd.Series:
    """Duration cells -> minutes (float, NA where unreadable): a plain number is minutes
    (`25`, `22.5`, `1,200`; a negative one stays negative, for the caller to reject); `h:mm`
    and `h:mm:ss` are clock durations (`0:25` is 25 minutes, `00:22:41` is 22.68); `22m`,
    `1h 5m`, `1 hr 5 min`, `12m 30s` are spelled out."""
    codes, raw = distinct(text)
    clean = raw.str.strip().str.casefold().str.replace(",", "", regex=False)
    plain = pd.to_numeric(clean.where(clean.str.fullmatch(r"-?\d+(?:\.\d+)?")), errors="coerce")
    clock = clean.str.extract(rf"^{_CLOCK}$").astype(float)
    clock_minutes = clock["h"] * 60 + clock["m"] + clock["s"].fillna(0) / 60
    words = clean.str.extract(rf"^{_WORDS}$").astype(float)
    spelled = words.notna().any(axis=1) & clean.str.contains(r"[hms]", regex=True)
    word_minutes = words["wh"].fillna(0) * 60 + words["wm"].fillna(0) + words["ws"].fillna(0) / 60
    minutes = plain.fillna(clock_minutes).fillna(word_minutes.where(spelled))
    return spread(minutes.astype(float), codes, text.index, np.nan).rename(text.name)
