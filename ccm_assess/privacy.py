"""Keep patient data out of every output but the worklist.

Small-cell suppression follows the CMS cell-size rule: no count from 1 to 10 is shown for a
group smaller than the panel (docs/privacy.md). Suppression is decided once per run, over
everything the run publishes together (`disclosure.published`), by `plan_suppression`:

- A run declares its published counts as `{path: count}` and the linear relations between
  them as `Relation(total, parts)`: `total = sum(parts)` (a partition, e.g. eligible patients
  by payer) or, with `exact=False`, `total >= sum(parts)` (a subset, e.g. complex candidates
  among the eligible). Paths the panel itself defines (patients, rows read) are `public`.
- Every count from 1 to 10 is hidden (a primary cell). Then, until nothing changes: the
  attacker's view is solved as a linear programme (scipy's HiGHS) in which each hidden cell is
  an unknown >= 1 (>= 0 when that is contradicted: a zero hidden as a complement) and every
  relation holds with the published counts put in. A primary cell whose feasible range holds
  a single integer is recoverable by some combination of subtractions, partition sums and the
  ">= 1" bound (two hidden cells whose known sum is 2 are both 1); the smallest published
  non-public cell of a relation it is in is then hidden as well (a complementary cell),
  totals last.
- Adding a count or a table to any output: add its cells and relations in `practice/disclosure.py`;
  every output reads its counts from the same `Published` plan, so a hidden count is hidden
  everywhere, and a number derived from published cells is shown only when all of them are.

Hidden counts show as "<11" in the report and the workbook, and `null` in summary.json with the
dotted path listed under `suppressed`. Dollar figures are out of scope.

Longer than 400 lines because the suppression planner, its linear-programme attacker check and the
helpers that apply the plan to every output are one audited rule; split, the rule would be spread
over several files.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SMALL_CELL_LIMIT = 11
"""Counts from 1 to SMALL_CELL_LIMIT - 1 are suppressed (CMS cell-size suppression policy)."""
SUPPRESSED = "<11"
"""What a suppressed count shows as in the report and the workbook."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read text as a formula (OWASP CSV injection)."""


def is_small(count: Any) -> bool:
    """True for a count from 1 to 10: one that must not be shown for a subgroup.

    Text (an already suppressed "<11") and unknown values are not small counts.
    """
    if count is None or isinstance(count, str | bool) or pd.isna(count):
        return False
    return bool(0 < count < SMALL_CELL_LIMIT)


@dataclass(frozen=True)
class Relation:
    """sum(`totals`) = sum(weight x part) over `parts` (exact) or >= it (`exact=False`).

    Most relations are a total and its parts with weight 1: `Relation(("a",), ("b", "c"))`.
    `weights` (one per part, default 1) state weighted sums, e.g. the patients counted per
    condition add up to 1 x (patients with one condition) + 2 x (with two) + ...
    """

    totals: tuple[str, ...]
    parts: tuple[str, ...]
    exact: bool = True
    weights: tuple[float, ...] = ()

    @property
    def cells(self) -> tuple[str, ...]:
        return (*self.totals, *self.parts)

    def terms(self) -> list[tuple[str, float]]:
        """(cell, coefficient) pairs of `sum(parts x weights) - sum(totals)` (= 0 or <= 0)."""
        weights = self.weights or (1.0,) * len(self.parts)
        return [(t, -1.0) for t in self.totals] + list(zip(self.parts, weights, strict=True))


def partition(total: str, parts: Iterable[str]) -> Relation:
    """`total` is the sum of `parts` (each patient in exactly one part)."""
    return Relation((total,), tuple(parts))


def subset(total: str, parts: Iterable[str]) -> Relation:
    """`total` is at least the sum of `parts` (the parts are disjoint subgroups of it)."""
    return Relation((total,), tuple(parts), exact=False)


def _known(relation: Relation, counts: Mapping[str, int | None]) -> bool:
    """A relation holds only between known counts: one with an unknown cell is left out."""
    return all(counts.get(cell) is not None for cell in relation.cells)


