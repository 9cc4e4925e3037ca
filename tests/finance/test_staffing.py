from __future__ import annotations

import numpy as np
import pytest

from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.model import stack_values
from ccm_assess.finance.staffing import (
    Caseload,
    capacity_warning,
    caseload_capacity,
    caseload_note,
    loaded_annual_cost,
    loaded_hourly_cost,
    plan_staffing,
    productive_hours_per_month,
    staff_in_steps,
)

# The hand calculations below price the care manager as an RN (the default is LPN), at the
# May 2023 RN median and a 30% benefits load they were first written for.
VALUES = stack_values(
    Assumptions().with_values(care_manager_role="RN", wage_rn=86070, benefits_load=0.30)
)


def test_hours_and_loaded_costs_by_role():
    # 2080 x 0.80 / 12 = 138.667 productive hours a month per FTE
    assert productive_hours_per_month(VALUES)[0] == pytest.approx(138.6667, abs=1e-4)
    # RN: 86,070 x 1.30 = 111,891 a year; / (2080 x 0.8 = 1,664 h) = 67.2422 an hour
    assert loaded_annual_cost("RN", VALUES)[0] == pytest.approx(111891.0)
    assert loaded_hourly_cost("RN", VALUES)[0] == pytest.approx(67.2422, abs=1e-4)
    # MA: 44,200 x 1.30 / 1,664 = 34.53125
    assert loaded_hourly_cost("MA", VALUES)[0] == pytest.approx(34.53125)
    # 138.667 h x 60 / 35 min = 237.7 patients per FTE
    assert caseload_capacity(VALUES)[0] == pytest.approx(237.714, abs=1e-3)


def test_staff_in_steps_rounds_up_and_hires_ahead():
    need = np.array([[0.1, 0.6, 1.2, 0.9], [0.1, 0.6, 1.2, 0.9]])
    step = np.array([0.5, 0.5])
    # draw 0: no lead -> ceil to half FTEs; draw 1: one month ahead (past the end: last need)
    staffed = staff_in_steps(need, step, np.array([0, 1]))
    np.testing.assert_allclose(staffed, [[0.5, 1.0, 1.5, 1.0], [1.0, 1.5, 1.5, 1.0]])
    np.testing.assert_allclose(staff_in_steps(np.zeros((1, 3)), step[:1], np.array([2])), 0)


def _plan(
    dedicated: float = 0.0,
    *,
    clinical: bool = True,
    outreach: bool = True,
    billed: float = 100,
    spare: float = 0.0,
    paid_setup: float = 0.0,
):
    one = np.ones((1, 1))
    return plan_staffing(
        Caseload(
            enrolled=100 * one,
            billed=billed * one,
            approached=50 * one,
            new_enrolments=10 * one,
            complex_months=5 * one,
            practitioner_lane_share=np.zeros(1),
            setup_paid_share=np.array([paid_setup]),
        ),
        owner_hours=np.array([16.0]),
        values=VALUES,
        clinical_by_practice=clinical,
        outreach_by_practice=outreach,
        dedicated_hours_per_month=dedicated,
        spare_hours_per_month=spare,
    )


def test_plan_staffing_one_month_by_hand():
    plan = _plan()
    # clinical: (100 x 35 + 5 complex months x 40 extra) / 60 = 61.667 h
    assert plan.clinical_hours[0, 0] == pytest.approx(61.6667, abs=1e-4)
    # outreach: 50 approached x 2 attempts x 15 min / 60 = 25 h; consent 10 x 10 / 60 = 1.667 h
    assert plan.outreach_hours[0, 0] == pytest.approx(25.0)
    assert plan.consent_hours[0, 0] == pytest.approx(1.6667, abs=1e-4)
    # practitioner: (100 x 5 min supervision + 10 new x 20 min care plan) / 60 = 11.667 h
    assert plan.practitioner_hours[0, 0] == pytest.approx(11.6667, abs=1e-4)
    # need 61.667 / 138.667 = 0.445 FTE -> one half-FTE step; 0.5 x 111,891 / 12 = 4,662.125
    assert plan.clinical_fte_needed[0, 0] == pytest.approx(0.4447, abs=1e-4)
    assert plan.clinical_ftes[0, 0] == 0.5
    assert plan.cost_clinical_staff[0, 0] == pytest.approx(4662.125)
    # (25 + 1.667) h x 34.53125 (MA) = 920.83; owner 16 h x 67.2422 (RN) = 1,075.875
    assert plan.cost_outreach_consent[0, 0] == pytest.approx(920.8333, abs=1e-3)
    assert plan.cost_program_owner[0, 0] == pytest.approx(1075.875)
    # practitioner time at 215 an hour (the visits it displaces): 11.667 x 215 = 2,508.33
    assert plan.cost_practitioner[0, 0] == pytest.approx(2508.3333, abs=1e-3)
    # total FTE: 0.5 + (25 + 1.667 + 16) / 138.667 = 0.8077
    assert plan.ftes[0, 0] == pytest.approx(0.8077, abs=1e-4)
    assert plan.staff_hours[0, 0] == pytest.approx(88.3333, abs=1e-4)
    # every practice hour: staff 88.333 + owner 16 + practitioner 11.667 = 116
    assert plan.practice_hours[0, 0] == pytest.approx(116.0)


