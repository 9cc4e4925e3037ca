"""Every export shape of `export_shapes.py` reads to the counts worked from its patients, with
no mapping, and fails loudly when its codes are corrupted."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_shapes import PATIENTS, SHAPES, expected

from ccm_assess.errors import PanelError
from ccm_assess.intake.panel import read_panel


def test_the_expected_counts_are_worked_by_hand() -> None:
    # 36 patients with 1 + (5i mod 7) codes; every fifth (i = 2, 7, ...) lists one code twice
    assert expected() == {"patients": 36, "pairs": sum(1 + (5 * i) % 7 for i in range(36)),
                          "codes": 19}  # fmt: skip
    assert sum(len(p.codes) for p in PATIENTS) == expected()["pairs"] + 7


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shape_reads_without_a_mapping(shape: str, tmp_path: Path) -> None:
    panel = read_panel(SHAPES[shape](tmp_path))
    want = expected()
    assert len(panel.patients) == want["patients"]
    assert len(panel.diagnoses) == want["pairs"]
    assert panel.diagnoses["code"].nunique() == want["codes"]
    assert panel.quality.invalid_codes.empty
    ids = {str(p.number) for p in PATIENTS}
    assert {i.lstrip("EPAC-0") for i in panel.patients.index} == ids


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shape_with_corrupted_codes_fails_loudly(shape: str, tmp_path: Path) -> None:
    with pytest.raises(PanelError) as error:
        read_panel(SHAPES[shape](tmp_path, corrupt=True))
    assert "diagnosis" in str(error.value) or "ICD-10-CM" in str(error.value)
