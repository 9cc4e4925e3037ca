"""The command line: errors become one plain line and an exit status, never a traceback."""

from __future__ import annotations

import pytest

from ccm_assess import cli


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
