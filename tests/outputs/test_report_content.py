"""Report figures (outputs.charts, figure part) and HTML snippets (outputs.html.tables).

Kernel-free: every test builds a figure or a snippet from small hand-made frames and checks
the takeaway numbers, colours, suppression of small counts and escaping.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from ccm_assess import formatting
from ccm_assess.finance import fees
from ccm_assess.finance.assumptions import load_assumptions
from ccm_assess.finance.model import (
    CCM_CODES,
    COST_COLUMNS,
    ScenarioResult,
    weekly_hours_by_kind,
    year_sums,
)
from ccm_assess.finance.sensitivity import MonteCarlo, net_spread
from ccm_assess.outputs import charts
from ccm_assess.outputs.figures import finance as figures_money
from ccm_assess.outputs.figures import patients as figures_patients
from ccm_assess.outputs.html import appendix as report_appendix
from ccm_assess.outputs.html import blocks as report_html
from ccm_assess.outputs.html import tables
from ccm_assess.outputs.html import text as report_text
from ccm_assess.readiness.questionnaire import Answers
from ccm_assess.readiness.scoring import score_readiness

LABELS = {"in_house": "In-house", "managed": "Managed", "hybrid": "Hybrid"}
CENTS = re.compile(r"\$\d[\d,]*\.\d")
SCRIPT = "<script>alert(1)</script>"


def _monthly(net: list[float], **columns: list[float]) -> pd.DataFrame:
    """A monthly frame with every column the report reads; zeros unless given."""
    months = len(net)
    frame = pd.DataFrame({"month": np.arange(1, months + 1), "net": net})
    frame["cumulative_net"] = frame["net"].cumsum()
    names = [
        "enrolled", "ftes", "clinical_ftes", "gross_allowed", "collected_revenue", "costs",
        "clinical_hours", "outreach_hours", "consent_hours", "owner_hours", "practitioner_hours",
        *COST_COLUMNS, *CCM_CODES,
    ]  # fmt: skip
    for name in names:
        frame[name] = columns.get(name, [0.0] * months)
    return frame


def _scenario(model: str, net: list[float], **fields) -> ScenarioResult:
    monthly = fields.pop("monthly", None)
    monthly = _monthly(net) if monthly is None else monthly
    cumulative = monthly["cumulative_net"]
    reached = cumulative[cumulative >= 0]
    base = {
        "model": model,
        "label": LABELS[model],
        "monthly": monthly,
        "enrolled_steady_state": 100.0,
        "ftes_steady_state": 1.0,
        "monthly_net_steady_state": float(monthly["net"].tail(12).mean()),
        "year1_net": float(monthly["net"].head(12).sum()),
        "horizon_net": float(monthly["net"].sum()),
        "break_even_month": int(monthly.loc[reached.index[0], "month"]) if len(reached) else None,
        "roi": 0.5,
        "net_per_enrolled_month": 10.0,
        "peak_cash_need": 0.0,
        "horizon_revenue": 0.0,
        "horizon_gross_allowed": 0.0,
        "horizon_costs": 0.0,
        "caseload_per_fte": None,
        "caseload_note": "",
        "clinical_ftes_steady_state": 1.0,
        "hours_per_week_by_kind": weekly_hours_by_kind(monthly),
        "allowed_per_month_by_code": dict.fromkeys(CCM_CODES, 0.0),
        "horizon_costs_by_kind": dict.fromkeys(COST_COLUMNS, 0.0),
        "yearly": year_sums(monthly),
    }
    return ScenarioResult(**(base | fields))


def _three() -> dict[str, ScenarioResult]:
    # 24 months. in-house: -1,000 then +100 a month -> cumulative -1,000 + 100 x 10 = 0 in
    # month 11; managed: +50 from month 1 -> month 1; hybrid: always -10 -> never.
    return {
        "in_house": _scenario("in_house", [-1000.0] + [100.0] * 23),
        "managed": _scenario("managed", [50.0] * 24),
        "hybrid": _scenario("hybrid", [-10.0] * 24),
    }


def _title(fig) -> str:
    return fig.layout.title.text


# ------------------------------------------------------------------------------ text formats


def test_money_is_whole_dollars_with_a_true_minus():
    assert formatting.money(1234.56) == "$1,235"
    assert formatting.money(-1200.4) == "\u2212$1,200"
    assert formatting.money(-0.4) == "$0"  # no "minus zero"
    assert formatting.money(None) == formatting.DASH
    assert formatting.money(float("nan")) == formatting.DASH


def test_value_and_range_text_follow_the_unit():
    assert formatting.value_text(0.35, "share") == "35%"
    assert formatting.value_text(0.025, "share/month") == "2.5%"
    assert formatting.value_text(86070.0, "USD/year") == "$86,070 per year"
    assert formatting.value_text(35.0, "minutes") == "35 minutes"
    assert formatting.value_text(True, "bool") == "yes"
    assert formatting.value_text("revenue_share", "choice") == "revenue share"
    assert formatting.range_text(0.2, 0.6, "share") == "20%\u201360%"
    assert formatting.range_text(5.0, 25.0, "USD/patient-month") == "$5\u2013$25 per patient month"


# ------------------------------------------------------------------------------ your patients

COUNTS = {
    "panel": {"patients": 2450, "patients_analysed": 2432},
    "eligibility": {
        "ccm_eligible": 1359,
        "ccm_billable": 1044,
        "ccm_eligible_by_payer": {"medicare_ffs": 700, "medicare_advantage": 344},
    },
}


def test_funnel_states_eligible_of_analysed_and_ends_at_expected_enrolment():
    fig = figures_patients.eligibility_funnel(
        COUNTS, _scenario("managed", [0.0] * 12, enrolled_steady_state=420.4)
    )
    assert _title(fig) == ("1,044 billable CCM patients of 2,432 (1,359 eligible with any payer)")
    funnel = fig.data[0]
    # billable = FFS 700 + MA 344 = 1,044; enrolled 420.4 -> 420
    assert list(funnel.x) == [2450, 2432, 1359, 1044, 420]
    # 1,359 / 2,432 = 55.9% -> 56%; 420 / 2,432 = 17.3% -> 17%
    assert funnel.text[2] == "1,359 (56%)" and funnel.text[4] == "420 (17%)"
    assert funnel.marker.color[-1] == charts.MODEL_COLOURS["managed"]
    ffs_only = {**COUNTS, "eligibility": {**COUNTS["eligibility"], "ccm_billable": 700}}
    without_ma = figures_patients.eligibility_funnel(
        ffs_only, _scenario("managed", [0.0]), ma_pays_ccm=False
    )
    assert without_ma.data[0].x[3] == 700


def test_conditions_chart_suppresses_small_counts_and_drops_zeros():
    names = {"hypertension": "Hypertension", "parkinsons": "Parkinson's disease", "copd": "COPD",
             "asthma": "Asthma"}  # fmt: skip
    conditions = {"hypertension": 908, "parkinsons": 7, "asthma": 0, "copd": 207}
    fig = figures_patients.conditions_prevalence(conditions, names, analysed=2432)
    # 908 / 2,432 = 37.3% -> 37%
    assert _title(fig) == "Hypertension is the most common condition: 908 patients (37%)"
    bars = fig.data[0]
    assert list(bars.y) == ["Hypertension", "COPD", "Parkinson's disease"]
    assert list(bars.x) == [908, 207, 0]  # no bar that would show the 7
    assert list(bars.text) == ["908", "207", "<11"]
    assert "%{x" not in bars.hovertemplate


def test_chronic_count_distribution_share_and_suppression():
    # 20 analysed: 4 with 0, 5 with 1, 11 with 2 -> 11 / 20 = 55% qualify.
    bins = {"0": 4, "1": 5, "2": 11, "3": 0, "4": 0, "5": 0, "6+": 0}
    fig = figures_patients.chronic_count_distribution(bins)
    assert _title(fig) == "55% of the patients analysed have two or more chronic conditions"
    # as the run publishes them (Assessment.published): hidden bins are "<11", no share
    shown = bins | {"0": "<11", "1": "<11"}
    fig = figures_patients.chronic_count_distribution(shown)
    assert _title(fig) == "Patients analysed by number of chronic conditions"
    assert list(fig.data[0].text) == ["<11", "<11", "11", "0", "0", "0", "0"]
    assert list(fig.data[0].y[:3]) == [0, 0, 11]


def test_payer_mix_uses_complementary_suppression():
    by_payer = {"medicare_ffs": 700, "medicare_advantage": 344, "medicaid": 5, "commercial": 206,
                "self_pay": 27, "other": 24, "unknown": 14}  # fmt: skip
    fig = figures_patients.payer_mix(by_payer)
    # billable 700 + 344 = 1,044; the total (1,320) would be a sum over hidden cells
    assert _title(fig) == "1,044 eligible patients have Medicare that pays for CCM"
    text = dict(zip(fig.data[0].y, fig.data[0].text, strict=True))
    assert text["Medicaid"] == "<11"
    assert text["Not recognised"] == "withheld"  # the smallest other cell (14): not "<11"
    assert text["Medicare (traditional)"] == "700"
    assert 5 not in list(fig.data[0].x) and 14 not in list(fig.data[0].x)


def test_a_sum_of_published_cells_is_hidden_when_one_of_them_is():
    # the run's plan hid Medicare Advantage: the funnel's FFS + MA and the payer title hide too
    counts = COUNTS | {
        "eligibility": COUNTS["eligibility"]
        | {
            "ccm_eligible_by_payer": {"medicare_ffs": 700, "medicare_advantage": "<11"},
            "ccm_billable": "<11",
        }
    }
    fig = figures_patients.eligibility_funnel(counts, _scenario("managed", [0.0] * 12))
    assert list(fig.data[0].text)[3] == "<11" and fig.data[0].x[3] == 0
    mix = figures_patients.payer_mix(counts["eligibility"]["ccm_eligible_by_payer"])
    assert _title(mix) == "Eligible patients by insurance: Medicare pays for CCM"


def test_eligible_by_provider_escapes_names_and_keeps_the_plan():
    # as published: Dr C 30, the <script> provider 15, "Not recorded" and Dr B hidden by the
    # run's plan, Dr Z none eligible (left out); hidden bars sort after shown ones, by name
    counts = pd.Series(
        {"Dr C": 30, "Not recorded": "<11", SCRIPT: 15, "Dr B": "<11", "Dr Z": 0}, dtype=object
    )
    fig = figures_patients.eligible_by(counts, what="provider")
    assert _title(fig) == "Dr C has the most CCM-eligible patients: 30"
    bars = dict(zip(fig.data[0].y, fig.data[0].text, strict=True))
    assert list(bars.items()) == [
        ("Dr C", "30"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "15"),
        ("Dr B", "<11"),
        ("Not recorded", "<11"),
    ]
    markup = pio.renderers["ccm_offline"].to_mimebundle(fig.to_dict())["text/html"]
    assert "<script>alert" not in markup
    assert figures_patients.eligible_by(pd.Series(dtype=object)) is None


def test_eligible_by_pools_groups_past_the_top():
    # 4 providers, top 3: the two smallest (20 and 12 eligible) pool into "All others" = 32
    counts = pd.Series({"A": 50, "B": 40, "C": 20, "D": 12}, dtype=object)
    fig = figures_patients.eligible_by(counts, what="provider", top=3)
    assert list(fig.data[0].y) == ["A", "B", "All others (2 providers)"]
    assert list(fig.data[0].x) == [50, 40, 32]
    hidden = figures_patients.eligible_by(counts.replace({12: "<11"}), what="provider", top=3)
    assert list(hidden.data[0].text)[-1] == "withheld"  # a sum of hidden cells may be 11+


# ------------------------------------------------------------------------------ staffing and money


def test_month_charts_draw_each_model_in_its_colour():
    scenarios = _three()
    for fig in (figures_money.cash_flow(scenarios), figures_money.enrolment_and_staff(scenarios)):
        lines = [t for t in fig.data if t.mode == "lines"]
        assert len(lines) == 6  # three models, two panels
        for trace in lines:
            key = next(k for k, label in LABELS.items() if label == trace.name)
            assert trace.line.color == charts.MODEL_COLOURS[key]
        assert sum(bool(t.showlegend) for t in lines) == 3
        assert fig.layout.template.layout.width == charts.CHART_WIDTH


def test_cash_flow_title_and_break_even_markers():
    fig = figures_money.cash_flow(_three())
    # no simulations attached: the medians fall back to the run at the default values
    assert _title(fig) == "Managed pays back soonest: month 1 in the middle of the simulations"
    assert fig.layout.title.subtitle.text == (
        "Lines at the default values, break-even: in-house month 11; managed month 1; "
        "hybrid not within the period"
    )
    markers = {t.name: (t.x[0], t.y[0]) for t in fig.data if t.mode == "markers"}
    # in-house cumulative in month 11: -1,000 + 10 x 100 = 0; managed month 1: 50
    assert markers == {"In-house break-even": (11, 0.0), "Managed break-even": (1, 50.0)}


def test_cash_flow_title_when_nothing_pays_back():
    scenarios = {k: _scenario(k, [-10.0] * 24) for k in LABELS}
    assert _title(figures_money.cash_flow(scenarios)) == (
        "In the middle of the simulations no model pays back within 24 months"
    )


def test_enrolment_title_groups_models_with_the_same_final_value():
    def enrolled(model: str, last: float) -> ScenarioResult:
        return _scenario(model, [0.0] * 12, monthly=_monthly([0.0] * 12, enrolled=[last] * 12))

    scenarios = {"in_house": enrolled("in_house", 352.4), "managed": enrolled("managed", 433.0),
                 "hybrid": enrolled("hybrid", 432.6)}  # fmt: skip
    assert _title(figures_money.enrolment_and_staff(scenarios)) == (
        "By month 12: managed and hybrid 433, in-house 352 enrolled patients"
    )


def test_weekly_hours_title_and_stacking():
    hours = {
        "in_house": {"Monthly care": 52.0, "Enrolment calls and consent": 7.0,
                     "Program owner": 4.0, "Billing practitioner": 7.0},
        "managed": {"Monthly care": 0.0, "Enrolment calls and consent": 1.0,
                    "Program owner": 1.0, "Billing practitioner": 8.0},
        "hybrid": {"Monthly care": 64.0, "Enrolment calls and consent": 1.0,
                   "Program owner": 4.0, "Billing practitioner": 8.0},
    }  # fmt: skip
    fig = figures_money.weekly_hours(hours, 10.0)
    # every practice hour, the billing practitioner's included: 52 + 7 + 4 + 7 = 70
    assert _title(fig) == "In-house needs about 70 practice hours a week; you can set aside 10"
    assert [t.name for t in fig.data] == list(hours["in_house"])
    assert fig.layout.barmode == "stack"
    assert "not assessed" in _title(figures_money.weekly_hours(hours, None))


def test_weekly_hours_from_the_last_twelve_months():
    # 24 months; clinical hours 0 in year 1 and 130 a month in year 2 -> 130 / (52 / 12) = 30
    monthly = _monthly([0.0] * 24, clinical_hours=[0.0] * 12 + [130.0] * 12)
    hours = tables.weekly_hours(_scenario("in_house", [0.0] * 24, monthly=monthly))
    assert hours["Monthly care"] == pytest.approx(30.0)
    assert hours["Program owner"] == 0.0


def test_code_mix_shares_of_steady_state_billing():
    # year 2: 10 x 99490 at $60 = $600 and 5 x 99439 at $50 = $250 a month; allowed $850
    allowed = dict.fromkeys(CCM_CODES, 0.0) | {"99490": 600.0, "99439": 250.0, "G0506": 0.4}
    scenario = _scenario("hybrid", [0.0] * 24, allowed_per_month_by_code=allowed)
    fig = figures_money.code_mix(scenario)
    # 600 / 850 = 70.6% -> 71%
    assert _title(fig) == "99490 brings 71% of the $850 billed a month in year 2"  # 24 months
    assert list(fig.data[0].text) == ["$600", "$250"]
    assert fig.data[0].marker.color == charts.MODEL_COLOURS["hybrid"]


def test_net_comparison_error_bars_span_p10_to_p90():
    scenarios = _three()
    scenarios["managed"] = _scenario(
        "managed", [60.0] * 24, p10_horizon_net=1000.0, p90_horizon_net=1500.0
    )  # 60 x 24 = 1,440 (in-house -1,000 + 23 x 100 = 1,300): whiskers -440 and +60
    fig = figures_money.net_comparison(scenarios)
    assert _title(fig) == "Managed nets the most over 2 years: $1,440"
    bar = next(t for t in fig.data if t.marker.color == charts.MODEL_COLOURS["managed"])
    assert list(bar.error_y.array) == [60.0] and list(bar.error_y.arrayminus) == [440.0]
    assert bar.x == ("Managed: $1,440",)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.marker.color for t in bars] == list(charts.MODEL_COLOURS.values())
    # the diamonds mark the median cash (here the scenarios' own cash figure, 3,000 for managed)
    scenarios["managed"] = _scenario(
        "managed", [60.0] * 24, p10_horizon_net=1000.0, p90_horizon_net=1500.0,
        cash_horizon_net=3000.0,
    )  # fmt: skip
    diamonds = [t for t in figures_money.net_comparison(scenarios).data if t.type == "scatter"]
    assert [t.y[0] for t in diamonds] == [0.0, 3000.0, 0.0]


def test_pnl_table_sums_each_year_without_cents():
    # in-house nets -1,000 + 11 x 100 = 100 in year 1 and 12 x 100 = 1,200 in year 2
    html = tables.pnl_table(_three())
    assert "<td>$100</td>" in html and "<td>$1,200</td>" in html
    assert "Net in year 2" in html and "Net in year 3" not in html
    assert not CENTS.search(html)


def test_comparison_table_formats_money_and_months():
    monte = SimpleNamespace(
        summary=pd.DataFrame({"share_breaking_even": [0.39, 1.0, 0.0]}, index=list(LABELS))
    )
    html = tables.comparison_table(_three(), monte)
    assert "Month 11" in html and "Not within 2 years" in html and "39%" in html
    assert "\u2212$240" in html  # hybrid: -10 x 24
    assert "<td>50%</td>" in html  # return on costs 0.5
    assert not CENTS.search(html)


# ------------------------------------------------------------------------------ sensitivity


def test_tornado_bars_start_at_the_base_case():
    frame = pd.DataFrame(
        {
            "model": "in_house",
            "name": ["a", "b"],
            "label": ["Share of patients who agree to enrol", "Minutes per patient (all)"],
            "unit": ["share", "minutes"],
            "low": [0.2, 25.0],
            "high": [0.6, 50.0],
            "base_horizon_net": 1000.0,
            "horizon_net_low": [400.0, 1300.0],
            "horizon_net_high": [2200.0, 700.0],
            "swing": [1800.0, 600.0],
        }
    )
    fig = figures_money.tornado(frame, "in_house")
    assert _title(fig) == "One assumption alone can move the in-house net by $1,800"
    assert "$400 to $2,200; at the default values $1,000" in fig.layout.title.subtitle.text
    low, high = fig.data
    assert low.base == 1000.0 and list(low.x) == [-600.0, 300.0]  # 400 - 1,000; 1,300 - 1,000
    assert list(high.x) == [1200.0, -300.0]
    assert high.marker.color == charts.MODEL_COLOURS["in_house"]
    assert list(low.y)[1] == "Minutes per patient"  # cut at "("
    assert list(high.customdata) == ["60%", "50 minutes"]


def test_monte_carlo_title_counts_draws_that_earn_money():
    # in-house: 7 of 10 draws above zero -> 70%; sorted -5 -2 -1 1 2 3 4 5 6 7: P10 at
    # position 0.9 = -5 + 0.9 x 3 = -2.3, P25 at 2.25 = -0.5, P50 2.5, P75 at 6.75 = 4.75,
    # P90 at 8.1 = 6.1
    nets = {"in_house": [-5, -1, -2] + list(range(1, 8)), "managed": list(range(10)),
            "hybrid": list(range(-5, 5))}  # fmt: skip
    summary = pd.DataFrame.from_dict(
        {
            key: {f"p{p}_horizon_net": float(np.percentile(v, p)) for p in (10, 50, 90)}
            | net_spread(np.array(v, dtype=float))
            for key, v in nets.items()
        },
        orient="index",
    )
    mc = MonteCarlo(seed=1, draws=10, distribution="triangular", samples=pd.DataFrame(),
                    outcomes=pd.DataFrame(), summary=summary)  # fmt: skip
    fig = figures_money.monte_carlo(mc, "in_house")
    assert _title(fig) == "In-house earns money in 70% of 10 simulations"
    box = next(t for t in fig.data if t.name == "In-house")
    fences = (box.lowerfence, box.q1, box.median, box.q3, box.upperfence)
    assert [f[0] for f in fences] == pytest.approx([-2.3, -0.5, 2.5, 4.75, 6.1])
    assert box.fillcolor == charts.MODEL_COLOURS["in_house"]


def test_sensitivity_text_names_the_top_assumptions():
    frame = pd.DataFrame(
        {"model": "managed", "label": ["Consent"], "unit": ["share"], "low": [0.2],
         "high": [0.6], "horizon_net_low": [100.0], "horizon_net_high": [900.0]}
    )  # fmt: skip
    earning = pd.DataFrame({"share_earning": [0.5, 1.0, 0.0]}, index=list(LABELS))
    mc = SimpleNamespace(summary=earning, draws=2)
    html = tables.sensitivity_html(frame, mc, "managed")
    assert "Consent: 20% to 60% moves the net at the default values from $100 to $900." in html
    assert "In-house earns money in 50% of 2 simulations." in html
    assert "Managed earns money in 100% of 2 simulations." in html
    assert "Hybrid earns money in 0% of 2 simulations." in html


# ------------------------------------------------------------------------------ readiness, programs


def test_readiness_chart_colours_by_band_and_names_the_weakest_area():
    readiness = score_readiness(
        Answers.from_dict({"owner_named": "yes", "owner_protected_time": "yes",
                           "supervising_practitioner": "yes", "provider_buy_in": "yes",
                           "outreach_cadence": "no", "month_end_review": "no",
                           "billing_reconciliation": "no", "documentation_audit": "no"})
    )  # fmt: skip
    fig = figures_patients.readiness_scores(readiness)
    shown = zip(fig.data[0].text, fig.data[0].marker.color, strict=True)
    bars = dict(zip(fig.data[0].y, shown, strict=True))
    assert bars["Ownership"] == ("100/100", figures_patients.MATURITY_COLOURS[-1])
    assert bars["Monthly workflow"] == ("0/100", charts.CAUTION)
    assert bars["Documentation"] == ("not assessed", charts.NEUTRAL["rule"])
    # 8 of the questions answered: under half, so no overall score
    assert _title(fig) == "Too few answers for an overall readiness score"


def test_program_potential_compares_ccm_plus_pcm_with_apcm():
    programs = pd.DataFrame(
        {"program": ["CCM", "PCM", "CCM + PCM", "APCM"],
         "collected_per_year": [281835.0, 41890.0, 323725.0, 266780.4],
         "net_per_year": [81835.0, 11890.0, 93725.0, 166780.4]}
    )  # fmt: skip
    fig = figures_money.program_potential(programs)
    # compared on net: APCM needs far less staff time
    assert _title(fig) == (
        "Consider APCM instead: once enrolment is full it could net $166,780 a year against "
        "$93,725 for CCM with PCM on the same costs, provided the practice is responsible for "
        "all of these patients' primary care."
    )
    assert list(fig.data[0].text) == ["$81,835", "$11,890", "$93,725", "$166,780"]
    assert list(fig.data[0].customdata)[3] == "$266,780"


def test_programs_table_suppresses_and_says_unknown():
    counts = {
        "conditions_level": "standard",
        "eligibility": {
            "ccm_eligible": 1359, "complex_ccm_candidates": None, "needs_initiating_visit": 7,
            "pcm_candidates": 572, "apcm_tiers": {"G0556": 317, "G0557": 850, "G0558": 4},
            "broad_ccm_eligible": 1629,
        }
    }  # fmt: skip
    html = tables.programs_table(counts)
    cells = re.findall(r"<td>([^<]*|&lt;11)</td>", html)
    # complex unknown; 7 needing a visit suppressed; G0558 = 4 suppressed with the smallest
    # other tier (317) as its complement, which is not "<11"
    assert cells == ["1,359", "not known", "&lt;11", "572", "withheld", "850", "&lt;11", "1,629"]


# ------------------------------------------------------------------------------ escaping, appendix


def test_snippets_escape_text_from_data():
    assert SCRIPT not in report_html.kpi_grid([report_html.Kpi(SCRIPT, "label", SCRIPT)])
    assert SCRIPT not in report_html.callout(SCRIPT, [SCRIPT], bullets=[SCRIPT])
    assert SCRIPT not in report_html.html_table(pd.DataFrame({SCRIPT: [SCRIPT]}))
    disclaimer = report_text.disclaimer_html(SCRIPT, "ccm-assess")
    assert SCRIPT not in disclaimer and "&lt;script&gt;alert(1)&lt;/script&gt;" in disclaimer
    panel = SimpleNamespace(mapping={"patient_id": [SCRIPT], "provider": ["PCP"]})
    columns = report_appendix.columns_table(panel)
    assert SCRIPT not in columns and "&lt;script&gt;" in columns
    assert "Last visit</td><td class=text>not in the file" in columns


def test_kpi_grid_columns_and_model_accent():
    html = report_html.kpi_grid([report_html.Kpi("$1,200", "Net", model="hybrid")], columns=3)
    assert 'style="grid-template-columns: repeat(3, 1fr)"' in html
    assert 'class="kpi model-hybrid"' in html and '<div class="kpi-value">$1,200</div>' in html


def test_reconciliation_adds_up_and_combines_the_exclusions():
    counts = {
        "panel": {"rows_read": 20, "rows_used": 15, "rows_skipped": 3, "rows_rejected": 2,
                  "patients": 12, "patients_analysed": 9},
        "excluded": {"deceased": 2, "hospice": 1},
    }  # fmt: skip
    ledger = pd.DataFrame(
        {"status": ["used"] * 15 + ["skipped"] * 3 + ["rejected"] * 2,
         "reason": [""] * 15 + ["blank row", "blank row", "header row"] + ["no patient id"] * 2}
    )  # fmt: skip
    html = report_appendix.reconciliation_table(counts, ledger)
    # 15 + 3 + 2 = 20 rows; 12 - (2 + 1) = 9 patients; deceased and hospice shown as one 3
    assert "Check: used + skipped + rejected" in html
    assert (
        "skipped: blank row</td><td>2" in html
        and "left out: deceased or in hospice</td><td>3" in html
    )
    counts["panel"]["patients_analysed"] = 10
    assert "do not add up" in report_appendix.reconciliation_table(counts, ledger)


def test_quality_table_suppresses_patient_counts_but_not_entry_counts():
    frame = pd.DataFrame({"value": ["x"], "count": [3]})
    quality = SimpleNamespace(
        invalid_codes=frame,
        icd9_codes=frame,
        unknown_payers=frame,
        bad_dates=pd.DataFrame({"count": [2]}),
        bad_values=pd.DataFrame({"count": []}),
        conflicts=pd.DataFrame({"column": ["location"], "patients": [31]}),
        text_code_cells=4,
    )
    diagnoses = pd.DataFrame({"patient_id": ["a", "b", "b"], "code": ["E1199", "E1199", "E119"]})
    html = report_appendix.quality_table(
        SimpleNamespace(quality=quality, diagnoses=diagnoses), pd.DataFrame({"value": []})
    )
    cells = re.findall(r"<td>([^<]*)</td>", html)
    # codes are entries (3 shown); unrecognised payers are patients (3 -> <11); E11.99 does not
    # exist (1 distinct code), none retired; 4 cells held their codes inside text (cells, shown)
    assert cells == ["3", "3", "&lt;11", "2", "0", "4", "31", "1", "0", "0"]


def test_assumptions_appendix_marks_changes_and_splits_groups():
    assumptions = load_assumptions(overrides={"consent_rate": 0.75})
    parts = report_appendix.assumptions_appendix(assumptions, rows_per_part=5)
    html = "".join(parts)
    assert "75%*!" in html  # changed, and outside the plausible 20%-60%
    assert "<h4>Enrolment</h4>" in parts[0] and "[P] primary source" in parts[0]
    assert all(p.count("<tr>") <= 6 for p in parts)  # header + at most 5 rows
    assert html.count("<tr>") - len(parts) == len(assumptions.as_dict())


def test_rates_table_names_year_locality_and_the_gpci_caveat():
    html = tables.rates_html(fees.rate_table(2026, "TX 99"))
    assert "Medicare Physician Fee Schedule 2026, Medicare locality TX 99 REST OF TEXAS" in html
    assert "2025 locality cost indices (GPCIs)" in html
    assert re.search(r"<td class=text>99490</td>.*?<td>\$\d+\.\d\d</td>", html)


def test_glossary_explains_every_abbreviation_the_report_uses():
    terms = " ".join(report_text.GLOSSARY)
    for term in ("CCM", "PCM", "APCM", "FFS", "MA (Medicare Advantage)", "FTE", "P10", "GPCI",
                 "Break-even", "RVU", "<11", "Monte Carlo", "Tornado", "CMS", "QMB"):  # fmt: skip
        assert term in terms, term


def test_method_names_the_date_rates_and_seed():
    monte = SimpleNamespace(draws=500, seed=2026)
    html = report_text.method_html(
        dt.date(2026, 11, 20), fees.rate_table(2026, None), load_assumptions(), monte
    )
    assert "November 20, 2026" in html and "500 times (seed 2026" in html
    assert "Fee Schedule 2026 for National (unadjusted)" in html


def test_fte_text_never_shows_a_small_need_as_zero():
    assert formatting.fte_text(0.045) == "under 0.1"
    assert formatting.fte_text(0.0) == "0.0"
    assert formatting.fte_text(1.96) == "2.0"


def test_range_of_levels_names_what_makes_the_difference():
    eligibility = {
        "ccm_eligible_strict": 1136,
        "ccm_eligible_standard": 1359,
        "broad_ccm_eligible": 1634,
        "standard_not_strict_top": {
            "obesity": 141,
            "anxiety": 110,
            "peripheral_vascular_disease": 7,
        },
        "broad_not_standard_top": {"K21": 95},
    }
    fig = figures_patients.eligibility_range(
        eligibility, {"obesity": "Obesity", "anxiety": "Anxiety disorder"}
    )
    assert _title(fig) == (
        "1,136 to 1,634 qualify depending on the conditions counted; estimate 1,359"
    )
    assert figures_patients.eligibility_range_text(
        eligibility, {"obesity": "Obesity", "anxiety": "Anxiety disorder"}
    ) == (
        "The estimate counts more patients than the strict list mostly through obesity (141), "
        "anxiety disorder (110), peripheral_vascular_disease (<11); the broad bound adds mostly "
        "Gastro-esophageal reflux disease K21 (95)."
    )
    assert list(fig.data[0].x) == [1136, 1359, 1634]
    strict = figures_patients.eligibility_range(eligibility, {}, "strict")
    assert _title(strict).endswith("estimate 1,136 (strict list)")
    assert strict.data[0].marker.color[0] != strict.data[0].marker.color[1]
    assert strict.data[0].marker.color[0] == fig.data[0].marker.color[1]  # the counted list


def test_negative_amounts_keep_their_minus_sign_on_the_line() -> None:
    amounts = {"In-house": [formatting.money(-278_617)], "Managed": [formatting.money(84_529)]}
    frame = pd.DataFrame({"Item": ["Net"], **amounts})
    table = report_html.html_table(frame, text_columns=("Item",))
    assert "<td class=text>Net</td><td class=negative>\u2212$278,617</td><td>$84,529</td>" in table
    css = (Path(__file__).resolve().parents[2] / "templates/report/static/report.css").read_text()
    assert re.search(r"td\.negative \{ white-space: nowrap; \}", css)
