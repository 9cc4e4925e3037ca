"""summary.json of the bundled sample equals the committed golden copy.

The golden files were written before the package was split into subpackages (issue 18); any
change of a figure, key or count fails here. Regenerate them only for an intended change of
behaviour, and say so in the commit: `python tests/test_golden_summary.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from ccm_assess.edge.run import RunOptions, prepare

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden")
AS_OF = dt.date(2026, 11, 20)
START = dt.date(2026, 12, 1)
"""The decision date of the launch plan's calendar (fixed: the default is today)."""
CASES = {
    "sample_summary_national.json": {},
    "sample_summary_tx99_questionnaire.json": {
        "questionnaire": ROOT / "sample_data" / "questionnaire.yaml",
        "locality": "TX 99",
    },
}


def sample_summary(tmp: Path, **options: Any) -> dict[str, Any]:
    run = RunOptions(
        panel=ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx",
        out=tmp,
        as_of=AS_OF,
        start=START,
        **options,
    )
    assessment = prepare(run, lambda _: None)
    summary: dict[str, Any] = json.loads(
        json.dumps(assessment.published.summary(assessment.summary()))
    )
    return summary


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two JSON values differ; floats equal to 1e-9 relative (numpy versions vary)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{path}.{key}: missing" for key in expected.keys() - actual.keys()]
        found += [f"{path}.{key}: unexpected" for key in actual.keys() - expected.keys()]
        for key in expected.keys() & actual.keys():
            found += differences(expected[key], actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items, now {len(actual)}"]
        return [
            d
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for d in differences(*pair, f"{path}[{i}]")
        ]
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        same = math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
        return [] if same else [f"{path}: {expected!r} -> {actual!r}"]
    return [] if expected == actual else [f"{path}: {expected!r} -> {actual!r}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_summary_unchanged(name: str, tmp_path: Path) -> None:
    expected = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    assert differences(expected, sample_summary(tmp_path / "out", **CASES[name])) == []


def test_differences_finds_a_changed_figure() -> None:
    assert differences({"a": [1.0, {"b": 2}]}, {"a": [1.0 + 1e-6, {"b": 3}]}) == [
        ".a[0]: 1.0 -> 1.000001",
        ".a[1].b: 2 -> 3",
    ]


if __name__ == "__main__":  # regenerate after an intended change of behaviour
    for golden_name, golden_options in CASES.items():
        text = json.dumps(
            sample_summary(
                Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden"), **golden_options
            ),
            indent=2,
        )
        (GOLDEN / golden_name).write_text(text + "\n", encoding="utf-8")
