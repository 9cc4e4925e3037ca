"""Honest numbers (docs/honest_numbers.md): headline figures
are the Monte Carlo medians of summary.json, the run at the default values is labelled, the
decision block, the `assumptions` command and the fee level by service year."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ccm_assess.edge import cli
from ccm_assess.edge.sample import write_ehr_xlsx
from ccm_assess.edge.sample_panel import generate_panel
from ccm_assess.finance.assumptions import Assumptions, registry
from ccm_assess.finance.model import Calendar, fee_index, stack_values
from ccm_assess.formatting import money
from ccm_assess.intake.panel import read_panel
from ccm_assess.outputs.figures import finance as figures_money
from ccm_assess.outputs.html import decision, tables
from ccm_assess.practice.assessment import assess, first_model_month
from ccm_assess.practice.decision_summary import decision_summary, plan_month
from ccm_assess.practice.request import AssessmentRequest
from ccm_assess.readiness.questionnaire import load_questionnaire

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PANEL = ROOT / "sample_data" / "sunrise_family_medicine_panel.xlsx"
SAMPLE_ANSWERS = ROOT / "sample_data" / "questionnaire.yaml"
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def sample():
    return assess(
        read_panel(SAMPLE_PANEL),
        AssessmentRequest(as_of=AS_OF, practice="Sunrise", locality="TX 99"),
        answers=load_questionnaire(SAMPLE_ANSWERS),
    )


@pytest.fixture(scope="module")
def ma_heavy(tmp_path_factory):
    """A generated panel where most Medicare patients are in Medicare Advantage, with an EHR set
    up for CCM and 24/7 access (no software or 24/7 cost), at facility rates."""
    frame = generate_panel(1200, seed=31)
    ffs = frame.index[frame["payer_class"] == "medicare_ffs"]
    moved = ffs[: int(len(ffs) * 0.7)]
    frame.loc[moved, "primary_payer"] = "Humana Gold Plus"
    frame.loc[moved, "payer_class"] = "medicare_advantage"
    path = tmp_path_factory.mktemp("ma") / "ma_heavy.xlsx"
    write_ehr_xlsx(frame, path, seed=31)
    answers = load_questionnaire(SAMPLE_ANSWERS)
    values = dict(answers.values) | {"certified_ehr": "certified_set_up", "access_24_7": "full"}
    from ccm_assess.readiness.questionnaire import Answers

    return assess(
        read_panel(path),
        AssessmentRequest(as_of=dt.date(2026, 6, 30), practice="MA heavy", setting="facility"),
        answers=Answers.from_dict(values),
    )


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("which", ["sample", "ma_heavy"])
def test_headline_figures_are_the_medians_of_summary_json(which, request):
    a = request.getfixturevalue(which)
    summary = a.summary()
    scenarios = summary["scenarios"]
    choice = a.recommendation.choice
    chosen = scenarios[choice]
    # the decision page (executive summary): median cash and net after the practitioners'
    # time, its band, median enrolled, break-even as a calendar month, staff hours as staff +
    # practitioners = total; the default-value run only in the appendix and the workbook
    page = _text(decision.decision_page_html(a))
    assert money(chosen["p50_horizon_net"]) in page
    assert money(chosen["p50_cash_horizon_net"]) in page
    band = f"{money(chosen['p10_horizon_net'])} to {money(chosen['p90_horizon_net'])}"
    assert band in page
    assert "default values" not in page
    assert f"{chosen['p50_enrolled_steady_state']:,.0f}" in page
    month = chosen["p50_break_even_month"]
    when = plan_month(a.as_of, month) if month else None
    assert (f"{when:%B %Y}" if when else "Not within") in page
    hours = round(chosen["p50_staff_hours_per_week"])
    practitioners = round(chosen["p50_practitioner_hours_per_week"])
    assert f"{hours - practitioners} + {practitioners} = {hours} h a week" in page
    assert money(chosen["p50_cash_year1_net"]) in page
    assert money(chosen["p50_peak_cash_need"]) in page
    # comparison table: every model's medians, cash and after the practitioners' time
    table = _text(tables.comparison_table(a.scenarios, a.economics.monte_carlo))
    for metrics in scenarios.values():
        for key in ("p50_horizon_net", "p50_year1_net", "p50_cash_horizon_net"):
            assert money(metrics[key]) in table
    assert "Net over 3 years, cash" in table
    # chart: bars are the medians, diamonds the base case
    fig = figures_money.net_comparison(a.scenarios)
    bars = [t.y[0] for t in fig.data if t.type == "bar"]
    assert bars == pytest.approx([m["p50_horizon_net"] for m in scenarios.values()])
    # no model breaks even before it is first paid, in any summary figure
    for metrics in scenarios.values():
        for key in ("break_even_month", "p50_break_even_month"):
            if metrics[key] is not None:
                assert metrics[key] >= metrics["first_payment_month"]
        assert metrics["first_payment_month"] > metrics["setup_months"]
        staff = metrics["staff_hours_per_week"]
        assert staff["peak"] >= staff["final_year_average"]
    # the hours chart and the staffing table add up to the same series
    for key, result in a.scenarios.items():
        by_kind = sum(tables.weekly_hours(result).values())
        assert by_kind == pytest.approx(
            scenarios[key]["staff_hours_per_week"]["final_year_average"], abs=0.05
        )
    for metrics in scenarios.values():
        staff = metrics["staff_hours_per_week"]
        assert metrics["practitioner_hours_per_week"] <= staff["final_year_average"]


def test_summary_json_v3_keys_and_decision(sample):
    summary = json.loads(json.dumps(sample.summary()))
    assert summary["schema_version"] == 3
    for metrics in summary["scenarios"].values():
        for key in ("horizon_net", "p10_horizon_net", "p90_horizon_net", "break_even_month",
                    "p50_horizon_net", "p50_year1_net", "p50_break_even_month", "setup_months",
                    "first_payment_month", "practitioner_hours_per_week", "cash_horizon_net",
                    "p50_cash_horizon_net", "practitioner_time_value"):  # fmt: skip
            assert key in metrics
        assert set(metrics["staff_hours_per_week"]) == {"final_year_average", "peak", "peak_month"}
        # cash is never below the net after the practitioners' time
        assert metrics["p50_cash_horizon_net"] >= metrics["p50_horizon_net"]
        assert metrics["cash_horizon_net"] == pytest.approx(
            metrics["horizon_net"] + metrics["practitioner_time_value"], abs=0.02
        )
    decision = summary["decision"]
    assert decision["options"] == ["in_house", "managed", "hybrid", "none"]
    assert decision["recommended"] in (summary["recommendation"], "none")
    assert decision["runner_up"] != decision["recommended"]
    assert 0 <= decision["win_share"] <= 1
    assert 2 <= len(decision["tipping_points"]) <= 4
    for point in decision["tipping_points"]:
        assert set(point) == {
            "assumption", "default", "flips_at", "sentence", "option", "against"
        }  # fmt: skip
        assert point["assumption"] in (*registry(), "")
        assert "_" not in point["sentence"]  # plain words, no assumption names
    # the executive summary prints the same sentences
    html = tables.recommendation_html(sample.recommendation)
    for point in decision["tipping_points"]:
        assert point["sentence"].split(" (")[0].replace("'", "&#x27;") in html


def test_next_steps_say_whether_to_start(sample):
    """When the answer is "don't start now", the plan's first steps are offered as what to do
    if the practice starts anyway, in the best way; otherwise they are the next steps."""
    rec = sample.recommendation
    html = tables.next_steps_html(sample.plan, rec)
    assert html.count("<li>") == 3
    stop = tables.next_steps_html(sample.plan, dataclasses.replace(rec, start_now=False))
    go = tables.next_steps_html(sample.plan, dataclasses.replace(rec, start_now=True))
    assert go.startswith("<p><strong>Next steps:</strong>")
    label = tables.model_label(rec.choice).lower()
    assert stop.startswith(f"<p><strong>If you start anyway ({label}), the first steps:</strong>")


def test_assumptions_command_lists_every_assumption(capsys):
    assert cli.main(["assumptions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(registry())
    for row in rows:
        assert {"name", "default", "unit", "low", "high", "basis", "source"} <= set(row)
        assert row["label"]
    assert cli.main(["assumptions"]) == 0
    assert "claims_lag_months = 1.5 months  range 1-2.5  [P]" in capsys.readouterr().out


def test_fees_follow_the_conversion_factor_of_the_service_year():
    # month 1 = December 2026 (as of 20 Nov 2026): 2026 rates; 2027 at -1.68% (proposed rule);
    # 2028 a further +0.25%
    calendar = first_model_month(AS_OF, 2026)
    assert calendar == Calendar(2026, 12, 2026)
    assert first_model_month(dt.date(2026, 6, 30), 2026) == Calendar(2026, 7, 2026)
    index = fee_index(stack_values(Assumptions()), calendar, 26)[0]
    assert index[0] == 1.0
    assert index[1:13] == pytest.approx([1 - 0.0168] * 12)
    assert index[13:25] == pytest.approx([(1 - 0.0168) * 1.0025] * 12)
    assert index[25] == pytest.approx((1 - 0.0168) * 1.0025**2)
    assert (fee_index(stack_values(Assumptions()), None, 3) == 1).all()


def test_facility_setting_uses_facility_rates(ma_heavy):
    summary = ma_heavy.summary()
    assert summary["rates"]["setting"] == "facility"
    assert summary["rates"]["99490"] == pytest.approx(43.76)  # national 2026 facility rate
    # the questionnaire says the EHR has the tools and 24/7 access exists: no such costs
    in_house = ma_heavy.scenarios["in_house"].monthly
    assert in_house["cost_software"].sum() == 0 and in_house["cost_after_hours"].sum() == 0


def test_basu_2015_replication_runs_the_model_on_the_papers_inputs(monkeypatch):
    import importlib.util
    import sys

    path = ROOT / "benchmarks" / "replicate_basu2015.py"
    spec = importlib.util.spec_from_file_location("replicate_basu2015", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    out = module.replicate()
    # by hand, RN: 12 months x $43 x collected share (0.95 x (0.784 + 0.2 x 0.88 x 0.9)) =
    # 461.96; 4 h of RN time x 66,640 x 1.29 / 1,664 = 206.64 -> 255.32
    assert out["collected_per_enrolled_patient_year"] == pytest.approx(461.96, abs=0.01)
    assert out["net_per_enrolled_patient_year"]["RN"] == pytest.approx(255.32, abs=0.01)
    for role, (_, low, high) in module.PAPER_NET.items():
        assert low <= out["net_per_enrolled_patient_year"][role] <= high
    # the RN break-even is outside the paper's 115-140 (a documented gap: salary + benefits
    # over collected revenue, docs/honest_numbers.md): 85,966 / 461.96
    assert out["rn_break_even_enrolled"] == pytest.approx(186.1, abs=0.1)
    # the abstract's own figures at 12 x $43 = $516 a year (docs/honest_numbers.md): RN net
    # $332 leaves $184 = $46.00 per hour of 4 h a year; 131 x 516 = 67,596 = 1.014 x the RN
    # wage 66,640 = 1,469 h at $46; 12 h a week over 75,000 / 332 = 225.9 patients = 13.8 min
    implied = module.abstract_arithmetic()
    assert implied.cost_per_enrolled_patient_year == {"RN": 184, "LPN": 144, "MA": 131}
    assert implied.cost_per_hour == pytest.approx({"RN": 46.0, "LPN": 36.0, "MA": 32.75})
    assert implied.rn_cost_recouped == pytest.approx((67_596, 59_340, 72_240))
    assert implied.rn_cost_over_wage == pytest.approx(1.0143, abs=1e-4)
    assert implied.rn_hours_covered == pytest.approx(1469.5, abs=0.1)
    assert implied.nursing_minutes_per_enrolled_month == pytest.approx(13.81, abs=0.01)


def test_the_sample_says_why_in_three_sentences(sample):
    decision, why = sample.decision, sample.recommendation.why
    assert len(why) == 3 and all(sentence.endswith(".") for sentence in why)
    # the figures are the medians of the decision (cash and after the practitioners' time)
    shown = decision.runner_up if decision.recommended == "none" else decision.recommended
    for figure in (decision.cash_medians[shown], decision.medians[shown]):
        assert f"${abs(figure):,.0f}" in why[0]
    assert f"{decision.win_share:.0%}" in why[1]
    assert why[2] in decision.sentences and "_" not in " ".join(why)


def test_monthly_csv_is_one_run_whose_rows_foot(sample):
    from ccm_assess.practice.monthly_plan import monthly_medians

    table = monthly_medians(sample)
    assert (table["revenue"] - table["costs"] - table["net"]).abs().max() < 0.01
    for model, rows in table.groupby("model"):
        (run,) = set(rows["plan_run"])
        assert run.startswith("draw ") and "of 500, nearest the median net" in run
        # the run's net after the practitioners' time is the draw nearest the median
        after = rows["net"].sum() - rows["practitioner_time_value"].sum()
        outcomes = sample.economics.monte_carlo.outcomes
        nets = outcomes.loc[outcomes["model"] == model, "horizon_net"]
        assert after == pytest.approx(nets.iloc[int(run.split()[1]) - 1], abs=1)
        assert abs(after - nets.median()) == pytest.approx(
            (nets - nets.median()).abs().min(), abs=1
        )


def test_decision_summary_of_the_sample_in_calendar_months_and_shares(sample):
    # as of 2026-11-20, model month 1 is December 2026: month 4 is March 2027
    facts = decision_summary(sample)
    managed = sample.summary()["scenarios"]["managed"]
    # no way of starting pays once the practitioners' time is valued: don't start now; managed
    # is the best way to start, and the runner-up of "none"
    assert sample.decision.recommended == "none" and sample.decision.runner_up == "managed"
    assert (facts.recommended, facts.runner_up) == ("managed", None)
    assert managed["first_payment_month"] == 4 and facts.first_payment == dt.date(2027, 3, 1)
    assert managed["p50_break_even_month"] is None and facts.break_even is None
    # cash: the median year-1 cash net; a full year is 12 x the median final-year cash month
    assert facts.cash_basis == "cash"
    assert facts.cash_year1 == pytest.approx(managed["p50_cash_year1_net"], abs=0.01)
    assert facts.cash_full_year == pytest.approx(
        12 * managed["p50_monthly_cash_net_steady_state"], abs=1
    )
    assert facts.peak_cash_need == pytest.approx(managed["p50_peak_cash_need"], abs=0.01)
    # 4 billing practitioners (questionnaire) share the practitioner hours (median)
    assert facts.billing_practitioners == 4
    assert facts.hours_per_practitioner == pytest.approx(
        managed["p50_practitioner_hours_per_week"] / 4, abs=0.05
    )
    # the share of the 500 draws whose 3-year net after the practitioners' time is below zero
    assert facts.share_losing == pytest.approx(0.85)
    assert len(facts.checks) == 3
    assert "50% of the CCM revenue collected" in facts.checks[0]
    assert "344 of the 1,044 billable patients" in facts.checks[1]


def test_decision_page_without_a_practitioner_count_or_break_even(ma_heavy):
    # the same figures with the questionnaire's practitioner count and the break-even removed
    readiness = dataclasses.replace(ma_heavy.readiness, billing_practitioners=None)
    choice = ma_heavy.recommendation.choice
    chosen = ma_heavy.scenarios[choice]
    never = dataclasses.replace(
        chosen, uncertainty={**chosen.uncertainty, "p50_break_even_month": None}
    )
    economics = dataclasses.replace(
        ma_heavy.economics, scenarios={**ma_heavy.scenarios, choice: never}
    )
    a = dataclasses.replace(ma_heavy, readiness=readiness, economics=economics)
    facts = decision_summary(a)
    assert facts.hours_per_practitioner is None and facts.break_even is None
    page = _text(decision.decision_page_html(a))
    assert "Not within 3 years" in page
    assert f"{chosen.central('practitioner_hours_per_week'):.0f} h a week" in page
    assert "how many was not assessed" in page
    assert len(facts.checks) == 3
