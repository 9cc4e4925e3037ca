"""monthly.csv: one coherent planned run per delivery model, month by month, and reading it
back for `ccm-assess audit --plan RUN_DIR [--model M]` (docs/audit.md, Against the plan).

Per model, the Monte Carlo draw the assessment already made (`MonteCarlo.samples`) whose
horizon net after the practitioners' time is nearest the median is re-run month by month: one
run, not per-column medians, so every row foots: revenue - costs = net (cash, USD), and
`practitioner_time_value` is the value of the practitioners' hours beside it. `plan_run` names
the draw. Month 1 is the calendar month after the as-of date.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.errors import CcmAssessError
from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.intake.files import MIB, read_input

FILE_NAME = "monthly.csv"
MAX_BYTES = 16 * MIB
"""monthly.csv of a run is a few KB (three models x the horizon's months)."""
COLUMNS = ("model", "month", "calendar_month", "enrolled", "billed_patient_months", "revenue",
           "costs", "net", "allowed", "practitioner_time_value", "plan_run")  # fmt: skip
"""The columns of docs/audit.md (monthly.csv), plus `allowed` (Medicare allowed amount before
collection: the basis of the audit's dollars), `practitioner_time_value` (not cash) and
`plan_run` (which run the rows are)."""
REQUIRED = COLUMNS[:8]


def calendar_months(as_of: dt.date, months: int) -> list[str]:
    """`YYYY-MM` of plan months 1..`months`; month 1 is the month after `as_of`."""
    first = pd.Period(as_of, freq="M") + 1
    return [str(first + i) for i in range(months)]


def median_draw(horizon_net: np.ndarray) -> int:
    """The index of the draw whose horizon net is nearest the median (the first on a tie)."""
    return int(np.argmin(np.abs(horizon_net - np.median(horizon_net))))


def monthly_medians(assessment: object) -> pd.DataFrame:
    """Per model and month, the draw nearest the median horizon net (one coherent run)."""
    from ccm_assess.finance.model import (
        _run_all,  # the per-month arrays (draws, months) of every model
    )

    economics = assessment.economics  # type: ignore[attr-defined]
    samples = economics.monte_carlo.samples
    varied = {name: samples[name].to_numpy() for name in samples.columns}
    runs = _run_all(
        economics.counts,  # the published counts the model ran on
        assessment.rates,  # type: ignore[attr-defined]
        assessment.assumptions,  # type: ignore[attr-defined]
        assessment.capacity,  # type: ignore[attr-defined]
        len(samples),
        varied,
    )
    frames = []
    for model, (flows, _plan, money) in runs.items():
        months = flows.enrolled.shape[1]
        draw = median_draw(money["net"].sum(axis=1))
        revenue = flows.collected[draw].round(2)
        costs = money["cash_costs"][draw].round(2)
        frames.append(
            pd.DataFrame(
                {
                    "model": model,
                    "month": np.arange(1, months + 1),
                    "calendar_month": calendar_months(assessment.as_of, months),  # type: ignore[attr-defined]
                    "enrolled": flows.enrolled[draw].round(2),
                    "billed_patient_months": flows.billed[draw].round(2),
                    "revenue": revenue,
                    "costs": costs,
                    "net": (revenue - costs).round(2),
                    "allowed": flows.gross_allowed[draw].round(2),
                    "practitioner_time_value": money["cost_practitioner"][draw].round(2),
                    "plan_run": f"draw {draw + 1} of {len(samples)}, nearest the median net",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_monthly_csv(assessment: object, path: Path) -> Path:
    monthly_medians(assessment).to_csv(path, index=False)
    return path


def plan_model(run_dir: Path, model: str | None = None) -> tuple[str, str]:
    """Which model's plan the audit compares with, and why (words for the report): `model`
    when given (`--model`), else the run's recommendation (summary.json), else in-house, saying
    so (the assessment recommended no delivery model, or the folder has no summary.json)."""
    if model is not None:
        return model, "chosen with --model"
    summary = Path(run_dir) / "summary.json"
    recommended = None
    if summary.exists():
        text = read_input(summary, "plan summary", MAX_BYTES, error=CcmAssessError)
        try:
            recommended = json.loads(text).get("recommendation")
        except (ValueError, AttributeError):
            recommended = None
    if recommended in DELIVERY_MODELS:
        return str(recommended), "the model the assessment recommended"
    why = (
        "the assessment recommended no delivery model"
        if summary.exists()
        else "the run folder has no summary.json"
    )
    return "in_house", f"{why}, so the in-house plan is used (--model picks another)"


def read_monthly_plan(run_dir: Path, model: str | None = None) -> pd.DataFrame:
    """The rows of one model of RUN_DIR/monthly.csv, sorted by month: `model`, else the model
    `plan_model` picks. Raises CcmAssessError when the file or the model's rows are missing."""
    path = Path(run_dir) / FILE_NAME
    if not path.exists():
        raise CcmAssessError(
            f"--plan {run_dir}: no {FILE_NAME} there; pass the folder of a `ccm-assess run` "
            "made with this version (run it again to get monthly.csv)"
        )
    data = read_input(path, "plan file", MAX_BYTES, error=CcmAssessError)
    table = pd.read_csv(io.BytesIO(data), dtype={"calendar_month": str, "model": str})
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise CcmAssessError(
            f"{path} lacks column(s) {', '.join(missing)}; run the assessment again"
        )
    chosen, _ = plan_model(run_dir, model)
    rows = table[table["model"].eq(chosen)]
    if rows.empty:
        raise CcmAssessError(
            f"{path} has no rows for the {chosen} model (it has "
            f"{', '.join(sorted(table['model'].unique()))}); pass --model with one of them"
        )
    return rows.sort_values("month").reset_index(drop=True)
