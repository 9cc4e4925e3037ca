"""The assessment `ccm-assess run` hands to the report notebook (assess/assessment.py):
de-identified, the same published numbers, in a format that cannot run code (JSON + Parquet,
practice/prepared.py), refused when another version wrote it; standalone the notebook still
computes its own."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.errors import ReportError
from ccm_assess.intake.panel import tidy_panel
from ccm_assess.practice import prepared as prepared_format
from ccm_assess.practice.assessment import (
    HEADER_FILE,
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
    return save_prepared(assessment, tmp_path_factory.mktemp("staging") / "prepared")


def test_the_notebook_gets_the_same_published_numbers(assessment, prepared) -> None:
    loaded = load_prepared(prepared)
    assert loaded.published.summary(loaded.summary()) == assessment.published.summary(
        assessment.summary()
    )
    # 26 of 29 eligible: the 3 with one condition would be 29 - 26, so the eligible count and
    # every count equal to it (the providers' sum) are withheld (issue 24)
    assert loaded.shown_counts["eligibility"]["ccm_eligible"] == "withheld"
    assert loaded.published.group("provider") == assessment.published.group("provider")
    assert loaded.published.group("provider") == {"Dr Alpha": "withheld", "Dr Beta": "withheld"}
    assert loaded.shown_counts["panel"]["patients_analysed"] == 29


def test_the_handed_over_file_holds_no_identifier_from_the_panel(assessment, prepared) -> None:
    data = b"".join(part.read_bytes() for part in prepared.iterdir())
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
def test_a_file_from_another_version_is_refused_before_reading_it(tmp_path, header) -> None:
    (tmp_path / HEADER_FILE).write_bytes(header)
    (tmp_path / prepared_format.TREE).write_text("not JSON at all")  # never read
    with pytest.raises(ReportError, match="not an assessment prepared by this version"):
        load_prepared(tmp_path)


class _Deletes:
    """A pickle that deletes a file when loaded: what a hostile 'prepared assessment' held."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.remove, (str(self.target),))


@pytest.mark.parametrize(
    "tree",
    [
        {"~dataclass": "os:remove", "fields": {}},
        {"~dataclass": "ccm_assess.edge.lifecycle:publish", "fields": {}},
        {"~dataclass": "ccm_assess.practice.assessment:Assessment", "fields": {"x": 1}},
        {"~pickle": "gASV"},
        {"~frame": "../../etc/passwd.parquet", "columns": [], "encoded": []},
    ],
)
def test_a_hostile_prepared_assessment_runs_nothing(tmp_path, tree) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("still here", encoding="utf-8")
    (tmp_path / HEADER_FILE).write_bytes(prepared_header())
    (tmp_path / prepared_format.TREE).write_text(json.dumps(tree))
    with pytest.raises(ReportError, match="not an assessment prepared by this version"):
        load_prepared(tmp_path)
    (tmp_path / prepared_format.TREE).write_bytes(pickle.dumps(_Deletes(target)))  # old format
    with pytest.raises(ReportError, match="run `ccm-assess run` again"):
        load_prepared(tmp_path)
    assert target.read_text(encoding="utf-8") == "still here"


def test_the_stored_tree_round_trips_the_kit_types(tmp_path) -> None:
    value = {
        ("a", 1): [dt.date(2026, 1, 2), frozenset({3}), Path("x.csv"), None, 1.5],
        "frame": pd.DataFrame({"after": [(1, 2), ()], 0: ["x", None]}, index=["p", "q"]),
    }
    back = prepared_format.read(prepared_format.write(value, tmp_path / "tree"))
    assert back[("a", 1)] == value[("a", 1)]
    pd.testing.assert_frame_equal(back["frame"], value["frame"])
    assert back["frame"].loc["p", "after"] == (1, 2)


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
