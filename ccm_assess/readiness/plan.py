"""The launch plan for the first 90 days and 12 months: the chosen model's core steps and
milestones in dependency order, tied to the financial model's month numbers, then the readiness
gaps no step covers (docs/launch_plan.md for the CMS requirements and the order; the steps are
`launch_steps` in data/questionnaire.yaml).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from ccm_assess.finance.assumptions import registry
from ccm_assess.finance.decision import NONE, OPTION_LABELS, Decision
from ccm_assess.formatting import value_text
from ccm_assess.readiness.questionnaire import questionnaire_definition
from ccm_assess.readiness.recommendation import Recommendation
from ccm_assess.readiness.scoring import Readiness

WEEKS_PER_MONTH = 52 / 12
PLAN_DAYS_WEEKS = 13  # the "90-day" part of the plan: weeks 1-13
MAX_GAP_ROWS = 6  # readiness gaps added after the core steps
PLAN_COLUMNS = (
    "id", "weeks", "start_week", "end_week", "start_date", "end_date", "action", "owner",
    "owner_name", "why", "domain", "shares_phi", "after", "cms_required", "kind", "model_month",
)  # fmt: skip


@dataclass(frozen=True)
class LaunchStep:
    """A core step or milestone of the launch plan (data/questionnaire.yaml `launch_steps`)."""

    id: str
    models: tuple[str, ...]
    weeks: tuple[int, int]
    domain: str
    owner: str
    actions: Mapping[str, str]  # model -> text, with a "default"
    why: str
    covers: tuple[str, ...] = ()  # question ids whose gaps this step replaces
    when: str = "always"  # or "capacity_shortfall"
    after: tuple[str, ...] = ()
    shares_phi: tuple[str, ...] = ()  # models for which the step sends PHI outside the practice
    cms_required: bool = False
    milestone: str = ""  # a key of ModelMonths.months, or "" for a plain step

    def action_for(self, model: str) -> str:
        return self.actions[model] if model in self.actions else self.actions["default"]


@lru_cache(maxsize=1)
def launch_steps() -> tuple[LaunchStep, ...]:
    """The core launch steps from the bundled questionnaire data."""
    steps = []
    for entry in questionnaire_definition().launch_steps:
        raw: dict[str, Any] = dict(entry)
        action = raw.pop("action")
        phi = raw.pop("shares_phi", False)
        raw |= {key: tuple(raw.get(key, ())) for key in ("models", "weeks", "covers", "after")}
        shares: tuple[str, ...] = tuple(raw["models"]) if phi is True else tuple(phi or ())
        steps.append(
            LaunchStep(
                **raw,
                shares_phi=shares,
                actions=action if isinstance(action, dict) else {"default": action},
            )
        )
    return tuple(steps)


def month_start_week(month: int) -> int:
    """Week (1 = the first week after the decision) in which model month `month` starts,
    taking model month 1 to start with the decision and 52/12 weeks a month."""
    return int((month - 1) * WEEKS_PER_MONTH) + 1


@dataclass(frozen=True)
class ModelMonths:
    """The financial model's month numbers the plan's milestones are tied to, and the
    enrolment it expects at months 3, 6 and 12."""

    months: Mapping[str, int]  # milestone -> model month
    enrolled: Mapping[str, float]  # milestone -> patients enrolled that month
    first_batch: int = 0
    """Patients approached in the go-live month (whole patients): the first month's calls."""

    @classmethod
    def from_monthly(cls, monthly: pd.DataFrame) -> ModelMonths:
        """From a model's monthly frame (columns month, approached, billed_patient_months,
        collected_revenue, enrolled): go-live = first month with outreach; first billable
        month = first month with billed patient-months; first claim = the month after it
        (claims go out after the month's minutes are in); first payment = the first month
        with money collected, no earlier than the claim's month; `first_batch` = patients
        approached in the go-live month, rounded down."""

        def first(column: str, default: int) -> int:
            hits = monthly.loc[monthly[column] > 0, "month"]
            return int(hits.iloc[0]) if len(hits) else default

        horizon = int(monthly["month"].max())
        go_live = first("approached", 1)
        billable = max(first("billed_patient_months", go_live), go_live)
        enrolled = monthly.set_index("month")["enrolled"]
        checks = {f"enrolled_{m}": m for m in (3, 6, 12) if m <= horizon}
        return cls(
            months={
                "go_live": go_live,
                "first_billable_month": billable,
                "first_claim": billable,
                "first_payment": max(first("collected_revenue", billable), billable),
                **checks,
            },
            enrolled={key: float(enrolled.get(m, 0.0)) for key, m in checks.items()},
            first_batch=int(monthly.set_index("month")["approached"].get(go_live, 0.0)),
        )


