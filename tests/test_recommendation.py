"""Delivery-model recommendation rules and the 90-day launch plan, on hand-worked practices."""

from __future__ import annotations

import pytest

from ccm_assess.questionnaire import Answers, questionnaire_definition
from ccm_assess.readiness import score_readiness
from ccm_assess.recommendation import RULES, hours_per_week, launch_plan, recommend

DEFINITION = questionnaire_definition()


def answers(overrides: dict[str, object], base: str = "yes") -> Answers:
    """yes/partly/no questions at `base`, choices at their best option ("yes") or worst ("no"),
    numbers 40 h set aside / 10 h coordination / 2 billers, then `overrides`."""
    values: dict[str, object] = {}
    for q in DEFINITION.questions:
        if q.type == "yes_partly_no":
            values[q.id] = base
        elif q.type == "choice":
            pick = max if base == "yes" else min
            values[q.id] = pick(q.options, key=lambda o: o.score).key
        else:
            values[q.id] = {"dedicated_hours_per_week": 40, "coordination_hours_per_week": 10}.get(
                q.id, 2
            )
    return Answers.from_dict({**values, **overrides})


def scenarios(in_house: float, managed: float, hybrid: float, p10: float = 10_000) -> dict:
    def metrics(net: float) -> dict:
        return {
            "horizon_net": net, "p10_horizon_net": p10, "year1_net": net / 4,
            "break_even_month": 6, "ftes_steady_state": 1.5, "monthly_net_steady_state": net / 36,
        }  # fmt: skip

    return {"in_house": metrics(in_house), "managed": metrics(managed), "hybrid": metrics(hybrid)}


GOOD_ECONOMICS = scenarios(in_house=300_000, managed=150_000, hybrid=200_000)


def test_hours_per_week_from_ftes():
    # 1.5 FTE x 2080 h x 0.80 productive / 52 weeks = 1.5 x 32 = 48 h a week
    assert hours_per_week(1.5) == pytest.approx(48.0)
    assert hours_per_week(1.0, productive_hours_per_fte=1820) == pytest.approx(35.0)


def test_no_bandwidth_and_weak_workflow_goes_managed_despite_in_house_economics():
    readiness = score_readiness(answers({"dedicated_hours_per_week": 0}, base="no"))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.5)
    # 0 of 48 hours covered (< 40%) -> R2 managed, although in-house nets $150,000 more
    assert (rec.choice, rec.rule) == ("managed", "R2")
    assert rec.hours_needed_per_week == pytest.approx(48.0)
    assert (
        "need about 48 staff hours a week in the final year (1.5 full-time staff" in rec.reasons[0]
    )
    assert "is 0 hours a week (0% of the need)" in rec.reasons[0]
    assert "not in place yet" in rec.reasons[1]
    assert "in-house $300,000, managed $150,000, hybrid $200,000" in rec.reasons[2]
    # hours alone make hybrid workable (+$50,000); in-house also needs the operations
    assert "hybrid workable" in rec.would_change[0] and "$50,000" in rec.would_change[0]
    assert "$150,000 more" in rec.would_change[1] and "once ownership" in rec.would_change[1]
    assert rec.confidence == "medium"  # one caveat: managed does not net the most


def test_some_bandwidth_but_weak_workflow_goes_hybrid():
    # 20 of 48 hours = 42% covered (>= 40%), operations not ready -> R5 hybrid
    readiness = score_readiness(answers({"dedicated_hours_per_week": 20}, base="no"))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.5)
    assert (rec.choice, rec.rule) == ("hybrid", "R5")
    assert "(42% of the need)" in rec.reasons[0]
    assert any("in-house would keep about $100,000 more" in s for s in rec.would_change)


def test_dedicated_rn_and_mature_documentation_goes_in_house_when_it_nets_most():
    readiness = score_readiness(answers({"dedicated_hours_per_week": 40}))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)
    # 40 h set aside vs 1.0 FTE = 32 h needed: 125% covered, all operations 100 -> R3 best net
    assert (rec.choice, rec.rule, rec.confidence) == ("in_house", "R3", "high")
    assert "(125% of the need)" in rec.reasons[0] and "is in place." in rec.reasons[1]
    assert "nets $100,000 more than hybrid" in rec.would_change[1]
    # same practice, but a vendor deal that nets more: economics decide under R3
    vendor_better = scenarios(in_house=150_000, managed=200_000, hybrid=180_000)
    assert recommend(readiness, vendor_better, ftes_needed=1.0).choice == "managed"


def test_not_assessed_capacity_does_not_count_as_capacity():
    readiness = score_readiness(answers({"dedicated_hours_per_week": None}))
    assert readiness.dedicated_hours_per_week is None
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)
    assert (rec.choice, rec.rule) == ("managed", "R2")
    assert "was not assessed, so we counted none" in rec.reasons[0]
    assert rec.hours_available_per_week is None
    assert rec.confidence == "low"  # not the best net + capacity not assessed


