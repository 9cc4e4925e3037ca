"""Delivery-model recommendation rules and the 90-day launch plan, on hand-worked practices."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd
import pytest

from ccm_assess.finance import fees
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.model import ScenarioResult, simulate
from ccm_assess.readiness.plan import (
    PLAN_COLUMNS,
    ModelMonths,
    fee_gate,
    go_live_delay_weeks,
    launch_plan,
    month_start_week,
    plan_summary,
)
from ccm_assess.readiness.questionnaire import Answers, questionnaire_definition
from ccm_assess.readiness.recommendation import RULES, hours_per_week, recommend
from ccm_assess.readiness.scoring import score_readiness

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


@functools.cache
def _simulated() -> dict[str, ScenarioResult]:
    """Real model results (a small panel, national rates) whose figures the cases replace."""
    counts = {"ccm_eligible": 200, "ccm_eligible_by_payer": {"medicare_ffs": 200}}
    return simulate(counts, fees.payment_rates(2026), Assumptions())


def scenarios(
    in_house: float, managed: float, hybrid: float, p10: float = 10_000
) -> dict[str, ScenarioResult]:
    """Each model's result with these horizon nets (the medians: USD over 36 months), a P10 of
    `p10` and break-even in month 6."""

    def result(key: str, net: float) -> ScenarioResult:
        medians = {"p50_horizon_net": net, "p10_horizon_net": p10, "p50_break_even_month": 6.0}
        return dataclasses.replace(_simulated()[key], horizon_net=net, uncertainty=medians)

    nets = {"in_house": in_house, "managed": managed, "hybrid": hybrid}
    return {key: result(key, net) for key, net in nets.items()}


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
    for model, net in (("in-house", "$300,000"), ("managed", "$150,000"), ("hybrid", "$200,000")):
        assert (
            f"{model} " in rec.reasons[2]
            and f"{net} after your practitioners' time" in (rec.reasons[2])
        )
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
    assert rec.option == "none" and not rec.start_now  # don't start now; managed loses least
    assert "a loss of $5,000 after your practitioners' time" in rec.reasons[2]


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


def test_rules_table_and_missing_results():
    assert [rule.id for rule in RULES] == ["R1", "R2", "R3", "R4", "R5"]
    broken = {key: result for key, result in GOOD_ECONOMICS.items() if key != "hybrid"}
    with pytest.raises(ValueError, match="needs the results of hybrid"):
        recommend(score_readiness(answers({})), broken, 1.0)


def test_the_choice_reads_the_medians_not_the_default_value_run():
    # the default-value run says managed nets most; the medians say in-house: medians decide
    medians = GOOD_ECONOMICS
    flipped = {
        key: dataclasses.replace(result, horizon_net=1e6 if key == "managed" else 0.0)
        for key, result in medians.items()
    }
    readiness = score_readiness(answers({}))
    assert recommend(readiness, flipped, ftes_needed=1.0).choice == "in_house"


# ---------------------------------------------------------------------------- launch plan


def model_monthly(go_live: int = 2, billed: int = 3, paid: int = 4, months: int = 36):
    """A model's monthly frame: outreach from `go_live`, billing from `billed`, money from
    `paid`, 10 patients enrolled a month from go-live."""
    month = pd.Series(range(1, months + 1))
    return pd.DataFrame(
        {
            "month": month,
            "approached": (month >= go_live) * 50.0,
            "billed_patient_months": (month >= billed) * 8.0,
            "collected_revenue": (month >= paid) * 500.0,
            "enrolled": ((month - go_live + 1).clip(lower=0) * 10).astype(float),
        }
    )


def check_order(plan: pd.DataFrame) -> None:
    """No step sharing patient data before the BAA ends; every step after its dependencies."""
    end = dict(zip(plan["id"], plan["end_week"], strict=True))
    baa = end["baa"]
    assert (plan.loc[plan["shares_phi"], "start_week"] > baa).all()
    for step, start, after in plan[["id", "start_week", "after"]].to_numpy():
        assert all(start > end[d] for d in after), step
    assert (plan["start_week"] <= plan["end_week"]).all()


def test_model_months_from_the_monthly_frame():
    months = ModelMonths.from_monthly(model_monthly())
    assert dict(months.months) == {
        "go_live": 2, "first_billable_month": 3, "first_claim": 3, "first_payment": 4,
        "enrolled_3": 3, "enrolled_6": 6, "enrolled_12": 12,
    }  # fmt: skip
    assert months.enrolled == {"enrolled_3": 20.0, "enrolled_6": 50.0, "enrolled_12": 110.0}
    assert months.first_batch == 50  # approached in the go-live month (the worklist's marker)
    assert ModelMonths.from_monthly(model_monthly().assign(approached=70.9)).first_batch == 70
    # month m starts in week int((m - 1) x 52 / 12) + 1
    assert [month_start_week(m) for m in (1, 2, 3, 4, 13)] == [1, 5, 9, 14, 53]


def test_in_house_plan_is_dependency_ordered_and_tied_to_the_model():
    # ready practice, 40 h for 1 FTE: no staffing step. In-house set-up: choose 1-3, BAA 4-5
    # (after choosing), load patients 6-7 (after the BAA and the worklist), EHR 4-6, 24/7 4-7,
    # training 5-7 (after consent 2-3 and time log 2-4): go-live waits until week 8, 3 weeks
    # after the model's month 2 (week 5). Billable month 3 starts in week 9 + 3 = 12, lasts
    # 4 weeks; claims the week after (16); payment 2-4 weeks after the claim (18-20); the
    # month-3 enrolment check in month 3's last week (13) + 3 = 16.
    readiness = score_readiness(answers({"access_24_7": "none", "documentation_audit": "no"}))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)
    plan = launch_plan(readiness, rec, ModelMonths.from_monthly(model_monthly()))
    assert list(plan.columns) == list(PLAN_COLUMNS)
    check_order(plan)
    weeks = plan.set_index("id")[["start_week", "end_week"]].apply(tuple, axis=1).to_dict()
    assert weeks["baa"] == (4, 5) and weeks["load_patients"] == (6, 7)
    assert weeks["go_live"] == (8, 8) and go_live_delay_weeks(plan) == 3
    assert weeks["first_billable_month"] == (12, 15)
    assert weeks["first_claim"] == (16, 16) and weeks["first_payment"] == (18, 20)
    assert weeks["enrolled_3"] == (16, 16) and weeks["first_audit"] == (17, 18)
    row = plan.set_index("id").loc["enrolled_6"]
    assert "about 50 enrolled by the model's month 6" in row["action"]
    assert row["kind"] == "milestone" and row["model_month"] == 6
    # every CMS requirement for CCM is a step with an owner, before go-live or the first claim
    required = plan[plan["cms_required"]].set_index("id")
    assert {"supervising_practitioner", "ehr_setup", "consent_script", "access_24_7",
            "care_plan_template", "designated_team_member", "care_transitions",
            "community_services", "initiating_visits"} <= set(required.index)  # fmt: skip
    assert required["owner"].str.len().gt(0).all()
    # the 24/7 and audit gaps are folded into their steps; the plan is sorted by start week
    assert not plan["id"].str.startswith("gap_").any()
    assert plan["start_week"].is_monotonic_increasing
    assert "coinsurance" in plan.set_index("id").loc["consent_script", "action"]


def test_managed_plan_shares_patient_data_only_after_the_baa():
    readiness = score_readiness(
        answers({"dedicated_hours_per_week": 0, "community_services": None}, base="no")
    )
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.5)
    plan = launch_plan(readiness, rec, ModelMonths.from_monthly(model_monthly(go_live=1)))
    assert rec.choice == "managed"
    check_order(plan)
    steps = plan.set_index("id")
    assert {"share_worklist", "ehr_setup", "access_24_7", "care_transitions", "go_live"} == set(
        plan.loc[plan["shares_phi"], "id"]
    )
    assert steps.loc["share_worklist", "start_week"] == steps.loc["baa", "end_week"] + 1
    text = " ".join(plan["action"])
    assert "business associate agreement" in text and "vendor's time log" in text
    assert "monthly call schedule" not in text  # outreach is the vendor's work under managed
    assert "Train the biller" not in text  # billing is the vendor's; the biller checks its file
    assert text.count("Name one CCM owner") == 1  # the owner gap is folded into the core step
    # the open question is listed, but after the week-1 steps, not as the first next step
    assert plan["id"].tolist().index("open_questions") > 2
    assert "Community services" in steps.loc["open_questions", "action"]
    # at most MAX_GAP_ROWS readiness gaps beyond the core steps
    assert plan["kind"].eq("gap").sum() <= 6
    summary = plan_summary(plan)
    assert set(summary[0]) == {
        "id",
        "action",
        "owner",
        "start_week",
        "end_week",
        "start_date",
        "end_date",
        "shares_phi",
        "after",
    }
    baa = next(s for s in summary if s["id"] == "baa")
    assert all(s["start_week"] > baa["end_week"] for s in summary if s["shares_phi"])


@pytest.mark.parametrize("model", ["in_house", "managed", "hybrid"])
def test_every_model_plan_respects_the_order(model):
    readiness = score_readiness(answers({}, base="no"))
    rec = dataclasses.replace(recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0), choice=model)
    plan = launch_plan(readiness, rec, ModelMonths.from_monthly(model_monthly(go_live=1)))
    check_order(plan)
    ids = plan["id"].tolist()
    assert ids.index("go_live") > ids.index("consent_script")
    assert ids.index("first_billable_month") > ids.index("care_plan_template")
    assert plan["shares_phi"].any()  # patient data leaves the practice in every model


def test_gap_actions_are_phrased_for_the_recommended_model():
    readiness = score_readiness(answers({"billing_rules_known": "no"}))
    gap = next(g for g in readiness.gaps if g.question == "billing_rules_known")
    assert gap.action_for(None).startswith("Train the biller")
    assert gap.action_for("managed").startswith("Have the biller learn the CCM rules")
    assert "vendor's monthly claim file" in gap.action_for("managed")
    assert gap.action_for("in_house") == gap.action


def test_plan_adds_the_staffing_step_when_hours_fall_short_in_house():
    readiness = score_readiness(answers({"dedicated_hours_per_week": 20}))
    rec = recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0)  # R4: in-house, 20 of 32 h
    plan = launch_plan(readiness, rec)
    step = plan[plan["domain"] == "Staff capacity"]
    assert step["action"].tolist()[0] == (
        "Set aside about 32 clinical staff hours a week for CCM (now 20); "
        "assign or hire the difference"
    )
    assert step["weeks"].tolist()[0] == "1-6"
    check_order(plan)


def test_confidence_comes_from_the_win_share():
    from ccm_assess.finance.decision import Decision
    from ccm_assess.readiness.recommendation import with_decision

    rec = recommend(score_readiness(answers({})), GOOD_ECONOMICS, ftes_needed=1.0)
    for share, level in ((0.95, "high"), (0.8, "high"), (0.7, "medium"), (0.55, "low")):
        decided = with_decision(rec, Decision(rec.choice, "hybrid", share, ()))
        assert decided.confidence == level
        assert decided.decision_sentences[0].endswith(f"in {share:.0%} of the simulations.")


def test_plan_dates_owner_name_ma_check_and_fee_gate():
    import datetime as dt

    from ccm_assess.finance.decision import Decision, FeeCeiling

    readiness = score_readiness(answers({"dedicated_hours_per_week": 0}, base="no"))
    rec = dataclasses.replace(
        recommend(readiness, GOOD_ECONOMICS, ftes_needed=1.0), choice="managed"
    )
    gate = FeeCeiling("vendor_revenue_share", 0.5, 0.62, "tipping_point", "in_house")
    decision = Decision("managed", "in_house", 0.8, (), fee_ceiling=gate)
    plan = launch_plan(
        readiness, rec, ModelMonths.from_monthly(model_monthly(go_live=1)),
        start=dt.date(2026, 12, 1), ma_share=0.33, decision=decision,
    )  # fmt: skip
    check_order(plan)
    steps = plan.set_index("id")
    # week 1 starts on the decision date (Tue 1 Dec 2026); a step ends on its last week's
    # last day: the BAA, weeks 4-5, runs 22 Dec 2026 - 4 Jan 2027
    assert plan["start_date"].is_monotonic_increasing  # rows in order of their start
    assert steps.loc["name_owner", "start_date"] == pd.Timestamp("2026-12-01")
    baa = steps.loc["baa"]
    assert (baa["start_week"], baa["end_week"]) == (4, 5)
    assert (baa["start_date"], baa["end_date"]) == (
        pd.Timestamp("2026-12-22"),
        pd.Timestamp("2027-01-04"),
    )
    assert (plan["owner_name"] == "").all()  # written in by the practice
    # the Medicare Advantage contract check, with the share of billable patients in MA plans
    ma = steps.loc["ma_contracts", "action"]
    assert "Medicare Advantage contract pays for CCM" in ma
    assert "33% of the billable patients are in MA plans" in ma
    assert "ma_contracts" in steps.loc["first_claim", "after"]
    # the fee gate, from the decision's tipping point, before the contract is signed
    fee = steps.loc["fee_ceiling"]
    assert fee["action"].endswith("at most 62% (we assumed 50%); above it in-house nets more")
    assert "fee_ceiling" in baa["after"] and fee["end_week"] < baa["start_week"]
    # a tipping point against not starting (the runner-up may be "none"): the program loses money
    against_none = Decision(
        "managed", "none", 0.8, (), fee_ceiling=dataclasses.replace(gate, against="none")
    )
    assert (
        fee_gate(against_none) == "at most 62% (we assumed 50%); above it the program loses money"
    )
    summary = {s["id"]: s for s in plan_summary(plan)}
    assert (summary["baa"]["start_date"], summary["baa"]["end_date"]) == (
        "2026-12-22",
        "2027-01-04",
    )
    # break-even basis; MA plans not counted on; the share unknown (hidden): no percentage
    loses = Decision(
        "managed",
        "in_house",
        0.8,
        (),
        fee_ceiling=FeeCeiling("vendor_revenue_share", 0.5, 0.4, "break_even"),
    )
    text = launch_plan(readiness, rec, decision=loses, ma_pays_ccm=False).set_index("id")
    assert text.loc["fee_ceiling", "action"].endswith(
        "the program loses money at the 50% assumed; sign only at 40% or less"
    )
    assert "counts on MA plans not paying" in text.loc["ma_contracts", "action"]
    assert text["start_date"].isna().all()  # no decision date given: no calendar
    plain = launch_plan(readiness, rec).set_index("id").loc["ma_contracts", "action"]
    assert "%" not in plain and plain.endswith(
        "the plan counts on their plans paying as Medicare does"
    )
    in_house = dataclasses.replace(rec, choice="in_house")
    assert "fee_ceiling" not in set(launch_plan(readiness, in_house)["id"])
