"""The panel sheets of workbook.xlsx: Funnel (from panel to enrolled patients) and Data quality
(how the panel file was read, row reconciliation), each a writer `(worksheet, assessment) ->
None` in `WRITERS` (docs/outputs.md).

Patient counts of subgroups are shown through `cells.shown_counts` (1-10 as "<11"); panel
text (payer strings, invalid codes, provider and location names, headers) is cut short and
formula-safe (`cells.panel_text`); dates from the panel are counted, never shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from ccm_assess.formatting import level_text
from ccm_assess.intake.codes import CODE_SET_YEAR, unlisted_codes
from ccm_assess.intake.headers import shown_header
from ccm_assess.intake.panel import reason_counts
from ccm_assess.intake.payers import PAYER_CLASSES, PAYER_LABELS
from ccm_assess.intake.values import shown_values
from ccm_assess.outputs.workbook.cells import (
    COUNT,
    EXAMPLES_SHOWN,
    NAME_LIMIT,
    PCT1,
    UNKNOWN,
    billable_classes,
    finish_sheet,
    panel_text,
    put_cell,
    put_heading,
    put_pairs,
    put_table,
    put_title,
    safe_name,
    shown_count,
    shown_counts,
    shown_pool,
)
from ccm_assess.practice.assessment import Assessment
from ccm_assess.privacy import display_order, format_count


def _listed(frame: pd.DataFrame, value: str, count: str) -> pd.DataFrame:
    """The first rows of a `value`/`count` quality frame: only code-shaped values shown
    (`values.shown_values`), counts suppressed."""
    if frame.empty:
        return pd.DataFrame({value: ["(none)"], count: [0]})
    shown = shown_counts(dict(enumerate(frame["count"].astype(int).tolist())))
    return pd.DataFrame(
        {value: panel_text(shown_values(frame["value"])).to_numpy(), count: list(shown.values())}
    ).head(EXAMPLES_SHOWN)


def _share_frame(
    label: str, counts: Mapping[str, Any], total: Any, *, total_shown: bool = True
) -> pd.DataFrame:
    """Label, count and share of `total` (counts as published; a hidden one has no share)."""
    shown = shown_counts(counts, total_shown=total_shown)
    hidden = [isinstance(shown[k], str) for k in counts]
    return pd.DataFrame(
        {
            label: list(counts),
            "Patients": list(shown.values()),
            "Share of analysed": [
                None if hide or not total or isinstance(total, str) else counts[k] / total
                for k, hide in zip(counts, hidden, strict=True)
            ],
        }
    )


def _payer_table(assessment: Assessment, billable: Sequence[str]) -> pd.DataFrame:
    """Eligible patients by payer class (each column suppressed as a group), with totals."""
    counts = assessment.shown_counts["eligibility"]
    groups = {
        "CCM eligible": ("ccm_eligible", counts["ccm_eligible_by_payer"]),
        "Complex CCM candidates": (
            "complex_ccm_candidates",
            counts.get("complex_ccm_candidates_by_payer"),
        ),
        "PCM candidates": ("pcm_candidates", counts["pcm_candidates_by_payer"]),
    }
    columns = {
        name: [UNKNOWN] * len(PAYER_CLASSES)
        if group is None
        else [shown_counts(group)[c] for c in PAYER_CLASSES]
        for name, (_, group) in groups.items()
    }
    frame = pd.DataFrame(
        {
            "Payer class": [PAYER_LABELS[c] for c in PAYER_CLASSES],
            "Billable for CCM": ["yes" if c in billable else "no" for c in PAYER_CLASSES],
            **columns,
        }
    )
    totals = [shown_count(counts[key]) for key, _ in groups.values()]
    frame.loc[len(frame)] = ["All payer classes", "", *totals]
    return frame


def _by_field(assessment: Assessment, role: str) -> pd.DataFrame:
    """CCM eligible patients per provider or location (staff and site names, not patients)."""
    shown = assessment.published.group(role)
    order = display_order(shown)
    return pd.DataFrame(
        {
            role.capitalize(): panel_text(pd.Series(order, dtype=object), NAME_LIMIT),
            "CCM eligible": [shown[k] for k in order],
        }
    )


def _funnel(ws: Worksheet, assessment: Assessment) -> None:
    shown = assessment.shown_counts
    counts, panel = shown["eligibility"], shown["panel"]
    billable = billable_classes(assessment)
    steps = [
        ("Patients in the panel", panel["patients"], "distinct patient ids in the used rows"),
        ("Analysed", panel["patients_analysed"], "not deceased or in hospice"),
        (
            "CCM eligible",
            shown_count(counts["ccm_eligible"]),
            f"2+ chronic conditions, {level_text(assessment.eligibility.conditions_level)}",
        ),
        (
            "In billable payer classes",
            shown_pool(counts["ccm_eligible_by_payer"], billable),
            " + ".join(PAYER_LABELS[c] for c in billable),
        ),
        *(
            (f"Expected enrolled: {r.label}", r.enrolled_steady_state, "model, last 12 months")
            for r in assessment.scenarios.values()
        ),
    ]
    row = put_heading(ws, 4, "From panel to enrolled patients")
    frame = pd.DataFrame(steps, columns=["Step", "Patients", "Note"])
    row = put_table(ws, row, frame, {"Patients": COUNT})
    excluded = shown_counts(shown["excluded"])
    row = put_heading(ws, row, "Not analysed")
    frame = pd.DataFrame({"Reason": list(excluded), "Patients": list(excluded.values())})
    row = put_table(ws, row, frame, {"Patients": COUNT})
    row = put_heading(ws, row, "Eligible patients by primary payer class")
    frame = _payer_table(assessment, billable)
    row = put_table(ws, row, frame, dict.fromkeys(frame.columns[2:], COUNT))
    analysed = panel["patients_analysed"]
    found = {k: v for k, v in shown["conditions"].items() if v}
    names = assessment.eligibility.display_names
    conditions = {names[k]: found[k] for k in display_order(found)}
    missing = len(shown["conditions"]) - len(found)
    row = put_heading(ws, row, f"Chronic conditions of analysed patients ({missing} others: none)")
    frame = _share_frame("Condition", conditions, analysed, total_shown=False)
    row = put_table(ws, row, frame, {"Patients": COUNT, "Share of analysed": PCT1})
    labelled = assessment.published.group("chronic_count")
    row = put_heading(ws, row, "Chronic conditions per analysed patient")
    frame = _share_frame("Chronic conditions", labelled, analysed)
    row = put_table(ws, row, frame, {"Patients": COUNT, "Share of analysed": PCT1})
    for role in ("provider", "location"):
        row = put_heading(ws, row, f"CCM eligible patients by {role}")
        if assessment.panel.has(role):
            row = put_table(ws, row, _by_field(assessment, role), {"CCM eligible": COUNT})
        else:
            put_cell(ws, row, 1, f"The export has no {role} column.")
            row += 2
    finish_sheet(ws, "A3", {"A": 44})


def reconciliation(ledger: pd.DataFrame) -> pd.DataFrame:
    """Rows read = used + skipped (by reason) + rejected (by reason), and the check lines."""
    status = ledger["status"]
    lines = [("Rows read", len(ledger)), ("Used", int(status.eq("used").sum()))]
    for kind in ("skipped", "rejected"):
        reasons = reason_counts(ledger, kind)
        lines += [(f"{kind.capitalize()}: {reason}", int(n)) for reason, n in reasons.items()]
    accounted = sum(n for _, n in lines[1:])
    lines += [
        ("Used + skipped + rejected", accounted),
        ("Difference (0: every row accounted for)", len(ledger) - accounted),
    ]
    return pd.DataFrame(lines, columns=["Line", "Rows"])


def _quality_counts(frame: pd.DataFrame, label: str, count: str, **columns: str) -> pd.DataFrame:
    """A quality frame's `columns` (source -> header) with counts shown one by one."""
    out = {
        header: frame.get(source, pd.Series(dtype=object)).to_numpy()
        for source, header in columns.items()
    }
    out[label] = [shown_count(int(c)) for c in frame.get(count, [])]
    return pd.DataFrame(out)


