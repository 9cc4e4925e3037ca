"""A differencing attacker against what a run publishes (issue 13).

The attacker reads summary.json and the workbook's Funnel sheet of a run on panels crafted with
small subgroups (payers, providers, locations, exclusions, condition bands, APCM tiers), writes
down the relations any reader knows (totals = sums of parts, tiers vs payers, ...) on its own,
without the kit's declaration, and tries every subtraction, partition sum and the ">= 1" bound,
then a linear programme over all of them. It must recover no count from 1 to 10.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from ccm_assess.edge.run import write_summary
from ccm_assess.intake.panel import read_panel
from ccm_assess.outputs.workbook.book import write_workbook
from ccm_assess.practice.assessment import assess
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.privacy import Relation, cell_ranges, partition, pinned, plan_suppression

AS_OF = dt.date(2026, 11, 20)
CODES = ["E11.9", "I10", "I50.9", "J44.9", "N18.30", "F32.9", "E78.5", "G20", "I48.91", "M81.0"]
PAYERS = ["Medicare", "Humana Gold Plus", "Medicaid", "Aetna PPO", "Self pay", "Tricare"]


def crafted_panel(path: Path, seed: int, patients: int = 180) -> Path:
    """A panel whose subgroups are mostly small: skewed payers, providers, locations, condition
    counts, a few deceased and hospice patients, some duals (G0558)."""
    rng = np.random.default_rng(seed)
    lines = [
        "MRN,Diagnoses,Primary Insurance,Secondary Insurance,PCP,Location,Deceased,"
        "Hospice,Last Visit,IP Admits,ED Visits"
    ]
    payer_p = np.array([0.55, 0.2, 0.1, 0.1, 0.03, 0.02])
    for i in range(patients):
        n_codes = int(rng.choice(7, p=[0.2, 0.2, 0.25, 0.15, 0.1, 0.06, 0.04]))
        codes = rng.choice(CODES, size=n_codes, replace=False)
        payer = PAYERS[int(rng.choice(6, p=payer_p))]
        second = "Medicaid" if payer == "Medicare" and rng.random() < 0.06 else ""
        provider = f"Dr {'ABCDEFG'[int(rng.choice(7, p=[0.4, 0.3, 0.15, 0.06, 0.04, 0.03, 0.02]))]}"
        location = ["Main", "North", "Annex"][int(rng.choice(3, p=[0.85, 0.1, 0.05]))]
        deceased = "Y" if rng.random() < 0.03 else "N"
        hospice = "Y" if rng.random() < 0.02 else ""
        visit = "2026-10-01" if rng.random() < 0.9 else "2024-01-05"
        admits, ed = int(rng.random() < 0.15), int(rng.choice(4, p=[0.7, 0.15, 0.1, 0.05]))
        lines.append(
            f"{1000 + i},{'; '.join(codes)},{payer},{second},{provider},{location},{deceased},"
            f"{hospice},{visit},{admits},{ed}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def funnel_tables(path: Path) -> dict[str, dict[str, object]]:
    """The Funnel sheet's tables as the attacker reads them: heading -> {label: value}."""
    sheet = openpyxl.load_workbook(path, read_only=True)["Funnel"]
    tables: dict[str, dict[str, object]] = {}
    current: dict[str, object] | None = None
    for row in sheet.iter_rows(values_only=True):
        cells = [c for c in row if c is not None]
        if len(cells) == 1 and isinstance(cells[0], str):
            current = tables.setdefault(cells[0], {})
        elif current is not None and len(cells) >= 2 and isinstance(cells[0], str):
            current[cells[0]] = cells[1] if len(cells) == 2 else cells[1:]
    return tables


