"""In-house vs managed vs hybrid: a choice made on economics and execution capacity, and the
launch plan for the first 90 days and 12 months, built from the chosen model's steps, its
month numbers and the readiness gaps (docs/model.md "Recommendation";
docs/launch_plan.md for the CMS requirements and the order).

The choice follows the first rule in `RULES` whose condition holds:

| rule | when | choice |
|---|---|---|
| R1 | no model earns money over the horizon | the model with the highest horizon net |
| R2 | hours set aside cover under 40% of what the panel needs (not assessed = 0) | managed |
| R3 | hours cover 80%+ and operations are ready | the model with the highest horizon net |
| R4 | hours cover 40-80% and operations are ready | in-house if it nets most, else hybrid |
| R5 | hours cover 40%+ but operations are not ready | hybrid |

Operations are ready when ownership, documentation and monthly workflow each score 60+ (a
domain not assessed is not ready). If the chosen model loses money over the horizon while
another earns, the highest-earning model is chosen instead. Money is the Monte Carlo median
(`p50_horizon_net`, ...) where the scenario has it, else the value at the defaults. Before the
Monte Carlo decision is known, confidence is "high" with no caveat, "medium" with one, "low"
with two or more (always "low" under R1); caveats: the choice does not net the most; its P10
horizon net is below zero; capacity was not assessed; under half of the questions were
assessed. `with_decision` then sets it from the share of simulations in which the choice beats
the runner-up. Thresholds are our assumptions [A].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from ccm_assess.finance.decision import Decision
from ccm_assess.readiness.questionnaire import questionnaire_definition
from ccm_assess.readiness.scoring import Readiness, round_score

MODELS = ("in_house", "managed", "hybrid")
MODEL_NAMES = {"in_house": "in-house", "managed": "managed", "hybrid": "hybrid"}
METRICS = (
    "horizon_net",
    "p10_horizon_net",
    "year1_net",
    "break_even_month",
    "ftes_steady_state",
    "monthly_net_steady_state",
)
PRODUCTIVE_HOURS_PER_FTE = 2080 * 0.80  # paid hours x productive share [A], 1664 h/year
COVERED_SHARE = 0.8  # [A] hours set aside / hours needed for "covered"
PARTLY_COVERED_SHARE = 0.4  # [A]
OPERATIONS_READY_SCORE = 60.0  # [A] ownership, documentation, workflow each at least this
OPERATIONS = ("ownership", "documentation", "monthly_workflow")
CONFIDENCE = ("high", "medium", "low")
CONFIDENT_WIN_SHARE = 0.8  # [A] the choice wins in 8 of 10 simulations or more: high
LIKELY_WIN_SHARE = 0.6  # [A] 6 of 10 or more: medium


@dataclass(frozen=True)
class Facts:
    """What the rules look at."""

    coverage: float  # hours set aside / hours needed; 0 when not assessed
    operations_ready: bool
    best: str  # model with the highest horizon net
    earning: frozenset[str]  # models with a positive horizon net


@dataclass(frozen=True)
class Rule:
    id: str
    when: str
    then: str
    applies: Callable[[Facts], bool]
    choose: Callable[[Facts], str]


RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "No model earns money over the horizon",
        "the model that nets most",
        lambda f: not f.earning,
        lambda f: f.best,
    ),
    Rule(
        "R2",
        f"Staff hours set aside cover under {PARTLY_COVERED_SHARE:.0%} of the need "
        "(not assessed counts as none)",
        "managed",
        lambda f: f.coverage < PARTLY_COVERED_SHARE,
        lambda f: "managed",
    ),
    Rule(
        "R3",
        f"Hours cover {COVERED_SHARE:.0%}+ and operations are ready",
        "the model that nets most",
        lambda f: f.coverage >= COVERED_SHARE and f.operations_ready,
        lambda f: f.best,
    ),
    Rule(
        "R4",
        "Hours partly covered and operations are ready",
        "in-house if it nets most, otherwise hybrid",
        lambda f: f.operations_ready,
        lambda f: "in_house" if f.best == "in_house" else "hybrid",
    ),
    Rule(
        "R5",
        "Hours at least partly covered but operations are not ready",
        "hybrid",
        lambda f: True,
        lambda f: "hybrid",
    ),
)


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


@dataclass(frozen=True)
class Recommendation:
    """The delivery model to start with, why, and what would change the choice."""

    choice: str  # in_house | managed | hybrid
    rule: str
    reasons: tuple[str, ...]
    would_change: tuple[str, ...]
    confidence: str
    hours_needed_per_week: float
    hours_available_per_week: float | None  # None = not assessed
    decision_sentences: tuple[str, ...] = ()  # win share and tipping points (decision.py)


def hours_per_week(
    ftes: float, productive_hours_per_fte: float = PRODUCTIVE_HOURS_PER_FTE
) -> float:
    """Clinical staff hours a week for `ftes` full-time staff (productive hours / 52 weeks)."""
    return ftes * productive_hours_per_fte / 52


def _money(amount: float) -> str:
    text = f"${abs(amount):,.0f}"
    return f"a loss of {text}" if amount < 0 else text


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def _score(readiness: Readiness, domain: str) -> str:
    score = round_score(readiness.domains[domain].score)
    return "not assessed" if score is None else f"{score}/100"


def central(scenario: Mapping[str, object], key: str) -> float | None:
    """The Monte Carlo median of a scenario metric where present, else the default-value run."""
    value = scenario[f"p50_{key}"] if f"p50_{key}" in scenario else scenario[key]
    return None if value is None else float(value)  # type: ignore[arg-type]


def _economics(scenarios: Mapping[str, Mapping[str, object]], choice: str, years: str) -> list[str]:
    nets = ", ".join(
        f"{MODEL_NAMES[m]} {_money(central(scenarios[m], 'horizon_net'))}"  # type: ignore[arg-type]
        for m in MODELS
    )
    chosen = scenarios[choice]
    month = central(chosen, "break_even_month")
    month = None if month is None else int(month)
    paid_back = (
        f"pays back its start-up costs in month {month}"
        if month
        else (f"does not pay back within {years}")
    )
    return [
        f"Net over {years} (the middle of our simulations): {nets}.",
        f"The {MODEL_NAMES[choice]} model {paid_back}; in a bad case (1 run in 10 does worse) "
        f"it nets {_money(chosen['p10_horizon_net'])}.",  # type: ignore[arg-type]
    ]


def _compliance(readiness: Readiness, choice: str) -> list[str]:
    out = []
    if readiness.has_24_7_access is False:
        fix = (
            "ask the vendor whether its nurses cover nights and weekends"
            if choice == "managed"
            else "budget for an on-call rota or answering service with chart access"
        )
        out.append(
            f"Patients cannot yet reach a clinician who sees their care plan 24/7, which "
            f"CMS requires before billing: {fix}."
        )
    if readiness.has_certified_ehr is False:
        out.append(
            "CCM must be recorded in a certified EHR; that gap has to close whichever "
            "model you choose."
        )
    return out


def _would_change(
    choice: str,
    facts: Facts,
    needed: float,
    scenarios: Mapping[str, Mapping[str, object]],
    readiness: Readiness,
    years: str,
) -> list[str]:
    net = {m: central(scenarios[m], "horizon_net") or 0.0 for m in MODELS}
    weak = [
        readiness.domains[d].title.lower()
        for d in OPERATIONS
        if (readiness.domains[d].score or 0) < OPERATIONS_READY_SCORE
    ]
    if not facts.earning:
        return [
            f"Higher enrolment or lower costs would be needed for any model to pay back "
            f"within {years}; rerun the assessment with the practice's own figures."
        ]
    if choice == "managed":
        out = []
        hours = f"Setting aside about {needed * COVERED_SHARE:.0f} clinical staff hours a week"
        if net["hybrid"] > net["managed"]:
            out.append(
                f"{hours} would make hybrid workable (your staff give the care, a partner "
                f"runs the operations); it would keep about "
                f"{_money(net['hybrid'] - net['managed'])} more over {years}."
            )
        if net["in_house"] > net["managed"]:
            ready = (
                ""
                if facts.operations_ready
                else (f" once {_join(weak)} reach {OPERATIONS_READY_SCORE:.0f}/100")
            )
            out.append(
                f"{hours} would make in-house workable{ready}; it would keep about "
                f"{_money(net['in_house'] - net['managed'])} more over {years}."
            )
        return out or [
            "Managed also nets the most here, so only higher vendor fees or lower "
            "staff costs would change the choice."
        ]
    if choice == "hybrid":
        out = [
            f"If fewer than {needed * PARTLY_COVERED_SHARE:.0f} staff hours a week can be set "
            "aside, managed becomes the safer choice."
        ]
        if net["in_house"] > net["hybrid"]:
            out.insert(
                0,
                f"If {_join(weak) or 'operations'} reached "
                f"{OPERATIONS_READY_SCORE:.0f}/100 and {needed * COVERED_SHARE:.0f}+ staff "
                f"hours a week were set aside, in-house would keep about "
                f"{_money(net['in_house'] - net['hybrid'])} more over {years}.",
            )
        return out
    runner = max((m for m in MODELS if m != choice), key=net.__getitem__)
    return [
        f"If the hours set aside fall below {needed * COVERED_SHARE:.0f} a week or the CCM owner "
        "leaves, switch to hybrid so the operations keep running.",
        f"{MODEL_NAMES[choice].capitalize()} nets {_money(net[choice] - net[runner])} more than "
        f"{MODEL_NAMES[runner]} over {years}; if costs ran that much above plan, "
        f"{MODEL_NAMES[runner]} would be the better choice.",
    ]


def recommend(
    readiness: Readiness,
    scenarios: Mapping[str, Mapping[str, object]],
    ftes_needed: float,
    *,
    productive_hours_per_fte: float = PRODUCTIVE_HOURS_PER_FTE,
    horizon_months: int = 36,
    hours_needed_per_week: float | None = None,
) -> Recommendation:
    """Choose in-house, managed or hybrid by `RULES` from the readiness answers, each model's
    metrics (summary.json scenario names; money in USD over `horizon_months`) and the
    steady-state FTEs the panel needs (or, better, `hours_needed_per_week` from the model's
    monthly hours series: the in-house staff hours besides the billing practitioner's)."""
    missing = [f"{m}.{k}" for m in MODELS for k in METRICS if k not in scenarios.get(m, {})]
    if missing:
        raise ValueError(f"recommend() needs scenario metrics {', '.join(missing)}")
    if hours_needed_per_week is None:
        needed = hours_per_week(ftes_needed, productive_hours_per_fte)
    else:  # the model's own monthly hours series; FTEs shown at the productive share in use
        needed = hours_needed_per_week
        ftes_needed = needed * 52 / productive_hours_per_fte
    available = readiness.dedicated_hours_per_week
    net = {m: central(scenarios[m], "horizon_net") or 0.0 for m in MODELS}
    facts = Facts(
        coverage=(available or 0) / needed if needed > 0 else float("inf"),
        operations_ready=all(
            (readiness.domains[d].score or 0) >= OPERATIONS_READY_SCORE for d in OPERATIONS
        ),
        best=max(MODELS, key=net.__getitem__),
        earning=frozenset(m for m in MODELS if net[m] > 0),
    )
    rule = next(r for r in RULES if r.applies(facts))
    choice = rule.choose(facts)
    if choice not in facts.earning and facts.earning:
        choice = facts.best
    years = f"{horizon_months / 12:g} years"

    have = (
        "was not assessed, so we counted none"
        if available is None
        else f"is {available:.0f} hours a week ({facts.coverage:.0%} of the need)"
    )
    reasons = [
        f"Run in-house, your eligible patients need about {needed:.0f} staff hours a week in the "
        f"final year ({ftes_needed:.1f} full-time staff: care, enrolment and the program owner; "
        f"the billing practitioner's time comes on top); the time you can set aside {have}.",
        f"Ownership scores {_score(readiness, 'ownership')}, documentation "
        f"{_score(readiness, 'documentation')} and the monthly workflow "
        f"{_score(readiness, 'monthly_workflow')}: the day-to-day running of the program is "
        + ("in place." if facts.operations_ready else "not in place yet."),
        *_economics(scenarios, choice, years),
        *_compliance(readiness, choice),
    ]
    caveats = [
        choice != facts.best,
        float(scenarios[choice]["p10_horizon_net"]) < 0,  # type: ignore[arg-type]
        available is None,
        readiness.score is None,  # too few questions assessed for an overall score
    ]
    level = len(CONFIDENCE) - 1 if rule.id == "R1" else min(sum(caveats), len(CONFIDENCE) - 1)
    return Recommendation(
        choice=choice,
        rule=rule.id,
        reasons=tuple(reasons),
        would_change=tuple(_would_change(choice, facts, needed, scenarios, readiness, years)),
        confidence=CONFIDENCE[level],
        hours_needed_per_week=needed,
        hours_available_per_week=available,
    )


WEEKS_PER_MONTH = 52 / 12
PLAN_DAYS_WEEKS = 13  # the "90-day" part of the plan: weeks 1-13
MAX_GAP_ROWS = 6  # readiness gaps added after the core steps
PLAN_COLUMNS = (
    "id", "weeks", "start_week", "end_week", "action", "owner", "why", "domain",
    "shares_phi", "after", "cms_required", "kind", "model_month",
)  # fmt: skip


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

    @classmethod
    def from_monthly(cls, monthly: pd.DataFrame) -> ModelMonths:
        """From a model's monthly frame (columns month, approached, billed_patient_months,
        collected_revenue, enrolled): go-live = first month with outreach; first billable
        month = first month with billed patient-months; first claim = the month after it
        (claims go out after the month's minutes are in); first payment = the first month
        with money collected, no earlier than the claim's month."""

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


def launch_plan(
    readiness: Readiness,
    recommendation: Recommendation,
    months: ModelMonths | None = None,
    max_gap_rows: int = MAX_GAP_ROWS,
) -> pd.DataFrame:
    """The launch plan for the first 12 months: the core steps and milestones of the chosen
    model in dependency order (business associate agreement before any step that shares
    patient information, consent before enrolment, care plan before the first billable
    month), milestones tied to the model's month numbers (`months`), then the readiness gaps
    no step covers (CMS-required first, then by impact), up to `max_gap_rows`.

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
        start, end, month = placed[step.id]
        enrolled = (months.enrolled if months else {}).get(step.milestone)
        action = step.action_for(model).format(
            hours_needed=f"{needed:.0f}",
            hours_available=f"{available or 0:.0f}",
            month=month if month is not None else "-",
            enrolled=f"{enrolled:,.0f}" if enrolled is not None else "-",
        )
        rows.append(
            {
                "id": step.id,
                "start_week": start,
                "end_week": end,
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
    )
    return frame[list(PLAN_COLUMNS)].reset_index(drop=True)


def plan_summary(plan: pd.DataFrame) -> list[dict[str, object]]:
    """summary.json `plan`: one entry per step (docs/outputs.md, schema v2): id, action, owner,
    start_week, end_week (whole weeks from the decision, inclusive), shares_phi, after."""
    return [
        {
            "id": row.id,
            "action": row.action,
            "owner": row.owner,
            "start_week": int(row.start_week),
            "end_week": int(row.end_week),
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


def with_decision(recommendation: Recommendation, decision: Decision) -> Recommendation:
    """The recommendation with its confidence from the Monte Carlo win share (high from
    `CONFIDENT_WIN_SHARE`, medium from `LIKELY_WIN_SHARE`, else low; always low under R1) and
    the decision's plain sentences (win share, tipping points)."""
    if recommendation.rule == "R1" or decision.win_share < LIKELY_WIN_SHARE:
        confidence = "low"
    else:
        confidence = "high" if decision.win_share >= CONFIDENT_WIN_SHARE else "medium"
    return dataclasses.replace(
        recommendation, confidence=confidence, decision_sentences=decision.sentences
    )
