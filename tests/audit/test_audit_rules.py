"""Hand-worked patient-months for every audit rule and finding (docs/audit.md).

Rates: 2026 national non-facility (docs/audit.md, Dollars): 99490 $66.13, 99439 $50.44,
99487 $144.29, 99489 $78.16, 99491 $89.18, 99437 $63.13, 99426 $67.80, 99424 $87.51.
Every patient below is consented on 2026-08-01 with a care plan the same day and an
initiating visit on 2026-03-01 unless the case says otherwise; the month audited is 2026-09.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ccm_assess.audit.rules import LANES, audit_months, lane_units
from ccm_assess.finance.fees import payment_rates

RATES = {2026: {code: round(usd * 100) for code, usd in payment_rates(2026).items()}}
SEP = "2026-09"


def _time(*rows: tuple) -> pd.DataFrame:
    """(patient, date, minutes, lane[, program]) rows."""
    records = [(*r, "CCM") if len(r) == 4 else r for r in rows]
    frame = pd.DataFrame(records, columns=["patient_id", "date", "minutes", "lane", "program"])
    return frame.assign(date=pd.to_datetime(frame["date"]), staff="Dana Lee")


def _claims(*rows: tuple) -> pd.DataFrame:
    """(patient, date, code, units, practitioner) rows."""
    frame = pd.DataFrame(rows, columns=["patient_id", "date", "code", "units", "practitioner"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


def _register(**overrides: dict) -> pd.DataFrame:
    """One row per patient named in `overrides` (field -> value), defaults as in the docstring."""
    rows = []
    for patient, fields in overrides.items():
        row = {
            "patient_id": patient,
            "consent_date": "2026-08-01",
            "care_plan_date": "2026-08-01",
            "disenrolment_date": None,
            "initiating_visit_date": "2026-03-01",
            "complex": False,
            "practitioner": "Dr A",
        }
        row.update(fields)
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("patient_id")
    for column in ("consent_date", "care_plan_date", "disenrolment_date", "initiating_visit_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["complex"] = frame["complex"].astype("boolean")
    return frame


def _one(time, claims=None, register=None, month=SEP, patient="p"):
    pm, assessed = audit_months(time, claims, register, RATES, has_visit_column=True)
    return pm.loc[(patient, month)], assessed


@pytest.mark.parametrize(
    ("minutes", "units_99490", "units_99439"),
    [(19, 0, 0), (20, 1, 0), (39, 1, 0), (40, 1, 1), (59, 1, 1), (60, 1, 2), (80, 1, 2)],
)
def test_99490_and_99439_thresholds_and_the_cap_of_two(minutes, units_99490, units_99439):
    row, _ = _one(_time(("p", "2026-09-10", minutes, "staff")), _claims(), _register(p={}))
    assert (row["s_99490"], row["s_99439"]) == (units_99490, units_99439)
    # a claims export without a line for p: the supported units are missed (when any)
    missed = units_99490 * 6613 + units_99439 * 5044
    assert row["missed_cents"] == missed
    assert bool(row["missed_billing"]) == (missed > 0)


def test_lane_units_of_every_lane_at_their_edges():
    minutes = pd.Series([29, 30, 59, 60, 89, 90, 119, 120])
    complex_lane, physician = LANES[1], LANES[2]
    assert lane_units(minutes, complex_lane)[0].tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    assert lane_units(minutes, complex_lane)[1].tolist() == [0, 0, 0, 0, 0, 1, 1, 2]
    assert lane_units(minutes, physician)[0].tolist() == [0, 1, 1, 1, 1, 1, 1, 1]
    assert lane_units(minutes, physician)[1].tolist() == [0, 0, 0, 1, 1, 2, 2, 3]


def test_19_minutes_is_near_threshold_20_is_not():
    reg = _register(p={}, q={})
    time = _time(("p", "2026-09-03", 19, "staff"), ("q", "2026-09-03", 20, "staff"))
    pm, _ = audit_months(time, _claims(), reg, RATES, has_visit_column=True)
    assert pm.loc[("p", SEP), "near_threshold"]
    assert not pm.loc[("q", SEP), "near_threshold"]
    # 14 minutes: not near; 15: near
    time = _time(("p", "2026-09-03", 14, "staff"), ("q", "2026-09-03", 15, "staff"))
    pm, _ = audit_months(time, _claims(), reg, RATES, has_visit_column=True)
    assert not pm.loc[("p", SEP), "near_threshold"] and pm.loc[("q", SEP), "near_threshold"]


def test_near_threshold_needs_nothing_billed():
    row, _ = _one(
        _time(("p", "2026-09-03", 17, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        _register(p={}),
    )
    assert not row["near_threshold"]
    assert row["unsupported_claims"] and row["at_risk_cents"] == 6613


def test_99490_billed_on_14_minutes_is_unsupported():
    row, _ = _one(
        _time(("p", "2026-09-03", 14, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        _register(p={}),
    )
    assert row["unsupported_claims"]
    assert row["billed_cents"] == 6613 and row["at_risk_cents"] == 6613
    assert row["supported_cents"] == 0


def test_a_second_99439_on_45_minutes_is_unsupported_by_one_unit():
    row, _ = _one(
        _time(("p", "2026-09-03", 45, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A"), ("p", "2026-09-30", "99439", 2, "Dr A")),
        _register(p={}),
    )
    assert row["unsupported_claims"] and not row["missed_billing"]
    assert row["billed_cents"] == 6613 + 2 * 5044
    assert row["supported_cents"] == 6613 + 5044
    assert row["at_risk_cents"] == 5044


def test_three_99439_on_80_minutes_breaks_the_cap():
    row, _ = _one(
        _time(("p", "2026-09-03", 80, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A"), ("p", "2026-09-30", "99439", 3, "Dr A")),
        _register(p={}),
    )
    assert row["s_99439"] == 2 and row["unsupported_claims"] and row["at_risk_cents"] == 5044


def test_minutes_before_a_mid_month_consent_do_not_count():
    reg = _register(p={"consent_date": "2026-09-15", "care_plan_date": "2026-09-15"})
    time = _time(
        ("p", "2026-09-10", 10, "staff"),
        ("p", "2026-09-15", 8, "staff"),
        ("p", "2026-09-20", 7, "staff"),
    )
    row, _ = _one(time, _claims(("p", "2026-09-30", "99490", 1, "Dr A")), reg)
    assert row["before_consent"] == 10 and row["staff_minutes"] == 15  # 15th counts
    assert row["unsupported_claims"] and not row["no_consent"]


@pytest.mark.parametrize(("consent", "no_consent"), [("2026-09-30", False), ("2026-10-01", True)])
def test_consent_on_the_months_last_day_vs_the_next_day(consent, no_consent):
    reg = _register(p={"consent_date": consent, "care_plan_date": "2026-09-01"})
    row, _ = _one(
        _time(("p", "2026-09-30", 25, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        reg,
    )
    assert bool(row["no_consent"]) is no_consent
    assert row["at_risk_cents"] == (6613 if no_consent else 0)
    assert row["supported_cents"] == (0 if no_consent else 6613)


def test_disenrolment_month_is_billable_the_month_after_is_not():
    reg = _register(p={"disenrolment_date": "2026-09-15"})
    time = _time(("p", "2026-09-05", 25, "staff"), ("p", "2026-10-05", 25, "staff"))
    claims = _claims(
        ("p", "2026-09-30", "99490", 1, "Dr A"), ("p", "2026-10-31", "99490", 1, "Dr A")
    )
    pm, _ = audit_months(time, claims, reg, RATES, has_visit_column=True)
    september, october = pm.loc[("p", SEP)], pm.loc[("p", "2026-10")]
    assert not september["billed_after_disenrolment"] and september["at_risk_cents"] == 0
    assert october["billed_after_disenrolment"] and october["at_risk_cents"] == 6613
    assert october["supported_cents"] == 0 and not october["missed_billing"]


def test_practitioner_minutes_count_toward_99490():
    time = _time(("p", "2026-09-05", 10, "staff"), ("p", "2026-09-06", 10, "practitioner"))
    row, _ = _one(time, _claims(("p", "2026-09-30", "99490", 1, "Dr A")), _register(p={}))
    assert row["staff_minutes"] == 20 and row["practitioner_minutes"] == 10
    assert not row["unsupported_claims"] and row["supported_cents"] == 6613


def test_unbilled_practitioner_time_is_audited_in_the_lane_worth_most():
    # 30 practitioner minutes: 99491 ($89.18) beats 99490 ($66.13)
    row, _ = _one(
        _time(("p", "2026-09-06", 30, "practitioner")),
        _claims(("q", "2026-09-30", "99490", 1, "Dr A")),
        _register(p={}, q={}),
    )
    assert row["audited_lanes"] == "physician" and row["missed_cents"] == 8918


def test_same_practitioner_is_no_conflict_two_practitioners_are():
    reg = _register(p={}, q={})
    time = _time(("p", "2026-09-05", 45, "staff"), ("q", "2026-09-05", 45, "staff"))
    claims = _claims(
        ("p", "2026-09-30", "99490", 1, "Dr A"),
        ("p", "2026-09-30", "99439", 1, "Dr A"),
        ("q", "2026-09-30", "99490", 1, "Dr A"),
        ("q", "2026-09-30", "99439", 1, "Dr B"),
    )
    pm, _ = audit_months(time, claims, reg, RATES, has_visit_column=True)
    assert not pm.loc[("p", SEP), "conflicts"]
    assert pm.loc[("q", SEP), "conflicts"] and pm.loc[("q", SEP), "conflict_two_practitioners"]
    assert pm.loc[("q", SEP), "at_risk_cents"] == 6613 + 5044  # every billed line
    assert pm.loc[("q", SEP), "supported_cents"] == 0


@pytest.mark.parametrize(
    ("claims", "conflict"),
    [
        ([("99490", "Dr A"), ("99426", "Dr A")], True),  # CCM + PCM, one practitioner
        ([("99490", "Dr A"), ("99426", "Dr B")], False),  # CCM + PCM, two practitioners
        ([("99490", "Dr A"), ("G0557", "Dr A")], True),  # APCM + CCM, one practitioner
        ([("99490", "Dr A"), ("99491", "Dr A")], True),  # two CCM lanes
    ],
)
def test_conflicts(claims, conflict):
    time = _time(
        ("p", "2026-09-05", 40, "staff"),
        ("p", "2026-09-05", 35, "practitioner"),
        ("p", "2026-09-06", 35, "staff", "PCM"),
    )
    rows = [("p", "2026-09-30", code, 1, who) for code, who in claims]
    row, _ = _one(time, _claims(*rows), _register(p={}))
    assert bool(row["conflicts"]) is conflict


def test_missed_billing_counts_the_units_not_billed():
    row, _ = _one(
        _time(("p", "2026-09-03", 45, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        _register(p={}),
    )
    assert row["missed_billing"] and row["missed_cents"] == 5044 and row["at_risk_cents"] == 0


def test_missed_billing_needs_consent_and_care_plan_by_the_months_end():
    reg = _register(p={"care_plan_date": "2026-10-02"})
    row, _ = _one(_time(("p", "2026-09-03", 45, "staff")), None, reg)
    assert not row["missed_billing"] and row["would_be_at_risk_cents"] == 6613 + 5044


def test_no_care_plan():
    reg = _register(p={"care_plan_date": "2026-10-02"})
    row, _ = _one(
        _time(("p", "2026-09-03", 25, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        reg,
    )
    assert row["no_care_plan"] and row["at_risk_cents"] == 6613


def test_a_claim_with_no_time_logged_is_unsupported():
    pm, _ = audit_months(
        _time(("q", "2026-09-03", 25, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        _register(p={}, q={}),
        RATES,
        has_visit_column=True,
    )
    row = pm.loc[("p", SEP)]
    assert row["all_minutes"] == 0 and row["unsupported_claims"] and row["at_risk_cents"] == 6613


def test_complex_lane_needs_the_complex_flag():
    time = _time(("p", "2026-09-03", 95, "staff"), ("q", "2026-09-03", 95, "staff"))
    claims = _claims(
        ("p", "2026-09-30", "99487", 1, "Dr A"),
        ("p", "2026-09-30", "99489", 1, "Dr A"),
        ("q", "2026-09-30", "99487", 1, "Dr A"),
    )
    pm, _ = audit_months(
        time,
        claims,
        _register(p={"complex": True}, q={"complex": False}),
        RATES,
        has_visit_column=True,
    )
    assert not pm.loc[("p", SEP), "unsupported_claims"]
    assert pm.loc[("p", SEP), "supported_cents"] == 14429 + 7816
    assert pm.loc[("q", SEP), "unsupported_claims"] and pm.loc[("q", SEP), "at_risk_cents"] == 14429


@pytest.mark.parametrize(
    ("visit", "finding"), [("2025-07-15", True), ("2025-08-01", False), (None, True)]
)
def test_no_initiating_visit_in_the_12_months_before_consent(visit, finding):
    reg = _register(p={"initiating_visit_date": visit})  # consent 2026-08-01
    row, _ = _one(
        _time(("p", "2026-09-03", 25, "staff")),
        _claims(("p", "2026-09-30", "99490", 1, "Dr A")),
        reg,
    )
    assert bool(row["no_initiating_visit"]) is finding


def test_pcm_lanes():
    time = _time(("p", "2026-09-03", 65, "staff", "PCM"))
    row, _ = _one(time, _claims(("p", "2026-09-30", "99426", 1, "Dr A")), _register(p={}))
    assert (row["s_99426"], row["s_99427"]) == (1, 1)
    assert row["missed_billing"] and row["missed_cents"] == round(
        payment_rates(2026)["99427"] * 100
    )


def test_without_register_or_claims_the_findings_are_not_assessed():
    time = _time(("p", "2026-09-03", 25, "staff"))
    _, assessed = audit_months(time, None, None, RATES)
    assert not assessed.finding("no_consent") and not assessed.finding("unsupported_claims")
    _, assessed = audit_months(time, _claims(("p", "2026-09-30", "99490", 1, "Dr A")), None, RATES)
    assert assessed.finding("unsupported_claims") and assessed.finding("conflicts")
    assert not assessed.finding("missed_billing") and not assessed.finding("near_threshold")
    _, assessed = audit_months(time, None, _register(p={}), RATES, has_visit_column=False)
    assert assessed.finding("near_threshold") and not assessed.finding("no_initiating_visit")


def test_a_register_without_a_complexity_column_judges_99487_on_time_alone():
    time = _time(("p", "2026-09-03", 95, "staff"))
    claims = _claims(("p", "2026-09-30", "99487", 1, "Dr A"))
    pm, _ = audit_months(time, claims, _register(p={}), RATES, has_complex_column=False)
    assert not pm.loc[("p", SEP), "unsupported_claims"]
    pm, _ = audit_months(time, claims, _register(p={}), RATES, has_complex_column=True)
    assert pm.loc[("p", SEP), "unsupported_claims"]  # the column says not complex


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("RN, BSN", "staff"),
        ("Medical Assistant", "staff"),
        ("Nurse Practitioner", "practitioner"),
        ("Maria Alvarez MD", "practitioner"),
        ("PA-C", "practitioner"),
        ("Front desk", ""),
        ("", ""),
    ],
)
def test_credentials(text, kind):
    from ccm_assess.audit.inputs import credential_kind

    assert credential_kind(text) == kind
