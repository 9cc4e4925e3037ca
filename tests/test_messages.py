"""Messages quote no cell content (issue 24): columns by header and row number only, and a
library's own error text (which may print a cell or a line of the file) is never passed on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccm_assess.audit.inputs import AuditInputError
from ccm_assess.audit.run import AuditOptions, audit
from ccm_assess.errors import AssumptionsError, CcmAssessError, PanelError
from ccm_assess.finance.assumptions import load_assumptions
from ccm_assess.intake.panel import read_panel

SURNAME = "Zqxworth"


def test_a_time_log_without_headers_is_refused_without_its_cells(tmp_path: Path) -> None:
    path = tmp_path / "time.csv"
    path.write_text(f"{SURNAME} Ann,2026-09-03,25,RN\n{SURNAME} Bo,2026-09-04,20,RN\n")
    with pytest.raises(AuditInputError) as error:
        audit(AuditOptions(time_log=path))
    assert SURNAME not in str(error.value) and "no headers found" in str(error.value)
    path.write_text(f"P1,2026-09-03,{SURNAME} Ann\nP2,2026-09-04,{SURNAME} Bo\n")
    with pytest.raises(AuditInputError) as error:  # a data row taken as the header
        audit(AuditOptions(time_log=path, mapping={"time_log.staff": "Staff"}))
    assert SURNAME not in str(error.value)


def test_a_yaml_error_names_the_line_not_its_text(tmp_path: Path) -> None:
    path = tmp_path / "assumptions.yaml"
    path.write_text(f"consent_rate: *{SURNAME}\n")
    with pytest.raises(AssumptionsError) as error:
        load_assumptions(path)
    assert SURNAME not in str(error.value) and "line 1" in str(error.value)


def test_an_unreadable_workbook_says_which_reader_failed_not_what_it_read(tmp_path: Path) -> None:
    path = tmp_path / "panel.xlsx"
    path.write_bytes(b"PK\x03\x04" + f"{SURNAME},E11.9\n".encode() * 40)
    with pytest.raises(PanelError) as error:
        read_panel(path)
    assert SURNAME not in str(error.value)


def test_batch_repeats_only_the_clean_message(tmp_path: Path) -> None:
    """A practice's failure is reported as its CcmAssessError text: clean by the above."""
    from ccm_assess.edge.batch import BatchOptions, PracticeJob, assess_practice

    panel = tmp_path / "panel.csv"
    panel.write_text(f"{SURNAME} Ann,1950-01-02,E11.9\n{SURNAME} Bo,1951-02-03,I10\n")
    job = PracticeJob(practice="P", panel=panel, out=tmp_path / "out")
    outcome = assess_practice(job, BatchOptions(input=panel, out=tmp_path / "all"))
    assert outcome.status == "failed" and outcome.message
    assert SURNAME not in outcome.message
    assert issubclass(AuditInputError, CcmAssessError)
