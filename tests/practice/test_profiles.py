"""Practice profiles: the decision can come out either way, and follows the practice's values.

Each profile runs the same path as `assess()` after eligibility (practice_decision: the
questionnaire applied to the assumptions and capacity, the economics, the recommendation, the
decision) on eligibility counts, with a small Monte Carlo to stay fast.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccm_assess.finance import fees
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.practice.assessment import practice_decision
from ccm_assess.readiness.questionnaire import Answers
from ccm_assess.readiness.scoring import score_readiness

DRAWS = 60
RATES = fees.payment_rates(2026)
# an independent panel: 1,000 Medicare FFS and 300 MA patients eligible for CCM
COUNTS = {
    "ccm_eligible": 1300,
    "ccm_eligible_by_payer": {"medicare_ffs": 1000, "medicare_advantage": 300},
    "complex_ccm_candidates": 150,
    "needs_initiating_visit": 300,
    "apcm_tiers": {"G0556": 900, "G0557": 1000, "G0558": 120},
}
YES = "yes"
READY_ANSWERS: dict[str, Any] = {
    "owner_named": YES, "owner_protected_time": YES, "supervising_practitioner": YES,
    "provider_buy_in": YES, "identification_method": "ehr_report", "problem_list_current": YES,
    "consent_script": YES, "initiating_visits": YES, "time_tracking": "ehr_timer",
    "consent_recorded": YES, "care_plan_template": YES, "care_plan_shared": YES,
    "structured_notes": YES, "outreach_cadence": YES, "month_end_review": YES,
    "billing_reconciliation": YES, "documentation_audit": YES,
    "dedicated_hours_per_week": 80, "spare_hours_per_week": 10, "staff_roles": "ma",
    "billing_practitioners": 3, "practitioner_schedules": "room", "hiring_ability": YES,
    "certified_ehr": "certified_set_up", "access_24_7": "full",
    "designated_team_member": YES, "care_transitions": YES, "community_services": YES,
    "billing_rules_known": YES,
}  # fmt: skip
EFFICIENT = Assumptions().with_values(
    clinical_minutes_per_patient_month=22,
    billable_month_rate=0.9,
    program_owner_hours_per_month=8,
    billing_overhead_share=0.03,
    startup_cost=8000,
)


def decide(answers: dict[str, Any], assumptions: Assumptions):
    readiness = score_readiness(Answers.from_dict(answers))
    return practice_decision(COUNTS, RATES, assumptions, readiness, draws=DRAWS)


def test_ready_efficient_practice_is_recommended_in_house():
    used, capacity, economics, recommendation, decision = decide(READY_ANSWERS, EFFICIENT)
    # the questionnaire sets the role and the practitioners' time; the practice's figures stay
    assert used.care_manager_role == "MA" and used.practitioner_cost_per_hour == 0
    assert used.clinical_minutes_per_patient_month == 22
    assert capacity.spare_hours_per_week == 10
    assert decision.recommended == "in_house" == recommendation.option
    assert decision.medians["in_house"] > decision.medians["managed"] > 0
    assert decision.win_share >= 0.6
    # practitioners' time absorbed: cash and the net after time are the same figure
    in_house = economics.scenarios["in_house"]
    assert in_house.practitioner_time_value == 0
    assert decision.cash_medians["in_house"] == pytest.approx(decision.medians["in_house"])


@pytest.mark.parametrize("answers", [{}, READY_ANSWERS], ids=["defaults", "ready"])
def test_a_vendor_keeping_85_percent_is_not_recommended(answers):
    _, _, _, recommendation, decision = decide(
        answers, Assumptions().with_values(vendor_revenue_share=0.85)
    )
    assert decision.recommended != "managed" and recommendation.option != "managed"
    assert decision.medians["managed"] < max(decision.medians.values())


def test_the_unprepared_default_practice_can_be_told_not_to_start():
    # nothing answered: no hours set aside, practitioners' schedules taken as full, a vendor
    # keeping 65%: no way of starting pays once the practitioners' time is valued
    _, _, _, recommendation, decision = decide(
        {}, Assumptions().with_values(vendor_revenue_share=0.65)
    )
    assert all(decision.medians[m] < 0 for m in ("in_house", "managed", "hybrid"))
    assert decision.recommended == "none" == recommendation.option
    assert recommendation.why[0].startswith("Don't start CCM now")
    assert len(recommendation.why) == 3
