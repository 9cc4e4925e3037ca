"""The plain-text report of `ccm-assess check`: how the panel was read and what it holds.

No patient names, ids or dates appear in it, only counts, headers, codes and payer strings;
the only row-level detail is the numbers of the first rejected rows, so the consultant can find
them in the file.
"""

from __future__ import annotations

import pandas as pd

from ccm_assess.intake.codes import CODE_SET_YEAR, unlisted_codes
from ccm_assess.intake.headers import ROLES, column_letter
from ccm_assess.intake.panel import Panel
from ccm_assess.intake.payers import PAYER_CLASSES
from ccm_assess.intake.values import shown_values

EXAMPLES = 5
"""How many examples (codes, payer strings, row numbers) each line shows at most."""

_SHAPES = {
    "wide": "one row per patient",
    "long": "one row per patient and diagnosis",
    "list": "one row per patient, codes listed in one cell",
    "mixed": "several rows per patient, each with several codes",
}


def _n(value: int) -> str:
    return f"{value:,}"


def _count(value: int, noun: str, plural: str | None = None) -> str:
    """`1 patient`, `2 patients`."""
    return f"{value:,} {noun if value == 1 else plural or noun + 's'}"


def _top(frame: pd.DataFrame, limit: int = EXAMPLES) -> str:
    """`value (count), ...` for the first rows of a `value`/`count` frame."""
    shown = [f"{v} ({_n(c)})" for v, c in zip(frame["value"], frame["count"], strict=True)]
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f", and {_n(more)} more" if more > 0 else "")


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", title, *[f"  {line}" for line in lines]]


def _source(panel: Panel) -> list[str]:
    source = panel.source
    lines = [f"Panel check: {source.path}"]
    if source.sheet is not None:
        others = [s for s in source.sheets if s != source.sheet]
        also = f" (other sheets: {', '.join(repr(s) for s in others)})" if others else ""
        lines.append(f"Sheet used: {source.sheet!r}{also}")
    lines.append(f"Header row: {source.header_row}")
    lines.append(f"Shape: {source.shape} ({_SHAPES.get(source.shape, source.shape)})")
    return lines


def _mapping(panel: Panel) -> list[str]:
    roles = [r for r in ROLES if r not in ("first_name", "last_name")]
    width = max(len(r) for r in roles)
    lines = [f"{role:<{width}}  {', '.join(panel.mapping[role])}" for role in panel.mapping]
    missing = [r for r in roles if r not in panel.mapping]
    if missing:
        lines.append(f"not in the file: {', '.join(missing)}")
    return lines + list(panel.notes)


def _column_views(panel: Panel) -> list[str]:
    """Per column: header, role, how it was found and the share of its cells that fit."""
    views = panel.columns
    if not views:
        return []
    names = [v.header or f"(column {column_letter(v.position)})" for v in views]
    width = min(max(len(n) for n in names), 32)
    lines = []
    for name, view in zip(names, views, strict=True):
        shown = name if len(name) <= width else name[: width - 1] + "…"
        role = view.role or "(not read)"
        line = f"{shown:<{width}}  {role:<20}  {view.found_by or '':<7}"
        if view.match_share is not None:
            line += f"  {view.match_share:>4.0%} of cells fit"
        if view.runner_up:
            line += f" (runner-up: {view.runner_up} {view.runner_up_share:.0%})"
        lines.append(line.rstrip())
    return lines


def _rows(panel: Panel) -> list[str]:
    ledger = panel.ledger
    counts = ledger["status"].value_counts()
    used, skipped, rejected = (int(counts.get(s, 0)) for s in ("used", "skipped", "rejected"))
    lines = [f"rows read: {_n(len(ledger))} = {_n(used)} used + {_n(skipped)} skipped + "
             f"{_n(rejected)} rejected"]  # fmt: skip
    for status in ("used", "skipped", "rejected"):
        part = ledger[ledger["status"].eq(status) & ledger["reason"].ne("")]
        for reason, rows in part.groupby("reason", sort=False, observed=True)["row"]:
            line = f"{status}: {reason}: {_n(len(rows))}"
            if status == "rejected":
                first = ", ".join(str(r) for r in rows.head(EXAMPLES))
                label = "row" if len(rows) == 1 else "rows"
                line += f" ({label} {first}{', ...' if len(rows) > EXAMPLES else ''})"
            lines.append(line)
    merged = used - len(panel.patients)
    lines.append(
        f"patients: {_n(len(panel.patients))} from {_count(used, 'used row')}"
        + (f" ({_count(merged, 'row')} merged into patients seen before)" if merged else "")
    )
    return lines


