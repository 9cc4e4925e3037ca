"""The README's picture shows today's headline: docs/executive_summary.json (written with the
picture by scripts/readme_picture.py) against the summary.json the kit computes now for the
same sample run (assessed here, without the report notebook). No rendering here."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

from ccm_assess.edge.run import RunOptions, prepare
from ccm_assess.practice.request import AssessmentRequest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def _script():
    spec = importlib.util.spec_from_file_location(
        "readme_picture", ROOT / "scripts" / "readme_picture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sample_summary(out: Path) -> dict:
    """summary.json of the README's set-up command (scripts/readme_picture.RUN)."""
    request = AssessmentRequest(
        as_of=dt.date(2026, 11, 20), practice="Sunrise Family Medicine", locality="TX 99"
    )
    options = RunOptions(
        panel=SAMPLE / "sunrise_family_medicine_panel.xlsx",
        out=out,
        request=request,
        questionnaire=SAMPLE / "questionnaire.yaml",
    )
    assessment = prepare(options, lambda _: None)
    return json.loads(json.dumps(assessment.published.summary(assessment.summary())))


def test_the_readme_picture_records_the_current_headline_of_the_sample(tmp_path):
    script = _script()
    recorded = json.loads(script.SIDECAR.read_text(encoding="utf-8"))
    summary = _sample_summary(tmp_path / "out")
    assert recorded["as_of"] == summary["as_of"]
    # on a mismatch: python scripts/readme_picture.py, then commit the picture and its .json
    assert recorded["headline"] == script.headline(summary)
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