def _schedule(
    steps: list[LaunchStep], months: ModelMonths | None
) -> dict[str, tuple[int, int, int | None]]:
    """Start week, end week and model month of each step: a step starts no earlier than its
    own first week and the week after the last of its dependencies ends. A milestone also
    starts no earlier than its model month, shifted by as many weeks as the set-up pushes
    go-live past the model's go-live month (its `weeks` are offsets from that week; an
    enrolment check falls in the last week of its month)."""
    by_id = {step.id: step for step in steps}
    placed: dict[str, tuple[int, int, int | None]] = {}
    model_months = months.months if months else {}
    delay = 0

    def place(step: LaunchStep, seen: frozenset[str]) -> tuple[int, int, int | None]:
        nonlocal delay
        if step.id in placed:
            return placed[step.id]
        if step.id in seen:
            raise ValueError(f"launch steps: dependency cycle through {step.id!r}")
        ready = max(
            (place(by_id[d], seen | {step.id})[1] + 1 for d in step.after if d in by_id),
            default=1,
        )
        first, last = step.weeks
        month = model_months.get(step.milestone) if step.milestone else None
        if month is None:
            start = max(first, ready)
        else:
            week = (
                month_start_week(month + 1) - 1
                if step.milestone.startswith("enrolled_")
                else month_start_week(month)
            )
            start = max(ready, week + delay) + first - 1
            if step.milestone == "go_live":
                delay = start - week
        placed[step.id] = (start, start + last - first, month)
        return placed[step.id]

    for step in steps:
        place(step, frozenset())
    return placed


