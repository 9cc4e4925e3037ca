"""Workbook sheets a consultant hands over: Launch plan, By provider, Vendor questions (the
due-diligence checklist, with empty columns for the vendor's answers) and Other programs."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ccm_assess.outputs.workbook.cells import (
    COUNT,
    DATE,
    NAME_LIMIT,
    UNKNOWN,
    USD,
    USD_CENTS,
    finish_sheet,
    panel_text,
    put_heading,
    put_pairs,
    put_table,
    wrap_cell,
)
from ccm_assess.practice.assessment import Assessment
from ccm_assess.practice.other_programs import programs_for
from ccm_assess.practice.providers import LABELS, provider_view
from ccm_assess.privacy import SUPPRESSED, WITHHELD
from ccm_assess.readiness.vendor import CHECKLIST, FINDINGS, RISKS


def _launch_plan(ws: Worksheet, assessment: Assessment) -> None:
    plan = assessment.plan
    frame = pd.DataFrame(
        {
            "Starts": plan["start_date"],
            "Ends": plan["end_date"],
            "Start week": plan["start_week"],
            "End week": plan["end_week"],
            "Action": plan["action"],
            "Owner": plan["owner"],
            "Owner name": plan["owner_name"],
            "Kind": plan["kind"],
            "CMS requirement": ["yes" if c else "" for c in plan["cms_required"]],
            "Shares patient data": ["yes" if c else "" for c in plan["shares_phi"]],
            "Model month": plan["model_month"].astype(object).where(plan["model_month"].notna()),
            "Why": plan["why"],
            "Done": "",
        }
    )
    row = put_heading(
        ws, 4, "Steps and milestones by start date; week 1 starts on the decision date"
    )
    put_table(ws, row, frame, {"Starts": DATE, "Ends": DATE})
    finish_sheet(ws, "A6", {"A": 11, "B": 11, "E": 70, "G": 18, "L": 50})


def _by_provider(ws: Worksheet, assessment: Assessment) -> None:
    shown = provider_view(assessment).shown()
    shown["provider"] = panel_text(shown["provider"], NAME_LIMIT)
    frame = shown.rename(columns=dict(LABELS)).astype(object)
    frame = frame.where(frame.notna(), UNKNOWN)
    formats = {
        LABELS["billable"]: COUNT,
        LABELS["needs_initiating_visit"]: COUNT,
        LABELS["expected_enrolled"]: COUNT,
        LABELS["revenue_year"]: USD,
    }
    row = put_heading(ws, 4, "Per billing provider, recommended model, final year")
    row = put_table(ws, row, frame, formats)
    put_pairs(
        ws,
        row,
        [
            ("Billable", "CCM-eligible with Medicare that pays for CCM", None),
            ("Shares", "Enrolment and revenue shared by each provider's billable patients", None),
            (SUPPRESSED, "1 to 10 patients", None),
            (WITHHELD, "Hidden so that a group of 1 to 10 cannot be worked out", None),
        ],
    )
    finish_sheet(ws, "A6")


def _vendor_questions(ws: Worksheet, assessment: Assessment) -> None:
    row = put_heading(ws, 4, "What stays with the practice when a vendor runs CCM")
    for risk in RISKS:
        wrap_cell(ws.cell(row=row, column=1, value=risk), 110)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        row += 1
    row = put_heading(ws, row + 1, "What reviews of CCM claims found")
    for finding in FINDINGS:
        text = f"{finding.who}: {finding.what} Source: {finding.source}."
        wrap_cell(ws.cell(row=row, column=1, value=text), 110)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        row += 1
    row = put_heading(ws, row + 1, "Due-diligence questions (send to the vendor)")
    frame = pd.DataFrame(
        {
            "Topic": [q.topic for q in CHECKLIST],
            "Question": [q.question for q in CHECKLIST],
            "A good answer": [q.good_answer for q in CHECKLIST],
            "Vendor's answer": "",
            "Meets it?": "",
        }
    )
    first = row + 1
    put_table(ws, row, frame)
    rule = DataValidation(type="list", formula1='"Yes,Partly,No"', allow_blank=True)
    rule.add(f"E{first}:E{first + len(frame) - 1}")
    ws.add_data_validation(rule)
    finish_sheet(ws, "A4", {"A": 26, "B": 60, "C": 48, "D": 48, "E": 12})


def _other_programs(ws: Worksheet, assessment: Assessment) -> None:
    rows = []
    for p in programs_for(assessment):
        hidden = p.count is None or p.hidden
        rows.append(
            {
                "Program": p.program,
                "Codes": p.codes,
                "Who": p.who,
                "Patients or stays": UNKNOWN
                if p.count is None
                else SUPPRESSED
                if p.hidden
                else p.count,
                "Rate": p.rate,
                "A year (allowed)": UNKNOWN if hidden else p.per_year,
                "How sized": p.basis,
            }
        )
    row = put_heading(ws, 4, "Programs beside CCM, sized from the panel")
    put_table(ws, row, pd.DataFrame(rows), {"Rate": USD_CENTS, "A year (allowed)": USD})
    finish_sheet(ws, "A6", {"C": 40, "G": 60})


WRITERS: dict[str, Callable[[Worksheet, Assessment], None]] = {
    "Launch plan": _launch_plan,
    "By provider": _by_provider,
    "Vendor questions": _vendor_questions,
    "Other programs": _other_programs,
}
"""Sheet name -> writer, for `workbook.build_workbook`."""
