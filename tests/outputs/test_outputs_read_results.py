"""Outputs and the edge show the domain results; they do not compute them (issue 18).

The figures, tables, workbook sheets and explorer views read what ScenarioResult, MonteCarlo
and the program tables carry (year sums, hours a week by kind, allowed by code, the share of
draws that earn money, percentiles). A syntax scan of every module under ccm_assess/outputs
and ccm_assess/edge flags the shapes of the arithmetic that used to be recomputed there:
percentiles/quantiles, Monte Carlo per-draw rows (`.outcomes`), reductions or windows over the
monthly frame, months bucketed into years (`["month"] ... // 12`), shares as the mean of a
comparison, and units x rates.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "ccm_assess"
MODULES = sorted([*ROOT.joinpath("outputs").rglob("*.py"), *ROOT.joinpath("edge").rglob("*.py")])
QUANTILES = {"percentile", "quantile", "nanpercentile", "nanquantile"}
OVER_MONTHS = {"sum", "mean", "median", "cumsum", "groupby", "tail", "head", "rolling"}


def _chain(node: ast.AST) -> list[ast.AST]:
    """`node` and what it is built on: a.b["c"].d() -> the call, .d, ["c"], .b, a."""
    out = [node]
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return out
        out.append(node)


def _names(nodes: list[ast.AST]) -> set[str]:
    """The names and attribute names among `nodes`."""
    names = {n.id for n in nodes if isinstance(n, ast.Name)}
    return names | {n.attr for n in nodes if isinstance(n, ast.Attribute)}


def _is_month_column(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Subscript)
        and isinstance(n.slice, ast.Constant)
        and n.slice.value == "month"
        for n in ast.walk(node)
    )


def _is_rate(node: ast.AST) -> bool:
    return isinstance(node, ast.Subscript) and "rates" in _names(_chain(node.value))


def findings(source: str) -> list[str]:
    """Domain arithmetic in `source`, one line per finding (`line: what`)."""
    tree = ast.parse(source)
    # the monthly frame and the names bound to a part of it (`m = result.monthly`)
    frames = {"monthly"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and "monthly" in _names(_chain(node.value)):
            frames |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr == "outcomes":
            found.append(f"{line}: reads Monte Carlo draws (.outcomes): use MonteCarlo.summary")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in QUANTILES:
                found.append(f"{line}: computes a {name}: read the MonteCarlo.summary percentile")
            if name in OVER_MONTHS and isinstance(func, ast.Attribute):
                if frames & _names(_chain(func.value)):
                    found.append(f"{line}: .{name}() over the monthly frame: add a result field")
            if name == "mean":
                targets = [*_chain(func.value)] if isinstance(func, ast.Attribute) else node.args
                if any(isinstance(t, ast.Compare) for t in targets):
                    found.append(f"{line}: a share as the mean of a comparison: add a result field")
        if isinstance(node, ast.BinOp):
            if (
                isinstance(node.op, ast.FloorDiv)
                and isinstance(node.right, ast.Constant)
                and node.right.value == 12
                and _is_month_column(node.left)
            ):
                found.append(f"{line}: months bucketed into years: use ScenarioResult.yearly")
            if isinstance(node.op, ast.Mult) and (_is_rate(node.left) or _is_rate(node.right)):
                found.append(f"{line}: units x rate: use ScenarioResult.allowed_per_month_by_code")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_outputs_and_edge_do_not_compute_domain_figures(path: Path):
    assert findings(path.read_text(encoding="utf-8")) == []


# what the scan used to find in outputs/ (before issue 18): each must be found again
RECOMPUTED = {
    "earns = float((outcomes.loc[outcomes['model'] == m, 'horizon_net'] > 0).mean())": "mean of",
    "p10, p90 = np.percentile(net, [10, 90])": "percentile",
    "q = s.quantile(0.9)": "quantile",
    "earning = mc.outcomes.groupby('model')['earns'].mean()": ".outcomes",
    "steady = scenario.monthly.tail(12)": ".tail() over the monthly",
    "total = result.monthly['net'].sum()": ".sum() over the monthly",
    "m = result.monthly\nbilled = money(m['gross_allowed'].sum())": ".sum() over the monthly",
    "sums = monthly['net'].groupby((monthly['month'] - 1) // 12).sum()": "bucketed into years",
    "year = (long['month'] - 1) // 12 + 1": "bucketed into years",
    "usd = steady[code].mean() * rates[code]": "units x rate",
}


@pytest.mark.parametrize("line", RECOMPUTED)
def test_the_scan_finds_each_recomputation_it_guards_against(line: str):
    assert any(RECOMPUTED[line] in f for f in findings(line))


def test_the_scan_leaves_formatting_and_lookups_alone():
    allowed = (
        "last = float(result.monthly['enrolled'].iloc[-1])\n"
        "span = f'{months // 12}-year'\n"
        "text = money(result.horizon_net)\n"
        "earning = monte.summary['share_earning']\n"
        "cells = [f'${v:,.2f}' for v in rates[column]]\n"
    )
    assert findings(allowed) == []