def cell_ranges(
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    hidden: Collection[str],
    *,
    floor_of: Mapping[str, int] | None = None,
    cells: Iterable[str] | None = None,
) -> dict[str, tuple[float, float]]:
    """What an attacker can learn of hidden cells: the (min, max) each can take.

    Hidden cells are unknowns with a lower bound (`floor_of`, default 1), no upper bound;
    published cells are constants; every relation between known counts must hold. Solved as
    linear programmes (HiGHS). `cells` picks which hidden cells to bound (default: all). An
    infeasible system (bounds the truth breaks) gives no range.
    """
    from scipy.optimize import linprog

    relations = [r for r in relations if _known(r, counts) and set(r.cells) & set(hidden)]
    unknowns = sorted({c for r in relations for c in r.cells if c in hidden})
    index = {cell: i for i, cell in enumerate(unknowns)}
    eq_rows: list[np.ndarray] = []
    ub_rows: list[np.ndarray] = []
    eq_rhs: list[float] = []
    ub_rhs: list[float] = []
    for relation in relations:
        row = np.zeros(len(unknowns))
        rhs = 0.0
        for cell, sign in relation.terms():
            if cell in index:
                row[index[cell]] += sign
            else:
                rhs -= sign * float(counts[cell] or 0)
        (eq_rows if relation.exact else ub_rows).append(row)
        (eq_rhs if relation.exact else ub_rhs).append(rhs)
    floors = floor_of or {}
    bounds = [(float(floors.get(cell, 1)), None) for cell in unknowns]
    problem: dict[str, Any] = {"bounds": bounds, "method": "highs"}
    if eq_rows:
        problem |= {"A_eq": np.array(eq_rows), "b_eq": np.array(eq_rhs)}
    if ub_rows:
        problem |= {"A_ub": np.array(ub_rows), "b_ub": np.array(ub_rhs)}
    ranges: dict[str, tuple[float, float]] = {}
    wanted = [c for c in (cells if cells is not None else hidden) if c in hidden]
    for cell in wanted:
        if cell not in index:
            ranges[cell] = (float(floors.get(cell, 1)), math.inf)
            continue
        objective = np.zeros(len(unknowns))
        objective[index[cell]] = 1.0
        low = linprog(objective, **problem)
        if low.status == 2:  # infeasible: the assumed bounds are wrong
            return {}
        high = linprog(-objective, **problem)
        top = math.inf if high.status == 3 else -high.fun
        ranges[cell] = (low.fun, top)
    return ranges


def pinned(low: float, high: float) -> bool:
    """True when a range holds at most one whole number: the cell is known exactly."""
    return math.isfinite(high) and math.ceil(low - 1e-6) >= math.floor(high + 1e-6)


def _components(
    relations: Sequence[Relation], hidden: Collection[str]
) -> list[tuple[list[Relation], set[str]]]:
    """Hidden cells joined by the relations they share, each group with its relations: what
    the attacker can solve for apart from the rest."""
    root: dict[str, str] = {}

    def find(cell: str) -> str:
        while root.setdefault(cell, cell) != cell:
            root[cell] = root[root[cell]]
            cell = root[cell]
        return cell

    touching = [(r, [c for c in r.cells if c in hidden]) for r in relations]
    touching = [(r, cells) for r, cells in touching if cells]
    for _, cells in touching:
        for cell in cells[1:]:
            root[find(cell)] = find(cells[0])
    groups: dict[str, tuple[list[Relation], set[str]]] = {}
    for relation, cells in touching:
        group = groups.setdefault(find(cells[0]), ([], set()))
        group[0].append(relation)
        group[1].update(cells)
    return list(groups.values())


def _pinned_alone(relation: Relation, counts: Mapping[str, int | None], cells: set[str]) -> bool:
    """Whether the hidden `cells` of one exact, unweighted relation are pinned: their sum S is
    known, so with k of them, each >= 1, each lies in [1, S - k + 1] (>= 0 when S < k)."""
    parts = [c for c in relation.parts if c in cells]
    totals = [c for c in relation.totals if c in cells]
    if parts and totals:
        return False  # a hidden total and a hidden part can grow together
    inside = parts or totals
    known_sum = sum(counts[c] or 0 for c in inside)
    floor = 1 if known_sum >= len(inside) else 0
    return len(inside) == 1 or known_sum == floor * len(inside)


