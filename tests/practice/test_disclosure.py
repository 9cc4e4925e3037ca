"""The disclosure plan's estimates: what the finance model runs on depends on published counts
only (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ccm_assess.errors import PanelError
from ccm_assess.intake.panel import read_panel
from ccm_assess.practice.assessment import assess
from ccm_assess.practice.disclosure import Published, refuse_identifying_groups
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.privacy import WITHHELD, partition, plan_suppression


def plan(exact: dict[str, int | None], relations: list, public: tuple[str, ...]) -> Published:
    return Published(exact, tuple(relations), plan_suppression(exact, relations, public=public))


def test_hidden_parts_share_what_the_published_total_leaves() -> None:
    relations = [partition("eligible", ["ffs", "ma", "medicaid"])]
    published = plan({"eligible": 35, "ffs": 18, "ma": 15, "medicaid": 2}, relations, ("eligible",))
    assert published.hidden == {"ma", "medicaid"}
    assert published.shown("ma") == WITHHELD and published.shown("medicaid") == "<11"
    assert published.estimates() == {"eligible": 35.0, "ffs": 18.0, "ma": 8.5, "medicaid": 8.5}


def test_estimates_are_the_same_for_any_hidden_values_behind_the_same_publication() -> None:
    """Two panels that publish the same counts give the model the same inputs."""
    e = "eligibility."
    relations = [partition(f"{e}eligible", [f"{e}ffs", f"{e}ma", f"{e}medicaid"])]

    def run(ma: int, medicaid: int) -> dict:
        counts = {"eligible": 30, "ffs": 18, "ma": ma, "medicaid": medicaid}
        published = plan({e + k: v for k, v in counts.items()}, relations, (f"{e}eligible",))
        assert published.hidden == {f"{e}ma", f"{e}medicaid"}
        return published.model_counts({"eligibility": counts})

    assert (
        run(9, 3)
        == run(7, 5)
        == {"eligibility": {"eligible": 30, "ffs": 18, "ma": 6.0, "medicaid": 6.0}}
    )


def test_a_hidden_total_is_the_sum_of_its_published_parts() -> None:
    relations = [partition("billable", ["ffs", "ma"]), partition("eligible", ["billable", "rest"])]
    exact = {"eligible": 60, "billable": 45, "ffs": 40, "ma": 5, "rest": 15}
    estimates = Published(exact, tuple(relations), frozenset({"billable", "ma"})).estimates()
    assert estimates["billable"] == 45.0 and estimates["ma"] == 5.0
    assert Published(exact, tuple(relations), frozenset({"ma", "ffs"})).estimates()["ma"] == 22.5


def test_a_provider_column_of_patient_names_is_refused_by_header_never_by_value(
    tmp_path: Path,
) -> None:
    lines = ["MRN,Patient Name,Diagnoses,Insurance,PCP"]
    lines += [f"{i},Zqx{i}son Alpha,E11.9; I10,Medicare,Dr {i % 3}" for i in range(1, 41)]
    path = tmp_path / "panel.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refuse_identifying_groups(read_panel(path))  # 3 providers: fine
    panel = read_panel(path, mapping={"provider": "Patient Name"})
    with pytest.raises(PanelError) as error:
        refuse_identifying_groups(panel)
    message = str(error.value)
    assert '"Patient Name"' in message and "40 of the 40 patients" in message
    assert "Zqx" not in message
    with pytest.raises(PanelError):
        assess(panel, AssessmentRequest(as_of=dt.date(2026, 11, 20)))