def test_dedicated_hours_fill_what_hires_do_not_cover():
    # 80 dedicated h >= 61.667 needed: no hire, the hours used are paid: 61.667 x 67.2422
    plan = _plan(dedicated=80.0)
    assert plan.clinical_ftes[0, 0] == pytest.approx(61.6667 / 138.6667, abs=1e-4)
    assert plan.cost_clinical_staff[0, 0] == pytest.approx(4146.60, abs=0.01)
    # 40 dedicated h: 21.667 h beyond -> a half FTE (69.3 h) covers everything, no dedicated used
    plan = _plan(dedicated=40.0)
    assert plan.clinical_ftes[0, 0] == 0.5
    assert plan.cost_clinical_staff[0, 0] == pytest.approx(4662.125)


def test_unbilled_months_take_the_smaller_minutes_never_both():
    # 70 of 100 months billed: (70 x 35 + 30 x 10 + 5 x 40) / 60 = 49.167 h (not 61.667)
    plan = _plan(billed=70)
    assert plan.clinical_hours[0, 0] == pytest.approx(49.1667, abs=1e-4)


def test_spare_hours_cost_nothing_until_used_up():
    # 80 dedicated h cover the 61.667 needed; 30 of them are spare (already paid): only
    # 31.667 h are paid, x 67.2422 (RN) = 2,129.34
    plan = _plan(dedicated=80.0, spare=30.0)
    assert plan.cost_clinical_staff[0, 0] == pytest.approx(31.6667 * 67.2422, abs=0.01)
    # more spare hours than needed: the care costs nothing
    assert _plan(dedicated=80.0, spare=80.0).cost_clinical_staff[0, 0] == 0


def test_care_plan_set_up_paid_by_g0506_is_not_charged_again():
    # 40% of the 10 new enrollees have their care plan billed as G0506: 6 x 20 min + 500 min
    # supervision = 620 min = 10.333 h
    plan = _plan(paid_setup=0.4)
    assert plan.practitioner_hours[0, 0] == pytest.approx(10.3333, abs=1e-4)


def test_vendor_does_the_clinical_and_outreach_work():
    plan = _plan(clinical=False, outreach=False)
    assert plan.clinical_hours[0, 0] == plan.outreach_hours[0, 0] == 0
    assert plan.clinical_ftes[0, 0] == 0 and plan.cost_clinical_staff[0, 0] == 0
    # consent and supervision stay with the practice
    assert plan.consent_hours[0, 0] == pytest.approx(1.6667, abs=1e-4)
    assert plan.practitioner_hours[0, 0] == pytest.approx(11.6667, abs=1e-4)


@pytest.mark.parametrize(
    ("caseload", "words"),
    [
        (50, "below 80"),
        (100, "within the 80-150"),
        (200, "above 150 per RN"),
        (300, "above the 250"),
        (None, "No care-manager staff"),
    ],
)
def test_caseload_note_bands(caseload, words):
    assert words in caseload_note(caseload)


def test_capacity_warning():
    # 86.667 and 173.333 h a month = 20 and 40 h a week; the practice can give 30
    hours = np.array([86.6667, 173.3333])
    message = capacity_warning("In-house", hours, 30)
    assert "about 40 staff hours a week" in message and "month 2" in message
    assert "1 of 2 months" in message
    assert capacity_warning("In-house", hours, 50) is None
    assert capacity_warning("In-house", hours, None) is None