def recoverable(
    counts: Mapping[str, int | None], relations: Sequence[Relation], hidden: Collection[str]
) -> set[str]:
    """Hidden counts from 1 to 10 an attacker can pin down from the published ones.

    Solved per group of hidden cells that share relations (`_components`): in closed form for
    a group of one plain relation, else by linear programmes in which every hidden cell is
    >= 1, or >= 0 when that contradicts the published counts (a zero hidden as a complement).
    """
    relations = [r for r in relations if _known(r, counts)]
    found: set[str] = set()
    for group, cells in _components(relations, set(hidden)):
        primary = [c for c in cells if is_small(counts.get(c))]
        if not primary:
            continue
        if len(group) == 1 and group[0].exact and not group[0].weights:
            found |= set(primary) if _pinned_alone(group[0], counts, cells) else set()
            continue
        ranges = cell_ranges(counts, group, cells, cells=primary) or cell_ranges(
            counts, group, cells, floor_of=dict.fromkeys(cells, 0), cells=primary
        )
        found |= {cell for cell, (low, high) in ranges.items() if pinned(low, high)}
    return found


def plan_suppression(
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    *,
    public: Collection[str] = (),
    avoid: Collection[str] = (),
    unpublished: Collection[str] = (),
) -> frozenset[str]:
    """The cells to hide so that no count from 1 to 10 can be derived from the others.

    Starts from the small cells and adds complementary cells until `recoverable` finds none
    (or no cell is left to hide). `public` cells are never hidden, `avoid` ones only when
    nothing else protects; `unpublished` cells are shown nowhere (hidden from the start, and
    protected when small). Deterministic: ties are broken by path.
    """
    hidden = {c for c, v in counts.items() if c not in public and is_small(v)}
    hidden |= set(unpublished)
    relations = [r for r in relations if _known(r, counts)]
    while True:
        exposed = _exposed_by_one_relation(counts, relations, hidden) or recoverable(
            counts, relations, hidden
        )
        if not exposed:
            return frozenset(hidden)
        extra = {_complement(cell, counts, relations, hidden, public, avoid) for cell in exposed}
        extra.discard(None)
        if not extra:
            return frozenset(hidden)
        hidden |= extra  # type: ignore[arg-type]


def _exposed_by_one_relation(
    counts: Mapping[str, int | None], relations: Sequence[Relation], hidden: set[str]
) -> set[str]:
    """Small hidden cells alone in an exact relation, or whose relation's hidden cells sum to
    their number (each is then 1): the cheap cases, found without solving."""
    exposed: set[str] = set()
    for relation in relations:
        if not relation.exact:
            continue
        inside = [c for c in relation.cells if c in hidden]
        small = [c for c in inside if is_small(counts[c])]
        if not small:
            continue
        if len(inside) == 1:
            exposed.update(small)
        elif (
            not relation.weights
            and not set(relation.totals) & hidden
            and sum(counts[c] or 0 for c in inside) == len(inside)
        ):
            exposed.update(small)
    return exposed


def _complement(
    cell: str,
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    hidden: set[str],
    public: Collection[str],
    avoid: Collection[str],
) -> str | None:
    """The published cell to hide next to protect `cell`: exact relations before subsets,
    parts before totals, the smallest non-zero count first, zeros next (a hidden zero is then
    the last zero of the relation: one left shown would say the complement is 0), `avoid`
    cells last; ties by path."""
    candidates = [
        (
            other in avoid,
            not relation.exact,
            other in relation.totals,
            counts[other] == 0,
            counts[other],
            other,
        )
        for relation in relations
        if cell in relation.cells
        for other in relation.cells
        if other not in hidden and other not in public and counts.get(other) is not None
    ]
    return min(candidates)[-1] if candidates else None


