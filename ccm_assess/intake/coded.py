"""Text columns as integer codes into their distinct values (docs/scale.md).

A panel export of a million patients has eight million rows but a few thousand distinct codes,
dates, payers and providers. The reader keeps every column of the raw grid as a pandas
categorical (int32 codes into the distinct texts, in order of first appearance) and does every
text operation once per distinct value, taking the result to the rows by position. pandas'
own string methods on a categorical column run over every row; the functions here never do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Position of each value among the distinct values (-1 for NA), and the distinct values
    as a `str` Series, in order of first appearance: work on the distinct values, then
    `spread` the result back. A categorical column gives its own codes (no hashing); its
    categories no row holds are left out."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        categories = values.cat.categories
        present = np.zeros(len(categories) + 1, dtype=bool)
        present[codes] = True  # a blank (-1) marks the extra last slot
        present = present[:-1]
        if not present.all():
            position = np.append(np.cumsum(present) - 1, -1)
            codes = position[codes]
            categories = categories[present]
        return codes.astype(np.int32, copy=False), pd.Series(categories.array, dtype="str")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype="str")


def spread(
    results: pd.DataFrame | pd.Series, codes: np.ndarray, index: pd.Index, fill: object
) -> pd.DataFrame | pd.Series:
    """Results computed per distinct value -> one per original value (`fill` where it was NA)."""
    padded = pd.concat([results, results.iloc[:1]]) if len(results) else results.reindex([0])
    taken = padded.take(np.where(codes < 0, len(results), codes))
    if (codes < 0).any():
        taken.iloc[codes < 0] = fill
    return taken.set_axis(index)


def per_value(column: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`function` (text `str` Series -> Series on its index) applied once per distinct value
    of `column` and spread to its rows; NA where the cell is blank."""
    codes, values = distinct(column)
    return spread(function(values), codes, column.index, pd.NA)


def flag_values(column: pd.Series, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """`test` (text `str` Series -> bool Series) applied once per distinct value of `column`,
    per row (False where the cell is blank)."""
    codes, values = distinct(column)
    flags = np.append(test(values).fillna(False).to_numpy(dtype=bool), False)
    per_row: np.ndarray = flags[codes]
    return per_row


def categorical(codes: np.ndarray, values: pd.Series | pd.Index, index: pd.Index) -> pd.Series:
    """A categorical `str` column from int codes (-1: blank) into distinct `values`."""
    categories = pd.CategoricalDtype(pd.Index(values, dtype="str"))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=categories), index=index, copy=False)


def recode(column: pd.Series, clean: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """A categorical column with `clean` (distinct texts -> texts, NA for blank) applied to its
    categories; categories that clean alike merge. Any other column is made categorical."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        text = clean(column)
        codes, values = pd.factorize(text, use_na_sentinel=True)
        return categorical(codes, values, column.index)
    categories = pd.Series(column.cat.categories.array, dtype="str")
    cleaned = clean(categories)
    if cleaned is categories:  # already clean (`clean` gave its input back): no second hashing
        return column
    inner, values = pd.factorize(cleaned, use_na_sentinel=True)
    return categorical(np.append(inner, -1)[column.cat.codes.to_numpy()], values, column.index)


def filled_cells(frame: pd.DataFrame) -> np.ndarray:
    """Which cells of a frame of categorical columns are filled, read from the codes: one row
    per column (columns x rows, bool), so that per-row counts add whole columns."""
    return np.stack(
        [frame[c].cat.codes.to_numpy() >= 0 for c in frame.columns]
        or [np.zeros(len(frame), dtype=bool)]
    )


def dictionary_column(column: pa.ChunkedArray) -> pd.Series:
    """An Arrow string column -> categorical `str` Series: int32 codes into the distinct
    texts, in order of first appearance. A dictionary-typed column (each block with its own
    dictionary, as Arrow's CSV reader gives them) has its dictionaries unified; a plain one is
    dictionary-encoded (one hash pass in C++)."""
    if pa.types.is_dictionary(column.type):
        encoded = pa.table({"cells": column}).unify_dictionaries().column(0)
    else:
        encoded = column.dictionary_encode()
    if not encoded.num_chunks:
        return categorical(np.zeros(0, np.int32), pd.Index([], dtype="str"), pd.RangeIndex(0))
    indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks]).combine_chunks()
    codes = (indices.fill_null(-1) if indices.null_count else indices).to_numpy()
    values = encoded.chunks[-1].dictionary.cast(pa.large_string())  # shared by every chunk
    return categorical(
        codes, pd.Index(pd.arrays.ArrowStringArray(values)), pd.RangeIndex(len(codes))
    )