def week_dates(
    start: dt.date, start_week: pd.Series, end_week: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Calendar dates of plan weeks: week 1 starts on the decision date `start`; a step ends on
    the last day of its end week."""
    first = pd.Timestamp(start)
    return (
        first + pd.to_timedelta((start_week.astype(int) - 1) * 7, unit="D"),
        first + pd.to_timedelta(end_week.astype(int) * 7 - 1, unit="D"),
    )


def ma_note(ma_pays_ccm: bool, ma_share: float | None) -> str:
    """The end of the Medicare Advantage contract step: what the plan counts on, and the share
    of billable patients in MA plans when it is known and published."""
    if not ma_pays_ccm:
        return (
            "; the plan counts on MA plans not paying and leaves their patients out: each "
            "contract that pays adds its patients to the program"
        )
    share = (
        "" if ma_share is None else f"{ma_share:.0%} of the billable patients are in MA plans, and "
    )
    return f"; {share}the plan counts on their plans paying as Medicare does"


def fee_gate(decision: Decision | None) -> str:
    """The vendor fee ceiling in words (`Decision.fee_ceiling`), for the step before the
    vendor contract is signed."""
    if decision is None or decision.fee_ceiling is None:
        return "compare the quoted fee with the one this assessment assumed"
    gate = decision.fee_ceiling
    unit = registry()[gate.assumption].unit
    assumed = value_text(gate.default, unit)
    if gate.ceiling is None:
        return (
            f"no fee in the plausible range changes the result; still compare the quote with "
            f"the {assumed} assumed"
        )
    ceiling = value_text(gate.ceiling, unit)
    if gate.basis == "tipping_point" and gate.against != NONE:
        rival = OPTION_LABELS[gate.against].lower()
        return f"at most {ceiling} (we assumed {assumed}); above it {rival} nets more"
    if gate.ceiling < gate.default:
        return f"the program loses money at the {assumed} assumed; sign only at {ceiling} or less"
    return f"at most {ceiling} (we assumed {assumed}); above it the program loses money"


def launch_plan(
    readiness: Readiness,
    recommendation: Recommendation,
    months: ModelMonths | None = None,
    max_gap_rows: int = MAX_GAP_ROWS,
    *,
    start: dt.date | None = None,
    ma_pays_ccm: bool = True,
    ma_share: float | None = None,
    decision: Decision | None = None,
) -> pd.DataFrame:
    """The launch plan for the first 12 months: the core steps and milestones of the chosen
    model in dependency order (business associate agreement before any step that shares
    patient information, consent before enrolment, care plan before the first billable
    month), milestones tied to the model's month numbers (`months`), then the readiness gaps
    no step covers (CMS-required first, then by impact), up to `max_gap_rows`.

    `start` is the decision date: week 1 starts on it (`start_date`, `end_date`; NaT without
    it). The Medicare Advantage step says what the plan counts on (`ma_note`); the vendor fee
    gate before the contract is signed takes its ceiling from `decision` (`fee_gate`).
    `owner_name` is left empty for the practice to write in.

    One row per step, sorted by start week, then dependency order; columns PLAN_COLUMNS
    (`weeks` is "a-b" text; `kind` is step, milestone, gap or question)."""
    definition = questionnaire_definition()
    model = recommendation.choice
    needed, available = (
        recommendation.hours_needed_per_week,
        recommendation.hours_available_per_week,
    )
    shortfall = (available or 0) < needed
    steps = [
        # a step that shares patient information waits for the business associate agreement
        dataclasses.replace(s, after=(*s.after, "baa")) if model in s.shares_phi else s
        for s in launch_steps()
        if model in s.models and (s.when != "capacity_shortfall" or shortfall)
    ]
    placed = _schedule(steps, months)
    rows: list[dict[str, object]] = []
    covered: set[str] = set()
    for rank, step in enumerate(steps):
        covered |= set(step.covers)
        first_week, last_week, month = placed[step.id]
        enrolled = (months.enrolled if months else {}).get(step.milestone)
        action = step.action_for(model).format(
            hours_needed=f"{needed:.0f}",
            hours_available=f"{available or 0:.0f}",
            month=month if month is not None else "-",
            enrolled=f"{enrolled:,.0f}" if enrolled is not None else "-",
            ma_note=ma_note(ma_pays_ccm, ma_share),
            fee_gate=fee_gate(decision),
        )
        rows.append(
            {
                "id": step.id,
                "start_week": first_week,
                "end_week": last_week,
                "action": action,
                "owner": step.owner,
                "why": step.why,
                "domain": step.domain,
                "shares_phi": model in step.shares_phi,
                "after": tuple(d for d in step.after if d in placed),
                "cms_required": step.cms_required,
                "kind": "milestone" if step.milestone else "step",
                "model_month": month,
                "_rank": rank,
            }
        )
    open_items = [
        q
        for q in definition.questions
        if q.id in readiness.not_assessed and (q.cms_required or q.domain == "capacity")
    ]
    if open_items:
        rows.append(
            {
                "id": "open_questions",
                "start_week": 1,
                "end_week": 2,
                "action": "Confirm the readiness items not assessed in the meeting: "
                + ", ".join(q.label for q in open_items),
                "owner": "Practice manager",
                "why": "An unanswered item may hide a CMS requirement or the staff time the "
                "program depends on.",
                "domain": open_items[0].domain,
                "cms_required": any(q.cms_required for q in open_items),
                "kind": "question",
                "_rank": len(rows),
            }
        )
    gaps = [
        g
        for g in readiness.gaps
        if g.question not in covered and model not in definition.question(g.question).handled_by
    ]
    rows += [
        {
            "id": f"gap_{g.question}",
            "start_week": g.weeks[0],
            "end_week": g.weeks[1],
            "action": g.action_for(model),
            "owner": g.owner,
            "why": g.why,
            "domain": g.domain,
            "cms_required": g.cms_required,
            "kind": "gap",
            "_rank": 1000 + i,
        }
        for i, g in enumerate(gaps[:max_gap_rows])
    ]
    titles = {key: domain.title for key, domain in definition.domains.items()}
    frame = pd.DataFrame(rows).sort_values(["start_week", "_rank"], kind="stable")
    frame = frame.assign(
        weeks=[
            f"{a}-{b}" if a != b else str(a)
            for a, b in frame[["start_week", "end_week"]].to_numpy()
        ],
        domain=frame["domain"].map(titles),
        shares_phi=frame["shares_phi"].fillna(False).astype(bool),
        after=[a if isinstance(a, tuple) else () for a in frame["after"]],
        model_month=frame["model_month"].astype("Int64"),
        owner_name="",
    )
    if start is None:
        frame["start_date"] = frame["end_date"] = pd.NaT
    else:
        frame["start_date"], frame["end_date"] = week_dates(
            start, frame["start_week"], frame["end_week"]
        )
    return frame[list(PLAN_COLUMNS)].reset_index(drop=True)


def plan_summary(plan: pd.DataFrame) -> list[dict[str, object]]:
    """summary.json `plan`: one entry per step (docs/outputs.md, schema v2): id, action, owner,
    start_week, end_week (whole weeks from the decision, inclusive), start_date and end_date
    (ISO dates, null without a decision date), shares_phi, after."""
    return [
        {
            "id": row.id,
            "action": row.action,
            "owner": row.owner,
            "start_week": int(row.start_week),
            "end_week": int(row.end_week),
            "start_date": None if pd.isna(row.start_date) else row.start_date.date().isoformat(),
            "end_date": None if pd.isna(row.end_date) else row.end_date.date().isoformat(),
            "shares_phi": bool(row.shares_phi),
            "after": list(row.after),
        }
        for row in plan.itertuples(index=False)
    ]


def go_live_delay_weeks(plan: pd.DataFrame) -> int:
    """Weeks by which the plan's go-live falls after the week the financial model starts
    enrolling (0 when the set-up fits the model's timing)."""
    go_live = plan.loc[plan["id"] == "go_live"].iloc[0]
    month = go_live["model_month"]
    return (
        0 if pd.isna(month) else max(int(go_live["start_week"]) - month_start_week(int(month)), 0)
    )
