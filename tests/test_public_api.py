"""The public API of `ccm_assess` is pinned: a rename or removal fails here first."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ccm_assess

PUBLIC = [
    "__version__",
    "read_panel",
    "Panel",
    "load_assumptions",
    "Assumptions",
    "load_questionnaire",
    "assess",
    "AssessmentRequest",
    "Assessment",
    "RunOptions",
    "run_assessment",
    "write_sample",
    "CcmAssessError",
]


def test_all_is_pinned() -> None:
    assert ccm_assess.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC[1:])
def test_every_public_name_resolves_to_its_home(name: str) -> None:
    value = getattr(ccm_assess, name)
    assert value.__name__ == name
    assert value.__module__.startswith("ccm_assess.")


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'assesss'"):
        ccm_assess.assesss  # noqa: B018


def test_import_is_cheap() -> None:
    """`import ccm_assess` loads no pandas, plotly or papermill (the CLI's start-up time)."""
    heavy = "{'pandas', 'plotly', 'papermill'}"
    code = f"import sys, ccm_assess; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
