"""Keep patient data out of every output but the worklist.

Small-cell suppression follows the CMS cell-size rule: no count from 1 to 10 is shown for a
group smaller than the panel (docs/privacy.md). Suppression is decided once per run, over
everything the run publishes together (`disclosure.published`), by `plan_suppression`:

- A run declares its published counts as `{path: count}` and the linear relations between
  them as `Relation(total, parts)`: `total = sum(parts)` (a partition, e.g. eligible patients
  by payer) or, with `exact=False`, `total >= sum(parts)` (a subset, e.g. complex candidates
  among the eligible). Paths the panel itself defines (patients, rows read) are `public`.
- Every count from 1 to 10 is hidden (a primary cell, shown as "<11"). Then, until nothing
  changes: the attacker's view is solved as an integer programme (scipy's HiGHS) in which each
  hidden cell is a whole number, 1 to 10 when it shows "<11", 0 or 11+ when it shows
  `WITHHELD`, and every relation holds with the published counts put in. A primary cell whose
  feasible range holds a single value is recoverable; the smallest published non-public cell
  of a relation it is in is then hidden as well (a complementary cell, shown as `WITHHELD`),
  totals last.
- Adding a count or a table to any output: add its cells and relations in `practice/disclosure.py`;
  every output reads its counts from the same `Published` plan, so a hidden count is hidden
  everywhere, and a number derived from published cells is shown only when all of them are.

Hidden counts show as "<11" (1 to 10) or `WITHHELD` (0 or 11+) in the report and the workbook,
and `null` in summary.json with the dotted path listed under `suppressed`. Dollar figures are
kept out of the attacker's reach by computing them from published counts only
(`practice.disclosure.model_counts`).

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
"""What a hidden count from 1 to 10 shows as in the report and the workbook."""
WITHHELD = "withheld"
"""What a hidden count of 0 or 11+ (a complementary cell: hidden so that a small count cannot be
derived from it) shows as, so that "<11" is never said of a count that is not below 11."""
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


@dataclass(frozen=True)
class _System:
    """The attacker's integer programme over the hidden cells of some relations."""

    index: dict[str, int]
    size: int
    bounds: Any
    constraints: list[Any]

    def solve(self, cell: str, sign: float) -> Any:
        """min (sign 1) or max (sign -1) of `cell`: scipy's OptimizeResult."""
        from scipy.optimize import milp

        objective = np.zeros(self.size)
        objective[self.index[cell]] = sign
        return milp(
            objective,
            integrality=np.ones(self.size),
            bounds=self.bounds,
            constraints=self.constraints,
        )


def _system(
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    hidden: Collection[str],
    latent: Collection[str],
) -> _System:
    """Each hidden cell a whole-number unknown: 1 to 10 when it shows "<11", 0 or 11+ when it
    shows `WITHHELD` (a binary decides which), 0+ when it is `latent` (shown nowhere), none
    above the largest count plus 11 (no cell exceeds the panel, which the attacker knows);
    published cells are constants; every relation between known counts holds."""
    from scipy.optimize import Bounds, LinearConstraint

    relations = [r for r in relations if _known(r, counts) and set(r.cells) & set(hidden)]
    unknowns = sorted({c for r in relations for c in r.cells if c in hidden})
    withheld = [c for c in unknowns if c not in latent and not is_small(counts[c])]
    index = {cell: i for i, cell in enumerate(unknowns)}
    size = len(unknowns) + len(withheld)
    top = float(max([v for v in counts.values() if v is not None], default=0) + SMALL_CELL_LIMIT)
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []
    for relation in relations:
        row = np.zeros(size)
        rhs = 0.0
        for cell, sign in relation.terms():
            if cell in index:
                row[index[cell]] += sign
            else:
                rhs -= sign * float(counts[cell] or 0)
        rows.append(row)
        lower.append(rhs if relation.exact else -np.inf)
        upper.append(rhs)
    for k, cell in enumerate(withheld):  # x >= 11 z and x <= top z, z binary
        switch = len(unknowns) + k
        for coefficient, low, high in ((SMALL_CELL_LIMIT, 0.0, np.inf), (top, -np.inf, 0.0)):
            row = np.zeros(size)
            row[index[cell]], row[switch] = 1.0, -coefficient
            rows.append(row)
            lower.append(low)
            upper.append(high)
    small = [c not in latent and is_small(counts[c]) for c in unknowns]
    bounds = Bounds(
        [1.0 if s else 0.0 for s in small] + [0.0] * len(withheld),
        [SMALL_CELL_LIMIT - 1.0 if s else top for s in small] + [1.0] * len(withheld),
    )
    constraints = [LinearConstraint(np.array(rows), lower, upper)] if rows else []
    return _System(index, size, bounds, constraints)