def attacker_view(summary: dict, tables: dict) -> tuple[dict[str, int | None], list[Relation]]:
    """Published cells (None: hidden) and the relations the attacker knows, built from the
    files alone."""
    cells: dict[str, int | str | None] = {}

    def put(name: str, value: object) -> None:
        if isinstance(value, int) or value in ("<11", None):
            cells[name] = value  # a header row (text) is not a cell

    suppressed = set(summary["suppressed"])

    def read(name: str, path: str) -> None:
        node: object = summary
        for part in path.split("."):
            node = node[part] if isinstance(node, dict) else None
        put(name, "<11" if path in suppressed else node)

    for key in ("patients", "patients_analysed"):
        read(key, f"panel.{key}")
    for key in summary["excluded"]:
        read(f"excluded.{key}", f"excluded.{key}")
    for key in summary["conditions"]:
        read(f"conditions.{key}", f"conditions.{key}")
    elig = summary["eligibility"]
    for key in (
        "ccm_eligible",
        "pcm_candidates",
        "complex_ccm_candidates",
        "needs_initiating_visit",
        "broad_ccm_eligible",
    ):
        read(key, f"eligibility.{key}")
    for group in (
        "ccm_eligible_by_payer",
        "pcm_candidates_by_payer",
        "complex_ccm_candidates_by_payer",
    ):
        for payer in elig[group] or {}:
            read(f"{group}.{payer}", f"eligibility.{group}.{payer}")
    for tier in elig["apcm_tiers"]:
        read(f"apcm.{tier}", f"eligibility.apcm_tiers.{tier}")
    chronic = next(v for k, v in tables.items() if k.startswith("Chronic conditions per"))
    for label, values in chronic.items():
        put(f"bin.{label}", values[0] if isinstance(values, list) else values)
    for role in ("provider", "location"):
        for name, value in tables.get(f"CCM eligible patients by {role}", {}).items():
            put(f"{role}.{name}", value)
    funnel = tables["From panel to enrolled patients"]
    put("billable", funnel["In billable payer classes"][0])
    relations = [
        partition("patients", ["patients_analysed", "excluded.deceased", "excluded.hospice"]),
        partition("patients_analysed", [c for c in cells if c.startswith("bin.")]),
        partition("ccm_eligible", ["bin.2", "bin.3", "bin.4", "bin.5", "bin.6+"]),
        partition("pcm_candidates", ["bin.1"]),
        partition(
            "billable",
            ["ccm_eligible_by_payer.medicare_ffs", "ccm_eligible_by_payer.medicare_advantage"],
        ),
        Relation(
            ("ccm_eligible_by_payer.medicare_ffs", "ccm_eligible_by_payer.medicare_advantage"),
            ("apcm.G0557", "apcm.G0558"),
        ),
        Relation(
            ("apcm.G0556",),
            ("pcm_candidates_by_payer.medicare_ffs", "pcm_candidates_by_payer.medicare_advantage"),
            exact=False,
        ),
        Relation(
            tuple(c for c in cells if c.startswith("conditions.")),
            ("bin.1", "bin.2", "bin.3", "bin.4", "bin.5", "bin.6+"),
            exact=False,
            weights=(1, 2, 3, 4, 5, 6),
        ),
        Relation(("ccm_eligible",), ("complex_ccm_candidates",), exact=False),
    ]
    for group, total in (
        ("ccm_eligible_by_payer", "ccm_eligible"),
        ("pcm_candidates_by_payer", "pcm_candidates"),
        ("complex_ccm_candidates_by_payer", "complex_ccm_candidates"),
        ("provider", "ccm_eligible"),
        ("location", "ccm_eligible"),
    ):
        parts = [c for c in cells if c.startswith(group + ".")]
        if parts:
            relations.append(partition(total, parts))
    hidden = {k: (None if v == "<11" else v) for k, v in cells.items() if v is not None}
    return hidden, [r for r in relations if all(c in hidden for c in r.cells)]


def attack(cells: dict[str, int | None], relations: list[Relation]) -> dict[str, int]:
    """Every hidden cell the attacker can pin to one value: subtraction to a fixpoint, the
    ">= 1" bound, then a linear programme over all relations at once."""
    known = {k: v for k, v in cells.items() if v is not None}
    found: dict[str, int] = {}
    changed = True
    while changed:  # subtraction and ">= 1" partition sums, relation by relation
        changed = False
        for relation in relations:
            if not relation.exact or relation.weights:
                continue
            unknown = [c for c in relation.cells if c not in known]
            if not unknown:
                continue
            rest = sum(known[p] for p in relation.parts if p in known) - sum(
                known[t] for t in relation.totals if t in known
            )
            if len(unknown) == 1:
                cell = unknown[0]
                known[cell] = found[cell] = -rest if cell in relation.parts else rest
                changed = True
            elif all(c in relation.parts for c in unknown) and -rest == len(unknown):
                for cell in unknown:
                    known[cell] = found[cell] = 1
                changed = True
    hidden = [c for c in cells if cells[c] is None and c not in found]
    # markers unknown to this attacker: every hidden cell is 0+ (`latent`)
    values = {k: (v if v is not None else 0) for k, v in cells.items()} | found
    ranges = cell_ranges(values, relations, hidden, latent=hidden)
    found |= {c: round(low) for c, (low, high) in ranges.items() if pinned(low, high)}
    return found


def truth_of(name: str, exact: dict[str, int | None]) -> int | None:
    """The true count behind an attacker's cell name (to tell a recovery from a wrong guess)."""
    head, _, rest = name.partition(".")
    path = {
        "patients": "panel.patients", "patients_analysed": "panel.patients_analysed",
        "apcm": f"eligibility.apcm_tiers.{rest}", "bin": f"chronic_count.{rest}",
    }.get(head)  # fmt: skip
    if path is None and head in ("excluded", "conditions", "provider", "location"):
        path = name
    if path is None and name != "billable":
        path = f"eligibility.{name}"
    return exact.get(path) if path else None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_attacker_recovers_no_small_count(tmp_path: Path, seed: int) -> None:
    panel = read_panel(crafted_panel(tmp_path / "panel.csv", seed))
    a = assess(panel, AssessmentRequest(as_of=AS_OF, practice="Crafted", locality="TX 99"))
    summary = json.loads(write_summary(a, tmp_path / "summary.json").read_text())
    tables = funnel_tables(write_workbook(a, tmp_path / "workbook.xlsx"))
    cells, relations = attacker_view(summary, tables)
    hidden = {k for k, v in cells.items() if v is None}
    assert hidden, "the crafted panel must have small subgroups"
    recovered = attack(cells, relations)
    exact = a.published.exact
    assert {c: v for c, v in recovered.items() if 1 <= v <= 10 and v == truth_of(c, exact)} == {}