def test_partly_covered_and_ready_goes_in_house_only_when_it_nets_most():
    # 20 of 32 h = 62.5% covered, operations ready -> R4
    readiness = score_readiness(answers({"dedicated_hours_per_week": 20}))
    rec = recommend(readiness, GOOD_ECONOMICS, 1.0)
    assert (rec.choice, rec.rule, rec.confidence) == ("in_house", "R4", "high")
    hybrid_best = scenarios(in_house=150_000, managed=100_000, hybrid=200_000)
    rec = recommend(readiness, hybrid_best, 1.0)
    assert (rec.choice, rec.rule) == ("hybrid", "R4")


def test_no_model_earning_picks_the_smallest_loss_with_low_confidence():
    losing = scenarios(in_house=-40_000, managed=-5_000, hybrid=-20_000, p10=-60_000)
    rec = recommend(score_readiness(answers({})), losing, ftes_needed=1.0)
    assert (rec.choice, rec.rule, rec.confidence) == ("managed", "R1", "low")
    assert "managed a loss of $5,000" in rec.reasons[2]


def test_a_losing_choice_gives_way_to_the_model_that_earns():
    # R2 says managed, but managed loses $10,000 while in-house earns: take the best earner
    mixed = scenarios(in_house=50_000, managed=-10_000, hybrid=20_000)
    readiness = score_readiness(answers({"dedicated_hours_per_week": 0}))
    rec = recommend(readiness, mixed, ftes_needed=1.0)
    assert (rec.choice, rec.rule) == ("in_house", "R2")


def test_compliance_gaps_are_named_in_the_reasons():
    readiness = score_readiness(answers({"access_24_7": "none", "certified_ehr": "not_certified"}))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)
    assert any("24/7" in s and "on-call rota" in s for s in rec.reasons)
    assert any("certified EHR" in s for s in rec.reasons)


def test_rules_table_and_missing_metrics():
    assert [rule.id for rule in RULES] == ["R1", "R2", "R3", "R4", "R5"]
    broken = {**GOOD_ECONOMICS, "hybrid": {"horizon_net": 1.0}}
    with pytest.raises(ValueError, match="hybrid.p10_horizon_net"):
        recommend(score_readiness(answers({})), broken, 1.0)


# ---------------------------------------------------------------------------- launch plan


def test_plan_orders_by_start_week_then_importance():
    # ready practice, 40 h for 1 FTE (no shortfall), two gaps: 24/7 (CMS, weeks 1-4) and
    # documentation audit (weeks 11-13). In-house core steps: owner 1-2, worklist 1-3,
    # consent 2-3, time tracking 2-4, month-end review 8-9. Within week 1: core steps in
    # their order, then the gap.
    readiness = score_readiness(answers({"access_24_7": "none", "documentation_audit": "no"}))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)
    plan = launch_plan(readiness, rec)
    assert list(plan.columns) == ["weeks", "action", "owner", "why", "domain"]
    assert plan["weeks"].tolist() == ["1-2", "1-3", "1-4", "2-3", "2-4", "8-9", "11-13"]
    assert plan["action"][2] == DEFINITION.question("access_24_7").action
    assert plan["domain"][0] == "Ownership"
    assert "coinsurance" in plan["action"][3]


def test_plan_for_a_weak_practice_is_trimmed_and_adapted_to_managed():
    readiness = score_readiness(
        answers({"dedicated_hours_per_week": 0, "community_services": None}, base="no")
    )
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.5)
    plan = launch_plan(readiness, rec)
    assert rec.choice == "managed" and len(plan) == 12
    text = " ".join(plan["action"])
    assert "business associate agreement" in text and "vendor's time log" in text
    assert plan["action"][0] == "Answer the readiness questions left open: Community services"
    assert "monthly call schedule" not in text  # outreach is the vendor's work under managed
    assert text.count("Name one CCM owner") == 1  # the owner gap is folded into the core step
    starts = [int(w.split("-")[0]) for w in plan["weeks"]]
    assert starts == sorted(starts)
    # the top CMS-required gap not covered by a core step survives the trim
    assert "Set up 24/7 access" in text


def test_plan_adds_the_staffing_step_when_hours_fall_short_in_house():
    readiness = score_readiness(answers({"dedicated_hours_per_week": 20}))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)  # R4: in-house, 20 of 32 h
    plan = launch_plan(readiness, rec)
    step = plan[plan["domain"] == "Staff capacity"]
    assert step["action"].tolist() == [
        "Set aside about 32 clinical staff hours a week for CCM (now 20); "
        "assign or hire the difference"
    ]
    assert step["weeks"].tolist() == ["1-6"]


def test_confidence_comes_from_the_win_share():
    from ccm_assess.decision import Decision
    from ccm_assess.recommendation import with_decision

    rec = recommend(score_readiness(answers({})), GOOD_ECONOMICS, ftes_needed=1.0)
    for share, level in ((0.95, "high"), (0.8, "high"), (0.7, "medium"), (0.55, "low")):
        decided = with_decision(rec, Decision(rec.choice, "hybrid", share, ()))
        assert decided.confidence == level
        assert decided.decision_sentences[0].endswith(f"in {share:.0%} of the simulations.")
