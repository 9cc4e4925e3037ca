"""Reading the audit's exports, the command line, dollars at two localities and the plan."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from ccm_assess.audit.inputs import read_input
from ccm_assess.audit.run import AuditOptions, audit
from ccm_assess.audit.summary import plan_comparison
from ccm_assess.edge import cli
from ccm_assess.practice.monthly_plan import calendar_months, read_monthly_plan

TIME_CSV = (
    "Care management minutes report\r\n"
    "Printed 10/02/2026\r\n"
    "\r\n"
    "Chart #,Service Date,Duration (min),Performed By,Role,Program\r\n"
    "A1,09/03/2026,25,Dana Lee,RN,\r\n"
    "A1,09/20/2026,20,Dr Alvarez,MD,CCM\r\n"
    "B2,2026-09-04,12,Kim Nguyen,CMA,CCM\r\n"
    "B2,13/45/2026,10,Kim Nguyen,CMA,CCM\r\n"  # unreadable date
    "C3,09/05/2026,-5,Kim Nguyen,CMA,CCM\r\n"  # negative minutes
    "C3,09/06/2026,15,Pat Front,Receptionist,CCM\r\n"  # not clinical staff
    "C3,09/07/2026,15,Pat Front,,CCM\r\n"  # no credential
    ",09/08/2026,15,Kim Nguyen,CMA,CCM\r\n"  # no patient id
    "Total: 8 rows\r\n"
)
CLAIMS_CSV = (
    "MRN,DOS,CPT/HCPCS,Units,Rendering Provider,Status\r\n"
    "A1,09/30/2026,99490,,Dr Alvarez,Paid\r\n"
    "A1,09/30/2026,99439,2,Dr Alvarez,Paid\r\n"
    "A1,09/12/2026,99214-25,1,Dr Alvarez,Paid\r\n"  # a visit: not care management
    "B2,09/30/2026,99490,1,Dr Alvarez,Void\r\n"  # voided
    "B2,09/30/2026,99490,1,Dr Alvarez,Denied\r\n"
)
REGISTER_CSV = (
    "Patient ID,Consent Date,Care Plan Date,Billing Practitioner,Complex,Disenrollment Date,"
    "Last Initiating Visit\r\n"
    "A1,08/01/2026,08/01/2026,Dr Alvarez,N,,03/01/2026\r\n"
    "B2,08/01/2026,,Dr Alvarez,N,,03/01/2026\r\n"
)


def _audit(time_log, out, *options) -> int:
    """`ccm-assess audit --time-log TIME_LOG --out OUT OPTIONS...`; the exit status."""
    return cli.main(["audit", "--time-log", str(time_log), "--out", str(out), *map(str, options)])


@pytest.fixture
def exports(tmp_path):
    paths = {}
    for name, text in (("time", TIME_CSV), ("claims", CLAIMS_CSV), ("register", REGISTER_CSV)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def test_time_log_rows_are_each_accounted_for(exports):
    source = read_input("time_log", exports["time"])
    assert source.mapping == {
        "patient_id": "Chart #",
        "date": "Service Date",
        "minutes": "Duration (min)",
        "staff": "Performed By",
        "credential": "Role",
        "program": "Program",
    }
    ledger = source.ledger.set_index("row")
    assert ledger.loc[1, "reason"] == "title row above the header"
    assert ledger.loc[4, "reason"] == "header row"
    assert ledger.loc[8, ["status", "reason"]].tolist() == [
        "rejected",
        "date not readable as a date",
    ]
    assert ledger.loc[9, "reason"] == "negative minutes"
    assert ledger.loc[10, "status"] == "skipped" and "not clinical" in ledger.loc[10, "reason"]
    assert ledger.loc[11, "reason"].startswith("no staff credential")
    assert ledger.loc[12, ["status", "reason"]].tolist() == ["rejected", "no patient id"]
    assert ledger.loc[13, "reason"] == "footer or note row"
    assert source.counts() == {
        "rows_read": 13,
        "rows_used": 3,
        "rows_skipped": 7,
        "rows_rejected": 3,
    }
    rows = source.rows.set_index("row")
    assert rows.loc[5, "program"] == "CCM" and rows.loc[6, "lane"] == "practitioner"
    assert rows.loc[7, "date"] == pd.Timestamp("2026-09-04")


def test_claims_skip_visits_and_voided_lines(exports):
    source = read_input("claims", exports["claims"])
    assert source.rows["code"].tolist() == ["99490", "99439", "99490"]
    assert source.rows["units"].tolist() == [1, 2, 1]  # blank units = 1
    reasons = source.ledger.set_index("row")["reason"]
    assert reasons[4].startswith("not a care-management code")
    assert reasons[5] == "claim line voided or reversed"


def test_the_hand_worked_month_end_to_end(exports):
    result = audit(
        AuditOptions(
            time_log=exports["time"], claims=exports["claims"], register=exports["register"]
        )
    )
    led = result.ledger
    # A1: 25 staff + 20 practitioner = 45 -> 99490 + one 99439; billed two 99439.
    # B2: 12 minutes; 99490 billed (the denied line counts as billed), no care plan.
    assert led["patients"] == 2 and led["patient_months"] == 2  # no C3 row was used
    assert led["findings"] == {
        "unsupported_claims": 2,
        "missed_billing": 0,
        "near_threshold": 0,
        "no_consent": 0,
        "no_care_plan": 1,
        "conflicts": 0,
        "billed_after_disenrolment": 0,
        "no_initiating_visit": 0,
    }
    assert led["dollars"] == {
        "billed": round(2 * 66.13 + 2 * 50.44, 2),
        "supported": 116.57,
        "missed": 0.0,
        "at_risk": round(50.44 + 66.13, 2),
    }


@pytest.mark.parametrize(
    ("locality", "rate_99490", "rate_99439"), [("AL", 56.23, 42.50), ("NY 1", 68.21, 51.90)]
)
def test_dollars_to_the_cent_at_two_localities(exports, locality, rate_99490, rate_99439):
    # 2025 RVUs and CF $32.3465 (docs/audit.md): 99439 in Alabama (GPCIs 1.000/0.869/0.575)
    # (0.70 + 0.68*0.869 + 0.04*0.575) * 32.3465 = 42.50; Manhattan (1.065/1.166/1.656) 51.90
    result = audit(
        AuditOptions(
            time_log=exports["time"],
            claims=exports["claims"],
            register=exports["register"],
            year=2025,
            locality=locality,
        )
    )
    dollars = result.ledger["dollars"]
    assert dollars["billed"] == round(2 * rate_99490 + 2 * rate_99439, 2)
    assert dollars["supported"] == round(rate_99490 + rate_99439, 2)
    assert dollars["at_risk"] == round(rate_99490 + rate_99439, 2)


def test_without_claims_or_register_nothing_is_reported_clean(exports):
    led = audit(AuditOptions(time_log=exports["time"], register=exports["register"])).ledger
    assert led["findings"]["unsupported_claims"] is None
    assert led["findings"]["near_threshold"] == 0
    assert led["dollars"]["billed"] is None and led["dollars"]["supported"] == 116.57
    assert led["dollars"]["would_be_at_risk_if_billed"] == 0.0
    led = audit(AuditOptions(time_log=exports["time"], claims=exports["claims"])).ledger
    assert led["findings"]["no_consent"] is None and led["findings"]["missed_billing"] is None
    assert led["findings"]["unsupported_claims"] == 2
    assert "no_care_plan" in led["not_assessed"]


def test_a_workbook_of_three_sheets_is_one_argument(exports, tmp_path):
    book = tmp_path / "program.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.read_csv(exports["register"]).to_excel(writer, sheet_name="Register", index=False)
        pd.read_csv(exports["claims"]).to_excel(writer, sheet_name="Claims", index=False)
        pd.read_csv(exports["time"], skiprows=3, skipfooter=1, engine="python").to_excel(
            writer, sheet_name="Minutes", index=False
        )
    result = audit(AuditOptions(time_log=book))
    assert {k: v.sheet for k, v in result.inputs.items()} == {
        "time_log": "Minutes",
        "claims": "Claims",
        "register": "Register",
    }
    assert result.ledger["findings"]["unsupported_claims"] == 2


def test_map_names_a_column_the_aliases_do_not_know(tmp_path, capsys):
    path = tmp_path / "time.csv"
    path.write_text("MRN,Date,Mins spent\nA1,2026-09-03,25\n", encoding="utf-8")
    out = tmp_path / "out"
    assert _audit(path, out) == 2
    message = capsys.readouterr().err
    assert "no column for minutes" in message and "--map time_log.minutes" in message
    assert "Traceback" not in message
    assert _audit(path, out, "--formats", "html", "--map", "time_log.minutes=Mins spent") == 0
    data = json.loads((out / "audit.json").read_text())  # published: 1 patient-month hidden
    assert data["patient_months"] is None and "patient_months" in data["suppressed"]


@pytest.mark.parametrize("argv", [["--month", "2026-13"], ["--month", "Sept"]])
def test_a_bad_month_exits_2(exports, tmp_path, capsys, argv):
    code = _audit(exports["time"], tmp_path, *argv)
    assert code == 2 and "YYYY-MM" in capsys.readouterr().err


def test_plan_month_one_is_the_month_after_as_of():
    assert calendar_months(dt.date(2026, 11, 20), 3) == ["2026-12", "2027-01", "2027-02"]
    assert calendar_months(dt.date(2026, 12, 31), 1) == ["2027-01"]


MONTHLY_COLUMNS = [
    "model", "month", "calendar_month", "enrolled", "billed_patient_months", "revenue", "costs",
    "net", "allowed",
]  # fmt: skip
"""monthly.csv as docs/audit.md gives it (written out here, not taken from the code)."""


def test_plan_comparison_by_hand(tmp_path):
    rows = [
        ("in_house", 1, "2026-09", 100, 70, 5000, 9000, -4000, 6000),
        ("managed", 1, "2026-09", 50, 35, 2500, 2000, 500, 3000),
    ]
    pd.DataFrame(rows, columns=MONTHLY_COLUMNS).to_csv(tmp_path / "monthly.csv", index=False)
    (tmp_path / "summary.json").write_text('{"recommendation": "in_house"}')
    plan = read_monthly_plan(tmp_path)
    measures = pd.DataFrame(
        {
            "enrolled": [80.0],
            "billable_month_rate": [0.6],
            "billed": [4500.0],
            "supported": [4000.0],
            "supported_claim_months": [40],
        },
        index=pd.Index(["2026-09"], name="month"),
    )
    table = plan_comparison(plan, measures, "2026-09").loc["2026-09"]
    assert table["enrolled_planned"] == 100 and table["billable_rate_planned"] == 0.7
    assert not table["in_ramp"]  # a one-month plan is at its steady state: annualised
    assert table["revenue_planned"] == 6000  # the allowed amount, as the audit's dollars
    assert table["revenue_gap_per_year"] == (4500 - 6000) * 12
    # 10 points more of 80 enrolled, at $4,000 / 40 supported claims a month, for a year
    assert table["rate_gap_per_year"] == pytest.approx((0.7 - 0.6) * 80 * 100 * 12)


def test_plan_without_monthly_csv_is_explained(tmp_path, exports, capsys):
    code = _audit(exports["time"], tmp_path / "out", "--plan", tmp_path)
    assert code == 2 and "monthly.csv" in capsys.readouterr().err


def test_the_committed_sample_program_is_what_sample_writes_and_has_every_problem(tmp_path):
    from pathlib import Path

    from ccm_assess.edge.sample_audit import SAMPLE_MONTHS, write_audit_sample

    committed = Path(__file__).resolve().parents[2] / "sample_data" / "audit"
    for path in write_audit_sample(tmp_path):
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name
    led = audit(
        AuditOptions(
            time_log=committed / "time_log.xlsx",
            claims=committed / "claims.csv",
            register=committed / "register.xlsx",
        )
    ).ledger
    assert led["months"] == list(SAMPLE_MONTHS)
    assert all(count > 0 for count in led["findings"].values()), led["findings"]
    assert led["rates"]["note"].startswith("no bundled fee schedule for 2027")


def test_a_bare_map_applies_where_the_header_is(exports, tmp_path, capsys):
    text = exports["time"].read_text().replace("Chart #", "Person")
    exports["time"].write_text(text)
    options = AuditOptions(
        time_log=exports["time"], claims=exports["claims"], mapping={"patient_id": "Person"}
    )
    result = audit(options)
    assert result.inputs["time_log"].mapping["patient_id"] == "Person"
    assert result.inputs["claims"].mapping["patient_id"] == "MRN"
    exports["time"].write_text(TIME_CSV)
    code = _audit(exports["time"], tmp_path, "--map", "staff=Nowhere")
    assert code == 2 and "no export has a column 'Nowhere'" in capsys.readouterr().err


def test_unknown_formats_exit_2(exports, tmp_path, capsys):
    out = tmp_path / "out"
    code = _audit(exports["time"], out, "--formats", "xlsx")
    assert code == 2 and "--formats" in capsys.readouterr().err
    assert not out.exists()


def test_the_report_never_calls_unassessed_checks_clean(exports):
    from ccm_assess.audit.report import build_html

    page = build_html(audit(AuditOptions(time_log=exports["time"])))
    body = page[page.index("<body") :]
    assert "Not assessed (not the same as clean)" in body
    assert "No finding" not in body and "passed" not in body
    page = build_html(
        audit(
            AuditOptions(
                time_log=exports["time"], claims=exports["claims"], register=exports["register"]
            )
        )
    )
    body = re.sub(r"<script.*?</script>", "", page[page.index("<body") :], flags=re.S)
    assert "Not assessed" not in body
    assert "The three actions that matter most" not in body  # two kinds of finding here
    assert "What to act on" in body and "A1" not in body and "B2" not in body


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("missing.csv", None, "claims export file not found"),
        ("empty.csv", "", "is empty"),
        ("claims.pdf", "%PDF-1.4", "unsupported file type"),
    ],
)
def test_an_unusable_claims_file_exits_2_naming_it(exports, tmp_path, capsys, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code = _audit(exports["time"], tmp_path / "out", "--claims", path)
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err and "panel" not in err


def test_a_month_asked_for_without_rows_reads_zero(exports):
    result = audit(
        AuditOptions(
            time_log=exports["time"],
            claims=exports["claims"],
            register=exports["register"],
            months=("2026-09", "2026-10"),
        )
    )
    october = result.ledger["measures"]["2026-10"]
    assert october["patients_with_time"] == 0 and october["billed_patient_months"] == 0
    assert october["enrolled"] == 2  # both consented in August, neither disenrolled
    assert result.ledger["by_month"]["2026-10"]["patient_months"] == 0


def _run_folder(folder, recommendation: str = "managed") -> None:
    """A run's monthly.csv and summary.json: in-house enrols from its month 3 (two set-up
    months) and ramps to 100 by month 8; managed enrols from month 1. Allowed $50 a patient."""
    ramp = [0, 0, 10, 20, 40, 60, 80, 95] + [100] * 22
    rows = [
        (model, m, calendar, enrolled, enrolled * 0.8, enrolled * 45, 900, 0, enrolled * 50)
        for model, curve in (("in_house", ramp), ("managed", ramp[2:] + [100, 100]))
        for m, (calendar, enrolled) in enumerate(
            zip(calendar_months(dt.date(2026, 5, 15), 30), curve, strict=True), start=1
        )
    ]
    pd.DataFrame(rows, columns=MONTHLY_COLUMNS).to_csv(folder / "monthly.csv", index=False)
    (folder / "summary.json").write_text(json.dumps({"recommendation": recommendation}))


def test_audit_model_in_house_aligns_plan_month_one_to_go_live(exports, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    _run_folder(run)  # recommends managed; the in-house plan is asked for
    out = tmp_path / "out"
    options = ["--claims", exports["claims"], "--register", exports["register"], "--plan", run,
               "--month", "2026-08", "--month", "2026-09", "--formats", "html"]  # fmt: skip
    assert _audit(exports["time"], out, *options, "--model", "in_house") == 0
    streams = capsys.readouterr()
    # files on stdout, one path a line; progress on stderr, without the paths
    assert sorted(streams.out.split()) == sorted(
        str(out.resolve() / name)
        for name in ("audit.html", "audit.json", "audit_workbook.xlsx", "exceptions.xlsx")
    )
    assert "Reading" in streams.err and "audit.json" not in streams.err
    led = json.loads((out / "audit.json").read_text())
    basis = led["plan_basis"]
    # the program went live in Sep 2026 (its first month with time or a claim); the in-house
    # plan's first month with patients enrolled is its month 3 (Aug 2026 in the plan's own
    # calendar, which starts in June), after two set-up months: the program's Sep meets plan
    # month 3; Aug, the month before go-live, meets the plan's last set-up month
    assert (basis["model"], basis["chosen_by"]) == ("in_house", "chosen with --model")
    assert (basis["program_go_live"], basis["plan_go_live_month"]) == ("2026-09", 3)
    aug, sep = led["plan"]["2026-08"], led["plan"]["2026-09"]
    assert (aug["program_month"], aug["plan_month"], aug["enrolled_planned"]) == (0, 2, 0)
    assert (sep["program_month"], sep["plan_month"], sep["enrolled_planned"]) == (1, 3, 10)
    # 2 billed patient-months: audit.json (published) withholds the dollars that would give
    # them away (issue 24); the exact figures are the in-memory ledger's
    assert sep["revenue_actual_to_date"] is None
    assert "plan.2026-09.revenue_actual_to_date" in led["suppressed"]
    exact = audit(
        AuditOptions(
            time_log=exports["time"], claims=exports["claims"], register=exports["register"],
            months=("2026-08", "2026-09"), plan=run, model="in_house",
        )
    ).ledger  # fmt: skip
    aug, sep = exact["plan"]["2026-08"], exact["plan"]["2026-09"]
    # billed in Sep: 2 x 99490 (one denied, still billed) + 2 x 99439, national 2026 rates
    billed = 2 * 66.13 + 2 * 50.44
    assert (aug["revenue_actual"], aug["revenue_planned"]) == (0, 0)
    assert sep["revenue_actual_to_date"] == pytest.approx(billed)
    assert sep["revenue_planned_to_date"] == 0 + 500
    assert sep["revenue_gap_to_date"] == pytest.approx(billed - 500)
    # enrolment still ramping (10 of a steady 100): no month is multiplied by 12
    assert sep["in_ramp"] and sep["revenue_gap_per_year"] is None
    assert sep["rate_gap_per_year"] is None
    html = (out / "audit.html").read_text()
    assert "Against the In-house plan" in html and "not annualised" in html
    assert 'content: "Against the In-house plan"' in html  # every printed page's footer
    book = load_workbook(out / "audit_workbook.xlsx")
    assert all("against the In-house plan" in book[name]["A1"].value for name in book.sheetnames)


def test_audit_plan_default_is_the_recommendation_and_none_says_so(exports, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    _run_folder(run)
    out = tmp_path / "out"
    options = ["--register", exports["register"], "--plan", run, "--formats", "html", "-q"]
    assert _audit(exports["time"], out, *options) == 0
    assert capsys.readouterr().err == ""  # -q: nothing but what must be acted on
    led = json.loads((out / "audit.json").read_text())
    assert led["plan_basis"]["model"] == "managed"  # enrols from its month 1, Jun 2026
    assert led["plan"]["2026-09"]["plan_month"] == 1  # Sep: the program's month 1
    _run_folder(run, recommendation="none")
    assert _audit(exports["time"], out, *options, "--go-live", "2026-08") == 0
    assert json.loads((out / "audit.json").read_text())["plan"]["2026-09"]["plan_month"] == 4
    basis = json.loads((out / "audit.json").read_text())["plan_basis"]
    assert basis["model"] == "in_house"
    assert basis["chosen_by"].startswith("the assessment recommended no delivery model")
    assert "recommended no delivery model" in (out / "audit.html").read_text()