def cell_ranges(
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    hidden: Collection[str],
    *,
    latent: Collection[str] = (),
    cells: Iterable[str] | None = None,
) -> dict[str, tuple[float, float]]:
    """What an attacker who reads every published count and marker learns of hidden cells:
    the (min, max) each can take in the integer programme `_system` (scipy's HiGHS). `cells`
    picks which hidden cells to bound (default: all). A system the truth breaks (a wrong
    relation) gives no range."""
    system = _system(counts, relations, hidden, latent)
    ranges: dict[str, tuple[float, float]] = {}
    for cell in [c for c in (cells if cells is not None else hidden) if c in hidden]:
        if cell not in system.index:
            small = cell not in latent and is_small(counts.get(cell))
            ranges[cell] = (1.0, SMALL_CELL_LIMIT - 1.0) if small else (0.0, math.inf)
            continue
        found = []
        for sign in (1.0, -1.0):
            result = system.solve(cell, sign)
            if result.status != 0:  # infeasible: a relation the truth breaks
                return {}
            found.append(sign * result.fun)
        top = max([v for v in counts.values() if v is not None], default=0) + SMALL_CELL_LIMIT
        ranges[cell] = (found[0], math.inf if found[1] >= top - 1 else found[1])
    return ranges


def pinned_cells(
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    hidden: Collection[str],
    cells: Collection[str],
    *,
    latent: Collection[str] = (),
) -> set[str]:
    """The `cells` (hidden) whose only possible value is their true one. A cell is safe as
    soon as any solution of the attacker's programme gives it another value, so every
    solution found clears the cells it moves: far fewer solves than a range per cell."""
    system = _system(counts, relations, hidden, latent)
    open_cells = {c for c in cells if c in system.index}
    found: set[str] = set()
    while open_cells:
        cell = min(open_cells)
        exposed = True
        for sign in (1.0, -1.0):
            result = system.solve(cell, sign)
            if result.status != 0:  # infeasible: a relation the truth breaks
                return set()
            x = np.rint(result.x)
            open_cells -= {c for c in open_cells if x[system.index[c]] != counts[c]}
            if x[system.index[cell]] != counts[cell]:
                exposed = False
                break
        open_cells.discard(cell)
        if exposed:
            found.add(cell)
    return found


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


