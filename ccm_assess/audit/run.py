"""`ccm-assess audit`: read the exports, audit every patient-month, write the outputs.

`audit(options)` is the whole computation (no files written); `run_audit(options)` also
writes audit.json, audit_workbook.xlsx, exceptions.xlsx (PHI, owner-only), audit.html and
audit.pdf into `options.out`, through a private staging folder outside it (`ccm_assess.staging`)
so a failed run leaves nothing half-written and no PHI in `--out` (docs/audit.md, Outputs); an
`--out` where an output would replace an input export is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ccm_assess.audit.findings import exceptions, top_actions
from ccm_assess.audit.inputs import AuditInput, AuditInputError, merge_register, read_inputs
from ccm_assess.audit.rules import audit_months, month_of
from ccm_assess.audit.summary import (
    Audit,
    audit_plan,
    ledger,
    month_measures,
    plan_comparison,
    plan_go_live,
    practitioner_measures,
    program_go_live,
    staff_measures,
)
from ccm_assess.finance import fees
from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.intake.files import same_file
from ccm_assess.practice.monthly_plan import plan_model, read_monthly_plan
from ccm_assess.staging import out_lock, publish, remove_stale
from ccm_assess.staging import staging as private_staging

Progress = Callable[[str], None]
REPORT_FORMATS = ("html", "pdf")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class AuditOptions:
    """The options of `ccm-assess audit` (see `ccm-assess audit --help`)."""

    time_log: Path
    out: Path | None = None
    claims: Path | None = None
    register: Path | None = None
    months: tuple[str, ...] = ()
    plan: Path | None = None
    model: str | None = None
    """The delivery model whose plan `plan` compares with (None: the run's recommendation)."""
    go_live: str | None = None
    """YYYY-MM of the program's first month of care (None: the first month in the exports)."""
    year: int | None = None
    locality: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    practice: str = ""
    browser: Path | None = None
    formats: tuple[str, ...] = REPORT_FORMATS


def _check_months(months: tuple[str, ...]) -> list[str]:
    bad = [m for m in months if not _MONTH.match(m)]
    if bad:
        raise AuditInputError(f"--month takes YYYY-MM (for example 2026-09), not {bad[0]!r}")
    return sorted(set(months))


def _keep_months(source: AuditInput, months: list[str]) -> pd.DataFrame:
    """Rows in the audited months; the others are marked skipped in the ledger."""
    inside = month_of(source.rows["date"]).isin(months)
    outside = source.rows.loc[~inside, "row"]
    hit = source.ledger["row"].isin(outside)
    source.ledger.loc[hit, ["status", "reason"]] = ["skipped", "outside the audited months"]
    return source.rows[inside.to_numpy()].reset_index(drop=True)


def _rates(
    years: set[int], year: int | None, locality: str | None
) -> tuple[dict[int, dict[str, int]], dict[str, object]]:
    """Cents per unit by service year (or the one `year`), and the rates block of audit.json."""
    place = fees.find_locality(locality) if locality else fees.national()
    chosen = {y: year or min(y, max(fees.YEARS)) for y in years}
    tables = {y: fees.rate_table(chosen[y], place) for y in years}
    cents: dict[int, dict[str, int]] = {
        y: {
            c: round(v * 100) for c, v in zip(t.rates["code"], t.rates["non_facility"], strict=True)
        }
        for y, t in tables.items()
    }
    info: dict[str, object] = {
        "years": sorted(set(chosen.values())),
        "locality": place.label,
        "setting": "office (non-facility)",
        "source": "Medicare physician fee schedule allowed amounts (docs/audit.md, Dollars)",
    }
    later = sorted(y for y in years if year is None and y > max(fees.YEARS))
    if later:
        info["note"] = (
            f"no bundled fee schedule for {', '.join(map(str, later))}: "
            f"{max(fees.YEARS)} rates used; pass --year to choose"
        )
    return cents, info


def audit(options: AuditOptions) -> Audit:
    """Read, audit and summarise (module docstring). Raises CcmAssessError on bad input."""
    months = _check_months(options.months)
    if options.go_live is not None and not _MONTH.match(options.go_live):
        raise AuditInputError(
            f"--go-live takes YYYY-MM (for example 2026-12), not {options.go_live!r}"
        )
    inputs = read_inputs(
        options.time_log, options.claims, options.register, mapping=options.mapping
    )
    time_rows = inputs["time_log"].rows
    claim_rows = inputs["claims"].rows if "claims" in inputs else None
    if not months:
        seen = [month_of(time_rows["date"])]
        if claim_rows is not None:
            seen.append(month_of(claim_rows["date"]))
        months = sorted(set(pd.concat(seen).dropna()))
    time_rows = _keep_months(inputs["time_log"], months)
    if claim_rows is not None:
        claim_rows = _keep_months(inputs["claims"], months)
    if time_rows.empty and (claim_rows is None or claim_rows.empty):
        raise AuditInputError(
            f"no time-log or claim rows in {', '.join(months)}; check --month or the exports"
        )
    register = merge_register(inputs["register"].rows) if "register" in inputs else None
    years = {int(m[:4]) for m in months}
    cents, rate_info = _rates(years, options.year, options.locality)
    has_visit = "register" in inputs and inputs["register"].has("initiating_visit_date")
    has_complex = "register" in inputs and inputs["register"].has("complex")
    has_care_plan = "register" not in inputs or inputs["register"].has("care_plan_date")
    has_disenrolment = "register" not in inputs or inputs["register"].has("disenrolment_date")
    pm, assessed = audit_months(
        time_rows,
        claim_rows,
        register,
        cents,
        has_visit_column=has_visit,
        has_complex_column=has_complex,
        has_care_plan_column=has_care_plan,
        has_disenrolment_column=has_disenrolment,
    )
    measures = month_measures(pm, register, months, assessed)
    plan, basis = None, None
    if options.plan is not None:
        model, chosen_by = plan_model(options.plan, options.model)
        planned = read_monthly_plan(options.plan, model)
        activity = [source.rows["date"] for kind, source in inputs.items() if kind != "register"]
        go_live, found = program_go_live(activity, options.go_live)
        plan = plan_comparison(planned, measures, go_live)
        first = plan_go_live(planned)
        basis = {
            "model": model,
            "model_label": DELIVERY_MODELS[model].label,
            "chosen_by": chosen_by,
            "program_go_live": go_live,
            "go_live_from": found,
            "plan_go_live_month": first,
            "plan_go_live_calendar_month": str(
                planned.loc[planned["month"].eq(first), "calendar_month"].iloc[0]
            ),
        }
    counts = {kind: source.counts() for kind, source in inputs.items()}
    practice = options.practice.strip() or "Your practice"
    book = ledger(
        pm,
        assessed,
        months,
        inputs=counts,
        rates=rate_info,
        measures=measures,
        plan=plan,
        plan_basis=basis,
    )
    return Audit(
        practice=practice,
        months=months,
        inputs=inputs,
        patient_months=pm,
        assessed=assessed,
        ledger=book,
        measures=measures,
        staff=staff_measures(time_rows, pm),
        practitioners=practitioner_measures(claim_rows, pm),
        plan=plan,
        exceptions=exceptions(pm, assessed),
        actions=top_actions(pm, assessed),
        rates=rate_info,
        hidden=audit_plan(book),
        plan_basis=basis,
    )


OUTPUT_NAMES = ("audit.json", "audit_workbook.xlsx", "exceptions.xlsx", "audit.html", "audit.pdf")
"""Every file `run_audit` may write into `--out`."""


def _check_out(out: Path, options: AuditOptions) -> None:
    """Refuse an `--out` where an output would replace an input export (by name or link)."""
    inputs = [options.time_log, options.claims, options.register]
    if options.plan is not None:
        inputs += [options.plan / "monthly.csv", options.plan / "summary.json"]
    for name in OUTPUT_NAMES:
        for given in inputs:
            if given is not None and same_file(out / name, given):
                raise AuditInputError(
                    f"--out {out} would overwrite the input file {given.name} (the audit writes "
                    f"{name}); choose another output folder"
                )


def run_audit(
    options: AuditOptions,
    progress: Progress = lambda _: None,
    notice: Progress | None = None,
) -> dict[str, Path]:
    """Audit and write every output into `options.out` (one audit at a time there); returns
    name -> path (the caller lists them). `progress` takes the progress lines, `notice` what
    the user must act on (default: `progress`)."""
    if options.out is None:
        raise AuditInputError("--out is required: the folder to write the audit into")
    unknown = [f for f in options.formats if f not in REPORT_FORMATS]
    if unknown:
        raise AuditInputError(
            f"--formats takes {', '.join(REPORT_FORMATS)} (comma-separated), not {unknown[0]!r}; "
            "the workbooks and audit.json are always written"
        )
    with out_lock(options.out):
        return _run_locked(options, options.out, progress, notice or progress)


def _run_locked(
    options: AuditOptions, out: Path, progress: Progress, notice: Progress
) -> dict[str, Path]:
    from ccm_assess.audit.report import write_report
    from ccm_assess.audit.workbooks import write_audit_workbook, write_exceptions

    _check_out(out, options)
    progress(f"Reading {options.time_log.name} ...")
    result = audit(options)
    progress(
        f"Audited {result.ledger['patient_months']:,} patient-months in "
        f"{', '.join(result.months)} ..."
    )
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out.glob(".ccm-audit-*"))  # left inside --out by earlier versions
    with private_staging() as folder:
        staging = folder / "out"
        staging.mkdir()
        (staging / "audit.json").write_text(
            json.dumps(result.published_ledger, indent=2) + "\n", encoding="utf-8"
        )
        write_audit_workbook(result, staging / "audit_workbook.xlsx")
        write_exceptions(result, staging / "exceptions.xlsx")
        notes = write_report(result, staging, options.formats, options.browser, progress)
        files = publish(staging, out)
    for note in notes:
        notice(note)
    return files
