"""Readiness questionnaire: definition, loaders (YAML, Excel form, dict), scoring, summary."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import openpyxl
import pytest

from ccm_assess.errors import QuestionnaireError
from ccm_assess.outputs.workbook.questionnaire_form import write_questionnaire_form
from ccm_assess.readiness.questionnaire import (
    FORM_SHEET,
    Answers,
    answer_template_text,
    load_questionnaire,
    questionnaire_definition,
)
from ccm_assess.readiness.scoring import readiness_summary, score_readiness

REPO = Path(__file__).resolve().parents[2]
DEFINITION = questionnaire_definition()


def best_answers() -> dict[str, object]:
    """Every question at full marks (numbers: 40 h set aside, 10 h coordination, 2 billers)."""
    numbers = {"dedicated_hours_per_week": 40, "coordination_hours_per_week": 10}
    answers: dict[str, object] = {}
    for q in DEFINITION.questions:
        if q.type == "yes_partly_no":
            answers[q.id] = "yes"
        elif q.type == "choice":
            answers[q.id] = max(q.options, key=lambda o: o.score).key
        else:
            answers[q.id] = numbers.get(q.id, 2)
    return answers


def write(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- definition


def test_definition_has_the_domains_types_and_cms_requirements():
    assert 20 <= len(DEFINITION.questions) <= 30
    assert len(set(DEFINITION.ids)) == len(DEFINITION.ids)
    assert set(DEFINITION.domains) == {
        "ownership", "patient_identification", "documentation", "monthly_workflow",
        "capacity", "compliance_technology",
    }  # fmt: skip
    assert math.isclose(sum(d.weight for d in DEFINITION.domains.values()), 1.0)
    assert {q.domain for q in DEFINITION.questions} == set(DEFINITION.domains)
    assert {q.type for q in DEFINITION.questions} == {"yes_partly_no", "number", "choice"}
    cms = {q.id for q in DEFINITION.questions if q.cms_required}
    assert {"access_24_7", "certified_ehr", "care_plan_shared", "designated_team_member",
            "care_transitions", "consent_recorded"} <= cms  # fmt: skip
    for q in DEFINITION.questions:
        assert q.text and q.help and q.label
        if q.weight > 0:  # every scored question maps to an action inside the 90 days
            assert q.action and q.owner and q.why
            assert 1 <= q.weeks[0] <= q.weeks[1] <= 13
        if q.type == "number":
            assert q.unit and q.min < q.max


# ---------------------------------------------------------------------------- scoring


def test_domain_score_by_hand_skips_not_assessed():
    # monthly_workflow: outreach_cadence w3 yes (1), month_end_review w2 partly (0.5),
    # billing_reconciliation w2 no (0), documentation_audit w1 blank -> left out.
    # (3*1 + 2*0.5 + 2*0) / (3 + 2 + 2) = 4/7 = 57.14
    answers = Answers.from_dict(
        {
            "outreach_cadence": "yes",
            "month_end_review": "partly",
            "billing_reconciliation": "no",
            "documentation_audit": None,
        }  # fmt: skip
    )
    domain = score_readiness(answers).domains["monthly_workflow"]
    assert domain.score == pytest.approx(400 / 7)
    assert (domain.assessed, domain.questions) == (3, 4)
    assert readiness_summary(score_readiness(answers))["domains"]["monthly_workflow"] == {
        "score": 57, "assessed": 3, "questions": 4,
    }  # fmt: skip


def hand_answers() -> dict[str, object]:
    """18 of 30 questions answered; monthly workflow and compliance not assessed."""
    return {
        "owner_named": "yes", "owner_protected_time": "yes",
        "supervising_practitioner": "yes", "provider_buy_in": "yes",
        "identification_method": "none", "problem_list_current": "no",
        "consent_script": "no", "initiating_visits": "no",
        "time_tracking": "log", "consent_recorded": "partly", "care_plan_template": "partly",
        "care_plan_shared": "partly", "structured_notes": "partly",
        "dedicated_hours_per_week": 16, "coordination_hours_per_week": 5, "staff_roles": "rn",
        "billing_practitioners": 3, "hiring_ability": "yes",
    }  # fmt: skip


def test_overall_score_and_maturity_by_hand():
    readiness = score_readiness(Answers.from_dict(hand_answers()))
    # ownership 100; identification 0; documentation (3*0.6 + 4*2*0.5) / 11 = 52.73;
    # capacity (3*16/32 + 2*0.9 + 1*1) / 6 = 71.67 (coordination and billers have weight 0).
    assert readiness.domains["documentation"].score == pytest.approx(100 * 5.8 / 11)
    assert readiness.domains["capacity"].score == pytest.approx(100 * 4.3 / 6)
    assert readiness.domains["monthly_workflow"].score is None
    # overall over assessed domains, weights .2/.15/.2/.15 renormalised by 0.7:
    # (20 + 0 + 0.2*52.73 + 0.15*71.67) / 0.7 = 58.99 -> Developing (50-70)
    assert readiness.score == pytest.approx((20 + 116 / 11 + 10.75) / 0.7)
    assert readiness.maturity == "Developing"
    assert readiness.assessed_share == pytest.approx(18 / 30)
    assert readiness.dedicated_hours_per_week == 16.0
    assert readiness.coordination_hours_per_week == 5.0
    assert readiness.billing_practitioners == 3
    assert readiness.has_24_7_access is None and readiness.has_certified_ehr is None


def test_gaps_rank_cms_required_first_then_by_impact():
    gaps = score_readiness(Answers.from_dict(hand_answers())).gaps
    # impact = 100 x domain weight x question weight / domain question weights x shortfall
    # CMS: consent_script .15*2/8*1 = 3.75, initiating_visits .15*1/8 = 1.875,
    #      consent_recorded / care_plan_template / care_plan_shared .2*2/11*.5 = 1.82 (tie: order)
    # then identification_method .15*3/8 = 5.625, problem_list_current 3.75,
    #      dedicated_hours .15*3/6*.5 = 3.75, time_tracking .2*3/11*.4 = 2.18,
    #      structured_notes 1.82, staff_roles .15*2/6*.1 = 0.5
    assert [g.question for g in gaps] == [
        "consent_script", "initiating_visits", "consent_recorded", "care_plan_template",
        "care_plan_shared", "identification_method", "problem_list_current",
        "dedicated_hours_per_week", "time_tracking", "structured_notes", "staff_roles",
    ]  # fmt: skip
    assert gaps[0].impact == pytest.approx(3.75)
    assert gaps[-1].impact == pytest.approx(0.5)
    assert gaps[0].weeks_text == "2-3"


def test_blank_answers_are_not_assessed_never_yes():
    blank = {"owner_named": None, "owner_protected_time": "", "provider_buy_in": "not assessed"}
    answers = Answers.from_dict({**blank, "supervising_practitioner": "no"})
    readiness = score_readiness(answers)
    assert readiness.domains["ownership"].score == 0.0  # only the "no" counts
    assert readiness.domains["ownership"].assessed == 1
    assert set(blank) <= set(readiness.not_assessed)
    assert readiness.score is None and readiness.maturity == "Not enough answers"
    assert readiness.dedicated_hours_per_week is None


def test_all_best_answers_score_100_without_gaps():
    readiness = score_readiness(Answers.from_dict(best_answers()))
    assert readiness.score == pytest.approx(100)
    assert readiness.maturity == "Established"
    assert readiness.gaps == () and readiness.not_assessed == ()
    assert readiness.has_24_7_access is True and readiness.has_certified_ehr is True


def test_cms_flags_follow_the_chosen_option():
    flags = score_readiness(
        Answers.from_dict({"certified_ehr": "certified", "access_24_7": "no_record_access"})
    )
    assert flags.has_certified_ehr is True  # certified, not yet set up for CCM
    assert flags.has_24_7_access is False  # on-call without the care plan does not meet it


def test_readiness_summary_shape_is_json_ready():
    summary = readiness_summary(score_readiness(Answers.from_dict(hand_answers())))
    assert summary["score"] == 59 and summary["maturity"] == "Developing"
    assert list(summary["domains"]) == list(DEFINITION.domains)
    assert summary["domains"]["capacity"] == {"score": 72, "assessed": 5, "questions": 7}
    assert summary["gaps"][0] == {
        "question": "consent_script",
        "domain": "patient_identification",
        "action": DEFINITION.question("consent_script").action,
        "owner": "CCM owner",
        "weeks": "2-3",
        "why": DEFINITION.question("consent_script").why,
        "cms_required": True,
        "impact": 3.8,
    }
    assert len(summary["not_assessed"]) == 12 and "access_24_7" in summary["not_assessed"]
    assert summary["requirements"] == {"has_certified_ehr": None, "has_24_7_access": None}
    json.dumps(summary)


# ---------------------------------------------------------------------------- YAML and dicts


def test_yaml_file_with_metadata_booleans_and_notes(tmp_path):
    path = write(
        tmp_path,
        "practice: Oak Clinic\nconsultant: J. Doe\ndate: 2026-03-02\n"
        "answers:\n  owner_named: yes\n  owner_protected_time: no\n"
        "  identification_method: A list kept by hand\n  dedicated_hours_per_week: 12.5\n"
        "notes:\n  owner_named: the office manager\n",
    )
    answers = load_questionnaire(path)
    assert (answers.practice, answers.consultant, answers.date) == (
        "Oak Clinic", "J. Doe", dt.date(2026, 3, 2),
    )  # fmt: skip
    assert answers.values["owner_named"] == "yes"  # YAML reads an unquoted yes as True
    assert answers.values["owner_protected_time"] == "no"
    assert answers.values["identification_method"] == "manual_list"  # label -> key
    assert answers.values["dedicated_hours_per_week"] == 12.5
    assert answers.notes == {"owner_named": "the office manager"}
    assert len(answers.not_assessed) == 26


def test_flat_dict_and_nested_dict_agree():
    flat = Answers.from_dict({"owner_named": "Partly", "practice": "X"})
    nested = Answers.from_dict({"answers": {"owner_named": "partly"}, "practice": "X"})
    assert flat.values == nested.values and flat.values["owner_named"] == "partly"
    with pytest.raises(QuestionnaireError, match="answered twice"):
        Answers.from_dict({"owner_named": "yes", "answers": {"owner_named": "no"}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answers:\n  owner_named: yes\n  x: : :\n", r"line 3, column 6: not valid YAML"),
        ("answers:\n  owner_name: yes\n", r"line 2: unknown question id 'owner_name'.*owner_named"),
        ("answers:\n  owner_named: maybe\n", r"line 2: owner_named must be yes, partly or no"),
        ("answers:\n\n  dedicated_hours_per_week: -3\n", r"line 3: dedicated_hours_per_week"),
        ("answers:\n  billing_practitioners: 2.5\n", r"billing_practitioners must be whole"),
        ("answers:\n  staff_roles: doctor\n", r"staff_roles must be one of none, ma, lpn, rn"),
        ("answers:\n  owner_named: yes\n  owner_named: no\n", r"line 3: owner_named is answered"),
        ("date: last tuesday\n", r"line 1: date must look like"),
        ("- owner_named\n", r"expected `question_id: answer`"),
    ],
)
def test_yaml_errors_say_what_and_where(tmp_path, text, message):
    with pytest.raises(QuestionnaireError, match=message):
        load_questionnaire(write(tmp_path, text))


def test_missing_file_and_wrong_extension(tmp_path):
    with pytest.raises(QuestionnaireError, match="not found.*ccm-assess questionnaire DIR"):
        load_questionnaire(tmp_path / "nope.yaml")
    with pytest.raises(QuestionnaireError, match="not '.csv'"):
        load_questionnaire(write(tmp_path, "a,b\n", "answers.csv"))


# ---------------------------------------------------------------------------- templates


def test_committed_yaml_template_is_current_and_blank():
    path = REPO / "templates" / "questionnaire.yaml"
    assert path.read_text(encoding="utf-8") == answer_template_text()
    answers = load_questionnaire(path)
    assert answers.not_assessed == DEFINITION.ids
    assert answers.practice == "" and answers.date is None


def test_committed_xlsx_form_loads_blank():
    answers = load_questionnaire(REPO / "templates" / "questionnaire.xlsx")
    assert answers.not_assessed == DEFINITION.ids


def test_sample_answers_are_the_same_file_and_nearly_complete():
    bundled = REPO / "ccm_assess" / "data" / "sample_questionnaire.yaml"
    assert bundled.read_bytes() == (REPO / "sample_data" / "questionnaire.yaml").read_bytes()
    readiness = score_readiness(load_questionnaire(bundled))
    assert readiness.not_assessed == ("community_services",)
    assert readiness.has_24_7_access is False and readiness.has_certified_ehr is True
    assert readiness.dedicated_hours_per_week == 10.0
    assert readiness.maturity == "Foundational"


def form_rows(sheet) -> dict[str, int]:
    return {
        row[0].value: row[0].row
        for row in sheet.iter_rows(min_col=1, max_col=2)
        if row[0].value in DEFINITION.ids
    }


def test_form_layout_validation_and_protection(tmp_path):
    path = write_questionnaire_form(tmp_path / "form.xlsx")
    sheet = openpyxl.load_workbook(path)[FORM_SHEET]
    rows = form_rows(sheet)
    assert list(rows) == list(DEFINITION.ids)  # grouped by domain, in data order
    assert sheet.freeze_panes == "A8" and sheet.protection.sheet
    assert sheet.cell(rows["owner_named"], 3).protection.locked is False  # answer cell
    assert sheet.cell(rows["owner_named"], 2).protection.locked is not False  # question text
    assert sheet.cell(rows["owner_named"], 5).value == DEFINITION.question("owner_named").help

    def check(qid: str) -> tuple:
        cell = f"C{rows[qid]}"
        (dv,) = [dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref]
        return dv.type, dv.formula1, dv.formula2

    assert check("owner_named") == ("list", '"yes,partly,no"', None)
    assert check("billing_practitioners") == ("whole", "1", "200")
    assert check("dedicated_hours_per_week") == ("decimal", "0", "400")
    assert check("staff_roles")[1].startswith('"No clinical staff available,Medical assistants')
    for qid in DEFINITION.ids:
        assert len(check(qid)[1]) <= 255  # Excel's limit for a drop-down list


def test_form_round_trip(tmp_path):
    path = write_questionnaire_form(tmp_path / "form.xlsx")
    assert load_questionnaire(path).not_assessed == DEFINITION.ids
    book = openpyxl.load_workbook(path)
    sheet = book[FORM_SHEET]
    rows = form_rows(sheet)
    wanted = hand_answers()
    for qid, value in wanted.items():
        question = DEFINITION.question(qid)
        typed = next((o.label for o in question.options if o.key == value), value)
        sheet.cell(rows[qid], 3, typed)  # what the drop-down writes: the option label
    sheet.cell(rows["owner_named"], 6, "office manager")
    sheet["C3"], sheet["C4"], sheet["C5"] = "Oak Clinic", "J. Doe", dt.datetime(2026, 3, 2)
    book.save(path)
    loaded = load_questionnaire(path)
    assert loaded.values == Answers.from_dict(wanted).values
    assert (loaded.practice, loaded.date) == ("Oak Clinic", dt.date(2026, 3, 2))
    assert loaded.notes == {"owner_named": "office manager"}


def test_form_errors_name_the_cell(tmp_path):
    path = write_questionnaire_form(tmp_path / "form.xlsx")
    book = openpyxl.load_workbook(path)
    row = form_rows(book[FORM_SHEET])["access_24_7"]
    book[FORM_SHEET].cell(row, 3, "sometimes")
    book.save(path)
    with pytest.raises(QuestionnaireError, match=rf"cell C{row}: access_24_7 must be"):
        load_questionnaire(path)
    book[FORM_SHEET].title = "Sheet1"
    book.save(path)
    with pytest.raises(QuestionnaireError, match="no sheet named 'Questionnaire'"):
        load_questionnaire(path)
    write(tmp_path, "not a zip", "broken.xlsx")
    with pytest.raises(QuestionnaireError, match="cannot read the workbook"):
        load_questionnaire(tmp_path / "broken.xlsx")


def test_gap_tables_say_not_assessed_when_nothing_was_answered():
    from ccm_assess.outputs.html.tables import gaps_table

    blank = score_readiness(Answers.from_dict({}))
    assert blank.assessed_share == 0 and not blank.gaps
    assert "Not assessed: the readiness questionnaire was not answered." in gaps_table(
        blank, cms_required=True
    )
    answered = score_readiness(Answers.from_dict(hand_answers()))
    assert "Not assessed" not in gaps_table(answered, cms_required=True)
