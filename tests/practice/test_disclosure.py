"""The disclosure plan's estimates: what the finance model runs on depends on published counts
only (docs/privacy.md)."""

from __future__ import annotations

from ccm_assess.practice.disclosure import Published
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
