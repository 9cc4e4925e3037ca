"""Report sections a consultant hands over: the launch plan, the view by provider, the risks of
a managed program with the vendor questions, other programs (BHI, TCM, APCM) and the starter
kit. HTML snippets built from html/blocks.py and formatting.py; aggregates only (privacy rules as in
tables.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ccm_assess.formatting import money, plan_when
from ccm_assess.outputs.html.blocks import callout, html_table, paragraphs
from ccm_assess.outputs.starter_kit import KIT
from ccm_assess.outputs.worklist import NO_PHONE_WARNING
from ccm_assess.practice.other_programs import OtherProgram
from ccm_assess.practice.providers import LABELS, ProviderView
from ccm_assess.privacy import SUPPRESSED, WITHHELD
from ccm_assess.readiness.plan import PLAN_DAYS_WEEKS, go_live_delay_weeks
from ccm_assess.readiness.vendor import CHECKLIST, FINDINGS, RISKS


def long_table(table: str) -> str:
    """A table allowed to run on over printed pages (class ``long-table`` in report.css)."""
    return f'<div class="long-table">{table}</div>'


def _plan_frame(plan: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "When": [
                plan_when(a, b, weeks)
                for a, b, weeks in plan[["start_date", "end_date", "weeks"]].to_numpy()
            ],
            "Action": [
                ("Milestone. " if kind == "milestone" else "") + action
                for kind, action in plan[["kind", "action"]].to_numpy()
            ],
            "Who": plan["owner"].to_numpy(),
            "Name": plan["owner_name"].to_numpy(),
            "CMS requirement": ["yes" if c else "" for c in plan["cms_required"]],
        }
    )


def plan_html(plan: pd.DataFrame) -> str:
    """The first 90 days (weeks 1-13) and the rest of the first year, as two tables, with
    the rules the order follows and how go-live compares with the financial model."""
    first = plan["start_week"] <= PLAN_DAYS_WEEKS
    columns = ("When", "Action", "Who", "Name", "CMS requirement")
    out = "<h4>The first 90 days</h4>" + long_table(
        html_table(_plan_frame(plan[first])[list(columns)], text_columns=columns)
    )
    if (~first).any():
        out += "<h4>The rest of the first year</h4>" + long_table(
            html_table(_plan_frame(plan[~first])[list(columns)], text_columns=columns)
        )
    notes = [
        "Dates count from the decision date (week 1 starts on it); write the person who owns "
        "each step under Name. Rows are in order of their start date.",
        "The order respects what depends on what: no patient information leaves the practice "
        "before the business associate agreement is signed; nobody is enrolled before the "
        "consent script, the consent record and supervision are in place; no month is billed "
        "before the care plan template and the time log exist.",
    ]
    delay = go_live_delay_weeks(plan)
    if delay:
        notes.append(
            f"The financial model starts enrolling in its first month; with this set-up, "
            f"go-live comes about {delay} weeks later, so each milestone's model month is "
            f"reached about {delay} weeks after the model's calendar."
        )
    return out + paragraphs(*notes)


def _shown(value: float | str | None, fmt: str) -> str:
    if value is None:
        return "not known"
    if isinstance(value, str):
        return value
    return money(float(value)) if fmt == "money" else f"{float(value):,.0f}"


def providers_html(view: ProviderView) -> str:
    """Billable patients, initiating visits needed, expected enrolment and revenue per
    billing provider (groups of 1-10 shown as "<11")."""
    if view.rows.empty:
        return paragraphs("No provider has patients with Medicare that pays for CCM.")
    shown = view.shown()
    frame = pd.DataFrame(
        {
            LABELS["provider"]: shown["provider"],
            **{
                LABELS[c]: [_shown(v, "count") for v in shown[c]]
                for c in ("billable", "needs_initiating_visit", "expected_enrolled")
            },
            LABELS["revenue_year"]: [_shown(v, "money") for v in shown["revenue_year"]],
        }
    )
    note = (
        "Billable: eligible for CCM with Medicare that pays for it. Expected enrolment and "
        "revenue are the recommended model's year-3 figures, shared by each provider's "
        f"billable patients. {SUPPRESSED}: a group of 1 to 10 patients; {WITHHELD}: hidden so "
        "that a group of 1 to 10 cannot be worked out from it."
    )
    return html_table(frame, text_columns=(LABELS["provider"],)) + paragraphs(note)


def worklist_warning_html(panel_has_phone: bool) -> str:
    """A caution when the worklist has no phone numbers (empty otherwise)."""
    return "" if panel_has_phone else callout("Worklist", [NO_PHONE_WARNING], caution=True)


def managed_risks_html(choice: str) -> str:
    """What a practice keeps when a vendor runs CCM, the published review findings, and the
    questions to ask before signing."""
    lead = (
        "We recommend a managed program; these are the risks your practice keeps."
        if choice == "managed"
        else "If you consider a vendor (managed or hybrid), these are the risks your practice "
        "keeps."
    )
    findings = [f"{f.who}: {f.what} (Source: {f.source}.)" for f in FINDINGS]
    out = callout("What stays with the practice", [lead], bullets=RISKS, caution=True)
    out += callout("What reviews of CCM claims keep finding", bullets=findings)
    checklist = pd.DataFrame(
        {
            "Topic": [q.topic for q in CHECKLIST],
            "Ask the vendor": [q.question for q in CHECKLIST],
            "A good answer": [q.good_answer for q in CHECKLIST],
        }
    )
    return (
        out
        + "<h4>Questions to ask a vendor before signing</h4>"
        + long_table(html_table(checklist, text_columns=tuple(checklist.columns)))
        + paragraphs("The same list is in the workbook (sheet Vendor questions) to send.")
    )


def other_programs_html(programs: Sequence[OtherProgram]) -> str:
    """BHI and TCM sized from the panel, with rates; small counts hidden with their money."""
    rows = []
    for p in programs:
        count = "not known" if p.count is None else SUPPRESSED if p.hidden else f"{p.count:,}"
        hidden = p.count is None or p.hidden
        rows.append(
            {
                "Program": f"{p.program}, {p.codes}",
                "From your panel": f"{p.who}: {count}",
                "Rate": f"${p.rate:,.2f}",
                "A year (Medicare allowed)": "–" if hidden else money(p.per_year),
                "How we sized it": p.basis,
            }
        )
    frame = pd.DataFrame(rows)
    return html_table(frame, text_columns=("Program", "From your panel", "How we sized it"))


def starter_kit_html(practice: str) -> str:
    """The starter-kit files `ccm-assess templates` writes, and the requirement each meets."""
    frame = pd.DataFrame(
        {
            "Document": [k.purpose for k in KIT if k.name != "README.md"],
            "CMS requirement it helps meet": [k.requirement for k in KIT if k.name != "README.md"],
        }
    )
    return html_table(frame, text_columns=tuple(frame.columns)) + paragraphs(
        f"Your consultant can give you these documents, filled in for {practice}, to adapt "
        "with your compliance adviser."
    )
