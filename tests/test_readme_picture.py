"""The README's picture shows today's headline: docs/executive_summary.json (written with the
picture by scripts/readme_picture.py) against the golden summary.json of the same sample run,
which tests/test_golden_summary.py keeps equal to what the kit computes. No rendering here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "sample_summary_tx99_questionnaire.json"


def _script():
    spec = importlib.util.spec_from_file_location(
        "readme_picture", ROOT / "scripts" / "readme_picture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_picture_records_the_current_headline_of_the_sample():
    script = _script()
    recorded = json.loads(script.SIDECAR.read_text(encoding="utf-8"))
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert recorded["as_of"] == golden["as_of"]
    # on a mismatch: python scripts/readme_picture.py, then commit the picture and its .json
    assert recorded["headline"] == script.headline(golden)
    assert script.PICTURE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "docs/executive_summary.png" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_headline_is_the_recommended_models_medians_in_whole_dollars():
    summary = {
        "recommendation": "hybrid",
        "scenarios": {"hybrid": {"p50_horizon_net": 1234.56, "p50_year1_net": -99.5,
                                 "p50_break_even_month": None}},
    }  # fmt: skip
    assert _script().headline(summary) == {
        "recommendation": "hybrid",
        "p50_horizon_net": 1235,
        "p50_year1_net": -100,
        "p50_break_even_month": None,
    }