def recoverable(
    counts: Mapping[str, int | None],
    relations: Sequence[Relation],
    hidden: Collection[str],
    *,
    latent: Collection[str] = (),
    safe: Collection[str] = (),
) -> set[str]:
    """Hidden counts from 1 to 10 an attacker can pin down from the published counts and
    markers (`pinned_cells`), solved per group of hidden cells that share relations. `safe`
    cells are not checked: known unpinned while fewer cells were hidden (hiding a cell only
    adds solutions: its true value stays one)."""
    relations = [r for r in relations if _known(r, counts)]
    found: set[str] = set()
    for group, cells in _components(relations, set(hidden)):
        primary = [c for c in cells if is_small(counts.get(c)) and c not in safe]
        if primary:
            found |= pinned_cells(counts, group, cells, primary, latent=latent)
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
    nothing else protects (shown again at the end when the rest protects without them);
    `unpublished` cells are shown nowhere (hidden from the start, and protected when small).
    Deterministic: ties are broken by path.
    """
    hidden = {c for c, v in counts.items() if c not in public and is_small(v)}
    hidden |= set(unpublished)
    relations = [r for r in relations if _known(r, counts)]
    safe: set[str] = set()
    while True:
        exposed = _exposed_by_one_relation(counts, relations, hidden)
        if not exposed:
            exposed = recoverable(counts, relations, hidden, latent=unpublished, safe=safe)
            safe |= {c for c in hidden if is_small(counts.get(c))} - exposed
        if not exposed:
            break
        extra = {_complement(cell, counts, relations, hidden, public, avoid) for cell in exposed}
        extra.discard(None)
        if not extra:
            break
        hidden |= extra  # type: ignore[arg-type]
    for cell in sorted(hidden & set(avoid) - set(unpublished)):  # shown again if not needed
        trial = hidden - {cell}
        if not is_small(counts.get(cell)) and not (
            _exposed_by_one_relation(counts, relations, trial)
            or recoverable(counts, relations, trial, latent=unpublished)
        ):
            hidden = trial
    return frozenset(hidden)


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
    """The published cell to hide next to protect `cell`, from the relations it is in, else
    (all their cells hidden) from every relation of its group of hidden cells (`_components`):
    `avoid` cells last, exact relations before subsets, non-zero counts before zeros (a hidden
    zero reads "0 or 11+": no help where the hidden cells sum to less than 11), parts before
    totals, the smallest count first; ties by path."""

    def candidates(scope: Iterable[Relation]) -> list[tuple[bool, bool, bool, bool, int, str]]:
        return [
            (
                other in avoid,
                not relation.exact,
                counts[other] == 0,
                other in relation.totals,
                counts[other] or 0,
                other,
            )
            for relation in scope
            for other in relation.cells
            if other not in hidden and other not in public and counts.get(other) is not None
        ]

    found = candidates(r for r in relations if cell in r.cells)
    if not found:
        group = [rs for rs, cells in _components(relations, hidden | {cell}) if cell in cells]
        found = candidates(group[0] if group else [])
    return min(found)[-1] if found else None


def marker(count: Any) -> str:
    """What a hidden count shows as: "<11" when it is 1 to 10, `WITHHELD` otherwise."""
    return SUPPRESSED if is_small(count) else WITHHELD


def is_hidden(value: Any) -> bool:
    """True for a published count that is a marker ("<11" or `WITHHELD`), not a number."""
    return value in (SUPPRESSED, WITHHELD)


def mask(value: Any, hidden: bool) -> Any:
    """A count as published: its marker when hidden."""
    return marker(value) if hidden else value


def suppressed_keys(counts: Mapping[Any, Any], *, total_shown: bool = True) -> set[Any]:
    """Keys of one table of counts to hide: `plan_suppression` over the table, its shown total
    (`total_shown`: the sum of the counts is published) as the one relation. Counts already
    hidden (text) or unknown (None) are left out; with a hidden one the total is not known.

    >>> sorted(suppressed_keys({"a": 40, "b": 5, "c": 20, "d": 0}))
    ['b', 'c']
    >>> sorted(suppressed_keys({"a": 40, "b": 1, "c": 11}))  # b + c = 12 would pin both
    ['a', 'b', 'c']
    """
    numbers = [
        key
        for key, value in counts.items()
        if value is not None and not isinstance(value, str | bool) and not pd.isna(value)
    ]
    names = {f"c{i}": key for i, key in enumerate(numbers)}
    cells: dict[str, int | None] = {name: int(counts[key]) for name, key in names.items()}
    relations = []
    if total_shown and not any(isinstance(v, str) for v in counts.values()):
        cells["total"] = sum(v or 0 for v in cells.values())
        relations = [partition("total", list(names))]
    return {names[c] for c in plan_suppression(cells, relations, public=("total",)) if c in names}


def suppress_counts(
    counts: Mapping[str, int | None], *, total_shown: bool = True
) -> dict[str, Any]:
    """A copy of `counts` with small (and complementary) cells replaced by their `marker`.

    >>> suppress_counts({"medicare_ffs": 412, "medicaid": 7, "commercial": 58, "other": 0})
    {'medicare_ffs': 412, 'medicaid': '<11', 'commercial': 'withheld', 'other': 0}
    """
    hidden = suppressed_keys(counts, total_shown=total_shown)
    return {key: mask(value, key in hidden) for key, value in counts.items()}


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
    """The sum of shown counts, `WITHHELD` when any is hidden (a sum of hidden cells is hidden,
    and need not be below 11), None when any is unknown."""
    values = list(values)
    if any(isinstance(v, str) for v in values):
        return WITHHELD
    if any(v is None for v in values):
        return None
    return sum(values)