def test_the_attacker_does_recover_counts_left_unprotected() -> None:
    """The attacker works: with only the small cells hidden it finds them."""
    cells = {"total": 30, "a": 18, "b": 10, "c": 2}
    relations = [partition("total", ["a", "b", "c"])]
    hidden_only_small = {k: (None if k in ("b", "c") else v) for k, v in cells.items()}
    assert attack(hidden_only_small, relations) == {}  # b + c = 12: not pinned
    two_ones = {"total": 20, "a": 18, "b": None, "c": None}
    assert attack(two_ones, relations) == {"b": 1, "c": 1}
    alone = {"total": 30, "a": 18, "b": 10, "c": None}
    assert attack(alone, relations) == {"c": 2}


def test_plan_hides_a_complement_for_the_two_ones_case() -> None:
    cells = {"total": 40, "a": 38, "b": 1, "c": 1}
    hidden = plan_suppression(cells, [partition("total", ["a", "b", "c"])], public=["total"])
    assert hidden == {"a", "b", "c"}


def test_plan_protects_across_tables() -> None:
    """payer table: medicaid 4 alone small -> a complement; the provider table shares the total
    and the complement must not be given away by it."""
    cells = {"eligible": 100, "ffs": 60, "ma": 36, "medicaid": 4, "dr_a": 97, "dr_b": 3}
    relations = [
        partition("eligible", ["ffs", "ma", "medicaid"]),
        partition("eligible", ["dr_a", "dr_b"]),
    ]
    hidden = plan_suppression(cells, relations)
    assert hidden == {"medicaid", "ma", "dr_b", "dr_a"}
    shown = {k: (None if k in hidden else v) for k, v in cells.items()}
    assert attack(shown, relations) == {}


def test_plan_sees_weighted_sums() -> None:
    """Patients per condition sum to 1 x bin1 + 2 x bin2: two hidden bins whose plain sum is
    known are pinned by the weighted one."""
    cells = {"analysed": 50, "bin1": 5, "bin2": 30, "bin0": 15, "cond_a": 35, "cond_b": 30}
    relations = [
        partition("analysed", ["bin0", "bin1", "bin2"]),
        Relation(("cond_a", "cond_b"), ("bin1", "bin2"), weights=(1, 2)),
    ]
    hidden = plan_suppression(cells, relations, public=["analysed"])
    shown = {k: (None if k in hidden else v) for k, v in cells.items()}
    assert "bin1" in hidden and attack(shown, relations) == {}
    assert len(hidden) >= 3


def test_without_complements_the_attacker_wins(tmp_path: Path, monkeypatch) -> None:
    """Hiding only the 1-10 cells (no run-wide plan) gives counts away on the same panel."""
    import ccm_assess.practice.disclosure as disclosure
    from ccm_assess.privacy import is_small

    def small_only(cells, relations, public=(), **_):
        return frozenset(c for c, v in cells.items() if c not in public and is_small(v))

    monkeypatch.setattr(disclosure, "plan_suppression", small_only)
    panel = read_panel(crafted_panel(tmp_path / "panel.csv", 4))
    a = assess(panel, AssessmentRequest(as_of=AS_OF, practice="Crafted", locality="TX 99"))
    summary = json.loads(write_summary(a, tmp_path / "summary.json").read_text())
    tables = funnel_tables(write_workbook(a, tmp_path / "workbook.xlsx"))
    recovered = attack(*attacker_view(summary, tables))
    assert recovered == {"bin.6+": 7, "apcm.G0558": 1}


@pytest.mark.parametrize("seed", [1, 4])
def test_every_declared_relation_holds_on_the_exact_counts(tmp_path: Path, seed: int) -> None:
    """A relation that does not hold would mislead the planner: each is checked on real counts."""
    panel = read_panel(crafted_panel(tmp_path / "panel.csv", seed))
    published = assess(
        panel, AssessmentRequest(as_of=AS_OF, practice="Crafted", locality="TX 99")
    ).published
    exact = published.exact
    for relation in published.relations:
        if any(exact[c] is None for c in relation.cells):
            continue
        left = sum(w * exact[c] for c, w in relation.terms())
        assert (left == 0) if relation.exact else (left <= 0), relation
    assert any(c.startswith("unpublished.") for c in published.hidden)
