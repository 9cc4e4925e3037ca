"""The assessment `ccm-assess run` hands to the report notebook (assess/assessment.py):
de-identified, the same published numbers, refused when another version wrote it; standalone
the notebook still computes its own."""

from __future__ import annotations

import datetime as dt
import os
import pickle
from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.errors import ReportError
from ccm_assess.intake.panel import tidy_panel
from ccm_assess.practice.assessment import (
    PREPARED_KIND,
    SCHEMA_VERSION,
    Assessment,
    assess,
    load_prepared,
    notebook_assessment,
    prepared_header,
    save_prepared,
)
from ccm_assess.practice.request import AssessmentRequest

AS_OF = dt.date(2026, 6, 30)
HEADER = ["MRN", "Patient Name", "Phone", "DOB", "Dx", "Primary Insurance", "PCP"]
ROWS = [  # 14 eligible Medicare patients of Dr Alpha, 12 of Dr Beta, 3 with one condition
    *[[f"MRN-{n:03d}", f"Zqxname{n:03d}", f"555-01{n:02d}", "1950-03-04", "E11.9; I10",
       "Medicare", "Dr Alpha" if n < 14 else "Dr Beta"] for n in range(26)],
    *[[f"MRN-{n:03d}", f"Zqxname{n:03d}", f"555-01{n:02d}", "1950-03-04", "I10", "Medicare",
       "Dr Beta"] for n in range(26, 29)],
]  # fmt: skip


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    panel = tidy_panel(pd.DataFrame([HEADER, *ROWS]), today=pd.Timestamp(AS_OF))
    return assess(panel, AssessmentRequest(as_of=AS_OF, practice="Test Practice"))


@pytest.fixture(scope="module")
def prepared(assessment: Assessment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_prepared(assessment, tmp_path_factory.mktemp("staging") / "assessment.pkl")


def test_the_notebook_gets_the_same_published_numbers(assessment, prepared) -> None:
    loaded = load_prepared(prepared)
    assert loaded.published.summary(loaded.summary()) == assessment.published.summary(
        assessment.summary()
    )
    assert loaded.shown_counts["eligibility"]["ccm_eligible"] == 26
    assert loaded.published.group("provider") == assessment.published.group("provider")
    assert loaded.published.group("provider") == {"Dr Alpha": 14, "Dr Beta": 12}


def test_the_handed_over_file_holds_no_identifier_from_the_panel(assessment, prepared) -> None:
    data = prepared.read_bytes()
    for row in ROWS:
        for value in row[:3]:  # id, name, phone
            assert value.encode() not in data, value
    loaded = load_prepared(prepared)
    ids = [f"P{n:06d}" for n in range(1, 30)]
    assert sorted(loaded.panel.patients.index) == ids
    assert sorted(loaded.eligibility.patients.index) == ids
    assert set(loaded.eligibility.evidence["patient_id"]) <= set(ids)
    assert set(loaded.panel.diagnoses["patient_id"]) == set(ids)
    # the same patient keeps the same pseudonym in every frame
    frames = loaded.panel.patients.join(loaded.eligibility.patients[["ccm_eligible"]])
    assert (frames["provider"] == "Dr Alpha").sum() == 14
    assert frames.loc[frames["provider"] == "Dr Alpha", "ccm_eligible"].all()
    assert loaded.panel.patients["name"].isna().all()
    assert loaded.panel.has("phone")  # the report still says whether phones were given


@pytest.mark.parametrize(
    "header",
    [
        prepared_header(version="0.0.1"),
        prepared_header(schema_version=SCHEMA_VERSION - 1),
        prepared_header().replace(PREPARED_KIND.encode(), b"something else"),
    ],
)
def test_a_file_from_another_version_is_refused_before_unpickling_it(tmp_path, header) -> None:
    path = tmp_path / "assessment.pkl"
    path.write_bytes(header + b"not a pickle at all")  # never read: the header already failed
    with pytest.raises(ReportError, match="not an assessment prepared by this version"):
        load_prepared(path)


class _Deletes:
    """A pickle that deletes a file when loaded: what a hostile 'prepared assessment' holds."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.remove, (str(self.target),))


def test_a_hostile_pickle_is_never_loaded(tmp_path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("still here", encoding="utf-8")
    path = tmp_path / "assessment.pkl"
    path.write_bytes(pickle.dumps(_Deletes(target)))
    with pytest.raises(ReportError, match="not an assessment prepared by this version"):
        load_prepared(path)
    assert target.read_text(encoding="utf-8") == "still here"


def test_a_file_that_is_no_pickle_is_refused(tmp_path) -> None:
    path = tmp_path / "assessment.pkl"
    path.write_text("panel_path: x\n", encoding="utf-8")
    with pytest.raises(ReportError, match="run `ccm-assess run` again"):
        load_prepared(path)


def test_the_notebook_loads_what_run_handed_over_without_reading_a_panel(prepared) -> None:
    loaded = notebook_assessment(
        str(prepared), panel_path="/nonexistent/panel.xlsx", as_of="2020-01-01"
    )
    assert loaded.practice == "Test Practice"
    assert loaded.as_of == AS_OF


def test_standalone_the_notebook_computes_from_its_parameters(assessment, tmp_path) -> None:
    panel = tmp_path / "panel.csv"
    panel.write_text("\n".join(",".join(row) for row in [HEADER, *ROWS]) + "\n", encoding="utf-8")
    computed = notebook_assessment(
        "", panel_path=str(panel), as_of=AS_OF.isoformat(), practice="Test Practice"
    )
    assert computed.summary() == assessment.summary()
    assert computed.rate_table.locality.label == assessment.rate_table.locality.label
