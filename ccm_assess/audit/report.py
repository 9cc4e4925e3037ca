"""audit.html and audit.pdf: the month's findings, leakage and risk, trends, staff and
practitioners, and the three actions (no PHI; patient counts from 1 to 10 show as "<11").

One self-contained page built from the report's own HTML blocks (`outputs.html.blocks`), text
formats (`formatting`) and style sheet (templates/report/static/report.css), plotly.js inlined
once for the charts, printed to A4 by the report's Chromium printing (`export.print_pdf`).

Longer than 400 lines because the page is one document whose sections (at a glance, findings,
trends, staff, against the plan, method) share its month labels, figures and footer; split, each
part would import the others' helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from ccm_assess.audit.findings import TITLES
from ccm_assess.audit.rules import FINDINGS
from ccm_assess.audit.workbooks import (
    findings_table,
    minutes_table,
    practitioner_table,
    rows_table,
    staff_table,
)
from ccm_assess.errors import ReportError
from ccm_assess.formatting import DASH, money, percent
from ccm_assess.outputs import charts, export
from ccm_assess.outputs.html.blocks import Kpi, callout, esc, html_table, kpi_grid, paragraphs
from ccm_assess.privacy import format_count
from ccm_assess.reference import bundled_dir

if TYPE_CHECKING:
    from ccm_assess.audit.summary import Audit

CSS = bundled_dir("templates") / export.TEMPLATE_NAME / "static" / "report.css"


def _text(value: Any, number: Callable[[Any], str]) -> str:
    """A published value as text: a marker ("<11", withheld) as it is, a number by `number`."""
    return value if isinstance(value, str) else number(value)


def _figure_html(fig: go.Figure) -> str:
    markup: str = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        config={"displayModeBar": False, "staticPlot": True},
    )
    return markup


def dollars_figure(result: Audit) -> go.Figure:
    """Billed, supported, missed and at risk per month (USD; withheld figures not drawn)."""
    m = result.published_measures()
    last = result.months[-1]
    risk, label = m.loc[last, "at_risk"], month_label(last)
    supported = m.loc[last, "supported"]
    title = (
        f"{money(risk)} of {label} billing is at risk"
        if pd.notna(risk)
        else f"{money(supported)} supported by the time in {label}"
        if pd.notna(supported)
        else f"Allowed amounts per month to {label}"
    )
    fig = charts.base_figure(title, "Medicare allowed amounts per month")
    colours = {
        "billed": charts.ACCENT,
        "supported": charts.MODEL_COLOURS["hybrid"],
        "missed": charts.MODEL_COLOURS["managed"],
        "at_risk": charts.CAUTION,
    }
    labels = [month_label(x) for x in m.index]
    for column, colour in colours.items():
        if m[column].notna().any():
            fig.add_bar(x=labels, y=m[column], name=column.replace("_", " "), marker_color=colour)
    fig.update_layout(barmode="group", xaxis_type="category")
    return charts.currency_axis(fig)


def rate_figure(result: Audit) -> go.Figure | None:
    """Billable-month rate per month, against the plan when there is one."""
    m = result.published_measures()
    if m["billable_month_rate"].notna().sum() == 0:
        return None
    last = m["billable_month_rate"].dropna().iloc[-1]
    fig = charts.base_figure(
        f"{percent(last)} of enrolled patients had a supported claim",
        "Billable-month rate: patient-months with a supported claim / enrolled",
    )
    fig.add_scatter(
        x=[month_label(x) for x in m.index],
        y=m["billable_month_rate"],
        name="actual",
        mode="lines+markers",
        line_color=charts.ACCENT,
    )
    if result.plan is not None:
        fig.add_scatter(
            x=[month_label(x) for x in result.plan.index],
            y=result.plan["billable_rate_planned"],
            name=f"{result.plan_label.removeprefix('the ')} (median)",
            mode="lines+markers",
            line={"color": charts.NEUTRAL["muted"], "dash": "dash"},
        )
    fig.update_layout(xaxis_type="category", yaxis_range=[0, 1])
    return charts.percent_axis(fig)


def _kpis(result: Audit) -> str:
    d = result.ledger["dollars"]

    def card(key: str, label: str, note: str, missing: str) -> Kpi:
        value = result.shown(f"dollars.{key}")
        if value is None:
            return Kpi(DASH, label, f"not assessed: {missing}")
        return Kpi(_text(value, money), label, note)

    no_claims, no_register = "no claims export", "no register"
    supported_note = (
        "where billing is allowed"
        if result.assessed.register
        else "by the time alone; consent and care plan not checked"
    )
    kpis = [
        card("billed", "Billed", "all CCM and PCM lines", no_claims),
        card("supported", "Supported by the time", supported_note, ""),
        card(
            "missed",
            "Missed",
            "still billable within 12 months",
            no_claims if not result.assessed.claims else no_register,
        ),
        card("at_risk", "At risk", "lines an auditor could take back", no_claims),
    ]
    risk = d.get("would_be_at_risk_if_billed")
    if risk is not None:
        kpis.append(
            Kpi(
                _text(result.shown("dollars.would_be_at_risk_if_billed"), money),
                "Would be at risk if billed",
                "supported time in months without consent or care plan",
            )
        )
    return kpi_grid(kpis, columns=len(kpis))


def _actions(result: Audit) -> str:
    if result.actions:
        items = [result.action_text(a, money) for a in result.actions]
        title = "The three actions that matter most" if len(items) == 3 else "What to act on"
        return callout(title, bullets=items)
    if len(result.ledger["not_assessed"]) == len(FINDINGS):
        return ""
    return callout(
        "No finding among the checks that could be made",
        [
            "Every audited patient-month passed them; see below for what was not assessed."
            if result.ledger["not_assessed"]
            else "Every audited patient-month passed."
        ],
    )


def _not_assessed(result: Audit) -> str:
    missing = result.ledger["not_assessed"]
    if not missing:
        return ""
    why = []
    if not result.assessed.claims:
        why.append(
            "no claims export was given: the page shows what the logged time supports "
            "and what would be at risk if it were billed"
        )
    if not result.assessed.register:
        why.append(
            "no register was given: consent, care plan, disenrolment and initiating "
            "visits were not checked"
        )
    if result.assessed.register and not result.assessed.initiating_visit:
        why.append("the register has no initiating-visit column")
    return callout(
        "Not assessed (not the same as clean)",
        [f"{', '.join(TITLES[k] for k in missing)}: not assessed because " + "; ".join(why) + "."],
        caution=True,
    )


def _plan_section(result: Audit) -> str:
    if result.plan is None or result.plan_basis is None:
        return ""
    p, basis = result.plan_table(), result.plan_basis
    assert p is not None
    numbers = p.mask(p.map(lambda v: isinstance(v, str)))  # withheld figures as NaN
    table = pd.DataFrame(
        {
            "Month": [month_label(x) for x in p.index],
            "Program month": p["program_month"].map(lambda v: f"{int(v)}" if v >= 1 else DASH),
            "Plan month": p["plan_month"].map(lambda v: "" if pd.isna(v) else f"{int(v)}"),
            "Enrolled": [
                f"{_text(a, format_count)} vs {b:,.0f}" if pd.notna(b) else DASH
                for a, b in zip(p["enrolled_actual"], p["enrolled_planned"], strict=True)
            ],
            "Billable-month rate": [
                f"{_text(a, percent)} vs {percent(b)}"
                for a, b in zip(p["billable_rate_actual"], p["billable_rate_planned"], strict=True)
            ],
            "Revenue (allowed)": [
                f"{_text(a, money)} vs {money(b)}"
                for a, b in zip(p["revenue_actual"], p["revenue_planned"], strict=True)
            ],
            "Revenue to date": [
                f"{_text(a, money)} vs {money(b)}"
                for a, b in zip(
                    p["revenue_actual_to_date"], p["revenue_planned_to_date"], strict=True
                )
            ],
            "Gap over a year": [
                "ramp: not annualised" if ramp else _text(gap, money)
                for ramp, gap in zip(p["in_ramp"], p["revenue_gap_per_year"], strict=True)
            ],
        }
    )
    label = basis["model_label"]
    words = [
        f"Compared with the assessment's {label} plan ({basis['chosen_by']}). The plan's first "
        f"month with patients enrolled (its month {basis['plan_go_live_month']}, "
        f"{month_label(basis['plan_go_live_calendar_month'])}) is set on the program's go-live, "
        f"{month_label(basis['program_go_live'])} ({basis['go_live_from']}), so the plan's "
        "set-up months are never compared with a running program."
    ]
    to_date = numbers["revenue_gap_to_date"].dropna()
    last = numbers.iloc[-1]
    if not len(to_date):
        words.append("The audited months are outside the plan's months.")
    elif bool(last["in_ramp"]):
        gap = to_date.iloc[-1]
        words.append(
            f"Over the audited months, billing is {money(abs(gap))} "
            f"{'below' if gap < 0 else 'above'} the plan's median for the same months of its "
            "ramp-up. Enrolment is still growing, so no month is multiplied by 12."
        )
    elif pd.notna(last["revenue_gap_per_year"]):
        gap = last["revenue_gap_per_year"]
        words.append(
            f"Past the ramp-up, at the last audited month's pace, billing runs "
            f"{money(abs(gap))} a year {'below' if gap < 0 else 'above'} the plan's median."
        )
        if pd.notna(last["rate_gap_per_year"]) and last["rate_gap_per_year"] > 0:
            words.append(
                "If the share of enrolled patients with a supported claim each month reached "
                f"the plan's {percent(last['billable_rate_planned'])}, the same patients "
                f"would bring about {money(last['rate_gap_per_year'])} more a year."
            )
    return (
        f"<h2>Against {esc(result.plan_label)}</h2>"
        + paragraphs(
            "Actual figures against the assessment's monthly medians (actual vs planned). "
            "Revenue is the Medicare allowed amount.",
            *words,
        )
        + html_table(table, text_columns=["Month"])
    )


def _method(result: Audit) -> tuple[str, ...]:
    return (
        "Time thresholds (CMS): 99490 at 20 clinical-staff minutes, one 99439 per further full "
        "20 (at most two); 99487 at 60 with moderate or high complexity documented, 99489 per "
        "further 30; 99491 at 30 minutes of the practitioner's own time, 99437 per further 30; "
        "PCM 99426 / 99424 at 30, add-ons per further 30. Minutes before the consent date do "
        "not count; the month of disenrolment is still billable, the months after are not.",
        "Dollars are Medicare allowed amounts from the physician fee schedule ("
        f"{result.rates_label}), never the claims' paid column.",
    )


def _against(result: Audit) -> str:
    return f", against {result.plan_label}" if result.plan_label else ""


def month_label(month: str) -> str:
    """`2026-12` -> `Dec 2026`."""
    return f"{pd.Period(month, freq='M'):%b %Y}"


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """Month columns and a `Month` column shown as `Dec 2026`."""
    table = table.rename(columns={m: month_label(m) for m in table.columns if _is_month(m)})
    if "Month" in table:
        table = table.assign(Month=table["Month"].map(month_label))
    return table


def _is_month(text: object) -> bool:
    return isinstance(text, str) and len(text) == 7 and text[4] == "-" and text[:4].isdigit()


def _keep(*parts: str) -> str:
    """Parts printed together on one page (a heading with its table)."""
    return f'<div class="keep">{"".join(parts)}</div>'


def _cover(result: Audit) -> str:
    months = ", ".join(map(month_label, result.months))
    rates = f"{result.rates['locality']}, {', '.join(map(str, result.rates['years']))}"
    plan = (
        f"<div><dt>Compared with</dt><dd>{esc(result.plan_label)}</dd></div>"
        if result.plan_label
        else ""
    )
    return (
        '<div class="ccm-cover"><div class="ccm-cover-band"></div>'
        '<p class="ccm-cover-kicker">Monthly CCM program audit</p>'
        '<h1 class="ccm-cover-title">Is the program doing what was planned?</h1>'
        f'<p class="ccm-cover-practice">{esc(result.practice)}</p>'
        f'<dl class="ccm-cover-meta"><div><dt>Months</dt><dd>{esc(months)}</dd></div>'
        f"<div><dt>Medicare rates</dt><dd>{esc(rates)}</dd></div>{plan}</dl>"
        '<div class="ccm-cover-confidential"><p>Confidential. No patient-level data: patient '
        "counts from 1 to 10 show as &lt;11. The patient-level list is exceptions.xlsx (PHI, "
        "owner-only).</p><p>A review of the practice's own exports against CMS time rules; "
        "not billing or legal advice.</p></div></div>"
    )


def build_html(result: Audit) -> str:
    """The whole audit page as one self-contained HTML string."""
    led = result.ledger
    figures = [f for f in (dollars_figure(result), rate_figure(result)) if f is not None]
    staff = staff_table(result)
    staff["Share reaching 20 min"] = staff["Share reaching 20 min"].map(lambda v: _text(v, percent))
    staff["Minutes"] = staff["Minutes"].map(lambda v: _text(v, format_count))
    pract = practitioner_table(result)
    pract["Billed $"] = pract["Billed $"].map(lambda v: _text(v, money))
    pract["At risk $"] = pract["At risk $"].map(lambda v: _text(v, money))
    sections = [
        _cover(result),
        f"<h2>This period at a glance{esc(_against(result))}</h2>",
        _kpis(result),
        _actions(result),
        _not_assessed(result),
        paragraphs(
            f"{format_count(result.shown('patient_months'))} patient-months of "
            f"{led['patients']:,} patients had "
            "care-management time or a claim. A patient-month can have several findings; each "
            "is counted once."
        ),
        "<h2>Findings by month</h2>",
        paragraphs(
            "Patient-months with each finding. At risk: every billed line of a month without "
            "consent or care plan, with a conflict, or after disenrolment; otherwise the units "
            "billed beyond the logged time. Missed: supported units never billed, which can "
            "still be billed within the 12-month timely filing limit."
        ),
        html_table(_labelled(findings_table(result)), text_columns=["Finding (patient-months)"]),
        "<h2>Trends</h2>",
        *(_figure_html(f) for f in figures),
        _keep(
            "<h3>Minutes per patient-month</h3>",
            paragraphs(
                "Counted CCM minutes (clinical staff and the practitioner's own, on or after "
                "consent). 20 minutes make 99490; 15-19 is one call short."
            ),
            html_table(_labelled(minutes_table(result)), text_columns=["Staff minutes"]),
        ),
        "<h2>Staff and practitioners</h2>",
        _keep(
            "<h3>Per staff member</h3>",
            paragraphs(
                "Patients whose time the member logged, the minutes, and how many of "
                "those patients' months reached 20 minutes (everyone's time together)."
            ),
            html_table(_labelled(staff), text_columns=["Month", "Staff member"]),
        ),
        _keep(
            "<h3>Per billing practitioner</h3>",
            html_table(_labelled(pract), text_columns=["Month", "Practitioner"]),
        ),
        _plan_section(result),
        "<h2>How this audit was made</h2>",
        paragraphs(*_method(result)),
        _keep(
            "<h3>Rows read</h3>",
            html_table(rows_table(result), text_columns=["Input", "Status", "Reason"]),
        ),
    ]
    css = CSS.read_text(encoding="utf-8") + _EXTRA_CSS + _footer_css(result)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(result.practice)} – monthly CCM audit{esc(_against(result))}</title>"
        f"<style>{css}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        '</head><body class="jp-Notebook"><main><div class="jp-RenderedHTMLCommon">'
        + "\n".join(sections)
        + "</div></main></body></html>\n"
    )


_EXTRA_CSS = "\n@media print { .keep { break-inside: avoid; } }\n"


def _footer_css(result: Audit) -> str:
    """The plan's model in every printed page's footer (a fixed label, no input text)."""
    if not result.plan_label:
        return ""
    return (
        f'@page {{ @bottom-left {{ content: "Against {result.plan_label}"; '
        'font-family: Arial, "Liberation Sans", Helvetica, sans-serif; font-size: 8pt; '
        "color: #7B8794; } }\n"
    )


def write_report(
    result: Audit,
    folder: Path,
    formats: tuple[str, ...],
    browser: Path | None,
    progress: Callable[[str], object],
) -> list[str]:
    """Write audit.html (and audit.pdf when asked and a browser exists); notes to print."""
    if not {"html", "pdf"} & set(formats):
        return []
    markup = build_html(result)
    scan = export.scan_html(markup)
    if scan.loads:
        raise ReportError("the audit page would load files from outside itself")
    html = folder / "audit.html"
    html.write_text(markup, encoding="utf-8")
    notes = []
    if "pdf" in formats:
        found = export.find_browser(browser)
        if found is None:
            notes.append(export.PDF_MISSING_NOTE.replace("report.", "audit."))
        else:
            progress("Printing audit.pdf ...")
            export.print_pdf(html, folder / "audit.pdf", browser=found)
    if "html" not in formats:
        html.unlink()
    return notes
