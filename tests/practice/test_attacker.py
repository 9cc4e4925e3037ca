"""The attacker of issue 24: everything one run publishes, solved for the hidden counts.

Two attacks, on three crafted small panels (one with single patients per group):
- The counts: every published count and marker ("<11" is 1 to 10, withheld is 0 or 11+) of
  summary.json, the workbook and the by-provider table, with every relation between them
  (totals and parts, subgroups, the weighted condition sum), solved as one integer programme
  (scipy's milp): a hidden count from 1 to 10 whose minimum equals its maximum is recovered.
- The model's figures: an attacker who knows every assumption, rate and every other hidden
  count exactly runs the finance model (scenarios month by month, the program comparison)
  for each value 1 to 10 of one hidden count: the count is recovered when exactly one value
  reproduces the published figures.
Both recover nothing from a run; with one suppression removed (a complementary cell shown, or
the model run on exact counts as before issue 24) each recovers a count.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from test_privacy_attack import AS_OF, crafted_panel

from ccm_assess.edge.run import write_summary
from ccm_assess.finance.model import simulate
from ccm_assess.finance.programs import program_comparison
from ccm_assess.intake.panel import read_panel
from ccm_assess.outputs.workbook.book import write_workbook
from ccm_assess.practice.assessment import Assessment, assess
from ccm_assess.practice.disclosure import LATENT, Published
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.privacy import SUPPRESSED, WITHHELD, Relation, recoverable

BIG = 10**6


def single_patient_panel(path: Path) -> Path:
    """60 patients: one large provider, location and payer, and next to them groups of exactly
    one patient (providers, locations, payers, a deceased and a hospice patient, one dual)."""
    lines = ["MRN,Diagnoses,Primary Insurance,Secondary Insurance,PCP,Location,Deceased,Hospice"]
    singles = ["Humana Gold Plus", "Medicaid", "Aetna PPO", "Self pay", "Tricare"]
    for i in range(60):
        payer = singles[i - 50] if 50 <= i < 55 else "Medicare"
        second = "Medicaid" if i == 3 else ""
        provider = f"Dr Solo{i}" if i >= 55 else "Dr Main"
        location = f"Site{i}" if i in (56, 57) else "Main"
        codes = "E11.9; I10; I50.9" if i % 4 else "E11.9"
        if i == 58:
            codes = "E11.9; I10; I50.9; J44.9; N18.30; F32.9; G20"
        lines.append(
            f"{2000 + i},{codes},{payer},{second},{provider},{location},"
            f"{'Y' if i == 59 else 'N'},{'Y' if i == 1 else ''}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PANELS = {
    "skewed-1": lambda path: crafted_panel(path, 1),
    "skewed-3": lambda path: crafted_panel(path, 3, patients=120),
    "single-patients": single_patient_panel,
}


@pytest.fixture(scope="module", params=sorted(PANELS))
def run(request, tmp_path_factory) -> tuple[Assessment, dict[str, Any], dict[str, Any]]:
    """One panel assessed and published with the run's own writers: the assessment, the
    summary.json and the workbook's cells as the attacker reads them from the files."""
    folder = tmp_path_factory.mktemp(request.param)
    panel = read_panel(PANELS[request.param](folder / "panel.csv"))
    a = assess(panel, AssessmentRequest(as_of=AS_OF))
    summary = json.loads(write_summary(a, folder / "summary.json").read_text())
    book = openpyxl.load_workbook(write_workbook(a, folder / "workbook.xlsx"), read_only=True)
    cells = {
        (sheet.title, r, c): v
        for sheet in book.worksheets
        for r, row in enumerate(sheet.iter_rows(values_only=True))
        for c, v in enumerate(row)
        if v is not None
    }
    return a, summary, cells


