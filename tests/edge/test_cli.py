"""The command line: errors become one plain line and an exit status, never a traceback."""

from __future__ import annotations

import pytest

from ccm_assess.edge import cli
from ccm_assess.practice.request import AssessmentRequest


def test_a_deliberate_error_exits_2_with_one_line(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ccm-assess: ") and "not found" in err and "Traceback" not in err


def test_a_bad_map_option_is_explained(tmp_path, capsys):
    panel = tmp_path / "p.csv"
    panel.write_text("MRN,Dx\n1,E11.9\n", encoding="utf-8")
    assert cli.main(["check", str(panel), "--map", "patient_id"]) == 2
    assert "role=Header" in capsys.readouterr().err


def test_an_unexpected_error_is_one_line_and_a_log(monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli.COMMANDS, "rates", broken)
    assert cli.main(["rates"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and "Traceback" not in err
    log = err.rsplit(" ", 1)[1].strip()
    assert "ZeroDivisionError" in open(log, encoding="utf-8").read()


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"]])
def test_help_documents_the_commands(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    assert "--" in capsys.readouterr().out


def test_version(capsys):
    from ccm_assess import __version__

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ccm-assess {__version__}"


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_help_ends_with_examples(command, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert "-q, --quiet" in out and "-v, --verbose" in out
    examples = out.split("examples:\n", 1)[1]
    assert f"ccm-assess {command}" in examples


def test_questionnaire_writes_the_blank_forms_and_lists_them(tmp_path, capsys):
    from openpyxl import load_workbook

    from ccm_assess.readiness.questionnaire import answer_template_text

    assert cli.main(["questionnaire", str(tmp_path / "q")]) == 0
    written = capsys.readouterr().out.split()
    assert written == [
        str(tmp_path / "q" / "questionnaire.yaml"),
        str(tmp_path / "q" / "questionnaire.xlsx"),
    ]
    assert (tmp_path / "q" / "questionnaire.yaml").read_text(
        encoding="utf-8"
    ) == answer_template_text()
    assert load_workbook(tmp_path / "q" / "questionnaire.xlsx").active["A1"].value == (
        "CCM readiness questionnaire"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--locality", "Atlantis 7"], "locality"),
        (["--year", "2031"], "2031"),
        (["--browser", "/no/such/chromium"], "--browser names /no/such/chromium"),
        (["--formats", "html,docx"], "--formats"),
        (["--assumptions", "/no/such/assumptions.yaml"], "assumptions.yaml"),
    ],
)
def test_run_options_are_checked_before_the_panel_is_read(tmp_path, capsys, option, message):
    # the panel does not exist either: the option's message comes first, so nothing was read
    argv = ["run", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "o"), *option]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "missing.xlsx" not in err
    assert not (tmp_path / "o").exists()


def test_quiet_and_verbose_progress(capsys):
    cli._reporter(cli.build_parser().parse_args(["rates", "-q"]))("Reading ...")
    assert capsys.readouterr().err == ""
    cli._reporter(cli.build_parser().parse_args(["-v", "rates"]))("Reading ...")
    err = capsys.readouterr().err
    assert err.startswith("[") and err.endswith(" s] Reading ...\n")
    cli._reporter(cli.build_parser().parse_args(["rates"]))("Reading ...")
    assert capsys.readouterr().err == "Reading ...\n"


def test_open_shows_the_html_report_else_the_pdf(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    cli._open_report(
        {"summary.json": tmp_path / "summary.json", "report.html": html, "report.pdf": pdf}
    )
    cli._open_report({"report.pdf": pdf})
    assert opened == [html.as_uri(), pdf.as_uri()]


def test_batch_hands_questionnaire_assumptions_and_year_to_each_run(tmp_path, monkeypatch):
    from ccm_assess.edge import batch

    seen = []
    monkeypatch.setattr(batch, "run_assessment", lambda options: seen.append(options) or 1 / 0)
    options = batch.BatchOptions(
        input=tmp_path,
        out=tmp_path / "o",
        questionnaire=tmp_path / "default.yaml",
        assumptions=tmp_path / "a.yaml",
        request=AssessmentRequest(year=2025, conditions="strict", years=5),
    )
    own = batch.PracticeJob(
        practice="A",
        panel=tmp_path / "a.csv",
        out=tmp_path / "o" / "a",
        questionnaire=tmp_path / "own.yaml",
    )
    other = batch.PracticeJob(practice="B", panel=tmp_path / "b.csv", out=tmp_path / "o" / "b")
    for job in (own, other):
        assert batch.assess_practice(job, options).status == "failed"
    assert [o.questionnaire.name for o in seen] == ["own.yaml", "default.yaml"]
    assert {(o.assumptions, o.request.year) for o in seen} == {(tmp_path / "a.yaml", 2025)}
    assert [o.request.practice for o in seen] == ["A", "B"]
    assert {(o.request.conditions, o.request.years) for o in seen} == {("strict", 5)}


def test_run_start_is_the_launch_plans_decision_date(capsys):
    import datetime as dt

    from ccm_assess.edge.parser import build_parser

    args = build_parser().parse_args(["run", "p.csv", "--out", "o", "--start", "2026-12-01"])
    assert args.start == dt.date(2026, 12, 1)
    assert build_parser().parse_args(["run", "p.csv", "--out", "o"]).start is None  # today
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["run", "p.csv", "--out", "o", "--start", "1/12/2026"])
    assert stop.value.code == 2 and "--start must be a date like" in capsys.readouterr().err