def _data_quality(ws: Worksheet, assessment: Assessment) -> None:
    panel, counts = assessment.panel, assessment.shown_counts
    source, quality = panel.source, panel.quality
    sheets = ", ".join(safe_name(s) for s in source.sheets)
    row = put_pairs(
        ws,
        4,
        [
            ("File", safe_name(source.path.name), None),
            ("Sheet", safe_name(source.sheet) if source.sheet else "(text file)", None),
            ("Sheets in the file", sheets or "-", None),
            ("Header row", source.header_row, "0"),
            ("Layout", source.shape, None),
        ],
    )
    mapping = pd.DataFrame(
        {
            "Role": list(panel.mapping),
            "Column(s) in the file": [
                ", ".join(safe_name(shown_header(h)) for h in v) for v in panel.mapping.values()
            ],
        }
    )
    row = put_heading(ws, row, "Column mapping")
    row = put_table(ws, row, mapping)
    row = put_heading(ws, row, "Row reconciliation")
    row = put_table(ws, row, reconciliation(panel.ledger), {"Rows": COUNT})
    excluded = shown_counts(counts["excluded"])
    lines = [
        ("Patients (distinct ids in the used rows)", counts["panel"]["patients"]),
        *((f"Not analysed: {reason}", n) for reason, n in excluded.items()),
        ("Patients analysed", counts["panel"]["patients_analysed"]),
    ]
    row = put_table(ws, row, pd.DataFrame(lines, columns=["Patients", "Count"]), {"Count": COUNT})
    for title, frame, value, count in (
        ("Invalid diagnosis codes (entries)", quality.invalid_codes, "Code as written", "Entries"),
        (
            "ICD-9 codes (entries; export ICD-10-CM)",
            quality.icd9_codes,
            "Code as written",
            "Entries",
        ),
        (
            f"ICD-10 codes not in the FY{CODE_SET_YEAR} code set, or retired (patients)",
            unlisted_codes(panel.diagnoses),
            "Code",
            "Patients",
        ),
        (
            "Codes CCIR cannot place (patients)",
            assessment.eligibility.ccir_unknown,
            "Code",
            "Patients",
        ),
    ):
        total = (
            assessment.published.shown("quality.ccir_unknown")  # a cell of the run's plan
            if frame is assessment.eligibility.ccir_unknown
            else shown_count(int(frame["count"].sum()) if len(frame) else 0)
        )
        row = put_heading(ws, row, f"{title}: {format_count(total)} in all")
        row = put_table(ws, row, _listed(frame, value, count), {count: COUNT})
    unknown_payers = assessment.published.shown("quality.unknown_payers")
    row = put_heading(
        ws,
        row,
        f"Payer text not recognised: {format_count(unknown_payers)} patients (the text is not "
        "shown: it can name a person; `ccm-assess check` lists it on your screen)",
    )
    row = put_heading(
        ws,
        row,
        f"Diagnosis cells whose codes were written inside text (read): "
        f"{format_count(quality.text_code_cells)}",
    )
    row = put_heading(ws, row, "Dates set to empty (no examples: dates are patient data)")
    frame = _quality_counts(quality.bad_dates, "Cells", "count", column="Column", problem="Problem")
    row = put_table(ws, row, frame, {"Cells": COUNT})
    row = put_heading(ws, row, "Yes/no and count cells that could not be read")
    bad = quality.bad_values
    frame = _quality_counts(bad, "Cells", "count", column="Column")
    row = put_table(ws, row, frame, {"Cells": COUNT})
    row = put_heading(ws, row, "Patients whose rows disagree (the first non-blank value is kept)")
    frame = _quality_counts(quality.conflicts, "Patients", "patients", column="Field")
    row = put_table(ws, row, frame, {"Patients": COUNT})
    if panel.notes:
        row = put_heading(ws, row, "Reader notes")
        put_table(ws, row, pd.DataFrame({"Note": [safe_name(n, 120) for n in panel.notes]}))
    put_title(
        ws,
        "Data quality: how the panel file was read",
        "Counts from 1 to 10 show as <11. Only code-shaped values (like E11.9) are shown; other "
        "text and dates from the file never are.",
    )
    finish_sheet(ws, "A3", {"A": 46})


WRITERS: dict[str, Callable[[Worksheet, Assessment], None]] = {
    "Funnel": _funnel,
    "Data quality": _data_quality,
}
"""Sheet name -> writer, for `workbook.build_workbook`."""