def read_path(summary: Mapping[str, Any], path: str) -> Any:
    node: Any = summary
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def attacker_cells(published: Published, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Each count as the files publish it: summary.json's value where it has the count (null:
    hidden, with the marker the report and workbook show), the plan's shown value for the
    report- and workbook-only tables; latent counts (shown nowhere) are unknowns."""
    out: dict[str, Any] = {}
    for path in published.exact:
        if path.startswith(LATENT):
            out[path] = None
            continue
        shown = published.shown(path)
        in_summary = read_path(summary, path)
        if path in summary["suppressed"]:
            assert in_summary is None and shown in (SUPPRESSED, WITHHELD)
        elif in_summary is not None:
            assert in_summary == shown, path  # summary.json and the plan agree
        out[path] = shown
    return out


def relation_attack(cells: Mapping[str, Any], relations: list[Relation]) -> dict[str, int]:
    """Hidden cells pinned by one integer programme over every relation at once."""
    unknown = sorted(c for c, v in cells.items() if not isinstance(v, int))
    withheld = [c for c in unknown if cells[c] == WITHHELD]
    at = {c: i for i, c in enumerate(unknown)}
    size = len(unknown) + len(withheld)
    rows, low, high = [], [], []
    for relation in relations:
        if any(cells.get(c, 0) is None and c not in at for c in relation.cells):
            continue
        row, rhs = np.zeros(size), 0.0
        for cell, sign in relation.terms():
            if cell in at:
                row[at[cell]] += sign
            else:
                rhs -= sign * cells[cell]
        if row.any():
            rows.append(row)
            low.append(rhs if relation.exact else -np.inf)
            high.append(rhs)
    for k, cell in enumerate(withheld):  # 0 or 11+
        for coefficient, lo, hi in ((11, 0.0, np.inf), (BIG, -np.inf, 0.0)):
            row = np.zeros(size)
            row[at[cell]], row[len(unknown) + k] = 1.0, -coefficient
            rows.append(row)
            low.append(lo)
            high.append(hi)
    lower = [1.0 if cells[c] == SUPPRESSED else 0.0 for c in unknown] + [0.0] * len(withheld)
    upper = [10.0 if cells[c] == SUPPRESSED else BIG for c in unknown] + [1.0] * len(withheld)
    problem = {
        "integrality": np.ones(size),
        "bounds": Bounds(lower, upper),
        "constraints": [LinearConstraint(np.array(rows), low, high)],
    }
    found = {}
    for cell in [c for c in unknown if cells[c] == SUPPRESSED]:  # only these can be 1 to 10
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(size)
            objective[at[cell]] = sign
            result = milp(objective, **problem)
            assert result.status == 0, "the published counts contradict the relations"
            ends.append(round(sign * result.fun))
        if ends[0] == ends[1]:
            found[cell] = ends[0]
    return found


def recovered_counts(found: Mapping[str, int], exact: Mapping[str, int | None]) -> dict[str, int]:
    """The pinned cells that are hidden counts from 1 to 10 at their true value."""
    return {c: v for c, v in found.items() if 1 <= v <= 10 and exact[c] == v}


def numbers(value: Any) -> list[float]:
    """The numbers of nested dicts and lists, in order (None as NaN)."""
    if isinstance(value, Mapping):
        return [n for item in value.values() for n in numbers(item)]
    if isinstance(value, list | tuple):
        return [n for item in value for n in numbers(item)]
    return [np.nan] if value is None else [float(value)] if isinstance(value, int | float) else []


def model_figures(counts: Mapping[str, Any], a: Assessment) -> np.ndarray:
    """Every figure the model publishes from `counts` (scenario metrics and monthly frames,
    the program comparison), as one vector."""
    scenarios = simulate(counts, a.rates, a.assumptions, a.capacity)
    parts = [np.array(numbers(r.metrics()), dtype=float) for r in scenarios.values()]
    parts += [r.monthly.select_dtypes("number").to_numpy().ravel() for r in scenarios.values()]
    programs = program_comparison(counts, a.rates, a.assumptions)
    parts.append(programs.select_dtypes("number").to_numpy().ravel())
    return np.concatenate(parts)


def with_count(counts: Mapping[str, Any], path: str, value: int) -> dict[str, Any]:
    """A deep copy of summary-shaped `counts` with the count at dotted `path` set."""
    out = json.loads(json.dumps(counts))
    *parents, key = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    node[key] = value
    return out


def model_attack(
    a: Assessment, *, exact_inputs: bool = False, first: bool = False
) -> dict[str, int]:
    """Hidden model inputs (eligibility counts from 1 to 10) an attacker who knows everything
    else recovers by running the model on each value 1 to 10: those only one value explains
    (the search stops at a second value that fits; `first`: at the first count recovered).
    `exact_inputs`: the model as before issue 24, run on the exact counts."""
    plan = a.published

    def inputs(path: str, value: int) -> Mapping[str, Any]:
        counts = with_count(a.counts, path, value)
        if exact_inputs:
            return counts["eligibility"]
        exact = dict(plan.exact) | {path: value}
        return Published(exact, plan.relations, plan.hidden).model_counts(counts)["eligibility"]

    found = {}
    for path in sorted(plan.hidden):
        truth = plan.exact[path]
        if not path.startswith("eligibility.") or truth is None or not 1 <= truth <= 10:
            continue
        published = model_figures(inputs(path, truth), a)
        others = (v for v in range(1, 11) if v != truth)
        explains = (np.allclose(model_figures(inputs(path, v), a), published, equal_nan=True)
                    for v in others)  # fmt: skip
        if not any(explains):
            found[path] = truth
            if first:
                break
    return found


def test_the_files_publish_the_plan_and_the_attacker_recovers_no_count(run) -> None:
    a, summary, book = run
    plan = a.published
    cells = attacker_cells(plan, summary)
    small = [c for c in plan.hidden if cells.get(c) == SUPPRESSED]
    assert small, "the crafted panel must have small groups"
    shown_markers = {v for v in book.values() if v in (SUPPRESSED, WITHHELD)}
    assert SUPPRESSED in shown_markers  # the workbook shows the same hidden counts
    assert recovered_counts(relation_attack(cells, list(plan.relations)), plan.exact) == {}
    assert model_attack(a) == {}


def test_with_one_suppression_removed_the_attacker_recovers_a_count(run) -> None:
    a, summary, _ = run
    plan = a.published
    cells = attacker_cells(plan, summary)

    def others_hidden(cell: str) -> int:  # in its tightest exact relation
        return min(
            (
                len(set(r.cells) & plan.hidden)
                for r in plan.relations
                if cell in r.cells and r.exact
            ),
            default=99,
        )

    complements = sorted(
        (c for c in plan.hidden if cells[c] == WITHHELD and not c.startswith(LATENT)),
        key=lambda c: (others_hidden(c), c),
    )
    latent = [c for c in plan.exact if c.startswith(LATENT)]
    # show the first complementary cell whose absence the planner says exposes a small count
    cell = next(
        c
        for c in complements
        if recoverable(plan.exact, plan.relations, plan.hidden - {c}, latent=latent)
    )
    shown = dict(cells) | {cell: plan.exact[cell]}
    recovered = recovered_counts(relation_attack(shown, list(plan.relations)), plan.exact)
    assert recovered, f"showing {cell} must give a count away"
    before = model_attack(
        a, exact_inputs=True, first=True
    )  # the model on exact counts (before issue 24)
    assert before and all(plan.exact[c] == v for c, v in before.items())