def _codes(panel: Panel) -> list[str]:
    quality = panel.quality
    with_codes = panel.diagnoses["patient_id"].nunique()
    lines = [
        f"valid ICD-10-CM: {_count(len(panel.diagnoses), 'patient-code pair')} "
        f"({_count(panel.diagnoses['code'].nunique(), 'distinct code')}); "
        f"{_count(len(panel.patients) - with_codes, 'patient')} without a valid code"
    ]
    for label, frame in (("ICD-9 (not used)", quality.icd9_codes),
                         ("invalid (not used)", quality.invalid_codes)):  # fmt: skip
        if len(frame):
            entries = _count(int(frame["count"].sum()), "entry", "entries")
            coded = frame.assign(value=shown_values(frame["value"]))  # no name typed as a code
            merged = coded.groupby("value", sort=False)["count"].sum().reset_index()
            lines.append(f"{label}: {entries}, e.g. {_top(merged)}")
        else:
            lines.append(f"{label}: none")
    if quality.text_code_cells:
        lines.append(
            f"codes found inside free text: {_count(quality.text_code_cells, 'cell')} (read; "
            "written as prose, with labels or list numbers)"
        )
    unlisted = unlisted_codes(panel.diagnoses)
    for status, label in (("unknown", f"not in the FY{CODE_SET_YEAR} ICD-10-CM code set"),
                          ("retired", "retired (valid in an earlier year)")):  # fmt: skip
        frame = unlisted[unlisted["status"] == status]
        shown = f"{_count(len(frame), 'code')}, e.g. {_top(frame)}" if len(frame) else "none"
        lines.append(f"{label} (still read by their first characters): {shown}")
    return lines


def _payers(panel: Panel) -> list[str]:
    if not panel.has("primary_payer"):
        return ["no payer column: every patient's payer class is unknown"]
    counts = panel.patients["payer_class"].value_counts()
    classes = ", ".join(f"{c} {_n(int(counts[c]))}" for c in PAYER_CLASSES if c in counts)
    lines = [f"primary payer class (patients): {classes}"]
    dual = int(panel.patients["dual_eligible"].sum())
    lines.append(f"dual eligible (Medicare + Medicaid): {_n(dual)}")
    unknown = panel.quality.unknown_payers
    if len(unknown):  # the consultant's own screen: the text is what a --map of payers needs
        lines.append(
            f"unrecognised payer text ({_n(len(unknown))} distinct, patients): {_top(unknown)}"
        )
    return lines


def _values(panel: Panel) -> list[str]:
    quality = panel.quality
    lines = []
    for bad in quality.bad_dates.to_dict("records"):
        # Dates that parsed but are impossible (future birth dates) may be real PHI: no examples.
        shown = f" (e.g. {bad['examples']})" if bad["problem"] == "unparseable" else ""
        lines.append(f"{bad['column']}: {_n(bad['count'])} {bad['problem']}, set to blank{shown}")
    for bad in quality.bad_values.to_dict("records"):
        lines.append(f"{bad['column']}: {_n(bad['count'])} unreadable (e.g. {bad['examples']})")
    for conflict in quality.conflicts.to_dict("records"):
        lines.append(
            f"{conflict['column']}: {_count(conflict['patients'], 'patient')} whose rows disagree "
            "(first non-blank value kept)"
        )
    return lines or ["no unreadable dates or values, no conflicting rows"]


def format_check(panel: Panel) -> str:
    """Plain-text report of how `panel` was read: source, column mapping, row reconciliation,
    codes, payers, dates and conflicts. Contains no patient identifiers."""
    lines = _source(panel)
    lines += _section("Columns (role: header)", _mapping(panel))
    lines += _section(
        "How each column was read (header, role, found by: map/header/content, evidence)",
        _column_views(panel),
    )
    lines += _section("Rows", _rows(panel))
    lines += _section("Diagnosis codes", _codes(panel))
    lines += _section("Payers", _payers(panel))
    lines += _section("Dates, values and conflicts", _values(panel))
    return "\n".join(lines)