def mask(value: Any, hidden: bool) -> Any:
    """A count as published: the "<11" marker when hidden."""
    return SUPPRESSED if hidden else value


def suppressed_keys(counts: Mapping[str, int | None], *, total_shown: bool = True) -> set[str]:
    """Keys of a group of counts to suppress, complementary cells included.

    >>> sorted(suppressed_keys({"a": 40, "b": 5, "c": 20, "d": 0}))
    ['b', 'c']
    """
    small = {key for key, value in counts.items() if is_small(value)}
    if len(small) == 1 and total_shown:
        others = [
            (value, key)
            for key, value in counts.items()
            if key not in small and value is not None and not pd.isna(value) and value > 0
        ]
        if others:
            small.add(min(others)[1])
    return small


def suppress_counts(
    counts: Mapping[str, int | None], *, total_shown: bool = True, marker: Any = SUPPRESSED
) -> dict[str, Any]:
    """A copy of `counts` with small (and complementary) cells replaced by `marker`.

    >>> suppress_counts({"medicare_ffs": 412, "medicaid": 7, "commercial": 58, "other": 0})
    {'medicare_ffs': 412, 'medicaid': '<11', 'commercial': '<11', 'other': 0}
    """
    hidden = suppressed_keys(counts, total_shown=total_shown)
    return {key: (marker if key in hidden else value) for key, value in counts.items()}


def suppress_series(counts: pd.Series, *, total_shown: bool = True) -> pd.Series:
    """`suppress_counts` for a Series (object dtype; suppressed cells hold "<11")."""
    values = suppress_counts(counts.to_dict(), total_shown=total_shown)
    return pd.Series(values, index=counts.index, dtype=object, name=counts.name)


def format_count(value: Any) -> str:
    """A count for the report body: thousands separators, "<11" kept, unknown as a dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, str):
        return value
    return f"{int(round(value)):,}"


def excel_safe(values: pd.Series) -> pd.Series:
    """Text that cannot become a formula when written to a spreadsheet (vectorised).

    Strings starting with =, +, -, @, tab or CR get a leading apostrophe; other values pass.
    """
    if values.empty:  # an empty Arrow string column maps `type` to strings, not types
        return values
    is_text = values.map(type).eq(str)
    text = values.where(is_text, "").astype(str)
    risky = is_text & text.str.startswith(FORMULA_PREFIXES)
    return values.where(~risky, "'" + text)


def suppressed_summary(summary: Mapping[str, Any], hidden: Collection[str]) -> dict[str, Any]:
    """summary.json with the counts at the dotted paths `hidden` set to null.

    The paths are listed under `suppressed` (sorted), so a null there is told apart from an
    unknown; paths that are not in the summary (report-only tables) are left out.
    """
    out: dict[str, Any] = json_copy(summary)
    listed = []
    for path in sorted(hidden):
        *parents, key = path.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            node[key] = None
            listed.append(path)
    out["suppressed"] = listed
    return out


def json_copy(value: Any) -> Any:
    """A deep copy of nested dicts (other values shared)."""
    if isinstance(value, Mapping):
        return {key: json_copy(item) for key, item in value.items()}
    return value


def display_order(counts: Mapping[Any, Any]) -> list[Any]:
    """Keys largest shown count first, then hidden ("<11") ones by key, then zeros and
    unknowns: the order never ranks a hidden count against a shown one or another hidden one."""

    def rank(key: Any) -> tuple[int, float, str]:
        value = counts[key]
        if isinstance(value, str):
            return (1, 0.0, str(key))
        if value is None or pd.isna(value) or value == 0:
            return (2, 0.0, "")
        return (0, -float(value), "")

    return sorted(counts, key=rank)


def shown_sum(values: Iterable[Any]) -> Any:
    """The sum of shown counts, "<11" when any is hidden (a sum of hidden cells is hidden),
    None when any is unknown."""
    values = list(values)
    if any(isinstance(v, str) for v in values):
        return SUPPRESSED
    if any(v is None for v in values):
        return None
    return sum(values)
